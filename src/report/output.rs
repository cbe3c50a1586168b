//! Where a report goes: stdout, or a file written atomically (a temporary
//! file beside the target, flushed and synced, then renamed over it), so a
//! reader never sees half a report and a failed run leaves the previous one.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub enum Output {
    Stdout(io::Stdout),
    File { target: PathBuf, temp: PathBuf, file: Option<BufWriter<File>> },
}

impl Output {
    /// Opens the output now, so an unwritable path fails before any probing.
    /// `None` or `-` is stdout.
    pub fn open(path: Option<&str>) -> Result<Output> {
        let Some(path) = path.filter(|p| *p != "-") else { return Ok(Output::Stdout(io::stdout())) };
        let target = PathBuf::from(path);
        let name = target.file_name().with_context(|| format!("{path:?} is not a file name"))?;
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let temp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
        let file =
            File::create(&temp).with_context(|| format!("cannot write the report beside {}", target.display()))?;
        Ok(Output::File { target, temp, file: Some(BufWriter::new(file)) })
    }

    /// Where the report is, for the summary.
    pub fn describe(&self) -> String {
        match self {
            Output::Stdout(_) => "stdout".into(),
            Output::File { target, .. } => target.display().to_string(),
        }
    }

    /// Makes the report visible: flush, sync, rename over the target.
    pub fn commit(mut self) -> Result<()> {
        if let Output::File { target, temp, file } = &mut self {
            let file = file.take().expect("committed once");
            let file = file.into_inner().map_err(|e| e.into_error()).context("cannot write the report")?;
            file.sync_all().context("cannot sync the report")?;
            std::fs::rename(&*temp, &*target)
                .with_context(|| format!("cannot move the report to {}", target.display()))?;
        } else {
            self.flush()?;
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Not committed: the previous report stays, the partial one goes.
        if let Output::File { temp, file: Some(_), .. } = self {
            let _ = std::fs::remove_file(temp);
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(buf),
            Output::File { file, .. } => file.as_mut().ok_or_else(|| io::Error::other("report committed"))?.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::File { file, .. } => file.as_mut().map_or(Ok(()), |f| f.flush()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_appears_only_when_committed_and_a_failed_run_keeps_the_old_one() {
        let dir = std::env::temp_dir().join(format!("xx-output-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("report.csv");
        std::fs::write(&target, "old").unwrap();
        {
            let mut out = Output::open(Some(target.to_str().unwrap())).unwrap();
            out.write_all(b"half").unwrap();
            // dropped without commit: a failed run
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        let mut out = Output::open(Some(target.to_str().unwrap())).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unwritable_path_fails_at_open() {
        let err = Output::open(Some("/nonexistent-dir/x/report.csv")).err().unwrap();
        assert!(format!("{err:#}").contains("cannot write the report beside /nonexistent-dir/x/report.csv"));
    }
}
