//! Name resolution for probing: an asynchronous stub resolver (hickory)
//! reading `/etc/hosts` and `/etc/resolv.conf`, so that every lookup is a
//! future with its own timeout. Through `getaddrinfo`, each lookup holds a
//! blocking thread until the system resolver gives up (10 s and more per
//! name), and names whose DNS server never answers would starve the lookups
//! of every other host once the thread pool is full. Where no resolver
//! configuration can be read, the system's `getaddrinfo` is the fallback.

use hickory_resolver::TokioResolver;
use hickory_resolver::config::LookupIpStrategy;
use std::net::{IpAddr, SocketAddr};

/// Resolves host names; one per scan.
#[derive(Clone)]
pub enum Resolver {
    /// hickory-resolver from the system's resolv.conf: a timeout per lookup.
    Async(Box<TokioResolver>),
    /// The system's getaddrinfo, where no resolver could be built from the system configuration.
    System,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Resolver::Async(_) => "Resolver::Async",
            Resolver::System => "Resolver::System",
        })
    }
}

impl Resolver {
    /// The system's configuration, read now.
    pub fn from_system() -> Resolver {
        let Ok(mut builder) = TokioResolver::builder_tokio() else { return Resolver::System };
        // Both families, IPv4 first: every address is tried in turn.
        builder.options_mut().ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        builder.build().map(|r| Resolver::Async(Box::new(r))).unwrap_or(Resolver::System)
    }

    /// Every address of `host` (an address is its own answer, never looked
    /// up). The caller bounds the time.
    pub async fn lookup(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        match self {
            Resolver::Async(resolver) => {
                let found = resolver.lookup_ip(host).await.map_err(|e| e.to_string())?;
                Ok(found.iter().map(|ip| SocketAddr::new(ip, port)).collect())
            }
            Resolver::System => {
                let found = tokio::net::lookup_host((host, port)).await.map_err(|e| e.to_string())?;
                Ok(found.collect())
            }
        }
    }
}
