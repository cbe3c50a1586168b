//! The auditor's HTML report, rendered in a real browser: headless
//! Chromium (Debian's package; `.ci/run` installs it) loads the demo scan's
//! report, its DOM must show the chart and the vulnerable hosts, a
//! screenshot is saved (target/tmp/html-report.png), and it prints on A4.
//! Hostile cell values must come out as text, never as markup.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's Chromium, if installed. Under CI its absence is a failure:
/// `.ci/run` installs it.
fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.exists());
    if found.is_none() {
        skipped_tool("chromium", "chromium is not installed: the browser checks (CI runs them)");
    }
    found
}

fn headless(browser: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_demo_report_renders_with_its_chart_and_vulnerable_hosts() {
    let dir = temp_dir("html");
    let (inv, _) = example_inventory(&dir);
    let report = dir.join("report.html");
    let out = run(&["demo", "--inventory", inv.to_str().unwrap(), "-o", report.to_str().unwrap(), "--format", "html"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&report).unwrap();
    // Self-contained: nothing to fetch, no script.
    assert!(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"));
    assert!(
        html.contains("<svg") && html.contains("Hosts that need action (13)"),
        "10 vulnerable (three over legacy TLS), 2 ambiguous, 1 undetermined"
    );
    let Some(browser) = chromium() else { return };
    let url = format!("file://{}", report.display());
    let dom = headless(&browser, &dir.join("profile1"), &["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("Exchange exposure report"), "{dom}");
    assert!(dom.contains("<svg") && dom.contains("<rect"), "the chart is in the rendered DOM");
    assert!(
        dom.contains("127.1.0.1:") && dom.contains("15.1.2176.2") && dom.contains("15.1.2176.9"),
        "a vulnerable host and what it needs"
    );
    // Every column, the inventory's own too; support; the provenance.
    for column in ["<th>owner</th>", "<th>site</th>", "<th>asset_tag</th>", "<th>support</th>", "<th>open_cves</th>"] {
        assert!(dom.contains(column), "{column} in the rendered page");
    }
    assert!(dom.contains("<td>AT-1001</td>") && dom.contains("<td>messaging-team</td>"), "pass-through cells");
    assert!(dom.contains("id=\"provenance\"") && dom.contains("inventory sha256"), "a provenance section");
    let (sha, lines) = sha256_and_lines(&inv);
    assert!(dom.contains(&sha) && dom.contains(&format!("<td>{lines}</td>")), "the inventory's fingerprint");
    assert!(dom.contains("scanning host") && dom.contains("catalog date") && dom.contains("verdict options"));
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    let taken = headless(
        &browser,
        &dir.join("profile2"),
        &[&format!("--screenshot={}", shot.display()), "--window-size=1280,1400", &url],
    );
    let png =
        std::fs::read(&shot).unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&taken.stderr)));
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "a real page, {} bytes", png.len());
    eprintln!("screenshot: {}", shot.display());
    // It prints on A4: 595 x 842 points.
    let pdf = dir.join("report.pdf");
    headless(&browser, &dir.join("profile3"), &[&format!("--print-to-pdf={}", pdf.display()), &url]);
    let pdf = std::fs::read(&pdf).expect("a PDF");
    assert!(String::from_utf8_lossy(&pdf).contains("MediaBox [0 0 594.9"), "not A4");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The inventory's SHA-256 (by `sha256sum`) and line count, as the report should name them.
fn sha256_and_lines(path: &Path) -> (String, usize) {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    let sha = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_string();
    (sha, std::fs::read_to_string(path).unwrap().lines().count())
}

#[test]
fn accepted_rows_have_their_own_section_and_wide_tables_scroll() {
    let dir = temp_dir("html-accepted");
    let fleet = simulate(&dir, "127.7.11.1", 4);
    let hosts = read_csv(&fleet.inventory);
    let accept = dir.join("accept.csv");
    std::fs::write(
        &accept,
        format!(
            "host,port,advisory,reason,owner,expires\n{},{},proxylogon,isolated VLAN,secops,2099-03-31\n",
            hosts[0]["host"], hosts[0]["port"]
        ),
    )
    .unwrap();
    let report = dir.join("accepted.html");
    let out = run(&[
        "scan",
        fleet.inventory.to_str().unwrap(),
        "--ca-cert",
        fleet.ca.to_str().unwrap(),
        "--accept",
        accept.to_str().unwrap(),
        "-o",
        report.to_str().unwrap(),
    ]);
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
    let Some(browser) = chromium() else { return };
    let url = format!("file://{}", report.display());
    let dom = headless(&browser, &dir.join("profile"), &["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    let section = dom.split("Accepted risks (1)").nth(1).expect("an accepted-risks section");
    let section = section.split("</table>").next().unwrap();
    assert!(section.contains(&format!("{}:{}", hosts[0]["host"], hosts[0]["port"])), "{section}");
    assert!(section.contains("until 2099-03-31: isolated VLAN (secops)"), "{section}");
    assert!(dom.contains("<th>accepted</th>") && dom.contains("<th>personality</th>"), "every column");
    assert!(dom.contains("class=\"wide\""), "the wide table scrolls in its own box");
    // Still A4 in print, however wide the table.
    let pdf = dir.join("accepted.pdf");
    headless(&browser, &dir.join("profile2"), &[&format!("--print-to-pdf={}", pdf.display()), &url]);
    let pdf = std::fs::read(&pdf).expect("a PDF");
    assert!(String::from_utf8_lossy(&pdf).contains("MediaBox [0 0 594.9"), "not A4");
    drop(fleet);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn hostile_cell_values_stay_text() {
    let dir = temp_dir("html-hostile");
    let report = dir.join("hostile.html");
    let hostile = "<img src=x onerror=alert(1)>";
    let out = run(&["check", "--format", "html", "15.1.2176.2", hostile]);
    std::fs::write(&report, &out.stdout).unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(!html.contains("<img"), "escaped in the file");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    let Some(browser) = chromium() else { return };
    let dom = headless(&browser, &dir.join("profile"), &["--dump-dom", &format!("file://{}", report.display())]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("cannot read build"), "{dom}");
    assert!(!dom.contains("<img"), "no element was made from the cell: {dom}");
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"), "shown as text");
    std::fs::remove_dir_all(dir).unwrap();
}
