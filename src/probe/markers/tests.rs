use super::*;
use hyper::header::{HeaderName, HeaderValue};

fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_bytes(value).unwrap());
    }
    map
}

fn b(s: &str) -> Build {
    s.parse().unwrap()
}

fn fixture(name: &str, build: &str) -> String {
    let text = std::fs::read_to_string(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let cu = b(build).cu_part().to_string();
    text.replace("{{BUILD}}", build)
        .replace("{{CU}}", &cu)
        .replace("{{HOST}}", "mail.example.test")
        .replace("{{TOKEN}}", "b03f5f7f11d50a3a")
}

#[test]
fn header_in_any_case_every_occurrence() {
    type Case<'a> = (&'a [(&'a str, &'a [u8])], &'a [&'a str], usize);
    let cases: &[Case] = &[
        (&[("X-OWA-Version", b"15.1.2176.9")], &["15.1.2176.9"], 0),
        (&[("x-owa-version", b"15.02.0858.002")], &["15.2.858.2"], 0),
        (&[("X-Owa-Version", b" 15.1.2176.9 ")], &["15.1.2176.9"], 0),
        (&[("x-owa-version", b"15.1.2176.9"), ("x-owa-version", b"15.1.2176.9")], &["15.1.2176.9"], 0),
        (&[("x-owa-version", b"15.1.2176.9"), ("x-owa-version", b"15.1.2176.2")], &["15.1.2176.9", "15.1.2176.2"], 0),
        (&[("x-owa-version", b"")], &[], 1),
        (&[("x-owa-version", b"15.1.99999999999.1")], &[], 1),
        (&[("x-owa-version", b"\xff\xfe15.1")], &[], 1),
        (&[("server", b"Microsoft-IIS/10.0")], &[], 0),
    ];
    for (pairs, want, notes) in cases {
        let (builds, got_notes) = header_builds(&headers(pairs));
        let want: Vec<Build> = want.iter().map(|s| b(s)).collect();
        assert_eq!(builds, want, "{pairs:?}");
        assert_eq!(got_notes.len(), *notes, "{pairs:?}: {got_notes:?}");
    }
}

#[test]
fn front_end_name_is_cleaned_and_capped() {
    assert_eq!(front_end(&headers(&[("X-FEServer", b"EXCH19-A")])).as_deref(), Some("EXCH19-A"));
    assert_eq!(front_end(&headers(&[("X-FEServer", b"EX\xfe\t[31m1")])).as_deref(), Some("EX[31m1"));
    assert_eq!(front_end(&headers(&[("X-FEServer", &[b'A'; 500])])).unwrap().len(), 64);
    assert_eq!(front_end(&headers(&[("X-FEServer", b"  ")])), None);
    assert_eq!(front_end(&headers(&[])), None);
}

#[test]
fn recognises_exchange() {
    let empty = HeaderMap::new();
    assert!(looks_like_exchange(&headers(&[("X-FEServer", b"EX1")]), b""));
    assert!(looks_like_exchange(&headers(&[("X-DiagInfo", b"EX1")]), b""));
    assert!(looks_like_exchange(
        &headers(&[("Location", b"https://mail.example.test/OWA/auth/logon.aspx?url=x&reason=0")]),
        b""
    ));
    assert!(looks_like_exchange(&empty, fixture("logon-noversion.html", "15.1.2176").as_bytes()));
    assert!(looks_like_exchange(&empty, fixture("logon-2013.html", "15.1.2176").as_bytes()));
    assert!(!looks_like_exchange(
        &headers(&[("Server", b"Microsoft-IIS/10.0")]),
        fixture("iis-default.html", "1.1.1").as_bytes()
    ));
    assert!(!looks_like_exchange(&headers(&[("request-id", b"abc")]), b"<title>Outlook</title>"));
}

#[test]
fn logon_page_paths() {
    assert_eq!(page_builds(&fixture("logon-2013.html", "15.1.2176.9")), [b("15.1.2176")]);
    assert_eq!(page_builds(&fixture("logon-2010.html", "14.3.509.0")), [b("14.3.509.0")]);
    assert_eq!(page_builds(&fixture("logon-2010.html", "8.3.83.6")), [b("8.3.83.6")]);
    assert!(page_builds(&fixture("logon-noversion.html", "15.1.2176")).is_empty());
    assert!(page_builds(&fixture("iis-default.html", "1.1.1")).is_empty());
    let two = r#"<link href="/owa/auth/15.1.2176/a.css"><script src="/OWA/AUTH/15.2.858/b.js"></script><a href="/owa/auth/x/15.0.1.1/">"#;
    assert_eq!(page_builds(two), [b("15.1.2176"), b("15.2.858")]);
    for junk in [
        "<a href='/owa/auth/15.1/'>",
        "<a href='/owa/auth/15.1.2176.9.9/'>",
        "<a href='/owa/auth/..//'>",
        "<a href='/owa/'>",
    ] {
        assert!(page_builds(junk).is_empty(), "{junk}");
    }
}

#[test]
fn deeply_nested_html_does_not_overflow() {
    let html = "<div>".repeat(100_000) + "<link href='/owa/auth/15.1.2176/x.css'>";
    assert_eq!(page_builds(&html), [b("15.1.2176")]);
}

#[test]
fn manifest_takes_the_export_tools_own_identity() {
    let xml = fixture("exporttool.application", "15.2.792.10");
    assert_eq!(manifest_build(xml.as_bytes()), Manifest::Build(b("15.2.792.10")));
    let zero = fixture("exporttool.application", "15.02.0792.010");
    assert_eq!(manifest_build(zero.as_bytes()), Manifest::Build(b("15.2.792.10")));
    // One line, tool identity after another assembly's version.
    let one_line = r#"<?xml version="1.0"?><a><assemblyIdentity name="x" version="1.2.3.4"/><asmv1:assemblyIdentity name="Microsoft.Exchange.eDiscovery.ExportTool.application" version="15.1.2176.9"/></a>"#;
    assert_eq!(manifest_build(one_line.as_bytes()), Manifest::Build(b("15.1.2176.9")));
}

#[test]
fn manifest_failures_are_described_not_guessed() {
    let cases: &[(&str, &str)] = &[
        (r#"<a><assemblyIdentity name="other" version="15.1.2176.9"/></a>"#, "names no export tool"),
        (r#"<a><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool" version="junk"/></a>"#, "not a build"),
        (r#"<a><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool"/></a>"#, "not a build"),
        ("<a><b></a>", "not well-formed"),
        ("", "names no export tool"),
        ("\u{0}\u{1}binary", "names no export tool"),
    ];
    for (xml, want) in cases {
        match manifest_build(xml.as_bytes()) {
            Manifest::Unreadable(why) => assert!(why.contains(want), "{xml}: {why}"),
            other => panic!("{xml}: {other:?}"),
        }
    }
}

#[test]
fn manifest_entities_are_not_expanded() {
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><a><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool" version="&lol2;"/></a>"#;
    match manifest_build(bomb.as_bytes()) {
        Manifest::Unreadable(why) => assert!(why.contains("not a build"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn multibyte_text_after_owa_does_not_panic() {
    // Regression: the markers fuzz target's first crash (fuzz/regressions/).
    assert!(page_builds("<a href='/owa/\u{fffd}\u{fffd}/x'>").is_empty());
    assert!(page_builds("<a href='/owa/a\u{e9}th/15.1.1/'>").is_empty());
}
