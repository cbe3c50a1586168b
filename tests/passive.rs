//! End-to-end: `import` and `hunt` on samples written for this project
//! from the documented formats (Shodan's banner, Censys' host record,
//! HealthChecker's Export-Clixml results, Exchange's HttpProxy, ECP and
//! OABGenerator logs, a file listing), through the real binary. Nothing is
//! contacted: every input is a file in a temporary folder.

mod common;

use common::*;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

fn rows(out: &std::process::Output) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let headers = rdr.headers().unwrap().clone();
    rdr.records().map(|r| headers.iter().map(String::from).zip(r.unwrap().iter().map(String::from)).collect()).collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const SHODAN: &str = concat!(
    // An X-OWA-Version header in the raw response head: a full build.
    r#"{"ip_str":"192.0.2.10","port":443,"timestamp":"2021-03-05T10:00:00.123456","hostnames":["mail.example.org"],"org":"=cmd|' /C calc'!A0","asn":"AS64500","data":"HTTP/1.1 302 Found\r\nLocation: https://mail.example.org/owa/\r\nX-OWA-Version: 15.1.2176.2\r\nX-FEServer: EX01\r\n\r\n","http":{"status":302,"html":"","location":"/"},"ssl":{"cert":{"subject":{"CN":"mail.example.org"}}}}"#,
    "\n",
    // The logon page's resource paths only: the CU, never a guessed SU.
    r#"{"ip_str":"192.0.2.11","port":443,"timestamp":"2021-03-06T10:00:00.000000","hostnames":[],"org":"Example Org","asn":"AS64500","data":"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n","http":{"status":200,"title":"Outlook","location":"/owa/auth/logon.aspx?url=https%3a%2f%2fmail%2fowa%2f","html":"<html><head><link rel=\"shortcut icon\" href=\"/owa/auth/15.1.2176/themes/resources/favicon.ico\"></head><body><script>var a = OwaPage = ASP.auth_logon_aspx;</script></body></html>"}}"#,
    "\n",
    // IIS's default page: no Exchange marker at all.
    r#"{"ip_str":"192.0.2.12","port":80,"timestamp":"2021-03-06T11:00:00.000000","data":"HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\n\r\n","http":{"status":200,"title":"IIS Windows Server","html":"<html><head><title>IIS Windows Server</title></head></html>"}}"#,
    "\n",
    // Only a favicon's hash.
    r#"{"ip_str":"192.0.2.13","port":443,"timestamp":"2021-03-07T11:00:00.000000","http":{"favicon":{"hash":442749392}}}"#,
    "\n",
    "\n",
    // A record cut off mid-way.
    r#"{"ip_str":"192.0.2.14","port":443,"#,
    "\n",
);

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn shodan_banners_are_judged_by_the_prober_s_markers() {
    let dir = temp_dir("shodan");
    let export = dir.join("export.json");
    write(&export, SHODAN);
    let inventory = dir.join("follow-up.csv");
    let out = run(&[
        "import",
        "shodan",
        export.to_str().unwrap(),
        "--stale-after",
        "30",
        "--inventory-out",
        inventory.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "a vulnerable build: {}", stderr(&out));
    let rows = rows(&out);
    let by_host: HashMap<&str, &HashMap<String, String>> = rows.iter().map(|r| (r["host"].as_str(), r)).collect();
    let header = by_host["192.0.2.10"];
    assert_eq!(
        (header["status"].as_str(), header["build"].as_str(), header["precision"].as_str()),
        ("vulnerable", "15.1.2176.2", "full")
    );
    assert_eq!(
        (header["source"].as_str(), header["checked_at"].as_str(), header["port"].as_str()),
        ("shodan", "2021-03-05T10:00:00Z", "443")
    );
    assert_eq!(
        (header["fe_servers"].as_str(), header["cert_names"].as_str(), header["hostnames"].as_str()),
        ("EX01", "mail.example.org", "mail.example.org")
    );
    assert_eq!((header["asn"].as_str(), header["stale"].as_str(), header["tls"].as_str()), ("AS64500", "yes", ""));
    assert!(
        header["detail"].contains("recorded by shodan at 2021-03-05T10:00:00Z; from X-OWA-Version"),
        "{}",
        header["detail"]
    );
    // The organisation is attacker-influenced text: read back as it was, written formula-guarded.
    assert_eq!(header["org"], "'=cmd|' /C calc'!A0");
    let page = by_host["192.0.2.11"];
    assert_eq!(
        (page["status"].as_str(), page["build"].as_str(), page["precision"].as_str()),
        ("su-unknown", "15.1.2176", "cu")
    );
    assert_eq!(by_host["192.0.2.12"]["status"], "not-exchange");
    let favicon = by_host["192.0.2.13"];
    assert_eq!((favicon["status"].as_str(), favicon["source"].as_str()), ("undetermined", "shodan"));
    assert!(favicon["detail"].contains("only a favicon (hash 442749392)"), "{}", favicon["detail"]);
    let broken: Vec<_> = rows.iter().filter(|r| r["status"] == "input-error").collect();
    assert_eq!(broken.len(), 1, "{rows:?}");
    assert!(broken[0]["detail"].contains("line 6"), "{}", broken[0]["detail"]);
    assert_eq!(broken[0]["line"], "6");
    assert_eq!(rows.len(), 5, "the blank line is no record");
    // Rows still needing proof, as an inventory for a follow-up scan.
    let follow = read_csv(&inventory);
    let hosts: Vec<(&str, &str)> = follow.iter().map(|r| (r["host"].as_str(), r["status"].as_str())).collect();
    assert_eq!(hosts, [("192.0.2.11", "su-unknown"), ("192.0.2.13", "undetermined")]);
    // The same export gzipped, from stdin, gives the same rows.
    let gz = dir.join("export.json.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(SHODAN.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let piped = std::process::Command::new(env!("CARGO_BIN_EXE_exchange-exposure"))
        .args(["import", "shodan", "-", "--stale-after", "30"])
        .stdin(std::fs::File::open(&gz).unwrap())
        .output()
        .unwrap();
    let again: Vec<(String, String)> =
        self::rows(&piped).iter().map(|r| (r["host"].clone(), r["status"].clone())).collect();
    let first: Vec<(String, String)> = rows.iter().map(|r| (r["host"].clone(), r["status"].clone())).collect();
    assert_eq!(again, first);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn censys_services_each_a_row_and_a_truncated_body_proves_nothing() {
    let dir = temp_dir("censys");
    let export = dir.join("hosts.ndjson");
    let record = r#"{"ip":"198.51.100.20","last_updated_at":"2024-05-01T00:00:00Z","autonomous_system":{"asn":64501,"name":"Example Net"},"dns":{"names":["owa.example.net"]},"services":[{"port":443,"service_name":"HTTP","observed_at":"2024-04-30T12:00:00.5Z","http":{"response":{"status_code":200,"headers":{"X_OWA_Version":["15.2.1118.7"],"_encoding":{"X_OWA_Version":"DISPLAY_UTF8"}},"body":"<html></html>","body_size":13,"html_title":"Outlook"}},"tls":{"certificates":{"leaf_data":{"subject":{"common_name":["owa.example.net"]},"names":["owa.example.net","autodiscover.example.net"]}}}},{"port":80,"service_name":"HTTP","http":{"response":{"status_code":200,"headers":{"Server":["Microsoft-IIS/10.0"]},"body":"<html><head><title>Outlook</title>","body_size":70000}}},{"port":22,"service_name":"SSH"}]}"#;
    let whole = r#"{"ip":"198.51.100.21","services":[{"port":80,"http":{"response":{"status_code":200,"headers":{"Server":["Microsoft-IIS/10.0"]},"body":"<html><head><title>IIS</title></head></html>","body_size":44}}}]}"#;
    write(&export, &format!("{record}\n{whole}\n"));
    let out = run(&["import", "censys", export.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = rows(&out);
    let got: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| (r["host"].as_str(), r["port"].as_str(), r["status"].as_str(), r["source"].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("198.51.100.20", "443", "patched", "censys"),
            ("198.51.100.20", "80", "undetermined", "censys"),
            ("198.51.100.21", "80", "not-exchange", "censys"),
        ]
    );
    assert_eq!(
        (rows[0]["checked_at"].as_str(), rows[0]["asn"].as_str(), rows[0]["org"].as_str()),
        ("2024-04-30T12:00:00Z", "AS64501", "Example Net")
    );
    assert_eq!(rows[0]["cert_names"], "owa.example.net;autodiscover.example.net");
    assert_eq!(rows[1]["checked_at"], "2024-05-01T00:00:00Z", "no observed_at: the host's update time");
    assert!(rows[1]["detail"].contains("Censys kept 34 of the body's 70000 bytes"), "{}", rows[1]["detail"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

const HEALTHCHECKER: &str = r#"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
  <Obj RefId="0">
    <TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN>
    <MS>
      <Obj N="HealthCheckerExchangeServer" RefId="1">
        <TN RefId="1"><T>HealthChecker.HealthCheckerExchangeServer</T><T>System.Object</T></TN>
        <Props>
          <S N="ServerName">EX01.corp.example</S>
          <Obj N="ExchangeInformation" RefId="2"><Props>
            <Obj N="BuildInformation" RefId="3"><Props>
              <Obj N="VersionInformation" RefId="4"><Props>
                <Version N="BuildVersion">15.1.2176.9</Version>
                <S N="FriendlyName">Exchange 2016 CU19</S>
              </Props></Obj>
            </Props></Obj>
          </Props></Obj>
          <S N="HealthCheckerVersion">24.01.10.1234</S>
          <DT N="GenerationTime">2024-01-10T10:00:00.1234567-05:00</DT>
        </Props>
      </Obj>
      <Obj N="DisplayResults" RefId="5"><LST>
        <Obj RefId="6"><MS><S N="Name">Security Vulnerability</S><S N="DisplayValue">CVE-2023-21709</S></MS></Obj>
        <Obj RefId="7"><MS><S N="Name">Extended Protection Enabled (Any VDir)</S><S N="DisplayValue">False</S></MS></Obj>
      </LST></Obj>
    </MS>
  </Obj>
</Objs>"#;

#[test]
fn healthchecker_exports_give_exact_builds_and_disagree_with_a_scan_by_the_usual_rule() {
    let dir = temp_dir("healthchecker");
    let export = dir.join("HealthChecker-EX01-20240110100000.xml");
    write(&export, HEALTHCHECKER);
    let junk = dir.join("HealthChecker-EX02-20240110100000.xml");
    write(&junk, "<html>not an export</html>");
    let out = run(&["import", "healthchecker", export.to_str().unwrap(), junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = rows(&out);
    let ex01 = &got[0];
    assert_eq!(
        (ex01["host"].as_str(), ex01["status"].as_str(), ex01["build"].as_str()),
        ("ex01.corp.example", "patched", "15.1.2176.9")
    );
    assert_eq!(
        (ex01["precision"].as_str(), ex01["source"].as_str(), ex01["checked_at"].as_str()),
        ("full", "healthchecker", "2024-01-10T15:00:00Z")
    );
    assert_eq!(
        (ex01["healthchecker_cves"].as_str(), ex01["extended_protection"].as_str()),
        ("CVE-2023-21709", "Extended Protection Enabled (Any VDir): False")
    );
    assert_eq!(got[1]["status"], "input-error");
    assert!(got[1]["detail"].contains("Export-Clixml"), "{}", got[1]["detail"]);
    // A scan that saw an older build of the same server: the readings are judged differently.
    let scan = dir.join("scan.csv");
    write(&scan, "host,port,status,build,source\nex01,443,vulnerable,15.1.2176.2,header\n");
    let out = run(&["import", "healthchecker", export.to_str().unwrap(), "--report", scan.to_str().unwrap()]);
    let got = rows(&out);
    assert_eq!(got[0]["status"], "ambiguous", "{:?}", got[0]);
    assert_eq!(got[0]["source"], "healthchecker+scan-report");
    // A scan that agrees (the CU only): merged, the exact build wins.
    write(&scan, "host,port,status,build,source\nex01.corp.example,443,su-unknown,15.1.2176,logon-page\n");
    let out = run(&["import", "healthchecker", export.to_str().unwrap(), "--report", scan.to_str().unwrap()]);
    let got = rows(&out);
    assert_eq!((got[0]["status"].as_str(), got[0]["build"].as_str()), ("patched", "15.1.2176.9"));
    std::fs::remove_dir_all(&dir).unwrap();
}

const PROXY_HEADER: &str = "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n#Date: 2021-02-20T00:00:00.000Z\r\n#Fields: DateTime,RequestId,UrlHost,UrlStem,AnchorMailbox,UserAgent,ClientIpAddress,HttpStatus\r\n";

fn collected(root: &Path, exploited: bool) {
    let proxy = root.join("Logging/HttpProxy/Ecp");
    std::fs::create_dir_all(&proxy).unwrap();
    let anchor = if exploited {
        "ServerInfo~a]@ex01.corp.example:444/autodiscover/autodiscover.xml?#"
    } else {
        "SMTP:a@corp.example"
    };
    let mut log = String::from(PROXY_HEADER);
    log.push_str("2021-02-20T01:00:00.000Z,r1,mail,/ecp/,SMTP:a@corp.example,Mozilla,192.0.2.1,200\r\n");
    let evil = if exploited { "ServerInfo~a]@ex01.corp.example:444/ecp/proxyLogon.ecp#" } else { anchor };
    log.push_str(&format!(
        "2021-03-02T03:00:00.000Z,r2,mail,/ecp/y.js,{evil},\"<script>alert(1)</script>\",203.0.113.9,241\r\n"
    ));
    log.push_str("2021-04-01T01:00:00.000Z,r3,mail,/ecp/,SMTP:a@corp.example,Mozilla,192.0.2.1,200\r\n");
    write(&proxy.join("HttpProxy_2021030200-1.LOG"), &log);
    let oab = root.join("Logging/OABGeneratorLog");
    std::fs::create_dir_all(&oab).unwrap();
    write(&oab.join("OABGenerator20210302-1.LOG"), "2021-02-21T00:00:00.000Z,Info,Generation started\r\n");
    write(
        &root.join("dir.txt"),
        "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\4_0_30319\r\nC:\\Windows\\Temp\\notes.txt\r\n",
    );
}

#[test]
fn hunt_finds_indicators_and_joins_a_compromise_column_onto_a_scan_report() {
    let dir = temp_dir("hunt");
    let ex01 = dir.join("ex01");
    collected(&ex01, true);
    let ex02 = dir.join("ex02");
    collected(&ex02, false);
    let out = run(&["hunt", ex01.to_str().unwrap(), ex02.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "indicators found: {}", stderr(&out));
    let found = rows(&out);
    let hits: Vec<(&str, &str, &str)> = found
        .iter()
        .filter(|r| r["rule"] != "coverage")
        .map(|r| (r["host"].as_str(), r["rule"].as_str(), r["cve"].as_str()))
        .collect();
    assert_eq!(hits, [("ex01", "cve-2021-26855-serverinfo", "CVE-2021-26855")]);
    let hit = found.iter().find(|r| r["rule"] == "cve-2021-26855-serverinfo").unwrap();
    assert_eq!(
        (hit["client_ip"].as_str(), hit["http_status"].as_str(), hit["line"].as_str()),
        ("203.0.113.9", "241", "7")
    );
    assert!(hit["rules_source"].contains("8f45e40688533560ece4b65a26151bc5ad795b14"));
    let coverage: HashMap<&str, &str> = found
        .iter()
        .filter(|r| r["rule"] == "coverage")
        .map(|r| (r["host"].as_str(), r["compromise"].as_str()))
        .collect();
    assert_eq!(coverage["ex01"], "indicators-found");
    assert_eq!(coverage["ex02"], "no-indicators (logs cover 2021-02-21–2021-04-01)");
    // Joined onto a scan report, with the HTML page and the workbook written alike.
    let scan = dir.join("scan.csv");
    write(
        &scan,
        "host,port,status,build\nex02.corp.example,443,vulnerable,15.1.2176.2\nex01.corp.example,443,vulnerable,15.1.2176.2\nex03.corp.example,443,patched,15.1.2176.9\n",
    );
    let joined = dir.join("joined.csv");
    let html = dir.join("joined.html");
    let xlsx = dir.join("joined.xlsx");
    let findings = dir.join("findings.jsonl");
    let out = run(&[
        "hunt",
        ex01.to_str().unwrap(),
        ex02.to_str().unwrap(),
        "--report",
        scan.to_str().unwrap(),
        "-o",
        joined.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
        "-o",
        xlsx.to_str().unwrap(),
        "--findings",
        findings.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rows = read_csv(&joined);
    let order: Vec<(&str, &str)> = rows.iter().map(|r| (r["host"].as_str(), r["compromise"].as_str())).collect();
    assert_eq!(
        order,
        [
            ("ex01.corp.example", "indicators-found"),
            ("ex02.corp.example", "no-indicators (logs cover 2021-02-21–2021-04-01)"),
            ("ex03.corp.example", "not-hunted"),
        ]
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("indicators-found") && page.contains("compromise"));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    let jsonl = std::fs::read_to_string(&findings).unwrap();
    assert!(jsonl.contains("cve-2021-26855-serverinfo"));
    // The attacker's user agent never reaches the page as markup.
    assert!(!page.contains("<script>alert(1)"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hunt_reads_zips_with_bounds_and_skips_climbing_entries() {
    let dir = temp_dir("hunt-zip");
    let zip_path = dir.join("EX05.zip");
    {
        let file = std::fs::File::create(&zip_path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("Logging/HttpProxy/Owa/HttpProxy_1.LOG", options).unwrap();
        zip.write_all(PROXY_HEADER.as_bytes()).unwrap();
        zip.write_all(b"2021-03-03T00:00:00.000Z,r,mail,/owa/x,ServerInfo~a]@ex05:444/ews/exchange.asmx?#,ua,198.51.100.5,200\r\n").unwrap();
        zip.start_file("../../etc/evil.txt", options).unwrap();
        zip.write_all(b"outside").unwrap();
        // A zip bomb's ratio: 64 MiB of zeros.
        zip.start_file("Logging/HttpProxy/Owa/bomb.log", options).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            zip.write_all(&zeros).unwrap();
        }
        zip.finish().unwrap();
    }
    let out = run(&["hunt", zip_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let found = rows(&out);
    assert!(found.iter().any(|r| r["host"] == "ex05" && r["rule"] == "cve-2021-26855-serverinfo"), "{found:?}");
    let coverage = found.iter().find(|r| r["rule"] == "coverage").unwrap();
    assert!(coverage["detail"].contains("path traversal"), "{}", coverage["detail"]);
    assert!(coverage["detail"].contains("zip bomb"), "{}", coverage["detail"]);
    assert!(!dir.join("etc").exists() && !Path::new("/etc/evil.txt").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
