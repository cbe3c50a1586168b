//! Making untrusted text safe: for spreadsheets (no formula can run) and for
//! terminals (no control characters), plus the aligned table `check` prints.

use std::io::{self, Write};

/// A cell a spreadsheet would read as a formula gets a leading `'`, which
/// Excel, LibreOffice and Google Sheets show as text. Tab and CR are included:
/// some importers strip them and then see the formula behind.
pub fn neutralise_formula(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// The text with every control character replaced by `?`, for a terminal.
pub fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// Writes rows as left-aligned columns; the last column is not padded.
pub fn write_aligned<const N: usize>(out: &mut impl Write, header: &[&str; N], rows: &[[String; N]]) -> io::Result<()> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: Vec<&str>| -> io::Result<()> {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, header.to_vec())?;
    for row in rows {
        line(out, row.iter().map(String::as_str).collect())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("15.1.2176.9", "15.1.2176.9"),
            ("EXCH-01", "EXCH-01"),
            ("", ""),
        ] {
            assert_eq!(neutralise_formula(cell), want);
        }
    }

    #[test]
    fn control_characters_do_not_reach_the_terminal() {
        assert_eq!(printable("a\u{1b}[31mb\u{7}\n"), "a?[31mb??");
        assert_eq!(printable("Exchange – ok"), "Exchange – ok");
    }

    #[test]
    fn aligns_columns() {
        let mut out = Vec::new();
        write_aligned(&mut out, &["a", "bb"], &[["xxx".into(), "1".into()], ["y".into(), "2".into()]]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a    bb\nxxx  1\ny    2\n");
    }
}
