//! What the user typed, validated into real types: the settings every
//! command shares.

use crate::assess::Status;
use crate::cli::{Common, Format};
use crate::table::Table;
use anyhow::{Result, bail};

/// Validated settings common to every command.
#[derive(Debug, Clone)]
pub struct Config {
    pub table: Table,
    /// `None`: the command's default.
    pub format: Option<Format>,
    pub fail_on: Vec<Status>,
    pub quiet: bool,
    pub verbose: bool,
}

impl Config {
    pub fn from_cli(common: &Common) -> Result<Config> {
        let table = match &common.table {
            Some(path) => Table::load(path)?,
            None => Table::builtin(),
        };
        Ok(Config {
            table,
            format: common.format,
            fail_on: parse_fail_on(&common.fail_on)?,
            quiet: common.quiet,
            verbose: common.verbose,
        })
    }

    /// Whether rows with these statuses make the run exit 1.
    pub fn fails(&self, statuses: impl IntoIterator<Item = Status>) -> bool {
        statuses.into_iter().any(|s| self.fail_on.contains(&s))
    }
}

fn parse_fail_on(items: &[String]) -> Result<Vec<Status>> {
    let mut out = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match Status::parse(item) {
            Some(status) => out.push(status),
            None => {
                let known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                bail!("--fail-on: unknown status {item:?}; known: {}", known.join(", "))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_reads_statuses_and_rejects_others() {
        let ok = parse_fail_on(&["vulnerable".into(), " su-unknown".into(), "".into()]).unwrap();
        assert_eq!(ok, [Status::Vulnerable, Status::SuUnknown]);
        let err = parse_fail_on(&["vulnerabel".into()]).unwrap_err().to_string();
        assert!(err.contains("vulnerabel") && err.contains("su-unknown"), "{err}");
    }
}
