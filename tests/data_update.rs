//! `data update|status|export|import|rollback` end to end: the real binary
//! against a local HTTPS mirror on loopback (its own CA, passed with
//! --ca-cert) serving recorded copies of Microsoft's sources
//! (fixtures/msrc/, see SOURCES.md there). The mirror answers conditional
//! requests (ETag) and logs every request, so the tests can count what an
//! update asked for. Every run has its own temporary data dir.

mod common;

use common::bin;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/msrc");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURES).join(name)).unwrap()
}

/// How the mirror serves one path.
#[derive(Clone)]
enum Mode {
    /// 200 with an ETag; 304 when If-None-Match names it.
    Normal,
    /// 500.
    Error,
    /// Content-Length of the whole body, half of it, then the connection closes.
    Truncated,
    /// Says nothing for 30 s.
    Stall,
}

#[derive(Clone)]
struct Route {
    body: Vec<u8>,
    mode: Mode,
}

/// One request as the mirror saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    conditional: bool,
    status: u16,
}

#[derive(Default)]
struct State {
    routes: BTreeMap<String, Route>,
    log: Vec<Seen>,
}

struct Mirror {
    base: String,
    ca: PathBuf,
    state: Arc<Mutex<State>>,
}

/// A real CVRF month's `updates` entry, its dates read from the document.
fn entry(base: &str, id: &str, xml: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(xml);
    let field = |tag: &str| {
        let open = format!("<cvrf:{tag}>");
        let at = text.find(&open).unwrap() + open.len();
        text[at..at + text[at..].find('<').unwrap()].to_string()
    };
    serde_json::json!({
        "ID": id, "Alias": id, "DocumentTitle": field("DocumentTitle"), "Severity": null,
        "InitialReleaseDate": field("InitialReleaseDate"), "CurrentReleaseDate": field("CurrentReleaseDate"),
        "CvrfUrl": format!("{base}/cvrf/v3.0/cvrf/{id}"),
    })
}

impl Mirror {
    /// A mirror serving these months (fixture names `cvrf-ID.xml`), the build list and the Learn page.
    fn start(dir: &Path, months: &[&str]) -> Mirror {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let ca = common::server::test_ca();
        let cert = common::server::cert(Some(&ca), "127.0.0.1", false);
        let ca_path = dir.join("mirror-ca.pem");
        std::fs::write(&ca_path, ca.0.pem()).unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(cert.chain, cert.key).unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(Mutex::new(State::default()));
        let served = state.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, state) = (config.clone(), served.clone());
                std::thread::spawn(move || {
                    let Ok(conn) = rustls::ServerConnection::new(config) else { return };
                    let mut tls = rustls::StreamOwned::new(conn, tcp);
                    serve(&mut tls, &state);
                });
            }
        });
        let mirror = Mirror { base, ca: ca_path, state };
        mirror.set(
            "/Get-ExchangeBuildNumber/ExchangeBuildNumbers.csv",
            fixture("ExchangeBuildNumbers.csv"),
            Mode::Normal,
        );
        mirror.set(
            "/exchange/new-features/build-numbers-and-release-dates",
            fixture("build-numbers-and-release-dates.html"),
            Mode::Normal,
        );
        mirror.months(months);
        mirror
    }

    fn set(&self, path: &str, body: Vec<u8>, mode: Mode) {
        self.state.lock().unwrap().routes.insert(path.to_string(), Route { body, mode });
    }

    fn mode(&self, path: &str, mode: Mode) {
        self.state.lock().unwrap().routes.get_mut(path).unwrap().mode = mode;
    }

    /// Serves these months and an `updates` index listing them.
    fn months(&self, months: &[&str]) {
        let mut value = Vec::new();
        for id in months {
            let xml = fixture(&format!("cvrf-{id}.xml"));
            value.push(entry(&self.base, id, &xml));
            self.set(&format!("/cvrf/v3.0/cvrf/{id}"), xml, Mode::Normal);
        }
        let index = serde_json::json!({"@odata.context": "https://api.msrc.microsoft.com/cvrf/v3.0/$metadata#updates", "value": value});
        self.set("/cvrf/v3.0/updates", serde_json::to_vec(&index).unwrap(), Mode::Normal);
    }

    /// The requests seen since the last call.
    fn take_log(&self) -> Vec<Seen> {
        std::mem::take(&mut self.state.lock().unwrap().log)
    }
}

fn etag(body: &[u8]) -> String {
    format!(
        "\"{:016x}\"",
        body.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    )
}

fn serve(stream: &mut (impl Read + Write), state: &Mutex<State>) {
    loop {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let if_none_match = head.lines().find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("if-none-match"))
                .map(|(_, v)| v.trim().to_string())
        });
        let route = state.lock().unwrap().routes.get(&path).cloned();
        let (status, out): (u16, Vec<u8>) = match route {
            None => (404, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()),
            Some(Route { mode: Mode::Error, .. }) => {
                (500, b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!".to_vec())
            }
            Some(Route { mode: Mode::Stall, .. }) => {
                state.lock().unwrap().log.push(Seen { path, conditional: if_none_match.is_some(), status: 0 });
                std::thread::sleep(Duration::from_secs(30));
                return;
            }
            Some(Route { body, mode }) => {
                let tag = etag(&body);
                if if_none_match.as_deref() == Some(tag.as_str()) {
                    (304, format!("HTTP/1.1 304 Not Modified\r\nETag: {tag}\r\n\r\n").into_bytes())
                } else {
                    let mut out = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: {tag}\r\n\r\n", body.len())
                        .into_bytes();
                    let cut = if matches!(mode, Mode::Truncated) { body.len() / 2 } else { body.len() };
                    out.extend_from_slice(&body[..cut]);
                    (200, out)
                }
            }
        };
        let truncated =
            matches!(state.lock().unwrap().routes.get(&path).map(|r| &r.mode), Some(Mode::Truncated)) && status == 200;
        state.lock().unwrap().log.push(Seen { path, conditional: if_none_match.is_some(), status });
        if stream.write_all(&out).and_then(|_| stream.flush()).is_err() || truncated {
            return;
        }
    }
}

/// A temporary folder, removed on drop.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        Temp(common::temp_dir(&format!("data-{name}")))
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the binary with this data dir.
fn run_in(data: &Path, args: &[&str]) -> Output {
    bin().env("EXCHANGE_EXPOSURE_DATA_DIR", data).args(args).output().unwrap()
}

fn update(data: &Path, mirror: &Mirror, extra: &[&str]) -> Output {
    let ca = mirror.ca.to_str().unwrap();
    let mut args = vec!["data", "update", "--mirror", &mirror.base, "--ca-cert", ca];
    args.extend_from_slice(extra);
    run_in(data, &args)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn status(data: &Path) -> serde_json::Value {
    let out = run_in(data, &["data", "status", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The `check` row (JSON Lines) for a build, judged with this data dir's data.
fn check(data: &Path, build: &str, extra: &[&str]) -> (Output, Option<serde_json::Value>) {
    let mut args = vec!["check", build, "--format", "jsonl", "--fail-on", ""];
    args.extend_from_slice(extra);
    let out = run_in(data, &args);
    let row = String::from_utf8_lossy(&out.stdout).lines().next().map(|l| serde_json::from_str(l).unwrap());
    (out, row)
}

fn paths(log: &[Seen]) -> Vec<&str> {
    log.iter().map(|s| s.path.as_str()).collect()
}

#[test]
fn first_update_then_nothing_new_then_only_the_new_month_is_fetched() {
    let dir = Temp::new("first");
    let data = dir.0.join("data");
    let mirror = Mirror::start(&dir.0, &["2021-Mar"]);
    assert_eq!(status(&data)["in_use"], "built-in");

    let out = update(&data, &mirror, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("data update: updated"), "{}", stderr(&out));
    let log = mirror.take_log();
    assert_eq!(
        paths(&log),
        [
            "/cvrf/v3.0/updates",
            "/cvrf/v3.0/cvrf/2021-Mar",
            "/Get-ExchangeBuildNumber/ExchangeBuildNumbers.csv",
            "/exchange/new-features/build-numbers-and-release-dates"
        ]
    );
    assert!(log.iter().all(|s| !s.conditional && s.status == 200), "{log:?}");
    let first = status(&data);
    assert_eq!(first["in_use"], "downloaded");
    assert_eq!(first["from"], mirror.base.as_str());
    assert_eq!(first["age_days"], 0);
    let sources: Vec<&str> = first["sources"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(sources, ["msrc-updates", "msrc-cvrf 2021-Mar", "build-list", "learn-page"]);
    let month_url = &first["sources"][1]["url"];
    assert_eq!(month_url, &format!("{}/cvrf/v3.0/cvrf/2021-Mar", mirror.base), "the index's CvrfUrl is followed");

    // Nothing new: three conditional requests answered 304, no month document asked for.
    let out = update(&data, &mirror, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("already current"), "{}", stderr(&out));
    let log = mirror.take_log();
    assert_eq!(
        paths(&log),
        [
            "/cvrf/v3.0/updates",
            "/Get-ExchangeBuildNumber/ExchangeBuildNumbers.csv",
            "/exchange/new-features/build-numbers-and-release-dates"
        ]
    );
    assert!(log.iter().all(|s| s.conditional && s.status == 304), "{log:?}");
    assert_eq!(status(&data)["id"], first["id"]);

    // A new month: the index changed, only that month's document is fetched.
    mirror.months(&["2021-Mar", "2026-Feb"]);
    let out = update(&data, &mirror, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("month 2026-Feb: new"), "{}", stderr(&out));
    let log = mirror.take_log();
    let months: Vec<&str> = paths(&log).into_iter().filter(|p| p.contains("/cvrf/v3.0/cvrf/")).collect();
    assert_eq!(months, ["/cvrf/v3.0/cvrf/2026-Feb"], "{log:?}");
    assert_eq!(log.iter().find(|s| s.path == "/cvrf/v3.0/updates").map(|s| s.status), Some(200));
    let third = status(&data);
    assert!(third["sources"].as_array().unwrap().iter().any(|s| s["name"] == "msrc-cvrf 2026-Feb"), "{third}");

    // Reports record the data judged with.
    let (out, row) = check(&data, "15.1.2176.9", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let row = row.unwrap();
    assert_eq!(row["data_id"], third["id"]);
    assert_eq!(row["data_origin"], "update");
    assert_eq!(row["data_confirmed"].as_str().unwrap(), &third["confirmed"].as_str().unwrap()[..10]);
    let version = run_in(&data, &["--version", "-v"]);
    assert!(
        String::from_utf8_lossy(&version.stdout).contains(&format!("data {} (update", third["id"].as_str().unwrap()))
    );
}

/// A way to break the mirror.
type Breaker = Box<dyn Fn(&Mirror)>;

/// A data dir after one good update, and its bundle's bytes.
fn updated(name: &str) -> (Temp, PathBuf, Mirror, Vec<u8>) {
    let dir = Temp::new(name);
    let data = dir.0.join("data");
    let mirror = Mirror::start(&dir.0, &["2021-Mar"]);
    let out = update(&data, &mirror, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    mirror.take_log();
    let bytes = std::fs::read(data.join("current.bundle")).unwrap();
    (dir, data, mirror, bytes)
}

#[test]
fn a_broken_source_fails_the_update_and_keeps_the_old_data() {
    let (_dir, data, mirror, before) = updated("broken");
    let cases: Vec<(&str, Breaker, &str)> = vec![
        (
            "garbage index",
            Box::new(|m: &Mirror| {
                m.set("/cvrf/v3.0/updates", b"<html>Service Unavailable</html>".to_vec(), Mode::Normal)
            }),
            "source msrc-updates",
        ),
        (
            "a new month that is not CVRF",
            Box::new(|m: &Mirror| {
                m.months(&["2021-Mar", "2026-Feb"]);
                m.set("/cvrf/v3.0/cvrf/2026-Feb", b"<html><body>hello</body></html>".to_vec(), Mode::Normal);
            }),
            "source msrc-cvrf 2026-Feb",
        ),
        (
            "a truncated month",
            Box::new(|m: &Mirror| {
                m.months(&["2021-Mar", "2026-Feb"]);
                m.mode("/cvrf/v3.0/cvrf/2026-Feb", Mode::Truncated);
            }),
            "source msrc-cvrf 2026-Feb",
        ),
        (
            "a 500",
            Box::new(|m: &Mirror| m.mode("/Get-ExchangeBuildNumber/ExchangeBuildNumbers.csv", Mode::Error)),
            "source build-list",
        ),
        (
            "a timeout",
            Box::new(|m: &Mirror| m.mode("/exchange/new-features/build-numbers-and-release-dates", Mode::Stall)),
            "source learn-page",
        ),
    ];
    for (what, break_it, names) in cases {
        mirror.months(&["2021-Mar"]);
        mirror.mode("/Get-ExchangeBuildNumber/ExchangeBuildNumbers.csv", Mode::Normal);
        mirror.mode("/exchange/new-features/build-numbers-and-release-dates", Mode::Normal);
        break_it(&mirror);
        let started = std::time::Instant::now();
        let out = update(&data, &mirror, &["--timeout", "1"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(names), "{what}: the message names the source: {err}");
        assert!(err.contains("the data in use is unchanged"), "{what}: {err}");
        assert!(started.elapsed() < Duration::from_secs(25), "{what}: took {:?}", started.elapsed());
        assert_eq!(std::fs::read(data.join("current.bundle")).unwrap(), before, "{what}: the data in use was replaced");
    }
    // The sources mended, the next update succeeds.
    mirror.months(&["2021-Mar"]);
    mirror.mode("/exchange/new-features/build-numbers-and-release-dates", Mode::Normal);
    mirror.mode("/Get-ExchangeBuildNumber/ExchangeBuildNumbers.csv", Mode::Normal);
    let out = update(&data, &mirror, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_first_update_that_fails_leaves_the_built_in_data_in_use() {
    let dir = Temp::new("first-fails");
    let data = dir.0.join("data");
    let mirror = Mirror::start(&dir.0, &["2021-Mar"]);
    mirror.mode("/cvrf/v3.0/updates", Mode::Error);
    let out = update(&data, &mirror, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("HTTP 500"), "{}", stderr(&out));
    assert!(!data.join("current.bundle").exists());
    assert_eq!(status(&data)["in_use"], "built-in");
}

#[test]
fn export_imports_on_a_second_data_dir_and_tampered_or_newer_files_are_refused() {
    let (dir, data, _mirror, _) = updated("carry");
    let file = dir.0.join("exchange-data.bundle");
    let out = run_in(&data, &["data", "export", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let exported = std::fs::read(&file).unwrap();
    let there = dir.0.join("air-gapped");

    // Tampered: one byte of the last part changed.
    let mut tampered = exported.clone();
    *tampered.last_mut().unwrap() ^= 0x20;
    let bad = dir.0.join("tampered.bundle");
    std::fs::write(&bad, &tampered).unwrap();
    let out = run_in(&there, &["data", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("SHA-256 does not match"), "{}", stderr(&out));
    assert!(!there.join("current.bundle").exists(), "nothing replaced");

    // A newer schema major.
    let text = String::from_utf8(exported.clone()).unwrap();
    let newer = dir.0.join("newer.bundle");
    std::fs::write(&newer, text.replacen("\"schema\":\"1.0.0\"", "\"schema\":\"2.0.0\"", 1)).unwrap();
    let out = run_in(&there, &["data", "import", newer.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("update exchange-exposure to read this data"), "{}", stderr(&out));
    assert!(!there.join("current.bundle").exists(), "nothing replaced");

    // A file that is no bundle, and one too large to be one.
    let junk = dir.0.join("junk.bundle");
    std::fs::write(&junk, b"PK\x03\x04").unwrap();
    assert_eq!(run_in(&there, &["data", "import", junk.to_str().unwrap()]).status.code(), Some(2));

    // The real file imports: the same data set, origin and confirmation.
    let out = run_in(&there, &["data", "import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (here, moved) = (status(&data), status(&there));
    assert_eq!(moved["id"], here["id"]);
    assert_eq!(moved["confirmed"], here["confirmed"]);
    assert!(moved["imported_from"].as_str().unwrap().contains("exchange-data.bundle"), "{moved}");
    let (_, row) = check(&there, "15.1.2176.9", &[]);
    assert_eq!(row.unwrap()["data_id"], here["id"]);
}

/// The exported bundle with its manifest's `confirmed` date and one part's
/// bytes changed (a valid, different data set), written to `path`.
fn altered(exported: &[u8], confirmed: &str, path: &Path) {
    use exchange_exposure::datastore::bundle;
    let (manifest, mut files) = bundle::read(exported).unwrap();
    files.0.get_mut("lifecycle.csv").unwrap().extend_from_slice(b"# a comment line added by the test\n");
    let manifest = bundle::Manifest { confirmed: confirmed.into(), ..manifest };
    std::fs::write(path, bundle::write(&manifest, &files).unwrap()).unwrap();
}

#[test]
fn rollback_returns_to_the_previous_data() {
    let (dir, data, _mirror, _) = updated("rollback");
    let first = status(&data);
    let file = dir.0.join("export.bundle");
    assert_eq!(run_in(&data, &["data", "export", file.to_str().unwrap()]).status.code(), Some(0));
    let other = dir.0.join("other.bundle");
    altered(&std::fs::read(&file).unwrap(), first["confirmed"].as_str().unwrap(), &other);
    assert_eq!(run_in(&data, &["data", "import", other.to_str().unwrap()]).status.code(), Some(0));
    let second = status(&data);
    assert_ne!(second["id"], first["id"]);
    assert_eq!(second["previous_id"], first["id"]);
    let out = run_in(&data, &["data", "rollback"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(status(&data)["id"], first["id"]);
    let (_, row) = check(&data, "15.1.2176.9", &[]);
    assert_eq!(row.unwrap()["data_id"], first["id"]);
    // Nothing to return to in a fresh data dir.
    let fresh = dir.0.join("fresh");
    let out = run_in(&fresh, &["data", "rollback"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no previous data"), "{}", stderr(&out));
}

#[test]
fn max_data_age_refuses_stale_data_before_judging_and_old_data_warns() {
    let (dir, data, _mirror, _) = updated("age");
    // Just confirmed: 0 days old.
    let (out, row) = check(&data, "15.1.2176.9", &["--max-data-age", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(row.is_some());
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));

    // Data confirmed long ago: every run warns; --max-data-age refuses.
    let file = dir.0.join("export.bundle");
    assert_eq!(run_in(&data, &["data", "export", file.to_str().unwrap()]).status.code(), Some(0));
    let old = dir.0.join("old.bundle");
    altered(&std::fs::read(&file).unwrap(), "2025-01-01T00:00:00Z", &old);
    assert_eq!(run_in(&data, &["data", "import", old.to_str().unwrap()]).status.code(), Some(0));
    let (out, row) = check(&data, "15.1.2176.9", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(row.is_some());
    assert!(
        stderr(&out).contains("last confirmed against Microsoft") && stderr(&out).contains("2025-01-01"),
        "{}",
        stderr(&out)
    );
    let (out, row) = check(&data, "15.1.2176.9", &["--max-data-age", "30"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(row.is_none(), "no report when the data is too old");
    assert!(stderr(&out).contains("--max-data-age 30"), "{}", stderr(&out));

    // scan refuses before any probing: the listener is never connected to.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let target = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let report = dir.0.join("scan.csv");
    let out = run_in(&data, &["scan", "-t", &target, "--max-data-age", "30", "-o", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(listener.accept().is_err(), "a host was probed");
    assert!(!report.exists());
    // headers too.
    let mail = dir.0.join("m.eml");
    std::fs::write(&mail, "Received: from EX1.corp.example (10.0.0.1) by EX2.corp.example (10.0.0.2) with Microsoft SMTP Server id 15.1.2176.9; Mon, 1 Mar 2021 10:00:00 +0000\n\nbody\n").unwrap();
    let out = run_in(&data, &["headers", mail.to_str().unwrap(), "--max-data-age", "30"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // --data builtin ignores the data dir (its data is confirmed as of its newest release).
    let (out, row) = check(&data, "15.1.2176.9", &["--data", "builtin"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(row.unwrap()["data_origin"], "built-in");
}

// Needs the real msdata parser and gate (the placeholder in this branch passes
// every data set): a build list contradicting the March 2021 ProxyLogon fixes
// must be refused by the gate, the data in use kept.
#[test]
fn a_source_contradicting_proxylogon_is_refused() {
    let (_dir, data, mirror, before) = updated("proxylogon");
    let csv = String::from_utf8(fixture("ExchangeBuildNumbers.csv")).unwrap();
    // Exchange 2019 CU8 Mar21SU is 15.2.792.10 (KB5000871); a source saying otherwise is broken.
    assert!(csv.contains("15.2.792.10"));
    mirror.set(
        "/Get-ExchangeBuildNumber/ExchangeBuildNumbers.csv",
        csv.replace("15.2.792.10", "15.2.792.99").into_bytes(),
        Mode::Normal,
    );
    let out = update(&data, &mirror, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("validation gate"), "{}", stderr(&out));
    assert_eq!(std::fs::read(data.join("current.bundle")).unwrap(), before);
}

// Needs the real msdata parser and judging with the loaded data set: after an
// update that adds February 2026, a 2019 CU15 build below that month's fix
// (15.02.2562.037, KB5074992) lists CVE-2026-21527 as open; before, with only
// March 2021 from the mirror, it does not.
#[test]
#[ignore = "open_cves still come from the curated update list, not from downloaded CVRF months (docs/data.md, \"Not yet\")"]
fn after_a_new_month_check_shows_its_cves_open() {
    let (_dir, data, mirror, _) = updated("new-month");
    let open = |data: &Path| {
        let (out, row) = check(data, "15.2.2562.17", &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        row.unwrap()["open_cves"].as_array().map(|a| a.iter().any(|c| c == "CVE-2026-21527")).unwrap_or(false)
    };
    assert!(!open(&data), "the mirror's data did not have February 2026 yet");
    mirror.months(&["2021-Mar", "2026-Feb"]);
    let out = update(&data, &mirror, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("updated"), "{}", stderr(&out));
    assert!(open(&data));
    assert_eq!(run_in(&data, &["data", "rollback"]).status.code(), Some(0));
    assert!(!open(&data), "rollback returns to the data without February 2026");
}

#[test]
fn tls_proxy_and_size_failures_name_their_cause() {
    let dir = Temp::new("causes");
    let data = dir.0.join("data");
    let mirror = Mirror::start(&dir.0, &["2021-Mar"]);
    // Without the mirror's CA the certificate does not verify: the cause is
    // in the message (the error's source chain), not just "error sending request".
    let out = run_in(&data, &["data", "update", "--mirror", &mirror.base]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).to_lowercase().contains("certificate"), "{}", stderr(&out));
    // A proxy that is not there (a closed loopback port).
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let proxy = format!("http://127.0.0.1:{closed}");
    let out = update(&data, &mirror, &["--proxy", &proxy]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("source msrc-updates"), "{}", stderr(&out));
    assert!(mirror.take_log().is_empty(), "nothing reached the mirror past the proxy");
    // A page past its size cap is refused as it arrives.
    mirror.set("/exchange/new-features/build-numbers-and-release-dates", vec![b'x'; 17 << 20], Mode::Normal);
    let out = update(&data, &mirror, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("source learn-page") && stderr(&out).contains("MiB"), "{}", stderr(&out));
    assert!(!data.join("current.bundle").exists());
}
