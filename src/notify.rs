//! `scan --notify URL`: one JSON summary POSTed to each URL when a run has
//! findings (exit 1, which `--fail-on-change` also gives): the counts, the
//! hosts that changed since the baseline, the first vulnerable hosts, the
//! reports' paths, and a `text` field that Slack, Microsoft Teams and
//! Mattermost incoming webhooks show as it is. Sent after the reports are
//! committed, so it never delays or changes them; each URL gets a timeout
//! and three retries with backoff; a failure is a warning (the URL's path,
//! which for a webhook is its secret, is not printed) and a metric.

use crate::assess::Status;
use crate::report::summary::Summary;
use crate::sanitize::printable;
use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::time::Duration;

/// How long one attempt may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Retries after the first attempt.
pub const RETRIES: u32 = 3;
/// The first pause between attempts; it doubles each time.
pub const BACKOFF: Duration = Duration::from_millis(500);

/// A `--notify URL`, checked: `http://` or `https://` with a host.
pub fn check_url(url: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url).map_err(|e| anyhow::anyhow!("--notify {}: {e}", shown(url)))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        bail!("--notify {}: give an http:// or https:// URL", shown(url));
    }
    Ok(parsed)
}

/// A URL as messages show it: scheme and host only (a webhook's path and
/// query are its secret).
pub fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("")),
        Err(_) => "(a URL that does not parse)".into(),
    }
}

/// What the summary says about the run, besides the counts.
pub struct Run<'a> {
    /// The run's counts.
    pub summary: &'a Summary,
    /// The exit status.
    pub exit_status: u8,
    /// Where the reports were written.
    pub reports: &'a [String],
    /// Whether `--fail-on-change` fired.
    pub change_fired: bool,
}

/// The JSON body posted.
pub fn body(run: &Run, now: jiff::Timestamp) -> Value {
    let s = run.summary;
    let counts: serde_json::Map<String, Value> =
        s.by_status.iter().map(|(st, n)| (st.to_string(), Value::from(*n))).collect();
    let vulnerable = s.by_status.get(&Status::Vulnerable).copied().unwrap_or(0);
    let mut text = format!("exchange-exposure: {vulnerable} vulnerable of {} hosts", s.rows());
    if !s.changes.is_empty() {
        let changes: Vec<String> =
            s.changes.iter().filter(|(c, _)| **c != "unchanged").map(|(c, n)| format!("{n} {c}")).collect();
        if !changes.is_empty() {
            text.push_str(&format!(" ({} since the baseline)", changes.join(", ")));
        }
    }
    for (host, build, fixed) in s.vulnerable.iter().take(10) {
        text.push_str(&format!("\n- {} on {}, needs {}", chat(host), chat(build), chat(fixed)));
    }
    for (host, change) in s.changed.iter().take(10) {
        text.push_str(&format!("\n- {}: {change}", chat(host)));
    }
    if !run.reports.is_empty() {
        text.push_str(&format!("\nreports: {}", chat(&run.reports.join(", "))));
    }
    json!({
        "text": text,
        "tool": "exchange-exposure",
        "version": env!("CARGO_PKG_VERSION"),
        "finished_at": now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "exit_status": run.exit_status,
        "fail_on_change_fired": run.change_fired,
        "hosts": s.rows(),
        "counts": counts,
        "changes": s.changes,
        "changed": s.changed.iter().map(|(h, c)| json!({"host": printable(h), "change": c})).collect::<Vec<_>>(),
        "vulnerable": s.vulnerable.iter().map(|(h, b, f)| json!({"host": printable(h), "build": b, "fixed_build": f})).collect::<Vec<_>>(),
        "reports": run.reports,
    })
}

/// Text for a chat message: printable, and without the characters chat
/// markup gives meaning to (`<`, `>`, `&`), which no host name or build has.
fn chat(text: &str) -> String {
    printable(text).chars().map(|c| if matches!(c, '<' | '>' | '&') { '?' } else { c }).collect()
}

/// Posts `body` to every URL; returns one warning line per URL that could
/// not take it after every retry.
pub async fn send(urls: &[String], body: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    for url in urls {
        if let Err(why) = send_one(url, body).await {
            failures.push(format!("notification to {} failed after {} attempts: {why}", shown(url), RETRIES + 1));
        }
    }
    failures
}

async fn send_one(url: &str, body: &Value) -> Result<()> {
    let parsed = check_url(url)?;
    let mut builder = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT / 2)
        .user_agent(concat!("exchange-exposure/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none());
    // A proxy from the environment serves the way out, never loopback.
    if parsed.host_str().is_some_and(|h| {
        h == "localhost" || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) || h == "[::1]"
    }) {
        builder = builder.no_proxy();
    }
    let client = builder.build()?;
    let payload = serde_json::to_vec(body)?;
    let mut pause = BACKOFF;
    let mut last = String::new();
    for attempt in 0..=RETRIES {
        if attempt > 0 {
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
        let sent = client
            .post(parsed.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload.clone())
            .send()
            .await;
        match sent {
            Ok(answer) if answer.status().is_success() => return Ok(()),
            // A refusal other than "too many" or a server error will not change.
            Ok(answer) if answer.status().is_client_error() && answer.status().as_u16() != 429 => {
                bail!("the receiver answered {}", answer.status())
            }
            Ok(answer) => last = format!("the receiver answered {}", answer.status()),
            Err(err) => last = error_chain(&err),
        }
    }
    bail!("{last}")
}

/// An error and its causes (reqwest's own message hides the cause), without the URL.
fn error_chain(err: &reqwest::Error) -> String {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let mut parts = vec![what.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.dedup();
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_shown_without_their_secret() {
        assert!(check_url("https://hooks.slack.example/services/T/B/secret").is_ok());
        for bad in ["ftp://x.example/", "not a url", "http://"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert_eq!(shown("https://hooks.slack.example/services/T/B/secret?x=1"), "https://hooks.slack.example/…");
        let err = check_url("file:///services/secret").unwrap_err().to_string();
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn the_text_names_counts_hosts_and_reports_without_chat_markup() {
        let mut summary = Summary::default();
        summary.by_status.insert(Status::Vulnerable, 2);
        summary.by_status.insert(Status::Patched, 3);
        summary.changes.insert("new", 1);
        summary.changed.push(("<!channel>:443".into(), "new"));
        summary.vulnerable.push(("ex1:443".into(), "15.1.2176.2".into(), "15.1.2176.9".into()));
        let reports = ["exposure.csv".to_string()];
        let run = Run { summary: &summary, exit_status: 1, reports: &reports, change_fired: false };
        let body = body(&run, jiff::Timestamp::UNIX_EPOCH);
        let text = body["text"].as_str().unwrap();
        assert!(text.starts_with("exchange-exposure: 2 vulnerable of 5 hosts (1 new since the baseline)"), "{text}");
        assert!(text.contains("ex1:443 on 15.1.2176.2, needs 15.1.2176.9") && text.contains("exposure.csv"), "{text}");
        assert!(text.contains("?!channel?:443: new") && !text.contains('<'), "{text}");
        assert_eq!(body["counts"]["vulnerable"], 2);
        assert_eq!(body["changed"][0]["change"], "new");
    }
}
