//! One MSRC CVRF 1.1 month document (XML as the CVRF API v3 serves it),
//! read with quick-xml as a stream: the Exchange products of its
//! ProductTree, and every vulnerability naming one of them with its CVE,
//! title, severity, CVSS base score, the "Exploitation Detected" flag and,
//! per product, its Vendor Fix remediation. No DTD or custom entity is ever
//! expanded (quick-xml knows only XML's five and character references).

use crate::build::Product;
use anyhow::{Context, Result, bail};
use quick_xml::events::{BytesStart, Event};
use std::collections::BTreeMap;

/// One product's fix for one CVE, as a month document states it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFix {
    /// The CVE id.
    pub cve: String,
    /// The vulnerability's title (cleaned).
    pub title: String,
    /// MSRC's severity for this product (`Critical`, `Important`, …); may be empty.
    pub severity: String,
    /// The CVSS base score for this product, as written (`9.1`); may be empty.
    pub cvss: String,
    /// Whether Microsoft marked it "Exploited:Yes" / "Exploitation Detected".
    pub exploited: bool,
    /// The product line.
    pub product: Product,
    /// `CU23`, `RTM`, `SP3`.
    pub cu: String,
    /// The Vendor Fix's KB (`KB5000871`); empty when the product has none.
    pub kb: String,
    /// The `FixedBuild` as written (`15.02.2562.037`); empty where the month has none.
    pub fixed_build: String,
    /// The KB it supersedes, as written; may be empty.
    pub supersedence: String,
}

/// A ProductTree name as (product, CU): `Microsoft Exchange Server 2016
/// Cumulative Update 23` is (2016, `CU23`), `… 2019` is (2019, `RTM`), `…
/// 2010 Service Pack 3 Update Rollup 31` is (2010, `SP3`). `None` when the
/// name is no Exchange Server product.
pub fn product_of(name: &str) -> Option<Result<(Product, String)>> {
    let rest = name.trim().strip_prefix("Microsoft Exchange Server ")?;
    Some(parse_product(rest).with_context(|| format!("unknown Exchange product name {name:?}")))
}

fn parse_product(rest: &str) -> Result<(Product, String)> {
    let (line, tail) = match rest.split_once(' ') {
        Some((l, t)) => (l, t.trim()),
        None => (rest, ""),
    };
    let product = match line {
        "2007" => Product::Ex2007,
        "2010" => Product::Ex2010,
        "2013" => Product::Ex2013,
        "2016" => Product::Ex2016,
        "2019" => Product::Ex2019,
        "Subscription" if tail.starts_with("Edition") => Product::Se,
        other => bail!("no product line {other:?}"),
    };
    let tail = if product == Product::Se { tail.trim_start_matches("Edition").trim() } else { tail };
    fn number(t: &str) -> Option<&str> {
        t.split(' ').next().filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }
    let cu = if tail.is_empty() || tail == "RTM" {
        "RTM".to_string()
    } else if let Some(n) = tail.strip_prefix("Cumulative Update ").and_then(number) {
        format!("CU{n}")
    } else if let Some(n) = tail.strip_prefix("Service Pack ").and_then(number) {
        format!("SP{n}")
    } else {
        bail!("no CU or service pack in {tail:?}")
    };
    Ok((product, cu))
}

#[derive(Default)]
struct Vuln {
    title: String,
    cve: String,
    exploited: bool,
    severity: BTreeMap<String, String>,
    cvss: BTreeMap<String, String>,
    /// Per product id: (KB, fixed build, supersedence).
    fixes: BTreeMap<String, (String, String, String)>,
}

/// The element being read inside a vulnerability that gathers product ids.
#[derive(Default)]
struct Group {
    kind: String,
    description: String,
    base: String,
    fixed: String,
    supersedence: String,
    ids: Vec<String>,
}

fn attr(e: &BytesStart, name: &[u8]) -> Result<String> {
    for a in e.attributes() {
        let a = a.context("a broken attribute")?;
        if a.key.local_name().as_ref() == name {
            return Ok(a.unescape_value().context("a broken attribute value")?.into_owned());
        }
    }
    Ok(String::new())
}

/// Every (CVE, Exchange product) fix a month document states, in document
/// order. The error names the vulnerability (ordinal or CVE) that broke.
pub fn read(xml: &[u8]) -> Result<Vec<ProductFix>> {
    read_month(xml).map(|(_, fixes)| fixes)
}

/// As `read`, with the document's own id (`DocumentTracking/Identification/ID`,
/// e.g. `2021-Mar`). A document whose root is not `cvrfdoc`, or that names
/// no id, is not a CVRF month and is refused.
pub fn read_month(xml: &[u8]) -> Result<(String, Vec<ProductFix>)> {
    let mut root: Option<String> = None;
    let mut doc_id = String::new();
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut products: BTreeMap<String, (Product, String)> = BTreeMap::new();
    let mut product_id = String::new();
    let mut vuln: Option<Vuln> = None;
    let mut group: Option<Group> = None;
    let mut out = Vec::new();
    let mut ordinal = String::new();
    loop {
        let position = reader.buffer_position();
        let at = || format!("at byte {position} (vulnerability {ordinal})");
        let event = reader.read_event_into(&mut buf).with_context(at)?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                text.clear();
                match name.as_str() {
                    "FullProductName" => product_id = attr(&e, b"ProductID")?,
                    "Vulnerability" => {
                        ordinal = attr(&e, b"Ordinal")?;
                        vuln = Some(Vuln::default());
                    }
                    "Threat" | "Remediation" => {
                        group = Some(Group { kind: attr(&e, b"Type")?, ..Group::default() });
                    }
                    "ScoreSet" => group = Some(Group { kind: "ScoreSet".into(), ..Group::default() }),
                    _ => {}
                }
                if root.is_none() {
                    root = Some(name.clone());
                    if name != "cvrfdoc" {
                        bail!("not a CVRF document: its root element is <{}>", crate::sanitize::clean(&name));
                    }
                }
                path.push(name);
            }
            Event::Text(t) => text.push_str(&t.unescape().with_context(at)?),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str).unwrap_or("");
                let value = std::mem::take(&mut text);
                match (name.as_str(), parent) {
                    ("ID", "Identification") if path.iter().any(|p| p == "DocumentTracking") => {
                        doc_id = crate::sanitize::clean(value.trim());
                    }
                    ("FullProductName", _) => {
                        if let Some(found) = product_of(&value) {
                            let found = found.with_context(|| format!("ProductID {product_id}"))?;
                            products.insert(product_id.clone(), found);
                        }
                    }
                    ("Title", "Vulnerability") => {
                        if let Some(v) = vuln.as_mut() {
                            v.title = crate::sanitize::clean_long(&value);
                        }
                    }
                    ("CVE", "Vulnerability") => {
                        if let Some(v) = vuln.as_mut() {
                            v.cve = value.trim().to_string();
                        }
                    }
                    ("ProductID", _) => {
                        if let Some(g) = group.as_mut() {
                            g.ids.extend(value.split_whitespace().map(String::from));
                        }
                    }
                    ("Description", _) => {
                        if let Some(g) = group.as_mut() {
                            g.description = value;
                        }
                    }
                    ("BaseScore", _) => {
                        if let Some(g) = group.as_mut() {
                            g.base = value;
                        }
                    }
                    ("FixedBuild", _) => {
                        if let Some(g) = group.as_mut() {
                            g.fixed = value;
                        }
                    }
                    ("Supercedence", _) => {
                        if let Some(g) = group.as_mut() {
                            g.supersedence = value;
                        }
                    }
                    ("Threat" | "Remediation" | "ScoreSet", _) => {
                        if let (Some(g), Some(v)) = (group.take(), vuln.as_mut()) {
                            gather(v, g);
                        }
                    }
                    ("Vulnerability", _) => {
                        if let Some(v) = vuln.take() {
                            emit(v, &products, &mut out).with_context(|| format!("vulnerability {ordinal}"))?;
                        }
                    }
                    _ => {}
                }
            }
            Event::DocType(_) => bail!("a month document with a DOCTYPE is refused (no entity is expanded)"),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !path.is_empty() {
        bail!("the document ends inside <{}> (truncated?)", path.join("/"));
    }
    if root.is_none() {
        bail!("not a CVRF document: no XML element at all");
    }
    if doc_id.is_empty() {
        bail!("not a CVRF month: no DocumentTracking/Identification/ID");
    }
    Ok((doc_id, out))
}

fn gather(v: &mut Vuln, g: Group) {
    match g.kind.as_str() {
        "Severity" => g.ids.iter().for_each(|id| {
            v.severity.insert(id.clone(), crate::sanitize::clean(&g.description));
        }),
        "Exploit Status" => {
            let d = &g.description;
            v.exploited |= d.contains("Exploited:Yes") || d.contains("Exploitation Detected");
        }
        "ScoreSet" => g.ids.iter().for_each(|id| {
            v.cvss.insert(id.clone(), crate::sanitize::clean(&g.base));
        }),
        "Vendor Fix" => {
            let kb = crate::sanitize::clean(&g.description);
            let kb = if !kb.is_empty() && kb.bytes().all(|b| b.is_ascii_digit()) { format!("KB{kb}") } else { kb };
            g.ids.iter().for_each(|id| {
                v.fixes.insert(
                    id.clone(),
                    (kb.clone(), crate::sanitize::clean(&g.fixed), crate::sanitize::clean(&g.supersedence)),
                );
            })
        }
        _ => {}
    }
}

fn emit(v: Vuln, products: &BTreeMap<String, (Product, String)>, out: &mut Vec<ProductFix>) -> Result<()> {
    let mut ids: Vec<&String> = v.severity.keys().chain(v.fixes.keys()).chain(v.cvss.keys()).collect();
    ids.sort();
    ids.dedup();
    let named: Vec<(&String, &(Product, String))> =
        ids.into_iter().filter_map(|id| products.get(id).map(|p| (id, p))).collect();
    if named.is_empty() {
        return Ok(());
    }
    if v.cve.starts_with("ADV") {
        // An advisory (ADV190018), not a CVE: it names no fixed build to judge.
        return Ok(());
    }
    if !crate::table::is_cve_id(&v.cve) {
        bail!("{:?} is not a CVE id", v.cve);
    }
    for (id, (product, cu)) in named {
        let (kb, fixed_build, supersedence) = v.fixes.get(id).cloned().unwrap_or_default();
        if !fixed_build.is_empty() {
            crate::build::Build::parse(&fixed_build).with_context(|| format!("{}: FixedBuild", v.cve))?;
        }
        out.push(ProductFix {
            cve: v.cve.clone(),
            title: v.title.clone(),
            severity: v.severity.get(id).cloned().unwrap_or_default(),
            cvss: v.cvss.get(id).cloned().unwrap_or_default(),
            exploited: v.exploited,
            product: *product,
            cu: cu.clone(),
            kb,
            fixed_build,
            supersedence,
        });
    }
    Ok(())
}
