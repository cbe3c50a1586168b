//! How far behind a build is: the newest security update (or rollup) the
//! release catalog knows for its CU, how many of them the build lacks, and
//! that update's date. Known only for full builds; honest about builds newer
//! than the catalog.

use crate::build::{Build, Precision};
use crate::table::{CuKey, Product, Release};

/// End of support per product, from Microsoft's lifecycle pages (each row cites its source).
const LIFECYCLE: &str = include_str!("../data/lifecycle.csv");

/// Whether `product` was still supported on `day`, as the report's `support`
/// cell: `supported`, or when support ended and where to go.
pub fn support(product: Product, day: jiff::civil::Date) -> String {
    let Some((end, move_to)) = lifecycle().iter().find(|(p, ..)| *p == product).map(|(_, end, to)| (end, to)) else {
        return "supported".into();
    };
    if day > *end { format!("ended {end}: move to {move_to}") } else { format!("supported until {end}") }
}

/// The lifecycle file, parsed once: (product, end of support, where to move).
fn lifecycle() -> &'static [(Product, jiff::civil::Date, String)] {
    static PARSED: std::sync::OnceLock<Vec<(Product, jiff::civil::Date, String)>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_reader(LIFECYCLE.as_bytes())
            .into_records()
            .flatten()
            .filter_map(|r| {
                let product = Product::from_code(r.get(0)?)?;
                Some((product, r.get(1)?.parse().ok()?, r.get(2)?.to_string()))
            })
            .collect()
    })
}

/// The staleness columns of a report row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staleness {
    /// The newest update's build, or a sentence when there is none to name.
    pub latest_su: String,
    /// How many known updates of the CU are newer than the build; `None` when
    /// the build is newer than every update known (the count is unknown).
    pub sus_behind: Option<usize>,
    /// The newest known update's release date.
    pub date: String,
}

/// The staleness of a full build on a CU the catalog knows; `None` otherwise.
pub fn of(build: &Build, releases: &[Release]) -> Option<Staleness> {
    if build.precision() != Precision::Full {
        return None;
    }
    let key = CuKey::of(build);
    let on_cu = |r: &&Release| CuKey::of(&r.build) == key;
    let cu = releases.iter().filter(on_cu).find(|r| r.update.is_empty())?;
    // A recalled rollup is not one to be behind on.
    let updates: Vec<&Release> =
        releases.iter().filter(on_cu).filter(|r| !r.update.is_empty() && !r.update.contains("recalled")).collect();
    let Some(newest) = updates.iter().max_by_key(|r| r.build) else {
        return Some(Staleness {
            latest_su: format!("none known for {} {}", cu.product, cu.cu),
            sus_behind: Some(0),
            date: String::new(),
        });
    };
    if *build > newest.build {
        return Some(Staleness {
            latest_su: format!("{} (this build is newer than every update the tool knows)", newest.build),
            sus_behind: None,
            date: newest.date.clone(),
        });
    }
    let behind = updates.iter().filter(|r| r.build > *build).count();
    Some(Staleness { latest_su: newest.build.to_string(), sus_behind: Some(behind), date: newest.date.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Table;

    fn at(build: &str) -> Option<Staleness> {
        of(&build.parse().unwrap(), &Table::builtin().releases)
    }

    #[test]
    fn counts_the_updates_a_build_lacks() {
        // 2016 CU19: Mar21SU .9, Apr21SU .12, May21SU .14.
        let s = at("15.1.2176.2").unwrap();
        assert_eq!((s.latest_su.as_str(), s.sus_behind, s.date.as_str()), ("15.1.2176.14", Some(3), "2021-05-11"));
        assert_eq!(at("15.1.2176.9").unwrap().sus_behind, Some(2));
        assert_eq!(at("15.1.2176.14").unwrap().sus_behind, Some(0));
        // 2016 CU23: May22SU and Nov22SU are known.
        let s = at("15.1.2507.6").unwrap();
        assert_eq!((s.latest_su.as_str(), s.sus_behind, s.date.as_str()), ("15.1.2507.16", Some(2), "2022-11-08"));
        // 2010 SP3 counts rollups (the recalled RU8 v1 not among them).
        assert_eq!(at("14.3.509.0").unwrap().sus_behind, Some(1));
        assert_eq!(at("14.3.210.2").unwrap().sus_behind, Some(25));
    }

    #[test]
    fn support_by_product_and_day() {
        let day = |d: &str| d.parse::<jiff::civil::Date>().unwrap();
        assert_eq!(support(Product::Ex2016, day("2025-10-14")), "supported until 2025-10-14");
        let after = support(Product::Ex2016, day("2026-11-27"));
        assert!(after.starts_with("ended 2025-10-14: move to Exchange SE (side-by-side"), "{after}");
        assert!(support(Product::Ex2019, day("2026-01-01")).contains("in-place upgrade"));
        assert!(support(Product::Ex2013, day("2024-01-01")).starts_with("ended 2023-04-11"));
        assert_eq!(support(Product::Se, day("2026-11-27")), "supported");
        // Every product but SE has a row, and every row parses.
        assert_eq!(lifecycle().len(), 5);
        for p in [Product::Ex2007, Product::Ex2010, Product::Ex2013, Product::Ex2016, Product::Ex2019] {
            assert!(support(p, day("2099-01-01")).starts_with("ended"), "{p}");
        }
    }

    #[test]
    fn says_so_when_it_cannot_tell() {
        let newer = at("15.1.2176.20").unwrap();
        assert_eq!(newer.sus_behind, None);
        assert!(newer.latest_su.contains("newer than every update"), "{}", newer.latest_su);
        let none = at("15.2.1748.10").unwrap();
        assert_eq!(none.latest_su, "none known for Exchange 2019 CU15");
        assert_eq!(at("15.1.2176"), None, "CU precision shows no SU level");
        assert_eq!(at("15.1.2177.1"), None, "not a CU the catalog knows");
    }
}
