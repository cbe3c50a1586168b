//! Raw servers on loopback for the end-to-end tests of hostile and
//! real-world servers: they speak bytes over TLS (rustls, blocking, a thread
//! per connection) so they can send what no well-behaved server library
//! would; and a one-host scan of them with its time and memory bounds.

use super::bin;
use rcgen::{CertificateParams, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a connection's handler is given: the stream and the request path.
pub type Handler = dyn Fn(&mut dyn ReadWrite, &str) -> Flow + Send + Sync;

pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// After a response: keep the connection for another request, or close it.
pub enum Flow {
    KeepAlive,
    Close,
}

/// How the listener treats a new connection before HTTP.
#[derive(Clone, Copy)]
pub enum Front {
    /// TLS with the given certificate, then the handler.
    Tls,
    /// Accept and never speak.
    Silent,
    /// Plain TCP: the handler gets the raw socket (plain HTTP on the HTTPS port).
    Plain,
    /// Answer the ClientHello with a fatal protocol_version alert, as a
    /// server that speaks only TLS versions the client does not offer.
    OldTlsOnly,
    /// TLS, and the handler answers every path, the scanner's canary too.
    TlsCatchAll,
    /// Plain HTTP: the handler serves requests on the raw socket.
    PlainHttp,
    /// Answer the ClientHello with a fatal handshake_failure alert, as IIS
    /// does when no certificate is bound for the name asked (none: by IP).
    NoCertificate,
}

pub struct Cert {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// A certificate for 127.0.0.1, self-signed unless `ca` signs it.
pub fn cert(ca: Option<&(rcgen::Certificate, KeyPair)>, host: &str, expired: bool) -> Cert {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![host.to_string()]).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, host);
    if expired {
        params.not_before = rcgen::date_time_ymd(2019, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    }
    let cert = match ca {
        Some((ca_cert, ca_key)) => params.signed_by(&key, ca_cert, ca_key).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    Cert { chain: vec![cert.der().clone()], key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())) }
}

pub fn test_ca() -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, "hostile tests CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    (params.self_signed(&key).unwrap(), key)
}

/// Starts a server on 127.0.0.1; returns its port. It lives as long as the test process.
pub fn serve(front: Front, cert: Cert, handler: Arc<Handler>) -> u16 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config =
        Arc::new(rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(cert.chain, cert.key).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let (config, handler) = (config.clone(), handler.clone());
            std::thread::spawn(move || connection(front, tcp, config, &*handler));
        }
    });
    port
}

pub fn connection(front: Front, mut tcp: TcpStream, config: Arc<rustls::ServerConfig>, handler: &Handler) {
    let _ = tcp.set_nodelay(true);
    match front {
        Front::Silent => std::thread::sleep(Duration::from_secs(30)),
        Front::OldTlsOnly | Front::NoCertificate => {
            let alert = if matches!(front, Front::OldTlsOnly) { 0x46 } else { 0x28 };
            let mut hello = [0u8; 512];
            let _ = tcp.read(&mut hello);
            let _ = tcp.write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, alert]);
        }
        Front::Plain => {
            // A plain HTTP server answers the ClientHello's bytes as a bad request.
            let mut hello = [0u8; 512];
            let _ = tcp.read(&mut hello);
            let _ = respond(&mut tcp, "400 Bad Request", &["Connection: close"], b"Bad Request");
        }
        Front::PlainHttp => requests(&mut tcp, handler),
        Front::Tls | Front::TlsCatchAll => {
            let Ok(conn) = rustls::ServerConnection::new(config) else { return };
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            requests_with(&mut tls, handler, matches!(front, Front::TlsCatchAll));
        }
    }
}

/// The path the scanner asks to tell a look-alike from Exchange: like IIS,
/// these servers answer it 404 unless they play a catch-all
/// (`Front::TlsCatchAll`), which hands it to the handler like any other.
pub const CANARY_PREFIX: &str = "/exchange-exposure-";

pub fn requests(stream: &mut dyn ReadWrite, handler: &Handler) {
    requests_with(stream, handler, false)
}

fn requests_with(stream: &mut dyn ReadWrite, handler: &Handler, catch_all: bool) {
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
        let flow = if !catch_all && path.starts_with(CANARY_PREFIX) {
            respond(stream, "404 Not Found", &[], b"")
        } else {
            handler(stream, &path)
        };
        if matches!(flow, Flow::Close) {
            return;
        }
    }
}

/// A plain, well-formed response.
pub fn respond(stream: &mut dyn ReadWrite, status: &str, headers: &[&str], body: &[u8]) -> Flow {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len()).into_bytes();
    for h in headers {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    if stream.write_all(&out).and_then(|_| stream.flush()).is_err() {
        return Flow::Close;
    }
    Flow::KeepAlive
}

pub const PAGE: &[u8] = b"<!-- OwaPage = ASP.auth_logon_aspx --><link rel='shortcut icon' href='/owa/auth/15.1.2176/themes/resources/favicon.ico'>";

/// An Exchange 2016 CU19 (patched) whose logon page is replaced by `logon`.
pub fn exchange_with_logon(logon: impl Fn(&mut dyn ReadWrite) -> Flow + Send + Sync + 'static) -> Arc<Handler> {
    Arc::new(move |s, path| match path {
        "/owa/" => respond(
            s,
            "302 Found",
            &["X-OWA-Version: 15.1.2176.9", "X-FEServer: EX1", "Location: /owa/auth/logon.aspx"],
            b"",
        ),
        "/owa/auth/logon.aspx" => logon(s),
        _ => respond(s, "404 Not Found", &["X-FEServer: EX1"], b""),
    })
}

pub struct Scan {
    pub row: std::collections::HashMap<String, String>,
    pub peak_mib: f64,
}

/// Scans one host with a 1 s request timeout (so 4 s per host).
pub fn scan(port: u16, extra: &[&str]) -> Scan {
    scan_inventory(port, &format!("host,port\n127.0.0.1,{port}\n"), extra)
}

/// Scans a one-row inventory (`key` names its temporary folder).
pub fn scan_inventory(key: u16, inventory: &str, extra: &[&str]) -> Scan {
    let dir = std::env::temp_dir().join(format!("xx-hostile-{}-{key}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, inventory).unwrap();
    let started = Instant::now();
    let out = bin()
        .args(["scan", inv.to_str().unwrap(), "--timeout", "1", "--format", "jsonl", "--fail-on", ""])
        .args(extra)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = String::from_utf8(out.stdout).unwrap();
    let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line.trim()).unwrap();
    // Typed values as their CSV text: lists `;`-joined, null empty.
    let text = |v: serde_json::Value| match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s,
        serde_json::Value::Array(items) => {
            items.iter().map(|i| i.as_str().unwrap_or_default()).collect::<Vec<_>>().join(";")
        }
        other => other.to_string(),
    };
    let row: std::collections::HashMap<String, String> = obj.into_iter().map(|(k, v)| (k, text(v))).collect();
    // A lone host that could not be reached judged nothing: exit 2 (issue 12).
    let want = if row["status"] == "unreachable" { 2 } else { 0 };
    assert_eq!(out.status.code(), Some(want), "{stderr}");
    let peak_mib = stderr
        .split("peak memory ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a peak memory figure");
    std::fs::remove_dir_all(dir).unwrap();
    // Every case: within the host deadline (4 s) plus start-up, and small.
    assert!(elapsed < Duration::from_secs(8), "took {elapsed:?}");
    assert!(peak_mib < 100.0, "peak {peak_mib} MiB");
    Scan { row, peak_mib }
}

pub fn self_signed() -> Cert {
    cert(None, "127.0.0.1", false)
}
