//! Passive evidence: Exchange builds read from the `Received:` headers of
//! mail, without scanning anything. Every on-premises Exchange hop stamps
//! its build there (`with Microsoft SMTP Server (…) id 15.2.1748.10; DATE`,
//! `with mapi id 15.02.2562.017; DATE`). Pure functions over text: split an
//! mbox, unfold headers, find each hop, keep the newest sighting per server.

use crate::build::Build;
use jiff::Timestamp;

/// One Exchange hop seen in a `Received:` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The receiving server (`by NAME`), lower-cased and cleaned.
    pub server: String,
    /// The Exchange build the hop's `with` clause names.
    pub build: Build,
    /// When the hop happened, if its date could be read.
    pub at: Option<Timestamp>,
    /// An Exchange Online hop (15.20.x, `*.outlook.com`, or the cloud's
    /// "via Frontend Transport").
    pub cloud: bool,
}

/// The messages in a file: an mbox (lines starting `From ` separate them),
/// or one message (an `.eml`, or a pasted header block).
pub fn messages(text: &str) -> Vec<&str> {
    if !text.starts_with("From ") {
        return vec![text];
    }
    let mut starts: Vec<usize> = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 && line.starts_with("From ") {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts.push(text.len());
    starts.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

/// The header section of a message, unfolded: one string per header.
pub fn headers(message: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in message.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break; // the body starts
        }
        if line.starts_with("From ") && out.is_empty() {
            continue; // the mbox separator line
        }
        match (line.starts_with([' ', '\t']), out.last_mut()) {
            (true, Some(last)) => {
                last.push(' ');
                last.push_str(line.trim_start());
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// Every Exchange hop in a message's `Received:` headers.
pub fn hops(message: &str) -> Vec<Hop> {
    headers(message).iter().filter_map(|h| received_value(h)).filter_map(hop).collect()
}

fn received_value(header: &str) -> Option<&str> {
    let (name, value) = header.split_once(':')?;
    name.trim().eq_ignore_ascii_case("received").then_some(value)
}

/// Reads one `Received:` value; `None` unless it is an Exchange hop.
fn hop(value: &str) -> Option<Hop> {
    let lower = value.to_ascii_lowercase();
    let exchange = lower.contains("with microsoft smtp server") || lower.contains("with mapi");
    if !exchange {
        return None;
    }
    let (trace, date) = match value.rsplit_once(';') {
        Some((trace, date)) => (trace, Some(date.trim())),
        None => (value, None),
    };
    let words: Vec<&str> = trace.split_whitespace().collect();
    let after = |word: &str| words.windows(2).find(|w| w[0].eq_ignore_ascii_case(word)).map(|w| w[1]);
    let build = Build::parse(after("id")?.trim_end_matches([';', ','])).ok()?;
    let server = after("by").map(crate::sanitize::clean).unwrap_or_default().to_ascii_lowercase();
    // A trailing comment, "(UTC)" or "(PDT)", is not part of the date.
    let date = date.map(|d| d.split(" (").next().unwrap_or(d).trim());
    let at = date.and_then(|d| jiff::fmt::rfc2822::parse(d).ok()).map(|z| z.timestamp());
    let cloud = (build.major, build.minor) == (15, 20)
        || server.ends_with(".outlook.com")
        || (lower.contains("via frontend transport") && server.contains("outlook"));
    Some(Hop { server, build, at, cloud })
}

/// The newest sighting of each server (a later timestamp wins; without
/// timestamps, the later in the input), in order of first appearance.
pub fn newest_per_server(hops: impl IntoIterator<Item = Hop>) -> Vec<Hop> {
    // Indexed by server: linear in the hops, however many servers are forged.
    let mut out: Vec<Hop> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for hop in hops {
        match index.get(&hop.server) {
            // `None < Some`: an undated sighting never replaces a dated one.
            Some(&i) if hop.at >= out[i].at => out[i] = hop,
            Some(_) => {}
            None => {
                index.insert(hop.server.clone(), out.len());
                out.push(hop);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &str = "Received: from EX19A.corp.example (10.0.0.5) by EX19B.corp.example\r\n (10.0.0.6) with Microsoft SMTP Server (version=TLS1_2,\r\n cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.2.1748.10; Tue, 1 Oct\r\n 2024 10:00:00 +0000\r\nReceived: from EXSE1.corp.example ([fe80::1]) by EXSE1.corp.example\r\n ([fe80::1%12]) with mapi id 15.02.2562.017; Tue, 1 Oct 2024 09:59:58 +0000\r\nReceived: from mx.example.org by mail.example.net (Postfix) with ESMTPS id 4XYZ; Tue, 1 Oct 2024 09:00:00 +0000\r\nSubject: hi\r\n\r\nReceived: by body.example with mapi id 15.1.1.1; Tue, 1 Oct 2024 09:00:00 +0000\r\n";

    #[test]
    fn unfolds_and_finds_each_exchange_hop() {
        let hops = hops(MSG);
        assert_eq!(hops.len(), 2, "{hops:?}");
        assert_eq!((hops[0].server.as_str(), hops[0].build.to_string()), ("ex19b.corp.example", "15.2.1748.10".into()));
        assert_eq!(hops[0].at.unwrap().to_string(), "2024-10-01T10:00:00Z");
        assert_eq!((hops[1].server.as_str(), hops[1].build.to_string()), ("exse1.corp.example", "15.2.2562.17".into()));
        assert!(!hops[0].cloud && !hops[1].cloud);
    }

    #[test]
    fn cloud_hops_are_marked() {
        let cloud = "Received: from AM0PR01MB1234.eurprd01.prod.exchangelabs.com (2603:10a6::1) by AM0PR01MB5678.eurprd01.prod.outlook.com (2603:10a6::2) with Microsoft SMTP Server (version=TLS1_2) id 15.20.7409.10; Tue, 1 Oct 2024 10:00:00 +0000\n";
        let hop = &hops(cloud)[0];
        assert!(hop.cloud);
        let frontend = "Received: from mail.example.org by DB5PEPF00000001.mail.protection.outlook.com (10.0.0.1) with Microsoft SMTP Server id 15.20.7409.10 via Frontend Transport; Tue, 1 Oct 2024 10:00:00 +0000\n";
        assert!(hops(frontend)[0].cloud);
    }

    #[test]
    fn mbox_splits_and_newest_sighting_wins() {
        let mbox = "From a@example Tue Oct  1 10:00:00 2024\nReceived: by ex1.corp.example with mapi id 15.1.2176.2; Tue, 1 Oct 2024 10:00:00 +0000\n\nbody\nFrom b@example Wed Oct  2 10:00:00 2024\nReceived: by EX1.corp.example with mapi id 15.1.2176.14; Wed, 2 Oct 2024 10:00:00 +0000\n\nbody\n";
        let msgs = messages(mbox);
        assert_eq!(msgs.len(), 2);
        let all: Vec<Hop> = msgs.iter().flat_map(|m| hops(m)).collect();
        let newest = newest_per_server(all.clone());
        assert_eq!(newest.len(), 1);
        assert_eq!(newest[0].build.to_string(), "15.1.2176.14");
        // Order in the input does not matter: the later date wins.
        let reversed = newest_per_server(all.into_iter().rev());
        assert_eq!(reversed[0].build.to_string(), "15.1.2176.14");
    }

    #[test]
    fn a_hundred_thousand_forged_servers_are_each_kept_once_in_order() {
        let build = Build::parse("15.1.2176.2").unwrap();
        let hop = |i: usize| Hop { server: format!("ex{i}.forged.test"), build, at: None, cloud: false };
        // Every server twice: the second sighting (undated, later) replaces the first.
        let hops = (0..100_000).map(hop).chain((0..100_000).map(hop));
        let out = newest_per_server(hops);
        assert_eq!(out.len(), 100_000);
        assert!(out.iter().enumerate().all(|(i, h)| h.server == format!("ex{i}.forged.test")));
    }

    #[test]
    fn junk_is_not_a_hop() {
        for value in [
            "Received: by x with mapi id junk; Tue, 1 Oct 2024 10:00:00 +0000",
            "Received: by x with mapi; Tue, 1 Oct 2024 10:00:00 +0000",
            "Received: from a by b with SMTP id 15.1.2176.9",
            "X-Received: by x with mapi id 15.1.2176.9",
            "Received",
        ] {
            assert!(hops(value).is_empty(), "{value}");
        }
        let undated = hops("Received: by x with mapi id 15.1.2176.9; not a date");
        assert_eq!(undated[0].at, None);
        let commented = hops("Received: by x with mapi id 15.1.2176.9; Tue, 1 Oct 2024 10:00:00 +0000 (UTC)");
        assert!(commented[0].at.is_some());
    }
}
