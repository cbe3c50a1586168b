use super::*;
use crate::inventory::Entry;

fn range_entry(text: &str) -> Entry {
    Entry { line: 7, extras: vec!["owner".into()], ..crate::inventory::target(7, text) }
}

#[test]
fn ranges_expand_to_one_row_per_address_with_the_range_line() {
    let rows: Vec<Entry> = Expand::default().entry(range_entry("10.1.2.0/30:8443")).collect();
    let hosts: Vec<(&str, Option<u16>, u64)> = rows.iter().map(|e| (e.host.as_str(), e.port, e.line)).collect();
    assert_eq!(
        hosts,
        [
            ("10.1.2.0", Some(8443), 7),
            ("10.1.2.1", Some(8443), 7),
            ("10.1.2.2", Some(8443), 7),
            ("10.1.2.3", Some(8443), 7)
        ]
    );
    assert!(rows.iter().all(|e| matches!(e.kind, Kind::Probe { .. }) && e.extras == ["owner"]));
    let v6: Vec<String> = Expand::default().entry(range_entry("2001:db8::fe/127")).map(|e| e.host).collect();
    assert_eq!(v6, ["2001:db8::fe", "2001:db8::ff"]);
    // Not a range: passed through unchanged.
    let single = range_entry("192.0.2.1");
    assert_eq!(Expand::default().entry(single.clone()).collect::<Vec<_>>(), [single]);
}

#[test]
fn ranges_over_the_cap_are_input_errors_unless_allowed() {
    for (text, allow_large, rows) in
        [("10.0.0.0/16", false, 65_536), ("10.0.0.0/15", false, 1), ("10.0.0.0/15", true, 131_072)]
    {
        let out: Vec<Entry> = Expand { allow_large }.entry(range_entry(text)).collect();
        assert_eq!(out.len(), rows, "{text} allow_large={allow_large}");
        if rows == 1 {
            let Kind::Invalid(why) = &out[0].kind else { panic!("{text}: {:?}", out[0].kind) };
            assert!(why.contains("131072 addresses") && why.contains("--allow-large"), "{why}");
        }
    }
    let v6 = Expand::default().entry(range_entry("2001:db8::/64")).collect::<Vec<_>>();
    assert!(matches!(&v6[..], [Entry { kind: Kind::Invalid(_), .. }]), "{v6:?}");
    let err = from_arguments(&["10.0.0.0/8".into()], Expand::default()).unwrap_err().to_string();
    assert!(err.contains("--allow-large"), "{err}");
}

#[test]
fn exclusions_match_addresses_ranges_and_names() {
    let exclude = Exclude::parse(&["10.1.2.0/30, 192.0.2.9".into(), "Mail.Example.com,2001:db8::1".into()]).unwrap();
    let cases = [
        ("10.1.2.3", true),
        ("10.1.2.4", false),
        ("192.0.2.9", true),
        ("192.0.2.10", false),
        ("mail.example.com", true),
        ("MAIL.example.com.", true),
        ("mail2.example.com", false),
        ("2001:db8::1", true),
        ("[2001:db8::1]", true),
        ("2001:db8::2", false),
    ];
    for (host, want) in cases {
        assert_eq!(exclude.matches(host), want, "{host}");
    }
    let dir = std::env::temp_dir().join(format!("xx-exclude-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("exclude.txt");
    std::fs::write(&file, "# change freeze\n10.9.0.0/24 # lab\nold.example.com, 10.8.0.1\n").unwrap();
    let from_file = Exclude::parse(&[format!("@{}", file.display())]).unwrap();
    assert!(from_file.matches("10.9.0.200") && from_file.matches("old.example.com") && from_file.matches("10.8.0.1"));
    assert!(!from_file.matches("10.8.0.2"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(Exclude::parse(&["bad host!".into()]).is_err());
    assert!(Exclude::parse(&["@/nonexistent/exclude-list".into()]).is_err());
}

#[test]
fn kept_entries_are_counted_only_when_left_out() {
    let exclude = Exclude::parse(&["10.1.2.1".into()]).unwrap();
    let rows: Vec<Entry> = Expand::default().entry(range_entry("10.1.2.0/30")).filter(|e| exclude.keep(e)).collect();
    assert_eq!(rows.iter().map(|e| e.host.as_str()).collect::<Vec<_>>(), ["10.1.2.0", "10.1.2.2", "10.1.2.3"]);
    assert_eq!(exclude.excluded(), 1);
    assert!(Exclude::default().keep(&rows[0]));
}
