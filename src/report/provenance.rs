//! What a report was made from. For shards (issue 12): the inventory's
//! SHA-256 and line count, the advisories, the shard K/N — written as
//! columns of every row of a `scan --shard` report (the `table` column
//! already names the tables), so `merge` can refuse shards that do not
//! belong together. For auditors (issue 15): `Run`, how the whole run was
//! made — tool version, tables and catalog date, the command line, the
//! options that change verdicts, the scanning host, start and end, the
//! inventory's name, line count and SHA-256 — in the HTML page, the XLSX
//! Provenance sheet and, with `--provenance`, a first JSON Lines record.

use crate::inventory::lines::Lines;
use anyhow::{Context, Result};
use std::io::{BufReader, Read};
use std::path::Path;

/// The provenance columns, in order; `merge` drops them from its output.
pub const COLUMNS: [&str; 4] = ["shard", "inventory_sha256", "inventory_lines", "advisories"];

/// What a shard report was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// `K/N`.
    pub shard: String,
    /// The inventory file's SHA-256, hex.
    pub inventory_sha256: String,
    /// The inventory file's line count (`fingerprint`).
    pub inventory_lines: u64,
    /// `--advisory` ids, `+`-joined.
    pub advisories: String,
}

impl Provenance {
    /// The cells, in `COLUMNS` order.
    pub fn cells(&self) -> [String; 4] {
        [self.shard.clone(), self.inventory_sha256.clone(), self.inventory_lines.to_string(), self.advisories.clone()]
    }
}

/// How a run was made, for the report's provenance section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The judging tables' ids, `+`-joined (the `table` column).
    pub tables: String,
    /// The command line, quoted as a shell would need it.
    pub command_line: String,
    /// The options given that change verdicts or the exit status, as typed.
    pub options: Vec<String>,
    /// This machine's name.
    pub scanning_host: String,
    /// When the run started.
    pub started: jiff::Timestamp,
    /// The inventory file's name, line count and SHA-256 (`None`: stdin, or no inventory).
    pub inventory: Option<(String, u64, String)>,
    /// The data set judged with (`None`: not recorded).
    pub data: Option<DataStamp>,
    /// The newest release date of the data judged with (`catalog_date`).
    pub catalog_date: String,
}

/// The data set a report was judged with: the `data_id`, `data_origin` and
/// `data_confirmed` columns and provenance fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataStamp {
    /// The data set's id (SHA-256, hex).
    pub id: String,
    /// `built-in` or `update`.
    pub origin: String,
    /// When it was last confirmed against Microsoft (YYYY-MM-DD).
    pub confirmed: String,
}

impl DataStamp {
    /// The cells, in column order (`data_id`, `data_origin`, `data_confirmed`).
    pub fn cells(&self) -> [String; 3] {
        [self.id.clone(), self.origin.clone(), self.confirmed.clone()]
    }
}

/// Options whose value changes a verdict, a row's cells or the exit status.
const VERDICT_OPTIONS: [&str; 21] = [
    "--advisory",
    "--fail-on-open",
    "--table",
    "--fail-on",
    "--fail-on-change",
    "--accept",
    "--baseline",
    "--require-valid-tls",
    "--no-legacy-tls",
    "--ca-cert",
    "--proxy",
    "--timeout",
    "--exclude",
    "--target",
    "-t",
    "--shard",
    "--host-column",
    "--allow-large",
    "--data",
    "--data-dir",
    "--max-data-age",
];

/// The options of a command line that change verdicts, each with its value
/// (`--fail-on vulnerable`, `--advisory=all`); a flag alone when it has none.
pub fn verdict_options(args: &[String]) -> Vec<String> {
    let flags = ["--require-valid-tls", "--no-legacy-tls", "--allow-large"];
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let name = arg.split('=').next().unwrap_or(arg);
        if VERDICT_OPTIONS.contains(&name) {
            if flags.contains(&name) || arg.contains('=') {
                out.push(arg.clone());
            } else if let Some(value) = args.get(i + 1) {
                out.push(format!("{arg} {value}"));
                i += 1;
            }
        }
        i += 1;
    }
    out
}

/// This machine's name (Linux: the kernel's hostname), or `unknown`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

impl Run {
    /// This process's run, started now, judged against `tables` (the judging
    /// tables' ids, `+`-joined), with the inventory file fingerprinted when it
    /// is a regular file; `catalog_date` is the data's newest release date.
    pub fn now(tables: String, catalog_date: String, inventory: Option<&Path>) -> Result<Run> {
        let args: Vec<String> = std::env::args().collect();
        let inventory = match inventory.filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file())) {
            Some(path) => {
                let (sha, lines) = fingerprint(path)?;
                Some((path.display().to_string(), lines, sha))
            }
            None => None,
        };
        Ok(Run {
            tables,
            catalog_date,
            command_line: args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "),
            options: verdict_options(&args[1.min(args.len())..]),
            scanning_host: host_name(),
            started: jiff::Timestamp::now(),
            inventory,
            data: None,
        })
    }

    /// The run, recording the data set it judges with.
    pub fn with_data(self, data: DataStamp) -> Run {
        Run { data: Some(data), ..self }
    }

    /// The provenance fields, named, in order: text, or `None` when absent
    /// (JSON `null`). `finished` is `None` where the record is written
    /// before the run ends (JSON Lines streams).
    pub fn fields(&self, finished: Option<jiff::Timestamp>) -> Vec<(&'static str, Option<String>)> {
        let time = |t: jiff::Timestamp| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        let inv = self.inventory.as_ref();
        vec![
            ("tool", Some(format!("exchange-exposure {}", env!("CARGO_PKG_VERSION")))),
            ("tables", Some(self.tables.clone())),
            ("catalog_date", Some(self.catalog_date.clone())),
            ("command_line", Some(self.command_line.clone())),
            ("verdict_options", Some(self.options.join(" "))),
            ("scanning_host", Some(self.scanning_host.clone())),
            ("started", Some(time(self.started))),
            ("finished", finished.map(time)),
            ("inventory", inv.map(|i| i.0.clone())),
            ("inventory_lines", inv.map(|i| i.1.to_string())),
            ("inventory_sha256", inv.map(|i| i.2.clone())),
            ("data_id", self.data.as_ref().map(|d| d.id.clone())),
            ("data_origin", self.data.as_ref().map(|d| d.origin.clone())),
            ("data_confirmed", self.data.as_ref().map(|d| d.confirmed.clone())),
        ]
    }
}

/// An argument as a POSIX shell would need it to read it back.
fn quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// The largest inventory hashed (or, by `merge`, read whole): an endless
/// file is an error, never a hash that runs forever.
pub const MAX_INVENTORY: u64 = 4096 * crate::bounded::MIB;

/// The inventory file's SHA-256 (hex) and its number of lines, counted as
/// the inventory reader counts them (LF, CRLF or CR), in one pass; at most
/// `MAX_INVENTORY` bytes.
pub fn fingerprint(path: &Path) -> Result<(String, u64)> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open inventory {}", path.display()))?;
    let file = crate::bounded::Capped::new(file, MAX_INVENTORY);
    let hashing = Hashing { inner: file, digest: ring::digest::Context::new(&ring::digest::SHA256) };
    let shared = std::sync::Arc::new(std::sync::Mutex::new(hashing));
    let mut lines = Lines::new(Box::new(BufReader::new(Shared(shared.clone()))))
        .with_context(|| format!("cannot read inventory {}", path.display()))?;
    let mut count = 0;
    for line in lines.by_ref() {
        line.with_context(|| format!("cannot read inventory {}", path.display()))?;
        count += 1;
    }
    drop(lines);
    let hashing = std::sync::Arc::try_unwrap(shared).ok().expect("the reader is gone").into_inner();
    let digest = hashing.unwrap_or_else(|e| e.into_inner()).digest.finish();
    Ok((digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(), count))
}

/// A reader that hashes what passes through it.
struct Hashing {
    inner: crate::bounded::Capped<std::fs::File>,
    digest: ring::digest::Context,
}

/// `Hashing` behind a lock, so the digest can be taken back after the
/// line reader (which wants a `Send + 'static` reader) is done.
struct Shared(std::sync::Arc<std::sync::Mutex<Hashing>>);

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut h = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = h.inner.read(buf)?;
        h.digest.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_options_are_picked_from_the_command_line_with_their_values() {
        let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let cases = [
            ("scan inv.csv -o r.csv --fail-on vulnerable", vec!["--fail-on vulnerable"]),
            ("scan inv.csv --advisory=all -q --no-legacy-tls", vec!["--advisory=all", "--no-legacy-tls"]),
            ("scan inv.csv --baseline b.csv --accept a.csv --format html", vec!["--baseline b.csv", "--accept a.csv"]),
            ("scan -t 127.0.0.1 --timeout 2", vec!["-t 127.0.0.1", "--timeout 2"]),
        ];
        for (line, want) in cases {
            assert_eq!(verdict_options(&args(line)), want, "{line}");
        }
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("--fail-on=vulnerable,patched"), "--fail-on=vulnerable,patched");
    }

    #[test]
    fn fingerprint_is_the_sha256_and_the_reader_s_line_count() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&[u8], &str, u64); 3] = [
            (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0),
            (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 1),
            (b"a\rb\r\nc\n", "", 3),
        ];
        for (bytes, sha, lines) in cases {
            let path = dir.path().join("inv.csv");
            std::fs::write(&path, bytes).unwrap();
            let (got_sha, got_lines) = fingerprint(&path).unwrap();
            if !sha.is_empty() {
                assert_eq!(got_sha, sha);
            }
            assert_eq!(got_sha.len(), 64);
            assert_eq!(got_lines, lines, "{:?}", String::from_utf8_lossy(bytes));
        }
    }
}
