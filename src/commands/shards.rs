//! What `merge` checks before it joins shard reports (issue 12): each
//! report's provenance columns say which inventory (SHA-256, line count),
//! which tables and advisories and which shard K/N it was made from; shards
//! of another inventory or other tables, a shard given twice, rows of
//! several shards in one report and unknown statuses are refused, naming the
//! report. Pure: reports in, a verdict out.

use crate::assess::Status;
use crate::report::provenance;
use crate::report::read::ReadReport;
use anyhow::{Result, bail};
use std::collections::BTreeMap;
use std::path::Path;

/// One report's provenance, as its rows state it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Made {
    shard: (u64, u64),
    sha256: String,
    lines: String,
    tables: String,
    advisories: String,
}

/// The shards the reports are: their count N, and which report is shard K.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Shards<'a> {
    /// N, from the first report with rows (`None`: no report had rows).
    pub count: Option<u64>,
    /// Which report is shard K.
    pub by_index: BTreeMap<u64, &'a Path>,
}

/// Checks the reports against each other and against the inventory's
/// fingerprint (`sha256`, `lines`). A report without rows says nothing and
/// is accepted as it is.
pub fn check<'a>(reports: &[(&'a Path, &ReadReport)], sha256: &str, lines: u64) -> Result<Shards<'a>> {
    let mut shards = Shards::default();
    let mut first: Option<(&Path, Made)> = None;
    for &(path, report) in reports {
        let Some(made) = provenance_of(path, report)? else { continue };
        if made.sha256 != sha256 || made.lines != lines.to_string() {
            bail!(
                "{} was cut from another inventory (SHA-256 {}, {} lines); the --inventory has SHA-256 {sha256}, {lines} lines",
                path.display(),
                made.sha256,
                made.lines
            );
        }
        let (k, n) = made.shard;
        if let Some((first_path, first)) = &first {
            if (&made.tables, &made.advisories) != (&first.tables, &first.advisories) {
                bail!(
                    "{} was judged against {} ({}), {} against {} ({}): shards of one run use the same tables",
                    path.display(),
                    made.tables,
                    made.advisories,
                    first_path.display(),
                    first.tables,
                    first.advisories
                );
            }
            if n != first.shard.1 {
                bail!("{} is shard {k}/{n}, {} is one of {}", path.display(), first_path.display(), first.shard.1);
            }
        } else {
            first = Some((path, made.clone()));
            shards.count = Some(n);
        }
        if let Some(other) = shards.by_index.insert(k, path) {
            bail!("{} and {} are both shard {k}/{n}", other.display(), path.display());
        }
    }
    Ok(shards)
}

/// A report's provenance, the same on every row (`None`: no rows); its
/// statuses must all be known.
fn provenance_of(path: &Path, report: &ReadReport) -> Result<Option<Made>> {
    let column = |name: &str| {
        report.column(name).map_err(|_| {
            anyhow::anyhow!(
                "{} has no {name:?} column: merge needs reports from `scan --shard K/N`, which record what they were made from",
                path.display()
            )
        })
    };
    let at: Vec<usize> = provenance::COLUMNS.iter().map(|c| column(c)).collect::<Result<_>>()?;
    let (table, line) = (column("table")?, column("line")?);
    let statuses: Vec<usize> = report
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| *c == "status" || c.starts_with("status_"))
        .map(|(i, _)| i)
        .collect();
    let mut made: Option<Made> = None;
    for row in &report.rows {
        for &i in &statuses {
            if Status::parse(&row[i]).is_none() {
                bail!("{}: inventory line {}: unknown status {:?}", path.display(), row[line], row[i]);
            }
        }
        let shard = crate::shard::Shard::parse(&row[at[0]])
            .map_err(|_| anyhow::anyhow!("{}: {:?} is not a shard K/N", path.display(), row[at[0]]))?;
        let this = Made {
            shard: (shard.index, shard.count),
            sha256: row[at[1]].clone(),
            lines: row[at[2]].clone(),
            tables: row[table].clone(),
            advisories: row[at[3]].clone(),
        };
        match &made {
            Some(m) if *m != this => {
                bail!(
                    "{}: inventory line {} comes from another shard or run than the rows before it",
                    path.display(),
                    row[line]
                )
            }
            Some(_) => {}
            None => made = Some(this),
        }
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "ab12";

    fn report(rows: &[[&str; 4]]) -> ReadReport {
        // shard, sha256, table, status
        let columns = ["line", "status", "table", "shard", "inventory_sha256", "inventory_lines", "advisories"];
        ReadReport {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, [shard, sha, table, status])| {
                    [&(i + 2).to_string(), *status, table, shard, sha, "10", "proxylogon"]
                        .iter()
                        .map(|c| c.to_string())
                        .collect()
                })
                .collect(),
        }
    }

    fn verdict(reports: &[ReadReport]) -> Result<Vec<u64>, String> {
        let paths: Vec<std::path::PathBuf> = (0..reports.len()).map(|i| format!("s{i}.csv").into()).collect();
        let pairs: Vec<(&Path, &ReadReport)> = paths.iter().map(|p| p.as_path()).zip(reports).collect();
        check(&pairs, SHA, 10).map(|s| s.by_index.keys().copied().collect()).map_err(|e| e.to_string())
    }

    #[test]
    fn shards_that_do_not_belong_together_are_refused_by_name() {
        let ok = |shard: &'static str| report(&[[shard, SHA, "t@1", "vulnerable"], [shard, SHA, "t@1", "patched"]]);
        type Case = (Vec<ReadReport>, Result<Vec<u64>, &'static str>);
        let cases: Vec<Case> = vec![
            (vec![ok("0/2"), ok("1/2")], Ok(vec![0, 1])),
            (vec![ok("1/3")], Ok(vec![1])),
            (vec![ok("0/2"), report(&[])], Ok(vec![0])),
            (vec![ok("0/2"), ok("0/2")], Err("s0.csv and s1.csv are both shard 0/2")),
            (vec![ok("0/2"), ok("1/3")], Err("s1.csv is shard 1/3, s0.csv is one of 2")),
            (
                vec![ok("0/2"), report(&[["1/2", "ffff", "t@1", "patched"]])],
                Err("s1.csv was cut from another inventory"),
            ),
            (vec![ok("0/2"), report(&[["1/2", SHA, "t@2", "patched"]])], Err("s1.csv was judged against t@2")),
            (vec![report(&[["0/2", SHA, "t@1", "vulnerabel"]])], Err("s0.csv: inventory line 2: unknown status")),
            (
                vec![report(&[["0/2", SHA, "t@1", "patched"], ["1/2", SHA, "t@1", "patched"]])],
                Err("s0.csv: inventory line 3 comes from another shard"),
            ),
        ];
        for (reports, want) in cases {
            match (verdict(&reports), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want),
                (Err(got), Err(want)) => assert!(got.contains(want), "{got} / {want}"),
                (got, want) => panic!("{got:?}, wanted {want:?}"),
            }
        }
        let bare = ReadReport { columns: vec!["line".into(), "status".into()], rows: Vec::new() };
        let err = verdict(&[bare]).unwrap_err();
        assert!(err.contains("no \"shard\" column"), "{err}");
    }
}
