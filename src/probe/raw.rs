//! A lenient second read of a response that hyper refused as malformed
//! (a NUL or DEL in a header, a bad status line, obs-fold, HTTP/0.9, a
//! flood of headers). The server answered, so it is not unreachable; and
//! what it sent before the fault — a version header, say — is still
//! evidence. The request goes over a fresh stream with `Connection: close`;
//! at most `MAX_HEAD` bytes of head and `MAX_BODY` of body are read, within
//! the request timeout, and the head is kept up to its first bad line.

use super::http::{HttpError, Io, Limits, MAX_BODY, Response};
use crate::target::Endpoint;
use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The most head bytes looked at.
const MAX_HEAD: usize = 64 * 1024;
/// The most header lines kept.
const MAX_LINES: usize = 200;

/// Sends one GET over `stream` and reads what comes back, leniently.
pub async fn get(mut stream: Box<dyn Io>, ep: &Endpoint, path: &str, limits: &Limits) -> Result<Response, HttpError> {
    let ua = limits.user_agent.to_str().unwrap_or("exchange-exposure");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {ua}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        ep.host_header()
    );
    let limit = limits.request_timeout;
    let mut bytes = Vec::new();
    let exchange = async {
        stream.write_all(request.as_bytes()).await?;
        let mut chunk = [0u8; 8192];
        while bytes.len() < MAX_HEAD + MAX_BODY {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&chunk[..n.min(MAX_HEAD + MAX_BODY - bytes.len())]);
        }
        Ok::<_, std::io::Error>(())
    };
    // A timeout or a reset ends the read; what arrived before it is kept.
    let ended = tokio::time::timeout(limit, exchange).await;
    if bytes.is_empty() {
        return Err(match ended {
            Err(_) => HttpError::Timeout { stage: "HTTP request", secs: limit.as_secs_f64() },
            Ok(Err(e)) => HttpError::Http(e.to_string()),
            Ok(Ok(())) => HttpError::Http("the server closed the connection without an answer".into()),
        });
    }
    Ok(lenient(&bytes))
}

/// Parses a response as far as it is sound: the status line, then header
/// lines up to the first that is not `name: value` with a valid name and
/// value. No status line at all (HTTP/0.9) gives status 200 and the whole
/// answer as body. `broken` says where the head went wrong.
pub fn lenient(bytes: &[u8]) -> Response {
    let head_end = find(bytes, b"\r\n\r\n").map(|i| (i, i + 4)).or_else(|| find(bytes, b"\n\n").map(|i| (i, i + 2)));
    let (head, body) = match head_end {
        Some((end, body_start)) if end <= MAX_HEAD => (&bytes[..end], &bytes[body_start..]),
        _ => (&bytes[..bytes.len().min(MAX_HEAD)], &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let first = lines.next().unwrap_or_default();
    let status = status_of(first);
    let Some(status) = status else {
        return Response {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::copy_from_slice(&bytes[..bytes.len().min(MAX_BODY)]),
            broken: Some("no HTTP status line (HTTP/0.9 or another protocol)".into()),
        };
    };
    let mut headers = HeaderMap::new();
    let mut broken = None;
    for (n, line) in lines.enumerate() {
        if n >= MAX_LINES {
            broken = Some(format!("more than {MAX_LINES} header lines"));
            break;
        }
        match header(line) {
            Some((name, value)) => {
                headers.append(name, value);
            }
            None => {
                broken = Some(format!("header line {} is malformed", n + 1));
                break;
            }
        }
    }
    if head_end.is_none_or(|(end, _)| end > MAX_HEAD) {
        broken.get_or_insert_with(|| format!("no end of the head within {} KiB", MAX_HEAD / 1024));
    }
    Response { status, headers, body: Bytes::copy_from_slice(&body[..body.len().min(MAX_BODY)]), broken }
}

fn status_of(line: &[u8]) -> Option<StatusCode> {
    let text = std::str::from_utf8(line).ok()?;
    let mut parts = text.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    // An odd code still says the server speaks HTTP; it is read as 500.
    Some(
        code.parse::<u16>()
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    )
}

fn header(line: &[u8]) -> Option<(HeaderName, HeaderValue)> {
    if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
        return None; // obs-fold
    }
    let colon = line.iter().position(|&b| b == b':')?;
    let name = HeaderName::from_bytes(&line[..colon]).ok()?;
    let value = line[colon + 1..].trim_ascii();
    let value = HeaderValue::from_bytes(value).ok()?;
    Some((name, value))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Raw answer; status, header names kept, where it broke, body.
    type Case<'a> = (&'a [u8], u16, &'a [&'a str], Option<&'a str>, &'a str);

    #[test]
    fn the_head_is_kept_up_to_its_first_bad_line() {
        let cases: &[Case] = &[
            (
                b"HTTP/1.1 302 Found\r\nX-OWA-Version: 15.1.2176.2\r\nX-FEServer: EX\x001\r\nX-After: 1\r\n\r\n",
                302,
                &["x-owa-version"],
                Some("header line 2"),
                "",
            ),
            (
                b"HTTP/1.1 200 OK\r\nX-OWA-Version: 15.1.2176.2\r\nX-Bad: a\x7fb\r\n\r\nbody",
                200,
                &["x-owa-version"],
                Some("header line 2"),
                "body",
            ),
            (b"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", 200, &["x-a"], Some("header line 2"), ""),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
                200,
                &["content-length"],
                None,
                "abc",
            ),
            (b"HTTP/1.1 2xx Fine\r\nX-OWA-Version: 15.0.1497.2\r\n\r\n", 500, &["x-owa-version"], None, ""),
            (b"HTTP/1.0 200 OK\nX-OWA-Version: 14.3.509.0\n\n<html>", 200, &["x-owa-version"], None, "<html>"),
        ];
        for (raw, status, names, broken, body) in cases {
            let r = lenient(raw);
            assert_eq!(r.status.as_u16(), *status, "{raw:?}");
            let got: Vec<&str> = r.headers.keys().map(|k| k.as_str()).collect();
            assert_eq!(got, *names, "{raw:?}");
            match broken {
                Some(b) => assert!(r.broken.as_deref().is_some_and(|x| x.contains(b)), "{raw:?}: {:?}", r.broken),
                None => assert!(r.broken.is_none(), "{raw:?}: {:?}", r.broken),
            }
            assert_eq!(&r.body[..], body.as_bytes(), "{raw:?}");
        }
    }

    #[test]
    fn http_0_9_is_all_body_and_a_flood_of_headers_is_cut() {
        let r = lenient(b"<html><link href='/owa/14.3.509.0/x.css'></html>");
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.broken.as_deref().is_some_and(|b| b.contains("HTTP/0.9")));
        assert!(r.body.starts_with(b"<html>"));
        let mut flood = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..5000 {
            flood.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
        }
        let r = lenient(&flood);
        assert_eq!(r.headers.len(), MAX_LINES);
        assert!(r.broken.is_some());
    }
}
