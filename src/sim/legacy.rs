//! Lab servers that speak the TLS of old Windows: OpenSSL acceptors set up
//! like IIS on Windows Server 2008 R2 (TLS 1.0 only), 2012 R2 (ECDHE-RSA
//! with CBC, RSA key exchange with GCM), a hardened server with RSA key
//! exchange only, and a front end with a 1024-bit RSA key. rustls can talk
//! to none of them; the prober's legacy fallback must reach all four. Their
//! RSA certificates are signed by the fleet's CA, like every other host's.

use anyhow::{Context, Result};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::{SslAcceptor, SslMethod, SslOptions, SslVersion};
use openssl::x509::extension::SubjectAlternativeName;
use openssl::x509::{X509, X509NameBuilder};
use std::net::Ipv4Addr;

/// Which old server a lab host plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyTls {
    /// Windows Server 2008 R2 defaults: TLS 1.0 only, CBC suites.
    Tls10Only,
    /// Windows Server 2012 R2 defaults: TLS 1.0–1.2, ECDHE-RSA only with
    /// CBC, AES-GCM only with RSA key exchange.
    Server2012R2,
    /// A hardening script's choice: RSA key exchange only.
    RsaKexOnly,
    /// Modern suites, but a 1024-bit RSA key (balancer re-encryption).
    WeakKey,
}

impl LegacyTls {
    fn versions(self) -> (SslVersion, SslVersion) {
        match self {
            LegacyTls::Tls10Only => (SslVersion::TLS1, SslVersion::TLS1),
            _ => (SslVersion::TLS1, SslVersion::TLS1_2),
        }
    }

    /// OpenSSL names of the suites offered, in the server's order.
    fn ciphers(self) -> &'static str {
        match self {
            LegacyTls::Tls10Only => "ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA:AES256-SHA:AES128-SHA",
            LegacyTls::Server2012R2 => {
                "ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA:\
                 AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256:AES256-SHA:AES128-SHA"
            }
            LegacyTls::RsaKexOnly => {
                "AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256:AES256-SHA:AES128-SHA"
            }
            LegacyTls::WeakKey => "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        }
    }

    fn key_bits(self) -> u32 {
        if self == LegacyTls::WeakKey { 1024 } else { 2048 }
    }
}

/// The fleet's CA in OpenSSL's terms, and the RSA keys of the legacy hosts
/// (made once per fleet, when the first host needs one).
pub struct Signer {
    ca_cert: X509,
    ca_key: PKey<Private>,
    keys: Vec<(u32, PKey<Private>)>,
}

impl Signer {
    /// `ca_der` and `ca_key_pem` are the fleet CA's certificate and key.
    pub fn new(ca_der: &[u8], ca_key_pem: &str) -> Result<Signer> {
        let ca_cert = X509::from_der(ca_der).context("lab CA certificate")?;
        let ca_key = PKey::private_key_from_pem(ca_key_pem.as_bytes()).context("lab CA key")?;
        Ok(Signer { ca_cert, ca_key, keys: Vec::new() })
    }

    fn key(&mut self, bits: u32) -> Result<PKey<Private>> {
        if let Some((_, key)) = self.keys.iter().find(|(b, _)| *b == bits) {
            return Ok(key.clone());
        }
        let key = PKey::from_rsa(Rsa::generate(bits)?)?;
        self.keys.push((bits, key.clone()));
        Ok(key)
    }

    /// An acceptor for one host at `ip`, playing `kind`.
    pub fn acceptor(&mut self, kind: LegacyTls, ip: Ipv4Addr, names: &[&str]) -> Result<SslAcceptor> {
        let key = self.key(kind.key_bits())?;
        let cert = self.certificate(&key, ip, names).context("legacy lab certificate")?;
        let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())?;
        // The Mozilla profile turns TLS 1.0 and 1.1 off; old Windows has them on.
        builder.clear_options(SslOptions::NO_TLSV1 | SslOptions::NO_TLSV1_1);
        let (min, max) = kind.versions();
        builder.set_security_level(0);
        builder.set_min_proto_version(Some(min))?;
        builder.set_max_proto_version(Some(max))?;
        builder.set_cipher_list(&format!("{}:@SECLEVEL=0", kind.ciphers()))?;
        builder.set_private_key(&key)?;
        builder.set_certificate(&cert)?;
        builder.check_private_key()?;
        Ok(builder.build())
    }

    fn certificate(&self, key: &PKey<Private>, ip: Ipv4Addr, names: &[&str]) -> Result<X509> {
        let mut subject = X509NameBuilder::new()?;
        subject.append_entry_by_text("CN", &ip.to_string())?;
        let subject = subject.build();
        let mut builder = X509::builder()?;
        builder.set_version(2)?;
        let serial = BigNum::from_u32(u32::from(ip))?.to_asn1_integer()?;
        builder.set_serial_number(&serial)?;
        builder.set_subject_name(&subject)?;
        builder.set_issuer_name(self.ca_cert.subject_name())?;
        builder.set_pubkey(key)?;
        builder.set_not_before(&*Asn1Time::from_unix(jiff::Timestamp::now().as_second() - 86_400)?)?;
        builder.set_not_after(&*Asn1Time::days_from_now(365)?)?;
        let mut san = SubjectAlternativeName::new();
        san.ip(&ip.to_string());
        for name in names {
            san.dns(name);
        }
        let san = san.build(&builder.x509v3_context(Some(&self.ca_cert), None))?;
        builder.append_extension(san)?;
        builder.sign(&self.ca_key, MessageDigest::sha256())?;
        Ok(builder.build())
    }
}
