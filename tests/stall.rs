//! A version header followed by a stalled body: a tarpit, an IPS holding the
//! rest, a slow link. The head arrived, so what it showed is evidence, on
//! the rustls path and on the legacy-TLS fallback alike, as it is before a
//! reset. Raw loopback servers send `200`, `X-OWA-Version`, `X-FEServer`
//! and 600 bytes of a 50,000-byte body, then nothing (or one byte every
//! half second).

mod common;

use common::server::*;
use exchange_exposure::probe::tls::Tls;
use exchange_exposure::probe::{Prober, Settings};
use exchange_exposure::sim::legacy::{LegacyTls, Signer};
use exchange_exposure::target::Endpoint;
use std::io::Read;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

const HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 50000\r\nX-OWA-Version: 15.1.2176.2\r\nX-FEServer: EXSTALL1\r\n\r\n";

/// How the body stops coming.
#[derive(Clone, Copy)]
enum Stall {
    /// 600 bytes, then nothing for 30 s.
    Silent,
    /// 600 bytes, then one byte every half second.
    Drip,
}

fn stalled(s: &mut dyn ReadWrite, stall: Stall) -> Flow {
    if s.write_all(HEAD).and_then(|_| s.write_all(&[b'x'; 600])).and_then(|_| s.flush()).is_err() {
        return Flow::Close;
    }
    for _ in 0..60 {
        std::thread::sleep(Duration::from_millis(500));
        if matches!(stall, Stall::Drip) && s.write_all(b"y").and_then(|_| s.flush()).is_err() {
            break;
        }
    }
    Flow::Close
}

fn prober() -> Prober {
    let settings = Settings {
        request_timeout: Duration::from_secs(1),
        connect_timeout: Duration::from_secs(2),
        host_timeout: Duration::from_secs(4),
        user_agent: "exchange-exposure-test".into(),
        require_valid_tls: false,
        proxy: None,
        legacy_tls: true,
        adaptive_connect: true,
    };
    Prober::new(&settings, Tls::new(None, "none").unwrap()).unwrap()
}

/// The probe kept the header's build and the front end's name.
fn assert_kept(obs: &exchange_exposure::probe::Observation, case: &str) {
    assert!(obs.answered, "{case}: {:?}", obs.failure);
    let builds: Vec<String> = obs.evidence.iter().map(|e| e.build.to_string()).collect();
    assert!(builds.contains(&"15.1.2176.2".to_string()), "{case}: {builds:?} {:?}", obs.notes);
    assert_eq!(obs.fe_servers, ["EXSTALL1"], "{case}");
    assert!(obs.notes.iter().any(|n| n.contains("the body stalled")), "{case}: {:?}", obs.notes);
}

#[test]
fn a_stalled_body_keeps_the_version_and_front_end_in_the_report() {
    for stall in [Stall::Silent, Stall::Drip] {
        let port = serve(Front::Tls, self_signed(), Arc::new(move |s, _| stalled(s, stall)));
        let s = scan(port, &[]);
        assert_eq!(s.row["status"], "vulnerable", "{}", s.row["detail"]);
        assert_eq!(s.row["build"], "15.1.2176.2");
        assert_eq!(s.row["fe_servers"], "EXSTALL1");
        assert!(s.row["detail"].contains("the body stalled"), "{}", s.row["detail"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_keeps_its_head_over_rustls() {
    for (stall, case) in [(Stall::Silent, "silent"), (Stall::Drip, "drip")] {
        let port = serve(Front::Tls, self_signed(), Arc::new(move |s, _| stalled(s, stall)));
        let obs = prober().probe(&Endpoint::new("127.0.0.1", port, true)).await;
        assert_kept(&obs, case);
        assert!(obs.tls.as_ref().is_some_and(|t| t.legacy.is_none()), "{case}");
    }
}

/// A server on TLS 1.0 only (the legacy fallback's path) whose every
/// answer stalls so.
fn legacy_server(stall: Stall) -> u16 {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = params.self_signed(&ca_key).unwrap();
    let mut signer = Signer::new(ca.der(), &ca_key.serialize_pem()).unwrap();
    let acceptor = signer.acceptor(LegacyTls::Tls10Only, Ipv4Addr::LOCALHOST, &[]).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let acceptor = acceptor.clone();
            std::thread::spawn(move || {
                let Ok(mut tls) = acceptor.accept(tcp) else { return };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                stalled(&mut tls, stall);
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_keeps_its_head_over_the_legacy_fallback() {
    for (stall, case) in [(Stall::Silent, "silent"), (Stall::Drip, "drip")] {
        let port = legacy_server(stall);
        let obs = prober().probe(&Endpoint::new("127.0.0.1", port, true)).await;
        assert_kept(&obs, case);
        let legacy = obs.tls.as_ref().and_then(|t| t.legacy.clone());
        assert!(legacy.is_some_and(|l| l.starts_with("TLSv1.0")), "{case}: {:?}", obs.tls);
    }
}
