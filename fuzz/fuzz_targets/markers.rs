//! The marker extractors on any server response: headers, logon page and
//! manifest. Never panics; whatever goes into a report is printable ASCII.
#![no_main]

use exchange_exposure::probe::markers;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First line: a header value; the rest: a body.
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (value, body) = (&data[..split], data.get(split + 1..).unwrap_or_default());
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(value) {
        headers.append(HeaderName::from_static("x-owa-version"), v.clone());
        headers.append(HeaderName::from_static("x-feserver"), v);
    }
    let (_, notes) = markers::header_builds(&headers);
    for note in notes {
        assert!(!note.chars().any(char::is_control), "{note:?}");
    }
    if let Some(fe) = markers::front_end(&headers) {
        assert!(fe.chars().all(|c| c.is_ascii_graphic() || c == ' ') && fe.len() <= 64, "{fe:?}");
    }
    let _ = markers::looks_like_exchange(&headers, body);
    let _ = markers::page_builds(&String::from_utf8_lossy(body));
    if let markers::Manifest::Unreadable(why) = markers::manifest_build(body) {
        assert!(!why.chars().any(char::is_control), "{why:?}");
    }
});
