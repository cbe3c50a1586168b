//! Probing one host: the request sequence README's `scan` section describes, over
//! as few connections as possible (one, normally), each response passed to
//! the pure extractors in `markers`, everything seen kept in an
//! `Observation`. The prober decides nothing: `Observation::facts` hands
//! what it saw to `assess::host`, which gives the verdict.

pub mod dns;
pub mod http;
pub mod legacy;
pub mod markers;
pub mod raw;
pub mod reach;
pub mod tls;

use crate::evidence::TlsState;
use crate::evidence::{Evidence, HostFacts, Source};
use crate::sanitize::clean;
use crate::target::Endpoint;
use http::{Connection, HttpError, Limits, Response};
use hyper::header::HeaderValue;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

/// The first response of `/owa/`, read without following its redirect (the
/// header is on it; a Microsoft script missed it by following).
pub const OWA: &str = "/owa/";
/// The OWA sign-in page: its resource paths name the CU (and on 2010 the full build).
pub const LOGON: &str = "/owa/auth/logon.aspx";
/// The export tool's ClickOnce manifest: its `assemblyIdentity` is the full build.
pub const EXPORT_TOOL: &str = "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application";
/// Asked only when no `X-OWA-Version` came with the above: they answer 401 with it.
pub const FALLBACKS: [&str; 2] = ["/EWS/Exchange.asmx", "/Autodiscover/Autodiscover.xml"];
const MAX_REDIRECTS: usize = 3;
/// Connections opened for one host at most (a server that closes after each
/// response needs one per request).
const MAX_CONNECTIONS: usize = 6;

/// Everything one host showed.
#[derive(Debug, Default, Clone)]
pub struct Observation {
    /// Some HTTP response arrived.
    pub answered: bool,
    /// Some response carried an Exchange marker.
    pub exchange: bool,
    /// Every build read, with where.
    pub evidence: Vec<Evidence>,
    /// The first connection's transport (`None` when none came up).
    pub tls: Option<TlsState>,
    /// The front ends that answered (`X-FEServer`), each once.
    pub fe_servers: Vec<String>,
    /// Things worth a clause in `detail`: unreadable markers, redirects elsewhere, failed requests.
    pub notes: Vec<String>,
    /// What stopped the probe before any response.
    pub failure: Option<HttpError>,
    /// The first malformed answer, when the server answered so: it answered,
    /// but perhaps nothing could be read.
    pub malformed: Option<String>,
    /// What showed that the name points at Exchange Online.
    pub online: Option<String>,
    /// A pre-authenticating gateway seen in front of the server.
    pub gateway: Option<&'static str>,
    /// HTTP.sys said `400 Invalid Hostname`: bound by name, asked by address.
    pub invalid_hostname: bool,
    /// The server answered a path that cannot exist as if it were Exchange.
    pub look_alike: Option<String>,
    /// How long the probe took.
    pub elapsed: Duration,
}

/// Probe settings, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// For each request's answer.
    pub request_timeout: Duration,
    /// For reaching the host: TCP and TLS, once per connection.
    pub connect_timeout: Duration,
    /// For the whole host.
    pub host_timeout: Duration,
    /// The `User-Agent` of every request (checked to be a valid header value by `config`).
    pub user_agent: String,
    /// A chain that does not verify fails the connection rather than being recorded.
    pub require_valid_tls: bool,
    /// An HTTP proxy to tunnel through with CONNECT; none by default.
    pub proxy: Option<Endpoint>,
    /// Try the OpenSSL fallback for servers that speak only obsolete TLS.
    pub legacy_tls: bool,
    /// Adapt the TCP connect timeout to this run's connects (`reach`),
    /// `connect_timeout` its ceiling; false keeps it fixed.
    pub adaptive_connect: bool,
}

/// Probes hosts; one per scan, shared by every task.
#[derive(Debug, Clone)]
pub struct Prober {
    tls: tls::Tls,
    resolver: dns::Resolver,
    limits: Limits,
    host_timeout: Duration,
    /// Connects in flight and sessions at once, when bounded (`limit_slots`).
    slots: Option<std::sync::Arc<(tokio::sync::Semaphore, tokio::sync::Semaphore)>>,
}

impl Prober {
    /// A prober with these settings and TLS clients; the error says which
    /// setting cannot be used.
    pub fn new(settings: &Settings, tls: tls::Tls) -> anyhow::Result<Prober> {
        let user_agent = HeaderValue::from_str(&settings.user_agent)
            .map_err(|_| anyhow::anyhow!("user agent {:?} is not a valid header value", settings.user_agent))?;
        let limits = Limits {
            request_timeout: settings.request_timeout,
            connect_timeout: settings.connect_timeout,
            user_agent,
            require_valid_tls: settings.require_valid_tls,
            proxy: settings.proxy.clone(),
            legacy_tls: settings.legacy_tls,
            reach: std::sync::Arc::new(reach::Reach::new(settings.connect_timeout, settings.adaptive_connect)),
            held: Default::default(),
        };
        Ok(Prober {
            tls,
            resolver: dns::Resolver::from_system(),
            limits,
            host_timeout: settings.host_timeout,
            slots: None,
        })
    }

    /// At most `connects` connects (TCP and the TLS handshake) in flight and
    /// `sessions` hosts in a session (HTTP) at once; a host takes a session
    /// slot only once its connection is up.
    pub fn limit_slots(&mut self, connects: usize, sessions: usize) {
        use tokio::sync::Semaphore;
        self.slots = Some(std::sync::Arc::new((Semaphore::new(connects.max(1)), Semaphore::new(sessions.max(1)))));
    }

    /// This run's connect times and slot peaks.
    pub fn reach(&self) -> &reach::Reach {
        &self.limits.reach
    }

    /// Probes one host: DNS and the TCP connect first (bounded by their
    /// own timeouts, holding no session slot), then the session within the
    /// host deadline; what was seen before the deadline is kept. The time
    /// spent waiting for a session slot is not the host's.
    pub async fn probe(&self, ep: &Endpoint) -> Observation {
        let started = std::time::Instant::now();
        let mut obs = Observation::default();
        let mut addrs = match http::resolve(ep, &self.resolver, &self.limits).await {
            Ok(addrs) => addrs,
            Err(err) => return self.ended(obs, err, started),
        };
        let connect_slot = match &self.slots {
            Some(slots) => slots.0.acquire().await.ok(),
            None => None,
        };
        // The connect slot covers the TLS handshake too: a host that accepts
        // TCP and never answers it costs a socket and a timer, never a session.
        let opened = match http::open_stream(ep, &mut addrs, &self.tls, &self.limits, None).await {
            Ok(opened) => opened,
            Err(err) => {
                // What the handshake showed stays in the report, as before.
                return self.ended(obs, err, started);
            }
        };
        drop(connect_slot);
        let waited = std::time::Instant::now();
        let _slot = match &self.slots {
            Some(slots) => slots.1.acquire().await.ok(),
            None => None,
        };
        let waited = waited.elapsed();
        let _session = self.limits.reach.sessions().enter();
        let deadline = self.host_timeout;
        // Boxed once the session slot is held: hosts waiting for one keep
        // only this function's small state.
        let session = Box::pin(self.run(ep, addrs, opened, &mut obs));
        if tokio::time::timeout(deadline, session).await.is_err() {
            if obs.answered {
                obs.notes
                    .push(format!("host deadline of {}s reached before every request was made", deadline.as_secs()));
            } else {
                obs.failure = Some(HttpError::Timeout { stage: "the host's probe", secs: deadline.as_secs_f64() });
            }
        }
        obs.elapsed = started.elapsed().saturating_sub(waited);
        obs
    }

    fn ended(&self, mut obs: Observation, err: HttpError, started: std::time::Instant) -> Observation {
        obs.failure = Some(err);
        obs.elapsed = started.elapsed();
        obs
    }

    async fn run(
        &self,
        ep: &Endpoint,
        addrs: Vec<SocketAddr>,
        opened: (Box<dyn http::Io>, TlsState),
        obs: &mut Observation,
    ) {
        let mut session = Session {
            prober: self,
            ep: ep.clone(),
            addrs,
            conn: None,
            first: Some(opened),
            opened: 0,
            ahead: VecDeque::new(),
            early: Vec::new(),
            pipelining: true,
        };
        if !session.fetch(OWA, obs).await {
            return;
        }
        // Asked only while the evidence still needs them: the manifest
        // gives a full build, so none is fetched once a header gave one.
        let full_build = obs
            .evidence
            .iter()
            .any(|e| e.source == Source::Header && e.build.precision() == crate::build::Precision::Full);
        let plan: &[&str] = if full_build { &[LOGON] } else { &[LOGON, EXPORT_TOOL] };
        session.send_ahead(plan).await;
        for path in plan {
            if !session.fetch(path, obs).await {
                return;
            }
        }
        // EWS and Autodiscover answer 401 with the header where OWA and ECP
        // are closed, redirected to AD FS or stripped: asked whenever no
        // header came yet, even when nothing so far looked like Exchange.
        // Each is asked only if the one before gave no header: never sent ahead.
        for path in FALLBACKS {
            if obs.evidence.iter().any(|e| e.source == Source::Header) {
                break;
            }
            if !session.fetch(path, obs).await {
                return;
            }
        }
        if obs.exchange || !obs.evidence.is_empty() {
            session.canary(obs).await;
        }
    }
}

/// The requests to one host, sharing a connection while it lasts.
struct Session<'a> {
    prober: &'a Prober,
    /// The endpoint probed; plain HTTP becomes HTTPS when the server says so.
    ep: Endpoint,
    addrs: Vec<SocketAddr>,
    conn: Option<Connection>,
    /// The first connection's stream, opened before the session began.
    first: Option<(Box<dyn http::Io>, TlsState)>,
    opened: usize,
    /// Paths requested over `conn` whose answers are not read yet, in order.
    ahead: VecDeque<String>,
    /// Answers read before their turn (a redirect asked for another path
    /// first), by path.
    early: Vec<(String, Result<Response, HttpError>)>,
    /// False once the server left a pipelined request unanswered: from then
    /// on each request waits for the answer before it.
    pipelining: bool,
}

impl Session<'_> {
    /// Fetches `path` (following same-host redirects, except from `/owa/`)
    /// and records what it shows. False when probing this host must stop.
    async fn fetch(&mut self, path: &str, obs: &mut Observation) -> bool {
        let mut path = path.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let mut result = self.get(&path).await;
            if let Err(HttpError::Malformed(why)) = &result {
                // It answered: read the answer again, leniently, keeping
                // what came before the fault.
                obs.notes.push(format!("GET {} answered with malformed HTTP ({why})", clean(&path)));
                obs.malformed.get_or_insert_with(|| why.clone());
                result = self.get_lenient(&path).await;
            }
            let response = match result {
                Ok(response) => response,
                Err(err) => {
                    tracing::debug!(host = %self.ep.host, port = self.ep.port, path = %path, error = %err, "GET failed");
                    // The handshake may have completed even if the request did not.
                    self.record_tls(obs);
                    if obs.answered {
                        // One failed request does not void what the others showed.
                        obs.notes.push(format!("GET {} failed: {err}", clean(&path)));
                        return true;
                    }
                    // A malformed answer may be one path's problem: try the
                    // others (and say so if one of them answers). Anything
                    // else (DNS, connect, TLS, silence) ends the host.
                    let go_on = matches!(err, HttpError::Http(_));
                    if go_on {
                        obs.notes.push(format!("GET {} failed: {err}", clean(&path)));
                    }
                    obs.failure.get_or_insert(err);
                    return go_on;
                }
            };
            tracing::debug!(host = %self.ep.host, port = self.ep.port, path = %path, status = response.status.as_u16(), bytes = response.body.len(), "GET");
            self.record_tls(obs);
            record(&path, &response, obs);
            match redirect_target(&self.ep, &response) {
                Some(Redirect::Upgrade(port)) => self.upgrade(port, obs),
                Some(Redirect::SameHost(next)) if path != OWA => path = next,
                Some(Redirect::Elsewhere(to)) => {
                    obs.notes.push(format!("{} redirects to {to} (recorded, not followed)", clean(&path)));
                    return true;
                }
                _ => return true,
            }
        }
        obs.notes.push(format!("more than {MAX_REDIRECTS} redirects from {}", clean(&path)));
        true
    }

    /// Asks for a path no server has. Exchange (IIS) answers it 404 or with a
    /// redirect; a look-alike that answers every path alike (an OWA
    /// honeypot, a phishing kit, a C2 profile stamping Exchange headers on
    /// every answer) answers it with success and the same markers: then
    /// what it showed is not evidence. Failures here change nothing.
    async fn canary(&mut self, obs: &mut Observation) {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        let path = format!("/exchange-exposure-{:016x}.aspx", hasher.finish());
        let Ok(response) = self.get(&path).await else { return };
        let (builds, _) = markers::header_builds(&response.headers);
        if response.status.is_success()
            && (!builds.is_empty() || markers::looks_like_exchange(&response.headers, &response.body))
        {
            obs.look_alike = Some(format!("{path} answered {} with Exchange markers", response.status.as_u16()));
        }
    }

    /// Plain HTTP that redirects to HTTPS on the same host: the rest of the
    /// probe (this path again first) goes over HTTPS, whose TLS is recorded.
    fn upgrade(&mut self, port: u16, obs: &mut Observation) {
        obs.notes.push(format!("plain HTTP redirects to HTTPS on port {port}; probed there"));
        self.ep = Endpoint { https: true, port, ..self.ep.clone() };
        if self.prober.limits.proxy.is_none() {
            self.addrs.iter_mut().for_each(|a| a.set_port(port));
        }
        self.conn = None;
        self.first = None;
        self.ahead.clear();
        self.early.clear();
        obs.tls = None;
    }

    /// The first connection's TLS goes into the report; a session over the
    /// legacy fallback is itself a finding, named in `detail`.
    fn record_tls(&self, obs: &mut Observation) {
        if obs.tls.is_some() {
            return;
        }
        obs.tls = self.conn.as_ref().map(|c| c.tls.clone());
        if let Some(session) = obs.tls.as_ref().and_then(|t| t.legacy.as_ref()) {
            obs.notes.push(format!(
                "the server speaks only obsolete TLS ({session}), which current clients refuse; its TLS configuration needs an update too"
            ));
        }
    }

    /// Sends the requests for `paths` now, before reading any answer, when
    /// the connection has shown it stays open (HTTP/1.1 keep-alive).
    async fn send_ahead(&mut self, paths: &[&str]) {
        let limits = &self.prober.limits;
        let Some(conn) = self.conn.as_mut().filter(|c| self.pipelining && c.keeps_alive()) else { return };
        for path in paths {
            if conn.send(&self.ep, path, limits).await.is_err() {
                return;
            }
            self.ahead.push_back(path.to_string());
        }
    }

    async fn get(&mut self, path: &str) -> Result<Response, HttpError> {
        if let Some(at) = self.early.iter().position(|(p, _)| p == path) {
            return self.early.swap_remove(at).1;
        }
        if self.ahead.contains(&path.to_string()) {
            // Answers come in order: those before this one are kept for their turn.
            while let Some(sent) = self.ahead.pop_front() {
                let result = self.read_ahead().await;
                if sent == path {
                    return match result {
                        Ok(response) => Ok(response),
                        Err(HttpError::Malformed(why)) => Err(HttpError::Malformed(why)),
                        // Sent ahead and lost (the server closed, or ignored the
                        // pipelined request): asked again, alone.
                        Err(_) => self.ask(path).await,
                    };
                }
                if let Ok(response) = result {
                    self.early.push((sent, Ok(response)));
                }
            }
        }
        // Answers still owed for other paths are read first, or the
        // connection is out of step.
        while let Some(sent) = self.ahead.pop_front() {
            if let Ok(response) = self.read_ahead().await {
                self.early.push((sent, Ok(response)));
            }
        }
        self.ask(path).await
    }

    /// The next pipelined answer; a failure ends pipelining on this host.
    async fn read_ahead(&mut self) -> Result<Response, HttpError> {
        let limits = &self.prober.limits;
        let Some(conn) = self.conn.as_mut().filter(|c| c.is_usable()) else {
            self.ahead.clear();
            return Err(HttpError::Http("the connection closed".into()));
        };
        let result = conn.read(limits).await;
        if result.is_err() {
            self.ahead.clear();
            self.conn = None;
            self.pipelining = false;
        }
        result
    }

    /// Sends one request and reads its answer, over the open connection or
    /// a new one; a server that closed the connection while it was idle
    /// is asked again over a new one.
    async fn ask(&mut self, path: &str) -> Result<Response, HttpError> {
        let limits = &self.prober.limits;
        for _ in 0..2 {
            let usable = self.conn.as_ref().is_some_and(Connection::is_usable);
            if !usable {
                self.count_connection()?;
                self.conn = None;
                self.conn =
                    Some(http::connect(&self.ep, &mut self.addrs, &self.prober.tls, limits, self.first.take()).await?);
            }
            let conn = self.conn.as_mut().expect("connected above");
            let result = conn.get(&self.ep, path, limits).await;
            if result.is_err() && conn.closed_while_idle() {
                continue;
            }
            return result;
        }
        Err(HttpError::Http("the server closed the connection without an answer, twice".into()))
    }

    /// GET `path` over a fresh stream, read leniently (`raw`).
    async fn get_lenient(&mut self, path: &str) -> Result<Response, HttpError> {
        self.count_connection()?;
        let limits = &self.prober.limits;
        let (stream, _) = http::open_stream(&self.ep, &mut self.addrs, &self.prober.tls, limits, None).await?;
        raw::get(stream, &self.ep, path, limits).await
    }

    fn count_connection(&mut self) -> Result<(), HttpError> {
        if self.opened >= MAX_CONNECTIONS {
            return Err(HttpError::Http(format!("the server closed {MAX_CONNECTIONS} connections")));
        }
        self.opened += 1;
        Ok(())
    }
}

/// Takes the markers out of one response.
fn record(path: &str, response: &Response, obs: &mut Observation) {
    obs.answered = true;
    let front_end = markers::front_end(&response.headers);
    if let Some(fe) = &front_end
        && !obs.fe_servers.contains(fe)
    {
        obs.fe_servers.push(fe.clone());
    }
    let mut add = |build, source| {
        let e = Evidence { build, source, front_end: front_end.clone() };
        if !obs.evidence.contains(&e) {
            obs.evidence.push(e);
        }
    };
    let (builds, notes) = markers::header_builds(&response.headers);
    for build in builds {
        add(build, Source::Header);
    }
    let ok = response.status.is_success();
    // OWA's sign-in pages name versioned resources whatever their status:
    // Exchange 2007's logon page comes with 400, a broken OWA's errorFE page
    // (reached by redirect) with 500. `/owa/` itself is not read: a
    // catch-all server answers it with anything.
    let is_owa_page = path.to_ascii_lowercase().starts_with("/owa/auth/") && !response.status.is_redirection();
    if is_owa_page {
        let html = String::from_utf8_lossy(&response.body);
        for build in markers::page_builds(&html) {
            add(build, Source::LogonPage);
        }
    }
    let mut exchange = markers::looks_like_exchange(&response.headers, &response.body);
    if ok && path == EXPORT_TOOL && looks_like_xml(&response.body) {
        match markers::manifest_build(&response.body) {
            markers::Manifest::Build(build) => {
                exchange = true;
                add(build, Source::ExportTool);
            }
            markers::Manifest::Unreadable(why) => obs.notes.push(why),
        }
    }
    obs.exchange |= exchange;
    let status = response.status.as_u16();
    if obs.online.is_none() {
        obs.online = markers::exchange_online(&response.headers);
    }
    if obs.gateway.is_none() {
        obs.gateway = markers::gateway(status, &response.headers);
    }
    obs.invalid_hostname |= markers::invalid_hostname(status, &response.body);
    let broken = response.broken.as_ref().map(|why| format!("GET {}: {why}", clean(path)));
    for note in notes.into_iter().chain(broken) {
        if !obs.notes.contains(&note) {
            obs.notes.push(note);
        }
    }
}

fn looks_like_xml(body: &[u8]) -> bool {
    let start = body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(body.len());
    body[start..].starts_with(b"<?xml")
        || body[start..].starts_with(b"<asm")
        || body.len() < 64 * 1024 && {
            let text = String::from_utf8_lossy(body);
            text.contains("assemblyIdentity")
        }
}

enum Redirect {
    SameHost(String),
    Elsewhere(String),
    /// From plain HTTP to HTTPS on the same host, at this port.
    Upgrade(u16),
}

/// Where a 3xx points: a path on this host, or somewhere else (another host,
/// port or scheme — recorded, never followed).
fn redirect_target(ep: &Endpoint, response: &Response) -> Option<Redirect> {
    if !response.status.is_redirection() {
        return None;
    }
    let location = response.headers.get(hyper::header::LOCATION)?.to_str().ok()?.trim();
    if location.starts_with('/') && !location.starts_with("//") {
        return Some(Redirect::SameHost(location.to_string()));
    }
    let uri: hyper::Uri = match location.parse() {
        Ok(uri) => uri,
        Err(_) => return Some(Redirect::Elsewhere(clean(location))),
    };
    let scheme_ok = uri.scheme_str() == Some(if ep.https { "https" } else { "http" });
    let default = if ep.https { 443 } else { 80 };
    let host = uri.host().map(|h| h.trim_start_matches('[').trim_end_matches(']'));
    let same_host = host.is_some_and(|h| h.eq_ignore_ascii_case(&ep.host));
    if !ep.https && uri.scheme_str() == Some("https") && same_host {
        return Some(Redirect::Upgrade(uri.port_u16().unwrap_or(443)));
    }
    let same = scheme_ok
        && host.is_some_and(|h| h.eq_ignore_ascii_case(&ep.host))
        && uri.port_u16().unwrap_or(default) == ep.port;
    if same {
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        Some(Redirect::SameHost(path.to_string()))
    } else {
        Some(Redirect::Elsewhere(clean(location)))
    }
}

impl Observation {
    /// What this observation shows, as the plain facts `assess::host` judges.
    pub fn facts(&self) -> HostFacts<'_> {
        let local_failure = match &self.failure {
            Some(HttpError::Local(why)) => Some(why.as_str()),
            _ => None,
        };
        HostFacts {
            answered: self.answered,
            exchange: self.exchange,
            evidence: &self.evidence,
            notes: &self.notes,
            local_failure,
            failure: self.failure.as_ref().map(|f| f.to_string()),
            malformed: self.malformed.as_deref(),
            online: self.online.as_deref(),
            gateway: self.gateway,
            invalid_hostname: self.invalid_hostname,
            look_alike: self.look_alike.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests;
