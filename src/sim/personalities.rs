//! The lab fleet's cast: one personality per simulated server, each with the
//! status a correct scanner must give it. Host `i` of a fleet (counting from
//! 0) plays `FLEET[i % FLEET.len()]`.

use super::legacy::LegacyTls;
use crate::assess::Status;

/// What one simulated server is.
#[derive(Debug)]
pub struct Personality {
    pub name: &'static str,
    pub expected: Status,
    pub behaviour: Behaviour,
    /// `None`: TLS as rustls serves it (TLS 1.2 and 1.3, ECDHE with AEAD);
    /// otherwise the old Windows TLS it speaks, over OpenSSL.
    pub legacy_tls: Option<LegacyTls>,
}

#[derive(Debug)]
pub enum Behaviour {
    /// Exchange behind these front ends, taking requests in turn.
    Exchange(&'static [FrontEnd]),
    /// A web server that is not Exchange.
    NotExchange,
    /// Nothing listens on the address.
    Down,
}

/// One Exchange front end.
#[derive(Debug)]
pub struct FrontEnd {
    pub name: &'static str,
    /// `X-OWA-Version`, exactly as sent.
    pub header: Option<&'static str>,
    pub page: Page,
    /// The export-tool manifest's version; `None`: 404.
    pub manifest: Option<&'static str>,
}

/// What the sign-in page's resource paths show.
#[derive(Debug)]
pub enum Page {
    /// 2013 and later: `/owa/auth/MAJOR.MINOR.BUILD/`.
    Modern(&'static str),
    /// 2010 and 2007: `/owa/FULL.BUILD/`.
    Legacy(&'static str),
    /// Paths rewritten: no version.
    NoVersion,
}

const fn fe(name: &'static str, header: Option<&'static str>, page: Page, manifest: Option<&'static str>) -> FrontEnd {
    FrontEnd { name, header, page, manifest }
}

const fn exchange(name: &'static str, expected: Status, front_ends: &'static [FrontEnd]) -> Personality {
    Personality { name, expected, behaviour: Behaviour::Exchange(front_ends), legacy_tls: None }
}

/// Exchange on a server whose TLS only the legacy fallback can speak.
const fn legacy(name: &'static str, expected: Status, tls: LegacyTls, front_ends: &'static [FrontEnd]) -> Personality {
    Personality { name, expected, behaviour: Behaviour::Exchange(front_ends), legacy_tls: Some(tls) }
}

use Page::{Legacy, Modern, NoVersion};
use Status::*;

/// Every personality, in the order hosts are given them.
pub const FLEET: &[Personality] = &[
    exchange(
        "ex2016-cu19-unpatched",
        Vulnerable,
        &[fe("EX16A", Some("15.1.2176.2"), Modern("15.1.2176"), Some("15.1.2176.2"))],
    ),
    exchange(
        "ex2016-cu19-patched",
        Patched,
        &[fe("EX16B", Some("15.1.2176.9"), Modern("15.1.2176"), Some("15.1.2176.9"))],
    ),
    exchange(
        "ex2019-cu8-unpatched",
        Vulnerable,
        &[fe("EX19A", Some("15.2.792.3"), Modern("15.2.792"), Some("15.2.792.3"))],
    ),
    exchange(
        "ex2019-cu8-patched",
        Patched,
        &[fe("EX19B", Some("15.2.792.10"), Modern("15.2.792"), Some("15.2.792.10"))],
    ),
    exchange(
        "ex2019-cu9-reports-858.2",
        Patched,
        &[fe("EX19C", Some("15.2.858.2"), Modern("15.2.858"), Some("15.2.858.2"))],
    ),
    exchange("ex2013-cu23-unpatched", Vulnerable, &[fe("EX13A", Some("15.0.1497.2"), Modern("15.0.1497"), None)]),
    exchange("ex2013-cu23-patched", Patched, &[fe("EX13B", Some("15.0.1497.12"), Modern("15.0.1497"), None)]),
    exchange("ex2010-sp3-ru31", Vulnerable, &[fe("EX10A", Some("14.3.509.0"), Legacy("14.3.509.0"), None)]),
    exchange("ex2010-sp3-ru32", Patched, &[fe("EX10B", Some("14.3.513.0"), Legacy("14.3.513.0"), None)]),
    exchange("exse-rtm", Patched, &[fe("EXSE", Some("15.2.2562.17"), Modern("15.2.2562"), Some("15.2.2562.17"))]),
    exchange("header-stripped", SuUnknown, &[fe("EX16C", None, Modern("15.1.2176"), None)]),
    exchange("manifest-only", Patched, &[fe("EX19D", None, NoVersion, Some("15.2.792.10"))]),
    exchange("zero-padded-header", Patched, &[fe("EX16D", Some("15.01.2176.009"), Modern("15.1.2176"), None)]),
    exchange("header-page-conflict", Patched, &[fe("EX19E", Some("15.02.2562.037"), Modern("15.2.1748"), None)]),
    exchange("decoy-manifest", Ambiguous, &[fe("EX16E", None, Modern("15.1.2176"), Some("15.0.0.0"))]),
    Personality { name: "not-exchange", expected: NotExchange, behaviour: Behaviour::NotExchange, legacy_tls: None },
    exchange("exchange-no-version", Undetermined, &[fe("EX16F", None, NoVersion, None)]),
    exchange(
        "load-balanced-pair",
        Vulnerable,
        &[
            fe("EX16G", Some("15.1.2176.9"), Modern("15.1.2176"), Some("15.1.2176.9")),
            fe("EX16H", Some("15.1.2176.2"), Modern("15.1.2176"), Some("15.1.2176.2")),
        ],
    ),
    exchange("ex2016-cu8-sources-disagree", Ambiguous, &[fe("EX16I", Some("15.1.1415.9"), Modern("15.1.1415"), None)]),
    exchange("ex2007-sp3", NotAffected, &[fe("EX07", None, Legacy("8.3.83.6"), None)]),
    exchange("ex2016-cu7-never-fixed", Vulnerable, &[fe("EX16J", Some("15.1.1261.35"), Modern("15.1.1261"), None)]),
    Personality { name: "down", expected: Unreachable, behaviour: Behaviour::Down, legacy_tls: None },
    // Old Windows TLS (README, "Legacy TLS"): only the OpenSSL fallback reaches these.
    legacy(
        "ex2010-sp3-tls10-only",
        Vulnerable,
        LegacyTls::Tls10Only,
        &[fe("EX10L", Some("14.3.509.0"), Legacy("14.3.509.0"), None)],
    ),
    legacy(
        "ex2013-cu23-2012r2-suites",
        Vulnerable,
        LegacyTls::Server2012R2,
        &[fe("EX13L", Some("15.0.1497.2"), Modern("15.0.1497"), None)],
    ),
    legacy(
        "ex2016-cu19-rsa-kex-only",
        Patched,
        LegacyTls::RsaKexOnly,
        &[fe("EX16L", Some("15.1.2176.9"), Modern("15.1.2176"), Some("15.1.2176.9"))],
    ),
    legacy(
        "ex2016-cu19-1024-bit-key",
        Vulnerable,
        LegacyTls::WeakKey,
        &[fe("EX16K", Some("15.1.2176.2"), Modern("15.1.2176"), Some("15.1.2176.2"))],
    ),
];

/// The personality of host `index` of a fleet.
pub fn of_host(index: usize) -> &'static Personality {
    &FLEET[index % FLEET.len()]
}
