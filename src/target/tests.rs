use super::*;

#[test]
fn cidr_ranges_parse_with_their_sizes() {
    // (input, first address, prefix, size); pure parsing, nothing is scanned.
    let cases: [(&str, &str, u8, u128); 7] = [
        ("10.1.2.0/28", "10.1.2.0", 28, 16),
        ("10.1.2.7/28", "10.1.2.0", 28, 16),
        ("192.0.2.1/32", "192.0.2.1", 32, 1),
        ("10.0.0.0/16", "10.0.0.0", 16, 65_536),
        ("10.0.0.0/15", "10.0.0.0", 15, 131_072),
        ("2001:db8::/120", "2001:db8::", 120, 256),
        ("0.0.0.0/0", "0.0.0.0", 0, 1 << 32),
    ];
    for (input, first, prefix, size) in cases {
        let net = Net::parse(input).unwrap();
        assert_eq!((net.first.to_string().as_str(), net.prefix, net.size()), (first, prefix, size), "{input}");
    }
    assert_eq!(Net::parse("::/0").unwrap().size(), u128::MAX);
    for bad in ["10.1.2.0/33", "10.1.2.0/", "10.1.2/24", "host.example/24", "2001:db8::/129", "10.0.0.0/-1"] {
        assert!(Net::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn range_cells_take_a_port_and_urls_are_not_ranges() {
    let net = |s: &str| Net::parse(s).unwrap();
    type Want = Option<Result<(Net, Option<u16>), ()>>;
    let cases: [(&str, Want); 7] = [
        ("10.1.2.0/30", Some(Ok((net("10.1.2.0/30"), None)))),
        ("10.1.2.0/30:8443", Some(Ok((net("10.1.2.0/30"), Some(8443))))),
        ("[2001:db8::/126]:8443", Some(Ok((net("2001:db8::/126"), Some(8443))))),
        ("2001:db8::/126", Some(Ok((net("2001:db8::/126"), None)))),
        ("10.1.2.0/30:0", Some(Err(()))),
        ("https://10.1.2.0/owa", None),
        ("mail.example.com", None),
    ];
    for (input, want) in cases {
        assert_eq!(parse_range(input).map(|r| r.map_err(|_| ())), want, "{input}");
    }
}
