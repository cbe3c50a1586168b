//! The inventory's records: physical lines (`lines`) joined into CSV
//! records by the csv crate's parser (`csv-core`), so a quoted cell may hold
//! line breaks of any kind (RFC 4180; CMDB exports write one for any note
//! with a newline). A quoted cell still open after `MAX_RECORD_LINES` lines
//! or `MAX_LINE` bytes, or at the end of the file, is taken for a stray
//! quote: its first line is a bad record and the lines after it are read
//! afresh, so a stray quote costs one line, never the rest of the file.

use super::lines::{Line, Lines, MAX_LINE};
use std::collections::VecDeque;
use std::io;

/// The most physical lines one record may span (a quoted cell with line
/// breaks); past it, an unclosed quote is taken for a stray one.
pub const MAX_RECORD_LINES: usize = 1000;

/// One record, or why its line could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// The cells (untrimmed) of a record starting at `line`.
    Cells {
        /// The line the record starts on (1-based).
        line: u64,
        /// The cells, as the parser read them.
        cells: Vec<String>,
    },
    /// A line that is no record: too long, or a quote never closed.
    Bad {
        /// The line.
        line: u64,
        /// Why, as a sentence without the line number.
        why: String,
    },
}

/// A physical line with its number and ending.
type Physical = (u64, Line, &'static str);

/// A stream of records over a stream of lines.
pub struct Records {
    /// The lines underneath (its encoding note is read through here).
    pub lines: Lines,
    /// Lines read ahead and given back, read again before `lines`.
    replay: VecDeque<Physical>,
    parser: csv_core::Reader,
    delimiter: u8,
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Records {
    /// Records over `lines`, split at `delimiter` (an ASCII character).
    pub fn new(lines: Lines, delimiter: u8) -> Records {
        let parser = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        Records { lines, replay: VecDeque::new(), parser, delimiter, out: vec![0; 1024], ends: vec![0; 16] }
    }

    /// Splits at `delimiter` from now on.
    pub fn set_delimiter(&mut self, delimiter: u8) {
        self.parser = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        self.delimiter = delimiter;
    }

    /// The next physical line, a given-back one first.
    pub fn next_line(&mut self) -> Option<io::Result<Physical>> {
        if let Some(line) = self.replay.pop_front() {
            return Some(Ok(line));
        }
        let got = self.lines.next()?;
        Some(got.map(|(n, line)| (n, line, self.lines.ending)))
    }

    /// Gives a line back: the next `next_line` returns it.
    pub fn unread(&mut self, line: Physical) {
        self.replay.push_front(line);
    }

    /// The next record. `skip` says which lines at a record's start are not
    /// records (blank lines, comments).
    pub fn next_record(&mut self, skip: impl Fn(&str) -> bool) -> Option<io::Result<Record>> {
        let (line, text, ending) = loop {
            match self.next_line()? {
                Err(e) => return Some(Err(e)),
                Ok((n, Line::TooLong(len), _)) => return Some(Ok(too_long(n, len))),
                Ok((n, Line::Text(text), ending)) if !skip(&text) => break (n, text, ending),
                Ok(_) => continue,
            }
        };
        self.parser.reset();
        let (mut nout, mut nend) = (0, 0);
        let mut done = self.feed(&text, ending, &mut nout, &mut nend);
        let mut taken: Vec<Physical> = vec![(line, Line::Text(text), ending)];
        let mut bytes = 0;
        while !done {
            match self.next_line() {
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok((n, Line::Text(text), ending)))
                    if taken.len() < MAX_RECORD_LINES && bytes + text.len() <= MAX_LINE =>
                {
                    bytes += text.len();
                    done = self.feed(&text, ending, &mut nout, &mut nend);
                    taken.push((n, Line::Text(text), ending));
                }
                other => {
                    if let Some(Ok(physical)) = other {
                        self.replay.push_front(physical);
                    }
                    return Some(Ok(self.stray(taken)));
                }
            }
        }
        // A record over several lines whose quotes RFC 4180 would not accept
        // (`"ops⏎host,"team`: a cell closed, then text after it) is a stray
        // quote that a later one closed.
        if taken.len() > 1 && !well_quoted(&taken, self.delimiter) {
            return Some(Ok(self.stray(taken)));
        }
        let mut cells = Vec::with_capacity(nend);
        let mut start = 0;
        for &end in &self.ends[..nend] {
            cells.push(String::from_utf8_lossy(&self.out[start..end]).into_owned());
            start = end;
        }
        Some(Ok(Record::Cells { line, cells }))
    }

    /// The first line of `taken` as a bad record; the others read again.
    fn stray(&mut self, mut taken: Vec<Physical>) -> Record {
        let line = taken[0].0;
        for physical in taken.drain(1..).rev() {
            self.replay.push_front(physical);
        }
        let why = format!(
            "a quoted cell is not closed (a stray '\"'?) within {MAX_RECORD_LINES} lines or {} MiB, nor by the end of the file; the line is not read",
            MAX_LINE >> 20
        );
        Record::Bad { line, why }
    }

    /// Feeds one line and its ending to the parser; true when a record ends.
    fn feed(&mut self, text: &str, ending: &str, nout: &mut usize, nend: &mut usize) -> bool {
        // The last line of a file may have no ending; outside a quote, a
        // LF ends its record, inside one the quote is unclosed either way.
        let ending = if ending.is_empty() { "\n" } else { ending };
        // An empty input tells the parser the file has ended: a blank line
        // inside a quoted cell gives only its ending.
        for part in [text.as_bytes(), ending.as_bytes()].into_iter().filter(|p| !p.is_empty()) {
            let mut input = part;
            loop {
                let (res, nin, out, end) =
                    self.parser.read_record(input, &mut self.out[*nout..], &mut self.ends[*nend..]);
                input = &input[nin..];
                *nout += out;
                *nend += end;
                match res {
                    csv_core::ReadRecordResult::InputEmpty => break,
                    csv_core::ReadRecordResult::OutputFull => {
                        let len = self.out.len();
                        self.out.resize(2 * len, 0);
                    }
                    csv_core::ReadRecordResult::OutputEndsFull => {
                        let len = self.ends.len();
                        self.ends.resize(2 * len, 0);
                    }
                    // What is left is the LF of a CRLF.
                    csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => return true,
                }
            }
        }
        false
    }
}

/// Whether every quoted cell of the record is closed right before a
/// delimiter, a line ending or the record's end (RFC 4180), rather than
/// followed by more text.
fn well_quoted(lines: &[Physical], delimiter: u8) -> bool {
    #[derive(PartialEq)]
    enum State {
        Start,
        Plain,
        Quoted,
        Closed,
    }
    let mut state = State::Start;
    let bytes = lines.iter().flat_map(|(_, line, ending)| {
        let text = match line {
            Line::Text(text) => text.as_bytes(),
            Line::TooLong(_) => &[],
        };
        text.iter().chain(ending.as_bytes())
    });
    for &b in bytes {
        let end = b == delimiter || b == b'\n' || b == b'\r';
        state = match state {
            State::Quoted if b == b'"' => State::Closed,
            State::Quoted => State::Quoted,
            State::Closed if b == b'"' => State::Quoted,
            State::Closed if !end => return false,
            State::Start if b == b'"' => State::Quoted,
            _ if end => State::Start,
            _ => State::Plain,
        };
    }
    true
}

fn too_long(line: u64, len: u64) -> Record {
    let why = format!("{len} bytes, longer than a line may have ({} MiB); not read", MAX_LINE >> 20);
    Record::Bad { line, why }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str, delimiter: u8) -> Vec<Record> {
        let lines = Lines::new(Box::new(io::Cursor::new(text.as_bytes().to_vec()))).unwrap();
        let mut records = Records::new(lines, delimiter);
        std::iter::from_fn(|| records.next_record(|t| t.trim().is_empty())).map(Result::unwrap).collect()
    }

    fn cells(line: u64, cells: &[&str]) -> Record {
        Record::Cells { line, cells: cells.iter().map(|c| c.to_string()).collect() }
    }

    #[test]
    fn cells_as_rfc_4180_reads_them() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            ("a,b", Some(&["a", "b"])),
            ("\"a,b\",c", Some(&["a,b", "c"])),
            ("\"say \"\"hi\"\"\",x", Some(&["say \"hi\"", "x"])),
            ("ab\"c,d", Some(&["ab\"c", "d"])),
            (",", Some(&["", ""])),
            ("\"open,x", None),
            ("a,\"", None),
        ];
        for (text, want) in cases {
            let got = records(text, b',');
            match want {
                Some(want) => assert_eq!(got, [cells(1, want)], "{text:?}"),
                None => assert!(
                    matches!(&got[..], [Record::Bad { line: 1, why }] if why.starts_with("a quoted cell is not closed")),
                    "{text:?}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn a_record_spans_lines_inside_quotes_and_keeps_their_endings() {
        let got = records("a;\"x\r\ny\";b\r\nc;\"\r\";d\nlast;\"\n\"", b';');
        assert_eq!(got, [cells(1, &["a", "x\r\ny", "b"]), cells(3, &["c", "\r", "d"]), cells(5, &["last", "\n"])]);
    }

    #[test]
    fn a_quoted_cell_over_the_byte_bound_costs_one_line() {
        let chunk = "y".repeat(MAX_LINE / 4);
        let text = format!("a,\"x\n{chunk}\n{chunk}\n{chunk}\n{chunk}\n{chunk}\nb,c\n");
        let got = records(&text, b',');
        assert!(matches!(&got[0], Record::Bad { line: 1, .. }), "{:?}", &got[0]);
        assert_eq!(got.len(), 7, "each line after the stray quote is read afresh");
        assert_eq!(got[6], cells(7, &["b", "c"]));
    }
}
