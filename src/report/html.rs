//! The auditor's report (`--format html`): one self-contained HTML file —
//! no external requests, no scripts — with when and against which tables
//! the run was made, counts by status as an inline SVG bar chart, the hosts
//! that need action, the accepted risks (`--accept`), every row with every
//! column of the report (pass-through inventory columns, support, `change`,
//! each advisory's status; a wide table scrolls), and the run's provenance.
//! Rows without a host are labelled by their inventory line. Every cell is
//! HTML-escaped: a server's header cannot inject markup. Prints on A4.

use super::format::{Exporter, Start};
use super::schema::{Column, Key, Schema};
use crate::assess::Status;
use crate::sanitize::{escape_html, neutralise_formula};
use anyhow::Result;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

const STYLE: &str = "
body{font:13px/1.4 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;color:#1a1a1a;margin:24px;max-width:1200px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid #ccc}
.meta{color:#555}table{border-collapse:collapse;width:100%}
.wide{overflow-x:auto;max-width:100%}.wide table{width:auto;min-width:100%}.wide td{white-space:nowrap}
.wide td.long{white-space:normal;min-width:30em;max-width:60em}.wide td.list{font-size:11px;min-width:80em;max-width:none}
table.prov th{width:12em}td.accepted{color:#1f4e8c}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}
td.n{white-space:nowrap;overflow-wrap:normal}
th{background:#f0f0f0}td.s{white-space:nowrap;font-weight:600}
.vulnerable{color:#b00020}.ambiguous,.su-unknown,.config-unknown{color:#a05a00}.patched,.not-affected{color:#1b6e20}
@page{size:A4;margin:12mm}@media print{body{margin:0;font-size:10px;max-width:none}tr{break-inside:avoid}h2{break-after:avoid}
.wide{overflow:visible}.wide table{font-size:6px;min-width:0}.wide td,.wide td.long{white-space:normal;min-width:0;max-width:none}}
";

/// The colour of a status's bar.
fn colour(status: Status) -> &'static str {
    match status {
        Status::Vulnerable => "#b00020",
        Status::Ambiguous | Status::SuUnknown | Status::ConfigUnknown => "#e08a00",
        Status::Patched | Status::NotAffected => "#2e7d32",
        Status::UnknownBuild | Status::Undetermined => "#8e6bbf",
        _ => "#777777",
    }
}

/// Statuses that ask the reader to act or look again.
pub(super) fn needs_action(status: Status) -> bool {
    matches!(
        status,
        Status::Vulnerable
            | Status::SuUnknown
            | Status::Ambiguous
            | Status::ConfigUnknown
            | Status::UnknownBuild
            | Status::Undetermined
    )
}

/// The most rows each table of the page lists; past it, a note points at
/// the CSV report (which has every row). It bounds the memory an HTML
/// report needs, whatever the inventory's size.
pub const MAX_ROWS: usize = 10_000;

/// A cell's text for the page: formula-guarded (Excel opens HTML tables and
/// would run `=…`), then escaped.
fn cell(text: &str) -> String {
    escape_html(&neutralise_formula(text))
}

/// The page being built: counts of every row, and the first `MAX_ROWS` rows
/// of each table, already rendered.
#[derive(Default)]
pub struct Page {
    tables: Option<String>,
    counts: BTreeMap<Status, usize>,
    total: usize,
    action: Vec<String>,
    action_total: usize,
    accepted: Vec<String>,
    accepted_total: usize,
    rows: Vec<String>,
    /// Every column of the report, in order (the inventory's last).
    schema: Schema,
    /// How the run was made, when known.
    run: Option<super::provenance::Run>,
}

impl Page {
    /// A page whose "every row" table has the schema's columns, in order.
    pub fn new(schema: Schema, run: Option<super::provenance::Run>) -> Page {
        Page { schema, run, ..Page::default() }
    }

    /// Counts and renders a row given as the schema's cells.
    pub fn add(&mut self, cells: &[String]) {
        let schema = &self.schema;
        let get = |column: Column| schema.own(cells, column).to_string();
        let status = Status::parse(&get(Column::Status)).unwrap_or(Status::Undetermined);
        self.tables.get_or_insert_with(|| get(Column::Table));
        *self.counts.entry(status).or_default() += 1;
        self.total += 1;
        let s = escape_html(status.as_str());
        let host = match host_port(&get(Column::Host), &get(Column::Port)) {
            // A row without a host (an unusable inventory row, `check`) is known by its line.
            h if h.is_empty() => format!("(line {})", get(Column::Line)),
            h => h,
        };
        let accepted = schema.get(cells, &Key::Accepted).to_string();
        if !accepted.is_empty() {
            self.accepted_total += 1;
            if self.accepted.len() < MAX_ROWS {
                self.accepted.push(format!(
                    "<tr><td class=\"n\">{}</td><td class=\"s {s}\">{s}</td><td>{} {}</td><td class=\"n\">{}</td><td class=\"accepted\">{}</td></tr>",
                    cell(&host),
                    cell(&get(Column::Product)),
                    cell(&get(Column::Cu)),
                    cell(&get(Column::Build)),
                    cell(&accepted)
                ));
            }
        } else if needs_action(status) {
            self.action_total += 1;
            if self.action.len() < MAX_ROWS {
                self.action.push(format!(
                    "<tr><td class=\"n\">{}</td><td class=\"s {s}\">{s}</td><td>{} {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                    cell(&host),
                    cell(&get(Column::Product)),
                    cell(&get(Column::Cu)),
                    cell(&get(Column::Build)),
                    cell(&get(Column::FixedBuild)),
                    cell(&get(Column::OpenCvesCount)),
                    cell(&get(Column::Detail))
                ));
            }
        }
        if self.rows.len() < MAX_ROWS {
            let mut tr = String::from("<tr>");
            for ((_, key), text) in schema.columns().iter().zip(cells) {
                let text = match key {
                    Key::Own(Column::Host) if text.is_empty() => format!("(line {})", get(Column::Line)),
                    // Lists wrap at their separators.
                    Key::Own(Column::Cves | Column::OpenCves | Column::FeServers) => text.replace(';', " "),
                    _ => text.clone(),
                };
                let class = match key {
                    Key::Own(Column::Status) => format!(" class=\"s {s}\""),
                    Key::AdvisoryStatus(_) => {
                        let st = escape_html(&text);
                        format!(" class=\"s {st}\"")
                    }
                    Key::Own(Column::Port | Column::Build | Column::FixedBuild | Column::Line | Column::CheckedAt) => {
                        " class=\"n\"".into()
                    }
                    Key::Own(Column::OpenCves) => " class=\"long list\"".into(),
                    Key::Own(Column::Detail | Column::Support | Column::Tls) | Key::Accepted => {
                        " class=\"long\"".into()
                    }
                    _ => String::new(),
                };
                let _ = write!(tr, "<td{class}>{}</td>", cell(&text));
            }
            tr.push_str("</tr>");
            self.rows.push(tr);
        }
    }

    /// Writes the whole document; the run (if known) finished now.
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let mut html = String::new();
        let when = jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC").to_string();
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>Exchange exposure report</title><style>{STYLE}</style></head><body>\n\
<h1>Exchange exposure report</h1>\n<p class=\"meta\">Made {} by exchange-exposure {} against table {}. {} rows.</p>\n",
            escape_html(&when),
            env!("CARGO_PKG_VERSION"),
            escape_html(self.tables.as_deref().unwrap_or("")),
            self.total
        );
        html.push_str("<h2>Rows by status</h2>\n");
        html.push_str(&chart(&self.counts));
        let _ = writeln!(html, "<h2>Hosts that need action ({})</h2>", self.action_total);
        if self.action.is_empty() {
            html.push_str("<p>None: every host is patched, not affected, or could not be reached.</p>\n");
        } else {
            html.push_str("<table><thead><tr><th>host</th><th>status</th><th>product</th><th>build</th><th>needs</th><th>open CVEs</th><th>what to do</th></tr></thead><tbody>\n");
            for tr in &self.action {
                html.push_str(tr);
                html.push('\n');
            }
            html.push_str("</tbody></table>\n");
            html.push_str(&more_note(self.action_total, self.action.len()));
        }
        if self.accepted_total > 0 {
            let _ = writeln!(html, "<h2 id=\"accepted\">Accepted risks ({})</h2>", self.accepted_total);
            html.push_str("<p class=\"meta\">Rows an acceptance (<code>--accept</code>) covers: they keep their status but do not count for <code>--fail-on</code> until the acceptance expires.</p>\n");
            html.push_str("<table><thead><tr><th>host</th><th>status</th><th>product</th><th>build</th><th>accepted</th></tr></thead><tbody>\n");
            for tr in &self.accepted {
                html.push_str(tr);
                html.push('\n');
            }
            html.push_str("</tbody></table>\n");
            html.push_str(&more_note(self.accepted_total, self.accepted.len()));
        }
        html.push_str(&self.provenance());
        html.push_str("<h2>Every row</h2>\n<div class=\"wide\"><table id=\"rows\"><thead><tr>");
        for name in self.schema.names() {
            let _ = write!(html, "<th>{}</th>", cell(name));
        }
        html.push_str("</tr></thead><tbody>\n");
        out.write_all(html.as_bytes())?;
        for tr in &self.rows {
            out.write_all(tr.as_bytes())?;
            out.write_all(b"\n")?;
        }
        let end = format!("</tbody></table></div>\n{}</body></html>\n", more_note(self.total, self.rows.len()));
        out.write_all(end.as_bytes())
    }

    /// The provenance section: how the run was made.
    fn provenance(&self) -> String {
        let Some(run) = &self.run else { return String::new() };
        let mut html = String::from("<h2 id=\"provenance\">Provenance</h2>\n<table class=\"prov\"><tbody>\n");
        for (name, value) in run.fields(Some(jiff::Timestamp::now())) {
            let value = value.unwrap_or_else(|| "(none)".into());
            // The tool's own text, not a server's: escaped, not formula-guarded.
            let _ = writeln!(
                html,
                "<tr><th>{}</th><td>{}</td></tr>",
                escape_html(&name.replace('_', " ")),
                escape_html(&value)
            );
        }
        html.push_str("</tbody></table>\n");
        html
    }
}

/// The HTML writer: the page is built as rows come and written at the end
/// (it starts with the counts).
pub struct Html<W: Write> {
    out: W,
    page: Box<Page>,
}

impl<W: Write> Html<W> {
    /// A page with no rows yet.
    pub fn new(out: W, start: Start<'_>) -> Html<W> {
        Html { out, page: Box::new(Page::new(start.schema.clone(), start.run.cloned())) }
    }
}

impl<W: Write> Exporter<W> for Html<W> {
    fn row(&mut self, cells: &[String]) -> Result<()> {
        self.page.add(cells);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<W> {
        let Html { mut out, page } = *self;
        page.write(&mut out)?;
        Ok(out)
    }
}

/// The note under a table that lists only the first rows.
fn more_note(total: usize, shown: usize) -> String {
    if total <= shown {
        return String::new();
    }
    format!(
        "<p class=\"meta\">The first {shown} of {total} rows are listed here, and {} more are not: the CSV or JSON Lines report (<code>--format csv</code>) has every row.</p>\n",
        total - shown
    )
}

fn host_port(host: &str, port: &str) -> String {
    if port.is_empty() { host.to_string() } else { format!("{host}:{port}") }
}

/// A horizontal bar per status, widths proportional to the counts.
fn chart(counts: &BTreeMap<Status, usize>) -> String {
    let max = counts.values().copied().max().unwrap_or(1).max(1);
    let (bar_h, label_w, width) = (22, 120, 560);
    let height = bar_h * counts.len().max(1) + 4;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"rows by status\">\n",
        label_w + width + 60
    );
    for (i, (status, n)) in counts.iter().enumerate() {
        let y = i * bar_h + 2;
        let w = (width * n / max).max(2);
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
<rect x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"{}\" fill=\"{}\"/>\
<text x=\"{}\" y=\"{}\" font-size=\"12\">{n}</text>",
            label_w - 6,
            y + 15,
            escape_html(status.as_str()),
            bar_h - 6,
            colour(*status),
            label_w + w + 6,
            y + 15
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_has_a_bar_per_status() {
        let counts = BTreeMap::from([(Status::Vulnerable, 3), (Status::Patched, 6)]);
        let svg = chart(&counts);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(">vulnerable<") && svg.contains(">6<"));
        assert!(svg.contains("width=\"560\""), "the largest count fills the width: {svg}");
    }
}
