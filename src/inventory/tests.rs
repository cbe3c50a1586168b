use super::*;
use crate::shard::Shard;

fn read(text: &str) -> (Vec<String>, Vec<Entry>) {
    let reader = Reader::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec()))).unwrap();
    let extras = reader.extra_columns.clone();
    (extras, reader.map(Result::unwrap).collect())
}

fn ep(host: &str, port: u16, https: bool) -> Endpoint {
    Endpoint::new(host, port, https)
}

fn endpoint(e: &Entry) -> &Endpoint {
    match &e.kind {
        Kind::Probe { endpoint, .. } => endpoint,
        other => panic!("line {}: {other:?}", e.line),
    }
}

fn why(e: &Entry) -> &str {
    match &e.kind {
        Kind::Invalid(why) => why,
        other => panic!("line {}: {other:?}", e.line),
    }
}

#[test]
fn header_columns_and_pass_through() {
    let (extras, rows) = read(
        "hostname,owner,port,site,build\nmail1.corp.test,alice,8443,Berlin,\nmail2.corp.test,bob,,Paris,15.1.2176.9\n",
    );
    assert_eq!(extras, ["owner", "site"]);
    assert_eq!(endpoint(&rows[0]), &ep("mail1.corp.test", 8443, true));
    assert_eq!(rows[0].extras, ["alice", "Berlin"]);
    assert_eq!((rows[0].line, rows[1].line), (2, 3));
    match &rows[1].kind {
        Kind::Probe { endpoint, build } => {
            assert_eq!(endpoint, &ep("mail2.corp.test", 443, true));
            assert_eq!(build.unwrap().to_string(), "15.1.2176.9");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_host_column_name_is_recognised() {
    for name in ["host", "Hostname", "FQDN", "address", "ip"] {
        let (_, rows) = read(&format!("{name},note\n127.0.0.1,x\n"));
        assert_eq!(endpoint(&rows[0]), &ep("127.0.0.1", 443, true), "{name}");
    }
}

#[test]
fn url_overrides_host_port_and_scheme() {
    let (_, rows) = read("host,port,url\nmail,8443,http://127.0.0.2:8080/owa/\nmail,,https://[::1]/\n");
    assert_eq!(endpoint(&rows[0]), &ep("127.0.0.2", 8080, false));
    assert_eq!(rows[0].host, "mail", "the report shows the inventory's host");
    assert_eq!(endpoint(&rows[1]), &ep("::1", 443, true));
}

#[test]
fn build_without_host_is_assessed_offline() {
    let (_, rows) = read("host,build\n,15.2.858.2\n");
    assert!(matches!(rows[0].kind, Kind::Offline(b) if b.to_string() == "15.2.858.2"));
}

#[test]
fn messy_files() {
    let text = "\u{feff}host;port;owner\r\n127.0.0.1;8443;\"a;b\"\r\n\r\n[::1]:9443;;c\r\n::1;444;d\r\n";
    let (extras, rows) = read(text);
    assert_eq!(extras, ["owner"]);
    assert_eq!(rows.len(), 3, "blank lines are not rows");
    assert_eq!(endpoint(&rows[0]), &ep("127.0.0.1", 8443, true));
    assert_eq!(rows[0].extras, ["a;b"]);
    assert_eq!(endpoint(&rows[1]), &ep("::1", 9443, true));
    assert_eq!(endpoint(&rows[2]), &ep("::1", 444, true));
    assert_eq!(rows[2].line, 5);
    let (_, tabs) = read("host\tport\n127.0.0.1\t8443\n");
    assert_eq!(endpoint(&tabs[0]), &ep("127.0.0.1", 8443, true));
}

#[test]
fn headerless_one_target_per_line() {
    let (extras, rows) = read("127.0.0.1\n127.0.0.2:8443\nhttps://127.0.0.3:9443/\n\nmail.corp.test\n");
    assert!(extras.is_empty());
    let got: Vec<&Endpoint> = rows.iter().map(endpoint).collect();
    assert_eq!(
        got,
        [
            &ep("127.0.0.1", 443, true),
            &ep("127.0.0.2", 8443, true),
            &ep("127.0.0.3", 9443, true),
            &ep("mail.corp.test", 443, true)
        ]
    );
    assert_eq!(rows[0].line, 1);
    assert_eq!(rows[3].line, 5);
    // Two fields without a header: not guessed at.
    let (_, rows) = read("127.0.0.1,8443\n");
    assert!(why(&rows[0]).contains("2 fields in a file without a header row"), "{:?}", rows[0]);
}

#[test]
fn bad_rows_become_errors_naming_line_and_problem() {
    let text = "host,port,build,owner\n,,,a\n127.0.0.1,70000,,b\n127.0.0.1,0,,c\n127.0.0.1,x,,d\nbad host,,,e\n127.0.0.1,,15.x,f\nhttps://,,,g\nftp://127.0.0.1/,,,h\n[::1,,,i\n127.0.0.1,443,,j,extra\n127.0.0.1:99999,,,k\n::zz,,,l\n";
    let (_, rows) = read(text);
    let cases = [
        "no host, url or build",
        "port \"70000\" is not a number from 1 to 65535",
        "port \"0\"",
        "port \"x\"",
        "\"bad host\" is not a host name",
        "build column: cannot read build \"15.x\"",
        "not a URL",
        "only http and https",
        "unclosed '['",
        "5 fields where the header has 4",
        "port \"99999\"",
        "not an IPv6 address",
    ];
    assert_eq!(rows.len(), cases.len());
    for (i, (row, want)) in rows.iter().zip(cases).enumerate() {
        let why = why(row);
        assert!(why.starts_with(&format!("line {}: ", i + 2)), "{why}");
        assert!(why.contains(want), "{why} / {want}");
    }
    assert_eq!(rows[0].extras, ["a"], "an invalid row keeps its pass-through cells");
}

#[test]
fn bytes_that_are_not_utf8_are_read_as_windows_1252_and_said_so() {
    let reader =
        Reader::new(Box::new(std::io::Cursor::new(b"host,owner\n127.0.0.1,M\xfcller \x80\n".to_vec()))).unwrap();
    let note = reader.note();
    let rows: Vec<Entry> = reader.map(Result::unwrap).collect();
    assert_eq!(rows[0].extras, ["Müller €"]);
    assert!(note.get().unwrap().contains("read as Windows-1252 (the first: line 2)"));
}

#[test]
fn utf16_exports_are_read() {
    let text = "host,owner\r\n127.0.0.1,Müller\r\n";
    let bytes: Vec<u8> = [0xff, 0xfe].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let reader = Reader::new(Box::new(std::io::Cursor::new(bytes))).unwrap();
    assert!(reader.note().get().unwrap().contains("UTF-16 LE"));
    let rows: Vec<Entry> = reader.map(Result::unwrap).collect();
    assert_eq!(endpoint(&rows[0]), &ep("127.0.0.1", 443, true));
    assert_eq!((rows[0].line, rows[0].extras.as_slice()), (2, ["Müller".to_string()].as_slice()));
}

#[test]
fn line_endings_comments_and_real_line_numbers() {
    for text in [
        "# exported 2026-12-01\nhost,owner\n127.0.0.1,a\n\n# a comment\n127.0.0.2,b\n",
        "# exported 2026-12-01\r\nhost,owner\r\n127.0.0.1,a\r\n\r\n# a comment\r\n127.0.0.2,b\r\n",
        "# exported 2026-12-01\rhost,owner\r127.0.0.1,a\r\r# a comment\r127.0.0.2,b\r",
    ] {
        let (extras, rows) = read(text);
        assert_eq!(extras, ["owner"], "{text:?}");
        let got: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.host.as_str())).collect();
        assert_eq!(got, [(3, "127.0.0.1"), (6, "127.0.0.2")], "{text:?}");
    }
}

#[test]
fn a_stray_quote_costs_its_own_line_only() {
    let mut text = String::from("host,owner\n127.0.0.1,\"ops\n");
    for i in 0..1000 {
        text.push_str(&format!("127.0.{}.{},\"team, {i}\"\n", i / 250, i % 250));
    }
    let (_, rows) = read(&text);
    assert_eq!(rows.len(), 1001);
    assert!(why(&rows[0]).starts_with("line 2: a quoted cell is not closed"), "{:?}", rows[0]);
    assert_eq!(rows[1000].line, 1002);
    assert_eq!(rows[1000].extras, ["team, 999"]);
}

#[test]
fn a_line_over_the_cap_is_an_input_error() {
    let long = "x".repeat(lines::MAX_LINE + 10);
    let (_, rows) = read(&format!("host,owner\n127.0.0.1,{long}\n127.0.0.2,b\n"));
    assert!(why(&rows[0]).starts_with("line 2: 1048596 bytes, longer than"), "{}", why(&rows[0]));
    assert_eq!((rows[1].line, rows[1].host.as_str()), (3, "127.0.0.2"));
}

#[test]
fn a_header_without_a_host_column_is_an_error_naming_what_it_has() {
    let err = Reader::new(Box::new(std::io::Cursor::new(b"server,owner\nmail1,x\n".to_vec()))).err().unwrap();
    let err = err.to_string();
    for want in ["\"server\", \"owner\"", "host, hostname, fqdn, dns_name, address, ip", "--host-column"] {
        assert!(err.contains(want), "{err}");
    }
    let input = Box::new(std::io::Cursor::new(b"Server,owner\n127.0.0.1,x\n".to_vec()));
    let rows: Vec<Entry> = Reader::with_host_column(input, Some("server")).unwrap().map(Result::unwrap).collect();
    assert_eq!(endpoint(&rows[0]), &ep("127.0.0.1", 443, true));
    assert_eq!(rows[0].extras, ["x"]);
    let input = Box::new(std::io::Cursor::new(b"host,owner\n".to_vec()));
    let err = Reader::with_host_column(input, Some("server")).err().unwrap().to_string();
    assert!(err.contains("--host-column \"server\"") && err.contains("\"host\", \"owner\""), "{err}");
}

#[test]
fn shards_split_exactly_once_and_keep_a_host_together() {
    let mut text = String::from("host,port\n");
    for i in 0..300 {
        text.push_str(&format!("10.0.{}.{},443\n", i / 200, i % 200));
    }
    text.push_str("10.0.0.5,443\n,\n");
    let (_, rows) = read(&text);
    for n in [1, 2, 3, 7] {
        let shards: Vec<Shard> = (0..n).map(|k| Shard::parse(&format!("{k}/{n}")).unwrap()).collect();
        for row in &rows {
            assert_eq!(shards.iter().filter(|s| s.has(row)).count(), 1, "{row:?} in {n} shards");
        }
        let sizes: Vec<usize> = shards.iter().map(|s| rows.iter().filter(|r| s.has(r)).count()).collect();
        assert!(sizes.iter().all(|&c| c > 302 / n / 2), "uneven split {sizes:?}");
    }
    let two = Shard::parse("1/2").unwrap();
    assert_eq!(two.has(&rows[5]), two.has(&rows[300]), "duplicate host, same shard");
    for bad in ["", "1", "2/2", "0/0", "a/b", "-1/2"] {
        assert!(Shard::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_url_port_outside_1_to_65535_is_an_input_error() {
    let cases = [
        ("https://127.0.0.1:65536/", Err("port \"65536\" is not a number from 1 to 65535")),
        ("https://127.0.0.1:99999999999/", Err("port \"99999999999\"")),
        ("https://127.0.0.1:0/", Err("port \"0\"")),
        ("https://[::1]:70000/", Err("port \"70000\"")),
        ("https://user:pw@127.0.0.1:70000/", Err("port \"70000\"")),
        ("https://127.0.0.1:65535/", Ok(65535)),
        ("https://[::1]/", Ok(443)),
        ("http://127.0.0.1/", Ok(80)),
        ("https://127.0.0.1:/", Ok(443)),
    ];
    for (url, want) in cases {
        match (parse_target(url, None), want) {
            (Ok(endpoint), Ok(port)) => assert_eq!(endpoint.port, port, "{url}"),
            (Err(why), Err(part)) => assert!(why.contains(part), "{url}: {why}"),
            (got, want) => panic!("{url}: {got:?}, wanted {want:?}"),
        }
    }
}

#[test]
fn an_address_and_a_name_on_one_row_connect_to_the_address_and_present_the_name() {
    let read = |text: &str| -> Vec<Entry> {
        Reader::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec()))).unwrap().map(Result::unwrap).collect()
    };
    let ip = |s: &str| Some(s.parse::<std::net::IpAddr>().unwrap());
    // (inventory, report host, name presented, address connected to)
    let cases: &[(&str, &str, &str, Option<std::net::IpAddr>)] = &[
        ("host,hostname\n127.0.0.5,mail.corp.example.\n", "127.0.0.5", "mail.corp.example", ip("127.0.0.5")),
        ("ip,fqdn\n127.0.0.5,mail.corp.example\n", "mail.corp.example", "mail.corp.example", ip("127.0.0.5")),
        ("address,dns_name\n::1,mail.corp.example\n", "mail.corp.example", "mail.corp.example", ip("::1")),
        ("hostname,ip\nmail.corp.example,127.0.0.5\n", "mail.corp.example", "mail.corp.example", ip("127.0.0.5")),
        // One column only, or a second cell that is not what it claims: as before.
        ("host\nmail.corp.example\n", "mail.corp.example", "mail.corp.example", None),
        ("host,hostname\n127.0.0.5,\n", "127.0.0.5", "127.0.0.5", None),
        ("host,hostname\n127.0.0.5,not a name\n", "127.0.0.5", "127.0.0.5", None),
        ("hostname,ip\nmail.corp.example,n/a\n", "mail.corp.example", "mail.corp.example", None),
        // A URL says what to present; an address beside it says where.
        ("url,ip\nhttps://mail.corp.example:8443/,127.0.0.5\n", "127.0.0.5", "mail.corp.example", ip("127.0.0.5")),
        ("url,hostname\nhttps://127.0.0.5/,mail.corp.example\n", "mail.corp.example", "127.0.0.5", None),
    ];
    for (text, host, name, connect) in cases {
        let rows = read(text);
        let e = endpoint(&rows[0]);
        assert_eq!((rows[0].host.as_str(), e.host.as_str(), e.connect), (*host, *name, *connect), "{text}");
        assert_eq!(e.address(), connect.or_else(|| e.host.parse().ok()), "{text}");
    }
}

#[test]
fn a_quoted_cell_may_hold_line_breaks_of_any_kind() {
    for ending in ["\n", "\r\n", "\r"] {
        let text = format!(
            "host,build,note{e},15.1.2176.2,\"multi{e}line note\"{e}127.0.0.1,,\"a\rb\"{e}127.0.0.2,,\"x{e}{e}y\"{e}127.0.0.3,,z{e}",
            e = ending
        );
        let (extras, rows) = read(&text);
        assert_eq!(extras, ["note"], "{text:?}");
        let got: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.extras[0].as_str())).collect();
        // A bare CR is a line break too: rows are numbered as the file's lines.
        let want = [
            (2, format!("multi{ending}line note")),
            (4, "a\rb".into()),
            (6, format!("x{ending}{ending}y")),
            (9, "z".into()),
        ];
        let want: Vec<(u64, &str)> = want.iter().map(|(n, s)| (*n, s.as_str())).collect();
        assert_eq!(got, want, "{text:?}");
        assert!(matches!(rows[0].kind, Kind::Offline(b) if b.to_string() == "15.1.2176.2"), "{:?}", rows[0]);
    }
}

#[test]
fn an_unclosed_quote_past_the_bound_costs_its_own_line_only() {
    // A stray quote followed by more lines than a cell may span: the line
    // with it is an input error, and every line after it is read afresh.
    let mut text = String::from("host,owner\n127.0.0.1,\"ops\n");
    for i in 0..(MAX_RECORD_LINES + 5) {
        text.push_str(&format!("127.1.{}.{},team {i}\n", i / 250, i % 250));
    }
    let (_, rows) = read(&text);
    assert_eq!(rows.len(), MAX_RECORD_LINES + 6);
    assert!(why(&rows[0]).starts_with("line 2: a quoted cell is not closed"), "{:?}", rows[0]);
    assert_eq!((rows[1].line, rows[1].extras[0].as_str()), (3, "team 0"));
    // A quoted cell cut short by the end of the file: the same.
    let (_, rows) = read("host,owner\n127.0.0.1,\"ops\n127.0.0.2,b\n");
    assert!(why(&rows[0]).starts_with("line 2: a quoted cell is not closed"), "{:?}", rows[0]);
    assert_eq!((rows[1].line, rows[1].host.as_str()), (3, "127.0.0.2"));
}
