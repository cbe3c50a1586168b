//! The command line as the user types it (clap derive; the doc comments are
//! the help text). Nothing but clap: `config` turns it into validated
//! settings, and only `config`, `lib` and `main` import this module.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// Finds Microsoft Exchange servers still exposed to the March 2021
/// vulnerabilities (ProxyLogon: CVE-2021-26855, -26857, -26858, -27065).
#[derive(Debug, Parser)]
#[command(name = "exchange-exposure", version, disable_version_flag = true, about, after_help = EXIT_STATUS)]
pub struct Cli {
    /// The command to run (none with --version or --generate)
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options every command takes
    #[command(flatten)]
    pub common: Common,
    /// Print the version and the release catalog's date; with -v also each advisory's table id and the data in use
    #[arg(long, short = 'V')]
    pub version: bool,
    /// Print a man page or a shell completion script on stdout, then exit
    #[arg(long, value_enum, value_name = "WHAT")]
    pub generate: Option<Generate>,
    /// Read settings from this TOML file (keys: the long options) [default: $XDG_CONFIG_HOME/exchange-exposure/config.toml, else /etc/exchange-exposure/config.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Every setting's effective value and where it came from (filled in by `config::layers`)
    #[arg(skip)]
    pub settings: Vec<Setting>,
    /// The config file read, if any (filled in by `config::layers`)
    #[arg(skip)]
    pub config_file: Option<String>,
}

/// One setting as `config show` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Setting {
    /// The long option, which is also the config file's key.
    pub key: String,
    /// Its values (one for most; several for a repeated option).
    pub value: Vec<String>,
    /// Where the value came from: command line, environment, config file or default.
    pub origin: String,
    /// Whether the option is a flag (true or false).
    pub flag: bool,
    /// Whether the option may be repeated (shown as a list).
    pub list: bool,
}

/// `config`'s subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum ConfigCommand {
    /// Print every setting's effective value (as TOML) and where it came from
    Show,
}

/// The exit statuses, shown after `--help` and as the man page's EXIT
/// STATUS section (README's "Exit status" has the whole story).
pub const EXIT_STATUS: &str = "\
Exit status:
  0  finished; no row has a status in --fail-on (accepted risks aside)
  1  finished; a row has a status in --fail-on, or a --fail-on-change change
  2  could not do its job (bad arguments, unreadable input, unwritable output),
     was interrupted, judged nothing, or stdout closed before the report ended";

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// The man page (roff), for man1/exchange-exposure.1
    Man,
    /// A bash completion script
    CompleteBash,
    /// A zsh completion script
    CompleteZsh,
    /// A fish completion script
    CompleteFish,
    /// A PowerShell completion script
    CompletePowershell,
}

/// `--color`: when log lines on stderr carry colour codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// When stderr is a terminal and NO_COLOR is not set
    Auto,
    /// Always, even into a file or a pipe
    Always,
    /// Never, even at a terminal
    Never,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Common {
    /// Report format for stdout and for -o paths without a known extension [default: csv; `check` on a terminal: an aligned table]
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Exit 1 when any row has one of these statuses (comma-separated)
    #[arg(long, global = true, value_delimiter = ',', default_value = "vulnerable")]
    pub fail_on: Vec<String>,
    /// Also exit 1 when any row has an open CVE of this level: critical, important (or
    /// critical), any, or exploited (Microsoft marked it "Exploitation Detected")
    #[arg(long, global = true, value_name = "LEVEL")]
    pub fail_on_open: Option<String>,
    /// Print nothing on stderr but errors
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Log each host's probe steps on stderr
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Advisories to judge against, comma-separated, or `all` (the ids are
    /// listed from `table::ADVISORIES`, so a new advisory appears here by itself)
    #[arg(long, global = true, value_delimiter = ',', value_name = "NAME", help = advisory_help())]
    pub advisory: Vec<String>,
    /// Use this fixed-build table file for the advisory its `# table:` name names (or the one judged)
    #[arg(long, global = true, value_name = "FILE")]
    pub table: Option<PathBuf>,
    /// Colour codes in -v logs on stderr: auto (a terminal, NO_COLOR unset), always or never
    #[arg(long, global = true, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: Color,
    /// Where downloaded data lives [env: EXCHANGE_EXPOSURE_DATA_DIR] [default: $XDG_DATA_HOME/exchange-exposure, else ~/.local/share/exchange-exposure]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Which data to judge with: auto (the data dir's, else the compiled-in data) or builtin (the compiled-in data)
    #[arg(long, global = true, value_enum, default_value = "auto", value_name = "WHICH")]
    pub data: DataChoice,
    /// scan, check, headers: exit 2 before judging when the data in use was last confirmed against Microsoft more than DAYS days ago
    #[arg(long, global = true, value_name = "DAYS")]
    pub max_data_age: Option<u32>,
}

/// `--data`: which data set judging uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataChoice {
    /// The data dir's data when there is some, else the compiled-in data
    Auto,
    /// The compiled-in data, whatever the data dir holds
    Builtin,
}

/// `data`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Show the data in use: built-in or downloaded, when confirmed, newest release and CVE, sources, id
    Status,
    /// Fetch Microsoft's data (or a mirror's), validate it and make it the data in use (the previous copy is kept)
    Update(DataUpdateArgs),
    /// Write the data in use, with its manifest, to one file (for a machine without internet)
    Export {
        /// The file to write
        file: PathBuf,
    },
    /// Check a file written by `data export` and make its data the data in use (the previous copy is kept)
    Import {
        /// The file to read
        file: PathBuf,
    },
    /// Return to the data in use before the last update or import
    Rollback,
}

/// `data update`'s own options.
#[derive(Debug, Args)]
pub struct DataUpdateArgs {
    /// Fetch every source from this mirror (BASE/cvrf/v3.0/updates, BASE/cvrf/v3.0/cvrf/ID, BASE/Get-ExchangeBuildNumber/ExchangeBuildNumbers.csv, BASE/exchange/new-features/build-numbers-and-release-dates) [env: EXCHANGE_EXPOSURE_MIRROR]
    #[arg(long, value_name = "BASE")]
    pub mirror: Option<String>,
    /// Seconds allowed to connect and for each wait for more data
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Fetch through this HTTP proxy, e.g. http://proxy.corp.example:3128; none by default
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Also trust the CA certificates in this PEM file
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

/// The report formats are the report layer's (`report::Format`, the one
/// place a format is added); `--format` offers each by its name and help.
pub use crate::report::Format;

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &Format::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.help()))
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe every inventory row (and --target) and write the exposure report
    Scan(Box<ScanArgs>),
    /// Classify build strings offline (arguments, or one per line on stdin)
    Check {
        /// Builds: 15.1.2176.9, 15.01.2176.009, 15.1.2176 or "Version 15.1 (Build 2176.2)"
        builds: Vec<String>,
        /// Report file (`-` or absent: stdout), written atomically; repeatable, each file's format from its extension
        #[arg(short, long)]
        output: Vec<String>,
    },
    /// Print the fixed-build table in use, with its id and each row's source
    Table,
    /// Judge the Exchange servers named in mail headers (.eml, mbox or pasted headers; `-` for stdin), scanning nothing
    Headers {
        /// Files to read
        #[arg(required = true)]
        files: Vec<String>,
        /// Report file (`-` or absent: stdout), written atomically; repeatable, each file's format from its extension
        #[arg(short, long)]
        output: Vec<String>,
    },
    /// Judge the servers in Shodan or Censys exports (NDJSON, gzip accepted) or HealthChecker XML exports, scanning nothing
    Import(ImportArgs),
    /// Look for signs of ProxyLogon compromise in collected Exchange logs (a folder or ZIP per server), contacting nothing
    Hunt(HuntArgs),
    /// Join shard reports (from `scan --shard`) into one report in inventory order
    Merge {
        /// The inventory the shards were cut from
        #[arg(long)]
        inventory: String,
        /// The inventory's host column, as given to `scan --host-column`
        #[arg(long, value_name = "NAME")]
        host_column: Option<String>,
        /// The shard reports (CSV or JSONL, all the same format)
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Where to write the merged report (`-` or absent: stdout); repeatable, each file's format from its extension
        #[arg(short, long)]
        output: Vec<String>,
    },
    /// Run a lab fleet of simulated Exchange servers on loopback
    Simulate(SimulateArgs),
    /// The data judging uses: status, update, export, import, rollback
    Data {
        /// What to do with it
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Settings from the config file and the environment (`config show`)
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Start the lab fleet, scan the example inventory against it, write exposure.csv
    Demo {
        /// The inventory to scan (only lab fleet addresses on loopback) [default: the built-in example inventory]
        #[arg(long)]
        inventory: Option<PathBuf>,
        /// Where to write the report (`-`: stdout); repeatable, each file's format from its extension [default: exposure.csv]
        #[arg(short, long)]
        output: Vec<String>,
    },
}

/// `scan`'s own options.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Inventory CSV (`-` for stdin; UTF-8, UTF-16 with a BOM, or Windows-1252); optional with --target (inventory rows first, then the targets)
    #[arg(required_unless_present = "target")]
    pub inventory: Option<String>,
    /// A target to scan: HOST, HOST:PORT, URL or CIDR range (10.1.2.0/28, [2001:db8::/120]:8443); repeatable
    #[arg(long, short = 't', value_name = "TARGET")]
    pub target: Vec<String>,
    /// Leave out these targets: addresses, CIDR ranges and host names, comma-separated, or @FILE (one or more a line, # comments); repeatable
    #[arg(long, value_name = "LIST")]
    pub exclude: Vec<String>,
    /// Expand CIDR ranges of more than 65,536 addresses (otherwise such a range is an input-error row)
    #[arg(long)]
    pub allow_large: bool,
    /// Start at most N hosts per second (token bucket), alongside --concurrency; fractions allowed
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// When stderr is not a terminal: a one-line status every SECONDS (0: none)
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub stats_every: u64,
    /// Write Prometheus metrics (node_exporter textfile format) here, atomically, when the run ends
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// Report file (`-` or absent: stdout), written atomically; repeatable: each file's format comes from its extension (.csv, .jsonl, .html), --format names the rest
    #[arg(short, long)]
    pub output: Vec<String>,
    /// Exit 2 before probing if any inventory row is unusable
    #[arg(long)]
    pub strict: bool,
    /// An earlier report (CSV or JSONL): adds a `change` column and lists hosts gone from the inventory
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 when a row's `change` since --baseline is one of these (new, fixed, regressed, unchanged, changed; comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "CHANGE")]
    pub fail_on_change: Vec<String>,
    /// Accepted risks: a CSV of host,port,advisory,reason,owner,expires (host `*` with a build column: every host on that build); matching rows gain an `accepted` cell and do not count for --fail-on until they expire
    #[arg(long, value_name = "FILE")]
    pub accept: Option<PathBuf>,
    /// JSON Lines: start with a {"type":"provenance",...} record saying how the run was made (HTML and XLSX always have it)
    #[arg(long)]
    pub provenance: bool,
    /// Scan only part K of N (K from 0) of the inventory, split by a stable hash of host and port
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// The inventory's host column, when it is not named host, hostname, fqdn, address or ip
    #[arg(long, value_name = "NAME")]
    pub host_column: Option<String>,
    /// POST a JSON summary (with a `text` field for Slack, Teams and Mattermost webhooks) here when the run exits 1 or --fail-on-change fires; repeatable
    #[arg(long, value_name = "URL")]
    pub notify: Vec<String>,
    /// How hosts are probed
    #[command(flatten)]
    pub probe: ProbeArgs,
}

/// How hosts are probed.
#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// Hosts probed at once (why 1024: BENCHMARKS.md; lowered with a warning when the open-file limit cannot hold them)
    #[arg(long, default_value_t = 1024)]
    pub concurrency: usize,
    /// Seconds allowed for each request's answer; a host as a whole gets four times this
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Seconds allowed to reach a host (TCP connect and TLS handshake, every address and the legacy fallback together): what a silent host costs [default: 5, or --timeout when lower]
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// The User-Agent header sent
    #[arg(long)]
    pub user_agent: Option<String>,
    /// Also trust the CA certificates in this PEM file
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Treat hosts whose certificate does not verify as unreachable instead of probing them
    #[arg(long)]
    pub require_valid_tls: bool,
    /// Tunnel through this HTTP proxy (CONNECT), e.g. http://proxy.corp.example:3128; none by default
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Do not retry with the OpenSSL fallback when a server speaks only obsolete TLS (TLS 1.0, CBC or RSA-key-exchange suites, 1024-bit keys); such hosts stay unreachable
    #[arg(long)]
    pub no_legacy_tls: bool,
    /// Connects (TCP and the TLS handshake) in flight at most, apart from --concurrency's sessions: an address that never answers holds only one of these [default: 8192, or what the open-file limit holds]
    #[arg(long, value_name = "N")]
    pub max_connects: Option<usize>,
    /// Keep the connect timeout at --connect-timeout instead of adapting it to this run's successful connects (4 × their p99, at least 1 s)
    #[arg(long)]
    pub fixed_connect_timeout: bool,
}

/// `simulate`'s own options.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// How many simulated servers (addresses from --first upward)
    #[arg(long, default_value_t = 20)]
    pub hosts: u32,
    /// The first loopback address to bind
    #[arg(long, default_value = "127.1.0.1")]
    pub first: Ipv4Addr,
    /// The port every server listens on (0: a free port each)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Write an inventory of the fleet here, with an expected_status column
    #[arg(long, value_name = "FILE")]
    pub inventory_out: Option<PathBuf>,
    /// Write the fleet's CA certificate here (PEM), for --ca-cert
    #[arg(long, value_name = "FILE")]
    pub ca_out: Option<PathBuf>,
    /// Add this many milliseconds to every round trip (each TLS handshake flight and HTTP request), as a network would
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,
    /// Make this share of hosts accept TCP and never answer (expected: unreachable)
    #[arg(long, value_name = "PERCENT", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub silent: u8,
    /// Give this share of hosts a legacy-TLS personality, the rest a modern one [default: the fleet's cycle, 4 in 26]
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub legacy: Option<u8>,
    /// Make this share of hosts slow-drip: a version header, 60 KB of body, then 900 bytes every 0.2 s (expected: vulnerable)
    #[arg(long, value_name = "PERCENT", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub drip: u8,
}

/// `--advisory`'s help line: every built-in advisory id, the default first.
fn advisory_help() -> String {
    let ids: Vec<String> = crate::table::ADVISORIES
        .iter()
        .enumerate()
        .map(|(i, (id, _))| if i == 0 { format!("{id} (default)") } else { id.to_string() })
        .collect();
    format!("Advisories to judge against, comma-separated, or `all`: {}", ids.join(", "))
}

/// Which export `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportSource {
    /// Shodan banners, one JSON object a line (`shodan download`)
    Shodan,
    /// Censys host records, one JSON object a line
    Censys,
    /// HealthChecker's XML export (HealthChecker-SERVER-DATE.xml), one per server
    Healthchecker,
}

/// `import`'s own options.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export's kind
    #[arg(value_enum)]
    pub source: ImportSource,
    /// Files to read (`-` for stdin; gzip accepted for NDJSON)
    #[arg(required = true)]
    pub files: Vec<String>,
    /// Report file (`-` or absent: stdout), written atomically; repeatable, each file's format from its extension
    #[arg(short, long)]
    pub output: Vec<String>,
    /// Mark records older than DAYS as stale (a `stale` column, and a clause in detail)
    #[arg(long, value_name = "DAYS")]
    pub stale_after: Option<u64>,
    /// Write the rows still needing proof (su-unknown, undetermined, ambiguous) here as an inventory for a follow-up scan
    #[arg(long, value_name = "FILE")]
    pub inventory_out: Option<String>,
    /// healthchecker: a scan report (CSV or JSONL) whose builds are judged beside HealthChecker's, by host name
    #[arg(long, value_name = "FILE")]
    pub report: Option<String>,
}

/// `hunt`'s own options.
#[derive(Debug, Args)]
pub struct HuntArgs {
    /// One collected folder or ZIP per server (its name is the server's); Logging/, event-log exports, file listings inside
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Report file (`-` or absent: stdout): the findings, or with --report the scan report with a `compromise` column; repeatable
    #[arg(short, long)]
    pub output: Vec<String>,
    /// A scan report (CSV or JSONL) to join a `compromise` column onto, by host name
    #[arg(long, value_name = "FILE")]
    pub report: Option<String>,
    /// With --report: also write the findings here (format from the extension)
    #[arg(long, value_name = "FILE")]
    pub findings: Option<String>,
    /// Microsoft's file baseline for the build (CSS-Exchange Security/src/Baselines/baseline_BUILD.csv): script files in the product's folders that it lacks are web-shell findings
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<String>,
}
