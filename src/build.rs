//! The `Build` type: one Exchange build number, read from any of the forms
//! servers and administrators show (dotted, zero-padded file version, 3-part
//! OWA path, `AdminDisplayVersion` text), with its precision, ordering and
//! normalised display; and what a build number alone tells: its product
//! line (`Product`) and its CU (`CuKey`).

use std::fmt;

/// How much of the build the evidence shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// `major.minor.build` only: the CU is known, the security update is not.
    Cu,
    /// All four parts: the security-update level is known.
    Full,
}

impl Precision {
    /// The `precision` column's word: `cu` or `full`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Cu => "cu",
            Precision::Full => "full",
        }
    }
}

/// An Exchange build number. Ordering compares the parts in order; a 3-part
/// build sorts before every 4-part build of the same `major.minor.build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Build {
    /// 8 (2007), 14 (2010), 15 (2013 and later).
    pub major: u32,
    /// The line on 15 (0 = 2013, 1 = 2016, 2 = 2019 and SE); the service pack on 8 and 14.
    pub minor: u32,
    /// The CU on 15; the update rollup on 8 and 14.
    pub build: u32,
    /// `None` when only the CU is known.
    pub revision: Option<u32>,
}

/// A build string that is none of the forms the tool reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read build {input:?}: {reason}")]
pub struct ParseBuildError {
    /// The input as given (shown quoted and escaped).
    pub input: String,
    /// Why it is not a build.
    pub reason: &'static str,
}

/// Longest input worth quoting back in an error; a hostile server can send more.
const MAX_QUOTED: usize = 80;

impl Build {
    /// A build known to all four parts.
    pub const fn full(major: u32, minor: u32, build: u32, revision: u32) -> Build {
        Build { major, minor, build, revision: Some(revision) }
    }

    /// A build known to its CU only (`major.minor.build`).
    pub const fn cu_only(major: u32, minor: u32, build: u32) -> Build {
        Build { major, minor, build, revision: None }
    }

    /// `Full` with a revision, `Cu` without.
    pub fn precision(&self) -> Precision {
        if self.revision.is_some() { Precision::Full } else { Precision::Cu }
    }

    /// The same build without its revision: what a CU-precision source would show.
    pub fn cu_part(&self) -> Build {
        Build { revision: None, ..*self }
    }

    /// Reads every form servers and administrators show (README, `check`):
    /// `15.1.2176.9`, `15.01.2176.009`, `15.1.2176`, `Version 15.1 (Build 2176.2)`.
    /// Surrounding white space is ignored; anything else is an error.
    pub fn parse(input: &str) -> Result<Build, ParseBuildError> {
        let err = |reason| ParseBuildError { input: quoted(input), reason };
        let text = input.trim();
        if text.is_empty() {
            return Err(err("empty"));
        }
        if let Some(rest) = strip_prefix_ignore_case(text, "version") {
            return parse_admin_display(rest).map_err(err);
        }
        let parts: Vec<&str> = text.split('.').collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(err("expected 3 or 4 dot-separated numbers"));
        }
        let mut nums = [0u32; 4];
        for (slot, part) in nums.iter_mut().zip(&parts) {
            *slot = number(part).map_err(err)?;
        }
        let revision = (parts.len() == 4).then_some(nums[3]);
        Ok(Build { major: nums[0], minor: nums[1], build: nums[2], revision })
    }
}

/// `AdminDisplayVersion` after the word "Version": ` 15.1 (Build 2176.2)`.
/// The number after "Build" is `build.revision-of-the-CU-install`, never the
/// SU level, so the result has CU precision.
fn parse_admin_display(rest: &str) -> Result<Build, &'static str> {
    const FORM: &str = "expected \"Version MAJOR.MINOR (Build BUILD.REV)\"";
    let rest = rest.trim_start();
    let (version, tail) = rest.split_once('(').ok_or(FORM)?;
    let (major, minor) = version.trim().split_once('.').ok_or(FORM)?;
    let inner = tail.trim_end().strip_suffix(')').ok_or(FORM)?;
    let inner = strip_prefix_ignore_case(inner.trim(), "build").ok_or(FORM)?;
    let inner = inner.trim();
    let (build, revision) = inner.split_once('.').unwrap_or((inner, "0"));
    number(revision)?;
    Ok(Build::cu_only(number(major)?, number(minor)?, number(build)?))
}

fn number(part: &str) -> Result<u32, &'static str> {
    if part.is_empty() {
        return Err("empty number");
    }
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err("parts must be decimal digits");
    }
    part.parse().map_err(|_| "number too large")
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// The input, cut to a length worth echoing.
fn quoted(input: &str) -> String {
    match input.char_indices().nth(MAX_QUOTED) {
        Some((cut, _)) => format!("{}…", &input[..cut]),
        None => input.to_string(),
    }
}

impl fmt::Display for Build {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)?;
        if let Some(rev) = self.revision {
            write!(f, ".{rev}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Build {
    type Err = ParseBuildError;
    fn from_str(s: &str) -> Result<Build, ParseBuildError> {
        Build::parse(s)
    }
}

/// An Exchange product line, as far as build numbers tell it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Product {
    /// Exchange Server 2007 (8.x).
    Ex2007,
    /// Exchange Server 2010 (14.x).
    Ex2010,
    /// Exchange Server 2013 (15.0).
    Ex2013,
    /// Exchange Server 2016 (15.1).
    Ex2016,
    /// Exchange Server 2019 (15.2 below the first SE build).
    Ex2019,
    /// Exchange Server Subscription Edition (15.2 from build 2562).
    Se,
}

/// First build of the 15.2 line that is Exchange SE rather than 2019.
const SE_FIRST_BUILD: u32 = 2562;

impl Product {
    /// The short name used in data files: `2010`, `SE`.
    pub fn code(self) -> &'static str {
        match self {
            Product::Ex2007 => "2007",
            Product::Ex2010 => "2010",
            Product::Ex2013 => "2013",
            Product::Ex2016 => "2016",
            Product::Ex2019 => "2019",
            Product::Se => "SE",
        }
    }

    /// The product a data file's code names (`2010`, `SE`).
    pub fn from_code(code: &str) -> Option<Product> {
        [Product::Ex2007, Product::Ex2010, Product::Ex2013, Product::Ex2016, Product::Ex2019, Product::Se]
            .into_iter()
            .find(|p| p.code() == code)
    }

    /// The product a build number belongs to, if it is an on-premises line.
    pub fn of(build: &Build) -> Option<Product> {
        match (build.major, build.minor) {
            (8, _) => Some(Product::Ex2007),
            (14, _) => Some(Product::Ex2010),
            (15, 0) => Some(Product::Ex2013),
            (15, 1) => Some(Product::Ex2016),
            (15, 2) if build.build >= SE_FIRST_BUILD => Some(Product::Se),
            (15, 2) => Some(Product::Ex2019),
            _ => None,
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Exchange {}", self.code())
    }
}

/// What identifies a CU or service pack in a build: on 2013 and later the
/// first three parts; on 2010 and 2007 `major.minor` (the service pack), the
/// third part being the update rollup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CuKey(u32, u32, Option<u32>);

impl CuKey {
    /// The CU (or service pack) `build` is on.
    pub fn of(build: &Build) -> CuKey {
        if build.major >= 15 {
            CuKey(build.major, build.minor, Some(build.build))
        } else {
            CuKey(build.major, build.minor, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_contract_form() {
        let cases = [
            ("15.1.2176.9", Build::full(15, 1, 2176, 9)),
            ("15.01.2176.009", Build::full(15, 1, 2176, 9)),
            ("15.02.0858.005", Build::full(15, 2, 858, 5)),
            ("15.00.847.064", Build::full(15, 0, 847, 64)),
            ("  14.3.513.0\n", Build::full(14, 3, 513, 0)),
            ("15.1.2176", Build::cu_only(15, 1, 2176)),
            ("Version 15.1 (Build 2176.2)", Build::cu_only(15, 1, 2176)),
            ("version 15.2 (build 858.5)", Build::cu_only(15, 2, 858)),
            ("Version 14.3 (Build 123.4)", Build::cu_only(14, 3, 123)),
            ("Version 15.0(Build 1497)", Build::cu_only(15, 0, 1497)),
            ("4294967295.0.0.0", Build::full(u32::MAX, 0, 0, 0)),
        ];
        for (input, want) in cases {
            assert_eq!(Build::parse(input), Ok(want), "input {input:?}");
        }
    }

    #[test]
    fn rejects_everything_else_and_quotes_the_input() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("15", "expected 3 or 4"),
            ("15.1", "expected 3 or 4"),
            ("15.1.2176.9.1", "expected 3 or 4"),
            ("15.1..9", "empty number"),
            ("15.1.2176.", "empty number"),
            ("15.1.2176.9a", "decimal digits"),
            ("+15.1.2176.9", "decimal digits"),
            ("15.-1.2176.9", "decimal digits"),
            ("15.1.2176.99999999999", "too large"),
            ("4294967296.0.0.0", "too large"),
            ("15,1,2176,9", "expected 3 or 4"),
            ("Version 15.1", "expected \"Version"),
            ("Version 15.1 (Build x.2)", "decimal digits"),
            ("Version 15 (Build 2176.2)", "expected \"Version"),
            ("15.1.2176.9\u{0}", "decimal digits"),
            ("１５.1.2176.9", "decimal digits"),
        ];
        for (input, reason) in cases {
            let err = Build::parse(input).expect_err(input);
            let msg = err.to_string();
            assert!(msg.contains(reason), "{input:?}: {msg}");
            assert!(msg.contains(&format!("{:?}", input.chars().take(MAX_QUOTED).collect::<String>())), "{msg}");
        }
    }

    #[test]
    fn long_input_is_cut_in_the_error() {
        let long = "9".repeat(10_000);
        let msg = Build::parse(&long).unwrap_err().to_string();
        assert!(msg.len() < 200, "{}", msg.len());
    }

    #[test]
    fn displays_normalised() {
        for (input, shown) in [
            ("15.01.2176.009", "15.1.2176.9"),
            ("15.1.2176", "15.1.2176"),
            ("Version 15.2 (Build 858.5)", "15.2.858"),
            ("14.03.0513.000", "14.3.513.0"),
        ] {
            assert_eq!(Build::parse(input).unwrap().to_string(), shown);
        }
    }

    #[test]
    fn orders_numerically_not_textually() {
        let ordered = [
            "8.3.83.6",
            "14.3.513.0",
            "15.0.1497.2",
            "15.1.999.1",
            "15.1.2176",
            "15.1.2176.2",
            "15.1.2176.9",
            "15.1.2176.10",
            "15.2.858.2",
            "15.20.4000.1",
        ];
        let builds: Vec<Build> = ordered.iter().map(|s| s.parse().unwrap()).collect();
        for pair in builds.windows(2) {
            assert!(pair[0] < pair[1], "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn knows_its_precision() {
        assert_eq!(Build::parse("15.1.2176.9").unwrap().precision(), Precision::Full);
        assert_eq!(Build::parse("15.1.2176").unwrap().precision(), Precision::Cu);
        assert_eq!(Build::parse("Version 15.1 (Build 2176.2)").unwrap().precision(), Precision::Cu);
    }
}
