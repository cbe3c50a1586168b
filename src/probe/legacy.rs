//! The legacy-TLS fallback: a second handshake, over OpenSSL, for servers
//! that rustls cannot talk to. IIS on Windows Server 2008 R2 speaks only
//! TLS 1.0 by default, 2012 and 2012 R2 offer no ECDHE suite with AES-GCM
//! for an RSA certificate, hardened servers offer only RSA key exchange, and
//! some front ends carry 1024-bit RSA keys; rustls implements none of that
//! (no CBC, no RSA key exchange, no TLS 1.0), yet these are the oldest and
//! most exposed Exchange servers. OpenSSL at security level 0 reaches them,
//! as nmap's scripts do. See README, "Dependencies and why".
//!
//! rustls is always tried first; `wants_fallback` says which of its failures
//! mean "we share no protocol, suite or acceptable key" and so deserve this
//! second attempt. The certificate chain is judged afterwards exactly as on
//! the rustls path (`Tls::verify`).

use openssl::ssl::{SslConnector, SslMethod, SslOptions, SslVerifyMode, SslVersion};
use rustls::AlertDescription;
use rustls::pki_types::CertificateDer;
use std::pin::Pin;
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

/// `SSL_OP_LEGACY_SERVER_CONNECT` (OpenSSL's `ssl.h`), which the openssl
/// crate has no name for: connect to servers that predate RFC 5746's
/// secure renegotiation, as Windows Server 2008 R2 may. Not a default in
/// OpenSSL 3.
const SSL_OP_LEGACY_SERVER_CONNECT: u32 = 0x4;

/// The OpenSSL client settings of the fallback: TLS 1.0 to 1.2, every suite
/// but NULL and anonymous ones (`ALL` holds neither), security level 0 (else
/// OpenSSL 3 refuses TLS 1.0's MD5+SHA1 signatures and 1024-bit keys), no
/// verification during the handshake, legacy renegotiation allowed.
pub fn connector() -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut builder = SslConnector::builder(SslMethod::tls_client())?;
    builder.set_min_proto_version(Some(SslVersion::TLS1))?;
    builder.set_max_proto_version(Some(SslVersion::TLS1_2))?;
    builder.set_security_level(0);
    builder.set_cipher_list("ALL:!aNULL:!eNULL:@SECLEVEL=0")?;
    builder.set_verify(SslVerifyMode::NONE);
    builder.set_options(
        SslOptions::from_bits_retain(SSL_OP_LEGACY_SERVER_CONNECT.into())
            | SslOptions::ALLOW_UNSAFE_LEGACY_RENEGOTIATION
            | SslOptions::IGNORE_UNEXPECTED_EOF,
    );
    Ok(builder.build())
}

/// Whether a failed rustls handshake means the server speaks only what
/// rustls refuses: its alerts for "no common protocol or suite", rustls'
/// own verdict that the peer is incompatible, or a server key rustls will
/// not accept (RSA under 2048 bits). Timeouts, refused connections and
/// resets never get here: they are not handshake verdicts.
pub fn wants_fallback(err: &rustls::Error) -> bool {
    match err {
        rustls::Error::AlertReceived(alert) => matches!(
            alert,
            AlertDescription::ProtocolVersion
                | AlertDescription::HandshakeFailure
                | AlertDescription::InsufficientSecurity
        ),
        rustls::Error::PeerIncompatible(_) => true,
        // The 1024-bit key: the handshake signature is refused by ring.
        rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature)
        | rustls::Error::InvalidCertificate(rustls::CertificateError::UnsupportedSignatureAlgorithmContext {
            ..
        }) => true,
        _ => false,
    }
}

/// What a legacy session negotiated, and what the server showed.
pub struct Session {
    /// The OpenSSL session, ready for HTTP.
    pub stream: SslStream<TcpStream>,
    /// The server's certificate chain, leaf first, for the same verdict as on the rustls path.
    pub chain: Vec<CertificateDer<'static>>,
    /// For the `tls` column: `TLSv1.0 ECDHE-RSA-AES256-SHA`, plus the key
    /// size when it is under 2048 bits.
    pub description: String,
}

/// The handshake over a fresh TCP connection. `host` is sent as SNI unless
/// it is an address (as rustls does).
pub async fn handshake(connector: &SslConnector, tcp: TcpStream, host: &str) -> Result<Session, String> {
    let is_name = host.parse::<std::net::IpAddr>().is_err();
    let ssl = connector
        .configure()
        .and_then(|c| c.verify_hostname(false).use_server_name_indication(is_name).into_ssl(host))
        .map_err(|e| e.to_string())?;
    let mut stream = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
    Pin::new(&mut stream).connect().await.map_err(|e| describe_error(&e))?;
    let ssl = stream.ssl();
    let chain = ssl
        .peer_cert_chain()
        .map(|chain| chain.iter().filter_map(|c| c.to_der().ok()).map(CertificateDer::from).collect())
        .unwrap_or_default();
    let protocol = protocol_name(ssl.version_str());
    let cipher = ssl.current_cipher().map(|c| c.name()).unwrap_or("unknown-cipher");
    let weak_key = ssl
        .peer_certificate()
        .and_then(|c| c.public_key().ok())
        .map(|k| k.bits())
        .filter(|bits| *bits < 2048)
        .map(|bits| format!(", {bits}-bit key"))
        .unwrap_or_default();
    let description = format!("{protocol} {cipher}{weak_key}");
    Ok(Session { stream, chain, description })
}

/// OpenSSL calls TLS 1.0 `TLSv1`; the report says `TLSv1.0`.
fn protocol_name(openssl: &str) -> &str {
    if openssl == "TLSv1" { "TLSv1.0" } else { openssl }
}

/// OpenSSL's error, with the reasons of its error stack (which say "no
/// protocols available", "unsupported protocol" and the like).
fn describe_error(err: &openssl::ssl::Error) -> String {
    let mut text = err.to_string();
    if let Some(stack) = err.ssl_error() {
        let reasons: Vec<&str> = stack.errors().iter().filter_map(|e| e.reason()).collect();
        if !reasons.is_empty() {
            text = format!("{text} ({})", reasons.join(", "));
        }
    }
    crate::sanitize::clean_long(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_only_for_handshake_verdicts_about_protocols_suites_and_keys() {
        use rustls::{CertificateError, Error, PeerIncompatible};
        let cases: &[(Error, bool)] = &[
            (Error::AlertReceived(AlertDescription::ProtocolVersion), true),
            (Error::AlertReceived(AlertDescription::HandshakeFailure), true),
            (Error::AlertReceived(AlertDescription::InsufficientSecurity), true),
            (Error::PeerIncompatible(PeerIncompatible::NoCipherSuitesInCommon), true),
            (Error::InvalidCertificate(CertificateError::BadSignature), true),
            (Error::AlertReceived(AlertDescription::InternalError), false),
            (Error::AlertReceived(AlertDescription::UnrecognisedName), false),
            (Error::InvalidCertificate(CertificateError::Expired), false),
            (Error::General("connection reset".into()), false),
        ];
        for (err, want) in cases {
            assert_eq!(wants_fallback(err), *want, "{err:?}");
        }
    }

    #[test]
    fn openssl_calls_tls_1_0_tlsv1() {
        assert_eq!(protocol_name("TLSv1"), "TLSv1.0");
        assert_eq!(protocol_name("TLSv1.2"), "TLSv1.2");
    }

    #[test]
    fn the_connector_builds_with_the_legacy_settings() {
        // An OpenSSL build that dropped TLS 1.0 or security level 0 fails here.
        connector().expect("legacy connector");
    }
}
