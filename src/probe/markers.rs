//! Pure extraction of version markers from one HTTP response: the
//! `X-OWA-Version` header, the logon page's resource paths (scraper), the
//! export-tool manifest's own `assemblyIdentity` (quick-xml), front-end
//! names, and the signs that a server is Exchange at all. README's `scan`
//! section says what each marker shows; the tests beside this file show it.

use crate::build::Build;
use crate::sanitize::clean;
use hyper::header::HeaderMap;
use quick_xml::events::Event;

/// Builds in the `X-OWA-Version` headers (any letter case, every occurrence),
/// and a note for each value that is not a build.
pub fn header_builds(headers: &HeaderMap) -> (Vec<Build>, Vec<String>) {
    let mut builds = Vec::new();
    let mut notes = Vec::new();
    for value in headers.get_all("x-owa-version") {
        let text = String::from_utf8_lossy(value.as_bytes());
        match Build::parse(&text) {
            Ok(b) if !builds.contains(&b) => builds.push(b),
            Ok(_) => {}
            Err(_) => notes.push(format!("unreadable X-OWA-Version {:?}", clean(&text))),
        }
    }
    (builds, notes)
}

/// The front end that answered (`X-FEServer`), cleaned for the report.
pub fn front_end(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("x-feserver")?;
    let name = clean(&String::from_utf8_lossy(value.as_bytes()));
    (!name.is_empty()).then_some(name)
}

/// Headers only Exchange sends.
const EXCHANGE_HEADERS: [&str; 5] = ["x-owa-version", "x-feserver", "x-beserver", "x-calculatedbetarget", "x-diaginfo"];

/// Whether a response shows the server is Exchange (version or not).
pub fn looks_like_exchange(headers: &HeaderMap, body: &[u8]) -> bool {
    if EXCHANGE_HEADERS.iter().any(|h| headers.contains_key(*h)) {
        return true;
    }
    let location = headers.get(hyper::header::LOCATION).map(|v| v.as_bytes().to_ascii_lowercase());
    if location.is_some_and(|l| contains(&l, b"/owa/auth/logon.aspx")) {
        return true;
    }
    contains(body, b"OwaPage = ASP.auth_logon_aspx") || contains(body, b"/owa/auth/")
}

/// Exchange Online's application id, in its sign-in redirects and `Bearer` challenges.
const EXCHANGE_ONLINE_APP: &str = "00000002-0000-0ff1-ce00-000000000000";

/// What in a response shows that the name points at Exchange Online rather
/// than an on-premises server: back ends in `*.prod.outlook.com`
/// (`X-CalculatedBETarget`, `X-BEServer`), a redirect to Microsoft's sign-in
/// carrying Exchange Online's application id, or that id in a `Bearer`
/// challenge. A 15.20 build says the same and is judged by `assess`.
pub fn exchange_online(headers: &HeaderMap) -> Option<String> {
    for name in ["x-calculatedbetarget", "x-beserver"] {
        for value in headers.get_all(name) {
            let text = String::from_utf8_lossy(value.as_bytes()).to_ascii_lowercase();
            if text.trim().ends_with(".outlook.com") {
                return Some(format!("{name} {}", clean(&text)));
            }
        }
    }
    let location = header_text(headers, "location");
    if location.contains("login.microsoftonline.com") && location.contains(EXCHANGE_ONLINE_APP) {
        return Some("a redirect to login.microsoftonline.com for Exchange Online's application".into());
    }
    let challenges =
        headers.get_all("www-authenticate").iter().map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase());
    if challenges.into_iter().any(|c| c.starts_with("bearer") && c.contains(EXCHANGE_ONLINE_APP)) {
        return Some("a Bearer challenge for Exchange Online's application".into());
    }
    None
}

/// A pre-authenticating gateway in front of the server, by its redirect or
/// cookies: nothing of Exchange is visible through it.
pub fn gateway(status: u16, headers: &HeaderMap) -> Option<&'static str> {
    let location = header_text(headers, "location");
    let cookies: Vec<String> = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase())
        .collect();
    let cookie = |name: &str| cookies.iter().any(|c| c.trim_start().starts_with(name));
    if location.contains("/my.policy") || cookie("mrhsession") || cookie("lastmrh_session") {
        Some("F5 BIG-IP APM")
    } else if location.contains("/logon/logonpoint/") || location.contains("/vpn/index.html") || cookie("nsc_") {
        Some("Citrix NetScaler/ADC (AAA)")
    } else if location.contains("/cookieauth.dll?getlogon") {
        Some("Microsoft TMG (forms pre-authentication)")
    } else if location.contains("/adfs/ls/") {
        Some(if status == 307 { "Web Application Proxy (AD FS pre-authentication)" } else { "AD FS sign-in" })
    } else if location.contains("login.microsoftonline.com") {
        Some("Microsoft Entra application proxy")
    } else {
        None
    }
}

/// HTTP.sys answering a request whose Host matches no binding: addressed by
/// IP, a server bound by name answers every request so.
pub fn invalid_hostname(status: u16, body: &[u8]) -> bool {
    status == 400 && contains(&body.to_ascii_lowercase(), b"invalid hostname")
}

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase()).unwrap_or_default()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Builds named by the logon page's resource paths: `/owa/auth/15.1.2176/…`
/// on 2013 and later (CU only), `/owa/14.3.513.0/…` on 2010 and 2007 (full).
///
/// Only html5ever's tokenizer runs, not tree construction: the paths are
/// attributes, and building the tree of a hostile page (a megabyte of
/// nested `<div>`) takes time quadratic in its depth.
pub fn page_builds(html: &str) -> Vec<Build> {
    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::{BufferQueue, Tokenizer, TokenizerOpts};
    let sink = PathSink::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.builds.into_inner()
}

#[derive(Default)]
struct PathSink {
    builds: std::cell::RefCell<Vec<Build>>,
}

impl html5ever::tokenizer::TokenSink for PathSink {
    type Handle = ();

    fn process_token(
        &self,
        token: html5ever::tokenizer::Token,
        _line: u64,
    ) -> html5ever::tokenizer::TokenSinkResult<()> {
        if let html5ever::tokenizer::Token::TagToken(tag) = token {
            for attr in &tag.attrs {
                let name = &*attr.name.local;
                if (name == "href" || name == "src")
                    && let Some(build) = path_build(&attr.value)
                {
                    let mut builds = self.builds.borrow_mut();
                    if !builds.contains(&build) {
                        builds.push(build);
                    }
                }
            }
        }
        html5ever::tokenizer::TokenSinkResult::Continue
    }
}

/// The build in an OWA resource path, if the path has one.
fn path_build(path: &str) -> Option<Build> {
    let lower = path.to_ascii_lowercase();
    let start = lower.find("/owa/")? + "/owa/".len();
    let rest = &path[start..];
    // `get`, not slicing: the path is server text, and byte 5 may fall
    // inside a character (found by the markers fuzz target).
    let rest = match rest.get(..5) {
        Some(head) if head.eq_ignore_ascii_case("auth/") => &rest[5..],
        _ => rest,
    };
    let segment = rest.split('/').next()?;
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Build::parse(segment).ok()
}

/// What the export-tool manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// The export tool's own `assemblyIdentity` version.
    Build(Build),
    /// An XML document, but without the export tool's identity, or with a
    /// version that is not a build; the text says which.
    Unreadable(String),
}

const EXPORT_TOOL: &str = "microsoft.exchange.ediscovery.exporttool";

/// The `version` of the first `assemblyIdentity` whose `name` is the export
/// tool — not the first `version=` in the file, which belongs to the XML
/// declaration or to a dependency. Entities are never expanded.
pub fn manifest_build(xml: &[u8]) -> Manifest {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(err) => {
                return Manifest::Unreadable(format!("manifest is not well-formed XML ({})", clean(&err.to_string())));
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref().eq_ignore_ascii_case(b"assemblyIdentity") => {
                let attr = |name: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == name)
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                };
                let is_tool = attr(b"name").is_some_and(|n| n.to_ascii_lowercase().starts_with(EXPORT_TOOL));
                if !is_tool {
                    continue;
                }
                let version = attr(b"version").unwrap_or_default();
                return match Build::parse(&version) {
                    Ok(build) => Manifest::Build(build),
                    Err(_) => Manifest::Unreadable(format!("manifest version {:?} is not a build", clean(&version))),
                };
            }
            Event::Eof => return Manifest::Unreadable("manifest names no export tool assembly".into()),
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests;
