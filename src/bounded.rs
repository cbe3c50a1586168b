//! Reading a whole file with a size cap: for the inputs a run reads whole
//! (an `--accept` list, an `--exclude @FILE` list, a `--table`, a
//! `--ca-cert` bundle, a shard report), so a huge or endless file (a
//! `/dev/zero` copy) is a clear error, never gigabytes of memory. At most
//! the cap and one byte more is ever read. Imports nothing from the crate.

use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::Path;

/// One mebibyte, for caps.
pub const MIB: u64 = 1 << 20;

/// The file's bytes, or an error naming `what` and the path when it cannot
/// be read or holds more than `cap` bytes.
pub fn read(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {what} {}", path.display()))?;
    read_from(file, cap).with_context(|| format!("{what} {}", path.display()))
}

/// As `read`, as UTF-8 text (a leading BOM kept; callers strip it).
pub fn read_to_string(path: &Path, cap: u64, what: &str) -> Result<String> {
    let bytes = read(path, cap, what)?;
    String::from_utf8(bytes).with_context(|| format!("{what} {} is not UTF-8 text", path.display()))
}

/// At most `cap` bytes from `input`; an error past them.
pub fn read_from(input: impl Read, cap: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input.take(cap.saturating_add(1)).read_to_end(&mut bytes).context("cannot read it")?;
    if bytes.len() as u64 > cap {
        bail!("larger than {} (the most read of such a file); not read", size(cap));
    }
    Ok(bytes)
}

/// A reader that fails (`InvalidData`) once more than `cap` bytes have
/// passed: for a file read in a stream that must still end (an inventory
/// hashed or joined whole).
pub struct Capped<R> {
    inner: R,
    left: u64,
    cap: u64,
}

impl<R: Read> Capped<R> {
    /// `inner`, read to at most `cap` bytes.
    pub fn new(inner: R, cap: u64) -> Capped<R> {
        Capped { inner, left: cap, cap }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a file of exactly the cap from a longer one.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            let why = format!("larger than {} (the most read of such a file); not read", size(self.cap));
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, why));
        }
        let room = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..room])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// A cap as people write it: `16 MiB`, `512 KiB`, `100 bytes`.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= 1024 && b % 1024 == 0 => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_its_cap_is_an_error_after_cap_plus_one_bytes() {
        assert_eq!(read_from(&b"abcd"[..], 4).unwrap(), b"abcd");
        let err = format!("{:#}", read_from(&b"abcde"[..], 4).unwrap_err());
        assert!(err.contains("larger than 4 bytes"), "{err}");
        // An endless input stops at the cap.
        let err = format!("{:#}", read_from(std::io::repeat(0), 16 * MIB).unwrap_err());
        assert!(err.contains("larger than 16 MiB"), "{err}");
        assert_eq!(size(512 * 1024), "512 KiB");
        let mut out = Vec::new();
        assert!(Capped::new(&b"abcd"[..], 4).read_to_end(&mut out).is_ok());
        let err = Capped::new(std::io::repeat(1), 1000).read_to_end(&mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("larger than 1000 bytes"), "{err}");
    }
}
