//! Microsoft's build list, `ExchangeBuildNumbers.csv` from the
//! microsoft/Get-ExchangeBuildNumber repository (`Product Name,Build
//! Number,Date,KB,Blog`; dates M/D/YYYY, sometimes zero-padded; builds
//! sometimes zero-padded, `15.01.2507.066`), read with the csv crate; and
//! the shared form both catalog sources are read into (`Listed`).

use crate::build::{Build, Product};
use anyhow::{Context, Result, bail, ensure};

/// One build as a catalog source lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The product line.
    pub product: Product,
    /// `CU23`, `SP3`, `RTM`, `Preview`.
    pub cu: String,
    /// `Feb26SU`, `RU27`; empty for the CU itself.
    pub update: String,
    /// The build, all four parts.
    pub build: Build,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `KB5074995`, or empty.
    pub kb: String,
    /// The announcement or download link, cleaned; may be empty.
    pub link: String,
}

/// A list's product name (`Exchange 2016 CU23 Feb26SU`, `Exchange 2010 SP3
/// RU27`, `Exchange 2007 RU1`, `Exchange Server 2019 CU10 Jul21SU`) as
/// (product, CU, update).
pub fn name_parts(name: &str) -> Result<(Product, String, String)> {
    let words: Vec<&str> = name.split_whitespace().filter(|w| *w != "Server").collect();
    ensure!(words.first() == Some(&"Exchange"), "{name:?} is not an Exchange product name");
    let product =
        words.get(1).and_then(|p| Product::from_code(p)).with_context(|| format!("no product line in {name:?}"))?;
    let rest = &words[2..];
    let is_cu = |w: &str| w == "RTM" || w == "Preview" || w.starts_with("CU") || w.starts_with("SP");
    let (cu, update) = match rest {
        [] => ("RTM".to_string(), String::new()),
        [one] if is_cu(one) => (one.to_string(), String::new()),
        [one] => ("RTM".to_string(), one.to_string()),
        [cu, update] if is_cu(cu) => (cu.to_string(), update.to_string()),
        // A re-release: `RU8 v2`, `Mar21SU v2`.
        [cu, update, again] if is_cu(cu) && again.starts_with('v') => (cu.to_string(), format!("{update}{again}")),
        _ => bail!("cannot read {name:?} as product, CU and update"),
    };
    Ok((product, cu, update))
}

/// `M/D/YYYY` (either part may be zero-padded) as `YYYY-MM-DD`.
pub fn us_date(text: &str) -> Result<String> {
    let parts: Vec<&str> = text.trim().split('/').collect();
    let [m, d, y] = parts.as_slice() else { bail!("date {text:?} is not M/D/YYYY") };
    let (m, d, y): (i8, i8, i16) = (m.parse()?, d.parse()?, y.parse()?);
    let date = jiff::civil::Date::new(y, m, d).with_context(|| format!("date {text:?} is no day"))?;
    Ok(date.to_string())
}

/// Reads the build list; the error names the CSV line.
pub fn read(csv_bytes: &[u8]) -> Result<Vec<Listed>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(csv_bytes);
    let headers = reader.headers().context("the build list has no header")?.clone();
    let col = |name: &str| {
        headers.iter().position(|h| h.trim() == name).with_context(|| format!("the build list has no {name:?} column"))
    };
    let (name, build, date, kb, blog) =
        (col("Product Name")?, col("Build Number")?, col("Date")?, col("KB")?, col("Blog")?);
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.context("the build list is not valid CSV")?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let at = || format!("build list line {line}");
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        let (product, cu, update) = name_parts(cell(name)).with_context(at)?;
        let b = Build::parse(cell(build)).with_context(at)?;
        ensure!(b.revision.is_some(), "{}: build {} needs four parts", at(), cell(build));
        out.push(Listed {
            product,
            cu,
            update,
            build: b,
            date: us_date(cell(date)).with_context(at)?,
            kb: crate::sanitize::clean(cell(kb)),
            link: crate::sanitize::clean_long(cell(blog)),
        });
    }
    ensure!(!out.is_empty(), "the build list has no builds");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_dates_and_padded_builds() {
        let names = [
            ("Exchange 2016 CU23 Feb26SU", (Product::Ex2016, "CU23", "Feb26SU")),
            ("Exchange 2010 SP3 RU27", (Product::Ex2010, "SP3", "RU27")),
            ("Exchange 2007 RU1", (Product::Ex2007, "RTM", "RU1")),
            ("Exchange 2016 Preview", (Product::Ex2016, "Preview", "")),
            ("Exchange SE RTM Feb26SU", (Product::Se, "RTM", "Feb26SU")),
            ("Exchange Server 2019 CU10 Jul21SU", (Product::Ex2019, "CU10", "Jul21SU")),
        ];
        for (name, (p, cu, update)) in names {
            assert_eq!(name_parts(name).unwrap(), (p, cu.to_string(), update.to_string()), "{name}");
        }
        assert!(name_parts("Exchange 2022 CU1").is_err());
        assert!(name_parts("Outlook 2016").is_err());
        let dates = [("2/10/2026", "2026-02-10"), ("02/14/2023", "2023-02-14"), ("3/8/2007", "2007-03-08")];
        for (text, want) in dates {
            assert_eq!(us_date(text).unwrap(), want, "{text}");
        }
        assert!(us_date("2026-02-10").is_err());
        assert!(us_date("2/30/2026").is_err());
    }

    #[test]
    fn reads_microsofts_list() {
        let list = read(include_bytes!("../../data/sources/ExchangeBuildNumbers.csv")).unwrap();
        let find =
            |name: &str| list.iter().find(|l| format!("{} {} {}", l.product.code(), l.cu, l.update).trim() == name);
        let ru27 = find("2010 SP3 RU27").unwrap();
        assert_eq!((ru27.build.to_string().as_str(), ru27.kb.as_str()), ("14.3.452.0", "KB4491413"));
        let feb = find("2016 CU23 Feb26SU").unwrap();
        assert_eq!((feb.build.to_string().as_str(), feb.date.as_str()), ("15.1.2507.66", "2026-02-10"));
        assert!(feb.link.starts_with("https://techcommunity.microsoft.com/"));
        assert!(list.len() > 300, "{}", list.len());
    }

    #[test]
    fn broken_lists_name_the_line() {
        let bad = b"Product Name,Build Number,Date,KB,Blog\nExchange 2016 CU23,15.1.2507.6,10/1/2015,,\nExchange 2016 CU1,15.1.x,1/1/2016,,\n";
        let err = format!("{:#}", read(bad).unwrap_err());
        assert!(err.contains("line 3"), "{err}");
        assert!(read(b"Name,Build\nx,y\n").is_err());
    }
}
