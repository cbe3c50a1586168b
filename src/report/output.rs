//! Where a report goes. `-o` only ever *replaces a regular file*: a regular
//! file (or a new one) is written to a temporary file created beside it with
//! an unpredictable name and `O_EXCL` (the `tempfile` crate: a planted link
//! or FIFO cannot be followed), synced, then renamed over it, so a reader
//! never sees half a report and a failed run leaves the previous one; the
//! temporary file is removed on every other way out. A character device,
//! FIFO or socket, and `/dev/std*`, are written into directly (streaming; a
//! write error is the run's error). A symlink is followed: the file it points
//! to is replaced and the link kept. A directory, the inventory or the
//! baseline is refused before anything is probed (issue 12).

use anyhow::{Context, Result, bail};
use std::fs::Metadata;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// An open report destination.
pub enum Output {
    /// The process's stdout (`-`, `/dev/stdout`, or no `-o`).
    Stdout(io::Stdout),
    /// A special file (device, FIFO, `/dev/stderr`), written into as rows come.
    Direct {
        /// The path as given.
        path: PathBuf,
        /// The open file, buffered.
        out: BufWriter<Box<dyn Write + Send>>,
    },
    /// A regular file, replaced atomically on `commit`.
    File {
        /// The file replaced (a symlink's target).
        target: PathBuf,
        /// The temporary file beside it; `None` once committed.
        temp: Option<BufWriter<tempfile::NamedTempFile>>,
    },
}

/// Temporary files not yet committed or dropped, for `remove_partial_files`.
static PENDING: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes the temporary file of every report opened and not yet committed
/// or dropped, for a process about to end at once (`std::process::exit`
/// runs no destructors, so they would outlive it). Callable from any
/// thread; the signal handling that calls it is `commands::runtime`'s.
pub fn remove_partial_files() {
    for path in pending().iter() {
        let _ = std::fs::remove_file(path);
    }
}

/// What an `-o` path is, as far as the decision goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Missing,
    Regular,
    Directory,
    /// Character or block device, FIFO, socket.
    Special,
}

/// How a path of that kind is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Replace,
    WriteInto,
}

/// The rule, as a pure function: replace regular files (and create new
/// ones), write into special files, refuse directories. A descriptor path
/// (`/dev/fd/N`, `/proc/…/fd/N`) is written into whatever it is open on: it
/// names an open file of a process, not a place to put a new one.
fn action(kind: Kind, descriptor: bool) -> Result<Action, &'static str> {
    match kind {
        Kind::Directory => Err("is a directory; name a report file"),
        _ if descriptor => Ok(Action::WriteInto),
        Kind::Missing | Kind::Regular => Ok(Action::Replace),
        Kind::Special => Ok(Action::WriteInto),
    }
}

/// Whether a path names an open file descriptor.
fn is_descriptor(path: &str) -> bool {
    path.starts_with("/dev/fd/") || (path.starts_with("/proc/") && path.contains("/fd/"))
}

fn kind_of(meta: &Metadata) -> Kind {
    if meta.is_dir() {
        Kind::Directory
    } else if meta.is_file() {
        Kind::Regular
    } else {
        Kind::Special
    }
}

/// Names that mean this process's own standard streams.
fn standard_stream(path: &str) -> Option<u8> {
    match path {
        "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1" => Some(1),
        "/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2" => Some(2),
        _ => None,
    }
}

impl Output {
    /// Checks, creating nothing, what `open` would refuse: a directory, an
    /// input file, a dangling link, a missing directory.
    pub fn check(path: Option<&str>, inputs: &[&Path]) -> Result<()> {
        let Some(path) = path.filter(|p| *p != "-" && standard_stream(p).is_none()) else { return Ok(()) };
        let given = Path::new(path);
        match std::fs::metadata(given) {
            Ok(meta) => {
                refuse_inputs(path, &meta, inputs)?;
                action(kind_of(&meta), is_descriptor(path)).map_err(|why| anyhow::anyhow!("-o {path}: {why}"))?;
            }
            Err(_) if std::fs::symlink_metadata(given).is_ok() => {
                bail!("-o {path}: a symbolic link to nothing; name the report file itself")
            }
            Err(_) => {
                let dir = given.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                if !dir.is_dir() {
                    bail!("cannot write the report beside {path}: no directory {}", dir.display());
                }
            }
        }
        Ok(())
    }

    /// Opens the output now, so an unusable path fails before any probing.
    /// `None` or `-` is stdout. `inputs` are files this run reads (the
    /// inventory, a baseline, shard reports): the report may not be one of them.
    pub fn open(path: Option<&str>, inputs: &[&Path]) -> Result<Output> {
        let Some(path) = path.filter(|p| *p != "-") else { return Ok(Output::Stdout(io::stdout())) };
        match standard_stream(path) {
            Some(1) => return Ok(Output::Stdout(io::stdout())),
            Some(_) => {
                let out: Box<dyn Write + Send> = Box::new(io::stderr());
                return Ok(Output::Direct { path: path.into(), out: BufWriter::new(out) });
            }
            None => {}
        }
        let given = PathBuf::from(path);
        // `metadata` follows a symlink: the kind that counts is the target's.
        let (kind, meta) = match std::fs::metadata(&given) {
            Ok(meta) => (kind_of(&meta), Some(meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(&given).is_ok() {
                    bail!("-o {path}: a symbolic link to nothing; name the report file itself");
                }
                (Kind::Missing, None)
            }
            Err(e) => return Err(e).with_context(|| format!("-o {path}: cannot look at it")),
        };
        if let Some(meta) = &meta {
            refuse_inputs(path, meta, inputs)?;
        }
        match action(kind, is_descriptor(path)).map_err(|why| anyhow::anyhow!("-o {path}: {why}"))? {
            Action::WriteInto => {
                // No create, no truncate: the file is used as it is. Append:
                // a descriptor path re-opens its file, and must not write over
                // what the shell (`3>>log`) or the process wrote before.
                let file = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&given)
                    .with_context(|| format!("cannot open {path} for the report"))?;
                let out: Box<dyn Write + Send> = Box::new(file);
                Ok(Output::Direct { path: given, out: BufWriter::new(out) })
            }
            Action::Replace => {
                // A link is kept: the file it points to is the one replaced.
                let target = if meta.is_some() { std::fs::canonicalize(&given)? } else { given };
                let temp = temp_beside(&target, meta.as_ref())
                    .with_context(|| format!("cannot write the report beside {}", target.display()))?;
                pending().push(temp.path().to_path_buf());
                Ok(Output::File { target, temp: Some(BufWriter::new(temp)) })
            }
        }
    }

    /// Where the report is, for the summary.
    pub fn describe(&self) -> String {
        match self {
            Output::Stdout(_) => "stdout".into(),
            Output::Direct { path, .. } => path.display().to_string(),
            Output::File { target, .. } => target.display().to_string(),
        }
    }

    /// Makes the report visible: flush, sync, rename over the target (a
    /// regular file), or flush (stdout, a special file).
    pub fn commit(mut self) -> Result<()> {
        match &mut self {
            Output::File { target, temp } => {
                let temp = temp.take().expect("committed once");
                forget_pending(temp.get_ref().path());
                let temp = temp.into_inner().map_err(|e| e.into_error()).context("cannot write the report")?;
                temp.as_file().sync_all().context("cannot sync the report")?;
                temp.persist(&*target)
                    .map_err(|e| e.error)
                    .with_context(|| format!("cannot move the report to {}", target.display()))?;
            }
            Output::Direct { path, out } => {
                out.flush().with_context(|| format!("cannot write the report to {}", path.display()))?
            }
            Output::Stdout(out) => out.flush().context("cannot write the report to stdout")?,
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // `NamedTempFile` removes an uncommitted file itself; the list forgets it.
        if let Output::File { temp: Some(temp), .. } = self {
            forget_pending(temp.get_ref().path());
        }
    }
}

fn forget_pending(path: &Path) {
    pending().retain(|p| p != path);
}

/// The temporary file for `target`: same directory, unpredictable name,
/// created with `O_EXCL` (never through a planted link), with the
/// permissions of the file it replaces (a new report: 0666 less the umask).
fn temp_beside(target: &Path, replaced: Option<&Metadata>) -> io::Result<tempfile::NamedTempFile> {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let temp = builder.tempfile_in(dir)?;
    if let Some(meta) = replaced {
        // Set after creation, so the umask does not narrow the old mode.
        temp.as_file().set_permissions(meta.permissions())?;
    }
    Ok(temp)
}

/// Refuses a report path that is one of the run's own input files.
fn refuse_inputs(path: &str, meta: &Metadata, inputs: &[&Path]) -> Result<()> {
    for input in inputs {
        if let Ok(other) = std::fs::metadata(input)
            && same_file(meta, &other, Path::new(path), input)
        {
            bail!("-o {path} is {}, which this run reads; name another report file", input.display());
        }
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata, _: &Path, _: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &Metadata, _: &Metadata, a: &Path, b: &Path) -> bool {
    matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(buf),
            Output::Direct { out, .. } => out.write(buf),
            Output::File { temp, .. } => temp.as_mut().ok_or_else(|| io::Error::other("report committed"))?.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::Direct { out, .. } => out.flush(),
            Output::File { temp, .. } => temp.as_mut().map_or(Ok(()), |f| f.flush()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_replaced_special_files_written_into_directories_refused() {
        let cases = [
            (Kind::Missing, false, Ok(Action::Replace)),
            (Kind::Regular, false, Ok(Action::Replace)),
            (Kind::Special, false, Ok(Action::WriteInto)),
            (Kind::Directory, false, Err("is a directory; name a report file")),
            (Kind::Regular, true, Ok(Action::WriteInto)),
            (Kind::Special, true, Ok(Action::WriteInto)),
            (Kind::Directory, true, Err("is a directory; name a report file")),
        ];
        for (kind, descriptor, want) in cases {
            assert_eq!(action(kind, descriptor), want, "{kind:?} {descriptor}");
        }
        for (path, want) in [("/dev/fd/3", true), ("/proc/self/fd/4", true), ("/proc/12/fd/1", true)] {
            assert_eq!(is_descriptor(path), want, "{path}");
        }
        for path in ["/dev/shm/report.csv", "/proc.csv", "reports/fd/x.csv", "/dev/null"] {
            assert!(!is_descriptor(path), "{path}");
        }
    }

    #[test]
    fn the_standard_streams_are_known_by_name() {
        let cases = [
            ("/dev/stdout", Some(1)),
            ("/proc/self/fd/1", Some(1)),
            ("/dev/stderr", Some(2)),
            ("/dev/fd/2", Some(2)),
            ("/dev/null", None),
            ("report.csv", None),
        ];
        for (path, want) in cases {
            assert_eq!(standard_stream(path), want, "{path}");
        }
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn report_appears_only_when_committed_and_a_failed_run_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.csv");
        std::fs::write(&target, "old").unwrap();
        {
            let mut out = Output::open(Some(target.to_str().unwrap()), &[]).unwrap();
            out.write_all(b"half").unwrap();
            // dropped without commit: a failed run
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(files_in(dir.path()), ["report.csv"], "no temporary file left behind");
        let mut out = Output::open(Some(target.to_str().unwrap()), &[]).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(files_in(dir.path()), ["report.csv"], "no temporary file left behind");
    }

    #[test]
    fn unwritable_path_fails_at_open() {
        let err = Output::open(Some("/nonexistent-dir/x/report.csv"), &[]).err().unwrap();
        assert!(format!("{err:#}").contains("cannot write the report beside /nonexistent-dir/x/report.csv"));
    }

    #[cfg(unix)]
    #[test]
    fn the_temporary_name_is_not_predictable_and_a_planted_link_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.csv");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        // The old, predictable name, planted as a link to another file.
        let planted = dir.path().join(format!(".report.csv.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let mut out = Output::open(Some(target.to_str().unwrap()), &[]).unwrap();
        out.write_all(b"report").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "report");
        assert!(std::fs::symlink_metadata(&planted).unwrap().file_type().is_symlink());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_path_replaces_the_file_it_points_to_and_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        let link = dir.path().join("link.csv");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut out = Output::open(Some(link.to_str().unwrap()), &[]).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays");
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(files_in(dir.path()), ["link.csv", "real.csv"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.csv");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        let out = Output::open(Some(target.to_str().unwrap()), &[]).unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o640);
    }

    #[test]
    fn a_directory_or_an_input_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = Output::open(Some(dir.path().to_str().unwrap()), &[]).err().unwrap();
        assert!(format!("{err:#}").contains("is a directory"), "{err:#}");
        let inventory = dir.path().join("inventory.csv");
        std::fs::write(&inventory, "host\n").unwrap();
        let err = Output::open(Some(inventory.to_str().unwrap()), &[&inventory]).err().unwrap();
        assert!(format!("{err:#}").contains("which this run reads"), "{err:#}");
        assert_eq!(std::fs::read_to_string(&inventory).unwrap(), "host\n");
        assert_eq!(files_in(dir.path()), ["inventory.csv"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_into_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        let mut out = Output::open(Some(fifo.to_str().unwrap()), &[]).unwrap();
        out.write_all(b"streamed").unwrap();
        out.commit().unwrap(); // closes the writing end
        assert_eq!(reader.join().unwrap(), "streamed");
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "still a FIFO");
        assert_eq!(files_in(dir.path()), ["fifo"]);
    }
}
