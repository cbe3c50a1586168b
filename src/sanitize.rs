//! Text that came from outside (servers, inventories, mail headers) made
//! safe to keep: cut short and limited to printable ASCII, so that it can go
//! into a report cell, a log line or a terminal. Report writers add their
//! own guards on top (formula neutralising, HTML escaping).

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
