use super::*;
use crate::assess::{Status, Verdict};
use crate::build::Build;
use crate::table::Table;
use hyper::StatusCode;
use hyper::header::{HeaderMap, HeaderName};

/// The verdict `assess` gives what an observation shows.
fn verdict(obs: &Observation, inventory: Option<&Evidence>, table: &Table) -> Verdict {
    crate::assess::host(&obs.facts(), inventory, table)
}

fn b(s: &str) -> Build {
    s.parse().unwrap()
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
    }
    Response {
        status: StatusCode::from_u16(status).unwrap(),
        headers: map,
        body: body.to_string().into(),
        broken: None,
    }
}

fn ep() -> Endpoint {
    Endpoint::new("mail.example.test", 443, true)
}

#[test]
fn redirects_same_host_only() {
    let r = |loc: &str| redirect_target(&ep(), &response(302, &[("Location", loc)], ""));
    let same = [
        ("/owa/auth/logon.aspx?url=x&reason=0", "/owa/auth/logon.aspx?url=x&reason=0"),
        ("https://mail.example.test/owa/auth/logon.aspx", "/owa/auth/logon.aspx"),
        ("https://MAIL.example.test:443/x", "/x"),
    ];
    for (loc, want) in same {
        assert!(matches!(r(loc), Some(Redirect::SameHost(p)) if p == want), "{loc}");
    }
    for loc in [
        "https://evil.example.test/owa/",
        "http://mail.example.test/owa/",
        "https://mail.example.test:8443/",
        "//evil.example.test/x",
        "not a uri ^",
    ] {
        assert!(matches!(r(loc), Some(Redirect::Elsewhere(_))), "{loc}");
    }
    assert!(redirect_target(&ep(), &response(200, &[("Location", "/x")], "")).is_none());
    // Plain HTTP to HTTPS on the same host is an upgrade; to another host it is elsewhere.
    let plain = Endpoint { https: false, port: 80, ..ep() };
    let r = |loc: &str| redirect_target(&plain, &response(301, &[("Location", loc)], ""));
    assert!(matches!(r("https://mail.example.test/owa/"), Some(Redirect::Upgrade(443))));
    assert!(matches!(r("https://MAIL.example.test:8443/"), Some(Redirect::Upgrade(8443))));
    assert!(matches!(r("https://evil.example.test/owa/"), Some(Redirect::Elsewhere(_))));
}

#[test]
fn record_collects_markers_by_source_and_front_end() {
    let mut obs = Observation::default();
    record(
        OWA,
        &response(
            302,
            &[("X-OWA-Version", "15.1.2176.2"), ("X-FEServer", "EXA"), ("Location", "/owa/auth/logon.aspx")],
            "",
        ),
        &mut obs,
    );
    record(LOGON, &response(200, &[("X-FEServer", "EXB")], "<link href='/owa/auth/15.1.2176/x.css'>"), &mut obs);
    let manifest = r#"<?xml version="1.0"?><a><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="15.1.2176.2"/></a>"#;
    record(EXPORT_TOOL, &response(200, &[("X-FEServer", "EXA")], manifest), &mut obs);
    assert!(obs.answered && obs.exchange);
    assert_eq!(obs.fe_servers, ["EXA", "EXB"]);
    let got: Vec<(Source, Build, Option<&str>)> =
        obs.evidence.iter().map(|e| (e.source, e.build, e.front_end.as_deref())).collect();
    assert_eq!(
        got,
        [
            (Source::Header, b("15.1.2176.2"), Some("EXA")),
            (Source::LogonPage, b("15.1.2176"), Some("EXB")),
            (Source::ExportTool, b("15.1.2176.2"), Some("EXA")),
        ]
    );
}

#[test]
fn a_catch_all_server_is_not_read_as_a_manifest_or_page() {
    let mut obs = Observation::default();
    let page = "<html><title>Welcome</title><a href='/owa/auth/15.1.2176/'>x</a></html>";
    record(EXPORT_TOOL, &response(200, &[], page), &mut obs);
    record("/owa/", &response(200, &[], page), &mut obs);
    assert!(obs.evidence.is_empty(), "{:?}", obs.evidence);
    assert!(obs.notes.is_empty(), "{:?}", obs.notes);
}

#[test]
fn verdicts_from_observations() {
    let table = Table::builtin();
    let unreachable = Observation {
        failure: Some(HttpError::Connect("Connection refused (os error 111)".into())),
        ..Default::default()
    };
    let v = verdict(&unreachable, None, &table);
    assert_eq!(v.status, Status::Unreachable);
    assert_eq!(v.detail, "TCP connect failed: Connection refused (os error 111)");

    let not_exchange = Observation { answered: true, ..Default::default() };
    assert_eq!(verdict(&not_exchange, None, &table).status, Status::NotExchange);

    let no_version = Observation { answered: true, exchange: true, ..Default::default() };
    assert_eq!(verdict(&no_version, None, &table).status, Status::Undetermined);

    let inventory = Evidence::new(b("15.1.2176.9"), Source::Inventory);
    let v = verdict(&no_version, Some(&inventory), &table);
    assert_eq!((v.status, v.sources.as_slice()), (Status::Patched, [Source::Inventory].as_slice()));

    let mut page_only = no_version.clone();
    page_only.evidence.push(Evidence::new(b("15.1.2176"), Source::LogonPage));
    page_only.notes.push("GET /ecp/x failed: timed out".into());
    let v = verdict(&page_only, Some(&inventory), &table);
    assert_eq!(v.status, Status::Patched, "the inventory's full build completes the page's CU");
    assert_eq!(v.sources, [Source::LogonPage, Source::Inventory]);
    assert!(v.detail.ends_with("also: GET /ecp/x failed: timed out"), "{}", v.detail);

    let stale = Evidence::new(b("15.1.2176.2"), Source::Inventory);
    let mut header = no_version.clone();
    header.evidence.push(Evidence::new(b("15.1.2176.9"), Source::Header));
    assert_eq!(verdict(&header, Some(&stale), &table).status, Status::Ambiguous);
}
