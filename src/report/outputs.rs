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
