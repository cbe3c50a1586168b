//! Each rule against its positive case and its negative twin, on samples
//! written in the logs' documented layouts.

use super::*;

const HTTPPROXY_HEADER: &str = "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2106.013\r\n#Log-type: HttpProxy Logs\r\n#Date: 2021-02-26T00:00:00.000Z\r\n#Fields: DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method\r\n";

fn proxy_line(time: &str, stem: &str, anchor: &str, ua: &str, status: &str) -> String {
    format!(
        "{time},a1b2,15,1,2106,13,,Ecp,mail.corp.example,{stem},,,false,,,{anchor},{ua},203.0.113.7,EX01,{status},200,,POST\r\n"
    )
}

fn hunt(files: &[(&str, &str)], baseline: Option<&HashSet<String>>) -> (Vec<Finding>, Compromise, Vec<String>) {
    let rules = Rules::builtin();
    let mut hunter = Hunter::new(&rules, baseline);
    for (path, text) in files {
        hunter.file(path, &mut text.as_bytes()).unwrap();
    }
    (hunter.findings.clone(), hunter.verdict(), hunter.caveats())
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn cve_2021_26855_server_info_anchors_match_but_autodiscover_and_localhost_do_not() {
    let log = format!(
        "{HTTPPROXY_HEADER}{}{}{}{}",
        proxy_line(
            "2021-02-27T01:00:00.000Z",
            "/ecp/y.js",
            "ServerInfo~a]@EX01.corp.example:444/autodiscover/autodiscover.xml?#",
            "ExchangeServicesClient/0.0.0.0",
            "200"
        ),
        proxy_line(
            "2021-02-28T01:00:00.000Z",
            "/owa/auth/x.js",
            "ServerInfo~localhost/ecp/default.flt",
            "Mozilla",
            "200"
        ),
        proxy_line(
            "2021-03-02T03:14:15.000Z",
            "/ecp/y.js",
            "ServerInfo~a]@EX01.corp.example:444/mapi/emsmdb?#",
            "=HYPERLINK(\"http://x\")",
            "241"
        ),
        proxy_line("2021-03-05T01:00:00.000Z", "/owa/", "SMTP:user@corp.example", "Mozilla", "200"),
    );
    let (found, verdict, _) = hunt(&[("\\Logging\\HttpProxy\\Owa\\HttpProxy_2021030201-1.LOG", &log)], None);
    assert_eq!(ids(&found), ["cve-2021-26855-serverinfo"], "{found:?}");
    let f = &found[0];
    assert_eq!(
        (f.line, f.time.as_str(), f.client_ip.as_str(), f.http_status.as_str()),
        (Some(8), "2021-03-02T03:14:15.000Z", "203.0.113.7", "241")
    );
    assert_eq!(f.url, "/ecp/y.js");
    assert_eq!(f.cve, "CVE-2021-26855");
    // The attacker's user agent is kept as text (the writers guard the formula).
    assert_eq!(f.user_agent, "=HYPERLINK(\"http://x\")");
    assert_eq!(verdict, Compromise::IndicatorsFound(1));
}

#[test]
fn cve_2021_27065_reset_vdir_matches_only_in_the_ecp_proxy_log_with_status_200() {
    let hit = proxy_line(
        "2021-03-03T00:00:00.000Z",
        "/ecp/DDI/DDIService.svc/SetObject",
        "ServerInfo~a]@EX01:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#",
        "python",
        "200",
    );
    let failed = proxy_line(
        "2021-03-03T00:00:01.000Z",
        "/ecp/DDI/DDIService.svc/SetObject",
        "ServerInfo~a]@EX01:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#",
        "python",
        "500",
    );
    let log = format!("{HTTPPROXY_HEADER}{hit}{failed}");
    let (found, _, _) = hunt(&[("\\Logging\\HttpProxy\\Ecp\\HttpProxy_2021030300-1.LOG", &log)], None);
    let reset: Vec<&Finding> = found.iter().filter(|f| f.rule == "cve-2021-27065-reset-vdir").collect();
    assert_eq!(reset.len(), 1, "{found:?}");
    assert_eq!(reset[0].http_status, "200");
    // The same rows in another HttpProxy folder are not the ECP rule's.
    let (found, _, _) = hunt(&[("\\Logging\\HttpProxy\\Owa\\HttpProxy_2021030300-1.LOG", &log)], None);
    assert!(found.iter().all(|f| f.rule != "cve-2021-27065-reset-vdir"), "{found:?}");
}

#[test]
fn cve_2021_27065_set_vdir_with_markup_in_a_url_matches_and_a_plain_url_does_not() {
    let planted = "2021-03-03T05:46:21.785Z,EX01,Set-OabVirtualDirectory,\"-ExternalUrl 'http://f/<script language=\"\"JScript\"\" runat=\"\"server\"\">function Page_Load(){eval(Request[\"\"x\"\"])}</script>' -Identity 'OAB (Default Web Site)' \",OABVirtualDirectory\r\n";
    let honest = "2021-03-04T05:46:21.785Z,EX01,Set-OabVirtualDirectory,\"-ExternalUrl 'https://mail.corp.example/OAB' -Identity 'OAB (Default Web Site)'\",OABVirtualDirectory\r\n";
    let (found, _, _) =
        hunt(&[("\\Logging\\ECP\\Server\\ECPServer20210303-1.LOG", &format!("{planted}{honest}"))], None);
    assert_eq!(ids(&found), ["cve-2021-27065-set-vdir-url"], "{found:?}");
    assert_eq!(found[0].line, Some(1));
}

#[test]
fn cve_2021_26858_download_outside_the_oab_folder_matches_and_inside_does_not() {
    let outside = "2021-03-03T06:00:00.000Z,Warning,Download failed and temporary file 'C:\\inetpub\\wwwroot\\aspnet_client\\shell.aspx' needs to be removed.\r\n";
    let inside = "2021-03-03T07:00:00.000Z,Warning,Download failed and temporary file 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\temp\\x.tmp' needs to be removed.\r\n";
    let (found, _, _) =
        hunt(&[("\\Logging\\OABGeneratorLog\\OABGenerator20210303-1.LOG", &format!("{inside}{outside}"))], None);
    assert_eq!(ids(&found), ["cve-2021-26858-oab-download"], "{found:?}");
    assert!(found[0].detail.contains("aspnet_client\\shell.aspx"), "{:?}", found[0].detail);
    assert_eq!(found[0].line, Some(2));
}

#[test]
fn cve_2021_26857_um_cast_errors_match_in_csv_and_wevtutil_xml_exports() {
    let csv = "Level,Date and Time,Source,Event ID,Task Category\r\nError,3/3/2021 5:46:21 AM,MSExchange Unified Messaging,1022,UMWorkerProcess,\"An unhandled exception occurred\r\nSystem.InvalidCastException: Unable to cast object\"\r\nInformation,3/3/2021 5:47:21 AM,MSExchange Unified Messaging,1000,UMWorkerProcess,\"System.InvalidCastException in an information event\"\r\nError,3/4/2021 1:00:00 PM,MSExchange ADAccess,2102,General,\"System.InvalidCastException elsewhere\"\r\n";
    let (found, _, _) = hunt(&[("\\EventLogs\\Application.csv", csv)], None);
    assert_eq!(ids(&found), ["cve-2021-26857-um-cast"], "{found:?}");
    assert_eq!((found[0].line, found[0].time.as_str()), (Some(2), "2021-03-03T05:46:21"));
    let xml = r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="MSExchange Unified Messaging"/><EventID>1022</EventID><Level>2</Level><TimeCreated SystemTime="2021-03-03T05:46:21.785Z"/></System><EventData><Data>System.InvalidCastException: Unable to cast</Data></EventData></Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="MSExchange Unified Messaging"/><EventID>1000</EventID><Level>4</Level><TimeCreated SystemTime="2021-03-03T06:00:00.000Z"/></System><EventData><Data>System.InvalidCastException</Data></EventData></Event>"#;
    let (found, _, _) = hunt(&[("\\Application.xml", xml)], None);
    assert_eq!(ids(&found), ["cve-2021-26857-um-cast"], "{found:?}");
    assert_eq!(found[0].time, "2021-03-03T05:46:21.785Z");
}

#[test]
fn file_listings_show_web_shells_dumps_and_archives_but_not_product_files() {
    let listing = "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\4_0_30319\r\nC:\\inetpub\\wwwroot\\aspnet_client\\discover.aspx\r\nC:\\inetpub\\wwwroot\\aspnet_client\\readme.txt\r\nC:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\logon.aspx\r\nC:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\errorEE.aspx\r\nC:\\Windows\\Temp\\lsass.dmp\r\nC:\\Windows\\Temp\\lsass_notes.txt\r\nC:\\root\\lsass.exe.dmp\r\nC:\\ProgramData\\VSPerfMon\\cmd.7z\r\nC:\\Users\\admin\\Documents\\photos.zip\r\n";
    let (found, _, caveats) = hunt(&[("\\dir.txt", listing)], None);
    assert_eq!(ids(&found), ["webshell-aspnet-client", "lsass-dump", "lsass-dump", "programdata-archive"], "{found:?}");
    assert!(caveats.iter().any(|c| c.contains("--baseline")), "{caveats:?}");
    let baseline: HashSet<String> = ["owa\\auth\\logon.aspx".to_string()].into_iter().collect();
    let (found, _, caveats) = hunt(&[("\\dir.txt", listing)], Some(&baseline));
    let shells: Vec<&Finding> = found.iter().filter(|f| f.rule == "webshell-owa-auth").collect();
    assert_eq!(shells.len(), 1, "{found:?}");
    assert!(shells[0].detail.contains("errorEE.aspx"));
    assert!(!caveats.iter().any(|c| c.contains("--baseline")));
}

#[test]
fn coverage_decides_between_no_indicators_and_logs_too_young() {
    let old = format!(
        "{HTTPPROXY_HEADER}{}{}",
        proxy_line("2021-01-05T00:00:00.000Z", "/owa/", "SMTP:a@b", "M", "200"),
        proxy_line("2021-04-01T00:00:00.000Z", "/owa/", "SMTP:a@b", "M", "200")
    );
    let (_, verdict, _) = hunt(&[("\\Logging\\HttpProxy\\Owa\\a.log", &old)], None);
    assert_eq!(verdict.text(), "no-indicators (logs cover 2021-01-05–2021-04-01)");
    let young =
        format!("{HTTPPROXY_HEADER}{}", proxy_line("2021-03-20T00:00:00.000Z", "/owa/", "SMTP:a@b", "M", "200"));
    let (_, verdict, _) = hunt(&[("\\Logging\\HttpProxy\\Owa\\a.log", &young)], None);
    assert_eq!(verdict.text(), "logs-too-young");
    let (_, verdict, _) = hunt(&[("\\readme.md", "nothing")], None);
    assert_eq!(verdict, Compromise::NoLogs);
}

#[test]
fn findings_per_rule_are_capped_and_counted() {
    let mut log = String::from(HTTPPROXY_HEADER);
    for i in 0..(MAX_FINDINGS + 5) {
        log.push_str(&proxy_line(
            "2021-03-02T00:00:00.000Z",
            "/ecp/x.js",
            &format!("ServerInfo~a]@h{i}:444/x?#"),
            "M",
            "200",
        ));
    }
    let (found, verdict, caveats) = hunt(&[("\\Logging\\HttpProxy\\Ecp\\a.log", &log)], None);
    assert_eq!(found.len(), MAX_FINDINGS);
    assert_eq!(verdict, Compromise::IndicatorsFound(MAX_FINDINGS + 5));
    assert!(caveats.iter().any(|c| c.contains("5 more")), "{caveats:?}");
}
