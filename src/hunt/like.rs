//! PowerShell's `-like`: a wildcard pattern (`*` any run, `?` one
//! character) matched against the whole text, ignoring ASCII letter case.
//! Linear in practice; a star backtracks only to the last star, so no
//! pattern and text make it quadratic beyond their product.

/// Whether `text` is `-like` `pattern`.
pub fn like(text: &[u8], pattern: &[u8]) -> bool {
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p].eq_ignore_ascii_case(&text[t])) {
            t += 1;
            p += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

/// Whether `text` is `-like` any of the `|`-separated patterns.
pub fn like_any(text: &[u8], patterns: &str) -> bool {
    !patterns.is_empty() && patterns.split('|').any(|p| like(text, p.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_powershell_s_like() {
        let yes = [
            ("ServerInfo~a]@ex.corp:444/ecp/y.js#", "ServerInfo~*/*"),
            ("serverinfo~X/Y", "ServerInfo~*/*"),
            ("lsass.dmp", "lsass.*dmp"),
            ("lsass.exe.dmp", "lsass.*dmp"),
            ("abc", "a?c"),
            ("", "*"),
        ];
        for (text, pattern) in yes {
            assert!(like(text.as_bytes(), pattern.as_bytes()), "{text} -like {pattern}");
        }
        let no = [
            ("ServerInfo~nothing", "ServerInfo~*/*"),
            ("xServerInfo~a/b", "ServerInfo~*/*"),
            ("lsass_dump.dmp", "lsass.*dmp"),
            ("ac", "a?c"),
            ("a", ""),
        ];
        for (text, pattern) in no {
            assert!(!like(text.as_bytes(), pattern.as_bytes()), "{text} -notlike {pattern}");
        }
        assert!(like_any(b"x.ashx", "*.aspx|*.ashx"));
        assert!(!like_any(b"x.ashx", ""));
    }
}
