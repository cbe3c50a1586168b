//! The lab fleet's cast: one personality per simulated server, each with the
//! status a correct scanner must give it. Host `i` of a fleet (counting from
//! 0) plays `FLEET[i % FLEET.len()]`, unless `simulate --silent` or
//! `--legacy` ask for shares of silent or legacy-TLS hosts (`Mix`).

use super::legacy::LegacyTls;
use crate::assess::Status;

/// What one simulated server is.
#[derive(Debug)]
pub struct Personality {
    /// Its name in the inventory's `personality` column and in README.
    pub name: &'static str,
    /// The status a correct scan gives it (the inventory's `expected_status`).
    pub expected: Status,
    /// What it serves.
    pub behaviour: Behaviour,
    /// `None`: TLS as rustls serves it (TLS 1.2 and 1.3, ECDHE with AEAD);
    /// otherwise the old Windows TLS it speaks, over OpenSSL.
    pub legacy_tls: Option<LegacyTls>,
}

/// What a simulated server does with a connection.
#[derive(Debug)]
pub enum Behaviour {
    /// Exchange behind these front ends, taking requests in turn.
    Exchange(&'static [FrontEnd]),
    /// A web server that is not Exchange.
    NotExchange,
    /// Nothing listens on the address.
    Down,
    /// Accepts TCP, then never sends a byte (a firewall that black-holes
    /// after the handshake, a hung server).
    Silent,
    /// Completes TLS, answers with a version header, 60 KB of a body, then
    /// 900 bytes every 0.2 s (a tarpit, a throttled link).
    Drip,
}

/// One Exchange front end.
#[derive(Debug)]
pub struct FrontEnd {
    /// Its `X-FEServer` name.
    pub name: &'static str,
    /// `X-OWA-Version`, exactly as sent.
    pub header: Option<&'static str>,
    /// What its OWA sign-in page shows.
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

/// The host that accepts TCP and never answers (`simulate --silent`).
pub const SILENT: Personality =
    Personality { name: "silent", expected: Unreachable, behaviour: Behaviour::Silent, legacy_tls: None };

/// The slow-drip host (`simulate --drip`): its head names a vulnerable
/// build, and that is evidence however slowly the body comes.
pub const SLOW_DRIP: Personality =
    Personality { name: "slow-drip", expected: Vulnerable, behaviour: Behaviour::Drip, legacy_tls: None };

/// The personality of host `index` of a fleet.
pub fn of_host(index: usize) -> &'static Personality {
    &FLEET[index % FLEET.len()]
}

/// Shares of the fleet given to silent and to legacy-TLS hosts, in percent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mix {
    /// Hosts that accept TCP and never answer.
    pub silent: u8,
    /// Hosts that speak only legacy TLS; `None`: whatever `FLEET`'s cycle gives.
    pub legacy: Option<u8>,
    /// Slow-drip hosts (`SLOW_DRIP`), taken from the last buckets.
    pub drip: u8,
}

/// Which hundredth of the fleet host `index` falls in: 37 is coprime with
/// 100, so every run of 100 consecutive hosts takes each bucket once, and a
/// share of P% is exactly P hosts in every hundred, spread out rather than
/// bunched (a silent block at the start would stall a scan differently
/// from silent hosts scattered as in a real fleet).
pub fn bucket(index: usize) -> u8 {
    ((index % 100) * 37 % 100) as u8
}

/// The personality of host `index` under `mix`: silent in the first
/// `mix.silent` buckets, legacy-TLS in the next `mix.legacy`, and otherwise
/// the modern cast (or, without `mix.legacy`, the plain `FLEET` cycle).
pub fn assign(index: usize, mix: &Mix) -> &'static Personality {
    let b = bucket(index);
    if b < mix.silent {
        return &SILENT;
    }
    if b >= 100u8.saturating_sub(mix.drip) {
        return &SLOW_DRIP;
    }
    let Some(legacy) = mix.legacy else { return of_host(index) };
    let (old, modern): (Vec<_>, Vec<_>) = FLEET.iter().partition(|p| p.legacy_tls.is_some());
    if b < mix.silent.saturating_add(legacy) { old[index % old.len()] } else { modern[index % modern.len()] }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many of `n` hosts from `start` `assign` makes silent and legacy.
    fn shares(start: usize, n: usize, mix: &Mix) -> (usize, usize) {
        let hosts: Vec<_> = (start..start + n).map(|i| assign(i, mix)).collect();
        let silent = hosts.iter().filter(|p| matches!(p.behaviour, Behaviour::Silent)).count();
        (silent, hosts.iter().filter(|p| p.legacy_tls.is_some()).count())
    }

    #[test]
    fn shares_are_exact_per_hundred_hosts() {
        let cases = [
            // (first host, hosts, silent %, legacy %, silent hosts, legacy hosts)
            (0, 100, 10, Some(0), 10, 0),
            (0, 100, 10, Some(30), 10, 30),
            (57, 1000, 10, Some(30), 100, 300),
            (0, 20_000, 10, Some(0), 2000, 0),
            (0, 100, 0, Some(100), 0, 100),
            (0, 100, 100, Some(30), 100, 0),
            (0, 100, 0, Some(0), 0, 0),
        ];
        for (start, n, silent, legacy, want_silent, want_legacy) in cases {
            let mix = Mix { silent, legacy, drip: 0 };
            assert_eq!(shares(start, n, &mix), (want_silent, want_legacy), "{start} {n} {mix:?}");
        }
    }

    #[test]
    fn without_shares_the_fleet_cycles_as_before() {
        for i in 0..3 * FLEET.len() {
            assert!(std::ptr::eq(assign(i, &Mix::default()), of_host(i)), "host {i}");
        }
        // A silent share replaces some hosts; the others keep their place in the cycle.
        let mix = Mix { silent: 10, legacy: None, drip: 0 };
        for i in 0..1000 {
            let p = assign(i, &mix);
            assert!(matches!(p.behaviour, Behaviour::Silent) || std::ptr::eq(p, of_host(i)), "host {i}");
        }
    }

    #[test]
    fn silent_hosts_are_spread_not_bunched() {
        let mix = Mix { silent: 10, legacy: Some(0), drip: 0 };
        let silent: Vec<usize> = (0..100).filter(|&i| matches!(assign(i, &mix).behaviour, Behaviour::Silent)).collect();
        let gaps: Vec<usize> = silent.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g > 1), "no two silent hosts side by side: {silent:?}");
        assert_eq!(SILENT.expected, Status::Unreachable);
    }
}
