//! PLACEHOLDER for Microsoft's sources, parsed, and the validation gate
//! (owned by the other half of this work, which replaces this module at
//! merge): the signatures the data store codes against. `month_index` reads
//! the real `updates` JSON; `extract_month` only checks that a document is a
//! CVRF document naming the month asked for; `derive` returns the built-in
//! files; `gate` passes everything.

use crate::dataset::{DataSet, Files};
use anyhow::{Context, Result, bail, ensure};
use std::collections::BTreeMap;

/// One month listed by MSRC's CVRF v3 `updates` index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthRef {
    /// The month's id, e.g. `2021-Mar`.
    pub id: String,
    /// When Microsoft last revised the month's document.
    pub current_release_date: String,
    /// Where the month's document is served.
    pub cvrf_url: String,
}

/// Parses the `updates` JSON (`value[]` with `ID`, `CurrentReleaseDate`, `CvrfUrl`).
pub fn month_index(updates_json: &[u8]) -> Result<Vec<MonthRef>> {
    let doc: serde_json::Value = serde_json::from_slice(updates_json).context("the updates index is not JSON")?;
    let values = doc.get("value").and_then(|v| v.as_array()).context("the updates index has no value[] list")?;
    let mut out = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let field = |name: &str| {
            v.get(name)
                .and_then(|f| f.as_str())
                .map(String::from)
                .with_context(|| format!("updates value[{i}] has no {name}"))
        };
        out.push(MonthRef {
            id: field("ID")?,
            current_release_date: field("CurrentReleaseDate")?,
            cvrf_url: field("CvrfUrl")?,
        });
    }
    Ok(out)
}

/// Reads one CVRF month document (XML as served) and returns its
/// Exchange-only extract as small cacheable bytes; an error names the month
/// and the record. (Placeholder: the extract is the month id.)
pub fn extract_month(id: &str, cvrf_xml: &[u8]) -> Result<Vec<u8>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(cvrf_xml);
    let mut path: Vec<String> = Vec::new();
    let mut found: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).with_context(|| format!("month {id}: not well-formed XML"))? {
            Event::Start(e) => path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned()),
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) if path.ends_with(&["DocumentTracking".into(), "Identification".into(), "ID".into()]) => {
                found = Some(t.unescape().with_context(|| format!("month {id}: bad text"))?.trim().to_string());
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    ensure!(path.is_empty(), "month {id}: the document ends inside <{}> (truncated)", path.join("/"));
    match found {
        Some(doc_id) if doc_id == id => Ok(format!("month,{id}\n").into_bytes()),
        Some(doc_id) => bail!("month {id}: the document is month {doc_id:?}"),
        None => bail!("month {id}: not a CVRF document (no DocumentTracking/Identification/ID)"),
    }
}

/// Builds a data set's files from every month's extract (by month id),
/// Microsoft's ExchangeBuildNumbers.csv and the Learn build-numbers page
/// (HTML), with the cited overrides. (Placeholder: the built-in files.)
pub fn derive(extracts: &BTreeMap<String, Vec<u8>>, build_list_csv: &[u8], learn_html: &[u8]) -> Result<Files> {
    let _ = (extracts, build_list_csv, learn_html);
    Ok(DataSet::builtin_files())
}

/// The validation gate: new data replaces `old` only when this passes.
/// (Placeholder: everything passes.)
pub fn gate(new: &DataSet, old: &DataSet) -> Result<()> {
    let _ = (new, old);
    Ok(())
}
