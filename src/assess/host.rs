//! Verdicts that are not a reading of a build against a table alone: what a
//! probed host showed (unreachable, a look-alike, Exchange Online, hidden
//! behind a gateway, not Exchange), a mail hop, an input error, a host not
//! scanned. Every module that needs such a verdict hands its facts here, so
//! each status is constructed in `assess` only.

use super::{Status, Verdict, assess, judge};
use crate::build::Build;
use crate::evidence::{Evidence, HostFacts, Source};
use crate::table::Table;

/// The verdict for one probed host: not scanned, unreachable, a look-alike,
/// Exchange Online, hidden behind something, not Exchange, or the assessment
/// of what it showed (plus any build the inventory gives).
pub fn host(facts: &HostFacts, inventory: Option<&Evidence>, table: &Table) -> Verdict {
    let notes = facts.notes.join("; ");
    let on_premises = facts.evidence.iter().any(|e| !(e.build.major == 15 && e.build.minor == 20));
    if let Some(why) = facts.local_failure {
        return not_scanned(format!(
            "not probed: the scanner ran out of local resources ({why}); lower --concurrency or raise the open-file limit"
        ));
    }
    let mut verdict = if !facts.answered && facts.malformed.is_none() {
        let why = facts.failure.as_deref().unwrap_or("no response");
        let mut v = Verdict::without_build(Status::Unreachable, why);
        if let Some(inv) = inventory {
            v.detail.push_str(&format!("; the inventory lists build {}", inv.build));
        }
        return v;
    } else if let Some(canary) = facts.look_alike {
        Verdict::without_build(
            Status::NotExchange,
            format!(
                "a look-alike, not an Exchange server: it answers every path alike ({canary}), as OWA honeypots, phishing kits and C2 profiles do, so its version markers are not evidence"
            ),
        )
    } else if let Some(sign) = facts.online.filter(|_| !on_premises) {
        Verdict::without_build(
            Status::NotAffected,
            format!(
                "the name points at Exchange Online ({sign}), which Microsoft patches in the service; it is not an on-premises server"
            ),
        )
    } else if facts.evidence.is_empty()
        && let Some(hidden) = hidden_by(facts)
    {
        match inventory {
            Some(inv) => {
                let mut v = assess(std::slice::from_ref(inv), table);
                v.detail = format!("{}; {hidden}", v.detail);
                v
            }
            None => Verdict::without_build(Status::Undetermined, hidden),
        }
    } else if !facts.exchange && facts.evidence.is_empty() {
        Verdict::without_build(
            Status::NotExchange,
            "answered over HTTP but shows no Exchange marker (X-OWA-Version, X-FEServer, OWA sign-in page, export-tool manifest)",
        )
    } else {
        let mut evidence = facts.evidence.to_vec();
        evidence.extend(inventory.cloned());
        assess(&evidence, table)
    };
    if !notes.is_empty() {
        verdict.detail = format!("{}; also: {notes}", verdict.detail);
    }
    verdict
}

/// Why nothing of the server could be seen, when something stands in the
/// way: a pre-authenticating gateway, a name-only binding asked by address,
/// or answers too malformed to read.
fn hidden_by(facts: &HostFacts) -> Option<String> {
    if let Some(gateway) = facts.gateway {
        return Some(format!(
            "a pre-authenticating gateway ({gateway}) stands in front of OWA and shows nothing of the server behind it: scan from inside, or give the build in the inventory's build column"
        ));
    }
    if facts.invalid_hostname && !facts.exchange {
        return Some(
            "addressed by IP, the server answers 400 Invalid Hostname (its sites are bound to a name): scan it by name, e.g. with a hostname column"
                .into(),
        );
    }
    if let Some(why) = facts.malformed.filter(|_| !facts.exchange) {
        return Some(format!(
            "the server answered, but with malformed HTTP ({why}) that shows no version; IIS does not answer so, so something in front may be mangling responses: check it from inside"
        ));
    }
    None
}

/// The verdict for a build read from a mail message's `Received:` header: an
/// Exchange Online hop is patched in the service; any other is judged.
pub fn mail_hop(build: Build, cloud: bool, table: &Table) -> Verdict {
    if cloud {
        Verdict {
            build: Some(build),
            sources: vec![Source::MailHeader],
            ..Verdict::without_build(
                Status::NotAffected,
                format!("{build} is an Exchange Online hop, which Microsoft patched in the service"),
            )
        }
    } else {
        assess(&[Evidence::new(build, Source::MailHeader)], table)
    }
}

/// The verdict for a build given to `check`: judged, or `input-error` when
/// it cannot be read.
pub fn input_build(input: &str, table: &Table) -> Verdict {
    match Build::parse(input) {
        Ok(build) => Verdict { sources: vec![Source::Input], ..judge(&build, table) },
        Err(err) => input_error(err.to_string()),
    }
}

/// An `input-error` verdict: the input row or value could not be used.
pub fn input_error(why: impl Into<String>) -> Verdict {
    Verdict::without_build(Status::InputError, why)
}

/// A `not-scanned` verdict: the host was never probed (the run stopped, or
/// no report has it).
pub fn not_scanned(why: impl Into<String>) -> Verdict {
    Verdict::without_build(Status::NotScanned, why)
}

/// An `undetermined` verdict for a probe that failed inside the scanner
/// itself (a bug), so nothing is known of the host.
pub fn probe_crashed(why: &str) -> Verdict {
    Verdict::without_build(
        Status::Undetermined,
        format!("internal error while probing this host (a bug; please report it): {why}"),
    )
}
