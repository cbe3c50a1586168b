//! The lab fleet's network conditions against the real prober: a silent
//! host (accepts TCP, never answers) fails on the connect timeout, once,
//! not on the request timeout or the host deadline; hosts behind
//! `--latency` are still read right, each round trip held as asked.

use exchange_exposure::probe::http::HttpError;
use exchange_exposure::probe::tls::Tls;
use exchange_exposure::probe::{Prober, Settings};
use exchange_exposure::sim::personalities::Mix;
use exchange_exposure::sim::{self, Conditions};
use exchange_exposure::target::Endpoint;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

fn prober(ca_pem: &str, connect: Duration, request: Duration) -> Prober {
    let settings = Settings {
        request_timeout: request,
        connect_timeout: connect,
        host_timeout: request * 4,
        user_agent: "exchange-exposure-test".into(),
        require_valid_tls: false,
        proxy: None,
        legacy_tls: true,
        adaptive_connect: true,
    };
    Prober::new(&settings, Tls::new(Some(ca_pem.as_bytes()), "the lab CA").unwrap()).unwrap()
}

fn endpoint(addr: std::net::SocketAddr) -> Endpoint {
    Endpoint::new(addr.ip().to_string(), addr.port(), true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_host_costs_one_connect_timeout() {
    let hosts = [(SocketAddrV4::new(Ipv4Addr::new(127, 13, 0, 1), 0), 0)];
    let conditions = Conditions { latency: Duration::ZERO, mix: Mix { silent: 100, legacy: Some(0), drip: 0 } };
    let fleet = sim::start_hosts_in(&hosts, &conditions).await.unwrap();
    assert_eq!(fleet.hosts[0].personality.name, "silent");
    // A request timeout far above the connect timeout: were the silent host
    // charged a request timeout (or the host deadline), it would show.
    let connect = Duration::from_millis(400);
    let prober = prober(&fleet.ca_pem, connect, Duration::from_secs(20));
    let obs = prober.probe(&endpoint(fleet.hosts[0].addr)).await;
    assert!(!obs.answered);
    match &obs.failure {
        Some(HttpError::Timeout { stage, secs }) => {
            assert_eq!(*stage, "TLS handshake");
            assert!((secs - 0.4).abs() < 1e-9, "{secs}");
        }
        other => panic!("{other:?}"),
    }
    assert!(obs.elapsed >= connect, "{:?}", obs.elapsed);
    assert!(obs.elapsed < Duration::from_secs(10), "one connect timeout, not a request timeout: {:?}", obs.elapsed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_behind_latency_are_read_right_and_each_round_trip_is_held() {
    // Host 0 of the modern cast: 2016 CU19 unpatched, with the header: one
    // TLS 1.3 handshake and three requests, four round trips.
    let hosts = [(SocketAddrV4::new(Ipv4Addr::new(127, 13, 0, 2), 0), 0)];
    let latency = Duration::from_millis(100);
    let conditions = Conditions { latency, mix: Mix { silent: 0, legacy: Some(0), drip: 0 } };
    let fleet = sim::start_hosts_in(&hosts, &conditions).await.unwrap();
    assert_eq!(fleet.hosts[0].personality.name, "ex2016-cu19-unpatched");
    let prober = prober(&fleet.ca_pem, Duration::from_secs(5), Duration::from_secs(5));
    let obs = prober.probe(&endpoint(fleet.hosts[0].addr)).await;
    assert!(obs.answered, "{:?}", obs.failure);
    assert!(obs.evidence.iter().any(|e| e.build.to_string() == "15.1.2176.2"), "{:?}", obs.evidence);
    assert!(obs.elapsed >= latency * 4, "four round trips of 100 ms: {:?}", obs.elapsed);
}
