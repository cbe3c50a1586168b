//! Hostile and broken servers, built here on loopback: each case must give
//! an honest row, and the scan must stay within its time and memory bounds.
//! Servers speak raw bytes over TLS (rustls, blocking, a thread per
//! connection) so they can send what no well-behaved server library would.

mod common;

use common::bin;
use common::server::*;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn accepts_tcp_but_never_speaks_tls() {
    let port = serve(Front::Silent, self_signed(), exchange_with_logon(|s| respond(s, "200 OK", &[], PAGE)));
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "unreachable");
    assert!(s.row["detail"].contains("timed out after 1s during TLS handshake"), "{}", s.row["detail"]);
}

#[test]
fn completes_tls_but_never_answers() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|_, _| {
            std::thread::sleep(Duration::from_secs(30));
            Flow::Close
        }),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "unreachable");
    assert!(s.row["detail"].contains("during HTTP request"), "{}", s.row["detail"]);
    assert!(s.row["tls"].starts_with("unverified"), "the handshake was recorded: {}", s.row["tls"]);
}

#[test]
fn drips_a_response_a_byte_at_a_time() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, _| {
            for b in b"HTTP/1.1 200 OK\r\nX-OWA-Version: 15.1.2176.2\r\n\r\n" {
                if s.write_all(&[*b]).and_then(|_| s.flush()).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
            Flow::Close
        }),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "unreachable");
    assert!(s.row["detail"].contains("timed out"), "{}", s.row["detail"]);
}

fn endless(s: &mut dyn ReadWrite, head: &[u8], chunk: &[u8]) -> Flow {
    if s.write_all(head).is_err() {
        return Flow::Close;
    }
    // Until the client goes (it reads 1 MiB at most) or 200 MB.
    for _ in 0..(200 * 1024 * 1024 / chunk.len()) {
        if s.write_all(chunk).is_err() {
            break;
        }
    }
    Flow::Close
}

#[test]
fn a_200_mb_body_is_read_to_1_mib_only() {
    let port = serve(
        Front::Tls,
        self_signed(),
        exchange_with_logon(|s| {
            endless(s, b"HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\n", &[b'x'; 64 * 1024])
        }),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "patched", "{}", s.row["detail"]);
    assert!(s.peak_mib < 60.0, "{}", s.peak_mib);
}

#[test]
fn an_endless_chunked_body_is_cut_off() {
    let port = serve(
        Front::Tls,
        self_signed(),
        exchange_with_logon(|s| {
            endless(
                s,
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                b"4000\r\n".iter().chain(&[b'y'; 0x4000]).chain(b"\r\n").copied().collect::<Vec<u8>>().as_slice(),
            )
        }),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "patched", "{}", s.row["detail"]);
}

#[test]
fn a_one_megabyte_header_is_refused_without_harm() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, _| {
            let big = format!("X-Filler: {}", "a".repeat(1024 * 1024));
            respond(s, "200 OK", &[&big, "X-OWA-Version: 15.1.2176.2"], b"")
        }),
    );
    let s = scan(port, &[]);
    // It answered: never unreachable. The version header comes after the
    // filler, past what a lenient read looks at, so nothing is known.
    assert_eq!(s.row["status"], "undetermined", "{}", s.row["detail"]);
    assert!(s.row["detail"].contains("malformed HTTP"), "{}", s.row["detail"]);
}

#[test]
fn thousands_of_headers_are_refused_without_harm() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, _| {
            let many: Vec<String> = (0..5000).map(|i| format!("X-H{i}: v")).collect();
            let refs: Vec<&str> = many.iter().map(String::as_str).collect();
            respond(s, "200 OK", &refs, b"")
        }),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "undetermined", "{}", s.row["detail"]);
    assert!(s.row["detail"].contains("malformed HTTP"), "{}", s.row["detail"]);
}

#[test]
fn a_compression_bomb_is_never_inflated() {
    // A gzip member of zeros: inflating it would give far more than it weighs.
    let mut bomb = vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
    bomb.extend(std::iter::repeat_n(0u8, 512 * 1024));
    let port = serve(
        Front::Tls,
        self_signed(),
        exchange_with_logon(move |s| {
            respond(s, "200 OK", &["Content-Encoding: gzip", "Content-Type: text/html"], &bomb)
        }),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "patched", "{}", s.row["detail"]);
    assert!(s.peak_mib < 60.0);
}

#[test]
fn a_redirect_loop_stops_after_three() {
    let port = serve(
        Front::Tls,
        self_signed(),
        exchange_with_logon(|s| respond(s, "302 Found", &["Location: /owa/auth/logon.aspx", "X-FEServer: EX1"], b"")),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "patched");
    assert!(s.row["detail"].contains("more than 3 redirects"), "{}", s.row["detail"]);
}

#[test]
fn redirects_to_another_host_or_to_plain_http_are_recorded_not_followed() {
    for target in ["https://elsewhere.invalid/owa/", "http://127.0.0.1/owa/auth/logon.aspx"] {
        let location = format!("Location: {target}");
        let port =
            serve(Front::Tls, self_signed(), exchange_with_logon(move |s| respond(s, "302 Found", &[&location], b"")));
        let s = scan(port, &[]);
        assert_eq!(s.row["status"], "patched");
        assert!(
            s.row["detail"].contains(&format!("redirects to {target} (recorded, not followed)")),
            "{}",
            s.row["detail"]
        );
    }
}

#[test]
fn invalid_utf8_and_nul_bytes_are_survived_and_cleaned() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, path| {
            let mut body = b"\0\xff\xfe<html>\0".to_vec();
            body.extend_from_slice(PAGE);
            body.extend_from_slice(b"\0\xc3\x28");
            let mut out = b"HTTP/1.1 200 OK\r\nX-FEServer: EX\xff\xfe1\r\nX-OWA-Version: 15.1.2176.9\r\n".to_vec();
            out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            out.extend_from_slice(&body);
            let _ = path;
            if s.write_all(&out).is_err() { Flow::Close } else { Flow::KeepAlive }
        }),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "patched", "{}", s.row["detail"]);
    assert_eq!(s.row["fe_servers"], "EX1");
    assert_eq!(s.row["source"], "header+logon-page");
}

fn with_versions(values: &'static [&'static str]) -> Arc<Handler> {
    Arc::new(move |s, _| {
        let mut headers: Vec<String> = values.iter().map(|v| format!("X-OWA-Version: {v}")).collect();
        headers.push("X-FEServer: EX1".into());
        let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        respond(s, "200 OK", &refs, PAGE)
    })
}

#[test]
fn version_values_that_overflow_carry_junk_or_are_empty() {
    for value in ["15.1.99999999999.1", "15.1.2176.9<script>", ""] {
        let values: &'static [&'static str] = Box::leak(vec![value].into_boxed_slice());
        let port = serve(Front::Tls, self_signed(), with_versions(values));
        let s = scan(port, &[]);
        assert_eq!(s.row["status"], "su-unknown", "{value:?}: {}", s.row["detail"]);
        assert!(s.row["detail"].contains("unreadable X-OWA-Version"), "{}", s.row["detail"]);
        assert!(!s.row["detail"].chars().any(char::is_control), "server text is cleaned: {}", s.row["detail"]);
    }
}

#[test]
fn a_version_sent_twice_with_different_values_is_ambiguous() {
    let port = serve(Front::Tls, self_signed(), with_versions(&["15.1.2176.9", "15.1.2176.2"]));
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "ambiguous");
    assert!(s.row["detail"].contains("15.1.2176.9") && s.row["detail"].contains("15.1.2176.2"));
}

#[test]
fn a_manifest_with_a_doctype_and_entities_is_not_believed() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, path| {
            if path.starts_with("/ecp/") {
                let xml = br#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY v "15.1.2176.9"><!ENTITY x SYSTEM "file:///etc/passwd">]><a><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="&v;"/>&x;</a>"#;
                respond(s, "200 OK", &["X-FEServer: EX1"], xml)
            } else {
                respond(s, "200 OK", &["X-FEServer: EX1"], PAGE)
            }
        }),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "su-unknown", "only the page's CU is believed: {}", s.row["detail"]);
    assert!(s.row["detail"].contains("manifest"), "{}", s.row["detail"]);
}

#[test]
fn deeply_nested_html_is_read_in_time() {
    let mut page = "<div>".repeat(200_000).into_bytes();
    page.extend_from_slice(PAGE);
    let port = serve(Front::Tls, self_signed(), exchange_with_logon(move |s| respond(s, "200 OK", &[], &page)));
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "patched");
    assert_eq!(s.row["source"], "header+logon-page");
    // In time: scan() asserts the common 8 s bound; the tokenizer itself is linear (markers unit test).
}

#[test]
fn a_connection_reset_mid_body_is_noted() {
    let port = serve(
        Front::Tls,
        self_signed(),
        exchange_with_logon(|s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<html>partial");
            let _ = s.flush();
            Flow::Close // dropping the stream closes the connection mid-body
        }),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "patched", "{}", s.row["detail"]);
    // What came before the reset is kept, and the break is named.
    assert!(s.row["detail"].contains("GET /owa/auth/logon.aspx: the body broke off"), "{}", s.row["detail"]);
}

#[test]
fn a_server_on_old_tls_only_is_named_as_a_tls_problem() {
    let port = serve(Front::OldTlsOnly, self_signed(), exchange_with_logon(|s| respond(s, "200 OK", &[], PAGE)));
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "unreachable");
    assert!(
        s.row["detail"].contains("TLS handshake failed") && s.row["detail"].contains("ProtocolVersion"),
        "{}",
        s.row["detail"]
    );
}

#[test]
fn plain_http_on_the_https_port_is_a_tls_failure() {
    let port = serve(Front::Plain, self_signed(), with_versions(&["15.1.2176.2"]));
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "unreachable");
    assert!(s.row["detail"].starts_with("TLS handshake failed"), "{}", s.row["detail"]);
    assert!(s.row["detail"].contains("not with TLS"), "{}", s.row["detail"]);
}

#[test]
fn server_text_cannot_become_a_spreadsheet_formula() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, _| respond(s, "200 OK", &["X-FEServer: =cmd|' /C calc'!A0", "X-OWA-Version: +15.1.2176.9"], PAGE)),
    );
    let dir = std::env::temp_dir().join(format!("xx-hostile-formula-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, format!("host,port\n127.0.0.1,{port}\n")).unwrap();
    let out = bin().args(["scan", inv.to_str().unwrap(), "--timeout", "1"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let row = csv::Reader::from_reader(text.as_bytes()).records().next().unwrap().unwrap();
    assert_eq!(&row[12], "'=cmd|' /C calc'!A0", "fe_servers");
    for cell in row.iter() {
        assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell:?} could run as a formula");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn certificates_expired_wrong_host_and_self_signed_are_recorded() {
    let ca = test_ca();
    let dir = std::env::temp_dir().join(format!("xx-hostile-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.0.pem()).unwrap();
    let ca_arg = ["--ca-cert", ca_file.to_str().unwrap()];
    let cases = [
        (cert(Some(&ca), "127.0.0.1", false), "verified"),
        (cert(Some(&ca), "127.0.0.1", true), "unverified: certificate expired"),
        (cert(Some(&ca), "mail.elsewhere.invalid", false), "unverified: certificate not issued for this host"),
        (self_signed(), "unverified: issuer not trusted (self-signed or internal CA)"),
    ];
    for (cert, want) in cases {
        let port = serve(Front::Tls, cert, with_versions(&["15.1.2176.2"]));
        let s = scan(port, &ca_arg);
        assert_eq!(s.row["tls"], want);
        assert_eq!(s.row["status"], "vulnerable", "still probed");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_nul_byte_in_a_header_keeps_what_came_before_it() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, path| {
            if path == "/owa/" {
                let raw = b"HTTP/1.1 302 Found\r\nX-OWA-Version: 15.1.2176.2\r\nX-FEServer: EX\x001\r\nContent-Length: 0\r\n\r\n";
                let _ = s.write_all(raw);
                return Flow::Close;
            }
            respond(s, "200 OK", &["X-FEServer: EX2"], PAGE)
        }),
    );
    let s = scan(port, &[]);
    // The version header came before the bad line: it is kept (with the
    // page's CU it says vulnerable); the line with the NUL and after are not.
    assert_eq!(s.row["status"], "vulnerable", "{}", s.row["detail"]);
    assert_eq!(s.row["build"], "15.1.2176.2");
    assert_eq!(s.row["fe_servers"], "EX2");
    assert!(s.row["detail"].contains("GET /owa/ answered with malformed HTTP"), "{}", s.row["detail"]);
    assert!(!s.row["detail"].contains('\0'));
}
