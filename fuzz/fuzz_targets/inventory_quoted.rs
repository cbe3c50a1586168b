//! The inventory reader on quoted cells with line breaks: the input is split
//! into notes at NUL bytes, each written as a quoted CSV cell (quotes
//! doubled, line breaks of any kind kept) beside a host-less build, with the
//! file's line ending taken from the first byte. Every note must come back
//! whole (trimmed, as the reader trims cells), one row per note, numbered at
//! the line where its record starts.
#![no_main]

use exchange_exposure::inventory::{Kind, Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let ending = ["\n", "\r\n", "\r"][first as usize % 3];
    let notes: Vec<&str> = text.split('\0').take(64).collect();
    if notes.iter().any(|n| n.len() > 512) {
        return; // a cell longer than the reader's bound is another target's case
    }
    let mut csv = format!("build,note{ending}");
    let mut lines = vec![];
    let mut line = 2u64;
    for note in &notes {
        lines.push(line);
        csv.push_str(&format!("15.1.2176.2,\"{}\"{ending}", note.replace('"', "\"\"")));
        // Line breaks as the reader counts them: LF, CRLF or a bare CR.
        line += 1 + note.replace("\r\n", "\n").matches(['\n', '\r']).count() as u64;
    }
    let reader = Reader::new(Box::new(std::io::Cursor::new(csv.into_bytes()))).unwrap();
    let rows: Vec<_> = reader.map(|r| r.expect("reading from memory cannot fail with I/O")).collect();
    let got: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.extras[0].as_str())).collect();
    let want: Vec<(u64, &str)> = lines.iter().copied().zip(notes.iter().map(|n| n.trim())).collect();
    assert_eq!(got, want);
    assert!(rows.iter().all(|r| matches!(r.kind, Kind::Offline(_))));
});
