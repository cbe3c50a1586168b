//! The probe's own HTTP/1.1: requests sent ahead over a keep-alive
//! connection must each get their own answer, and a server that closes
//! after each answer (saying so, or not) must still be read whole.

mod common;

use common::server::*;
use exchange_exposure::evidence::Source;
use exchange_exposure::probe::tls::Tls;
use exchange_exposure::probe::{Prober, Settings};
use exchange_exposure::target::Endpoint;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const MANIFEST: &str = r#"<?xml version="1.0"?><asmv1:assembly xmlns:asmv1="urn:schemas-microsoft-com:asm.v1"><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="15.1.2176.2"/></asmv1:assembly>"#;

/// How the server ends each answer.
#[derive(Clone, Copy, Debug)]
enum Ending {
    KeepAlive,
    CloseSaid,
    CloseUnsaid,
}

/// Starts a server whose every path answers with its own front-end name;
/// returns its port and its connection and request counts.
fn start(ending: Ending) -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cert = self_signed();
    let config =
        Arc::new(rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(cert.chain, cert.key).unwrap());
    let (connections, requests) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let seen = requests.clone();
    let handler: Arc<Handler> = Arc::new(move |s, path| {
        seen.fetch_add(1, Ordering::SeqCst);
        let close = if matches!(ending, Ending::CloseSaid) { "Connection: close" } else { "X-Keep: 1" };
        let flow = match path {
            "/owa/" => respond(s, "302 Found", &["X-FEServer: FE-OWA", "Location: /owa/auth/logon.aspx", close], b""),
            "/owa/auth/logon.aspx" => respond(s, "200 OK", &["X-FEServer: FE-LOGON", close], PAGE),
            p if p.starts_with("/ecp/") => respond(s, "200 OK", &["X-FEServer: FE-ECP", close], MANIFEST.as_bytes()),
            "/EWS/Exchange.asmx" => {
                respond(s, "401 Unauthorized", &["X-FEServer: FE-EWS", "X-OWA-Version: 15.1.2176.2", close], b"")
            }
            _ => respond(s, "404 Not Found", &["X-FEServer: FE-OTHER", close], b""),
        };
        match ending {
            Ending::KeepAlive => flow,
            _ => Flow::Close,
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let counted = connections.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            let (config, handler) = (config.clone(), handler.clone());
            std::thread::spawn(move || connection(Front::Tls, tcp, config, &*handler));
        }
    });
    (port, connections, requests)
}

fn prober() -> Prober {
    let settings = Settings {
        request_timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(2),
        host_timeout: Duration::from_secs(8),
        user_agent: "exchange-exposure-test".into(),
        require_valid_tls: false,
        proxy: None,
        legacy_tls: false,
        adaptive_connect: true,
    };
    Prober::new(&settings, Tls::new(None, "none").unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_gets_its_own_answer_pipelined_or_not() {
    for ending in [Ending::KeepAlive, Ending::CloseSaid, Ending::CloseUnsaid] {
        let (port, connections, requests) = start(ending);
        let obs = prober().probe(&Endpoint::new("127.0.0.1", port, true)).await;
        let got: Vec<(Source, String, Option<&str>)> =
            obs.evidence.iter().map(|e| (e.source, e.build.to_string(), e.front_end.as_deref())).collect();
        // Each build comes with the front end of the path that shows it:
        // an answer read for the wrong request would pair them otherwise.
        assert_eq!(
            got,
            [
                (Source::LogonPage, "15.1.2176".to_string(), Some("FE-LOGON")),
                (Source::ExportTool, "15.1.2176.2".to_string(), Some("FE-ECP")),
                (Source::Header, "15.1.2176.2".to_string(), Some("FE-EWS")),
            ],
            "{ending:?}: {:?}",
            obs.notes
        );
        assert!(obs.look_alike.is_none(), "{ending:?}: the canary got its own 404");
        assert_eq!(obs.fe_servers, ["FE-OWA", "FE-LOGON", "FE-ECP", "FE-EWS"], "{ending:?}");
        // /owa/, logon, manifest, EWS (the canary is answered before the handler).
        assert_eq!(requests.load(Ordering::SeqCst), 4, "{ending:?}: each path asked once");
        let opened = connections.load(Ordering::SeqCst);
        match ending {
            Ending::KeepAlive => assert_eq!(opened, 1, "one keep-alive connection"),
            _ => assert_eq!(opened, 5, "{ending:?}: one connection per request"),
        }
    }
}
