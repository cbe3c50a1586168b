//! Signs of compromise in an Exchange server's collected logs, by
//! Test-ProxyLogon's published checks held as data (`rules`): HttpProxy
//! logs (CVE-2021-26855, and CVE-2021-27065's ECP reset), ECP server logs
//! (CVE-2021-27065), OABGenerator logs (CVE-2021-26858), an exported
//! Application event log (CVE-2021-26857), and web shells, LSASS dumps and
//! archives over the collected files and file listings. Every log family's
//! oldest and newest entry is kept, so the verdict says how far back the
//! logs reach; it never says "clean". Logs are hostile input: every string
//! kept is cleaned (`sanitize`), lines are capped, findings per rule are
//! capped. Files are read only; nothing is ever contacted.

pub mod like;
pub mod rules;
pub mod source;

use crate::import::lines::{Line, Lines};
use crate::sanitize::{clean, clean_long};
use like::{like, like_any};
use rules::{Family, Kind, Rule, Rules};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, BufRead};

/// The longest log line read; a longer one is skipped (and counted).
pub const MAX_LINE: usize = 64 * 1024;
/// The most findings kept per rule and server; the rest are counted.
pub const MAX_FINDINGS: usize = 1_000;
/// ProxyLogon's exploitation was seen from early 2021; logs that start
/// after this day cannot show it.
pub const LOGS_NEEDED_FROM: &str = "2021-03-01T00:00:00Z";

/// One finding: a rule's match in a log line, an event or a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finding {
    /// The rule's id.
    pub rule: String,
    /// The CVE it is a sign of (empty for a post-exploitation sign).
    pub cve: String,
    /// The log family.
    pub family: String,
    /// The file it was found in (relative to the collected folder).
    pub file: String,
    /// The line in that file.
    pub line: Option<u64>,
    /// The entry's time, as the log wrote it (cleaned).
    pub time: String,
    /// The client's address (HttpProxy rows).
    pub client_ip: String,
    /// The URL stem (HttpProxy rows).
    pub url: String,
    /// The user agent (HttpProxy rows), cleaned.
    pub user_agent: String,
    /// The AnchorMailbox (HttpProxy rows), cleaned.
    pub anchor_mailbox: String,
    /// The HTTP status (HttpProxy rows).
    pub http_status: String,
    /// What matched, in a few words.
    pub detail: String,
}

/// The oldest and newest entry of a log family (ISO 8601 text, compared as text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span {
    /// The oldest entry's time.
    pub oldest: Option<String>,
    /// The newest entry's time.
    pub newest: Option<String>,
}

impl Span {
    fn add(&mut self, stamp: &[u8]) {
        let s = || String::from_utf8_lossy(stamp).into_owned();
        if self.oldest.as_deref().is_none_or(|o| stamp < o.as_bytes()) {
            self.oldest = Some(s());
        }
        if self.newest.as_deref().is_none_or(|n| stamp > n.as_bytes()) {
            self.newest = Some(s());
        }
    }

    fn merge(&mut self, other: &Span) {
        for stamp in [&other.oldest, &other.newest].into_iter().flatten() {
            self.add(stamp.as_bytes());
        }
    }

    /// `2021-01-05–2021-04-01` (days), for the verdict.
    pub fn days(&self) -> String {
        let day = |s: &Option<String>| s.as_deref().map(|s| s.get(..10).unwrap_or(s).to_string()).unwrap_or_default();
        format!("{}–{}", day(&self.oldest), day(&self.newest))
    }
}

/// The verdict for one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compromise {
    /// At least one rule matched.
    IndicatorsFound(usize),
    /// No rule matched, over logs covering this span (the latest family
    /// start to the newest entry).
    NoIndicators(Span),
    /// No rule matched, but these families start after the exploitation began.
    LogsTooYoung(Vec<String>),
    /// No log of any family was found: nothing was judged.
    NoLogs,
}

impl Compromise {
    /// The `compromise` column's text.
    pub fn text(&self) -> String {
        match self {
            Compromise::IndicatorsFound(_) => "indicators-found".into(),
            Compromise::NoIndicators(span) => format!("no-indicators (logs cover {})", span.days()),
            Compromise::LogsTooYoung(_) => "logs-too-young".into(),
            Compromise::NoLogs => "no-logs".into(),
        }
    }
}

/// What the hunt over one server found.
#[derive(Debug, Default)]
pub struct Hunter<'r> {
    rules: Option<&'r Rules>,
    baseline: Option<&'r HashSet<String>>,
    /// The findings, in the order found.
    pub findings: Vec<Finding>,
    /// Findings per rule beyond `MAX_FINDINGS`, by rule id.
    pub dropped: BTreeMap<String, usize>,
    /// Each log family's span.
    pub coverage: BTreeMap<&'static str, Span>,
    /// What was skipped or could not be read.
    pub notes: Vec<String>,
    per_rule: HashMap<String, usize>,
    long_lines: u64,
    needs_baseline: bool,
}

/// Where a file's content goes, from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    HttpProxy { ecp: bool },
    EcpServer,
    Oab,
    EventCsv,
    EventXml,
    Listing,
    Other,
}

fn content_of(path: &str) -> Content {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('\\').next().unwrap_or(&lower);
    if lower.contains("\\logging\\httpproxy\\") && name.ends_with(".log") {
        Content::HttpProxy { ecp: lower.contains("\\logging\\httpproxy\\ecp\\") }
    } else if lower.contains("\\logging\\ecp\\server\\") && name.ends_with(".log") {
        Content::EcpServer
    } else if lower.contains("\\logging\\oabgeneratorlog\\") {
        Content::Oab
    } else if name.contains("application") && name.ends_with(".csv") {
        Content::EventCsv
    } else if name.contains("application") && name.ends_with(".xml") {
        Content::EventXml
    } else if name.ends_with(".txt")
        && (name.starts_with("dir") || name.contains("filelist") || name.contains("listing") || name == "files.txt")
    {
        Content::Listing
    } else {
        Content::Other
    }
}

/// A log line's first field, when it is an ISO 8601 time (`2021-03-02T…`).
fn stamp(line: &[u8]) -> Option<&[u8]> {
    let end = memchr::memchr(b',', line).unwrap_or(line.len());
    let field = line[..end].strip_prefix(b"\"").unwrap_or(&line[..end]);
    let field = field.strip_suffix(b"\"").unwrap_or(field);
    (field.len() >= 19 && field[..4].iter().all(u8::is_ascii_digit) && field[4] == b'-' && field[10] == b'T')
        .then_some(field)
}

impl<'r> Hunter<'r> {
    /// A hunt with these rules; `baseline` is Microsoft's file list for the
    /// build (lower-cased relative paths), when given.
    pub fn new(rules: &'r Rules, baseline: Option<&'r HashSet<String>>) -> Hunter<'r> {
        Hunter { rules: Some(rules), baseline, ..Hunter::default() }
    }

    fn rules(&self) -> &'r Rules {
        self.rules.expect("made by Hunter::new")
    }

    /// Reads one collected file.
    pub fn file(&mut self, path: &str, reader: &mut dyn BufRead) -> io::Result<()> {
        self.path(path, path, None);
        match content_of(path) {
            Content::HttpProxy { ecp } => self.http_proxy(path, ecp, reader),
            Content::EcpServer => self.lines(path, Family::EcpServer, reader),
            Content::Oab => self.lines(path, Family::OabGenerator, reader),
            Content::EventCsv => self.event_csv(path, reader),
            Content::EventXml => self.event_xml(path, reader),
            Content::Listing => self.listing(path, reader),
            Content::Other => Ok(()),
        }
    }

    fn push(&mut self, rule: &Rule, finding: Finding) {
        let n = self.per_rule.entry(rule.id.clone()).or_default();
        *n += 1;
        if *n > MAX_FINDINGS {
            *self.dropped.entry(rule.id.clone()).or_default() += 1;
            return;
        }
        self.findings.push(Finding {
            rule: rule.id.clone(),
            cve: rule.cve.clone(),
            family: rule.family.as_str().into(),
            ..finding
        });
    }

    fn http_proxy(&mut self, path: &str, ecp: bool, reader: &mut dyn BufRead) -> io::Result<()> {
        let mut lines = Lines::new(reader, MAX_LINE);
        let mut header: Vec<String> = Vec::new();
        let mut span = Span::default();
        let rules: Vec<&Rule> = self
            .rules()
            .rules
            .iter()
            .filter(|r| {
                r.kind == Kind::Field && (r.family == Family::HttpProxy || (ecp && r.family == Family::HttpProxyEcp))
            })
            .collect();
        while let Some((n, line)) = lines.next_line()? {
            let text = match line {
                Line::Text(t) => t,
                Line::TooLong(_) => {
                    self.long_lines += 1;
                    continue;
                }
            };
            if let Some(fields) = text.strip_prefix(b"#Fields:") {
                header = String::from_utf8_lossy(fields).split(',').map(|f| f.trim().to_ascii_lowercase()).collect();
                continue;
            }
            if text.starts_with(b"#") {
                continue;
            }
            if header.is_empty() && text.starts_with(b"DateTime,") {
                header = String::from_utf8_lossy(text).split(',').map(|f| f.trim().to_ascii_lowercase()).collect();
                continue;
            }
            if let Some(s) = stamp(text) {
                span.add(s);
            }
            // Test-ProxyLogon reads only files with `ServerInfo~` in them: a
            // line without it cannot match, and most lines have no `~` at all.
            if !has_server_info(text) {
                continue;
            }
            let Some(record) = csv_record(text) else { continue };
            let get = |name: &str| header.iter().position(|h| h == name).and_then(|i| record.get(i)).unwrap_or("");
            for rule in &rules {
                let value = get(&rule.field.to_ascii_lowercase());
                if !like(value.as_bytes(), rule.pattern.as_bytes()) || like_any(value.as_bytes(), &rule.except) {
                    continue;
                }
                if !rule.status.is_empty() && get("httpstatus") != rule.status {
                    continue;
                }
                let finding = Finding {
                    file: clean_long(path),
                    line: Some(n),
                    time: clean(get("datetime")),
                    client_ip: clean(get("clientipaddress")),
                    url: clean_long(get("urlstem")),
                    user_agent: clean_long(get("useragent")),
                    anchor_mailbox: clean_long(get("anchormailbox")),
                    http_status: clean(get("httpstatus")),
                    detail: format!("{} -like {}", rule.field, rule.pattern),
                    ..Finding::default()
                };
                self.push(rule, finding);
            }
        }
        self.coverage.entry(Family::HttpProxy.as_str()).or_default().merge(&span);
        Ok(())
    }

    fn lines(&mut self, path: &str, family: Family, reader: &mut dyn BufRead) -> io::Result<()> {
        let rules: Vec<Rule> = self.rules().of(family).cloned().collect();
        let mut lines = Lines::new(reader, MAX_LINE);
        while let Some((n, line)) = lines.next_line()? {
            let text = match line {
                Line::Text(t) => t,
                Line::TooLong(_) => {
                    self.long_lines += 1;
                    continue;
                }
            };
            if let Some(s) = stamp(text) {
                self.coverage.entry(family.as_str()).or_default().add(s);
            }
            for rule in &rules {
                if !like(text, rule.pattern.as_bytes()) {
                    continue;
                }
                let line_text = String::from_utf8_lossy(text);
                let detail = match rule.kind {
                    Kind::OabPath => match temporary_file(&line_text) {
                        Some(file) if !file.to_ascii_lowercase().contains(&rule.except.to_ascii_lowercase()) => {
                            format!("a download to {} (outside the OAB folder)", clean_long(&file))
                        }
                        _ => continue,
                    },
                    _ => format!("line -like {}", rule.pattern),
                };
                let time = stamp(text).map(|s| clean(&String::from_utf8_lossy(s))).unwrap_or_default();
                let finding = Finding { file: clean_long(path), line: Some(n), time, detail, ..Finding::default() };
                self.push(rule, finding);
            }
        }
        Ok(())
    }

    /// An Application event: judged by the event rules, and counted for coverage.
    fn event(&mut self, path: &str, line: Option<u64>, event: &Event) {
        if let Some(t) = &event.time {
            self.coverage.entry(Family::EventLog.as_str()).or_default().add(t.as_bytes());
        }
        let rules: Vec<Rule> = self.rules().of(Family::EventLog).cloned().collect();
        for rule in &rules {
            let level_ok =
                event.level.eq_ignore_ascii_case(&rule.status) || (rule.status == "Error" && event.level == "2");
            if event.provider.eq_ignore_ascii_case(&rule.field)
                && level_ok
                && like(event.message.as_bytes(), rule.pattern.as_bytes())
            {
                let finding = Finding {
                    file: clean_long(path),
                    line,
                    time: clean(event.time.as_deref().unwrap_or("")),
                    detail: format!("{} error: {}", rule.field, clean_long(&event.message)),
                    ..Finding::default()
                };
                self.push(rule, finding);
            }
        }
    }

    fn event_csv(&mut self, path: &str, reader: &mut dyn BufRead) -> io::Result<()> {
        let mut lines = Lines::new(reader, MAX_LINE);
        let mut header: Vec<String> = Vec::new();
        let mut record: Vec<u8> = Vec::new();
        let mut start = 0;
        while let Some((n, line)) = lines.next_line()? {
            let Line::Text(text) = line else {
                self.long_lines += 1;
                record.clear();
                continue;
            };
            if record.is_empty() {
                start = n;
            } else {
                record.push(b'\n');
            }
            record.extend_from_slice(text);
            // A quoted message runs over several lines: wait for its quotes to close.
            if record.iter().filter(|b| **b == b'"').count() % 2 == 1 {
                if record.len() > 16 * MAX_LINE {
                    self.long_lines += 1;
                    record.clear();
                }
                continue;
            }
            let Some(cells) = csv_record(&record) else {
                record.clear();
                continue;
            };
            record.clear();
            if header.is_empty() {
                header = cells.iter().map(|c| c.trim().to_ascii_lowercase()).collect();
                continue;
            }
            let pick = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|n| header.iter().position(|h| h == n))
                    .and_then(|i| cells.get(i))
                    .unwrap_or("")
                    .to_string()
            };
            // Event Viewer's "Save as CSV" leaves the message's column unnamed (the sixth).
            let message = match header.iter().position(|h| h == "message") {
                Some(i) => cells.get(i).unwrap_or("").to_string(),
                None => cells.iter().skip(header.len()).collect::<Vec<_>>().join(","),
            };
            let time = event_time(&pick(&["timecreated", "date and time"]));
            let event = Event {
                provider: pick(&["providername", "source"]),
                level: pick(&["leveldisplayname", "level"]),
                time,
                message,
            };
            self.event(path, Some(start), &event);
        }
        Ok(())
    }

    fn event_xml(&mut self, path: &str, reader: &mut dyn BufRead) -> io::Result<()> {
        use quick_xml::events::Event as X;
        let mut xml = quick_xml::Reader::from_reader(reader);
        let mut buf = Vec::new();
        let mut event = Event::default();
        let mut open: Vec<Vec<u8>> = Vec::new();
        loop {
            let ev = match xml.read_event_into(&mut buf) {
                Ok(ev) => ev,
                Err(err) => {
                    self.notes.push(format!(
                        "{}: not well-formed XML after event data ({})",
                        clean_long(path),
                        clean(&err.to_string())
                    ));
                    return Ok(());
                }
            };
            match ev {
                X::Start(ref e) | X::Empty(ref e) => {
                    let is_start = matches!(ev, X::Start(_));
                    let name = e.local_name().as_ref().to_vec();
                    let attr = |key: &[u8]| {
                        e.attributes()
                            .flatten()
                            .find(|a| a.key.local_name().as_ref() == key)
                            .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                    };
                    match name.as_slice() {
                        b"Event" => event = Event::default(),
                        b"Provider" => event.provider = attr(b"Name").unwrap_or_default(),
                        b"TimeCreated" => event.time = attr(b"SystemTime"),
                        _ => {}
                    }
                    if is_start {
                        open.push(name);
                    }
                }
                X::Text(t) => {
                    let text = t.unescape().map(|c| c.into_owned()).unwrap_or_default();
                    match open.last().map(Vec::as_slice) {
                        Some(b"Level") => event.level = text.trim().to_string(),
                        Some(b"Data") | Some(b"Message") if event.message.len() < MAX_LINE => {
                            event.message.push_str(&text);
                            event.message.push(' ');
                        }
                        _ => {}
                    }
                }
                X::End(e) => {
                    open.pop();
                    if e.local_name().as_ref() == b"Event" {
                        let done = std::mem::take(&mut event);
                        self.event(path, None, &done);
                    }
                }
                X::Eof => return Ok(()),
                _ => {}
            }
            buf.clear();
        }
    }

    fn listing(&mut self, path: &str, reader: &mut dyn BufRead) -> io::Result<()> {
        let mut lines = Lines::new(reader, MAX_LINE);
        while let Some((n, line)) = lines.next_line()? {
            let Line::Text(text) = line else { continue };
            let listed = String::from_utf8_lossy(text);
            let listed = listed.trim();
            if !listed.is_empty() {
                self.path(listed, path, Some(n));
            }
        }
        Ok(())
    }

    /// The path rules over one file path (collected, or named by a listing at `line` of `file`).
    fn path(&mut self, listed: &str, file: &str, line: Option<u64>) {
        let norm = listed.replace('/', "\\");
        let name = norm.rsplit('\\').next().unwrap_or(&norm);
        let rules: Vec<Rule> = self.rules().of(Family::Files).cloned().collect();
        for rule in &rules {
            if !like_any(norm.as_bytes(), &rule.field) || !like_any(name.as_bytes(), &rule.pattern) {
                continue;
            }
            if rule.status == "baseline" {
                match self.baseline {
                    None => {
                        self.needs_baseline = true;
                        continue;
                    }
                    Some(known) if known.contains(&product_key(&norm)) => continue,
                    Some(_) => {}
                }
            }
            let what = if rule.status == "baseline" {
                "not in the build's file baseline"
            } else {
                "in a folder the rule names"
            };
            let finding = Finding {
                file: clean_long(file),
                line,
                detail: format!("{} ({what})", clean_long(listed)),
                ..Finding::default()
            };
            self.push(rule, finding);
        }
    }

    /// The verdict: indicators, or how far back the logs reach.
    pub fn verdict(&self) -> Compromise {
        if !self.findings.is_empty() {
            return Compromise::IndicatorsFound(self.findings.len() + self.dropped.values().sum::<usize>());
        }
        let spans: Vec<(&str, &Span)> =
            self.coverage.iter().filter(|(_, s)| s.oldest.is_some()).map(|(f, s)| (*f, s)).collect();
        if spans.is_empty() {
            return Compromise::NoLogs;
        }
        let young: Vec<String> = spans
            .iter()
            .filter(|(_, s)| s.oldest.as_deref().is_some_and(|o| o > LOGS_NEEDED_FROM))
            .map(|(f, s)| format!("{f} from {}", s.days().split('–').next().unwrap_or("")))
            .collect();
        if !young.is_empty() {
            return Compromise::LogsTooYoung(young);
        }
        let latest_start = spans.iter().filter_map(|(_, s)| s.oldest.clone()).max();
        let newest = spans.iter().filter_map(|(_, s)| s.newest.clone()).max();
        Compromise::NoIndicators(Span { oldest: latest_start, newest })
    }

    /// The notes on what the hunt could not do (skipped lines, a missing baseline, capped findings).
    pub fn caveats(&self) -> Vec<String> {
        let mut out = self.notes.clone();
        if self.long_lines > 0 {
            out.push(format!("{} lines over {} KiB skipped", self.long_lines, MAX_LINE >> 10));
        }
        if self.needs_baseline {
            out.push("script files in the product's folders were not checked: give --baseline (Microsoft's file baseline for the build)".into());
        }
        for (rule, n) in &self.dropped {
            out.push(format!("{n} more {rule} findings not listed"));
        }
        out
    }
}

/// An Application event, from whichever export.
#[derive(Debug, Clone, Default)]
struct Event {
    provider: String,
    level: String,
    time: Option<String>,
    message: String,
}

/// Whether a line holds `ServerInfo~` (any letter case).
fn has_server_info(line: &[u8]) -> bool {
    memchr::memchr_iter(b'~', line).any(|at| at >= 10 && line[at - 10..at].eq_ignore_ascii_case(b"serverinfo"))
}

fn csv_record(line: &[u8]) -> Option<csv::StringRecord> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(line);
    let mut record = csv::ByteRecord::new();
    rdr.read_byte_record(&mut record).ok()?;
    Some(csv::StringRecord::from_byte_record_lossy(record))
}

/// The temporary file an OABGenerator line names, quotes removed.
fn temporary_file(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let start = lower.find("temporary file ")? + "temporary file ".len();
    let end = start + lower[start..].find(" needs to be removed")?;
    Some(line[start..end].trim().trim_matches(['\'', '"']).to_string())
}

/// An event time as ISO 8601 text: ISO already, or Event Viewer's
/// `3/3/2021 5:46:21 AM` (US order, as its CSV writes on an en-US system).
fn event_time(text: &str) -> Option<String> {
    let text = text.trim();
    if text.len() >= 19 && text.as_bytes()[4] == b'-' {
        return Some(text.to_string());
    }
    let mut parts = text.split([' ', '/', ':']);
    let mut num = || parts.next().and_then(|p| p.parse::<u32>().ok());
    let (month, day, year, mut hour, minute, second) = (num()?, num()?, num()?, num()?, num()?, num()?);
    let pm = text.ends_with("PM");
    if text.ends_with("AM") && hour == 12 {
        hour = 0;
    } else if pm && hour < 12 {
        hour += 12;
    }
    Some(format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}"))
}

/// The key a product file has in Microsoft's baseline: its path below
/// `FrontEnd\HttpProxy\` or `ClientAccess\` (`owa\auth\logon.aspx`), lower-cased.
fn product_key(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    for root in ["\\frontend\\httpproxy\\", "\\clientaccess\\"] {
        if let Some(at) = lower.rfind(root) {
            return lower[at + root.len()..].to_string();
        }
    }
    lower
}

/// Reads Microsoft's baseline CSV (`HASH,BUILD,RELATIVE\PATH` a line) into the set of product file keys.
pub fn read_baseline(reader: &mut dyn BufRead) -> io::Result<HashSet<String>> {
    let mut out = HashSet::new();
    let mut lines = Lines::new(reader, MAX_LINE);
    while let Some((_, line)) = lines.next_line()? {
        if let Line::Text(t) = line
            && let Some(path) = String::from_utf8_lossy(t).splitn(3, ',').nth(2)
        {
            out.insert(path.trim().to_ascii_lowercase());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
