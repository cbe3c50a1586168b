//! Report policy for cell text: how much server text a cell keeps (`detail`
//! and long cells are capped), and the aligned table `check` prints. The
//! guards for where text is shown (formulas, terminals, HTML) are in
//! `crate::sanitize`.

use std::io::{self, Write};

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
    fn aligns_columns() {
        let mut out = Vec::new();
        write_aligned(&mut out, &["a", "bb"], &[["xxx".into(), "1".into()], ["y".into(), "2".into()]]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a    bb\nxxx  1\ny    2\n");
    }
}
