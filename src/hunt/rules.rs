//! Test-ProxyLogon's checks as versioned data (`data/test-proxylogon.csv`):
//! each rule's id, CVE, log family, how it matches and the function of
//! Microsoft's script it comes from, with the script's commit in the file's
//! `# source:` line. Parsed once; tests check the table is whole.

use anyhow::{Context, Result, bail};

/// The rules built in.
pub const BUILTIN: &str = include_str!("../../data/test-proxylogon.csv");

/// Which logs a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `Logging/HttpProxy/**/*.log`.
    HttpProxy,
    /// `Logging/HttpProxy/Ecp/**/*.log` only.
    HttpProxyEcp,
    /// `Logging/ECP/Server/*.log`.
    EcpServer,
    /// `Logging/OABGeneratorLog/**`.
    OabGenerator,
    /// An exported Application event log (CSV, or `wevtutil qe /f:xml`).
    EventLog,
    /// The collected files and file listings.
    Files,
}

impl Family {
    fn parse(text: &str) -> Option<Family> {
        Some(match text {
            "httpproxy" => Family::HttpProxy,
            "httpproxy-ecp" => Family::HttpProxyEcp,
            "ecp-server" => Family::EcpServer,
            "oabgenerator" => Family::OabGenerator,
            "eventlog" => Family::EventLog,
            "files" => Family::Files,
            _ => return None,
        })
    }

    /// The family's name in the findings report.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::HttpProxy => "HttpProxy",
            Family::HttpProxyEcp => "HttpProxy/Ecp",
            Family::EcpServer => "ECP/Server",
            Family::OabGenerator => "OABGeneratorLog",
            Family::EventLog => "Application event log",
            Family::Files => "files",
        }
    }
}

/// How a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A CSV column `-like` the pattern.
    Field,
    /// The whole line `-like` the pattern.
    Line,
    /// A line `-like` the pattern, naming a temporary file outside `except`.
    OabPath,
    /// An Application event of a provider and level, message `-like` the pattern.
    Event,
    /// A file in a folder `-like` `field`, named `-like` the pattern.
    Path,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The rule's id.
    pub id: String,
    /// The CVE it is a sign of exploiting (empty for post-exploitation signs).
    pub cve: String,
    /// The logs it reads.
    pub family: Family,
    /// How it matches.
    pub kind: Kind,
    /// The CSV column, the event provider or the folder pattern.
    pub field: String,
    /// The `-like` pattern (`|`-separated alternatives for `Path`).
    pub pattern: String,
    /// Patterns (or a path part) that exclude a match.
    pub except: String,
    /// The HTTP status, event level, or `baseline`.
    pub status: String,
    /// The function of Test-ProxyLogon.ps1 it comes from.
    pub source: String,
}

/// The rules and where they come from.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Every rule, in file order.
    pub rules: Vec<Rule>,
    /// The `# source:` line: the script and its commit.
    pub source: String,
}

impl Rules {
    /// The built-in rules.
    pub fn builtin() -> Rules {
        Rules::parse(BUILTIN).expect("the built-in rules parse (tested)")
    }

    /// Parses a rules file.
    pub fn parse(text: &str) -> Result<Rules> {
        let source = text
            .lines()
            .find_map(|l| l.strip_prefix("# source:"))
            .map(|s| s.trim().to_string())
            .context("the rules name no # source: line")?;
        let body: String = text.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect();
        let mut rdr = csv::Reader::from_reader(body.as_bytes());
        let mut rules = Vec::new();
        for (i, record) in rdr.records().enumerate() {
            let r = record?;
            let cell = |n: usize| r.get(n).unwrap_or("").to_string();
            let family =
                Family::parse(&cell(2)).with_context(|| format!("rule {}: unknown family {:?}", i + 1, cell(2)))?;
            let kind = match cell(3).as_str() {
                "field" => Kind::Field,
                "line" => Kind::Line,
                "oab-path" => Kind::OabPath,
                "event" => Kind::Event,
                "path" => Kind::Path,
                other => bail!("rule {}: unknown kind {other:?}", i + 1),
            };
            rules.push(Rule {
                id: cell(0),
                cve: cell(1),
                family,
                kind,
                field: cell(4),
                pattern: cell(5),
                except: cell(6),
                status: cell(7),
                source: cell(8),
            });
        }
        Ok(Rules { rules, source })
    }

    /// The rules of one family.
    pub fn of(&self, family: Family) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |r| r.family == family)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_rules_are_whole_and_cite_the_script_s_commit() {
        let rules = Rules::builtin();
        assert!(rules.source.contains("Test-ProxyLogon.ps1 at commit 8f45e40688533560ece4b65a26151bc5ad795b14"));
        let mut ids: Vec<&str> = rules.rules.iter().map(|r| r.id.as_str()).collect();
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "ids are unique");
        for cve in ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"] {
            assert!(rules.rules.iter().any(|r| r.cve == cve), "{cve} has a rule");
        }
        assert!(rules.rules.iter().all(|r| !r.pattern.is_empty() && !r.source.is_empty()));
        assert!(Rules::parse("id,cve\n").is_err(), "a file without its source is refused");
    }
}
