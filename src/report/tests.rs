use super::*;
use crate::assess::judge;
use crate::evidence::{CertState, Source, TlsState};
use crate::table::Table;

fn row(build: &str, detail: Option<&str>, extras: &[&str]) -> Row {
    let table = Table::builtin();
    let mut verdict = judge(&build.parse().unwrap(), &table);
    verdict.sources = vec![Source::Header, Source::LogonPage];
    if let Some(d) = detail {
        verdict.detail = d.into();
    }
    let lifecycle = verdict.product.and_then(|p| crate::dataset::DataSet::builtin().lifecycle_of(p).cloned());
    Row {
        lifecycle,
        host: "mail.example.test".into(),
        port: Some(443),
        verdict,
        tls: Some(TlsState { cert: CertState::Unverified("self-signed".into()), legacy: None }),
        fe_servers: vec!["EX1".into(), "-EX2".into()],
        checked_at: jiff::Timestamp::UNIX_EPOCH,
        table: table.id,
        line: Some(7),
        staleness: crate::catalog::staleness::of(&build.parse().unwrap(), &crate::dataset::DataSet::builtin().releases),
        support: None,
        open_cves: crate::dataset::DataSet::builtin().open_cves(&build.parse().unwrap(), &[]).map(|o| o.open),
        unassessed_cves: None,
        max_open_severity: None,
        exploited_open_cves: None,
        each: Vec::new(),
        change: None,
        accepted: None,
        extras: extras.iter().map(|s| s.to_string()).collect(),
    }
    .at("2026-11-27T10:00:00Z".parse().unwrap())
}

fn write(format: Format, rows: &[Row], extras: &[&str]) -> String {
    let layout = Layout { extras: extras.iter().map(|s| s.to_string()).collect(), ..Layout::default() };
    let mut w = Writer::new(Vec::new(), format, layout).unwrap();
    for r in rows {
        w.write(r).unwrap();
    }
    String::from_utf8(w.finish().unwrap()).unwrap()
}

#[test]
fn csv_has_the_contract_columns_then_the_inventory_columns() {
    let out = write(Format::Csv, &[row("15.1.2176.2", None, &["alice", "=1+1"])], &["owner", "note"]);
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let n = COLUMNS.len();
    assert_eq!(&header[..n], COLUMNS);
    assert_eq!(&header[n..], ["owner", "note"]);
    let rec = rdr.records().next().unwrap().unwrap();
    assert_eq!(&rec[0], "mail.example.test");
    assert_eq!(&rec[2], "vulnerable");
    assert_eq!(&rec[6], "15.1.2176.2");
    assert_eq!(&rec[7], "full");
    assert_eq!(&rec[8], "header+logon-page");
    assert_eq!(&rec[9], "15.1.2176.9");
    assert_eq!(&rec[12], "EX1;-EX2");
    assert_eq!(&rec[13], "2026-11-27T10:00:00Z");
    assert!(rec[14].starts_with("proxylogon-2021-03@"));
    assert_eq!(&rec[15], "7");
    assert_eq!(
        (&rec[16], &rec[17], &rec[18]),
        ("15.1.2176.14", "4", "2021-05-11"),
        "staleness: Feb21SU, Mar21SU, Apr21SU, May21SU"
    );
    assert!(rec[19].starts_with("ended 2025-10-14: move to Exchange SE"), "support on 2026-11-27: {}", &rec[19]);
    // 2016 CU19 at its base lacks every later fix up to the newest: a long list, counted.
    assert!(rec[20].starts_with("CVE-2021-24085;CVE-2021-26412;"), "{}", &rec[20]);
    assert_eq!(rec[21].parse::<usize>().unwrap(), rec[20].split(';').count());
    // Inventory columns pass through, formula-guarded like every cell (issue 12).
    assert_eq!(&rec[n], "alice");
    assert_eq!(&rec[n + 1], "'=1+1");
}

#[test]
fn the_data_judged_with_is_recorded_on_every_row_at_the_end_of_the_own_columns() {
    let mut run = super::provenance::Run::now("t".into(), String::new(), None).unwrap();
    run = run.with_data(super::provenance::DataStamp {
        id: "ab".repeat(32),
        origin: "update".into(),
        confirmed: "2026-12-01".into(),
    });
    let layout = Layout { run: Some(run), extras: vec!["owner".into()], ..Layout::default() };
    let mut w = Writer::new(Vec::new(), Format::Csv, layout).unwrap();
    for _ in 0..2 {
        w.write(&row("15.1.2176.2", None, &["alice"])).unwrap();
    }
    let out = String::from_utf8(w.finish().unwrap()).unwrap();
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert!(at("table") < at("data_id"), "the table column stays where it was");
    assert_eq!((at("data_origin"), at("data_confirmed")), (at("data_id") + 1, at("data_id") + 2));
    assert_eq!(at("owner"), at("data_confirmed") + 1);
    for rec in rdr.records() {
        let rec = rec.unwrap();
        assert_eq!(
            (&rec[at("data_id")], &rec[at("data_origin")], &rec[at("data_confirmed")]),
            ("abababababababababababababababababababababababababababababababab", "update", "2026-12-01")
        );
    }
    // Without a run that records its data, the cells are empty, not made up.
    let plain = write(Format::Csv, &[row("15.1.2176.2", None, &[])], &[]);
    let rec = csv::Reader::from_reader(plain.as_bytes()).records().next().unwrap().unwrap();
    assert_eq!(&rec[at("data_id")], "");
}

#[test]
fn server_text_cannot_become_a_formula() {
    let out = write(Format::Csv, &[row("15.1.2176.9", Some("=cmd|' /C calc'!A0"), &[])], &[]);
    let rec = csv::Reader::from_reader(out.as_bytes()).records().next().unwrap().unwrap();
    assert_eq!(&rec[10], "'=cmd|' /C calc'!A0");
}

#[test]
fn a_server_cannot_fill_a_detail_cell() {
    let values: String = (0..2000).map(|i| format!("\"{}\" ", "x".repeat(40 + i % 3))).collect();
    let out = write(Format::Csv, &[row("15.1.2176.9", Some(&values), &[])], &[]);
    let rec = csv::Reader::from_reader(out.as_bytes()).records().next().unwrap().unwrap();
    assert_eq!(rec[10].chars().count(), 1000, "88 KB of values become one capped cell");
    assert!(rec[10].ends_with('…'));
}

#[test]
fn jsonl_has_the_same_fields_in_order() {
    let out = write(Format::Jsonl, &[row("15.2.858.2", None, &["bob"])], &["owner"]);
    let line = out.lines().next().unwrap();
    let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(&keys[..COLUMNS.len()], COLUMNS);
    assert_eq!(obj["status"], "patched");
    assert_eq!(obj["owner"], "bob");
    assert_eq!(out.lines().count(), 1);
}

#[test]
fn table_format_is_aligned_and_printable() {
    let out = write(Format::Table, &[row("15.1.2176.2", Some("bad\u{1b}[2J"), &[])], &[]);
    assert!(out.starts_with("host "), "the rows have a host: {out}");
    // Every row's build starts where the header's `build` does: the host column is padded.
    let at = out.lines().next().unwrap().find("build").unwrap();
    for line in out.lines().skip(1) {
        assert_eq!(line.get(at..at + 11), Some("15.1.2176.2"), "{out}");
    }
    assert!(out.contains("vulnerable") && out.contains("bad?[2J"), "{out}");
    assert!(!out.contains('\u{1b}'));
}

#[test]
fn html_lists_at_most_max_rows_and_guards_every_cell() {
    let many = vec![row("15.1.2176.2", Some(" =1+1"), &["@owner"]); html::MAX_ROWS + 5];
    let out = write(Format::Html, &many, &["owner"]);
    assert!(out.contains(&format!("{} rows.", html::MAX_ROWS + 5)), "counts cover every row");
    let every_row = "<tr><td>mail.example.test</td><td class=\"n\">443</td>";
    assert_eq!(out.matches(every_row).count(), html::MAX_ROWS, "the every-row table is capped");
    assert!(out.contains(&format!(
        "The first {} of {} rows are listed here, and 5 more",
        html::MAX_ROWS,
        html::MAX_ROWS + 5
    )));
    assert!(out.contains("--format csv"), "the note points at the CSV");
    assert!(out.contains("<td>&#39; =1+1</td>") && out.contains("<td>&#39;@owner</td>"), "formula-guarded");
    assert!(out.contains("<th>owner</th>"), "pass-through columns are shown");
}

#[test]
fn inventory_columns_named_like_report_columns_get_a_prefix() {
    let names = |extras: &[&str]| pass_through_names(&extras.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let cases: &[(&[&str], &[&str])] = &[
        (&["owner", "site"], &["owner", "site"]),
        (&["status", "detail", "change"], &["inventory_status", "inventory_detail", "inventory_change"]),
        (&["status_proxyshell", "status_other"], &["inventory_status_proxyshell", "status_other"]),
        (&["status", "inventory_status"], &["inventory_status", "inventory_inventory_status"]),
        (&["owner", "owner"], &["owner", "inventory_owner"]),
        (&["Status"], &["Status"]),
    ];
    for (extras, want) in cases {
        assert_eq!(names(extras), *want, "{extras:?}");
    }
}

#[test]
fn a_pass_through_status_column_reaches_every_format_under_its_prefix() {
    let r = row("15.1.2176.2", None, &["decommissioned", "see ticket"]);
    let csv_out = write(Format::Csv, std::slice::from_ref(&r), &["status", "detail"]);
    let mut rdr = csv::Reader::from_reader(csv_out.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let n = COLUMNS.len();
    assert_eq!(&header[n..], ["inventory_status", "inventory_detail"]);
    assert_eq!(header.iter().filter(|h| *h == "status").count(), 1);
    let rec = rdr.records().next().unwrap().unwrap();
    assert_eq!((&rec[2], &rec[n]), ("vulnerable", "decommissioned"));
    let jsonl = write(Format::Jsonl, std::slice::from_ref(&r), &["status", "detail"]);
    let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(jsonl.trim()).unwrap();
    assert_eq!(
        (obj["status"].as_str(), obj["inventory_status"].as_str()),
        (Some("vulnerable"), Some("decommissioned"))
    );
    assert_eq!(obj["inventory_detail"], "see ticket");
    let html = write(Format::Html, &[r], &["status", "detail"]);
    assert!(html.contains("<th>inventory_status</th><th>inventory_detail</th>"), "{html}");
    assert!(html.contains("<td>decommissioned</td><td>see ticket</td>"));
}

/// Issue 13: HTML styled every column whose name starts with `status_` as a
/// status, an inventory column such as `status_old` too; the schema knows
/// it is the inventory's.
#[test]
fn a_pass_through_column_named_status_something_is_not_styled_as_a_status() {
    let html = write(Format::Html, &[row("15.1.2176.9", None, &["vulnerable"])], &["status_old"]);
    assert!(html.contains("<th>status_old</th>"), "{html}");
    assert!(html.contains("<td class=\"s patched\">patched</td>"), "the row's own status is styled");
    assert!(html.contains("<td>vulnerable</td>") && !html.contains("class=\"s vulnerable\""), "{html}");
}

/// The `tls` cell is the probe's `TlsState::describe()`, empty when nothing
/// was probed; the summary counts legacy sessions from the typed state.
#[test]
fn the_tls_cell_is_the_typed_state_described_and_the_summary_counts_legacy_sessions() {
    let legacy = TlsState { cert: CertState::Verified, legacy: Some("TLSv1.0 ECDHE-RSA-AES256-SHA".into()) };
    let cases = [
        (None, ""),
        (Some(TlsState { cert: CertState::PlainHttp, legacy: None }), "plain-http"),
        (Some(TlsState { cert: CertState::Unverified("self-signed".into()), legacy: None }), "unverified: self-signed"),
        (Some(legacy.clone()), "verified; legacy TLSv1.0 ECDHE-RSA-AES256-SHA"),
    ];
    let mut summary = summary::Summary::default();
    for (tls, want) in cases {
        let r = Row { tls, ..row("15.1.2176.9", None, &[]) };
        assert_eq!(Column::Tls.cell(&r), want);
        summary.add(&r);
    }
    assert_eq!(summary.legacy_tls, 1, "only the legacy session counts");
    // A reason that merely reads like a legacy session is not one.
    let lookalike = TlsState { cert: CertState::Unverified("x; legacy y".into()), legacy: None };
    summary.add(&Row { tls: Some(lookalike), ..row("15.1.2176.9", None, &[]) });
    assert_eq!(summary.legacy_tls, 1);
}
