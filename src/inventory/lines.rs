//! The inventory's physical lines, as people export them: UTF-8 with or
//! without a BOM, UTF-16 LE/BE with a BOM (decoded with `encoding_rs`), and
//! Windows-1252 for lines whose bytes are not UTF-8; split at LF, CRLF or a
//! bare CR (Excel for Mac), each line numbered as the file's real line and
//! capped at `MAX_LINE` bytes with memory bounded (a longer line is skipped
//! to its end and reported, never held). The input is read once, so a pipe
//! or FIFO loses nothing. Each line's ending is kept beside it (`ending`),
//! so that a quoted cell spanning lines (`records`) keeps its line breaks.

use std::io::{self, BufRead, BufReader, Read};

/// The longest line read; longer ones become `Line::TooLong`.
pub const MAX_LINE: usize = 1 << 20;

/// One physical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// The line's text, decoded, without its line ending.
    Text(String),
    /// Longer than the cap; only its length is known.
    TooLong(u64),
}

/// How the file was decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a BOM is skipped), or Windows-1252 where a line is not UTF-8.
    Utf8,
    /// UTF-16 little-endian (a `FF FE` BOM, as Excel's "Unicode text" writes).
    Utf16Le,
    /// UTF-16 big-endian (a `FE FF` BOM).
    Utf16Be,
}

/// A stream of numbered lines.
pub struct Lines {
    input: Box<dyn BufRead + Send>,
    number: u64,
    /// How the last line read ended: `"\n"`, `"\r\n"`, `"\r"`, or `""` at
    /// the end of the file (a quoted cell keeps its line breaks as written).
    pub ending: &'static str,
    cap: usize,
    /// How the bytes are decoded (from the byte-order mark).
    pub encoding: Encoding,
    /// The first line read as Windows-1252, and how many were.
    pub windows_1252: Option<(u64, u64)>,
}

impl Lines {
    /// Reads the byte-order mark, if any, and decodes from there.
    pub fn new(input: Box<dyn BufRead + Send>) -> io::Result<Lines> {
        Lines::with_cap(input, MAX_LINE)
    }

    fn with_cap(mut input: Box<dyn BufRead + Send>, cap: usize) -> io::Result<Lines> {
        // Up to three bytes, however the pipe delivers them.
        let mut head = Vec::with_capacity(3);
        while head.len() < 3 {
            let buf = input.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let take = buf.len().min(3 - head.len());
            head.extend_from_slice(&buf[..take]);
            input.consume(take);
        }
        let (encoding, bom) = match head.as_slice() {
            [0xef, 0xbb, 0xbf, ..] => (Encoding::Utf8, 3),
            [0xff, 0xfe, ..] => (Encoding::Utf16Le, 2),
            [0xfe, 0xff, ..] => (Encoding::Utf16Be, 2),
            _ => (Encoding::Utf8, 0),
        };
        let rest: Box<dyn Read + Send> = Box::new(io::Cursor::new(head[bom..].to_vec()).chain(input));
        let input: Box<dyn BufRead + Send> = match encoding {
            Encoding::Utf8 => Box::new(BufReader::new(rest)),
            Encoding::Utf16Le => Box::new(BufReader::new(Decode::new(rest, encoding_rs::UTF_16LE))),
            Encoding::Utf16Be => Box::new(BufReader::new(Decode::new(rest, encoding_rs::UTF_16BE))),
        };
        Ok(Lines { input, number: 0, ending: "", cap, encoding, windows_1252: None })
    }

    /// What to tell the user about the encoding, when it was not plain UTF-8.
    pub fn note(&self) -> Option<String> {
        let read_as = match self.encoding {
            Encoding::Utf8 => None,
            Encoding::Utf16Le => Some("UTF-16 LE (byte-order mark)"),
            Encoding::Utf16Be => Some("UTF-16 BE (byte-order mark)"),
        };
        match (read_as, self.windows_1252) {
            (Some(e), _) => Some(format!("inventory read as {e}")),
            (None, Some((first, n))) => {
                Some(format!("inventory: {n} line(s) not UTF-8, read as Windows-1252 (the first: line {first})"))
            }
            (None, None) => None,
        }
    }

    /// The next line's bytes (at most the cap) and its full length.
    fn raw_line(&mut self) -> io::Result<Option<(Vec<u8>, u64)>> {
        let mut line = Vec::new();
        let mut length = 0u64;
        let mut any = false;
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                self.ending = "";
                return Ok(any.then_some((line, length)));
            }
            any = true;
            let end = buf.iter().position(|&b| b == b'\n' || b == b'\r');
            let part = &buf[..end.unwrap_or(buf.len())];
            length += part.len() as u64;
            if line.len() + part.len() <= self.cap {
                line.extend_from_slice(part);
            }
            match end {
                Some(i) => {
                    let cr = buf[i] == b'\r';
                    self.input.consume(i + 1);
                    self.ending = "\n";
                    // A LF right after a CR belongs to it (looked at now, so
                    // the ending is known with the line).
                    if cr {
                        self.ending = "\r";
                        if self.input.fill_buf()?.first() == Some(&b'\n') {
                            self.input.consume(1);
                            self.ending = "\r\n";
                        }
                    }
                    return Ok(Some((line, length)));
                }
                None => {
                    let n = buf.len();
                    self.input.consume(n);
                }
            }
        }
    }
}

impl Iterator for Lines {
    type Item = io::Result<(u64, Line)>;

    fn next(&mut self) -> Option<io::Result<(u64, Line)>> {
        let (bytes, length) = match self.raw_line() {
            Ok(Some(line)) => line,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        self.number += 1;
        if length > self.cap as u64 {
            return Some(Ok((self.number, Line::TooLong(length))));
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let seen = self.windows_1252.get_or_insert((self.number, 0));
                seen.1 += 1;
                encoding_rs::WINDOWS_1252.decode_without_bom_handling(e.as_bytes()).0.into_owned()
            }
        };
        Some(Ok((self.number, Line::Text(text))))
    }
}

/// A reader that decodes UTF-16 to UTF-8 as it streams.
struct Decode {
    inner: Box<dyn Read + Send>,
    decoder: encoding_rs::Decoder,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    finished: bool,
}

impl Decode {
    fn new(inner: Box<dyn Read + Send>, encoding: &'static encoding_rs::Encoding) -> Decode {
        let decoder = encoding.new_decoder_without_bom_handling();
        Decode { inner, decoder, buf: vec![0; 8192], start: 0, end: 0, eof: false, finished: false }
    }
}

impl Read for Decode {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            // The decoder is done once it has been told of the end and has
            // given everything back; reading on (a peek past a last CR) gets
            // nothing.
            if self.finished {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                self.start = 0;
                self.end = self.inner.read(&mut self.buf)?;
                self.eof = self.end == 0;
            }
            let (result, read, written, _) =
                self.decoder.decode_to_utf8(&self.buf[self.start..self.end], out, self.eof);
            self.start += read;
            self.finished = self.eof && result == encoding_rs::CoderResult::InputEmpty;
            if written > 0 || self.eof || out.len() < 4 {
                return Ok(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8], cap: usize) -> (Vec<(u64, Line)>, Option<String>) {
        let mut lines = Lines::with_cap(Box::new(io::Cursor::new(bytes.to_vec())), cap).unwrap();
        let got = lines.by_ref().map(Result::unwrap).collect();
        (got, lines.note())
    }

    fn text(n: u64, s: &str) -> (u64, Line) {
        (n, Line::Text(s.into()))
    }

    #[test]
    fn every_line_ending_and_real_line_numbers() {
        type Case<'a> = (&'a [u8], &'a [(u64, &'a str)]);
        let cases: &[Case] = &[
            (b"a\nb\n", &[(1, "a"), (2, "b")]),
            (b"a\r\nb\r\n", &[(1, "a"), (2, "b")]),
            (b"a\rb\rc", &[(1, "a"), (2, "b"), (3, "c")]),
            (b"a\r\rb", &[(1, "a"), (2, ""), (3, "b")]),
            (b"a\n\r\nb", &[(1, "a"), (2, ""), (3, "b")]),
            (b"a\r\n\rb\n", &[(1, "a"), (2, ""), (3, "b")]),
            (b"", &[]),
            (b"\n", &[(1, "")]),
            (b"\xef\xbb\xbfhost\r\n", &[(1, "host")]),
        ];
        for (input, want) in cases {
            let want: Vec<(u64, Line)> = want.iter().map(|(n, s)| text(*n, s)).collect();
            assert_eq!(lines(input, 100).0, want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn a_long_line_is_reported_not_held() {
        let (got, _) = lines(b"ok\nabcdefghij\r\nok2", 5);
        assert_eq!(got, [text(1, "ok"), (2, Line::TooLong(10)), text(3, "ok2")]);
    }

    #[test]
    fn utf16_with_a_bom_and_windows_1252_are_read_and_named() {
        let utf16le: Vec<u8> =
            [0xff, 0xfe].into_iter().chain("host\r\nmüll\r\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let utf16be: Vec<u8> =
            [0xfe, 0xff].into_iter().chain("host\nmüll\n".encode_utf16().flat_map(u16::to_be_bytes)).collect();
        for (bytes, note) in [(utf16le, "UTF-16 LE"), (utf16be, "UTF-16 BE")] {
            let (got, said) = lines(&bytes, 100);
            assert_eq!(got, [text(1, "host"), text(2, "müll")]);
            assert!(said.unwrap().contains(note));
        }
        let (got, said) = lines(b"host\nm\xfcll\n\x80uro\n", 100);
        assert_eq!(got, [text(1, "host"), text(2, "müll"), text(3, "€uro")]);
        assert_eq!(said.unwrap(), "inventory: 2 line(s) not UTF-8, read as Windows-1252 (the first: line 2)");
        assert_eq!(lines("host\nmüll\n".as_bytes(), 100).1, None, "UTF-8 needs no note");
    }

    #[test]
    fn a_bom_split_across_reads_is_still_a_bom() {
        struct Dribble(Vec<u8>, usize);
        impl Read for Dribble {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.1 >= self.0.len() || out.is_empty() {
                    return Ok(0);
                }
                out[0] = self.0[self.1];
                self.1 += 1;
                Ok(1)
            }
        }
        let input = Dribble(b"\xef\xbb\xbfhost\nx\n".to_vec(), 0);
        let mut lines = Lines::new(Box::new(BufReader::with_capacity(1, input))).unwrap();
        let got: Vec<_> = lines.by_ref().map(Result::unwrap).collect();
        assert_eq!(got, [text(1, "host"), text(2, "x")]);
    }
}
