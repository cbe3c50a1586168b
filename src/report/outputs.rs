//! Several reports from one run (issue 15): `-o` may be given several
//! times, each file's format taken from its extension (`.csv`, `.jsonl`,
//! `.html`, `.xlsx`), `--format` naming the format for stdout or a path without a
//! known extension. Every report is an `Output` (checked before any probing,
//! written atomically); rows go to all of them as they come, and the files
//! are committed only once every one is complete.

use super::{Format, Layout, Output, Row, Writer};
use anyhow::{Result, bail};
use std::io::IsTerminal;
use std::path::Path;

/// One report to write: where (`None`: stdout) and in which format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The `-o` path; `None` for stdout when no `-o` was given.
    pub path: Option<String>,
    /// The format to write it in.
    pub format: Format,
}

/// Whether `path` means the process's stdout.
fn is_stdout(path: &str) -> bool {
    matches!(path, "-" | "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1")
}

/// The reports `-o PATH...` and `--format` ask for. No `-o`: one report on
/// stdout in `format`, or `stdout_default`. A path's extension decides its
/// format; otherwise `format`, or CSV. Stdout may be named once, a path once.
pub fn plan(paths: &[String], format: Option<Format>, stdout_default: Format) -> Result<Vec<Planned>> {
    if paths.is_empty() {
        return Ok(vec![Planned { path: None, format: format.unwrap_or(stdout_default) }]);
    }
    let mut planned: Vec<Planned> = Vec::with_capacity(paths.len());
    for path in paths {
        if planned.iter().any(|p| p.path.as_deref() == Some(path.as_str())) {
            bail!("-o {path} is given twice; name each report once");
        }
        if is_stdout(path) && planned.iter().any(|p| p.path.as_deref().is_some_and(is_stdout)) {
            bail!("-o {path}: stdout is already a report; name a file for each other one");
        }
        let format = if is_stdout(path) {
            format.unwrap_or(stdout_default)
        } else {
            match (Format::of_extension(path), format) {
                (Some(named), _) => named,
                (None, Some(given)) => given,
                (None, None) if Path::new(path).extension().is_some() => bail!(
                    "-o {path}: the extension names no report format; known: {} (or give --format for this file)",
                    Format::known_extensions()
                ),
                (None, None) => Format::Csv,
            }
        };
        planned.push(Planned { path: Some(path.clone()), format });
    }
    Ok(planned)
}

/// Checks, creating nothing, every planned report path (`Output::check`),
/// and that no workbook goes to a terminal.
pub fn check(planned: &[Planned], inputs: &[&Path]) -> Result<()> {
    no_workbook_on_a_terminal(planned)?;
    planned.iter().try_for_each(|p| Output::check(p.path.as_deref(), inputs))
}

/// Refuses a `--metrics` path that is one of the run's inputs or one of
/// its reports, compared by file identity (device and inode; a name not
/// yet made, by its directory's identity and its name), so `./r.csv`, a
/// link to it and `/dev/stdout` while stdout is the report are all caught.
pub fn check_metrics(metrics: &Path, planned: &[Planned], inputs: &[&Path]) -> Result<()> {
    let shown = metrics.display();
    if metrics.as_os_str() == "-" {
        bail!("the metrics need a file, not stdout (stdout carries the report)");
    }
    let mine = Place::of(metrics);
    for input in inputs {
        if mine.is(&Place::of(input)) {
            bail!("--metrics {shown} is {}, which this run reads; name another metrics file", input.display());
        }
    }
    for p in planned {
        let theirs = p.path.as_deref().map_or(Place::Stdout, |path| Place::of(Path::new(path)));
        if mine.is(&theirs) {
            let report = p.path.as_deref().unwrap_or("stdout");
            bail!("--metrics {shown} is where the report {report} goes; name another metrics file");
        }
    }
    Ok(())
}

/// Where a path leads, to tell whether two names are one file.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// The process's stdout (`-`, `/dev/stdout` and the like).
    Stdout,
    /// An existing file: its identity.
    File(Identity),
    /// A file not made yet: its directory's identity and its name.
    New(Identity, std::ffi::OsString),
    /// Nothing that can be told apart (a missing directory).
    Unknown,
}

/// A file's device and inode (on other systems, its canonical path).
type Identity = (u64, u64, Option<std::path::PathBuf>);

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata, _: &Path) -> Identity {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino(), None)
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata, path: &Path) -> Identity {
    (0, 0, std::fs::canonicalize(path).ok())
}

impl Place {
    fn of(path: &Path) -> Place {
        if path.to_str().is_some_and(is_stdout) {
            return Place::Stdout;
        }
        if let Ok(meta) = std::fs::metadata(path) {
            return Place::File(identity(&meta, path));
        }
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        match (std::fs::metadata(dir), path.file_name()) {
            (Ok(meta), Some(name)) => Place::New(identity(&meta, dir), name.to_owned()),
            _ => Place::Unknown,
        }
    }

    /// Whether two places are one file; stdout is also whatever file it is.
    fn is(&self, other: &Place) -> bool {
        let stdout = || {
            use std::os::fd::AsFd;
            let fd = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
            let meta = std::fs::File::from(fd).metadata().ok()?;
            Some(Place::File(identity(&meta, Path::new("/dev/stdout"))))
        };
        match (self, other) {
            (Place::Unknown, _) | (_, Place::Unknown) => false,
            (Place::Stdout, Place::Stdout) => true,
            (Place::Stdout, file) | (file, Place::Stdout) => stdout().is_some_and(|s| &s == file),
            (a, b) => a == b,
        }
    }
}

/// A workbook is binary: it goes to a file or a pipe, never to a terminal.
fn no_workbook_on_a_terminal(planned: &[Planned]) -> Result<()> {
    for p in planned {
        if p.format.is_binary() && p.path.as_deref().is_none_or(is_stdout) && std::io::stdout().is_terminal() {
            bail!("an XLSX workbook is not for a terminal: name a file (-o report.xlsx) or redirect stdout");
        }
    }
    Ok(())
}

/// Opens every planned report (`Output::open`), in order.
pub fn open(planned: &[Planned], inputs: &[&Path]) -> Result<Vec<(Output, Format)>> {
    no_workbook_on_a_terminal(planned)?;
    planned.iter().map(|p| Ok((Output::open(p.path.as_deref(), inputs)?, p.format))).collect()
}

/// Commits outputs whose content is complete, in order; returns where
/// they are, `, `-joined, for the summary.
pub fn commit_all(outputs: Vec<Output>) -> Result<String> {
    let places: Vec<String> = outputs.iter().map(Output::describe).collect();
    for output in outputs {
        output.commit()?;
    }
    Ok(places.join(", "))
}

/// Rows written to every report at once.
pub struct Reports {
    writers: Vec<Writer<Output>>,
}

impl Reports {
    /// A writer per opened output, each with the same layout.
    pub fn new(outputs: Vec<(Output, Format)>, layout: &Layout) -> Result<Reports> {
        let writers =
            outputs.into_iter().map(|(out, format)| Writer::new(out, format, layout.clone())).collect::<Result<_>>()?;
        Ok(Reports { writers })
    }

    /// Writes one row to every report.
    pub fn write(&mut self, row: &Row) -> Result<()> {
        self.writers.iter_mut().try_for_each(|w| w.write(row))
    }

    /// Completes every report, then makes them visible; returns where they are.
    pub fn finish(self) -> Result<String> {
        let outputs = self.writers.into_iter().map(Writer::finish).collect::<Result<Vec<_>>>()?;
        commit_all(outputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_takes_its_extension_s_format_and_format_names_the_rest() {
        let p = |path: Option<&str>, format| Planned { path: path.map(String::from), format };
        let paths = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases: Vec<(Vec<String>, Option<Format>, Vec<Planned>)> = vec![
            (paths(&[]), None, vec![p(None, Format::Table)]),
            (paths(&[]), Some(Format::Jsonl), vec![p(None, Format::Jsonl)]),
            (
                paths(&["r.csv", "r.JSONL", "r.html", "-"]),
                Some(Format::Html),
                vec![
                    p(Some("r.csv"), Format::Csv),
                    p(Some("r.JSONL"), Format::Jsonl),
                    p(Some("r.html"), Format::Html),
                    p(Some("-"), Format::Html),
                ],
            ),
            (
                paths(&["report", "x.txt"]),
                Some(Format::Jsonl),
                vec![p(Some("report"), Format::Jsonl), p(Some("x.txt"), Format::Jsonl)],
            ),
            (paths(&["report"]), None, vec![p(Some("report"), Format::Csv)]),
            (
                paths(&["findings.dojo.json", "exposure.junit.xml", "ci.XML"]),
                None,
                vec![
                    p(Some("findings.dojo.json"), Format::Defectdojo),
                    p(Some("exposure.junit.xml"), Format::Junit),
                    p(Some("ci.XML"), Format::Junit),
                ],
            ),
            (paths(&["-"]), None, vec![p(Some("-"), Format::Table)]),
        ];
        for (given, format, want) in cases {
            assert_eq!(plan(&given, format, Format::Table).unwrap(), want, "{given:?} {format:?}");
        }
    }

    #[test]
    fn an_unknown_extension_is_refused_with_the_known_ones_unless_format_names_it() {
        for path in ["x.pdf", "out/report.json", "a.b.txt"] {
            let err = plan(&[path.to_string()], None, Format::Csv).unwrap_err().to_string();
            assert!(err.contains(path) && err.contains(".csv, .jsonl"), "{err}");
            assert!(err.contains(".dojo.json") && err.contains(".xlsx"), "{err}");
            assert_eq!(plan(&[path.to_string()], Some(Format::Jsonl), Format::Csv).unwrap()[0].format, Format::Jsonl);
        }
    }

    #[test]
    fn a_path_or_stdout_named_twice_is_refused() {
        let cases = [(&["a.csv", "a.csv"][..], "given twice"), (&["-", "/dev/stdout"][..], "stdout is already")];
        for (given, want) in cases {
            let given: Vec<String> = given.iter().map(|s| s.to_string()).collect();
            let err = plan(&given, None, Format::Csv).unwrap_err().to_string();
            assert!(err.contains(want), "{given:?}: {err}");
        }
    }
}
