//! One HTTP/1.1 connection to one host, over TLS or plain TCP: DNS, connect,
//! handshake (with the certificate's verdict recorded), then GETs on the same
//! connection with capped headers and bodies. Failures are typed so the
//! report can say which step failed.
//!
//! The HTTP layer is the probe's own, and deliberately small: it sends
//! only `GET` requests without a body (no other method, no request body,
//! no `Expect`, no upgrade, no compression asked), and reads responses
//! framed by `Content-Length`, chunked transfer coding or the connection's
//! close, with 1xx answers skipped. Heads are parsed strictly (`httparse`,
//! as a conforming client would); what fails that goes to `raw`'s lenient
//! second read. Requests may be written before earlier answers are read
//! (pipelining over a keep-alive connection); answers are read in order.
//! A response whose head arrived is returned even if its body then stalls,
//! breaks off or passes the cap: `broken` says so, and the head is evidence.
use super::dns::Resolver;
use super::tls::Tls;
use crate::evidence::{CertState, TlsState};
use crate::target::Endpoint;
use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{HeaderMap, HeaderValue};
use rustls::pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout, timeout_at};

/// The most of a body that is read; the rest is never fetched.
pub const MAX_BODY: usize = 1024 * 1024;
/// What every response may hold of its body whatever else is in flight:
/// far more than a sign-in page or a manifest needs to show a build.
pub const BODY_FLOOR: usize = 16 * 1024;
/// Body bytes past each response's `BODY_FLOOR` that the whole scan holds
/// at once while reading: slow-drip hosts (a tarpit sending a little every
/// few hundred milliseconds) cannot make the scanner hold more than the
/// floors plus this. A body cut by it says so; what came is kept.
pub const BODY_BUDGET: usize = 16 * 1024 * 1024;
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

/// One open connection; dropping it closes the socket. Requests are written
/// by `send` and their answers read in order by `read`, so a caller may
/// send several before reading the first (pipelining).
pub struct Connection {
    io: Box<dyn Io>,
    /// Bytes read and not yet consumed by a response.
    buf: Vec<u8>,
    /// False once a body was left unread, the server closed or asked to.
    reusable: bool,
    /// Responses read whole over this connection.
    served: usize,
    /// The last read found the connection closed before any byte of its
    /// answer: on a reused connection, the server closed it while idle.
    closed_unanswered: bool,
    /// How the connection's transport fared.
    pub tls: TlsState,
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
    /// This run's connect times and slots: the TCP connect's own timeout
    /// adapts to them within `connect_timeout` (`super::reach`).
    pub reach: std::sync::Arc<super::reach::Reach>,
    /// Body bytes past their floor held by reads in progress (`BODY_BUDGET`).
    pub held: std::sync::Arc<std::sync::atomic::AtomicUsize>,
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
async fn tcp_connect(
    addrs: &mut [SocketAddr],
    deadline: Instant,
    reach: &super::reach::Reach,
) -> Result<TcpStream, HttpError> {
    let started = Instant::now();
    let limit = reach.connect_timeout();
    let deadline = deadline.min(started + limit);
    let _connecting = reach.connects().enter();
    let mut last = HttpError::Connect("no address to connect to".into());
    let mut i = 0;
    while i < addrs.len() {
        let attempt = Instant::now();
        match connect_within(addrs[i], deadline, started, reach).await {
            Ok(Ok(tcp)) => {
                reach.record(attempt.elapsed());
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
            Err(_) => return Err(timed_out("TCP connect", reach.connect_timeout().min(deadline - started))),
        }
        i += 1;
    }
    Err(last)
}

/// Connects by `deadline`; while the run has too few connects to adapt
/// from, the deadline is looked at again every `RECHECK`, so connects begun
/// at the start (a sweep's first thousands) get the adapted timeout too.
async fn connect_within(
    addr: SocketAddr,
    deadline: Instant,
    started: Instant,
    reach: &super::reach::Reach,
) -> Result<std::io::Result<TcpStream>, tokio::time::error::Elapsed> {
    const RECHECK: Duration = Duration::from_millis(250);
    if reach.settled() {
        return timeout_at(deadline, TcpStream::connect(addr)).await;
    }
    let connect = TcpStream::connect(addr);
    tokio::pin!(connect);
    loop {
        let now_deadline = deadline.min(started + reach.connect_timeout());
        match timeout_at(now_deadline.min(Instant::now() + RECHECK), &mut connect).await {
            Ok(result) => return Ok(result),
            Err(elapsed) if Instant::now() >= now_deadline => return Err(elapsed),
            Err(_) => {}
        }
    }
}

/// TCP to the endpoint (through the proxy's tunnel when there is one), by `deadline`.
async fn open_tcp(
    ep: &Endpoint,
    addrs: &mut [SocketAddr],
    limits: &Limits,
    deadline: Instant,
) -> Result<TcpStream, HttpError> {
    let limit = limits.connect_timeout;
    let mut tcp = tcp_connect(addrs, deadline, &limits.reach).await?;
    let _ = tcp.set_nodelay(true);
    if limits.proxy.is_some() {
        timeout_at(deadline, tunnel(&mut tcp, ep, limits)).await.map_err(|_| timed_out("proxy CONNECT", limit))??;
    }
    Ok(tcp)
}

/// A byte stream to the endpoint: TCP (or `tcp`, when already connected),
/// then TLS if the endpoint wants it (rustls, and the legacy fallback over a
/// fresh connection when rustls shares nothing with the server), all within
/// one connect timeout.
pub async fn open_stream(
    ep: &Endpoint,
    addrs: &mut [SocketAddr],
    tls: &Tls,
    limits: &Limits,
    tcp: Option<TcpStream>,
) -> Result<(Box<dyn Io>, TlsState), HttpError> {
    let limit = limits.connect_timeout;
    let deadline = Instant::now() + limit;
    let tcp = match tcp {
        Some(tcp) => tcp,
        None => open_tcp(ep, addrs, limits, deadline).await?,
    };
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
    opened: Option<(Box<dyn Io>, TlsState)>,
) -> Result<Connection, HttpError> {
    let (io, state) = match opened {
        Some(opened) => opened,
        None => open_stream(ep, addrs, tls, limits, None).await?,
    };
    Ok(Connection::new(io, state))
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

/// The longest chunk-size line (with extensions) or trailer section read.
const MAX_CHUNK_LINE: usize = 4096;
/// How much the read buffer grows by at a time: most heads and small bodies
/// fit in one read; a large body grows it only as its bytes arrive.
const READ_CHUNK: usize = 4096;

/// How a response's body is delimited.
enum Framing {
    /// No body (1xx, 204, 304).
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes.
    Close,
}

/// A parsed head: status, headers, how the body ends, whether the
/// connection may carry another request, and its length in bytes.
struct Head {
    status: StatusCode,
    headers: HeaderMap,
    framing: Framing,
    keep_alive: bool,
    len: usize,
}

/// Why a body stopped before its end.
enum Cut {
    /// The request timeout ran out: the server stalled or dripped.
    Stalled,
    /// The stream failed or closed early, or the framing is broken.
    Broken(String),
    /// Bodies in flight filled the scan's budget.
    Budget,
}

impl Connection {
    fn new(io: Box<dyn Io>, tls: TlsState) -> Connection {
        Connection { io, buf: Vec::new(), reusable: true, served: 0, closed_unanswered: false, tls }
    }

    /// Whether another request can go over this connection.
    pub fn is_usable(&self) -> bool {
        self.reusable
    }

    /// Whether a response came whole over it and the server keeps it open:
    /// then requests may be sent before the answers to earlier ones.
    pub fn keeps_alive(&self) -> bool {
        self.reusable && self.served > 0
    }

    /// Whether the last read failed because the server had closed the
    /// connection after answering an earlier request: asking again over a
    /// fresh connection is not a second try of a failed request.
    pub fn closed_while_idle(&self) -> bool {
        self.closed_unanswered && self.served > 0
    }

    /// GET `path`, not following redirects; the body is read up to `MAX_BODY`.
    /// Header and body together must arrive within the request timeout.
    pub async fn get(&mut self, ep: &Endpoint, path: &str, limits: &Limits) -> Result<Response, HttpError> {
        self.send(ep, path, limits).await?;
        self.read(limits).await
    }

    /// Writes a GET for `path`; its answer is read by a later `read`, after
    /// the answers of the requests sent before it.
    pub async fn send(&mut self, ep: &Endpoint, path: &str, limits: &Limits) -> Result<(), HttpError> {
        use tokio::io::AsyncWriteExt;
        let request = request(ep, path, limits)?;
        let limit = limits.request_timeout;
        let written = async {
            self.io.write_all(&request).await?;
            self.io.flush().await
        };
        match timeout(limit, written).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                self.reusable = false;
                self.closed_unanswered = true;
                Err(HttpError::Http(format!("sending the request failed: {}", error_chain(&e))))
            }
            Err(_) => {
                self.reusable = false;
                Err(timed_out("HTTP request", limit))
            }
        }
    }

    /// Reads the next response, its head and then its body, within the
    /// request timeout. What arrived before a stall, a reset or the body
    /// cap is kept: once the head is whole the response is returned, with
    /// `broken` saying why its body is short.
    pub async fn read(&mut self, limits: &Limits) -> Result<Response, HttpError> {
        let limit = limits.request_timeout;
        let deadline = Instant::now() + limit;
        self.closed_unanswered = false;
        let head = match self.read_head(deadline, limit).await {
            Ok(head) => head,
            Err(err) => {
                self.reusable = false;
                return Err(err);
            }
        };
        let mut body = Body { bytes: Vec::new(), held: &limits.held, charged: 0 };
        let cut = match head.framing {
            Framing::Empty => None,
            Framing::Length(n) => self.body_length(n, &mut body, deadline).await.err(),
            Framing::Chunked => self.body_chunked(&mut body, deadline).await.err(),
            Framing::Close => {
                self.reusable = false;
                self.body_to_close(&mut body, deadline).await.err()
            }
        };
        let mut body = body.finish();
        if body.len() >= MAX_BODY {
            // The rest stays unread: this connection cannot carry another request.
            self.reusable = false;
        }
        let broken = cut.map(|cut| {
            self.reusable = false;
            match cut {
                Cut::Stalled => format!(
                    "the body stalled: {} bytes arrived within the request timeout of {}s",
                    body.len(),
                    limit.as_secs_f64()
                ),
                Cut::Broken(why) => format!("the body broke off: {why}"),
                Cut::Budget => format!(
                    "the body was cut at {} bytes: bodies being read passed the scan's budget of {} MiB",
                    body.len(),
                    BODY_BUDGET >> 20
                ),
            }
        });
        if broken.is_none() && body.len() < MAX_BODY {
            self.served += 1;
        }
        self.reusable &= head.keep_alive;
        if self.buf.is_empty() && self.buf.capacity() > 4 * READ_CHUNK {
            self.buf = Vec::new();
        }
        body.shrink_to_fit();
        Ok(Response { status: head.status, headers: head.headers, body: Bytes::from(body), broken })
    }

    /// Reads more bytes into the buffer by `deadline`: how many (0: closed).
    async fn fill(&mut self, deadline: Instant) -> Result<usize, Cut> {
        use tokio::io::AsyncReadExt;
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
            self.buf.reserve(READ_CHUNK);
        }
        match timeout_at(deadline, self.io.read_buf(&mut self.buf)).await {
            Err(_) => Err(Cut::Stalled),
            Ok(Err(e)) => Err(Cut::Broken(error_chain(&e))),
            Ok(Ok(n)) => Ok(n),
        }
    }

    async fn read_head(&mut self, deadline: Instant, limit: Duration) -> Result<Head, HttpError> {
        loop {
            if let Some(head) = parse_head(&self.buf)? {
                self.buf.drain(..head.len);
                // Informational answers (100 Continue, 103) precede the real one.
                if head.status.is_informational() && head.status != StatusCode::SWITCHING_PROTOCOLS {
                    continue;
                }
                return Ok(head);
            }
            if self.buf.len() >= MAX_HEADER_BYTES {
                return Err(HttpError::Malformed(format!(
                    "the response head is larger than {} KiB",
                    MAX_HEADER_BYTES / 1024
                )));
            }
            match self.fill(deadline).await {
                Ok(0) if self.buf.is_empty() => {
                    self.closed_unanswered = true;
                    return Err(HttpError::Http("the server closed the connection without an answer".into()));
                }
                Ok(0) => {
                    return Err(HttpError::Http("the connection closed before the response head was complete".into()));
                }
                Ok(_) => {}
                Err(Cut::Stalled) => return Err(timed_out("HTTP request", limit)),
                Err(Cut::Budget) => unreachable!("reading a head charges no budget"),
                Err(Cut::Broken(why)) => {
                    self.closed_unanswered = self.buf.is_empty();
                    return Err(HttpError::Http(why));
                }
            }
        }
    }

    /// Moves up to `n` buffered bytes into `body`, within the body cap and
    /// the scan's budget.
    fn take(&mut self, n: usize, body: &mut Body) -> Result<usize, Cut> {
        let n = n.min(self.buf.len());
        let room = MAX_BODY.saturating_sub(body.len());
        let kept = n.min(room);
        let allowed = body.grow(kept);
        body.bytes.extend_from_slice(&self.buf[..allowed]);
        if allowed < kept {
            self.buf.drain(..allowed);
            return Err(Cut::Budget);
        }
        self.buf.drain(..n);
        Ok(n)
    }

    async fn body_length(&mut self, length: u64, body: &mut Body<'_>, deadline: Instant) -> Result<(), Cut> {
        let mut left = length;
        loop {
            left -= self.take(usize::try_from(left).unwrap_or(usize::MAX), body)? as u64;
            if left == 0 || body.len() >= MAX_BODY {
                return Ok(());
            }
            if self.fill(deadline).await? == 0 {
                return Err(Cut::Broken(format!("the connection closed after {} of {length} bytes", length - left)));
            }
        }
    }

    async fn body_to_close(&mut self, body: &mut Body<'_>, deadline: Instant) -> Result<(), Cut> {
        loop {
            self.take(usize::MAX, body)?;
            if body.len() >= MAX_BODY || self.fill(deadline).await? == 0 {
                return Ok(());
            }
        }
    }

    /// The buffer up to and without the next CRLF (consumed), read as needed.
    async fn line(&mut self, deadline: Instant) -> Result<Vec<u8>, Cut> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.buf[..end].to_vec();
                self.buf.drain(..end + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_CHUNK_LINE {
                return Err(Cut::Broken(format!("a chunk line longer than {MAX_CHUNK_LINE} bytes")));
            }
            if self.fill(deadline).await? == 0 {
                return Err(Cut::Broken("the connection closed inside a chunked body".into()));
            }
        }
    }

    async fn body_chunked(&mut self, body: &mut Body<'_>, deadline: Instant) -> Result<(), Cut> {
        loop {
            let line = self.line(deadline).await?;
            let size = line.split(|&b| b == b';').next().unwrap_or_default().trim_ascii();
            let size = std::str::from_utf8(size)
                .ok()
                .and_then(|s| u64::from_str_radix(s, 16).ok())
                .ok_or_else(|| Cut::Broken("invalid chunk size line".into()))?;
            if size == 0 {
                // Trailers, up to the blank line.
                let mut trailers = 0;
                loop {
                    let line = self.line(deadline).await?;
                    trailers += line.len() + 2;
                    if line.is_empty() {
                        return Ok(());
                    }
                    if trailers > MAX_CHUNK_LINE {
                        return Err(Cut::Broken("trailers too long".into()));
                    }
                }
            }
            self.body_length(size, body, deadline).await?;
            if body.len() >= MAX_BODY {
                return Ok(());
            }
            if !self.line(deadline).await?.is_empty() {
                return Err(Cut::Broken("a chunk is longer than its size".into()));
            }
        }
    }
}

/// A body being read: its bytes, and what of them is charged to the scan's
/// budget (given back when reading ends).
struct Body<'a> {
    bytes: Vec<u8>,
    held: &'a std::sync::atomic::AtomicUsize,
    charged: usize,
}

impl Body<'_> {
    fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Room for `n` more bytes: all of them within the floor or the budget,
    /// else as many as fit. Grows by a quarter at a time, not double, so a
    /// slowly growing body does not hold twice its size.
    fn grow(&mut self, n: usize) -> usize {
        use std::sync::atomic::Ordering;
        let free = BODY_FLOOR.saturating_sub(self.bytes.len()).min(n);
        let mut allowed = free;
        let over = n - free;
        if over > 0 {
            let before = self.held.fetch_add(over, Ordering::Relaxed);
            let fits = BODY_BUDGET.saturating_sub(before).min(over);
            self.held.fetch_sub(over - fits, Ordering::Relaxed);
            self.charged += fits;
            allowed += fits;
        }
        if self.bytes.capacity() - self.bytes.len() < allowed {
            self.bytes.reserve_exact(allowed.max(self.bytes.len() / 4).max(READ_CHUNK));
        }
        allowed
    }

    fn finish(mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }
}

impl Drop for Body<'_> {
    fn drop(&mut self) {
        self.held.fetch_sub(self.charged, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The bytes of a GET for `path`. The path must be one an HTTP request
/// line can carry (a redirect's `Location` may not be).
fn request(ep: &Endpoint, path: &str, limits: &Limits) -> Result<Vec<u8>, HttpError> {
    let visible = !path.is_empty() && path.bytes().all(|b| b.is_ascii_graphic());
    if !visible || !path.starts_with('/') || path.parse::<hyper::Uri>().is_err() {
        return Err(HttpError::Http(format!("invalid request path {:?}", crate::sanitize::clean(path))));
    }
    let host = ep.host_header();
    let ua = limits.user_agent.as_bytes();
    let mut out = Vec::with_capacity(64 + path.len() + host.len() + ua.len());
    out.extend_from_slice(b"GET ");
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\nUser-Agent: ");
    out.extend_from_slice(ua);
    out.extend_from_slice(b"\r\nAccept: */*\r\n\r\n");
    Ok(out)
}

/// A response head, parsed as strictly as an HTTP/1.1 client should (the
/// lenient reading is `raw`'s): `None` while incomplete.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, HttpError> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut slots);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(HttpError::Malformed(format!("invalid response head: {e}"))),
    };
    if len > MAX_HEADER_BYTES {
        return Err(HttpError::Malformed(format!("the response head is larger than {} KiB", MAX_HEADER_BYTES / 1024)));
    }
    let malformed = |why: &str| HttpError::Malformed(why.to_string());
    let status = parsed.code.and_then(|c| StatusCode::from_u16(c).ok()).ok_or_else(|| malformed("invalid status"))?;
    let mut headers = HeaderMap::with_capacity(parsed.headers.len());
    for h in parsed.headers.iter() {
        let name =
            hyper::header::HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| malformed("invalid header name"))?;
        let value = HeaderValue::from_bytes(h.value).map_err(|_| malformed("invalid header value"))?;
        headers.append(name, value);
    }
    let tokens = |name| {
        headers
            .get_all(name)
            .iter()
            .flat_map(|v| v.to_str().unwrap_or_default().split(','))
            .map(|t| t.trim().to_ascii_lowercase())
            .collect::<Vec<String>>()
    };
    let connection = tokens(hyper::header::CONNECTION);
    let keep_alive = if parsed.version == Some(1) {
        !connection.iter().any(|t| t == "close")
    } else {
        connection.iter().any(|t| t == "keep-alive")
    };
    let codings = tokens(hyper::header::TRANSFER_ENCODING);
    let framing = if status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED
    {
        Framing::Empty
    } else if !codings.is_empty() {
        if codings.last().is_some_and(|c| c == "chunked") { Framing::Chunked } else { Framing::Close }
    } else {
        let mut lengths = headers.get_all(hyper::header::CONTENT_LENGTH).iter().map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| malformed("invalid content-length"))
        });
        match lengths.next() {
            None => Framing::Close,
            Some(first) => {
                let first = first?;
                for other in lengths {
                    if other? != first {
                        return Err(malformed("conflicting content-length values"));
                    }
                }
                Framing::Length(first)
            }
        }
    };
    Ok(Some(Head { status, headers, framing, keep_alive, len }))
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
