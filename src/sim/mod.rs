//! The lab fleet: simulated Exchange servers on loopback addresses, over TLS
//! with certificates from a CA made at start-up, each playing one
//! personality. Response bodies come from `fixtures/`. For trying the tool,
//! tests and benchmarks; it binds loopback addresses only.

pub mod legacy;
pub mod network;
pub mod personalities;

use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use personalities::{Behaviour, FrontEnd, Mix, Page, Personality};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

const LOGON_2013: &str = include_str!("../../fixtures/logon-2013.html");
const LOGON_2010: &str = include_str!("../../fixtures/logon-2010.html");
const LOGON_NO_VERSION: &str = include_str!("../../fixtures/logon-noversion.html");
const MANIFEST: &str = include_str!("../../fixtures/exporttool.application");
const IIS_DEFAULT: &str = include_str!("../../fixtures/iis-default.html");

/// One simulated server.
#[derive(Debug, Clone)]
pub struct SimHost {
    /// Where it listens (loopback).
    pub addr: SocketAddr,
    /// What it plays.
    pub personality: &'static Personality,
}

/// A running fleet; dropping it stops every server.
pub struct Fleet {
    /// Every server, in the order asked for.
    pub hosts: Vec<SimHost>,
    /// The CA that signed every server's certificate (PEM), for `--ca-cert`.
    pub ca_pem: String,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// How the fleet's network and cast behave (`simulate --latency`,
/// `--silent`, `--legacy`); the default is loopback as it is, and the
/// plain personality cycle.
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditions {
    /// Added to every round trip: each flight a client sends is held this
    /// long before the server reads it.
    pub latency: std::time::Duration,
    /// Shares of silent and legacy-TLS hosts.
    pub mix: Mix,
}

/// The address of host `index` of a fleet starting at `first`.
pub fn host_addr(first: Ipv4Addr, index: u32) -> Result<Ipv4Addr> {
    let ip = u32::from(first).checked_add(index).map(Ipv4Addr::from).context("address range overflows")?;
    ensure!(ip.is_loopback(), "the lab fleet binds loopback addresses only; {ip} is not in 127.0.0.0/8");
    Ok(ip)
}

/// Starts `count` servers on consecutive addresses from `first`, all on
/// `port` (0: a free port each). Host `i` plays
/// `personalities::assign(i, &conditions.mix)`.
pub async fn start(first: Ipv4Addr, count: u32, port: u16, conditions: &Conditions) -> Result<Fleet> {
    let hosts: Vec<(SocketAddrV4, usize)> =
        (0..count).map(|i| Ok((SocketAddrV4::new(host_addr(first, i)?, port), i as usize))).collect::<Result<_>>()?;
    start_hosts_in(&hosts, conditions).await
}

/// Starts one server per `(address, host index)`; port 0 picks a free port.
pub async fn start_hosts(hosts: &[(SocketAddrV4, usize)]) -> Result<Fleet> {
    start_hosts_in(hosts, &Conditions::default()).await
}

/// `start_hosts` under the given network and cast.
pub async fn start_hosts_in(hosts: &[(SocketAddrV4, usize)], conditions: &Conditions) -> Result<Fleet> {
    // The process-wide rustls provider, the same one the prober installs.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca_key = KeyPair::generate().context("CA key")?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "exchange-exposure lab fleet CA");
    let ca = ca_params.self_signed(&ca_key).context("CA certificate")?;
    let leaf_key = KeyPair::generate().context("server key")?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let mut legacy_signer = None;

    let mut fleet = Fleet { hosts: Vec::new(), ca_pem: ca.pem(), tasks: Vec::new() };
    for &(sock, index) in hosts {
        let (ip, port) = (*sock.ip(), sock.port());
        ensure!(ip.is_loopback(), "the lab fleet binds loopback addresses only; {ip} is not in 127.0.0.0/8");
        let personality = personalities::assign(index, &conditions.mix);
        if matches!(personality.behaviour, Behaviour::Down) {
            // Nothing listens; the port reported is the one asked for (or 9, discard, when any will do).
            let port = if port == 0 { 9 } else { port };
            fleet.hosts.push(SimHost { addr: SocketAddr::new(IpAddr::V4(ip), port), personality });
            continue;
        }
        let listener = TcpListener::bind((ip, port)).await.with_context(|| format!("cannot listen on {ip}:{port}"))?;
        let addr = listener.local_addr()?;
        if matches!(personality.behaviour, Behaviour::Silent) {
            fleet.tasks.push(tokio::spawn(serve_silence(listener)));
            fleet.hosts.push(SimHost { addr, personality });
            continue;
        }
        let acceptor = match personality.legacy_tls {
            None => {
                let mut params = CertificateParams::new(Vec::<String>::new())?;
                params.subject_alt_names =
                    vec![SanType::IpAddress(IpAddr::V4(ip)), SanType::DnsName(LAB_NAMES.try_into()?)];
                params.distinguished_name.push(DnType::CommonName, format!("{ip}"));
                let cert = params.signed_by(&leaf_key, &ca, &ca_key).context("server certificate")?;
                let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone()];
                let config =
                    ServerConfig::builder().with_no_client_auth().with_single_cert(chain, key_der.clone_key())?;
                Acceptor::Rustls(TlsAcceptor::from(Arc::new(config)))
            }
            Some(kind) => {
                let signer = match &mut legacy_signer {
                    Some(signer) => signer,
                    None => legacy_signer.insert(legacy::Signer::new(ca.der(), &ca_key.serialize_pem())?),
                };
                Acceptor::OpenSsl(Arc::new(signer.acceptor(kind, ip, &[LAB_NAMES])?))
            }
        };
        let state = Arc::new(HostState { personality, addr, latency: conditions.latency });
        fleet.tasks.push(tokio::spawn(serve(listener, acceptor, state)));
        fleet.hosts.push(SimHost { addr, personality });
    }
    Ok(fleet)
}

struct HostState {
    personality: &'static Personality,
    addr: SocketAddr,
    latency: std::time::Duration,
}

/// The names (besides its address) every lab host's certificate is valid
/// for: the example inventory's `hostname` column.
pub const LAB_NAMES: &str = "*.lab.invalid";

/// A host's TLS: rustls, or OpenSSL playing an old Windows server.
#[derive(Clone)]
enum Acceptor {
    Rustls(TlsAcceptor),
    OpenSsl(Arc<openssl::ssl::SslAcceptor>),
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

impl Acceptor {
    /// The server side of the handshake; `None` when it failed.
    async fn accept(&self, tcp: Box<dyn Io>) -> Option<Box<dyn Io>> {
        match self {
            Acceptor::Rustls(acceptor) => Some(Box::new(acceptor.accept(tcp).await.ok()?)),
            Acceptor::OpenSsl(acceptor) => {
                let ssl = openssl::ssl::Ssl::new(acceptor.context()).ok()?;
                let mut stream = tokio_openssl::SslStream::new(ssl, tcp).ok()?;
                std::pin::Pin::new(&mut stream).accept().await.ok()?;
                Some(Box::new(stream))
            }
        }
    }
}

async fn serve(listener: TcpListener, acceptor: Acceptor, state: Arc<HostState>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            // Out of descriptors, most likely: let connections close first.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        };
        // Without it, Nagle's algorithm meets the client's delayed ACK and
        // each response waits ~40 ms (measured: it capped the benchmark).
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let state = state.clone();
        tokio::spawn(async move {
            let stream: Box<dyn Io> =
                if state.latency.is_zero() { Box::new(tcp) } else { Box::new(network::delayed(tcp, state.latency)) };
            let Some(tls) = acceptor.accept(stream).await else { return };
            if matches!(state.personality.behaviour, Behaviour::Drip) {
                return drip(tls).await;
            }
            // Front ends take requests in turn, counted per connection, like a
            // balancer that spreads requests; per connection, so runs repeat.
            let turn = Arc::new(AtomicUsize::new(0));
            let service = hyper::service::service_fn(move |req| {
                let (state, turn) = (state.clone(), turn.clone());
                async move { Ok::<_, std::convert::Infallible>(respond(&state, &turn, &req)) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service).await;
        });
    }
}

/// The slow-drip host: every request but the canary gets a version
/// header, 60 KB of a 10 MB body, then 900 bytes every 0.2 s until the
/// client goes (or a minute passes); the canary gets a 404.
async fn drip(mut tls: Box<dyn Io>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut chunk = [0u8; 2048];
    loop {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match tls.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) if head.len() + n <= 64 * 1024 => head.extend_from_slice(&chunk[..n]),
                Ok(_) => return,
            }
        }
        let end = head.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
        let path = String::from_utf8_lossy(&head[..end]).split_whitespace().nth(1).unwrap_or("/").to_string();
        head.drain(..end);
        if path.starts_with("/exchange-exposure-") {
            let answer = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nX-FEServer: EXDRIP\r\n\r\n";
            if tls.write_all(answer).await.is_err() {
                return;
            }
            continue;
        }
        let answer =
            b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\nX-OWA-Version: 15.1.2176.2\r\nX-FEServer: EXDRIP\r\n\r\n";
        if tls.write_all(answer).await.is_err() || tls.write_all(&[b'x'; 60 * 1024]).await.is_err() {
            return;
        }
        for _ in 0..300 {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            if tls.write_all(&[b'y'; 900]).await.is_err() || tls.flush().await.is_err() {
                return;
            }
        }
        return;
    }
}

/// A host that accepts connections and never sends a byte: each is read
/// (and what comes discarded) until the client gives up and closes.
async fn serve_silence(listener: TcpListener) {
    loop {
        let Ok((mut tcp, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        };
        tokio::spawn(async move {
            let mut sink = [0u8; 4096];
            while let Ok(n) = tokio::io::AsyncReadExt::read(&mut tcp, &mut sink).await {
                if n == 0 {
                    break;
                }
            }
        });
    }
}

fn respond(state: &HostState, turn: &AtomicUsize, req: &Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_ascii_lowercase();
    let host = req.headers().get(hyper::header::HOST).and_then(|h| h.to_str().ok()).map(crate::sanitize::clean);
    let host = host.unwrap_or_else(|| state.addr.to_string());
    match state.personality.behaviour {
        Behaviour::Exchange(front_ends) => {
            let fe = &front_ends[turn.fetch_add(1, Ordering::Relaxed) % front_ends.len()];
            exchange_response(fe, &path, &host)
        }
        _ => match path.as_str() {
            "/" => reply(StatusCode::OK, "text/html", IIS_DEFAULT.to_string()),
            _ => reply(StatusCode::NOT_FOUND, "text/html", "<h1>404 - File or directory not found.</h1>".into()),
        },
    }
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(hyper::header::CONTENT_TYPE, content_type.parse().expect("static content type"));
    headers.insert(hyper::header::SERVER, "Microsoft-IIS/10.0".parse().expect("static"));
    response
}

fn exchange_response(fe: &FrontEnd, path: &str, host: &str) -> Response<Full<Bytes>> {
    let mut response = match path {
        "/owa" | "/owa/" => {
            let mut r = reply(StatusCode::FOUND, "text/html", String::new());
            let location = format!("https://{host}/owa/auth/logon.aspx?url=https%3a%2f%2f{host}%2fowa%2f&reason=0");
            if let Ok(value) = location.parse() {
                r.headers_mut().insert(hyper::header::LOCATION, value);
            }
            r
        }
        "/owa/auth/logon.aspx" => reply(StatusCode::OK, "text/html; charset=utf-8", logon_page(&fe.page, host)),
        "/ecp/current/exporttool/microsoft.exchange.ediscovery.exporttool.application" => match fe.manifest {
            Some(version) => reply(
                StatusCode::OK,
                "application/x-ms-application",
                MANIFEST.replace("{{BUILD}}", version).replace("{{TOKEN}}", "b03f5f7f11d50a3a"),
            ),
            None => reply(StatusCode::NOT_FOUND, "text/html", String::new()),
        },
        "/ews/exchange.asmx" | "/autodiscover/autodiscover.xml" => {
            let mut r = reply(StatusCode::UNAUTHORIZED, "text/html", String::new());
            r.headers_mut().insert(hyper::header::WWW_AUTHENTICATE, "Negotiate".parse().expect("static"));
            r
        }
        _ => reply(StatusCode::NOT_FOUND, "text/html", String::new()),
    };
    let headers = response.headers_mut();
    headers.insert("x-feserver", fe.name.parse().expect("static front-end name"));
    if let Some(version) = fe.header {
        headers.insert("x-owa-version", version.parse().expect("static version"));
    }
    response
}

fn logon_page(page: &Page, host: &str) -> String {
    let host = host.replace(['"', '<', '>', '&'], "");
    match page {
        Page::Modern(cu) => LOGON_2013.replace("{{CU}}", cu).replace("{{HOST}}", &host),
        Page::Legacy(build) => LOGON_2010.replace("{{BUILD}}", build).replace("{{HOST}}", &host),
        Page::NoVersion => LOGON_NO_VERSION.to_string(),
    }
}
