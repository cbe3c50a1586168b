//! Reading hostile line-oriented files with flat memory: an input opened
//! from a path or stdin (`-`), gunzipped when it starts with gzip's magic
//! bytes, and split into lines of at most a cap each. A longer line is
//! skipped to its end without being kept (its length is reported), so a
//! multi-gigabyte export or log with a planted endless line costs one
//! line's buffer, never the file.

use anyhow::{Context, Result};
use std::io::{self, BufRead, BufReader, Read};

/// Opens `path` (`-`: stdin) for reading, gunzipping a gzip stream.
pub fn open(path: &str) -> Result<Box<dyn BufRead>> {
    let raw: Box<dyn Read> = if path == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(path).with_context(|| format!("cannot open {path}"))?)
    };
    maybe_gunzip(raw).with_context(|| format!("cannot read {path}"))
}

/// The reader, gunzipped when its first two bytes are gzip's magic.
pub fn maybe_gunzip<'a>(raw: Box<dyn Read + 'a>) -> io::Result<Box<dyn BufRead + 'a>> {
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let head = buffered.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let decoder = flate2::bufread::MultiGzDecoder::new(buffered);
        Ok(Box::new(BufReader::with_capacity(256 * 1024, decoder)))
    } else {
        Ok(Box::new(buffered))
    }
}

/// One line read.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// The line's bytes, without its `\n` (or `\r\n`).
    Text(&'a [u8]),
    /// A line longer than the cap, skipped; its length in bytes.
    TooLong(u64),
}

/// Lines of at most `cap` bytes each, numbered from 1.
pub struct Lines<R> {
    inner: R,
    cap: usize,
    number: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    /// Lines of `inner`, each kept up to `cap` bytes.
    pub fn new(inner: R, cap: usize) -> Lines<R> {
        Lines { inner, cap, number: 0, buf: Vec::new() }
    }

    /// The next line and its number, or `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        self.buf.clear();
        let mut length: u64 = 0;
        let mut any = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(at) => (at, true),
                None => (chunk.len(), false),
            };
            length += take as u64;
            let room = (self.cap + 1).saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&chunk[..take.min(room)]);
            let consumed = if done { take + 1 } else { take };
            self.inner.consume(consumed);
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.number += 1;
        if length > self.cap as u64 {
            return Ok(Some((self.number, Line::TooLong(length))));
        }
        let text = self.buf.strip_suffix(b"\r").unwrap_or(&self.buf);
        Ok(Some((self.number, Line::Text(text))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], cap: usize) -> Vec<(u64, String)> {
        let mut lines = Lines::new(input, cap);
        let mut out = Vec::new();
        while let Some((n, line)) = lines.next_line().unwrap() {
            out.push((
                n,
                match line {
                    Line::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    Line::TooLong(len) => format!("<{len}>"),
                },
            ));
        }
        out
    }

    #[test]
    fn splits_caps_and_numbers_lines() {
        let got = all(b"a\r\nbb\n\n0123456789\nlast", 4);
        let want = [(1, "a"), (2, "bb"), (3, ""), (4, "<10>"), (5, "last")];
        assert_eq!(got, want.map(|(n, s)| (n, s.to_string())));
        // Exactly the cap is kept; one byte more is not.
        assert_eq!(all(b"abcd\nabcde\n", 4), [(1, "abcd".to_string()), (2, "<5>".to_string())]);
    }

    #[test]
    fn gzip_is_recognised_by_its_magic() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"one\ntwo\n").unwrap();
        let gz = enc.finish().unwrap();
        let reader = maybe_gunzip(Box::new(&gz[..])).unwrap();
        let mut text = String::new();
        let mut reader = reader;
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "one\ntwo\n");
        let mut plain = maybe_gunzip(Box::new(&b"plain"[..])).unwrap();
        text.clear();
        plain.read_to_string(&mut text).unwrap();
        assert_eq!(text, "plain");
    }
}
