//! What the user typed (`cli`), validated into real types: the settings
//! every command shares (`Config`: the judging tables, the report format,
//! `--fail-on`, verbosity), and each command's own (`Scan`, `Probing`,
//! `Simulate`, `Page`). Error messages name the flags here; nothing below
//! `config` imports `cli`. The exit status is decided here too
//! (`Config::outcome`, `exit_status`).

use crate::Outcome;
use crate::assess::Status;
use crate::cli::{Color, Common, ProbeArgs, ScanArgs, SimulateArgs};
use crate::inventory::Entry;
use crate::inventory::{Exclude, Expand};
use crate::probe::Settings;
use crate::report::Format;
use crate::report::baseline::Change;
use crate::report::summary::Seen;
use crate::shard::Shard;
use crate::table::Table;
use crate::target::Endpoint;
use anyhow::{Context, Result, bail, ensure};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

pub mod layers;

/// Validated settings common to every command.
#[derive(Debug, Clone)]
pub struct Config {
    /// One table per advisory judged, never empty; the first leads.
    pub tables: Vec<Table>,
    /// `None`: the command's default.
    pub format: Option<Format>,
    /// `--fail-on`: statuses that make the exit status 1.
    pub fail_on: Vec<Status>,
    /// `--quiet`: nothing on stderr but errors.
    pub quiet: bool,
    /// `--verbose`: each host's probe steps logged on stderr.
    pub verbose: bool,
    /// Whether log lines on stderr carry colour codes (`--color`, NO_COLOR, a terminal).
    pub color: bool,
    /// `scan --fail-on-change`: changes since `--baseline` that make the exit status 1.
    pub fail_on_change: Vec<Change>,
    /// Which data set judging uses, and where downloaded data lives (`--data`, `--data-dir`).
    pub data_choice: crate::datastore::Choice,
    /// `--max-data-age DAYS`.
    pub max_data_age: Option<u32>,
    /// `--table FILE`, an input no output may name.
    pub table_file: Option<PathBuf>,
    /// `--fail-on-open`: open CVEs of this level make the exit status 1.
    pub fail_on_open: Option<crate::dataset::OpenLevel>,
    /// The data judged with: the data dir's current set, or the built-in one.
    pub data: std::sync::Arc<crate::dataset::DataSet>,
    /// What that data set is: its id, origin and when it was confirmed.
    pub data_provenance: crate::datastore::DataProvenance,
}

impl Config {
    /// The options every command takes, validated; the data set in use is
    /// loaded (`datastore::load`) and the tables are read from it.
    pub fn from_cli(common: &Common) -> Result<Config> {
        Config::with_data(common, crate::datastore::load(&data_choice(common))?)
    }

    /// As `from_cli`, judging with `loaded` (the `data` commands, which must
    /// work when the data dir's copy is damaged, pass the built-in set).
    pub fn with_data(common: &Common, loaded: crate::datastore::Loaded) -> Result<Config> {
        let crate::datastore::Loaded { dataset: data, provenance: data_provenance } = loaded;
        let mut tables = parse_advisories(&common.advisory, &data)?;
        if let Some(path) = &common.table {
            let table = Table::load(path)?.with_catalog(&data.releases);
            replace_table(&mut tables, table, path)?;
        }
        Ok(Config {
            tables,
            fail_on_open: parse_fail_on_open(common.fail_on_open.as_deref())?,
            data,
            format: common.format,
            fail_on: parse_fail_on(&common.fail_on)?,
            quiet: common.quiet,
            verbose: common.verbose,
            color: use_color(
                common.color,
                std::io::IsTerminal::is_terminal(&std::io::stderr()),
                std::env::var_os("NO_COLOR").as_deref(),
            ),
            fail_on_change: Vec::new(),
            data_choice: data_choice(common),
            data_provenance,
            max_data_age: common.max_data_age,
            table_file: common.table.clone(),
        })
    }

    /// The files every command reads (`--table`): no output may name them.
    pub fn input_files(&self) -> Vec<&std::path::Path> {
        self.table_file.iter().map(PathBuf::as_path).collect()
    }

    /// `scan --fail-on-change`, validated (`baseline`: whether `--baseline`
    /// was given, which it needs).
    pub fn with_fail_on_change(self, items: &[String], baseline: bool) -> Result<Config> {
        Ok(Config { fail_on_change: parse_fail_on_change(items, baseline)?, ..self })
    }

    /// The first advisory's table.
    pub fn table(&self) -> &Table {
        &self.tables[0]
    }

    /// The `--advisory` ids judged, `+`-joined.
    pub fn advisory_ids(&self) -> String {
        self.tables.iter().map(|t| t.advisory.as_str()).collect::<Vec<_>>().join("+")
    }

    /// The `table` column: every judging table's id, `+`-joined.
    pub fn table_ids(&self) -> String {
        crate::table::ids(&self.tables)
    }

    /// The report's extra columns: one status and CVE column per advisory
    /// when several are judged, `change` with a baseline, then `extras`.
    pub fn layout(&self, change: bool, extras: Vec<String>) -> crate::report::Layout {
        let advisories =
            if self.tables.len() > 1 { self.tables.iter().map(|t| t.advisory.clone()).collect() } else { Vec::new() };
        crate::report::Layout {
            advisories,
            change,
            extras,
            judged: self.tables.iter().map(|t| t.advisory.clone()).collect(),
            fail_on: self.fail_on.iter().map(|s| s.as_str().to_string()).collect(),
            ..Default::default()
        }
    }

    /// How a command that ran to its end came out — the one place exit
    /// statuses are decided (with `exit_status` for errors): `incomplete`
    /// (input it could not use, an interrupted run, rows missing from a
    /// merge) is 2; a run that judged nothing (`Rows::Required`: no row, or
    /// no row that reached a host or a build) is 2; otherwise a status in
    /// `--fail-on` or a change in `--fail-on-change`, on a row no acceptance
    /// covers, is 1; otherwise 0.
    pub fn outcome(&self, seen: &Seen, incomplete: bool, rows: Rows) -> Outcome {
        if incomplete {
            return Outcome::Incomplete;
        }
        let must_judge = match rows {
            Rows::Required => true,
            Rows::Shard => !seen.statuses.is_empty(),
            Rows::MayBeNone => false,
        };
        if must_judge && let Some(why) = nothing_judged(&seen.statuses) {
            return Outcome::NothingJudged(why);
        }
        let failing_status = seen.counted.iter().any(|s| self.fail_on.contains(s));
        let failing_change = seen.changes.iter().any(|c| self.fail_on_change.contains(c));
        let failing_open = self.fail_on_open.is_some_and(|level| seen.open.contains(&level));
        if failing_status || failing_change || failing_open { Outcome::Findings } else { Outcome::Clean }
    }
}

/// `--data-dir`, else EXCHANGE_EXPOSURE_DATA_DIR, else the XDG default; `--data`.
fn data_choice(common: &Common) -> crate::datastore::Choice {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let dir = common
        .data_dir
        .clone()
        .or_else(|| env("EXCHANGE_EXPOSURE_DATA_DIR").map(PathBuf::from))
        .or_else(|| crate::datastore::default_dir(env("XDG_DATA_HOME").as_deref(), env("HOME").as_deref()));
    crate::datastore::Choice { dir, builtin: common.data == crate::cli::DataChoice::Builtin }
}

/// `data`'s subcommands, validated.
#[derive(Debug)]
pub enum Data {
    /// `data status`.
    Status,
    /// `data update`.
    Update(crate::datastore::update::Request),
    /// `data export FILE`.
    Export(PathBuf),
    /// `data import FILE`.
    Import(PathBuf),
    /// `data rollback`.
    Rollback,
}

impl Data {
    /// `data`'s subcommand and flags, validated (`quiet`: `--quiet`).
    pub fn from_args(command: crate::cli::DataCommand, quiet: bool) -> Result<Data> {
        use crate::cli::DataCommand;
        Ok(match command {
            DataCommand::Status => Data::Status,
            DataCommand::Export { file } => Data::Export(file),
            DataCommand::Import { file } => Data::Import(file),
            DataCommand::Rollback => Data::Rollback,
            DataCommand::Update(args) => {
                ensure!(
                    args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 600.0,
                    "--timeout must be between 0 and 600 seconds"
                );
                if let Some(url) = &args.proxy {
                    ensure!(url.starts_with("http://"), "--proxy {url:?}: give an http:// URL");
                }
                let ca = match &args.ca_cert {
                    Some(path) => Some((
                        std::fs::read(path).with_context(|| format!("cannot read --ca-cert {}", path.display()))?,
                        path.display().to_string(),
                    )),
                    None => None,
                };
                let mirror =
                    args.mirror.or_else(|| std::env::var("EXCHANGE_EXPOSURE_MIRROR").ok().filter(|m| !m.is_empty()));
                if let Some(base) = &mirror {
                    ensure!(
                        base.starts_with("https://") || base.starts_with("http://"),
                        "--mirror {base:?}: give an http:// or https:// base URL"
                    );
                }
                let sources = match &mirror {
                    Some(base) => crate::datastore::update::Sources::mirror(base),
                    None => crate::datastore::update::Sources::microsoft(),
                };
                Data::Update(crate::datastore::update::Request {
                    sources,
                    fetch: crate::datastore::fetch::Settings {
                        timeout: Duration::from_secs_f64(args.timeout),
                        proxy: args.proxy,
                        ca,
                    },
                    quiet,
                })
            }
        })
    }
}

/// `scan`'s own flags, validated: what to read, what to leave out, how
/// fast, what to write besides the report.
#[derive(Debug)]
pub struct Scan {
    /// The inventory file, `-` for stdin; `None` with only `--target`s.
    pub inventory: Option<String>,
    /// `--host-column`.
    pub host_column: Option<String>,
    /// `--target`s, parsed, in the order given (after the inventory's rows).
    pub targets: Vec<Entry>,
    /// `--exclude`, read (`@FILE` lists included).
    pub exclude: Exclude,
    /// `--allow-large`: how CIDR ranges expand.
    pub expand: Expand,
    /// `--shard K/N`.
    pub shard: Option<Shard>,
    /// `--strict`: refuse to probe when any row is unusable.
    pub strict: bool,
    /// `--rate`: hosts started per second at most.
    pub rate: Option<f64>,
    /// `--stats-every`: a status line this often (`None`: `0`, never).
    pub stats_every: Option<Duration>,
    /// `-o`: the report paths (`-`: stdout); none means stdout.
    pub outputs: Vec<String>,
    /// `--metrics FILE`.
    pub metrics: Option<PathBuf>,
    /// `--baseline REPORT`.
    pub baseline: Option<PathBuf>,
    /// `--accept FILE`.
    pub accept: Option<PathBuf>,
    /// `--provenance`: JSON Lines start with a provenance record.
    pub jsonl_provenance: bool,
    /// `--notify URL`s, checked.
    pub notify: Vec<String>,
    /// How hosts are probed.
    pub probing: Probing,
    /// Every file the scan reads besides `--table` (inventory, `--baseline`,
    /// `--accept`, `--ca-cert`, `--exclude @FILE`): no output may name one.
    pub input_files: Vec<PathBuf>,
}

impl Scan {
    /// `scan`'s flags, validated; `--exclude @FILE` lists are read.
    /// (`--fail-on-change` goes to the `Config`: `Config::with_fail_on_change`.)
    pub fn from_args(args: ScanArgs) -> Result<Scan> {
        ensure!(
            args.metrics.as_deref().is_none_or(|p| p.as_os_str() != "-"),
            "--metrics needs a file (stdout carries the report)"
        );
        ensure!(
            args.stats_every <= MAX_STATS_EVERY,
            "--stats-every {}: give a number of seconds from 0 (no status lines) to {MAX_STATS_EVERY} (a day)",
            args.stats_every
        );
        let expand = Expand { allow_large: args.allow_large };
        let input_files = args
            .inventory
            .iter()
            .filter(|p| *p != "-")
            .map(PathBuf::from)
            .chain(args.baseline.iter().chain(&args.accept).chain(&args.probe.ca_cert).cloned())
            .chain(args.exclude.iter().filter_map(|v| v.strip_prefix('@')).map(PathBuf::from))
            .collect();
        for url in &args.notify {
            crate::notify::check_url(url)?;
        }
        Ok(Scan {
            input_files,
            notify: args.notify,
            shard: args
                .shard
                .as_deref()
                .map(Shard::parse)
                .transpose()
                .map_err(|why| anyhow::anyhow!("--shard {why}"))?,
            rate: parse_rate(args.rate)?,
            exclude: Exclude::parse(&args.exclude).context("--exclude")?,
            targets: crate::inventory::from_arguments(&args.target, expand).context("--target")?,
            probing: Probing::from_args(&args.probe)?,
            inventory: args.inventory,
            host_column: args.host_column,
            expand,
            strict: args.strict,
            stats_every: (args.stats_every > 0).then(|| Duration::from_secs(args.stats_every)),
            outputs: args.output,
            metrics: args.metrics,
            baseline: args.baseline,
            accept: args.accept,
            jsonl_provenance: args.provenance,
        })
    }
}

/// How hosts are probed: the prober's settings, how many hosts at once, and
/// a CA to trust besides the system's. The one shape the probe flags take
/// below the command line.
#[derive(Debug, Clone)]
pub struct Probing {
    /// Timeouts, User-Agent, TLS strictness, proxy, legacy fallback.
    pub settings: Settings,
    /// Hosts probed at once (before the open-file limit is applied).
    pub concurrency: usize,
    /// TCP connects in flight at most (`--max-connects`); `None`: what the
    /// open-file limit holds, up to 8,192.
    pub max_connects: Option<usize>,
    /// Extra CA certificates to trust (`--ca-cert`, or the lab fleet's).
    pub ca: Option<Ca>,
}

/// CA certificates to trust besides the system's.
#[derive(Debug, Clone)]
pub struct Ca {
    /// The certificates, PEM.
    pub pem: Vec<u8>,
    /// Where they come from, for error messages.
    pub label: String,
}

/// What reaching a host may cost when `--connect-timeout` is not given: a
/// TCP connect and a legacy-TLS handshake take four round trips, well under a
/// second on any network a scan crosses, so 5 s is generous for a slow host
/// and caps what each silent one costs (BENCHMARKS.md, issue 17).
const DEFAULT_CONNECT_SECS: f64 = 5.0;

impl Probing {
    /// The probe flags, validated; `--ca-cert` is read.
    pub fn from_args(args: &ProbeArgs) -> Result<Probing> {
        ensure!(
            args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 600.0,
            "--timeout {}: give a number of seconds above 0, at most 600",
            args.timeout
        );
        ensure!((1..=4096).contains(&args.concurrency), "--concurrency must be from 1 to 4096");
        ensure!(args.max_connects.is_none_or(|n| (1..=65_536).contains(&n)), "--max-connects must be from 1 to 65536");
        let user_agent = args.user_agent.clone().unwrap_or_else(default_user_agent);
        ensure!(
            hyper::header::HeaderValue::from_str(&user_agent).is_ok(),
            "--user-agent {user_agent:?} is not a valid header value"
        );
        let request_timeout = Duration::from_secs_f64(args.timeout);
        let ca = match &args.ca_cert {
            Some(path) => Some(Ca {
                pem: crate::bounded::read(path, 16 * crate::bounded::MIB, "--ca-cert")?,
                label: path.display().to_string(),
            }),
            None => None,
        };
        Ok(Probing {
            settings: Settings {
                request_timeout,
                connect_timeout: connect_timeout(args.connect_timeout, args.timeout)?,
                host_timeout: request_timeout * 4,
                user_agent,
                require_valid_tls: args.require_valid_tls,
                proxy: args.proxy.as_deref().map(proxy_endpoint).transpose()?,
                legacy_tls: !args.no_legacy_tls,
                adaptive_connect: !args.fixed_connect_timeout,
            },
            concurrency: args.concurrency,
            max_connects: args.max_connects,
            ca,
        })
    }

    /// `demo`'s probing of the lab fleet on loopback: 32 hosts at once, 5 s
    /// for each answer and for reaching a host, the fleet's CA trusted.
    pub fn lab(fleet_ca_pem: &str) -> Probing {
        let secs = Duration::from_secs(5);
        Probing {
            settings: Settings {
                request_timeout: secs,
                connect_timeout: secs,
                host_timeout: secs * 4,
                user_agent: default_user_agent(),
                require_valid_tls: false,
                proxy: None,
                legacy_tls: true,
                adaptive_connect: true,
            },
            concurrency: 32,
            max_connects: None,
            ca: Some(Ca { pem: fleet_ca_pem.as_bytes().to_vec(), label: "the lab fleet's CA".into() }),
        }
    }
}

/// The User-Agent sent when `--user-agent` is not given.
fn default_user_agent() -> String {
    format!("exchange-exposure/{}", env!("CARGO_PKG_VERSION"))
}

/// The connect timeout: as given, or the default (no longer than `--timeout`).
fn connect_timeout(given: Option<f64>, request_secs: f64) -> Result<Duration> {
    let secs = given.unwrap_or(DEFAULT_CONNECT_SECS.min(request_secs));
    ensure!(
        secs.is_finite() && secs > 0.0 && secs <= 600.0,
        "--connect-timeout {secs}: give a number of seconds above 0, at most 600"
    );
    Ok(Duration::from_secs_f64(secs))
}

/// `--proxy URL`: an `http://` proxy's endpoint.
fn proxy_endpoint(url: &str) -> Result<Endpoint> {
    ensure!(url.starts_with("http://"), "--proxy {url:?}: give an http:// URL (the tunnel inside it carries TLS)");
    crate::target::parse_target(url, None).map_err(|why| anyhow::anyhow!("--proxy: {why}"))
}

/// The longest `--stats-every`: a day (a longer one is never seen, and a
/// number near `u64::MAX` would overflow the clock).
const MAX_STATS_EVERY: u64 = 86_400;

/// `simulate`'s flags, validated.
#[derive(Debug)]
pub struct Simulate {
    /// How many simulated servers.
    pub hosts: u32,
    /// The first loopback address bound.
    pub first: Ipv4Addr,
    /// The port every server listens on (0: a free port each).
    pub port: u16,
    /// `--inventory-out FILE`.
    pub inventory_out: Option<PathBuf>,
    /// `--ca-out FILE`.
    pub ca_out: Option<PathBuf>,
    /// Latency and the mix of silent and legacy-TLS hosts.
    pub conditions: crate::sim::Conditions,
}

impl Simulate {
    /// `simulate`'s flags, validated.
    pub fn from_args(args: SimulateArgs) -> Result<Simulate> {
        ensure!((1..=1 << 24).contains(&args.hosts), "--hosts must be from 1 to 16777216 (the loopback /8)");
        ensure!(args.latency <= 60_000, "--latency must be at most 60000 ms");
        let mix = crate::sim::personalities::Mix { silent: args.silent, legacy: args.legacy, drip: args.drip };
        ensure!(
            u16::from(mix.silent) + u16::from(mix.legacy.unwrap_or(0)) + u16::from(mix.drip) <= 100,
            "--silent, --legacy and --drip together may not pass 100%"
        );
        Ok(Simulate {
            hosts: args.hosts,
            first: args.first,
            port: args.port,
            inventory_out: args.inventory_out,
            ca_out: args.ca_out,
            conditions: crate::sim::Conditions { latency: Duration::from_millis(args.latency), mix },
        })
    }
}

/// `--generate`: the man page or a shell's completion script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The man page (roff).
    Man,
    /// A completion script for this shell.
    Completion(clap_complete::Shell),
}

impl From<crate::cli::Generate> for Page {
    fn from(what: crate::cli::Generate) -> Page {
        use crate::cli::Generate;
        match what {
            Generate::Man => Page::Man,
            Generate::CompleteBash => Page::Completion(clap_complete::Shell::Bash),
            Generate::CompleteZsh => Page::Completion(clap_complete::Shell::Zsh),
            Generate::CompleteFish => Page::Completion(clap_complete::Shell::Fish),
            Generate::CompletePowershell => Page::Completion(clap_complete::Shell::PowerShell),
        }
    }
}

/// Whether a command must judge at least one row to have done its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// An inventory or build list: judging nothing means it is broken.
    Required,
    /// One shard of an inventory: it may hold no row (a small inventory cut
    /// many ways), but rows it has must reach a host or a build.
    Shard,
    /// Mail headers: a message without an Exchange hop is an answer.
    MayBeNone,
}

/// Statuses that say nothing about a server: the row never reached a host
/// or a build.
const UNJUDGED: [Status; 3] = [Status::InputError, Status::Unreachable, Status::NotScanned];

/// Why nothing was judged, or `None` when some row was.
fn nothing_judged(seen: &std::collections::BTreeSet<Status>) -> Option<String> {
    if seen.is_empty() {
        return Some("nothing could be judged: the input has no rows".into());
    }
    if seen.iter().all(|s| UNJUDGED.contains(s)) {
        let which: Vec<&str> = seen.iter().map(|s| s.as_str()).collect();
        return Some(format!(
            "nothing could be judged: no row reached a host or a build (every row is {})",
            which.join(" or ")
        ));
    }
    None
}

/// The exit status of a command line and the line to print for it: an
/// outcome's code (with the reason when nothing was judged), or 2 for an
/// error. A reader that closes stdout early (`scan | head`) is 2 as well:
/// the report was not delivered, and an alerting scanner must not turn a
/// run with findings into 0 (unlike a search tool, where a quiet 0 is right).
pub fn exit_status(result: &Result<Outcome>) -> (u8, Option<String>) {
    match result {
        Ok(outcome @ Outcome::NothingJudged(why)) => (outcome.exit_code(), Some(why.clone())),
        Ok(outcome) => (outcome.exit_code(), None),
        Err(err) if is_broken_pipe(err) => {
            (2, Some("stdout was closed before the report was complete; the report was not delivered".into()))
        }
        // `{:#}` walks the source chain: "cannot read x: No such file or directory".
        Err(err) => (2, Some(format!("error: {err:#}"))),
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().filter_map(|e| e.downcast_ref::<std::io::Error>()).any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// `--color`: `always` and `never` mean it; `auto` colours a terminal
/// unless NO_COLOR is set to anything but the empty string (no-color.org).
fn use_color(choice: Color, stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => stderr_is_terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// `--rate N`: hosts started per second, a positive finite number.
fn parse_rate(rate: Option<f64>) -> Result<Option<f64>> {
    match rate {
        None => Ok(None),
        Some(r) if r.is_finite() && r > 0.0 && r <= 1_000_000.0 => Ok(Some(r)),
        Some(r) => bail!("--rate {r}: give a number of hosts per second above 0 (at most 1000000)"),
    }
}

/// `--advisory NAME[,NAME...]` or `all`, in the order given.
/// `--table FILE`: the table takes the place of the judged advisory its
/// `# table:` name names (`proxyshell-2021` → `proxyshell`), or of the one
/// advisory judged; with several advisories and none of its name, refused.
fn replace_table(tables: &mut [Table], mut table: Table, path: &std::path::Path) -> Result<()> {
    let slot = match tables.iter().position(|t| t.advisory == table.advisory) {
        Some(i) => i,
        None if tables.len() == 1 => 0,
        None => bail!(
            "--table {}: its table {:?} names no advisory judged ({}); name one of them in its '# table:' line, or judge one advisory",
            path.display(),
            table.name,
            tables.iter().map(|t| t.advisory.as_str()).collect::<Vec<_>>().join(", ")
        ),
    };
    table.advisory = tables[slot].advisory.clone();
    tables[slot] = table;
    Ok(())
}

/// `--fail-on-open LEVEL`: `critical`, `important`, `any` or `exploited`.
fn parse_fail_on_open(item: Option<&str>) -> Result<Option<crate::dataset::OpenLevel>> {
    let Some(item) = item.map(str::trim) else { return Ok(None) };
    match crate::dataset::OpenLevel::ALL.iter().find(|(word, _)| *word == item) {
        Some((_, level)) => Ok(Some(*level)),
        None => bail!("--fail-on-open: unknown level {item:?}; known: critical, important, any, exploited"),
    }
}

fn parse_advisories(items: &[String], data: &crate::dataset::DataSet) -> Result<Vec<Table>> {
    let known: Vec<&str> = crate::dataset::ADVISORY_FILES.iter().map(|(id, _)| *id).collect();
    let mut ids: Vec<&str> = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let named: &[&str] = match item {
            "all" => &known,
            id if known.contains(&id) => &[id],
            other => bail!("--advisory: unknown advisory {other:?}; known: {}, or all", known.join(", ")),
        };
        for id in named {
            if !ids.contains(id) {
                ids.push(id);
            }
        }
    }
    if ids.is_empty() {
        ids.push(known[0]);
    }
    Ok(ids.iter().filter_map(|id| data.table(id).cloned()).collect())
}

/// `--fail-on-change CHANGE[,CHANGE...]`: `new`, `fixed`, `regressed`,
/// `unchanged` or `changed`; only with a baseline to change from.
fn parse_fail_on_change(items: &[String], baseline: bool) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match Change::ALL.iter().find(|c| c.as_str() == item) {
            Some(change) => out.push(*change),
            None => {
                let known: Vec<&str> = Change::ALL.iter().map(|c| c.as_str()).collect();
                bail!("--fail-on-change: unknown change {item:?}; known: {}", known.join(", "))
            }
        }
    }
    if !out.is_empty() && !baseline {
        bail!("--fail-on-change needs --baseline REPORT: a change is counted from an earlier report");
    }
    Ok(out)
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
impl Config {
    /// The defaults a bare command line gives (`--fail-on vulnerable`, the
    /// first advisory), for unit tests elsewhere in the crate.
    pub(crate) fn for_tests() -> Config {
        let common = Common {
            format: None,
            fail_on: vec!["vulnerable".into()],
            quiet: false,
            verbose: false,
            advisory: Vec::new(),
            table: None,
            fail_on_open: None,
            color: crate::cli::Color::Auto,
            data_dir: None,
            data: crate::cli::DataChoice::Builtin,
            max_data_age: None,
        };
        Config::from_cli(&common).expect("the defaults are valid")
    }
}

#[cfg(test)]
mod tests;
