//! What a shard report was made from (issue 12): the inventory's SHA-256 and
//! line count, the advisories, the shard K/N — written as columns of every
//! row of a `scan --shard` report (the `table` column already names the
//! tables), so `merge` can refuse shards that do not belong together.

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
    pub inventory_sha256: String,
    pub inventory_lines: u64,
    /// `--advisory` ids, `+`-joined.
    pub advisories: String,
}

impl Provenance {
    /// The cells, in `COLUMNS` order.
    pub fn cells(&self) -> [(String, String); 4] {
        let values = [
            self.shard.clone(),
            self.inventory_sha256.clone(),
            self.inventory_lines.to_string(),
            self.advisories.clone(),
        ];
        let mut i = 0;
        values.map(|v| {
            i += 1;
            (COLUMNS[i - 1].to_string(), v)
        })
    }
}

/// The inventory file's SHA-256 (hex) and its number of lines, counted as
/// the inventory reader counts them (LF, CRLF or CR), in one pass.
pub fn fingerprint(path: &Path) -> Result<(String, u64)> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open inventory {}", path.display()))?;
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
    inner: std::fs::File,
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
