//! One scan, four reports (issue 15): `-o r.csv -o r.jsonl -o r.html -o
//! r.xlsx` probes each host once and writes four files that agree row by
//! row. The workbook is read by an independent reader (Python's openpyxl;
//! `.ci/run` installs it): its sheets, its values, and no cell a formula.

mod common;

use common::*;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// The workbook as openpyxl reads it: sheet names, the Hosts sheet's rows
/// (values as JSON: numbers, ISO dates, strings), how many formula cells
/// there are, the frozen pane and the autofilter. `None` when python3 has
/// no openpyxl (outside CI).
fn read_xlsx(path: &Path) -> Option<serde_json::Value> {
    let script = r#"
import json, sys, datetime
try:
    import openpyxl
except ImportError:
    print("NO-OPENPYXL"); sys.exit(0)
wb = openpyxl.load_workbook(sys.argv[1])
def value(v):
    if isinstance(v, (datetime.datetime, datetime.date)):
        return {"date": v.isoformat()}
    return v
formulas = sum(1 for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f")
hosts = wb["Hosts"]
print(json.dumps({
    "sheets": wb.sheetnames,
    "hosts": [[value(c.value) for c in row] for row in hosts.iter_rows()],
    "summary": [[c.value for c in row] for row in wb["Summary"].iter_rows()],
    "provenance": {r[0].value: r[1].value for r in wb["Provenance"].iter_rows(min_row=2)},
    "formulas": formulas,
    "freeze": hosts.freeze_panes,
    "filter": hosts.auto_filter.ref,
    "status_fill": hosts["C2"].fill.fgColor.rgb,
}))
"#;
    let out = Command::new("python3").arg("-c").arg(script).arg(path).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    if text.trim() == "NO-OPENPYXL" {
        skipped_tool("openpyxl", "python3 has no openpyxl (pip install openpyxl): the XLSX checks");
        return None;
    }
    Some(serde_json::from_str(&text).unwrap())
}

/// A JSON Lines or workbook value as the CSV's text.
fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(";"),
        serde_json::Value::Number(n) if n.is_f64() => format!("{}", n.as_f64().unwrap()),
        serde_json::Value::Object(o) if o.contains_key("date") => {
            // openpyxl: 2026-12-02T18:00:00 (a datetime) or 2021-05-11T00:00:00 (a date).
            let d = o["date"].as_str().unwrap();
            d.strip_suffix("T00:00:00").map(String::from).unwrap_or_else(|| format!("{d}Z"))
        }
        other => other.to_string(),
    }
}

/// A CSV cell equals a value's text, allowing for the CSV's formula guard.
fn same(csv: &str, other: &str) -> bool {
    csv == other || csv.strip_prefix('\'') == Some(other)
}

#[test]
fn one_scan_writes_four_reports_that_agree_row_by_row() {
    let dir = temp_dir("four-reports");
    let fleet = simulate(&dir, "127.7.10.1", 8);
    let hosts = read_csv(&fleet.inventory);
    let inv = dir.join("inventory.csv");
    let mut text_inv = String::from("host,port,owner,asset_tag\n");
    for (i, h) in hosts.iter().enumerate() {
        let owner = if i == 0 { "=HYPERLINK(\"http://x\")".to_string() } else { format!("team {i}") };
        text_inv.push_str(&format!("{},{},\"{}\",AT-{}\n", h["host"], h["port"], owner.replace('"', "\"\""), 1000 + i));
    }
    // The same host twice (probed once) and a row without a host.
    text_inv.push_str(&format!("{},{},dup,AT-2000\n", hosts[0]["host"], hosts[0]["port"]));
    text_inv.push_str(",,nobody,AT-3000\n");
    std::fs::write(&inv, text_inv).unwrap();
    let accept = dir.join("accept.csv");
    std::fs::write(
        &accept,
        format!(
            "host,port,advisory,reason,owner,expires\n{},{},,compensating WAF,secops,2099-01-31\n",
            hosts[0]["host"], hosts[0]["port"]
        ),
    )
    .unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (csv, jsonl, html, xlsx) = (path("r.csv"), path("r.jsonl"), path("r.html"), path("r.xlsx"));
    let out = run(&[
        "scan",
        inv.to_str().unwrap(),
        "--ca-cert",
        fleet.ca.to_str().unwrap(),
        "--accept",
        accept.to_str().unwrap(),
        "--provenance",
        "-o",
        &csv,
        "-o",
        &jsonl,
        "-o",
        &html,
        "-o",
        &xlsx,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("timing: 8 probes"), "each host probed once for four reports: {stderr}");
    assert!(stderr.contains(&format!("report: {csv}, {jsonl}, {html}, {xlsx}")), "{stderr}");

    let rows = read_csv(Path::new(&csv));
    assert_eq!(rows.len(), 10);
    let header: Vec<String> =
        csv::Reader::from_path(&csv).unwrap().headers().unwrap().iter().map(String::from).collect();
    assert!(header.ends_with(&["accepted".into(), "owner".into(), "asset_tag".into()]), "{header:?}");

    // JSON Lines: the provenance record first, then the same rows, typed.
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&jsonl).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let prov = &lines[0];
    assert_eq!(prov["type"], "provenance");
    assert_eq!(prov["inventory_lines"], 11);
    assert_eq!(prov["inventory_sha256"].as_str().unwrap().len(), 64);
    assert!(prov["command_line"].as_str().unwrap().contains("--accept"));
    assert!(prov["verdict_options"].as_str().unwrap().contains("--accept"));
    assert_eq!(lines.len(), 11);
    for (csv_row, json) in rows.iter().zip(&lines[1..]) {
        assert!(json["port"].is_number() || json["port"].is_null(), "{json}");
        assert!(json["cves"].is_array());
        for name in &header {
            assert!(same(&csv_row[name], &text(&json[name])), "{name}: {:?} vs {}", csv_row[name], json[name]);
        }
    }
    assert_eq!(lines[1]["owner"], "=HYPERLINK(\"http://x\")", "JSON Lines carries the text as it is");

    // HTML: every row, every column, the accepted row, the host-less row by its line, the provenance.
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("10 rows."));
    for name in &header {
        assert!(page.contains(&format!("<th>{name}</th>")), "column {name}");
    }
    for row in &rows {
        assert!(page.contains(&format!("<td>{}</td>", row["asset_tag"])), "{}", row["asset_tag"]);
    }
    assert!(page.contains("Accepted risks (2)") && page.contains("until 2099-01-31: compensating WAF (secops)"));
    assert!(page.contains("(line 11)"), "the host-less row is labelled by its line");
    let sha = prov["inventory_sha256"].as_str().unwrap();
    assert!(page.contains("id=\"provenance\"") && page.contains(sha));

    // XLSX, read by openpyxl.
    if let Some(book) = read_xlsx(Path::new(&xlsx)) {
        assert_eq!(book["sheets"], serde_json::json!(["Summary", "Hosts", "Provenance"]));
        assert_eq!(book["formulas"], 0, "no cell is a formula");
        assert_eq!(book["freeze"], "A2", "the header is frozen");
        assert!(book["filter"].as_str().unwrap().starts_with("A1:"), "an autofilter");
        assert_ne!(book["status_fill"], serde_json::Value::Null);
        let sheet = book["hosts"].as_array().unwrap();
        let names: Vec<String> = sheet[0].as_array().unwrap().iter().map(text).collect();
        assert_eq!(names, header);
        assert_eq!(sheet.len(), 11);
        for (csv_row, cells) in rows.iter().zip(&sheet[1..]) {
            let cells = cells.as_array().unwrap();
            for (name, cell) in names.iter().zip(cells) {
                assert!(same(&csv_row[name], &text(cell)), "{name}: {:?} vs {cell}", csv_row[name]);
                if ["port", "line", "sus_behind", "open_cves_count"].contains(&name.as_str()) && !cell.is_null() {
                    assert!(cell.is_number(), "{name} is a number: {cell}");
                }
            }
            let checked = &cells[names.iter().position(|n| n == "checked_at").unwrap()];
            assert!(checked.get("date").is_some(), "checked_at is a date: {checked}");
        }
        assert_eq!(book["hosts"][1][names.iter().position(|n| n == "owner").unwrap()], "=HYPERLINK(\"http://x\")");
        let summary = book["summary"].to_string();
        assert!(summary.contains("hosts that need action") && summary.contains("vulnerable"), "{summary}");
        let provenance: HashMap<String, serde_json::Value> =
            serde_json::from_value(book["provenance"].clone()).unwrap();
        assert_eq!(provenance["inventory_sha256"], sha);
        assert_eq!(provenance["inventory_lines"], 11.0);
    }
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_workbook_is_not_written_to_a_terminal_and_extensions_decide_formats() {
    let dir = temp_dir("xlsx-check");
    // `check` writes a workbook to a file, and JSON Lines to stdout at once.
    let book = dir.join("builds.xlsx");
    let out = run(&["check", "--format", "jsonl", "-o", book.to_str().unwrap(), "-o", "-", "15.1.2176.2"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let row: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(row["status"], "vulnerable");
    let bytes = std::fs::read(&book).unwrap();
    assert!(bytes.starts_with(b"PK"), "a zip container");
    if let Some(book) = read_xlsx(&book) {
        assert_eq!(book["hosts"][1][2], "vulnerable");
        assert!(book["summary"].to_string().contains("(line 1)"), "no host: the summary names the line");
    }
    // On a terminal (`script` gives one), a workbook on stdout is refused: 2.
    let cmd = format!("{BIN} check --format xlsx 15.1.2176.2; echo status=$?");
    if let Ok(out) = Command::new("script").args(["-qec", &cmd, "/dev/null"]).output() {
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(shown.contains("not for a terminal") && shown.contains("status=2"), "{shown}");
        assert!(!shown.contains("PK"), "no binary on the terminal");
    } else {
        skipped("no `script` here: the terminal check");
    }
    // Two reports on stdout, or one path twice: refused before anything is written.
    let out = run(&["check", "-o", "-", "-o", "/dev/stdout", "15.1.2176.2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stdout is already a report"));
    std::fs::remove_dir_all(dir).unwrap();
}
