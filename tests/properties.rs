//! Property tests (proptest) over the functions that read untrusted input:
//! the build parser, the marker extractors and the inventory reader. The
//! coverage-guided fuzz targets in `fuzz/` run the same functions for longer
//! (SECURITY.md); these run briefly in every CI run. The `inventory_quoted`
//! target's check (quoted cells with line breaks come back whole) is
//! `quoted_notes_come_back_whole`, run here on generated notes and on every
//! `fuzz/regressions/inventory_quoted-*` input.

use exchange_exposure::build::Build;
use exchange_exposure::inventory::{Kind, Reader};
use exchange_exposure::probe::markers;
use exchange_exposure::table::Table;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 512, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_build_prints_and_parses_back(major in 0u32..100, minor in 0u32..30, build in 0u32..5000, rev in proptest::option::of(0u32..2000), pad in 0usize..3) {
        let b = Build { major, minor, build, revision: rev };
        prop_assert_eq!(Build::parse(&b.to_string()), Ok(b));
        // Zero padding is not significant.
        let padded = match rev {
            Some(r) => format!("{major:0pad$}.{minor:0pad$}.{build:0pad$}.{r:0pad$}", pad = pad + 1),
            None => format!("{major:0pad$}.{minor:0pad$}.{build:0pad$}", pad = pad + 1),
        };
        prop_assert_eq!(Build::parse(&padded), Ok(b));
    }

    #[test]
    fn any_text_is_a_build_or_an_error_naming_it(text in ".{0,64}") {
        match Build::parse(&text) {
            Ok(b) => prop_assert_eq!(Build::parse(&b.to_string()), Ok(b)),
            Err(e) => prop_assert!(e.to_string().starts_with("cannot read build")),
        }
    }

    #[test]
    fn every_build_gets_a_verdict_with_a_detail(major in 0u32..20, minor in 0u32..25, build in 0u32..3000, rev in proptest::option::of(0u32..100)) {
        let v = exchange_exposure::assess::judge(&Build { major, minor, build, revision: rev }, &Table::builtin());
        prop_assert!(!v.detail.is_empty());
    }

    #[test]
    fn markers_survive_any_response(value in proptest::collection::vec(any::<u8>(), 0..80), body in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut headers = hyper::header::HeaderMap::new();
        if let Ok(v) = hyper::header::HeaderValue::from_bytes(&value) {
            headers.append("x-owa-version", v.clone());
            headers.append("x-feserver", v);
        }
        let (_, notes) = markers::header_builds(&headers);
        prop_assert!(notes.iter().all(|n| !n.chars().any(char::is_control)));
        if let Some(fe) = markers::front_end(&headers) {
            prop_assert!(fe.len() <= 64 && fe.chars().all(|c| c.is_ascii_graphic() || c == ' '));
        }
        markers::looks_like_exchange(&headers, &body);
        markers::page_builds(&String::from_utf8_lossy(&body));
        markers::manifest_build(&body);
    }

    #[test]
    fn page_paths_with_any_build_are_found(cu in (0u32..20, 0u32..5, 0u32..3000), noise in "[a-z/ =\"']{0,200}") {
        // Noise is text: a stray "</" would (rightly, as in a browser) swallow the tag into a comment.
        let html = format!("{noise}<link href=\"/owa/auth/{}.{}.{}/themes/x.css\">{noise}", cu.0, cu.1, cu.2);
        let found = markers::page_builds(&html);
        prop_assert!(found.contains(&Build::cu_only(cu.0, cu.1, cu.2)), "{:?}", found);
    }

    #[test]
    fn inventory_reader_never_stops_on_a_bad_row(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(reader) = Reader::new(Box::new(std::io::Cursor::new(data))) {
            for entry in reader {
                let entry = entry.expect("no I/O errors from memory");
                prop_assert!(entry.line >= 1);
                if let Kind::Invalid(why) = &entry.kind {
                    prop_assert!(why.starts_with("line "), "{}", why);
                }
            }
        }
    }

    #[test]
    fn quoted_cells_with_line_breaks_come_back_whole(first in any::<u8>(), notes in proptest::collection::vec("[a-z \"\r\n,;]{0,40}", 1..20)) {
        let mut data = vec![first];
        data.extend(notes.join("\0").into_bytes());
        quoted_notes_come_back_whole(&data);
    }

    #[test]
    fn inventory_rows_in_equal_rows_out(hosts in proptest::collection::vec("[a-z0-9.:\\[\\]-]{0,20}", 1..40)) {
        let text = format!("host,owner\n{}\n", hosts.iter().map(|h| format!("{h},x")).collect::<Vec<_>>().join("\n"));
        let rows: Vec<_> = Reader::new(Box::new(std::io::Cursor::new(text.into_bytes()))).unwrap().map(Result::unwrap).collect();
        // Every non-blank line is a row; an empty host is an input error, not a gap.
        prop_assert_eq!(rows.len(), hosts.len());
    }
}

/// Inputs that once crashed a fuzz target (`fuzz/regressions/TARGET-*`), run
/// through the same functions as that target.
#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions");
    let mut seen = 0;
    for file in std::fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("markers-") {
            let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
            let body = data.get(split + 1..).unwrap_or_default();
            markers::page_builds(&String::from_utf8_lossy(body));
            markers::manifest_build(body);
        } else if name.starts_with("inventory_quoted-") {
            quoted_notes_come_back_whole(&data);
        } else if name.starts_with("inventory-") {
            let reader = Reader::new(Box::new(std::io::Cursor::new(data))).unwrap();
            assert!(reader.map(Result::unwrap).all(|e| e.line >= 1));
        } else if name.starts_with("build_parse-") {
            let _ = Build::parse(&String::from_utf8_lossy(&data));
        }
        seen += 1;
    }
    assert!(seen >= 1);
}

/// What the `inventory_quoted` fuzz target checks, on one input: NUL-split
/// notes written as quoted cells (line ending from the first byte) read
/// back whole, one row each, numbered at the line where the record starts.
fn quoted_notes_come_back_whole(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let ending = ["\n", "\r\n", "\r"][first as usize % 3];
    let notes: Vec<&str> = text.split('\0').take(64).collect();
    if notes.iter().any(|n| n.len() > 512) {
        return;
    }
    let mut csv = format!("build,note{ending}");
    let mut lines = vec![];
    let mut line = 2u64;
    for note in &notes {
        lines.push(line);
        csv.push_str(&format!("15.1.2176.2,\"{}\"{ending}", note.replace('"', "\"\"")));
        line += 1 + note.replace("\r\n", "\n").matches(['\n', '\r']).count() as u64;
    }
    let reader = Reader::new(Box::new(std::io::Cursor::new(csv.into_bytes()))).unwrap();
    let rows: Vec<_> = reader.map(Result::unwrap).collect();
    let got: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.extras[0].as_str())).collect();
    let want: Vec<(u64, &str)> = lines.iter().copied().zip(notes.iter().map(|n| n.trim())).collect();
    assert_eq!(got, want);
    assert!(rows.iter().all(|r| matches!(r.kind, Kind::Offline(_))));
}
