//! The JUnit XML report (`--format junit`, `-o exposure.junit.xml`), for
//! CI systems that show test results: one `<testsuite>` per advisory
//! judged, one `<testcase>` per host, and a `<failure>` for every host
//! whose status for that advisory is in `--fail-on` (a row an acceptance
//! covers does not fail, as it does not count for the exit status). A clean
//! scan is N passed tests, never 0 tests. Server text is escaped for XML
//! and stripped of the control characters XML 1.0 cannot hold.

use super::format::{Exporter, Start};
use super::schema::{Column, Key, Schema};
use crate::sanitize::escape_xml as escape;
use anyhow::Result;
use std::fmt::Write as _;
use std::io::Write;

/// One host's result for one advisory.
struct Case {
    name: String,
    status: String,
    cves: String,
    detail: String,
    accepted: String,
}

/// The JUnit writer: cases kept until the end (the suites' counts come first).
pub struct Junit<W: Write> {
    out: W,
    schema: Schema,
    advisories: Vec<String>,
    fail_on: Vec<String>,
    /// Per advisory, in `advisories` order.
    suites: Vec<Vec<Case>>,
}

impl<W: Write> Junit<W> {
    /// A report with no cases yet.
    pub fn new(out: W, start: Start<'_>) -> Junit<W> {
        let advisories =
            if start.advisories.is_empty() { vec!["exchange-exposure".to_string()] } else { start.advisories.to_vec() };
        let suites = advisories.iter().map(|_| Vec::new()).collect();
        Junit { out, schema: start.schema.clone(), advisories, fail_on: start.fail_on.to_vec(), suites }
    }
}

impl<W: Write> Exporter<W> for Junit<W> {
    fn row(&mut self, cells: &[String]) -> Result<()> {
        let own = |c: Column| self.schema.own(cells, c).to_string();
        let name = match (own(Column::Host), own(Column::Port)) {
            (h, _) if h.is_empty() => own(Column::Build),
            (h, p) if p.is_empty() => h,
            (h, p) => format!("{h}:{p}"),
        };
        let several = self.advisories.len() > 1;
        for (i, id) in self.advisories.iter().enumerate() {
            let (status, cves) = if several {
                (
                    self.schema.get(cells, &Key::AdvisoryStatus(id.clone())).to_string(),
                    self.schema.get(cells, &Key::AdvisoryCves(id.clone())).to_string(),
                )
            } else {
                (own(Column::Status), own(Column::Cves))
            };
            self.suites[i].push(Case {
                name: name.clone(),
                status,
                cves,
                detail: own(Column::Detail),
                accepted: self.schema.get(cells, &Key::Accepted).to_string(),
            });
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<W> {
        let Junit { mut out, advisories, fail_on, suites, .. } = *self;
        let fails = |c: &Case| c.accepted.is_empty() && fail_on.contains(&c.status);
        let tests: usize = suites.iter().map(Vec::len).sum();
        let failures: usize = suites.iter().flatten().filter(|c| fails(c)).count();
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(xml, "<testsuites name=\"exchange-exposure\" tests=\"{tests}\" failures=\"{failures}\">");
        for (id, cases) in advisories.iter().zip(&suites) {
            let failed = cases.iter().filter(|c| fails(c)).count();
            let _ = writeln!(
                xml,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">",
                escape(id),
                cases.len()
            );
            for case in cases {
                let _ = write!(xml, "    <testcase classname=\"{}\" name=\"{}\"", escape(id), escape(&case.name));
                let mut body = String::new();
                if fails(case) {
                    let message = if case.cves.is_empty() {
                        case.status.clone()
                    } else {
                        format!("{}: {}", case.status, case.cves.replace(';', ", "))
                    };
                    let _ = writeln!(
                        body,
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                        escape(&message),
                        escape(&case.status),
                        escape(&case.detail)
                    );
                } else {
                    let mut said = format!("status: {}", case.status);
                    if !case.accepted.is_empty() {
                        let _ = write!(said, "; accepted: {}", case.accepted);
                    }
                    if !case.detail.is_empty() {
                        let _ = write!(said, "; {}", case.detail);
                    }
                    let _ = writeln!(body, "      <system-out>{}</system-out>", escape(&said));
                }
                let _ = write!(xml, ">\n{body}    </testcase>\n");
            }
            xml.push_str("  </testsuite>\n");
        }
        xml.push_str("</testsuites>\n");
        out.write_all(xml.as_bytes())?;
        Ok(out)
    }
}
