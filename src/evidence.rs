//! What the probe (and the other readers: the inventory, `check`'s input,
//! mail headers) hand on: builds with where each was read, the plain facts
//! of one probed host for `assess`, and how its connection's TLS fared for
//! the report. Data only: the modules that gather
//! evidence and the module that judges it both import this one, and neither
//! imports the other.

use crate::build::Build;

/// Where a build was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// The `X-OWA-Version` response header (full build).
    Header,
    /// The export tool's manifest (`/ecp/Current/exporttool/…`, full build).
    ExportTool,
    /// The OWA sign-in page's resource paths (CU precision, or a full build on 2010).
    LogonPage,
    /// The inventory's `build` column.
    Inventory,
    /// Given to `check` on the command line or stdin.
    Input,
    /// A `Received:` header of a mail message (`headers`).
    MailHeader,
    /// A Shodan banner (`import shodan`): markers recorded by Shodan.
    Shodan,
    /// A Censys host record (`import censys`): markers recorded by Censys.
    Censys,
    /// A HealthChecker export (`import healthchecker`): the server's own ExSetup build.
    HealthChecker,
    /// A scan report's `build` column, read back (`import healthchecker --report`).
    ScanReport,
}

impl Source {
    /// The `source` column's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Header => "header",
            Source::ExportTool => "exporttool",
            Source::LogonPage => "logon-page",
            Source::Inventory => "inventory",
            Source::Input => "input",
            Source::MailHeader => "mail-header",
            Source::Shodan => "shodan",
            Source::Censys => "censys",
            Source::HealthChecker => "healthchecker",
            Source::ScanReport => "scan-report",
        }
    }
}

/// One build, where it was read, and which front end (`X-FEServer`) sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The build read.
    pub build: Build,
    /// Where it was read.
    pub source: Source,
    /// The front end that answered (`X-FEServer`), cleaned, when it said.
    pub front_end: Option<String>,
}

impl Evidence {
    /// A reading with no front end named.
    pub fn new(build: Build, source: Source) -> Evidence {
        Evidence { build, source, front_end: None }
    }

    /// `SOURCE BUILD`, with the front end when one is known: how detail names a reading.
    pub fn describe(&self) -> String {
        match &self.front_end {
            Some(fe) => format!("{} {} (front end {fe})", self.source.as_str(), self.build),
            None => format!("{} {}", self.source.as_str(), self.build),
        }
    }
}

/// How the certificate of a connection fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertState {
    /// No TLS: the connection was plain HTTP.
    PlainHttp,
    /// The chain verified against the trust anchors for the host's name.
    Verified,
    /// The chain did not verify; the text says why (self-signed, expired, …).
    Unverified(String),
}

/// What a connection's transport was: its certificate's verdict, and for a
/// session over the legacy fallback what it negotiated
/// (`TLSv1.0 ECDHE-RSA-AES256-SHA`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsState {
    /// The certificate's verdict.
    pub cert: CertState,
    /// For a legacy (OpenSSL) session, its protocol and cipher.
    pub legacy: Option<String>,
}

impl TlsState {
    /// The `tls` column: `verified`, `unverified: REASON` or `plain-http`,
    /// and `; legacy PROTOCOL CIPHER` for a legacy session.
    pub fn describe(&self) -> String {
        let cert = match &self.cert {
            CertState::PlainHttp => "plain-http".into(),
            CertState::Verified => "verified".into(),
            CertState::Unverified(why) => format!("unverified: {why}"),
        };
        match &self.legacy {
            Some(session) => format!("{cert}; legacy {session}"),
            None => cert,
        }
    }
}

/// What a probe of one host showed, as plain data: no I/O, no HTTP types,
/// so `assess` needs nothing from the prober and the prober nothing from
/// `assess`. The prober builds it (`probe::Observation::facts`).
#[derive(Debug, Clone, Default)]
pub struct HostFacts<'a> {
    /// Some HTTP response arrived.
    pub answered: bool,
    /// Some response carried an Exchange marker.
    pub exchange: bool,
    /// The builds the server showed, with where each was read.
    pub evidence: &'a [Evidence],
    /// Clauses worth adding to `detail`: unreadable markers, redirects, failed requests.
    pub notes: &'a [String],
    /// The scanner ran out of local resources (file descriptors, memory)
    /// before probing: nothing is known of the host.
    pub local_failure: Option<&'a str>,
    /// What stopped the probe before any response, as the sentence to report.
    pub failure: Option<String>,
    /// The first malformed answer, when the server answered so.
    pub malformed: Option<&'a str>,
    /// What showed that the name points at Exchange Online.
    pub online: Option<&'a str>,
    /// A pre-authenticating gateway seen in front of the server.
    pub gateway: Option<&'a str>,
    /// HTTP.sys said `400 Invalid Hostname`: bound by name, asked by address.
    pub invalid_hostname: bool,
    /// The server answered a path that cannot exist as if it were Exchange.
    pub look_alike: Option<&'a str>,
}
