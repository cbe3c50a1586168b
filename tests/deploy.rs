//! The shipped alert rules and dashboard (deploy/prometheus, deploy/grafana):
//! `promtool check rules` accepts the rules (Debian's `prometheus` package;
//! `.ci/run` installs it), and every metric the rules and the dashboard
//! name is one that `scan --metrics` writes.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::Path;

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/prometheus/exchange-exposure.rules.yml");
const DASHBOARD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/grafana/exchange-exposure.json");

/// Every `exchange_exposure_*` name in a text.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("exchange_exposure_") {
        let name: String =
            rest[at..].chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect();
        rest = &rest[at + name.len()..];
        names.insert(name);
    }
    names
}

#[test]
fn promtool_accepts_the_alert_rules() {
    match std::process::Command::new("promtool").args(["check", "rules", RULES]).output() {
        Ok(out) => {
            let said = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
            assert!(said.contains("SUCCESS: 5 rules found"), "{said}");
        }
        Err(_) => {
            skipped_tool("promtool", "promtool is not installed (apt-get install prometheus): the rules check");
        }
    }
}

#[test]
fn every_metric_the_rules_and_the_dashboard_name_is_written_by_scan() {
    let dir = temp_dir("deploy-metrics");
    let fleet = simulate(&dir, "127.26.0.1", 2);
    let baseline = dir.join("baseline.csv");
    let metrics = dir.join("scan.prom");
    let (inv, ca) = (fleet.inventory.to_str().unwrap(), fleet.ca.to_str().unwrap());
    let out = run(&["scan", inv, "--ca-cert", ca, "-o", baseline.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let (b, m) = (baseline.to_str().unwrap(), metrics.to_str().unwrap());
    let out = run(&[
        "scan",
        inv,
        "--ca-cert",
        ca,
        "--baseline",
        b,
        "--metrics",
        m,
        "-o",
        &dir.join("r.csv").to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let written: BTreeSet<String> = std::fs::read_to_string(&metrics)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .map(String::from)
        .collect();
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(DASHBOARD).unwrap()).unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.iter().all(|p| !p["targets"].as_array().unwrap().is_empty()));
    for (file, text) in [(RULES, std::fs::read_to_string(RULES).unwrap()), (DASHBOARD, dashboard.to_string())] {
        let named = metric_names(&text);
        assert!(named.len() >= 4, "{file}: {named:?}");
        let missing: Vec<_> = named.difference(&written).collect();
        assert!(
            missing.is_empty(),
            "{}: {missing:?} are not written (written: {written:?})",
            Path::new(file).display()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
