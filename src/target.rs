//! Targets as operators and inventories write them, parsed: the `Endpoint`
//! a probe connects to (host, port, scheme, and an address beside a name),
//! `host`, `host:port`, `[v6]:port` and URL targets, and CIDR ranges
//! (`10.1.2.0/28`, `2001:db8::/120`). Pure parsing, no I/O: the inventory
//! turns rows into targets with it, the prober connects to what it yields.

use std::net::IpAddr;

/// Where to connect and what to call the host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// Name for DNS, SNI and the Host header (IPv6 without brackets).
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// TLS (`https`) or plain HTTP.
    pub https: bool,
    /// The address to connect to when the inventory gives one beside the
    /// name (as `curl --resolve` does): no lookup, and `host` is still the
    /// TLS SNI and the HTTP Host.
    pub connect: Option<IpAddr>,
}

impl Endpoint {
    /// An endpoint found by its name (or address) alone.
    pub fn new(host: impl Into<String>, port: u16, https: bool) -> Endpoint {
        Endpoint { host: host.into(), port, https, connect: None }
    }

    /// The address connected to, where it is known without a lookup.
    pub fn address(&self) -> Option<IpAddr> {
        self.connect.or_else(|| self.host.parse().ok())
    }

    /// The host as URLs write it: an IPv6 address in brackets.
    pub fn url_host(&self) -> String {
        if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() }
    }

    /// The Host header: the port only when it is not the scheme's default.
    pub fn host_header(&self) -> String {
        let default = if self.https { 443 } else { 80 };
        if self.port == default { self.url_host() } else { format!("{}:{}", self.url_host(), self.port) }
    }
}

/// Ranges with more addresses than this are refused unless `--allow-large`.
pub const MAX_RANGE: u128 = 65_536;

/// An address range in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    /// The first address (host bits cleared).
    pub first: IpAddr,
    /// The prefix length (0–32 for IPv4, 0–128 for IPv6).
    pub prefix: u8,
}

impl Net {
    /// Reads `ADDR/PREFIX`; host bits set in `ADDR` are cleared.
    pub fn parse(text: &str) -> Result<Net, String> {
        let (addr, prefix) = text.split_once('/').ok_or_else(|| format!("{text:?} is not a CIDR range"))?;
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        let addr: IpAddr = addr.parse().map_err(|_| format!("{text:?}: {addr:?} is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix.parse::<u8>() {
            Ok(p) if p <= max => p,
            _ => return Err(format!("{text:?}: the prefix length must be a number from 0 to {max}")),
        };
        let first = match addr {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask_v4(prefix)).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask_v6(prefix)).into()),
        };
        Ok(Net { first, prefix })
    }

    /// How many addresses the range holds.
    pub fn size(&self) -> u128 {
        let bits = if self.first.is_ipv4() { 32 } else { 128 };
        1u128.checked_shl(u32::from(bits - self.prefix)).unwrap_or(u128::MAX)
    }

    /// Whether `ip` lies in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.first, ip) {
            (IpAddr::V4(first), IpAddr::V4(ip)) => u32::from(ip) & mask_v4(self.prefix) == u32::from(first),
            (IpAddr::V6(first), IpAddr::V6(ip)) => u128::from(ip) & mask_v6(self.prefix) == u128::from(first),
            _ => false,
        }
    }

    /// Every address, in order (network and broadcast addresses included:
    /// a scan list names hosts, and Exchange is not on them in practice).
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + Send + use<> {
        let (first, size) = (self.first, self.size());
        (0..size).map(move |i| match first {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a).wrapping_add(i as u32)).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a).wrapping_add(i)).into()),
        })
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.first, self.prefix)
    }
}

fn mask_v4(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_v6(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// A target cell that names a range: `NET`, `NET:PORT` (IPv4) or
/// `[NET]:PORT`. `None` when the text is not a range at all (URLs included).
pub fn parse_range(target: &str) -> Option<Result<(Net, Option<u16>), String>> {
    if target.contains("://") || !target.contains('/') {
        return None;
    }
    let port_of = |p: &str| parse_port(p).map_err(|why| format!("{target:?}: {why}"));
    let (net, port) = if let Some(rest) = target.strip_prefix('[') {
        match rest.split_once(']') {
            Some((net, "")) => (net, None),
            Some((net, after)) => match after.strip_prefix(':') {
                Some(port) => (net, Some(port)),
                None => return Some(Err(format!("{target:?}: junk after ']'"))),
            },
            None => return Some(Err(format!("{target:?}: unclosed '['"))),
        }
    } else {
        match target.split_once('/') {
            // `10.0.0.0/24:8443`: the port follows the prefix.
            Some((addr, rest)) if !addr.contains(':') && rest.contains(':') => {
                let (prefix, port) = rest.split_once(':').expect("has a colon");
                return Some(Net::parse(&format!("{addr}/{prefix}")).and_then(|net| Ok((net, Some(port_of(port)?)))));
            }
            _ => (target, None),
        }
    };
    Some(Net::parse(net).and_then(|net| Ok((net, port.map(port_of).transpose()?))))
}

/// A port number from 1 to 65535.
pub fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(p as u16),
        _ => Err(format!("port {text:?} is not a number from 1 to 65535")),
    }
}

/// Parses one target; the port column (if any) applies when the target names none.
pub fn parse_target(target: &str, port: Option<u16>) -> Result<Endpoint, String> {
    if target.contains("://") {
        let uri: hyper::Uri = target.parse().map_err(|_| format!("{target:?} is not a URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(format!("{target:?}: only http and https URLs can be probed")),
        };
        let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| format!("{target:?} names no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        check_host(host)?;
        // The authority's own text: `Uri` drops a port that does not fit in
        // 16 bits, and 65536 must not silently become 443 (issue 12).
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or("");
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let after_host = &authority[authority.rfind(']').map_or(0, |i| i + 1)..];
        let port = match after_host.rsplit_once(':').map(|(_, p)| p).filter(|p| !p.is_empty()) {
            Some(text) => parse_port(text).map_err(|why| format!("{target:?}: {why}"))?,
            None => port.unwrap_or(if https { 443 } else { 80 }),
        };
        return Ok(Endpoint::new(host, port, https));
    }
    let (host, own_port) = if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| format!("{target:?}: unclosed '['"))?;
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':').ok_or_else(|| format!("{target:?}: junk after ']'"))?)),
        }
    } else if target.matches(':').count() == 1 {
        let (h, p) = target.split_once(':').expect("one colon");
        (h, Some(p))
    } else {
        (target, None)
    };
    check_host(host)?;
    let port = match own_port {
        Some(p) => parse_port(p)?,
        None => port.unwrap_or(443),
    };
    Ok(Endpoint::new(host, port, true))
}

/// Whether `host` is usable as a host name or an address (IPv6 without
/// brackets); the error says why not.
pub fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("empty host".into());
    }
    if host.len() > 253 {
        return Err("host name longer than 253 characters".into());
    }
    if host.contains(':') {
        return host.parse::<std::net::Ipv6Addr>().map(|_| ()).map_err(|_| format!("{host:?} is not an IPv6 address"));
    }
    let ok = host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !ok {
        return Err(format!("{:?} is not a host name or address", crate::sanitize::clean(host)));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
