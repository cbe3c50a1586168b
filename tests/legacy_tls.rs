//! The legacy-TLS fallback, in process: the lab's OpenSSL acceptors set up
//! like old Windows servers (TLS 1.0 only, 2012 R2 default suites, RSA key
//! exchange only, a 1024-bit key) must each be read over the fallback and
//! refused by rustls alone. These guard against an OpenSSL upgrade (or a
//! change of settings) that drops what old Exchange servers need.

use exchange_exposure::probe::http::HttpError;
use exchange_exposure::probe::tls::Tls;
use exchange_exposure::probe::{Prober, Settings};
use exchange_exposure::sim;
use exchange_exposure::target::Endpoint;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn prober(ca_pem: Option<&str>, legacy_tls: bool, timeout: Duration) -> Prober {
    let settings = Settings {
        request_timeout: timeout,
        connect_timeout: timeout,
        host_timeout: timeout * 4,
        user_agent: "exchange-exposure-test".into(),
        require_valid_tls: false,
        proxy: None,
        legacy_tls,
        adaptive_connect: true,
    };
    let tls = Tls::new(ca_pem.map(str::as_bytes), "the lab CA").unwrap();
    Prober::new(&settings, tls).unwrap()
}

fn endpoint(addr: std::net::SocketAddr) -> Endpoint {
    Endpoint::new(addr.ip().to_string(), addr.port(), true)
}

/// The legacy personalities of the lab fleet, by name, with what their
/// session must be.
const LEGACY: [(&str, &str); 4] = [
    ("ex2010-sp3-tls10-only", "TLSv1.0 ECDHE-RSA-AES256-SHA"),
    ("ex2013-cu23-2012r2-suites", "TLSv1.2 ECDHE-RSA-AES256-SHA384"),
    ("ex2016-cu19-rsa-kex-only", "TLSv1.2 AES256-GCM-SHA384"),
    ("ex2016-cu19-1024-bit-key", "TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384, 1024-bit key"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_old_windows_tls_is_read_over_the_fallback_and_refused_by_rustls_alone() {
    let hosts: Vec<(SocketAddrV4, usize)> = LEGACY
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let index = sim::personalities::FLEET.iter().position(|p| p.name == *name).expect("a lab personality");
            (SocketAddrV4::new(Ipv4Addr::new(127, 12, 0, 1 + i as u8), 0), index)
        })
        .collect();
    let fleet = sim::start_hosts(&hosts).await.unwrap();
    let with_fallback = prober(Some(&fleet.ca_pem), true, Duration::from_secs(5));
    let without = prober(Some(&fleet.ca_pem), false, Duration::from_secs(5));
    for (host, (name, session)) in fleet.hosts.iter().zip(LEGACY) {
        let obs = with_fallback.probe(&endpoint(host.addr)).await;
        let tls = obs.tls.as_ref().unwrap_or_else(|| panic!("{name}: no TLS session; {:?}", obs.failure));
        assert_eq!(tls.describe(), format!("verified; legacy {session}"), "{name}");
        assert!(!obs.evidence.is_empty(), "{name}: no build read");
        assert!(obs.notes.iter().any(|n| n.contains("only obsolete TLS")), "{name}: {:?}", obs.notes);

        let obs = without.probe(&endpoint(host.addr)).await;
        assert!(!obs.answered, "{name}: rustls alone must not reach it");
        match &obs.failure {
            Some(HttpError::Tls(why)) => assert!(why.contains("--no-legacy-tls"), "{name}: {why}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

/// A raw listener on loopback that counts connections and treats each with `handle`.
fn counting_server(handle: fn(std::net::TcpStream)) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || handle(tcp));
        }
    });
    (addr, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_costs_one_connection_and_an_old_tls_alert_two() {
    // Accepts TCP, never answers the ClientHello: a timeout, never a reason to retry.
    let (silent, silent_count) = counting_server(|tcp| {
        std::thread::sleep(Duration::from_secs(5));
        drop(tcp);
    });
    // Answers the ClientHello with protocol_version, as a server on versions we did not offer.
    let (old, old_count) = counting_server(|mut tcp| {
        let mut hello = [0u8; 1024];
        let _ = tcp.read(&mut hello);
        let _ = tcp.write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]);
    });
    let prober = prober(None, true, Duration::from_millis(500));

    let obs = prober.probe(&endpoint(silent)).await;
    assert!(matches!(obs.failure, Some(HttpError::Timeout { stage: "TLS handshake", .. })), "{:?}", obs.failure);
    assert_eq!(silent_count.load(Ordering::SeqCst), 1, "a timeout is not retried");

    let obs = prober.probe(&endpoint(old)).await;
    match &obs.failure {
        Some(HttpError::Tls(why)) => {
            assert!(why.contains("ProtocolVersion") && why.contains("legacy-TLS fallback failed too"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(old_count.load(Ordering::SeqCst), 2, "one rustls attempt, one fresh connection for the fallback");

    // Refused: nothing listens on the port any more.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let obs = prober.probe(&endpoint(closed)).await;
    assert!(matches!(obs.failure, Some(HttpError::Connect(_))), "{:?}", obs.failure);
}
