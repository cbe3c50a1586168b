//! End-to-end: a workbook beside other reports never costs them. A
//! pass-through cell longer than Excel's cell limit is cut in the workbook
//! (which says so) and kept whole in the CSV. Host-less rows with a build
//! are judged offline: no network.

mod common;

use common::*;

#[test]
fn a_cell_over_excels_limit_costs_no_report() {
    let dir = temp_dir("workbook-long");
    let inv = dir.join("inv.csv");
    let note = "n".repeat(40_000);
    std::fs::write(&inv, format!("build,note\n15.1.2176.2,{note}\n")).unwrap();
    let (csv, xlsx) = (dir.join("r.csv"), dir.join("r.xlsx"));
    let out = run(&["scan", inv.to_str().unwrap(), "-o", csv.to_str().unwrap(), "-o", xlsx.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the vulnerable row decides: {stderr}");
    assert_eq!(read_csv(&csv)[0]["note"], note, "the CSV keeps the cell whole");
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"), "the workbook is written");
    std::fs::remove_dir_all(&dir).unwrap();
}
