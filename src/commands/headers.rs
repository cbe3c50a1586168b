//! `headers`: the Exchange servers that mail passed through, judged from
//! their `Received:` headers — passive evidence, nothing is scanned.

use crate::Outcome;
use crate::assess::{self, judge_each};
use crate::config::{Config, Rows};
use crate::mail::{self, Hop};
use crate::report::Format;
use crate::report::summary::Summary;
use crate::report::{Row, outputs};
use anyhow::{Context, Result};
use std::io;
use std::path::Path;

/// The largest message file (or stdin) read.
const MAX_MESSAGES: u64 = 256 * crate::bounded::MIB;

/// `headers`: one report row per Exchange server named in the mail headers
/// of `files` (`-`: stdin), its newest sighting; the summary on stderr.
pub fn headers(config: &Config, files: &[String], output: &[String]) -> Result<Outcome> {
    let inputs: Vec<&Path> =
        config.input_files().into_iter().chain(files.iter().filter(|f| *f != "-").map(Path::new)).collect();
    super::runtime::remove_partial_reports_on_signal()?;
    let planned = outputs::plan(output, config.format, Format::Csv)?;
    outputs::check(&planned, &inputs)?;
    let data = super::data::judging_data(config)?;
    let opened = outputs::open(&planned, &inputs)?;
    let mut hops: Vec<Hop> = Vec::new();
    for file in files {
        // A mailbox export may be large, but not endless.
        let bytes = if file == "-" {
            crate::bounded::read_from(io::stdin(), MAX_MESSAGES).context("stdin")?
        } else {
            crate::bounded::read(std::path::Path::new(file), MAX_MESSAGES, "message file")?
        };
        let text = String::from_utf8_lossy(&bytes);
        hops.extend(mail::messages(&text).into_iter().flat_map(mail::hops));
    }
    let hops = mail::newest_per_server(hops);
    let run = crate::report::provenance::Run::now(config.table_ids(), config.data.catalog_date(), None)?
        .with_data(data.provenance.stamp());
    let mut writer =
        outputs::Reports::new(opened, &crate::report::Layout { run: Some(run), ..config.layout(false, Vec::new()) })?;
    let mut summary = Summary::default();
    for hop in &hops {
        let row = row(hop, config);
        summary.add(&row);
        writer.write(&row)?;
    }
    let place = writer.finish()?;
    if !config.quiet {
        if hops.is_empty() {
            eprintln!("no Exchange hop in {} file(s)", files.len());
        }
        summary.write(&mut io::stderr().lock(), &place)?;
    }
    Ok(config.outcome(&summary.seen, false, Rows::MayBeNone))
}

/// The report row for one server's newest sighting.
fn row(hop: &Hop, config: &Config) -> Row {
    let seen = hop
        .at
        .map(|t| format!("seen in a mail header dated {t}"))
        .unwrap_or_else(|| "seen in an undated mail header".into());
    let judged = judge_each(&config.tables, |table| {
        let mut v = assess::mail_hop(hop.build, hop.cloud, table);
        v.detail = format!("{}; {seen}", v.detail);
        v
    });
    let row = Row::judged(judged, config.table_ids(), &config.data, &config.tables);
    Row { host: hop.server.clone(), ..row.at(hop.at.unwrap_or_else(jiff::Timestamp::now)) }
}
