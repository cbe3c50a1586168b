//! End-to-end: `merge` and `--baseline` read columns by name (issue 12).
//! Host-less rows with a build are judged offline: no network.

mod common;

use common::*;

#[test]
fn merge_fills_a_missing_shard_by_column_name_with_colliding_inventory_columns() {
    let dir = temp_dir("merge-names");
    let inv = dir.join("inv.csv");
    let mut text = String::from("build,status,detail,owner\n");
    for i in 0..12 {
        text.push_str(&format!("15.1.2176.2,retired-{i},=HYPERLINK(1),team {i}\n"));
    }
    std::fs::write(&inv, text).unwrap();
    let shard0 = dir.join("s0.csv");
    let out = run(&["scan", inv.to_str().unwrap(), "--shard", "0/2", "-o", shard0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let merged = dir.join("merged.csv");
    let merged_jsonl = dir.join("merged.jsonl");
    let out = run(&[
        "merge",
        "--inventory",
        inv.to_str().unwrap(),
        "-o",
        merged.to_str().unwrap(),
        "-o",
        merged_jsonl.to_str().unwrap(),
        shard0.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "a shard is missing: {}", String::from_utf8_lossy(&out.stderr));
    let rows = read_csv(&merged);
    // The second -o: the same rows as typed JSON Lines, the cells unguarded.
    let json: Vec<serde_json::Value> =
        std::fs::read_to_string(&merged_jsonl).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(json.len(), 12);
    for (i, row) in json.iter().enumerate() {
        assert_eq!(row["line"], i as u64 + 2);
        assert_eq!(row["inventory_detail"], "=HYPERLINK(1)");
        assert_eq!(row["status"], rows[i]["status"].as_str());
    }
    assert_eq!(rows.len(), 12);
    let scanned = read_csv(&shard0).len();
    assert!(scanned > 0 && scanned < 12, "{scanned}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["line"], (i + 2).to_string());
        assert_eq!(row["inventory_status"], format!("retired-{i}"), "{row:?}");
        assert_eq!(row["owner"], format!("team {i}"));
        assert_eq!(row["inventory_detail"], "'=HYPERLINK(1)", "guarded, scanned or not");
        assert!(matches!(row["status"].as_str(), "vulnerable" | "not-scanned"), "{row:?}");
    }
    assert_eq!(rows.iter().filter(|r| r["status"] == "not-scanned").count(), 12 - scanned);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn baseline_matches_host_less_rows_on_line_and_build_and_warns_about_other_tables() {
    let dir = temp_dir("baseline-hostless");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, "build,owner\n15.1.2176.2,a\n15.1.2176.9,b\n15.2.792.3,c\n").unwrap();
    let base = dir.join("base.csv");
    let out = run(&["scan", inv.to_str().unwrap(), "-q", "-o", base.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let again = dir.join("again.csv");
    let out =
        run(&["scan", inv.to_str().unwrap(), "--baseline", base.to_str().unwrap(), "-o", again.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let changes: Vec<String> = read_csv(&again).iter().map(|r| r["change"].clone()).collect();
    assert_eq!(changes, ["unchanged", "unchanged", "unchanged"], "each row against its own line: {stderr}");
    assert!(!stderr.contains("GONE") && !stderr.contains("warning"), "{stderr}");
    // Line 3 now names another build: a new row, and the old one is gone.
    std::fs::write(&inv, "build,owner\n15.1.2176.2,a\n15.0.1497.2,b\n15.2.792.3,c\n").unwrap();
    let out =
        run(&["scan", inv.to_str().unwrap(), "--baseline", base.to_str().unwrap(), "-o", again.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let changes: Vec<String> = read_csv(&again).iter().map(|r| r["change"].clone()).collect();
    assert_eq!(changes, ["unchanged", "new", "unchanged"]);
    assert!(stderr.contains("GONE from the inventory: line 3 (no host, build 15.1.2176.9) (was patched)"), "{stderr}");
    // Judged against more advisories than the baseline: said on stderr.
    let out = run(&["scan", inv.to_str().unwrap(), "--advisory", "all", "--baseline", base.to_str().unwrap(), "-q"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: the baseline was judged against proxylogon"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn merge_refuses_shards_that_do_not_belong_together_and_honours_format() {
    let dir = temp_dir("merge-refuse");
    let inv = dir.join("inv.csv");
    let mut text = String::from("build,owner\n");
    for i in 0..20 {
        text.push_str(&format!("15.1.2176.{},team {i}\n", if i % 2 == 0 { 2 } else { 9 }));
    }
    std::fs::write(&inv, &text).unwrap();
    let other = dir.join("other.csv");
    std::fs::write(&other, format!("{text}15.1.2176.2,extra\n")).unwrap();
    let shard = |name: &str, inventory: &std::path::Path, k: u32, extra: &[&str]| {
        let path = dir.join(name);
        let mut args = vec!["scan", inventory.to_str().unwrap(), "-q", "--shard"];
        let k = format!("{k}/2");
        args.push(&k);
        args.extend_from_slice(extra);
        args.extend(["-o", path.to_str().unwrap()]);
        let out = run(&args);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
        path
    };
    let s0 = shard("s0.csv", &inv, 0, &[]);
    let s1 = shard("s1.csv", &inv, 1, &[]);
    let s1_other = shard("s1-other.csv", &other, 1, &[]);
    let s1_all = shard("s1-all.csv", &inv, 1, &["--advisory", "all"]);
    let merge = |reports: &[&std::path::Path], extra: &[&str]| {
        let mut args = vec!["merge", "--inventory", inv.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.extend(reports.iter().map(|p| p.to_str().unwrap()));
        run(&args)
    };
    let refused = |reports: &[&std::path::Path], why: &str| {
        let out = merge(reports, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(why), "{why}: {stderr}");
        assert!(out.stdout.is_empty(), "refused: no report");
    };
    refused(&[&s0, &s1_other], "s1-other.csv was cut from another inventory");
    refused(&[&s0, &s0], "s0.csv are both shard 0/2");
    refused(&[&s0, &s1_all], "does not have the columns and format");
    // Other tables with the same columns: the first advisory's table file swapped.
    let s1_text = std::fs::read_to_string(&s1).unwrap();
    let s1_table = dir.join("s1-table.csv");
    std::fs::write(&s1_table, s1_text.replace("proxylogon-2021-03@", "proxylogon-2021-03@0")).unwrap();
    refused(&[&s0, &s1_table], "s1-table.csv was judged against proxylogon-2021-03@0");
    let bad_status = dir.join("s1-status.csv");
    std::fs::write(&bad_status, s1_text.replacen(",patched,", ",fine,", 1)).unwrap();
    refused(&[&s0, &bad_status], "s1-status.csv: inventory line");
    // A missing shard is named; its rows are not-scanned.
    let out = merge(&[&s0], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("shard 1/2 is missing"), "{stderr}");
    // --format: JSON Lines and HTML from CSV shards.
    let out = merge(&[&s0, &s1], &["--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 20);
    assert_eq!(rows[3]["owner"], "team 3");
    assert!(rows[0].get("shard").is_none(), "the merged report has no shard provenance");
    let out = merge(&[&s0, &s1], &["--format", "html"]);
    assert_eq!(out.status.code(), Some(1));
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("20 rows.") && html.contains("<td>team 19</td>"),
        "{html}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 13: merge found the statuses it counts for the exit status by the
/// name prefix `status_`, so an inventory column passed through as
/// `status_old` (not an advisory id, so not renamed) turned a clean merge
/// into findings (exit 1) and was coloured as a status in HTML. Columns are
/// now known by the report's schema, not by a prefix.
#[test]
fn a_pass_through_column_named_status_something_is_not_a_status() {
    let dir = temp_dir("merge-status-prefix");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, "build,status_old\n15.1.2176.9,vulnerable\n15.2.858.2,vulnerable\n").unwrap();
    let shard = dir.join("s0.csv");
    let out = run(&["scan", inv.to_str().unwrap(), "-q", "--shard", "0/1", "-o", shard.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "both builds are patched: {}", String::from_utf8_lossy(&out.stderr));
    let (merged, page) = (dir.join("merged.csv"), dir.join("merged.html"));
    let out = run(&[
        "merge",
        "--inventory",
        inv.to_str().unwrap(),
        "-q",
        "-o",
        merged.to_str().unwrap(),
        "-o",
        page.to_str().unwrap(),
        shard.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the inventory's column is no finding: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = read_csv(&merged);
    assert!(rows.iter().all(|r| r["status"] == "patched" && r["status_old"] == "vulnerable"), "{rows:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<td>vulnerable</td>"), "shown as plain text");
    assert!(!html.contains("<td class=\"s vulnerable\">"), "not styled as a status");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A shard row for a line the inventory lacks, or a second row for a line,
/// is refused (exit 2) naming the shard and the line: never dropped.
#[test]
fn merge_refuses_a_row_for_no_inventory_line_and_a_row_replacing_another() {
    let dir = temp_dir("merge-extra");
    let inv = dir.join("inv.csv");
    std::fs::write(&inv, "build,owner\n15.2.858.5,a\n15.2.858.5,b\n15.2.858.5,c\n").unwrap();
    let shard = dir.join("s0.csv");
    let out = run(&["scan", inv.to_str().unwrap(), "--shard", "0/1", "-o", shard.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let mut rdr = csv::Reader::from_path(&shard).unwrap();
    let header = rdr.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let line_at = header.iter().position(|c| c == "line").unwrap();
    let status_at = header.iter().position(|c| c == "status").unwrap();
    let tampered = |line: &str| {
        let mut row: Vec<String> = records[0].iter().map(String::from).collect();
        row[line_at] = line.into();
        row[status_at] = "vulnerable".into();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&header).unwrap();
        records.iter().for_each(|r| w.write_record(r).unwrap());
        w.write_record(&row).unwrap();
        w.into_inner().unwrap()
    };
    for (line, want) in [
        ("99999", "inventory line \"99999\", which the inventory does not have"),
        ("3", "a second row for inventory line 3"),
    ] {
        let bad = dir.join("bad.csv");
        std::fs::write(&bad, tampered(line)).unwrap();
        let merged = dir.join("merged.csv");
        let out = run(&[
            "merge",
            "--inventory",
            inv.to_str().unwrap(),
            "-o",
            merged.to_str().unwrap(),
            bad.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{line}: {stderr}");
        assert!(stderr.contains(want) && stderr.contains("bad.csv"), "{line}: {stderr}");
        assert!(!merged.exists(), "{line}: no merged report");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
