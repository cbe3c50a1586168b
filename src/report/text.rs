//! Making untrusted text safe: for spreadsheets (no formula can run) and for
//! terminals (no control characters), plus the aligned table `check` prints.

use std::io::{self, Write};

/// A cell a spreadsheet would read as a formula gets a leading `'`, which
/// Excel, LibreOffice and Google Sheets show as text. The guard looks past
/// leading whitespace and control characters (importers trim them, and
/// `\t=1+1` trimmed is `=1+1`); a cell starting with tab or CR is guarded
/// whatever follows. A cell that already looks guarded (`'=1`) is guarded
/// again, so `unneutralise` gives back exactly what was written.
pub fn neutralise_formula(cell: &str) -> String {
    if is_formula_like(cell) { format!("'{cell}") } else { cell.to_string() }
}

fn is_formula_like(cell: &str) -> bool {
    let visible = cell.trim_start_matches(|c: char| c.is_whitespace() || c.is_control());
    cell.starts_with(['\t', '\r'])
        || visible.starts_with(['=', '+', '-', '@'])
        || cell.strip_prefix('\'').is_some_and(is_formula_like)
}

/// A guarded cell as it was before `neutralise_formula` (for reading
/// reports back); any other cell unchanged.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if is_formula_like(rest) => rest,
        _ => cell,
    }
}

/// Server text in `detail` is capped: each quoted value at this many characters…
pub const MAX_QUOTED: usize = 300;
/// …and the whole cell at this many, each cut marked with `…`.
pub const MAX_CELL: usize = 1000;

/// `text` with every `"…"` value longer than `MAX_QUOTED` characters cut
/// (an escaped `\"` inside does not end it), then the whole cut to `MAX_CELL`.
pub fn cap_detail(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_CELL * 4));
    let mut quoted: Option<usize> = None; // characters inside the current quotes
    let mut escaped = false;
    for c in text.chars() {
        match quoted {
            None => {
                out.push(c);
                if c == '"' {
                    quoted = Some(0);
                }
            }
            Some(n) => {
                let closes = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                if closes {
                    out.push(c);
                    quoted = None;
                } else {
                    if n < MAX_QUOTED {
                        out.push(c);
                    } else if n == MAX_QUOTED {
                        out.push('…');
                    }
                    quoted = Some(n + 1);
                }
            }
        }
    }
    cap_cell(&out, MAX_CELL)
}

/// `text` cut to `max` characters, the last one `…` when cut.
pub fn cap_cell(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some(_) => {
            let keep: String = text.chars().take(max - 1).collect();
            format!("{keep}…")
        }
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
            ("\t", "'\t"),
            (" =1+1", "' =1+1"),
            ("  \u{a0}@x", "'  \u{a0}@x"),
            ("\u{1}=1", "'\u{1}=1"),
            ("\n-1", "'\n-1"),
            ("\u{0}\u{1b}+1", "'\u{0}\u{1b}+1"),
            (" ok", " ok"),
            ("a=1", "a=1"),
            ("'=1", "''=1"),
            ("'ok", "'ok"),
            ("15.1.2176.9", "15.1.2176.9"),
            ("EXCH-01", "EXCH-01"),
            ("", ""),
        ] {
            assert_eq!(neutralise_formula(cell), want, "{cell:?}");
            assert_eq!(unneutralise(&neutralise_formula(cell)), cell, "round trip {cell:?}");
        }
    }

    #[test]
    fn no_trimming_of_a_guarded_cell_gives_a_formula() {
        for cell in ["\t=1+1", " =1+1", "\r\n@x", "\u{1}-1"] {
            let guarded = neutralise_formula(cell);
            for trimmed in [guarded.trim(), guarded.trim_start(), guarded.trim_matches(|c: char| c.is_control())] {
                assert!(trimmed.starts_with('\''), "{cell:?} -> {guarded:?} -> {trimmed:?}");
            }
        }
    }

    #[test]
    fn detail_is_capped_per_quoted_value_and_per_cell() {
        let long = "A".repeat(500);
        let capped = cap_detail(&format!("server said \"{long}\"; more"));
        assert_eq!(capped, format!("server said \"{}…\"; more", "A".repeat(MAX_QUOTED)));
        let escaped = cap_detail(&format!("\"a\\\"{long}\" ok"));
        assert!(escaped.ends_with("…\" ok") && escaped.chars().count() == MAX_QUOTED + 6, "{escaped}");
        let many: String = (0..100).map(|i| format!("\"value {i:03}\", ")).collect();
        let capped = cap_detail(&many);
        assert_eq!(capped.chars().count(), MAX_CELL);
        assert!(capped.ends_with('…'));
        assert_eq!(cap_detail("short \"x\""), "short \"x\"");
        assert_eq!(cap_cell("abc", 3), "abc");
        assert_eq!(cap_cell("abcd", 3), "ab…");
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
