//! Downloads for `data update`: one reqwest client (rustls; the probe path
//! does not use it), conditional requests (ETag / Last-Modified), and a size
//! cap per source checked as the body arrives, so a hostile mirror can
//! neither bloat the run nor hang it (`--timeout` bounds connecting and
//! every read).

use anyhow::{Context, Result, bail, ensure};
use std::time::Duration;

/// How the downloads are made (`data update`'s flags, validated).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--timeout`: connecting, and each wait for more of a body.
    pub timeout: Duration,
    /// `--proxy URL`; none by default (environment proxies are not read, as for scans).
    pub proxy: Option<String>,
    /// `--ca-cert`: PEM certificates trusted besides the system's, and where they come from.
    pub ca: Option<(Vec<u8>, String)>,
}

/// What a server's validators were when a body was fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    /// The `ETag` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// A conditional request's answer.
pub enum Answer {
    /// 304: the copy the validators came from is still current.
    Unchanged,
    /// 200: a new body and its validators.
    Body(Vec<u8>, Validators),
}

/// The HTTP client for the sources.
pub struct Client {
    http: reqwest::Client,
    timeout: Duration,
}

impl Client {
    /// A client with these settings.
    pub fn new(settings: &Settings) -> Result<Client> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(format!("exchange-exposure/{}", env!("CARGO_PKG_VERSION")))
            .connect_timeout(settings.timeout)
            .read_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .no_proxy();
        if let Some(url) = &settings.proxy {
            builder = builder.proxy(reqwest::Proxy::all(url).with_context(|| format!("--proxy {url:?}"))?);
        }
        if let Some((pem, label)) = &settings.ca {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .with_context(|| format!("--ca-cert {label}: no PEM certificate"))?;
            ensure!(!certs.is_empty(), "--ca-cert {label}: no PEM certificate");
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        Ok(Client {
            http: builder.build().map_err(chain).context("cannot set up the HTTP client")?,
            timeout: settings.timeout,
        })
    }

    /// GETs `url` (`accept`: the Accept header), conditionally when
    /// `validators` are known, reading at most `cap` bytes of the body.
    pub async fn get(&self, url: &str, accept: &str, validators: Option<&Validators>, cap: u64) -> Result<Answer> {
        check_url(url)?;
        let mut request = self.http.get(url).header(reqwest::header::ACCEPT, accept);
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                request = request.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = &v.last_modified {
                request = request.header(reqwest::header::IF_MODIFIED_SINCE, date);
            }
        }
        // A whole download may take many reads; this bounds a trickling server.
        let whole = self.timeout * 30;
        let mut response = request.timeout(whole).send().await.map_err(chain)?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED && validators.is_some() {
            return Ok(Answer::Unchanged);
        }
        if !status.is_success() {
            bail!("HTTP {status}");
        }
        if let Some(length) = response.content_length() {
            ensure!(
                length <= cap,
                "the server announces {length} bytes, more than the {} MiB allowed for this source",
                cap >> 20
            );
        }
        let header = |name: reqwest::header::HeaderName| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from)
        };
        let got =
            Validators { etag: header(reqwest::header::ETAG), last_modified: header(reqwest::header::LAST_MODIFIED) };
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(chain)? {
            ensure!(
                body.len() as u64 + chunk.len() as u64 <= cap,
                "the body passes the {} MiB allowed for this source",
                cap >> 20
            );
            body.extend_from_slice(&chunk);
        }
        Ok(Answer::Body(body, got))
    }
}

/// Only http and https URLs are followed (a mirror's `CvrfUrl` included).
fn check_url(url: &str) -> Result<()> {
    let parsed =
        reqwest::Url::parse(url).with_context(|| format!("{:?} is not a URL", crate::sanitize::printable(url)))?;
    ensure!(
        matches!(parsed.scheme(), "http" | "https"),
        "{:?}: only http and https URLs are fetched",
        crate::sanitize::printable(url)
    );
    Ok(())
}

/// An error with its whole source chain in its message: reqwest's own
/// top-level message ("error sending request") hides the cause.
fn chain(err: reqwest::Error) -> anyhow::Error {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    if err.is_timeout() && !message.contains("timed out") {
        message = format!("{message} (timed out)");
    }
    anyhow::anyhow!(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_are_fetched() {
        check_url("https://api.msrc.microsoft.com/cvrf/v3.0/updates").unwrap();
        check_url("http://127.0.0.1:8080/x").unwrap();
        for bad in ["file:///etc/passwd", "ftp://x/y", "not a url", ""] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
