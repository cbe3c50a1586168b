//! The JSON Lines report (`--format jsonl`) and its values (issue 15):
//! typed, not all strings, by each column's `schema::Kind`. Numbers are JSON
//! numbers, lists (`cves`, `open_cves`, `fe_servers`, `cves_ID`) are arrays
//! of strings, absent values are `null`; pass-through inventory columns stay
//! the strings the inventory had. The same writer for `scan`, `check`,
//! `headers` and `merge` (which re-types cells read back as text), and
//! `text_of` is its inverse for the readers (`--baseline`, `merge`).

use super::format::{Exporter, Start};
use super::schema::{Column, Kind, Schema, kind_of_name};
use anyhow::Result;
use serde_json::{Map, Value};
use std::io::Write;

/// A column's JSON value from its text, by the column's kind.
/// `open_cves_known` says whether the row's open CVEs are known (an empty
/// `open_cves` is then `[]`, not `null`).
pub fn value(kind: Kind, text: &str, open_cves_known: bool) -> Value {
    match kind {
        Kind::PassThrough => Value::from(text),
        Kind::Number => match text.parse::<u64>() {
            Ok(n) => Value::from(n),
            Err(_) if text.is_empty() => Value::Null,
            Err(_) => Value::from(text),
        },
        Kind::ListOrUnknown if text.is_empty() && !open_cves_known => Value::Null,
        Kind::List | Kind::ListOrUnknown if text.is_empty() => Value::Array(Vec::new()),
        Kind::List | Kind::ListOrUnknown => Value::Array(text.split(';').map(Value::from).collect()),
        Kind::Text | Kind::DateTime | Kind::Date if text.is_empty() => Value::Null,
        Kind::Text | Kind::DateTime | Kind::Date => Value::from(text),
    }
}

/// A report column's JSON value from its CSV text, the column known by its
/// name (`value`, with the schema's kind for that name).
pub fn typed(name: &str, text: &str, open_cves_known: bool) -> Value {
    value(kind_of_name(name), text, open_cves_known)
}

/// One row of a schema as a JSON object, its cells typed by their kinds.
fn row_object(schema: &Schema, cells: &[String]) -> Map<String, Value> {
    let open_cves_known = !schema.own(cells, Column::OpenCvesCount).is_empty();
    schema
        .columns()
        .iter()
        .zip(cells)
        .map(|((name, key), text)| (name.clone(), value(key.kind(), text, open_cves_known)))
        .collect()
}

/// The JSON Lines writer: one object per line, written as each row comes.
pub struct Jsonl<W: Write> {
    out: W,
    schema: Schema,
}

impl<W: Write> Jsonl<W> {
    /// Writes the `--provenance` record first when asked to.
    pub fn new(mut out: W, start: Start<'_>) -> Result<Jsonl<W>> {
        if let Some(run) = start.run.filter(|_| start.provenance_record) {
            serde_json::to_writer(&mut out, &provenance(run))?;
            out.write_all(b"\n")?;
        }
        Ok(Jsonl { out, schema: start.schema.clone() })
    }
}

impl<W: Write> Exporter<W> for Jsonl<W> {
    fn row(&mut self, cells: &[String]) -> Result<()> {
        serde_json::to_writer(&mut self.out, &row_object(&self.schema, cells))?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<W> {
        Ok(self.out)
    }
}

/// The `--provenance` record that starts a JSON Lines report: `"type":
/// "provenance"`, then the run's fields (`finished` is `null`: the record
/// is written before the rows stream).
pub fn provenance(run: &super::provenance::Run) -> Map<String, Value> {
    let mut obj = Map::new();
    obj.insert("type".into(), Value::from("provenance"));
    for (name, value) in run.fields(None) {
        let value = match value {
            None => Value::Null,
            Some(v) => typed(name, &v, true),
        };
        obj.insert(name.into(), value);
    }
    obj
}

/// A JSON value back as the CSV cell it stands for: `null` is empty, an
/// array is `;`-joined, a number its digits.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_become_typed_values_and_back() {
        let cases = [
            ("port", "443", true, json!(443)),
            ("port", "", true, json!(null)),
            ("line", "7", true, json!(7)),
            ("open_cves_count", "0", true, json!(0)),
            ("cves", "CVE-1;CVE-2", true, json!(["CVE-1", "CVE-2"])),
            ("cves", "", true, json!([])),
            ("cves_proxyshell", "CVE-3", true, json!(["CVE-3"])),
            ("fe_servers", "EX1", true, json!(["EX1"])),
            ("open_cves", "", false, json!(null)),
            ("open_cves", "", true, json!([])),
            ("build", "15.1.2176.9", true, json!("15.1.2176.9")),
            ("build", "", true, json!(null)),
            ("detail", "=cmd", true, json!("=cmd")),
        ];
        for (name, text, known, want) in cases {
            let got = typed(name, text, known);
            assert_eq!(got, want, "{name} {text:?}");
            assert_eq!(text_of(&got), text, "{name}: back to the same text");
        }
    }

    #[test]
    fn pass_through_columns_stay_strings() {
        let pass = vec!["asset".to_string()];
        let names: Vec<String> = ["port", "asset", "open_cves_count", "open_cves"].map(String::from).to_vec();
        let cells: Vec<String> = ["443", "1001", "", ""].map(String::from).to_vec();
        let obj = row_object(&Schema::read(&names, &pass), &cells);
        assert_eq!(
            serde_json::Value::Object(obj),
            json!({"port": 443, "asset": "1001", "open_cves_count": null, "open_cves": null})
        );
    }
}
