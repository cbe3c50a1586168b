use super::*;

#[test]
fn advisories_default_to_proxylogon_and_all_means_every_one() {
    let ids = |items: &[&str]| -> Vec<String> {
        parse_advisories(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>(), &crate::dataset::DataSet::builtin())
            .unwrap()
            .into_iter()
            .map(|t| t.advisory)
            .collect()
    };
    assert_eq!(ids(&[]), ["proxylogon"]);
    assert_eq!(
        ids(&["all"]),
        ["proxylogon", "proxyshell", "proxynotshell", "owassrf", "cve-2024-21410", "cve-2025-53786", "cve-2026-42897"]
    );
    assert_eq!(ids(&["proxyshell", "proxylogon", "proxyshell"]), ["proxyshell", "proxylogon"]);
    let err = parse_advisories(&["proxyhell".into()], &crate::dataset::DataSet::builtin()).unwrap_err().to_string();
    assert!(err.contains("proxyhell") && err.contains("proxynotshell"), "{err}");
}

#[test]
fn exit_statuses_per_contract() {
    use Status::*;
    let config = Config::for_tests();
    let code = |statuses: &[Status], incomplete: bool, rows: Rows| {
        config.outcome(&Seen::statuses(statuses.iter().copied()), incomplete, rows).exit_code()
    };
    let cases: &[(&[Status], bool, Rows, u8)] = &[
        (&[Patched], false, Rows::Required, 0),
        (&[Patched, Vulnerable], false, Rows::Required, 1),
        (&[Unreachable, Patched], false, Rows::Required, 0),
        (&[Unreachable, Vulnerable], false, Rows::Required, 1),
        (&[Undetermined], false, Rows::Required, 0),
        (&[NotExchange], false, Rows::Required, 0),
        (&[], false, Rows::Required, 2),
        (&[InputError], false, Rows::Required, 2),
        (&[Unreachable], false, Rows::Required, 2),
        (&[InputError, Unreachable, NotScanned], false, Rows::Required, 2),
        (&[], false, Rows::MayBeNone, 0),
        (&[], false, Rows::Shard, 0),
        (&[Unreachable], false, Rows::Shard, 2),
        (&[Unreachable, Patched], false, Rows::Shard, 0),
        (&[Vulnerable], true, Rows::Required, 2),
    ];
    for (statuses, incomplete, rows, want) in cases {
        assert_eq!(code(statuses, *incomplete, *rows), *want, "{statuses:?} {incomplete} {rows:?}");
    }
    let Outcome::NothingJudged(why) = config.outcome(&Seen::statuses([InputError, Unreachable]), false, Rows::Required)
    else {
        panic!("nothing judged")
    };
    assert!(why.contains("every row is unreachable or input-error"), "{why}");
}

#[test]
fn accepted_rows_and_changes_decide_with_the_rest() {
    use Status::*;
    let config = Config { fail_on_change: vec![Change::New, Change::Regressed], ..Config::for_tests() };
    let seen = |statuses: &[Status], counted: &[Status], changes: &[Change]| Seen {
        statuses: statuses.iter().copied().collect(),
        counted: counted.iter().copied().collect(),
        changes: changes.iter().copied().collect(),
        open: Default::default(),
    };
    let cases = [
        // An accepted vulnerable row is judged but not counted.
        (seen(&[Vulnerable, Patched], &[Patched], &[]), 0),
        (seen(&[Vulnerable, Patched], &[Vulnerable, Patched], &[]), 1),
        // Every row accepted is still a run that judged something.
        (seen(&[Vulnerable], &[], &[]), 0),
        (seen(&[Patched], &[Patched], &[Change::Unchanged, Change::Fixed]), 0),
        (seen(&[Patched], &[Patched], &[Change::New]), 1),
        (seen(&[SuUnknown], &[SuUnknown], &[Change::Regressed]), 1),
        (seen(&[Unreachable], &[Unreachable], &[Change::New]), 2),
    ];
    for (seen, want) in cases {
        assert_eq!(config.outcome(&seen, false, Rows::Required).exit_code(), want, "{seen:?}");
    }
    let parsed = parse_fail_on_change(&["new".into(), " regressed".into()], true).unwrap();
    assert_eq!(parsed, [Change::New, Change::Regressed]);
    assert!(parse_fail_on_change(&["worse".into()], true).unwrap_err().to_string().contains("known: new"));
    assert!(parse_fail_on_change(&["new".into()], false).unwrap_err().to_string().contains("needs --baseline"));
    assert!(parse_fail_on_change(&[], false).unwrap().is_empty());
}

#[test]
fn errors_exit_2_and_a_closed_stdout_too() {
    let pipe = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe)).context("writing");
    let (code, message) = exit_status(&Err(pipe));
    assert_eq!(code, 2);
    assert!(message.unwrap().contains("stdout was closed"));
    assert_eq!(exit_status(&Err(anyhow::anyhow!("bad"))), (2, Some("error: bad".into())));
    assert_eq!(exit_status(&Ok(Outcome::Findings)), (1, None));
    assert_eq!(exit_status(&Ok(Outcome::Clean)), (0, None));
}

#[test]
fn color_follows_the_choice_the_terminal_and_no_color() {
    use std::ffi::OsStr;
    let cases: [(Color, bool, Option<&str>, bool); 8] = [
        (Color::Always, false, None, true),
        (Color::Always, true, Some("1"), true),
        (Color::Never, true, None, false),
        (Color::Never, false, None, false),
        (Color::Auto, true, None, true),
        (Color::Auto, false, None, false),
        (Color::Auto, true, Some("1"), false),
        (Color::Auto, true, Some(""), true),
    ];
    for (choice, tty, no_color, want) in cases {
        assert_eq!(use_color(choice, tty, no_color.map(OsStr::new)), want, "{choice:?} tty={tty} {no_color:?}");
    }
}

#[test]
fn rate_must_be_positive_and_finite() {
    let cases: [(Option<f64>, Option<Option<f64>>); 6] = [
        (None, Some(None)),
        (Some(5.0), Some(Some(5.0))),
        (Some(0.5), Some(Some(0.5))),
        (Some(0.0), None),
        (Some(-1.0), None),
        (Some(f64::NAN), None),
    ];
    for (rate, want) in cases {
        assert_eq!(parse_rate(rate).ok(), want, "{rate:?}");
    }
}

#[test]
fn fail_on_reads_statuses_and_rejects_others() {
    let ok = parse_fail_on(&["vulnerable".into(), " su-unknown".into(), "".into(), "config-unknown".into()]).unwrap();
    assert_eq!(ok, [Status::Vulnerable, Status::SuUnknown, Status::ConfigUnknown]);
    let err = parse_fail_on(&["vulnerabel".into()]).unwrap_err().to_string();
    assert!(err.contains("vulnerabel") && err.contains("su-unknown"), "{err}");
}

#[test]
fn connect_timeout_defaults_to_five_seconds_or_less() {
    let cases = [
        (None, 10.0, Some(5.0)),
        (None, 2.0, Some(2.0)),
        (None, 5.0, Some(5.0)),
        (Some(1.5), 10.0, Some(1.5)),
        (Some(30.0), 10.0, Some(30.0)),
        (Some(0.0), 10.0, None),
        (Some(-1.0), 10.0, None),
        (Some(f64::NAN), 10.0, None),
        (Some(601.0), 10.0, None),
    ];
    for (given, request, want) in cases {
        let got = connect_timeout(given, request).ok().map(|d| d.as_secs_f64());
        assert_eq!(got, want, "{given:?} {request}");
    }
}

fn probe_args() -> ProbeArgs {
    ProbeArgs {
        concurrency: 1024,
        timeout: 10.0,
        connect_timeout: None,
        user_agent: None,
        ca_cert: None,
        require_valid_tls: false,
        proxy: None,
        no_legacy_tls: false,
        max_connects: None,
        fixed_connect_timeout: false,
    }
}

#[test]
fn probe_flags_become_the_probers_settings() {
    let p = Probing::from_args(&probe_args()).unwrap();
    let s = &p.settings;
    assert_eq!((s.request_timeout, s.connect_timeout, s.host_timeout), (secs(10), secs(5), secs(40)));
    assert!(s.user_agent.starts_with("exchange-exposure/") && s.legacy_tls && !s.require_valid_tls);
    assert!(s.proxy.is_none() && p.ca.is_none());
    assert_eq!(p.concurrency, 1024);
    let proxied = ProbeArgs { proxy: Some("http://proxy.example:3128".into()), no_legacy_tls: true, ..probe_args() };
    let p = Probing::from_args(&proxied).unwrap();
    assert_eq!(p.settings.proxy.map(|e| (e.host, e.port)), Some(("proxy.example".into(), 3128)));
    assert!(!p.settings.legacy_tls);
    // Errors name the flag: config is where the command line is known.
    let refused = [
        (ProbeArgs { timeout: 0.0, ..probe_args() }, "--timeout"),
        (ProbeArgs { concurrency: 0, ..probe_args() }, "--concurrency"),
        (ProbeArgs { connect_timeout: Some(-1.0), ..probe_args() }, "--connect-timeout"),
        (ProbeArgs { user_agent: Some("a\nb".into()), ..probe_args() }, "--user-agent"),
        (ProbeArgs { proxy: Some("https://proxy.example".into()), ..probe_args() }, "--proxy"),
        (ProbeArgs { ca_cert: Some("/nonexistent/ca.pem".into()), ..probe_args() }, "--ca-cert"),
    ];
    for (args, flag) in refused {
        let err = format!("{:#}", Probing::from_args(&args).unwrap_err());
        assert!(err.contains(flag), "{flag}: {err}");
    }
}

#[test]
fn demo_probes_the_lab_fleet_as_its_old_flags_did() {
    // demo used to fabricate `--concurrency 32 --timeout 5`; `Probing::lab` is that, plus the fleet's CA.
    let old = Probing::from_args(&ProbeArgs { concurrency: 32, timeout: 5.0, ..probe_args() }).unwrap();
    let lab = Probing::lab("PEM");
    let times = |p: &Probing| (p.settings.request_timeout, p.settings.connect_timeout, p.settings.host_timeout);
    assert_eq!(times(&lab), times(&old));
    assert_eq!(lab.concurrency, old.concurrency);
    assert_eq!(lab.settings.user_agent, old.settings.user_agent);
    assert_eq!(
        (lab.settings.legacy_tls, lab.settings.require_valid_tls, lab.settings.proxy.is_none()),
        (true, false, true)
    );
    assert_eq!(lab.ca.map(|ca| ca.pem), Some(b"PEM".to_vec()));
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// `scan`'s settings from a command line, as clap reads it.
fn scan(args: &[&str]) -> Result<Scan> {
    use clap::Parser;
    let cli = crate::cli::Cli::try_parse_from(["exchange-exposure", "scan"].iter().chain(args)).unwrap();
    let Some(crate::cli::Command::Scan(args)) = cli.command else { panic!("not a scan") };
    Scan::from_args(*args)
}

#[test]
fn scan_flags_are_validated_into_settings() {
    let s = scan(&["inv.csv", "-t", "127.0.0.1", "--shard", "1/4", "--rate", "2.5", "--stats-every", "0"]).unwrap();
    assert_eq!(s.inventory.as_deref(), Some("inv.csv"));
    assert_eq!(s.targets.len(), 1);
    assert_eq!(s.shard, Some(Shard { index: 1, count: 4 }));
    assert_eq!((s.rate, s.stats_every), (Some(2.5), None));
    assert_eq!(scan(&["inv.csv"]).unwrap().stats_every, Some(secs(30)));
    for (args, want) in [
        (&["inv.csv", "--shard", "4/4"][..], "--shard \"4/4\": expected K/N"),
        (&["inv.csv", "--rate", "0"][..], "--rate 0"),
        (&["inv.csv", "--metrics", "-"][..], "--metrics needs a file"),
        (&["inv.csv", "--timeout", "700"][..], "--timeout 700: give a number of seconds above 0, at most 600"),
        (&["inv.csv", "--timeout", "0"][..], "--timeout 0: give a number of seconds above 0"),
        (&["inv.csv", "--connect-timeout", "0"][..], "--connect-timeout 0: give a number of seconds above 0"),
        (&["inv.csv", "--stats-every", "9223372036854775807"][..], "from 0 (no status lines) to 86400"),
        (&["inv.csv", "--stats-every", "86401"][..], "--stats-every 86401"),
    ] {
        let err = format!("{:#}", scan(args).unwrap_err());
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
