//! Verdicts for evidence that was recorded rather than probed: a service
//! record of an internet-scan export (Shodan, Censys), judged like a probed
//! host from the markers the record holds, unless the record is too thin to
//! say anything (only a favicon, a body cut before its markers); and a
//! HealthChecker export, the server's own build, judged with whatever a scan
//! report saw for the same server by the usual rule for disagreeing evidence.

use super::{Status, Verdict, assess, host};
use crate::evidence::{Evidence, HostFacts, Source};
use crate::table::Table;

/// The verdict for one recorded service: what its markers show, judged as
/// `host` judges a probed host, with `thin` — why the record cannot show
/// what the server is (a favicon only, a truncated body without markers) —
/// making an answer without evidence `undetermined` instead of
/// `not-exchange`: a record that holds too little proves nothing either way.
/// The row's source is the export's even where no build was read.
pub fn recorded(facts: &HostFacts, thin: Option<&str>, source: Source, table: &Table) -> Verdict {
    let mut verdict = match thin {
        Some(why) if facts.evidence.is_empty() && facts.online.is_none() => unseen(why),
        _ => host(facts, None, table),
    };
    if verdict.sources.is_empty() {
        verdict.sources = vec![source];
    }
    verdict
}

/// An `undetermined` verdict for a record that shows nothing to judge.
pub fn unseen(why: impl Into<String>) -> Verdict {
    Verdict::without_build(Status::Undetermined, why)
}

/// The verdict for a HealthChecker export's build, together with what a
/// scan report saw for the same server (`also`): evidence that agrees is
/// merged (the exact build wins), evidence that is judged differently is
/// `ambiguous`, naming both — the rule `assess` applies to every source.
pub fn healthchecker(build: Evidence, also: Option<Evidence>, table: &Table) -> Verdict {
    let evidence: Vec<Evidence> = std::iter::once(build).chain(also).collect();
    assess(&evidence, table)
}
