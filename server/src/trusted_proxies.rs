//! The load balancers an operator trusts to name the client (`--trusted-proxies`). Behind a
//! balancer every connection comes from the balancer: its `X-Forwarded-For` names the client,
//! but only a proxy the operator trusts may say so (anyone else could name any address). A
//! setting, read by the HTTP layer (`http/client_address.rs`): it lives below both.

use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The proxies whose `X-Forwarded-For` is believed: addresses or networks, e.g.
/// `10.0.0.5,10.1.0.0/16`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{item:?} is neither an IP address nor a network like 10.0.0.0/8"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The client: the connection's peer, unless that is a trusted proxy; then the nearest
    /// address in `X-Forwarded-For` (read from the right, where the proxies append) that is not
    /// a trusted proxy itself.
    pub fn client(&self, peer: IpAddr, forwarded_for: &str) -> IpAddr {
        // A server listening on [::] sees IPv4 peers as ::ffff:a.b.c.d.
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let chain = forwarded_for.rsplit(',').map(|hop| parse_hop(hop.trim())).take_while(Option::is_some).flatten();
        let mut nearest = peer;
        for hop in chain {
            nearest = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        nearest
    }
}

/// An address of `X-Forwarded-For`, with or without a port (`203.0.113.7:51234`, `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>().or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip())).ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn only_a_trusted_proxy_may_name_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.5, 192.168.0.0/16").expect("list");
        let xff = "203.0.113.7, 192.168.1.1";
        assert_eq!(proxies.client(ip("10.0.0.5"), xff), ip("203.0.113.7"), "through two trusted proxies");
        assert_eq!(proxies.client(ip("198.51.100.9"), xff), ip("198.51.100.9"), "a stranger names nobody");
        assert_eq!(
            proxies.client(ip("10.0.0.5"), "1.1.1.1, 203.0.113.7"),
            ip("203.0.113.7"),
            "the nearest untrusted hop, not a forged first one"
        );
        assert_eq!(proxies.client(ip("10.0.0.5"), ""), ip("10.0.0.5"));
        assert_eq!(proxies.client(ip("10.0.0.5"), "garbage"), ip("10.0.0.5"));
        assert_eq!(proxies.client(ip("10.0.0.5"), "203.0.113.7:51234"), ip("203.0.113.7"), "with a port");
        assert_eq!(proxies.client(ip("::ffff:10.0.0.5"), xff), ip("203.0.113.7"), "an IPv4 peer seen through [::]");
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.5"), xff),
            ip("10.0.0.5"),
            "nobody is trusted by default"
        );
    }

    #[test]
    fn the_list_takes_addresses_and_networks() {
        assert!(TrustedProxies::parse("").expect("empty").0.is_empty());
        assert_eq!(TrustedProxies::parse("10.0.0.5,fd00::/8").expect("list").0.len(), 2);
        assert!(TrustedProxies::parse("10.0.0.5,nonsense").is_err());
    }
}
