//! The one home of text cleaning and escaping. Text that came from outside
//! (servers, inventories, mail headers) made safe to keep: cut short and
//! limited to printable ASCII (`clean`), so that it can go into a report
//! cell, a log line or a terminal. And the guards for where text is shown:
//! spreadsheets (`neutralise_formula`, undone by `unneutralise` when a
//! report is read back), terminals (`printable`), HTML (`escape_html`) and
//! XML (`escape_xml`).
//! Pure functions on strings; this module imports nothing from the crate.

/// The longest server-sent name or value kept for the report.
pub const MAX_TEXT: usize = 64;

/// Outside text cut to `MAX_TEXT` characters of printable ASCII, trimmed.
pub fn clean(text: &str) -> String {
    clean_to(text, MAX_TEXT)
}

/// `clean` with room for an error message (four times as long).
pub fn clean_long(text: &str) -> String {
    clean_to(text, 4 * MAX_TEXT)
}

fn clean_to(text: &str, max: usize) -> String {
    text.trim().chars().filter(|c| c.is_ascii_graphic() || *c == ' ').take(max).collect()
}

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

/// The text with every control character, and every invisible format
/// character (bidi overrides and isolates, zero-width spaces and joiners,
/// the BOM, tag characters) replaced by `?`, for a terminal: what is shown
/// is what the text holds, with no escape sequence and no reordering. The
/// one rule for every outside string shown on a terminal.
pub fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() || is_invisible_format(c) { '?' } else { c }).collect()
}

/// Unicode's format characters (category Cf) that change how text is
/// shown without being seen.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061c}'
            | '\u{06dd}'
            | '\u{070f}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// Text made safe for HTML element content and quoted attributes: markup
/// and quote characters as entities, control characters (but newline and
/// tab) as `?`.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// Text for XML element content and double-quoted attributes: markup and
/// quote characters as entities, newline and tab as character references
/// (an attribute keeps them), characters XML 1.0 cannot hold (the other
/// controls, U+FFFE, U+FFFF) as `?`.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_shows_no_escape_no_bidi_override_no_zero_width_character() {
        let cases = [
            ("mail\u{202e}moc.evil", "mail?moc.evil"),
            ("ma\u{200b}il.corp", "ma?il.corp"),
            ("\u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{7}", "?]8;;http://x?link?]8;;?"),
            ("\u{2067}a\u{2069}\u{feff}", "?a??"),
            ("Müller, ops", "Müller, ops"),
        ];
        for (text, want) in cases {
            assert_eq!(printable(text), want, "{text:?}");
        }
    }

    #[test]
    fn xml_text_is_escaped_and_holds_no_character_xml_forbids() {
        let cases = [
            ("a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&apos;"),
            ("line\nnext\ttab", "line&#10;next&#9;tab"),
            ("bell\u{7}esc\u{1b}[31m", "bell?esc?[31m"),
            ("\u{FFFE}ok", "?ok"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_xml(input), want, "{input:?}");
        }
    }

    #[test]
    fn keeps_printable_ascii_only_and_cuts() {
        let cases = [
            ("  Version 15.1 ", "Version 15.1"),
            ("a\u{1b}[31mb\r\nc\0d", "a[31mbcd"),
            ("caf\u{e9} \u{202e}x", "caf x"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "{input:?}");
        }
        assert_eq!(clean(&"x".repeat(500)).len(), MAX_TEXT);
        assert_eq!(clean_long(&"x".repeat(500)).len(), 4 * MAX_TEXT);
    }

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
    fn control_characters_do_not_reach_the_terminal() {
        assert_eq!(printable("a\u{1b}[31mb\u{7}\n"), "a?[31mb??");
        assert_eq!(printable("Exchange – ok"), "Exchange – ok");
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_html("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(escape_html("a\u{1b}b"), "a?b");
    }
}
