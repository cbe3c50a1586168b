//! Situations a scanner meets in the field (README, "What the prober
//! reads"), each played by a raw server on loopback: every row must get the
//! status a careful expert with curl and openssl would give.

mod common;

use common::server::*;
use std::sync::Arc;

/// A 2016 CU19 sign-in page (CU only) for the sign-in path.
fn page(s: &mut dyn ReadWrite) -> Flow {
    respond(s, "200 OK", &["Content-Type: text/html"], PAGE)
}

#[test]
fn an_edge_that_publishes_only_ews_is_read_from_its_401() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, path| match path {
            "/EWS/Exchange.asmx" => {
                respond(s, "401 Unauthorized", &["WWW-Authenticate: Negotiate", "x-owa-version: 15.1.2176.2"], b"")
            }
            _ => respond(s, "404 Not Found", &[], b""),
        }),
    );
    let s = scan(port, &[]);
    assert_eq!((&*s.row["status"], &*s.row["source"]), ("vulnerable", "header"), "{}", s.row["detail"]);
}

#[test]
fn exchange_2007s_logon_page_answers_400_and_still_names_its_build() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, path| match path {
            "/owa/" => respond(s, "302 Found", &["Location: /owa/auth/logon.aspx"], b""),
            "/owa/auth/logon.aspx" => respond(
                s,
                "400 Bad Request",
                &[],
                b"<html><link type='text/css' rel='stylesheet' href='/owa/8.3.485.1/themes/base/logon.css'></html>",
            ),
            _ => respond(s, "404 Not Found", &[], b""),
        }),
    );
    let s = scan(port, &[]);
    assert_eq!((&*s.row["status"], &*s.row["build"]), ("not-affected", "8.3.485.1"), "{}", s.row["detail"]);
}

#[test]
fn a_broken_owa_redirects_to_its_error_page_which_still_names_the_cu() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, path| match path {
            "/owa/" | "/owa/auth/logon.aspx" => {
                respond(s, "302 Found", &["Location: /owa/auth/errorFE.aspx?httpCode=500", "X-FEServer: EX1"], b"")
            }
            "/owa/auth/errorFE.aspx?httpCode=500" => respond(s, "500 Internal Server Error", &[], PAGE),
            _ => respond(s, "404 Not Found", &[], b""),
        }),
    );
    let s = scan(port, &[]);
    assert_eq!((&*s.row["status"], &*s.row["build"]), ("su-unknown", "15.1.2176"), "{}", s.row["detail"]);
}

#[test]
fn claims_based_owa_redirects_to_ad_fs_while_ews_shows_the_build() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, path| match path {
            "/owa/" | "/ecp/" => {
                respond(s, "302 Found", &["Location: https://adfs.corp.invalid/adfs/ls/?wa=wsignin1.0"], b"")
            }
            "/EWS/Exchange.asmx" => {
                respond(s, "401 Unauthorized", &["X-OWA-Version: 15.1.2176.9", "X-FEServer: EX1"], b"")
            }
            _ => respond(s, "404 Not Found", &[], b""),
        }),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "patched", "{}", s.row["detail"]);
}

#[test]
fn exchange_online_is_recognised_by_its_back_ends_redirects_and_challenges() {
    let signs: [&'static [&'static str]; 3] = [
        &["X-CalculatedBETarget: AM0PR01MB1234.eurprd01.prod.outlook.com", "X-FEServer: AM0PR01CA0001"],
        &[
            "Location: https://login.microsoftonline.com/common/oauth2/authorize?client_id=00000002-0000-0ff1-ce00-000000000000&redirect_uri=x",
        ],
        &["WWW-Authenticate: Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", trusted_issuers=\"x\""],
    ];
    for headers in signs {
        let port = serve(
            Front::Tls,
            self_signed(),
            Arc::new(move |s, _| {
                let status = if headers[0].starts_with("Location") { "302 Found" } else { "401 Unauthorized" };
                respond(s, status, headers, b"")
            }),
        );
        let s = scan(port, &[]);
        assert_eq!(s.row["status"], "not-affected", "{headers:?}: {}", s.row["detail"]);
        assert!(s.row["detail"].contains("Exchange Online"), "{}", s.row["detail"]);
    }
}

#[test]
fn a_pre_authenticating_gateway_is_named_and_the_host_undetermined() {
    let gateways: [(&'static str, &'static [&'static str], &str); 5] = [
        ("302 Found", &["Location: /my.policy", "Set-Cookie: MRHSession=abc; path=/"], "F5 BIG-IP APM"),
        ("302 Found", &["Location: /logon/LogonPoint/index.html", "Set-Cookie: NSC_TMAS=xyz"], "NetScaler"),
        ("302 Found", &["Location: /CookieAuth.dll?GetLogon?curl=Z2Fowa&reason=0"], "TMG"),
        (
            "307 Temporary Redirect",
            &["Location: https://sts.corp.invalid/adfs/ls/?wa=wsignin1.0"],
            "Web Application Proxy",
        ),
        (
            "302 Found",
            &[
                "Location: https://login.microsoftonline.com/tenant/oauth2/authorize?client_id=11111111-2222-3333-4444-555555555555",
            ],
            "Entra application proxy",
        ),
    ];
    for (status, headers, name) in gateways {
        let port = serve(Front::Tls, self_signed(), Arc::new(move |s, _| respond(s, status, headers, b"")));
        let s = scan(port, &[]);
        assert_eq!(s.row["status"], "undetermined", "{name}: {}", s.row["detail"]);
        assert!(s.row["detail"].contains(name) && s.row["detail"].contains("scan from inside"), "{}", s.row["detail"]);
    }
}

#[test]
fn a_name_only_binding_asked_by_address_says_to_scan_by_name() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, _| {
            let body =
                b"<h2>Bad Request - Invalid Hostname</h2><hr><p>HTTP Error 400. The request hostname is invalid.</p>";
            respond(s, "400 Bad Request", &["Server: Microsoft-HTTPAPI/2.0", "Content-Type: text/html"], body)
        }),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "undetermined", "{}", s.row["detail"]);
    assert!(s.row["detail"].contains("scan it by name"), "{}", s.row["detail"]);
    // SNI-only bindings: by address there is no certificate, the handshake fails.
    let port = serve(Front::NoCertificate, self_signed(), Arc::new(|s, _| respond(s, "404 Not Found", &[], b"")));
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "unreachable", "{}", s.row["detail"]);
    assert!(
        s.row["detail"].contains("HandshakeFailure") && s.row["detail"].contains("scan it by name"),
        "{}",
        s.row["detail"]
    );
}

#[test]
fn a_version_header_before_a_broken_body_still_counts() {
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, path| {
            if path == "/owa/" {
                // Bad chunk sizes after a sound head.
                let _ = s.write_all(b"HTTP/1.1 302 Found\r\nX-OWA-Version: 15.1.2176.2\r\nLocation: /owa/auth/logon.aspx\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n");
                let _ = s.flush();
                return Flow::Close;
            }
            match path {
                "/owa/auth/logon.aspx" => page(s),
                _ => respond(s, "404 Not Found", &[], b""),
            }
        }),
    );
    let s = scan(port, &[]);
    assert_eq!((&*s.row["status"], &*s.row["build"]), ("vulnerable", "15.1.2176.2"), "{}", s.row["detail"]);
    assert!(s.row["detail"].contains("broke off"), "{}", s.row["detail"]);
}

#[test]
fn malformed_answers_are_never_unreachable() {
    let answers: [&'static [u8]; 5] = [
        b"<html>hello, this is HTTP/0.9</html>",
        b"HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Esc: \x1b[31mred\r\nContent-Length: 0\r\n\r\n",
    ];
    for raw in answers {
        let port = serve(
            Front::Tls,
            self_signed(),
            Arc::new(move |s, _| {
                let _ = s.write_all(raw);
                let _ = s.flush();
                Flow::Close
            }),
        );
        let s = scan(port, &[]);
        assert_ne!(s.row["status"], "unreachable", "{raw:?}: {}", s.row["detail"]);
        assert!(s.row["detail"].contains("malformed HTTP"), "{raw:?}: {}", s.row["detail"]);
    }
}

#[test]
fn plain_http_that_redirects_to_https_on_the_same_host_is_probed_over_https() {
    let tls_port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, path| match path {
            "/owa/" => respond(s, "302 Found", &["X-OWA-Version: 15.1.2176.2", "Location: /owa/auth/logon.aspx"], b""),
            "/owa/auth/logon.aspx" => page(s),
            _ => respond(s, "404 Not Found", &[], b""),
        }),
    );
    let location = format!("Location: https://127.0.0.1:{tls_port}/owa/");
    let location: &'static str = Box::leak(location.into_boxed_str());
    let plain_port = serve(
        Front::PlainHttp,
        self_signed(),
        Arc::new(move |s, _| respond(s, "301 Moved Permanently", &[location], b"")),
    );
    let s = scan_inventory(plain_port, &format!("url\nhttp://127.0.0.1:{plain_port}/\n"), &[]);
    assert_eq!((&*s.row["status"], &*s.row["build"]), ("vulnerable", "15.1.2176.2"), "{}", s.row["detail"]);
    assert!(s.row["tls"].starts_with("unverified"), "the HTTPS session is recorded: {}", s.row["tls"]);
    assert!(s.row["detail"].contains("plain HTTP redirects to HTTPS"), "{}", s.row["detail"]);
}

#[test]
fn a_look_alike_that_answers_every_path_alike_is_not_exchange() {
    // An OWA honeypot or a C2 profile: the same Exchange headers and sign-in
    // page, with success, whatever the path.
    let port = serve(
        Front::TlsCatchAll,
        self_signed(),
        Arc::new(|s, _| respond(s, "200 OK", &["X-OWA-Version: 15.1.2176.2", "X-FEServer: EX01"], PAGE)),
    );
    let s = scan(port, &[]);
    assert_eq!(s.row["status"], "not-exchange", "{}", s.row["detail"]);
    assert!(s.row["detail"].contains("look-alike"), "{}", s.row["detail"]);
    // The same server with real 404s for unknown paths is judged on what it shows.
    let port = serve(
        Front::Tls,
        self_signed(),
        Arc::new(|s, _| respond(s, "200 OK", &["X-OWA-Version: 15.1.2176.2", "X-FEServer: EX01"], PAGE)),
    );
    assert_eq!(scan(port, &[]).row["status"], "vulnerable");
}

#[test]
fn a_row_with_an_address_and_a_name_connects_to_the_address_and_presents_the_name() {
    // A server whose certificate names it, not its address.
    let ca = test_ca();
    let port = serve(
        Front::Tls,
        cert(Some(&ca), "mail.lab.example", false),
        Arc::new(|s, path| match path {
            "/owa/" => respond(s, "302 Found", &["X-OWA-Version: 15.1.2176.9", "Location: /owa/auth/logon.aspx"], b""),
            "/owa/auth/logon.aspx" => page(s),
            _ => respond(s, "404 Not Found", &[], b""),
        }),
    );
    let dir = std::env::temp_dir().join(format!("xx-pair-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.0.pem()).unwrap();
    let inventory = format!("host,port,hostname\n127.0.0.1,{port},mail.lab.example\n");
    let s = scan_inventory(port, &inventory, &["--ca-cert", ca_file.to_str().unwrap()]);
    assert_eq!(s.row["status"], "patched", "{}", s.row["detail"]);
    // The certificate names mail.lab.example only: it verified, so the name was presented.
    assert_eq!(s.row["tls"], "verified");
    assert_eq!((&*s.row["host"], &*s.row["hostname"]), ("127.0.0.1", "mail.lab.example"), "both reported");
    // Without the name, the same server is judged, but its certificate is not for the address.
    let s =
        scan_inventory(port + 1, &format!("host,port\n127.0.0.1,{port}\n"), &["--ca-cert", ca_file.to_str().unwrap()]);
    assert_eq!(s.row["tls"], "unverified: certificate not issued for this host");
    std::fs::remove_dir_all(dir).unwrap();
}
