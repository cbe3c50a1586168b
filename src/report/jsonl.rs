//! JSON Lines values (issue 15): typed, not all strings. Numbers are JSON
//! numbers, lists (`cves`, `open_cves`, `fe_servers`, `cves_ID`) are arrays
//! of strings, absent values are `null`; pass-through inventory columns stay
//! the strings the inventory had. The same rules for `scan`, `check`,
//! `headers` and `merge` (which re-types cells read back as text), and
//! `text_of` is their inverse for the readers (`--baseline`, `merge`).

use serde_json::{Map, Value};

/// Columns whose values are whole numbers.
const NUMBERS: [&str; 5] = ["port", "line", "sus_behind", "open_cves_count", "inventory_lines"];

/// Columns whose values are `;`-separated lists in CSV and arrays here.
fn is_list(name: &str) -> bool {
    matches!(name, "cves" | "open_cves" | "fe_servers")
        || name.strip_prefix("cves_").is_some_and(|id| crate::table::ADVISORIES.iter().any(|(known, _)| *known == id))
}

/// A report column's JSON value from its CSV text. `open_cves_known` says
/// whether the build's open CVEs are known (an empty list is then `[]`,
/// not `null`).
pub fn typed(name: &str, text: &str, open_cves_known: bool) -> Value {
    if NUMBERS.contains(&name) {
        return match text.parse::<u64>() {
            Ok(n) => Value::from(n),
            Err(_) if text.is_empty() => Value::Null,
            Err(_) => Value::from(text),
        };
    }
    if is_list(name) {
        if text.is_empty() {
            return if name == "open_cves" && !open_cves_known { Value::Null } else { Value::Array(Vec::new()) };
        }
        return Value::Array(text.split(';').map(Value::from).collect());
    }
    if text.is_empty() { Value::Null } else { Value::from(text) }
}

/// One report row as a JSON object: `columns` and their text `cells` in
/// order, the ones named in `pass_through` kept as strings.
pub fn object<'a>(cells: impl IntoIterator<Item = (&'a str, &'a str)>, pass_through: &[String]) -> Map<String, Value> {
    let cells: Vec<(&str, &str)> = cells.into_iter().collect();
    let open_cves_known = cells.iter().any(|(name, text)| *name == "open_cves_count" && !text.is_empty());
    cells
        .into_iter()
        .map(|(name, text)| {
            let value = if pass_through.iter().any(|p| p == name) {
                Value::from(text)
            } else {
                typed(name, text, open_cves_known)
            };
            (name.to_string(), value)
        })
        .collect()
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
        let obj = object([("port", "443"), ("asset", "1001"), ("open_cves_count", ""), ("open_cves", "")], &pass);
        assert_eq!(
            serde_json::Value::Object(obj),
            json!({"port": 443, "asset": "1001", "open_cves_count": null, "open_cves": null})
        );
    }
}
