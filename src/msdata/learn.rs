//! The Microsoft Learn page "Exchange Server build numbers and release
//! dates" (HTML), parsed with scraper: every table whose header row names a
//! product name, a release date and a build number column is read, the
//! columns found by their header text, never by position.

use super::buildlist::{Listed, name_parts};
use crate::build::Build;
use anyhow::{Context, Result, ensure};
use scraper::{ElementRef, Html, Selector};

/// A long date as the page writes it (`March 2, 2021`) as `YYYY-MM-DD`;
/// a month alone (`December, 2015`) as `YYYY-MM`.
pub fn long_date(text: &str) -> Result<String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let clean = text.replace(',', " ");
    let words: Vec<&str> = clean.split_whitespace().collect();
    let month_of = |name: &str| MONTHS.iter().position(|n| *n == name).map(|m| m + 1);
    if let [month, year] = words.as_slice() {
        let m = month_of(month).with_context(|| format!("no month in {text:?}"))?;
        let y: u16 = year.parse().with_context(|| format!("no year in {text:?}"))?;
        return Ok(format!("{y:04}-{m:02}"));
    }
    let [month, day, year] = words.as_slice() else { anyhow::bail!("date {text:?} is not 'Month D, YYYY'") };
    let m = month_of(month).with_context(|| format!("no month in {text:?}"))?;
    let date = jiff::civil::Date::new(year.parse()?, m as i8, day.parse()?).with_context(|| format!("{text:?}"))?;
    Ok(date.to_string())
}

/// The page's product name in the build list's form (`Update Rollup 32 for
/// Exchange Server 2010 SP3` is `Exchange Server 2010 SP3 RU32`); `None`
/// for the lines the tool does not judge (Exchange 2003 and older).
fn catalog_name(text: &str) -> Option<String> {
    // The page writes `Update Rollup 8 v1 for Exchange Server 2010 SP3 (recalled)`,
    // `Update Rollup 3-v2 for …` and once `… 17 forExchange Server 2007 SP3`.
    let text = text.replace("(recalled)", " ");
    let name = match text.strip_prefix("Update Rollup ").and_then(|r| r.split_once(" for")) {
        Some((n, product)) => format!("{} RU{}", product.trim(), n.replace([' ', '-'], "")),
        None => text.trim().to_string(),
    };
    let line = name.split_whitespace().filter(|w| *w != "Server").nth(1)?;
    crate::build::Product::from_code(line).map(|_| name)
}

fn text_of(e: ElementRef) -> String {
    e.text().collect::<String>().replace('\u{a0}', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every build the page's tables list; the error names the table and row.
pub fn read(html: &[u8]) -> Result<Vec<Listed>> {
    let page = Html::parse_document(&String::from_utf8_lossy(html));
    let sel = |s: &str| Selector::parse(s).expect("a valid selector");
    let (tables, rows, cells, link) = (sel("table"), sel("tr"), sel("th, td"), sel("a"));
    let mut out = Vec::new();
    for (t, table) in page.select(&tables).enumerate() {
        let mut trs = table.select(&rows);
        let Some(head) = trs.next() else { continue };
        let heads: Vec<String> = head.select(&cells).map(|c| text_of(c).to_lowercase()).collect();
        let find =
            |word: &str, not: &str| heads.iter().position(|h| h.contains(word) && (not.is_empty() || !h.contains(not)));
        let (Some(name), Some(date)) = (find("product name", ""), find("release date", "")) else { continue };
        // "Build number (long format)" or "(short format)": the short one, else any.
        let Some(build) = find("short", "").or_else(|| find("build number", "")) else { continue };
        for (r, tr) in trs.enumerate() {
            let at = || format!("Learn page table {} row {}", t + 1, r + 1);
            let row: Vec<ElementRef> = tr.select(&cells).collect();
            let cell = |i: usize| row.get(i).map(|c| text_of(*c)).unwrap_or_default();
            let Some(name_text) = catalog_name(&cell(name)) else { continue };
            let (product, cu, update) = name_parts(&name_text).with_context(at)?;
            let b = Build::parse(&cell(build)).with_context(at)?;
            ensure!(b.revision.is_some(), "{}: build {} needs four parts", at(), cell(build));
            let href = row.get(name).and_then(|c| c.select(&link).next()).and_then(|a| a.value().attr("href"));
            let kb = href
                .and_then(|h| h.rsplit_once("/help/").map(|(_, n)| n))
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .map(|n| format!("KB{n}"))
                .unwrap_or_default();
            out.push(Listed {
                product,
                cu,
                update,
                build: b,
                date: long_date(&cell(date)).with_context(at)?,
                kb,
                link: crate::sanitize::clean_long(href.unwrap_or("")),
            });
        }
    }
    ensure!(
        !out.is_empty(),
        "the Learn page has no build table (no table headed product name, release date, build number)"
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::Product;

    #[test]
    fn long_dates() {
        for (text, want) in [("March 2, 2021", "2021-03-02"), ("December 15, 2020", "2020-12-15")] {
            assert_eq!(long_date(text).unwrap(), want);
        }
        assert_eq!(long_date("December, 2015").unwrap(), "2015-12");
        for bad in ["Mar 2, 2021", "March 32, 2021", "2021-03-02", "Smarch, 2015"] {
            assert!(long_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tables_are_found_by_header_text_not_position() {
        let html = br#"<html><body><table><tr><th>Something else</th></tr><tr><td>x</td></tr></table>
            <table><thead><tr><th>Build number (long format)</th><th>Release date</th><th>Product name</th><th>Build number (short format)</th></tr></thead>
            <tbody><tr><td>15.02.0792.010</td><td>March 2, 2021</td><td><a href="https://support.microsoft.com/help/5000871">Exchange Server 2019 CU8 Mar21SU</a></td><td>15.2.792.10</td></tr></tbody></table></body></html>"#;
        let got = read(html).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].product, got[0].cu.as_str(), got[0].update.as_str()), (Product::Ex2019, "CU8", "Mar21SU"));
        assert_eq!((got[0].build.to_string().as_str(), got[0].kb.as_str()), ("15.2.792.10", "KB5000871"));
        assert!(read(b"<html><table><tr><th>a</th></tr></table></html>").is_err());
    }

    #[test]
    fn reads_the_recorded_page() {
        let got = read(include_bytes!("../../data/sources/build-numbers-and-release-dates.html")).unwrap();
        let cu19 =
            got.iter().find(|l| l.product == Product::Ex2016 && l.cu == "CU19" && l.update == "Mar21SU").unwrap();
        assert_eq!((cu19.build.to_string().as_str(), cu19.date.as_str()), ("15.1.2176.9", "2021-03-02"));
        assert!(got.iter().any(|l| l.product == Product::Ex2007), "every product's table is read");
    }
}
