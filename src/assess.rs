//! Pure judgement: evidence (builds with where they came from) + the table →
//! a verdict with status, CVEs, product, CU, the build needed and one
//! sentence of detail. Every status a row can have is constructed in this
//! module (the rest in `host`: probed hosts, mail hops, input errors, hosts
//! not scanned); other modules hand it facts. No I/O here; every rule from
//! README's "How builds are judged" has a named test in `assess/tests.rs`.

use crate::build::{Build, CuKey, Precision, Product};
use crate::evidence::{Evidence, Source};
use crate::table::{CuFix, Fix, Table};
use std::fmt;

mod host;
mod recorded;
pub use host::{host, input_build, input_error, mail_hop, not_scanned, probe_crashed};
pub use recorded::{healthchecker, recorded, unseen};

/// Every status a report row can have (README, "Statuses").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Below its CU's fixed build (to SU precision), or on a CU that never got a fix.
    Vulnerable,
    /// The CU is known and has a fix, but the SU level is not visible.
    SuUnknown,
    /// The evidence or the sources disagree in a way that changes the verdict.
    Ambiguous,
    /// At or above its CU's fixed build, or on a CU released with the fix.
    Patched,
    /// The build has the fix, but the advisory also needs a configuration
    /// step no remote scan can see.
    ConfigUnknown,
    /// A line outside the advisory (2007 and older, Exchange Online).
    NotAffected,
    /// A version was read that is not a build the table knows.
    UnknownBuild,
    /// Exchange, but no version shows (or something in front hides it).
    Undetermined,
    /// The host answered without any Exchange marker.
    NotExchange,
    /// DNS, connect, TLS or a timeout failed before any answer.
    Unreachable,
    /// The inventory row or build text could not be used.
    InputError,
    /// The row was never probed (the run stopped, a shard was missing, or
    /// the scanner ran out of local resources).
    NotScanned,
}

impl Status {
    /// Every status, most severe exposure first (the order of the README's table).
    pub const ALL: [Status; 12] = [
        Status::Vulnerable,
        Status::SuUnknown,
        Status::Ambiguous,
        Status::Patched,
        Status::ConfigUnknown,
        Status::NotAffected,
        Status::UnknownBuild,
        Status::Undetermined,
        Status::NotExchange,
        Status::Unreachable,
        Status::InputError,
        Status::NotScanned,
    ];

    /// The report's word for it: `vulnerable`, `su-unknown`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Vulnerable => "vulnerable",
            Status::SuUnknown => "su-unknown",
            Status::Ambiguous => "ambiguous",
            Status::Patched => "patched",
            Status::ConfigUnknown => "config-unknown",
            Status::NotAffected => "not-affected",
            Status::UnknownBuild => "unknown-build",
            Status::Undetermined => "undetermined",
            Status::NotExchange => "not-exchange",
            Status::Unreachable => "unreachable",
            Status::InputError => "input-error",
            Status::NotScanned => "not-scanned",
        }
    }

    /// The status a report word names (`as_str` read back).
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Worst first: the order in which statuses lead when several verdicts
    /// are combined (CVE groups, advisories). `config-unknown` sits just above
    /// `patched`: the build has the fix, so it is less urgent than any status
    /// saying the build is or may be exposed, or is not one the tool knows;
    /// but a configuration step is still unconfirmed, so it leads over `patched`.
    pub fn severity(self) -> u8 {
        match self {
            Status::Vulnerable => 0,
            Status::Ambiguous => 1,
            Status::SuUnknown => 2,
            Status::UnknownBuild => 3,
            Status::Undetermined => 4,
            Status::Unreachable => 5,
            Status::NotScanned => 6,
            Status::InputError => 7,
            Status::NotExchange => 8,
            Status::ConfigUnknown => 9,
            Status::Patched => 10,
            Status::NotAffected => 11,
        }
    }

    /// Statuses whose row lists the CVEs the server may be exposed to.
    pub fn lists_cves(self) -> bool {
        matches!(self, Status::Vulnerable | Status::SuUnknown | Status::Ambiguous)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The judgement of one host or one build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// What the row says, decided here.
    pub status: Status,
    /// The CVEs the status is about (the open ones for an exposed build).
    pub cves: Vec<String>,
    /// The product line, when a build was judged.
    pub product: Option<Product>,
    /// The CU or service pack by name (`CU19`, `SP3`), when the catalog knows it.
    pub cu: Option<String>,
    /// The build judged (the one that decided, when several were read).
    pub build: Option<Build>,
    /// Where the build came from; several when they agreed.
    pub sources: Vec<Source>,
    /// The build this server needs (3 parts where any build of the CU will do).
    pub fixed_build: Option<Build>,
    /// One sentence (or a few clauses) saying why.
    pub detail: String,
}

impl Verdict {
    /// A verdict with no build: unreachable, not Exchange, input errors.
    pub fn without_build(status: Status, detail: impl Into<String>) -> Verdict {
        Verdict {
            status,
            cves: Vec::new(),
            product: None,
            cu: None,
            build: None,
            sources: Vec::new(),
            fixed_build: None,
            detail: detail.into(),
        }
    }

    /// How precise the judged build is (`None` without a build).
    pub fn precision(&self) -> Option<Precision> {
        self.build.map(|b| b.precision())
    }
}

/// CVE ids, sorted, each once: how every combined verdict lists them.
fn sorted_unique(cves: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut cves: Vec<String> = cves.into_iter().collect();
    cves.sort();
    cves.dedup();
    cves
}

/// The worst of several verdicts (the first, among equals), which leads when
/// they are combined.
fn worst<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> Option<Verdict> {
    verdicts.into_iter().min_by_key(|v| v.status.severity()).cloned()
}

/// A verdict for each advisory judged, and the row's overall verdict.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The worst advisory's verdict, listing every CVE still open and the
    /// highest build needed.
    pub overall: Verdict,
    /// Each advisory's own verdict, by advisory id; empty when only one was judged.
    pub each: Vec<(String, Verdict)>,
}

/// Runs `judge_one` against every table and combines the verdicts.
pub fn judge_each(tables: &[Table], judge_one: impl Fn(&Table) -> Verdict) -> Judged {
    let mut each: Vec<(String, Verdict)> = tables.iter().map(|t| (t.advisory.clone(), judge_one(t))).collect();
    if each.len() == 1 {
        let (_, overall) = each.remove(0);
        return Judged { overall, each };
    }
    let mut overall = worst(each.iter().map(|(_, v)| v)).expect("at least two tables");
    let exposed: Vec<&(String, Verdict)> = each.iter().filter(|(_, v)| v.status.lists_cves()).collect();
    if !exposed.is_empty() {
        overall.cves = sorted_unique(exposed.iter().flat_map(|(_, v)| v.cves.iter().cloned()));
        overall.fixed_build = exposed.iter().filter_map(|(_, v)| v.fixed_build).max();
        overall.detail = exposed.iter().map(|(id, v)| format!("{id}: {}", v.detail)).collect::<Vec<_>>().join("; ");
    }
    Judged { overall, each }
}

/// Judges everything known about one host. No evidence: `undetermined`.
/// Evidence that agrees (same CU, and the same revision where both show one)
/// is merged, the most precise build winning. Front ends behind one address
/// (each consistent on its own) are each judged, and the worst one leads.
/// Other disagreeing evidence is `ambiguous` only when its readings would be
/// judged differently; when every reading gets the same status, that is the
/// verdict, and the disagreement is named in `detail`.
pub fn assess(evidence: &[Evidence], table: &Table) -> Verdict {
    if evidence.is_empty() {
        return Verdict::without_build(
            Status::Undetermined,
            "the server looks like Exchange but shows no version marker; check ExSetup.exe's file version on the server",
        );
    }
    if all_agree(evidence) {
        return merged(evidence, table);
    }
    if let Some(verdict) = by_front_end(evidence, table) {
        return verdict;
    }
    let values = evidence.iter().map(Evidence::describe).collect::<Vec<_>>().join(", ");
    let judged: Vec<Verdict> = evidence.iter().map(|e| judge(&e.build, table)).collect();
    let status = judged[0].status;
    if judged.iter().all(|j| j.status == status) {
        // Every reading gives the same answer: the most precise one speaks.
        let best = evidence.iter().enumerate().max_by_key(|(i, e)| (e.build.precision(), std::cmp::Reverse(*i)));
        let mut verdict = judged[best.map_or(0, |(i, _)| i)].clone();
        verdict.sources = distinct_sources(evidence.iter());
        if status.lists_cves() {
            verdict.cves = sorted_unique(judged.iter().flat_map(|j| j.cves.iter().cloned()));
        }
        verdict.detail =
            format!("{}; the evidence disagrees ({values}), but every reading is judged {status}", verdict.detail);
        return verdict;
    }
    let first = &evidence[0];
    let mut verdict = judge(&first.build, table);
    verdict.status = Status::Ambiguous;
    verdict.sources = distinct_sources(evidence.iter());
    verdict.cves = union_cves(&judged, table, evidence);
    if !judged.iter().all(|j| j.product == verdict.product && j.cu == verdict.cu) {
        verdict.cu = None;
    }
    let readings = judged.iter().map(|j| j.status.as_str()).collect::<Vec<_>>().join(" vs ");
    verdict.detail =
        format!("the evidence disagrees: {values}, judged {readings}; check the server's ExSetup.exe file version");
    verdict
}

/// Evidence that agrees, merged: the most precise build is judged.
fn merged(evidence: &[Evidence], table: &Table) -> Verdict {
    let best = evidence.iter().max_by_key(|e| e.build.precision()).unwrap_or(&evidence[0]);
    let mut verdict = judge(&best.build, table);
    verdict.sources = distinct_sources(evidence.iter());
    verdict
}

/// Two builds agree when they are on the same CU and, where both show the
/// security-update level, show the same one.
fn agree(a: &Build, b: &Build) -> bool {
    a.cu_part() == b.cu_part() && (a.revision.is_none() || b.revision.is_none() || a.revision == b.revision)
}

fn all_agree(evidence: &[Evidence]) -> bool {
    evidence.iter().all(|a| evidence.iter().all(|b| agree(&a.build, &b.build)))
}

fn distinct_sources<'a>(evidence: impl Iterator<Item = &'a Evidence>) -> Vec<Source> {
    let mut sources: Vec<Source> = Vec::new();
    for e in evidence {
        if !sources.contains(&e.source) {
            sources.push(e.source);
        }
    }
    sources
}

/// Behind a load balancer, front ends on different builds each tell the
/// truth about themselves: the address is as exposed as its worst front end
/// (all patched: patched; any vulnerable: vulnerable), and `detail` names
/// each. `None` unless every piece of evidence names its front end, there
/// are several, and each one's evidence agrees with itself.
fn by_front_end(evidence: &[Evidence], table: &Table) -> Option<Verdict> {
    let mut front_ends: Vec<&str> = evidence.iter().filter_map(|e| e.front_end.as_deref()).collect();
    front_ends.sort_unstable();
    front_ends.dedup();
    if front_ends.len() < 2 || evidence.iter().any(|e| e.front_end.is_none()) {
        return None;
    }
    let groups: Vec<Vec<Evidence>> = front_ends
        .iter()
        .map(|fe| evidence.iter().filter(|e| e.front_end.as_deref() == Some(fe)).cloned().collect())
        .collect();
    if !groups.iter().all(|g| all_agree(g)) {
        return None;
    }
    let verdicts: Vec<(&str, Verdict)> =
        front_ends.iter().copied().zip(groups.iter().map(|g| merged(g, table))).collect();
    let mut verdict = worst(verdicts.iter().map(|(_, v)| v))?;
    if verdict.status.lists_cves() {
        let exposed = verdicts.iter().filter(|(_, v)| v.status.lists_cves());
        verdict.cves = sorted_unique(exposed.flat_map(|(_, v)| v.cves.iter().cloned()));
    }
    verdict.sources = distinct_sources(evidence.iter());
    let each = verdicts
        .iter()
        .map(|(fe, v)| format!("{fe} runs {} ({})", v.build.map(|b| b.to_string()).unwrap_or_default(), v.status))
        .collect::<Vec<_>>()
        .join(", ");
    verdict.detail = format!("front ends behind this address differ: {each}; the worst leads: {}", verdict.detail);
    Some(verdict)
}

fn union_cves(judged: &[Verdict], table: &Table, evidence: &[Evidence]) -> Vec<String> {
    // Sides judged patched or unknown list no CVEs; the CU's own list still says
    // what the server may be exposed to.
    let of_cus = evidence.iter().flat_map(|e| table.rows_for(&e.build)).flat_map(|row| row.cves.iter().cloned());
    sorted_unique(judged.iter().flat_map(|j| j.cves.iter().cloned()).chain(of_cus))
}

/// Judges one build against the table.
pub fn judge(build: &Build, table: &Table) -> Verdict {
    let mut v = Verdict {
        build: Some(*build),
        sources: Vec::new(),
        ..Verdict::without_build(Status::UnknownBuild, String::new())
    };
    v.product = Product::of(build);
    match line(build) {
        Line::OlderThanAdvisory(name) => {
            v.status = Status::NotAffected;
            v.cu = table.release_cu(build).map(|(_, cu)| cu.to_string());
            v.detail = format!(
                "{build} is {name}, which {} does not cover (no update exists); it is long out of support",
                table.update
            );
        }
        Line::Online => {
            v.status = Status::NotAffected;
            v.detail = format!("{build} is an Exchange Online build, which Microsoft patched in the service");
        }
        Line::Unknown => {
            v.detail = format!("{build} is not the build number of any Exchange product line this tool knows");
        }
        Line::Affected => match table.rows_for(build).as_slice() {
            [] if v.product.is_some_and(|p| !table.covers(p)) => {
                v.status = Status::NotAffected;
                let product = v.product.map(|p| p.to_string()).unwrap_or_default();
                v.detail = format!("{build} is {product}, which {} does not concern", table.update);
            }
            [] => judge_unknown_cu(build, table, &mut v),
            [row] => judge_on_row(build, row, table, &mut v),
            rows => v = judge_groups(build, rows, table, v),
        },
    }
    if let (Status::Patched, Some(step)) = (v.status, &table.config) {
        // The build has the fix, but the advisory is closed only by a step a scan cannot see.
        v.status = Status::ConfigUnknown;
        let has_fix = v.detail.replace("so any build of it is patched", "so any build of it has the fix");
        v.detail = format!("{has_fix}; but {step}: confirm it on the server");
    }
    v
}

/// A CU whose CVEs were fixed by different updates (ProxyShell: April and
/// May 2021): each group is judged on its own; the worst one leads, the
/// CVEs still open are listed, and the build needed is the highest fix.
fn judge_groups(build: &Build, rows: &[&CuFix], table: &Table, base: Verdict) -> Verdict {
    let judged: Vec<Verdict> = rows
        .iter()
        .map(|row| {
            let mut v = base.clone();
            judge_on_row(build, row, table, &mut v);
            v
        })
        .collect();
    let exposed: Vec<(&CuFix, &Verdict)> =
        rows.iter().copied().zip(&judged).filter(|(_, v)| v.status.lists_cves()).collect();
    let mut verdict = worst(&judged).unwrap_or(base);
    verdict.fixed_build = judged.iter().filter_map(|v| v.fixed_build).max();
    if !exposed.is_empty() {
        verdict.cves = sorted_unique(exposed.iter().flat_map(|(_, v)| v.cves.iter().cloned()));
        verdict.detail = group_detail(build, &exposed, table)
            .unwrap_or_else(|| exposed.iter().map(|(_, v)| v.detail.as_str()).collect::<Vec<_>>().join("; "));
    }
    verdict
}

/// One sentence for several missing updates of one CU, each with its KB
/// and CVEs, when they are missing alike (all below, or all unseen).
fn group_detail(build: &Build, exposed: &[(&CuFix, &Verdict)], table: &Table) -> Option<String> {
    let status = exposed.first()?.1.status;
    if exposed.len() < 2 || exposed.iter().any(|(_, v)| v.status != status) {
        return None;
    }
    let mut needs = Vec::new();
    for (row, _) in exposed {
        let Fix::Build(fix) = row.fix else { return None };
        needs.push(format!("{fix} ({}: {})", row.kb, row.cves.join(", ")));
    }
    let (needs, cu) = (needs.join(" and "), name(exposed[0].0));
    match status {
        Status::Vulnerable => Some(format!("{build} lacks {} for {cu}: it needs {needs}", table.update)),
        Status::SuUnknown => Some(format!(
            "{cu} seen ({build}), but its security-update level is not visible; it is patched only from {needs}: check ExSetup.exe's file version on the server"
        )),
        _ => None,
    }
}

enum Line {
    OlderThanAdvisory(&'static str),
    Online,
    Affected,
    Unknown,
}

fn line(build: &Build) -> Line {
    match (build.major, build.minor) {
        (8, _) => Line::OlderThanAdvisory("Exchange 2007"),
        (6, 5) => Line::OlderThanAdvisory("Exchange 2003"),
        (6, 0) => Line::OlderThanAdvisory("Exchange 2000"),
        (15, 20) => Line::Online,
        (14, 0..=3) | (15, 0..=2) => Line::Affected,
        _ => Line::Unknown,
    }
}

fn name(row: &CuFix) -> String {
    format!("{} {}", row.product, row.cu)
}

/// Judges a build against one row of its CU; the row's CVEs are listed
/// when the status says the server may be exposed.
fn judge_on_row(build: &Build, row: &CuFix, table: &Table, v: &mut Verdict) {
    judge_against(build, row, table, v);
    v.cves = if v.status.lists_cves() { row.cves.clone() } else { Vec::new() };
}

fn judge_against(build: &Build, row: &CuFix, table: &Table, v: &mut Verdict) {
    v.product = Some(row.product);
    v.cu = Some(row.cu.clone());
    let kb = if row.kb.is_empty() { String::new() } else { format!(" ({})", row.kb) };
    match row.fix {
        Fix::Included => {
            v.status = Status::Patched;
            v.fixed_build = Some(row.cu_build.cu_part());
            v.detail = format!(
                "{} shipped with {} included, so any build of it is patched ({build} seen)",
                name(row),
                table.update
            );
        }
        Fix::None => {
            v.status = Status::Vulnerable;
            let next = next_fixed(row, table);
            v.fixed_build = next.map(|(_, b)| b);
            v.detail = match next {
                Some((to, target)) => format!(
                    "{} never received {}; move to {} ({target}) or later{}{}",
                    name(row),
                    table.update,
                    name(to),
                    newest_cu_hint(row, table),
                    if to.esu_only { esu_note(to) } else { String::new() }
                ),
                None => format!(
                    "{} never received {}, and no {} build has it: the remedy is another product line (see the support column)",
                    name(row),
                    table.update,
                    row.product
                ),
            };
        }
        Fix::Build(fix) => {
            v.fixed_build = Some(fix);
            let (status, detail) = compare(build, row, fix, &kb, &table.update);
            v.status = status;
            v.detail = if row.esu_only { format!("{detail}{}", esu_note(row)) } else { detail };
        }
    }
}

/// Says that a row's fix build is offered only to paying ESU customers.
fn esu_note(row: &CuFix) -> String {
    let Fix::Build(fix) = row.fix else { return String::new() };
    format!(
        "; {fix} for {} is offered only to paying Extended Security Update customers (without ESU, the public remedy is Exchange SE)",
        name(row)
    )
}

/// Compares a build with its CU's fixed build. Only as much of the build as
/// the evidence shows is compared: a 3-part build on 2013+ shows nothing of
/// the security update, but on 2010 the third part is the update rollup.
fn compare(build: &Build, row: &CuFix, fix: Build, kb: &str, update: &str) -> (Status, String) {
    let cu = name(row);
    if build.precision() == Precision::Cu {
        if build.build < fix.build {
            return (Status::Vulnerable, format!("{cu} at {build} is below {fix}; install {update}{kb}"));
        }
        if build.build > fix.build || fix.revision == Some(0) {
            return (Status::Patched, format!("{cu} at {build} is at or above the fixed build {fix}"));
        }
        return (
            Status::SuUnknown,
            format!(
                "{cu} seen ({build}), but its security-update level is not visible; it is patched only from {fix}{kb}: check ExSetup.exe's file version on the server"
            ),
        );
    }
    if *build >= fix {
        return (Status::Patched, format!("{build} is at or above {fix}, the fixed build for {cu}"));
    }
    if let Some(alt) = row.alt_fix.filter(|alt| build >= alt) {
        return (
            Status::Ambiguous,
            format!(
                "{build} lies between {alt} and {fix}, the fixed builds different sources give for {cu}; install {update}{kb} to reach {fix}"
            ),
        );
    }
    (Status::Vulnerable, format!("{build} is below {fix}, the fixed build for {cu}; install {update}{kb}"))
}

/// The first later CU on the same line with a fix, and the lowest build
/// there that closes every CVE of the advisory: where a CU's CVEs were fixed
/// by several updates (ProxyShell: April and May 2021), the highest of them.
fn next_fixed<'t>(row: &CuFix, table: &'t Table) -> Option<(&'t CuFix, Build)> {
    let first = table.product_rows(row.product).find(|r| r.cu_build > row.cu_build && r.fix != Fix::None)?;
    let rows = table.rows_for(&first.cu_build);
    let closes_all = |r: &&CuFix| match r.fix {
        Fix::Build(b) => Some(b),
        Fix::Included => Some(r.cu_build),
        Fix::None => None,
    };
    let target = rows.iter().map(closes_all).collect::<Option<Vec<Build>>>()?.into_iter().max()?;
    Some((first, target))
}

fn newest_cu_hint(row: &CuFix, table: &Table) -> String {
    match table.product_rows(row.product).last() {
        Some(newest) if newest.cu_build > row.cu_build => {
            format!("; the newest CU the tool knows is {} ({})", name(newest), newest.cu_build)
        }
        _ => String::new(),
    }
}

/// A build on an affected line whose CU has no table row: newer than every
/// CU on a line that has CUs with the fix built in is patched; anything else
/// is not a real build.
fn judge_unknown_cu(build: &Build, table: &Table, v: &mut Verdict) {
    let key = CuKey::of(build);
    let rows = || v.product.into_iter().flat_map(|p| table.product_rows(p));
    let newest = rows().last();
    let line_has_fixed_cu = rows().any(|r| r.fix == Fix::Included);
    match newest {
        Some(newest) if key > newest.key() && line_has_fixed_cu => {
            v.status = Status::Patched;
            v.detail = format!(
                "{build} is newer than every CU this tool's table knows (newest: {} {}); later CUs include {}",
                name(newest),
                newest.cu_build,
                table.update
            );
        }
        _ => {
            v.status = Status::UnknownBuild;
            v.detail = match table.release_cu(build) {
                Some((product, cu)) => {
                    format!("{build} is {product} {cu}, a pre-release build the advisory does not cover")
                }
                None => format!(
                    "{build} is not the build of any {} CU this tool knows; it may be mistyped, forged or from a newer release",
                    v.product.map(|p| p.to_string()).unwrap_or_else(|| "Exchange".into())
                ),
            };
        }
    }
}

#[cfg(test)]
mod tests;
