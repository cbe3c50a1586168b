//! One HTTP/1.1 connection to one host, over TLS or plain TCP: DNS, connect,
//! handshake (with the certificate's verdict recorded), then GETs on the same
//! connection with capped headers and bodies. Failures are typed so the
//! report can say which step failed.

use super::dns::Resolver;
use super::tls::Tls;
use crate::evidence::{CertState, TlsState};
use crate::target::Endpoint;
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout, timeout_at};

/// The most of a body that is read; the rest is never fetched.
pub const MAX_BODY: usize = 1024 * 1024;
/// The most header bytes accepted in one response.
const MAX_HEADER_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 200;

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HttpError {
    /// The name did not resolve (or the lookup timed out).
    #[error("DNS lookup failed: {0}")]
    Dns(String),
    /// No address accepted a TCP connection (refused, unreachable, reset).
    #[error("TCP connect failed: {0}")]
    Connect(String),
    /// Neither TLS stack completed a handshake.
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// The chain did not verify and `--require-valid-tls` was given.
    #[error("certificate not trusted: {0}")]
    Untrusted(String),
    /// A step took longer than its limit.
    #[error("timed out after {secs}s during {stage}")]
    Timeout {
        /// The step that ran out of time, as the sentence names it.
        stage: &'static str,
        /// The limit that ran out, in seconds.
        secs: f64,
    },
    /// The HTTP exchange failed after the connection was up.
    #[error("HTTP error: {0}")]
    Http(String),
    /// The server answered, but not with HTTP that can be parsed: it is not
    /// unreachable, and a lenient read may still find evidence in it.
    #[error("malformed HTTP response: {0}")]
    Malformed(String),
    /// This machine ran out of something (open files, buffers, ports) for
    /// longer than a request may take: nothing is known of the host.
    #[error("the scanner ran out of local resources: {0}")]
    Local(String),
}

/// A response, with its body capped at `MAX_BODY`.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// Every header (capped in number and bytes).
    pub headers: HeaderMap,
    /// The body, at most `MAX_BODY` bytes.
    pub body: Bytes,
    /// Why the body (or the head, for a lenient read) broke off, when it
    /// did: what arrived before the fault still counts.
    pub broken: Option<String>,
}

/// A connection's byte stream, whatever carries it.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// One open connection; dropping it closes the socket.
pub struct Connection {
    sender: SendRequest<Empty<Bytes>>,
    driver: JoinHandle<()>,
    /// False once a body was left unread or the server closed.
    reusable: bool,
    /// How the connection's transport fared.
    pub tls: TlsState,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Settings for one connection's requests.
#[derive(Debug, Clone)]
pub struct Limits {
    /// For each request's answer (head and body), and for DNS.
    pub request_timeout: Duration,
    /// For reaching the host at all: TCP connect and TLS handshake, every
    /// address and the legacy fallback included, counted once. A silent
    /// host costs this, once.
    pub connect_timeout: Duration,
    /// Sent on every request: the tool's honest name and version.
    pub user_agent: HeaderValue,
    /// `--require-valid-tls`: a chain that does not verify fails the connection.
    pub require_valid_tls: bool,
    /// An HTTP proxy to tunnel through with CONNECT (`--proxy`); none by default.
    pub proxy: Option<Endpoint>,
    /// Retry with the OpenSSL fallback when rustls shares nothing with the
    /// server (`super::legacy`); off with `--no-legacy-tls`.
    pub legacy_tls: bool,
}

/// The longest answer to CONNECT read from a proxy.
const MAX_PROXY_REPLY: usize = 16 * 1024;

fn timed_out(stage: &'static str, limit: Duration) -> HttpError {
    HttpError::Timeout { stage, secs: limit.as_secs_f64() }
}

/// Resolves where to connect for the endpoint (once per host): the proxy if
/// there is one (it resolves the target itself), else the endpoint. Every
/// address, in the resolver's order.
pub async fn resolve(ep: &Endpoint, resolver: &Resolver, limits: &Limits) -> Result<Vec<SocketAddr>, HttpError> {
    let ep = limits.proxy.as_ref().unwrap_or(ep);
    if let Some(ip) = ep.connect {
        return Ok(vec![SocketAddr::new(ip, ep.port)]);
    }
    let addrs = timeout(limits.request_timeout, resolver.lookup(&ep.host, ep.port))
        .await
        .map_err(|_| timed_out("DNS lookup", limits.request_timeout))?
        .map_err(HttpError::Dns)?;
    if addrs.is_empty() {
        return Err(HttpError::Dns(format!("no address for {}", ep.host)));
    }
    Ok(addrs)
}

/// TCP to the first address that answers (a name such as `localhost` may
/// resolve to ::1 first while the server listens on 127.0.0.1), all by
/// `deadline`. The one that answered moves to the front, so later
/// connections go straight to it. Running out of local resources (open
/// files, ports) is waited out and retried until the deadline, never blamed
/// on the host.
async fn tcp_connect(addrs: &mut [SocketAddr], deadline: Instant, limit: Duration) -> Result<TcpStream, HttpError> {
    let mut last = HttpError::Connect("no address to connect to".into());
    let mut i = 0;
    while i < addrs.len() {
        match timeout_at(deadline, TcpStream::connect(addrs[i])).await {
            Ok(Ok(tcp)) => {
                addrs.swap(0, i);
                return Ok(tcp);
            }
            Ok(Err(e)) if crate::resources::is_local_exhaustion(&e) => {
                if Instant::now() >= deadline {
                    return Err(HttpError::Local(e.to_string()));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Ok(Err(e)) => last = HttpError::Connect(format!("{}: {e}", addrs[i])),
            // The deadline is shared: the addresses left get no time either.
            Err(_) => return Err(timed_out("TCP connect", limit)),
        }
        i += 1;
    }
    Err(last)
}

/// TCP to the endpoint (through the proxy's tunnel when there is one), by `deadline`.
async fn open_tcp(
    ep: &Endpoint,
    addrs: &mut [SocketAddr],
    limits: &Limits,
    deadline: Instant,
) -> Result<TcpStream, HttpError> {
    let limit = limits.connect_timeout;
    let mut tcp = tcp_connect(addrs, deadline, limit).await?;
    let _ = tcp.set_nodelay(true);
    if limits.proxy.is_some() {
        timeout_at(deadline, tunnel(&mut tcp, ep, limits)).await.map_err(|_| timed_out("proxy CONNECT", limit))??;
    }
    Ok(tcp)
}

/// A byte stream to the endpoint: TCP, then TLS if the endpoint wants it
/// (rustls, and the legacy fallback over a fresh connection when rustls
/// shares nothing with the server), all within one connect timeout.
pub async fn open_stream(
    ep: &Endpoint,
    addrs: &mut [SocketAddr],
    tls: &Tls,
    limits: &Limits,
) -> Result<(Box<dyn Io>, TlsState), HttpError> {
    let limit = limits.connect_timeout;
    let deadline = Instant::now() + limit;
    let tcp = open_tcp(ep, addrs, limits, deadline).await?;
    Ok(if ep.https {
        let name = server_name(&ep.host)?;
        let connector = tokio_rustls::TlsConnector::from(tls.config.clone());
        let (io, chain, legacy): (Box<dyn Io>, Vec<CertificateDer<'static>>, Option<String>) = match timeout_at(
            deadline,
            connector.connect(name.clone(), tcp),
        )
        .await
        {
            Err(_) => return Err(timed_out("TLS handshake", limit)),
            Ok(Ok(stream)) => {
                let chain = stream.get_ref().1.peer_certificates().unwrap_or_default().to_vec();
                (Box::new(stream), chain.into_iter().map(|c| c.into_owned()).collect(), None)
            }
            Ok(Err(err)) => {
                let rustls_err = err.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>());
                if !rustls_err.is_some_and(super::legacy::wants_fallback) {
                    return Err(HttpError::Tls(format!("{}{}", tls_failure(&err), sni_hint(ep))));
                }
                if !limits.legacy_tls {
                    return Err(HttpError::Tls(format!(
                        "{} (the server offers only protocols, suites or keys that modern TLS refuses, and --no-legacy-tls turned the fallback off){}",
                        tls_failure(&err),
                        sni_hint(ep)
                    )));
                }
                let tcp = open_tcp(ep, addrs, limits, deadline).await?;
                let session = timeout_at(deadline, super::legacy::handshake(&tls.legacy, tcp, &ep.host))
                    .await
                    .map_err(|_| timed_out("legacy TLS handshake", limit))?
                    .map_err(|why| {
                        HttpError::Tls(format!(
                            "{}; the legacy-TLS fallback failed too: {why}{}",
                            tls_failure(&err),
                            sni_hint(ep)
                        ))
                    })?;
                (Box::new(session.stream), session.chain, Some(session.description))
            }
        };
        let cert = match tls.verify(&chain, &name) {
            Ok(()) => CertState::Verified,
            Err(why) if limits.require_valid_tls => return Err(HttpError::Untrusted(why)),
            Err(why) => CertState::Unverified(why),
        };
        (io, TlsState { cert, legacy })
    } else {
        (Box::new(tcp), TlsState { cert: CertState::PlainHttp, legacy: None })
    })
}

/// Opens a connection: the stream, then HTTP/1.1 over it.
pub async fn connect(
    ep: &Endpoint,
    addrs: &mut [SocketAddr],
    tls: &Tls,
    limits: &Limits,
) -> Result<Connection, HttpError> {
    let (io, state) = open_stream(ep, addrs, tls, limits).await?;
    let (sender, conn) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(MAX_HEADER_BYTES.max(8192))
        .max_headers(MAX_HEADERS)
        .handshake(TokioIo::new(io))
        .await
        .map_err(|e| HttpError::Http(error_chain(&e)))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(Connection { sender, driver, reusable: true, tls: state })
}

/// Asks the proxy for a tunnel to the endpoint.
async fn tunnel(tcp: &mut TcpStream, ep: &Endpoint, limits: &Limits) -> Result<(), HttpError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The inventory's address when it gives one: the proxy need not resolve the name.
    let target = match ep.connect {
        Some(ip) => SocketAddr::new(ip, ep.port).to_string(),
        None => format!("{}:{}", ep.url_host(), ep.port),
    };
    let ua = limits.user_agent.to_str().unwrap_or("exchange-exposure");
    let request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {ua}\r\n\r\n");
    let proxy_err = |why: String| HttpError::Connect(format!("proxy: {why}"));
    tcp.write_all(request.as_bytes()).await.map_err(|e| proxy_err(e.to_string()))?;
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    // Byte by byte: nothing past the blank line may be consumed, it belongs to the tunnel.
    while !reply.ends_with(b"\r\n\r\n") {
        if reply.len() >= MAX_PROXY_REPLY {
            return Err(proxy_err("reply to CONNECT too long".into()));
        }
        match tcp.read(&mut byte).await.map_err(|e| proxy_err(e.to_string()))? {
            0 => return Err(proxy_err("closed the connection".into())),
            _ => reply.push(byte[0]),
        }
    }
    let status_line = String::from_utf8_lossy(reply.split(|&b| b == b'\r').next().unwrap_or_default()).into_owned();
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        _ => Err(proxy_err(format!("refused CONNECT to {target}: {:?}", crate::sanitize::clean(&status_line)))),
    }
}

/// A handshake failure in words, naming the common case of a port that
/// does not speak TLS at all.
fn tls_failure(err: &std::io::Error) -> String {
    let text = error_chain(err);
    if text.contains("InvalidContentType") || text.contains("corrupt message") {
        format!("{text} (the port answers, but not with TLS: plain HTTP or another protocol?)")
    } else {
        text
    }
}

/// Addressed by IP, a client sends no name (SNI), and a server whose HTTPS
/// binding needs one has no certificate to offer: the handshake fails
/// though the site answers by name.
fn sni_hint(ep: &Endpoint) -> &'static str {
    if ep.host.parse::<std::net::IpAddr>().is_ok() {
        "; addressed by IP, no name was sent (SNI): a server with name-only HTTPS bindings fails exactly so, so scan it by name (a hostname column gives one)"
    } else {
        ""
    }
}

fn server_name(host: &str) -> Result<ServerName<'static>, HttpError> {
    ServerName::try_from(host.to_string())
        .map_err(|_| HttpError::Tls(format!("{host:?} is not a valid TLS server name")))
}

impl Connection {
    /// Whether another request can go over this connection.
    pub fn is_usable(&self) -> bool {
        self.reusable && !self.sender.is_closed()
    }

    /// GET `path`, not following redirects; the body is read up to `MAX_BODY`.
    /// Header and body together must arrive within the request timeout.
    pub async fn get(&mut self, ep: &Endpoint, path: &str, limits: &Limits) -> Result<Response, HttpError> {
        let limit = limits.request_timeout;
        let request = Request::get(path)
            .header(hyper::header::HOST, ep.host_header())
            .header(hyper::header::USER_AGENT, limits.user_agent.clone())
            .header(hyper::header::ACCEPT, "*/*")
            .body(Empty::<Bytes>::new())
            .map_err(|e| HttpError::Http(e.to_string()))?;
        let exchange = async {
            self.sender.ready().await.map_err(|e| HttpError::Http(error_chain(&e)))?;
            let response = self.sender.send_request(request).await.map_err(|e| head_error(&e))?;
            let (parts, mut body) = response.into_parts();
            let mut buf = BytesMut::new();
            let mut broken = None;
            while let Some(frame) = body.frame().await {
                let frame = match frame {
                    Ok(frame) => frame,
                    Err(e) => {
                        // The head arrived: keep it, and what came of the body.
                        self.reusable = false;
                        broken = Some(format!("the body broke off: {}", error_chain(&e)));
                        break;
                    }
                };
                if let Some(data) = frame.data_ref() {
                    let room = MAX_BODY - buf.len();
                    buf.extend_from_slice(&data[..data.len().min(room)]);
                    if buf.len() >= MAX_BODY {
                        // The rest stays unread: this connection cannot carry another request.
                        self.reusable = false;
                        break;
                    }
                }
            }
            Ok(Response { status: parts.status, headers: parts.headers, body: buf.freeze(), broken })
        };
        let result = timeout(limit, exchange).await.map_err(|_| timed_out("HTTP request", limit)).and_then(|r| r);
        if result.is_err() {
            self.reusable = false;
        }
        result
    }
}

/// Why no response head came: the server sent something that is not HTTP
/// (it answered: `Malformed`), or nothing usable at all.
fn head_error(err: &hyper::Error) -> HttpError {
    if err.is_parse() || err.is_parse_status() {
        HttpError::Malformed(error_chain(err))
    } else {
        HttpError::Http(error_chain(err))
    }
}

/// An error and its causes, joined: hyper's and rustls' top-level messages
/// hide the reason ("error trying to connect" … "received fatal alert").
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    crate::sanitize::clean_long(&parts.join(": "))
}
