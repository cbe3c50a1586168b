//! `scan`: probe every inventory row (and `--target`) and write the
//! exposure report. This file is the glue: open the inputs and outputs,
//! build the prober, hand the rows to the `pipeline`, print the summary,
//! write the metrics, decide the outcome. `demo` shares `prober` and `run`.

use super::runtime::{self, init_logging, scanning, stop_on_signal};
use crate::config::{self, Config, Probing, Rows};
use crate::inventory::{self, Kind};
use crate::inventory::{Exclude, Expand};
use crate::pipeline::{self, Judging};
use crate::probe::{Prober, tls::Tls};
use crate::report::Format;
use crate::report::baseline::Baseline;
use crate::report::provenance::Provenance;
use crate::report::{self, Output};
use crate::shard::Shard;
use crate::{Outcome, metrics};
use anyhow::{Context, Result, bail, ensure};
use std::io::{self, BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};

/// `scan`, with its flags validated (`config::Scan`).
pub fn scan(config: &Config, args: config::Scan) -> Result<Outcome> {
    // The signal handlers come first: from here on, a signal ends the run in
    // order (the report written, no temporary file left), never by default.
    if config.verbose {
        init_logging(config.color);
    }
    runtime::block_on(|| {
        let stop = stop_on_signal();
        tracing::info!("signals handled; reading the inventory");
        prepare(config, args, stop)
    })
}

/// Everything before the first probe, inside the runtime: inputs read and
/// checked, outputs opened; then the scan itself, as a future.
fn prepare(
    config: &Config,
    args: config::Scan,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<impl Future<Output = Result<Outcome>>> {
    let config::Scan {
        inventory,
        host_column,
        targets,
        exclude,
        expand,
        shard,
        strict,
        rate,
        stats_every,
        outputs,
        metrics,
        baseline,
        accept,
        jsonl_provenance,
        notify,
        probing,
        input_files,
    } = args;
    let data = super::data::judging_data(config)?;
    let baseline_report = baseline.as_deref().map(Baseline::load).transpose()?;
    if let Some(warning) = baseline_report.as_ref().and_then(|b| b.tables_warning(&config.table_ids())) {
        eprintln!("exchange-exposure: {warning}");
    }
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let acceptances =
        accept.as_deref().map(|p| crate::accept::Acceptances::load(p, today)).transpose().context("--accept")?;
    // Every file the run reads, in one list: no report, nor the metrics, may be one.
    let inputs: Vec<&Path> = config.input_files().into_iter().chain(input_files.iter().map(PathBuf::as_path)).collect();
    // Refuse a bad -o before reading a possibly slow stdin.
    // At a terminal, a report on stdout is the aligned table; piped, CSV.
    let stdout_default = if io::stdout().is_terminal() { Format::Table } else { Format::Csv };
    let planned = report::outputs::plan(&outputs, config.format, stdout_default)?;
    report::outputs::check(&planned, &inputs)?;
    let metrics = metrics.as_deref().map(|m| metrics::Destination::check(m, &planned, &inputs)).transpose()?;
    let run = report::provenance::Run::now(
        config.table_ids(),
        config.data.catalog_date(),
        inventory.as_deref().filter(|p| *p != "-").map(Path::new),
    )?
    .with_data(data.provenance.stamp());
    let (rows, extra_columns, note): (pipeline::Entries, Vec<String>, _) = match &inventory {
        Some(path) => {
            let reader = open_inventory(path, host_column.as_deref())?;
            let (extras, note) = (reader.extra_columns.clone(), Some(reader.note()));
            (Box::new(reader), extras, note)
        }
        None => (Box::new(std::iter::empty()), Vec::new(), None),
    };
    let in_shard = move |e: &inventory::Entry| shard.is_none_or(|s| s.has(e));
    let target_rows = targets.iter().filter(|e| !exclude.covers(e) && in_shard(e)).count() as u64;
    // Known up front when every row is a --target; a terminal's bar also
    // counts an inventory that is a regular file first (cheap next to
    // probing). A pipe, FIFO or device is read once only, by the scan.
    let total = inventory.is_none().then_some(target_rows);
    let bar_total = match inventory.as_deref() {
        _ if !shows_bar(config) => None,
        None => total,
        Some(path) if std::fs::metadata(path).is_ok_and(|m| m.is_file()) => {
            count_rows(path, host_column.as_deref(), expand, &exclude, shard).map(|n| n + target_rows)
        }
        Some(_) => None,
    };
    // --target rows follow the inventory's, with empty pass-through cells.
    let width = extra_columns.len();
    let targets = targets.into_iter().map(move |mut e| {
        e.extras.resize(width, String::new());
        Ok(e)
    });
    let excluded = exclude.count.clone();
    let rows = rows
        .chain(targets)
        .flat_map(move |row| -> Box<dyn Iterator<Item = Result<inventory::Entry>> + Send> {
            match row {
                Ok(entry) => Box::new(expand.entry(entry).map(Ok)),
                Err(err) => Box::new(std::iter::once(Err(err))),
            }
        })
        .filter(move |row| row.as_ref().map_or(true, |e| exclude.keep(e) && in_shard(e)));
    let entries: pipeline::Entries = if strict {
        let all: Vec<_> = rows.collect::<Result<_>>()?;
        refuse_input_errors(&all)?;
        Box::new(all.into_iter().map(Ok))
    } else {
        Box::new(rows)
    };
    let provenance = match (shard, inventory.as_deref()) {
        (Some(shard), Some(path)) => Some(shard_provenance(config, path, shard)?),
        (Some(_), None) => bail!("--shard needs an inventory file (every shard must read the same one)"),
        (None, _) => None,
    };
    let prober = prober(&probing)?;
    let wanted = probing.concurrency;
    let fitted = crate::resources::fit_concurrency(wanted);
    let concurrency = fitted.concurrency;
    if let Some(soft) = fitted.lowered_by
        && !config.quiet
    {
        eprintln!(
            "exchange-exposure: warning: the open-file limit ({soft}) holds {concurrency} hosts probed at once, not {wanted}: --concurrency lowered to {concurrency} (raise the limit, e.g. ulimit -n or LimitNOFILE=, to probe more at once)"
        );
    }
    let max_connects = probing.max_connects.unwrap_or_else(|| crate::resources::default_max_connects(concurrency));
    // From here a signal stops the scan in order instead of ending the process.
    scanning();
    let output = report::outputs::open(&planned, &inputs)?;
    let progress = shows_bar(config).then(|| progress_bar(bar_total));
    let stats_every = stats_every.filter(|_| !config.quiet && !io::stderr().is_terminal());
    let pace = pipeline::Pace { rate, stats_every, total, excluded };
    let job = pipeline::Job {
        entries,
        prober,
        concurrency,
        max_connects,
        stop,
        baseline: baseline_report,
        accept: acceptances,
        progress,
        pace,
    };
    let columns = Columns { extras: extra_columns, provenance, run: Some(run), jsonl_provenance };
    Ok(async move {
        let outcome = run_pipeline(config, job, columns, output, After { metrics, notify }).await;
        if let Some(note) = note.and_then(|n| n.get()).filter(|_| !config.quiet) {
            eprintln!("{note}");
        }
        outcome
    })
}

/// The inventory at `path` (`-`: stdin), its header read.
fn open_inventory(path: &str, host_column: Option<&str>) -> Result<inventory::Reader> {
    let input: Box<dyn BufRead + Send> = if path == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open inventory {path}"))?;
        Box::new(BufReader::new(file))
    };
    inventory::Reader::with_host_column(input, host_column).with_context(|| format!("cannot read inventory {path}"))
}

/// The prober for these settings: the system's CA certificates, and the
/// extra ones `probing` names.
pub(super) fn prober(probing: &Probing) -> Result<Prober> {
    let tls = match &probing.ca {
        Some(ca) => Tls::new(Some(&ca.pem), &ca.label)?,
        None => Tls::new(None, "")?,
    };
    Prober::new(&probing.settings, tls)
}

/// `--strict`: every unusable row is named, and nothing is probed.
fn refuse_input_errors(entries: &[inventory::Entry]) -> Result<()> {
    let errors: Vec<&str> = entries
        .iter()
        .filter_map(|e| match &e.kind {
            Kind::Invalid(why) => Some(why.as_str()),
            _ => None,
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = errors.iter().take(10).map(|e| format!("  {}", crate::sanitize::printable(e))).collect();
    let more = if errors.len() > 10 { format!("\n  … and {} more", errors.len() - 10) } else { String::new() };
    bail!("--strict: {} unusable inventory rows, nothing probed:\n{}{more}", errors.len(), shown.join("\n"))
}

/// Whether a progress bar is drawn: stderr is a terminal, not `--quiet` or `-v`.
fn shows_bar(config: &Config) -> bool {
    !config.quiet && !config.verbose && io::stderr().is_terminal()
}

/// The rows an inventory file will give: ranges expanded, exclusions and
/// the shard applied (nothing counted as excluded: this is a dry pass).
fn count_rows(
    path: &str,
    host_column: Option<&str>,
    expand: Expand,
    exclude: &Exclude,
    shard: Option<Shard>,
) -> Option<u64> {
    let rows = open_inventory(path, host_column).ok()?;
    let kept = |e: &inventory::Entry| !exclude.covers(e) && shard.is_none_or(|s| s.has(e));
    Some(
        rows.map(|row| match row {
            Ok(entry) => expand.entry(entry).filter(kept).count() as u64,
            Err(_) => 1,
        })
        .sum(),
    )
}

/// The progress bar on stderr: done/total when the total is known, else a spinner.
fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let template = match total {
        Some(_) => "{spinner} {pos}/{len} hosts  {rate}  ETA {eta}  {wide_bar}",
        None => "{spinner} {pos} hosts  {rate}",
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0} hosts/s", state.per_sec());
        }));
    }
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar
}

/// `--shard`: what the shard report is made from. Every shard must read the
/// same inventory file, so stdin or a pipe is refused.
fn shard_provenance(config: &Config, inventory: &str, shard: Shard) -> Result<Provenance> {
    let path = Path::new(inventory);
    ensure!(
        inventory != "-" && std::fs::metadata(path).is_ok_and(|m| m.is_file()),
        "--shard needs the inventory as a file (every shard must read the same one), not {inventory}"
    );
    let (inventory_sha256, inventory_lines) = report::provenance::fingerprint(path)?;
    Ok(Provenance {
        shard: format!("{}/{}", shard.index, shard.count),
        inventory_sha256,
        inventory_lines,
        advisories: config.advisory_ids(),
    })
}

/// The report's columns beyond the tool's own: the inventory's, the shard
/// provenance, and the run's provenance.
pub(super) struct Columns {
    /// The inventory's pass-through columns.
    pub extras: Vec<String>,
    /// `--shard`: what the shard report is made from.
    pub provenance: Option<Provenance>,
    /// How the run was made (HTML, XLSX, and JSON Lines with `--provenance`).
    pub run: Option<report::provenance::Run>,
    /// `--provenance`: JSON Lines start with the run's record.
    pub jsonl_provenance: bool,
}

/// What a run does once its reports are written.
#[derive(Default)]
pub(super) struct After {
    /// `--metrics FILE`, opened.
    pub metrics: Option<metrics::Destination>,
    /// `--notify URL`s: told when the run has findings.
    pub notify: Vec<String>,
}

/// Runs the pipeline into the reports, then prints the summary, notifies,
/// writes the metrics and decides the outcome.
pub(super) async fn run_pipeline(
    config: &Config,
    job: pipeline::Job,
    columns: Columns,
    output: Vec<(Output, Format)>,
    after: After,
) -> Result<Outcome> {
    let reports: Vec<String> = output.iter().map(|(o, _)| o.describe()).collect();
    let stop = job.stop.clone();
    let with_baseline = job.baseline.is_some();
    // A shard may be empty: its inventory was not.
    let rows = if columns.provenance.is_some() { Rows::Shard } else { Rows::Required };
    let layout = report::Layout {
        provenance: columns.provenance,
        accepted: job.accept.is_some(),
        run: columns.run,
        jsonl_provenance: columns.jsonl_provenance,
        ..config.layout(job.baseline.is_some(), columns.extras)
    };
    let mut writer = report::outputs::Reports::new(output, &layout)?;
    let judging = Judging::new(&config.tables, &config.data);
    let summary = pipeline::run(&judging, job, &mut writer).await?;
    let place = writer.finish()?;
    if !config.quiet {
        summary.write(&mut io::stderr().lock(), &place)?;
    }
    let stopped = *stop.borrow();
    let outcome = config.outcome(&summary.seen, stopped, rows);
    // The reports are committed: a slow or failing receiver cannot touch them.
    let mut notify_failures = 0;
    if outcome == Outcome::Findings && !after.notify.is_empty() {
        let change_fired = summary.seen.changes.iter().any(|c| config.fail_on_change.contains(c));
        let run =
            crate::notify::Run { summary: &summary, exit_status: outcome.exit_code(), reports: &reports, change_fired };
        let failures = crate::notify::send(&after.notify, &crate::notify::body(&run, jiff::Timestamp::now())).await;
        notify_failures = failures.len();
        for failure in failures.iter().filter(|_| !config.quiet) {
            eprintln!("exchange-exposure: warning: {failure}");
        }
    }
    if let Some(metrics) = after.metrics {
        let run = metrics::Run {
            summary: &summary,
            with_baseline,
            exit_status: outcome.exit_code(),
            notify_failures,
            previous_success: metrics.previous_success(),
        };
        metrics.write(&metrics::render(&config.tables, &run, jiff::Timestamp::now()))?;
    }
    Ok(outcome)
}
