//! Name resolution under a resolver that never answers some names: in a
//! private network and mount namespace (`unshare -n -m`, as root), with its
//! own /etc/resolv.conf pointing at a DNS server on the namespace's
//! loopback (tests/fixtures/dns.py), 600 names that are never answered come
//! first in the inventory, then lab hosts whose names are answered at once.
//! (Names are under `example.`: the resolver answers `invalid.` itself,
//! with no record, as RFC 6761 says.) The silent names must cost only their own timeouts, and the others must
//! be judged, not starved into DNS timeouts behind them. Nothing leaves the
//! namespace: it has no interface but its own loopback.

mod common;

use common::*;
use std::process::Command;

#[test]
fn names_whose_resolver_never_answers_do_not_starve_the_others() {
    let unshare_works = Command::new("unshare").args(["-n", "-m", "true"]).status().is_ok_and(|s| s.success());
    if !unshare_works {
        common::skipped("needs root and unshare (network and mount namespaces)");
        return;
    }
    let dir = temp_dir("dns");
    std::fs::write(dir.join("resolv.conf"), "nameserver 127.0.0.1\noptions timeout:5 attempts:2\n").unwrap();
    let mut inventory = String::from("host,port\n");
    for i in 0..600 {
        inventory.push_str(&format!("silent{i}.lab.example,9443\n"));
    }
    for i in 0..10 {
        inventory.push_str(&format!("good{i}.lab.example,9443\n"));
    }
    std::fs::write(dir.join("inventory.csv"), inventory).unwrap();
    let dns = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dns.py");
    let script = format!(
        r#"set -e
ip link set lo up
mount --bind "$DIR/resolv.conf" /etc/resolv.conf
python3 {dns} & dns=$!
"$BIN" simulate --hosts 10 --first 127.20.0.1 --port 9443 --ca-out "$DIR/ca.pem" > "$DIR/sim.out" & sim=$!
for _ in $(seq 100); do grep -q ready "$DIR/sim.out" 2>/dev/null && break; sleep 0.1; done
status=0
"$BIN" scan "$DIR/inventory.csv" --timeout 2 --concurrency 1024 --ca-cert "$DIR/ca.pem" -o "$DIR/report.csv" --fail-on '' || status=$?
kill $dns $sim
exit $status
"#
    );
    let started = std::time::Instant::now();
    let out = Command::new("unshare")
        .args(["-n", "-m", "--", "sh", "-c", &script])
        .env("DIR", &dir)
        .env("BIN", BIN)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let rows = read_csv(&dir.join("report.csv"));
    assert_eq!(rows.len(), 610);
    for row in &rows[..600] {
        assert_eq!(row["status"], "unreachable", "{}", row["host"]);
        assert!(row["detail"].contains("DNS lookup"), "{}: {}", row["host"], row["detail"]);
    }
    for row in &rows[600..] {
        assert_ne!(row["status"], "unreachable", "{}: {}", row["host"], row["detail"]);
        // The lab certificates name *.lab.invalid only: the name went into SNI and was checked.
        assert_eq!(row["tls"], "unverified: certificate not issued for this host", "{}", row["host"]);
    }
    // Each silent name costs one 2 s timeout, all at once: nothing queued behind them.
    assert!(elapsed < std::time::Duration::from_secs(20), "took {elapsed:?}");
    std::fs::remove_dir_all(dir).unwrap();
}
