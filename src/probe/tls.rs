//! TLS for probing: one handshake per connection that accepts any
//! certificate (Exchange servers mostly have self-signed or internal-CA ones)
//! while still checking the handshake signatures, then a separate
//! verification of the chain the server sent, against the system roots plus
//! `--ca-cert`, whose outcome goes into the report's `tls` column.

use anyhow::{Context, Result};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;

/// The provider, installed once per process (ring: no C toolchain needed).
pub fn provider() -> Arc<CryptoProvider> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    CryptoProvider::get_default().cloned().unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// The client side of probing: the handshake config, the legacy fallback's
/// OpenSSL settings, and the verifier whose verdict is recorded.
#[derive(Clone)]
pub struct Tls {
    /// The rustls client: any certificate accepted at the handshake (its
    /// signatures checked), the chain judged afterwards.
    pub config: Arc<ClientConfig>,
    /// The OpenSSL client of the legacy fallback (`super::legacy`).
    pub legacy: openssl::ssl::SslConnector,
    /// `None` when no trust anchors could be loaded at all.
    verifier: Option<Arc<WebPkiServerVerifier>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("config", &self.config).field("verifier", &self.verifier).finish_non_exhaustive()
    }
}

impl Tls {
    /// System roots plus the PEM certificates in `extra_ca` (`label` names
    /// where they came from, for errors).
    pub fn new(extra_ca: Option<&[u8]>, label: &str) -> Result<Tls> {
        let provider = provider();
        let mut roots = RootCertStore::empty();
        // Unreadable system certificates are skipped: they only mean fewer hosts verify.
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(pem) = extra_ca {
            let certs: Vec<CertificateDer> = rustls_pemfile::certs(&mut &pem[..])
                .collect::<Result<_, _>>()
                .with_context(|| format!("{label} is not PEM"))?;
            anyhow::ensure!(!certs.is_empty(), "{label} holds no certificate");
            for cert in certs {
                roots.add(cert).with_context(|| format!("{label}: unusable certificate"))?;
            }
        }
        let verifier = if roots.is_empty() {
            None
        } else {
            Some(WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build()?)
        };
        let accept = Arc::new(RecordLater { algorithms: provider.signature_verification_algorithms });
        let mut config = ClientConfig::builder_with_provider(Arc::new(prefer_sha256(&provider)))
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(accept)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let legacy = super::legacy::connector().context("cannot set up OpenSSL for the legacy-TLS fallback")?;
        Ok(Tls { config: Arc::new(config), legacy, verifier })
    }

    /// Verifies the chain a server sent; `Err` holds a short reason.
    pub fn verify(&self, chain: &[CertificateDer<'_>], name: &ServerName<'_>) -> Result<(), String> {
        let verifier = self.verifier.as_ref().ok_or("no trusted root certificates are available")?;
        let (leaf, intermediates) = chain.split_first().ok_or("the server sent no certificate")?;
        verifier.verify_server_cert(leaf, intermediates, name, &[], UnixTime::now()).map(|_| ()).map_err(|e| reason(&e))
    }
}

/// The same suites, SHA-256 ones first: a server that honours the client's
/// order then hashes the handshake with SHA-256 instead of SHA-384, which
/// was 4% of the scanner's CPU in the 10,000-host profile (BENCHMARKS.md).
fn prefer_sha256(provider: &CryptoProvider) -> CryptoProvider {
    use rustls::crypto::ring::cipher_suite as cs;
    let order = [
        cs::TLS13_AES_128_GCM_SHA256,
        cs::TLS13_CHACHA20_POLY1305_SHA256,
        cs::TLS13_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ];
    let mut suites = provider.cipher_suites.clone();
    suites.sort_by_key(|s| order.iter().position(|o| o.suite() == s.suite()).unwrap_or(order.len()));
    CryptoProvider { cipher_suites: suites, ..provider.clone() }
}

fn reason(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => "issuer not trusted (self-signed or internal CA)".into(),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => "certificate expired".into(),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "certificate not valid yet".into()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "certificate not issued for this host".into()
            }
            CertificateError::Revoked => "certificate revoked".into(),
            CertificateError::BadSignature => {
                "certificate signature does not verify (forged, or a wrong issuer)".into()
            }
            other => format!("certificate invalid ({other:?})"),
        },
        other => other.to_string(),
    }
}

/// Accepts any certificate in the handshake (its verdict is taken after it,
/// by `Tls::verify`), but checks the handshake signatures, so the peer must
/// hold the key of the certificate it shows.
#[derive(Debug)]
struct RecordLater {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for RecordLater {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
