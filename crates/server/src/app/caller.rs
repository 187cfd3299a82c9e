//! Who is calling: the peer address, or behind a trusted reverse proxy the address that proxy
//! appended to `X-Forwarded-For`.
//!
//! Proxies such as nginx (`proxy_add_x_forwarded_for`) *append* the address they saw to whatever
//! `X-Forwarded-For` the client sent, so every hop left of the ones our own proxies wrote is
//! client-controlled. The caller is therefore the hop `--trusted-hops` places from the right,
//! and only when the peer itself is a proxy we trust (loopback, or a `--trusted-proxy` address);
//! a hop that does not parse as an address is unknown, and unknown is never loopback.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// How far `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyTrust {
    /// Whether `X-Forwarded-For` is read at all (`--trust-proxy`).
    pub enabled: bool,
    /// How many proxies in front of Hookpit append to the header (`--trusted-hops`, ≥ 1).
    pub hops: usize,
    /// Peers besides loopback whose header is believed (`--trusted-proxy`).
    pub proxies: Vec<IpAddr>,
}

/// The caller's address as far as it can be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The peer, or the hop a trusted proxy appended.
    Known(IpAddr),
    /// A trusted proxy sent a hop that is not an address: nobody can say who called.
    Unknown,
}

impl Caller {
    /// Whether the caller is on this machine; [`Caller::Unknown`] never is.
    pub fn is_loopback(self) -> bool {
        matches!(self, Caller::Known(ip) if ip.is_loopback())
    }
}

impl std::fmt::Display for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Caller::Known(ip) => ip.fmt(f),
            Caller::Unknown => f.write_str("unknown"),
        }
    }
}

impl ProxyTrust {
    /// The caller of a request from `peer` with `headers`.
    pub fn caller(&self, peer: SocketAddr, headers: &HeaderMap) -> Caller {
        let peer_ip = peer.ip().to_canonical();
        if !self.enabled || !(peer_ip.is_loopback() || self.proxies.contains(&peer_ip)) {
            return Caller::Known(peer_ip);
        }
        // Several header lines are one comma-separated list, in order (RFC 9110 §5.3).
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|value| value.as_bytes().split(|&b| b == b','))
            .map(|hop| std::str::from_utf8(hop).map_or("", str::trim))
            .collect();
        if hops.is_empty() {
            // No proxy in between: a direct call from a trusted peer.
            return Caller::Known(peer_ip);
        }
        // With fewer hops than trusted proxies every hop was written by one of ours: the
        // leftmost is the client the first proxy saw.
        let index = hops.len().saturating_sub(self.hops.max(1));
        match parse_hop(hops[index]) {
            Some(ip) => Caller::Known(ip),
            None => Caller::Unknown,
        }
    }
}

/// An address as proxies write it: `1.2.3.4`, `2001:db8::1`, `[2001:db8::1]`, or with a port
/// (`1.2.3.4:5678`, `[2001:db8::1]:5678`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(addr) = hop.parse::<SocketAddr>() {
        return Some(addr.ip().to_canonical());
    }
    let bracketed = hop.strip_prefix('[')?.strip_suffix(']')?;
    bracketed.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn trust(hops: usize) -> ProxyTrust {
        ProxyTrust {
            enabled: true,
            hops,
            proxies: vec!["10.0.0.5".parse().unwrap()],
        }
    }

    const LOOPBACK: &str = "127.0.0.1:40000";

    fn known(ip: &str) -> Caller {
        Caller::Known(ip.parse().unwrap())
    }

    #[test]
    fn the_hop_the_proxy_appended_is_the_caller_not_the_one_the_client_sent() {
        let caller = trust(1).caller(
            LOOPBACK.parse().unwrap(),
            &headers(&["127.0.0.1, 203.0.113.9"]),
        );
        assert_eq!(caller, known("203.0.113.9"));
        assert!(!caller.is_loopback());
    }

    #[test]
    fn an_unparseable_hop_is_unknown_and_never_loopback() {
        for value in ["garbage", "127.0.0.1, garbage", "", "127.0.0.1,"] {
            let caller = trust(1).caller(LOOPBACK.parse().unwrap(), &headers(&[value]));
            assert_eq!(caller, Caller::Unknown, "{value:?}");
            assert!(!caller.is_loopback());
        }
    }

    #[test]
    fn a_garbage_hop_left_of_the_proxys_own_does_not_matter() {
        let caller = trust(1).caller(
            LOOPBACK.parse().unwrap(),
            &headers(&["garbage, 203.0.113.9"]),
        );
        assert_eq!(caller, known("203.0.113.9"));
    }

    #[test]
    fn chains_of_proxies_count_hops_from_the_right() {
        let value = ["127.0.0.1, 198.51.100.7, 10.0.0.9"];
        let peer = LOOPBACK.parse().unwrap();
        assert_eq!(
            trust(2).caller(peer, &headers(&value)),
            known("198.51.100.7")
        );
        assert_eq!(trust(1).caller(peer, &headers(&value)), known("10.0.0.9"));
        // Fewer hops than proxies: the leftmost, which our first proxy wrote.
        assert_eq!(
            trust(5).caller(peer, &headers(&["198.51.100.7, 10.0.0.9"])),
            known("198.51.100.7")
        );
    }

    #[test]
    fn several_header_lines_are_one_list() {
        let caller = trust(1).caller(
            LOOPBACK.parse().unwrap(),
            &headers(&["127.0.0.1", "203.0.113.9"]),
        );
        assert_eq!(caller, known("203.0.113.9"));
    }

    #[test]
    fn the_header_of_an_untrusted_peer_is_ignored() {
        let peer: SocketAddr = "198.51.100.20:1234".parse().unwrap();
        assert_eq!(
            trust(1).caller(peer, &headers(&["127.0.0.1"])),
            known("198.51.100.20")
        );
        // A configured proxy address is believed.
        let proxy: SocketAddr = "10.0.0.5:1234".parse().unwrap();
        assert_eq!(
            trust(1).caller(proxy, &headers(&["203.0.113.9"])),
            known("203.0.113.9")
        );
    }

    #[test]
    fn without_trust_the_peer_is_the_caller() {
        let caller =
            ProxyTrust::default().caller(LOOPBACK.parse().unwrap(), &headers(&["203.0.113.9"]));
        assert_eq!(caller, known("127.0.0.1"));
        // Trusted but no header: a direct local call.
        assert_eq!(
            trust(1).caller(LOOPBACK.parse().unwrap(), &HeaderMap::new()),
            known("127.0.0.1")
        );
    }

    #[test]
    fn hops_may_carry_ports_and_brackets() {
        assert_eq!(parse_hop("203.0.113.9:443"), "203.0.113.9".parse().ok());
        assert_eq!(parse_hop("[2001:db8::1]:443"), "2001:db8::1".parse().ok());
        assert_eq!(parse_hop("[2001:db8::1]"), "2001:db8::1".parse().ok());
        assert_eq!(parse_hop("::ffff:127.0.0.1"), "127.0.0.1".parse().ok());
        assert_eq!(parse_hop("unknown"), None);
    }
}
