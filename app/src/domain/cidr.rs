//! IPv4 subnets: containment, reserved addresses (R4, R5) and the address allocator (R7).

use super::error::{AppError, ErrorCode};
use super::ipv4::Ipv4;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A subnet in CIDR notation whose address is its network address (`10.0.1.0/24`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubnetCidr {
    network: Ipv4,
    prefix: u8,
}

impl SubnetCidr {
    /// Parses `a.b.c.d/n` with `n` from 8 to 30 (smaller subnets have no usable address once the
    /// gateway is taken); the address must be the network address itself.
    pub fn parse(text: &str) -> Result<SubnetCidr, String> {
        let (address, prefix) = text.split_once('/').ok_or_else(|| format!("{text:?} is not in CIDR notation"))?;
        let network = Ipv4::parse(address).map_err(|_| format!("{text:?} has a malformed address"))?;
        let prefix: u8 = match prefix.parse() {
            Ok(p) if (8..=30).contains(&p) && !prefix.starts_with('0') => p,
            _ => return Err(format!("{text:?} needs a prefix length from 8 to 30")),
        };
        let cidr = SubnetCidr { network, prefix };
        if cidr.network_address() != network {
            return Err(format!("{text:?} is not a network address (expected {})", cidr.network_address()));
        }
        Ok(cidr)
    }

    fn mask(self) -> u32 {
        u32::MAX << (32 - u32::from(self.prefix))
    }

    pub fn prefix(self) -> u8 {
        self.prefix
    }

    pub fn network_address(self) -> Ipv4 {
        Ipv4::from_u32(self.network.to_u32() & self.mask())
    }

    pub fn broadcast_address(self) -> Ipv4 {
        Ipv4::from_u32(self.network.to_u32() | !self.mask())
    }

    pub fn contains(self, ip: Ipv4) -> bool {
        ip.to_u32() & self.mask() == self.network.to_u32()
    }

    /// Whether `inner` lies wholly inside this network (a subnet inside its VPC).
    pub fn covers(self, inner: SubnetCidr) -> bool {
        inner.prefix >= self.prefix && self.contains(inner.network)
    }

    /// The first and last address a host may use (the network and broadcast excluded).
    pub fn host_range(self) -> (Ipv4, Ipv4) {
        (Ipv4::from_u32(self.network_address().to_u32() + 1), Ipv4::from_u32(self.broadcast_address().to_u32() - 1))
    }
}

impl fmt::Display for SubnetCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Serialize for SubnetCidr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SubnetCidr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        SubnetCidr::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The addresses of a subnet that R5 keeps from HAVIPs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reserved {
    Network,
    Broadcast,
    Gateway,
}

/// A subnet as the HAVIP rules see it: its range and its gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubnetRange {
    pub cidr: SubnetCidr,
    pub gateway: Ipv4,
}

impl SubnetRange {
    /// R4 and R5: the address is inside the subnet and is not its network, broadcast or gateway.
    pub fn check_address(self, ip: Ipv4) -> Result<Ipv4, AppError> {
        if !self.cidr.contains(ip) {
            return Err(AppError::with_detail(ErrorCode::IpOutOfRange, format!("{ip} is outside {}", self.cidr)));
        }
        if let Some(reserved) = self.reserved(ip) {
            let which = match reserved {
                Reserved::Network => "network address",
                Reserved::Broadcast => "broadcast address",
                Reserved::Gateway => "gateway",
            };
            return Err(AppError::with_detail(ErrorCode::IpReserved, format!("{ip} is the {which} of {}", self.cidr)));
        }
        Ok(ip)
    }

    /// Which reserved address of the subnet `ip` is, if it is one (R5).
    pub fn reserved(self, ip: Ipv4) -> Option<Reserved> {
        if ip == self.cidr.network_address() {
            Some(Reserved::Network)
        } else if ip == self.cidr.broadcast_address() {
            Some(Reserved::Broadcast)
        } else if ip == self.gateway {
            Some(Reserved::Gateway)
        } else {
            None
        }
    }

    /// The first and last addresses a HAVIP can take: the host range without a gateway at
    /// either end. A gateway inside the range is not in it either (see `gateway_inside`).
    pub fn usable_range(self) -> (Ipv4, Ipv4) {
        let (first, last) = self.cidr.host_range();
        let first = if first == self.gateway { Ipv4::from_u32(first.to_u32() + 1) } else { first };
        let last = if last == self.gateway { Ipv4::from_u32(last.to_u32() - 1) } else { last };
        (first, last)
    }

    /// Whether the gateway lies strictly inside the usable range, so that a hint must name it.
    pub fn gateway_inside(self) -> bool {
        let (first, last) = self.usable_range();
        (first.to_u32()..=last.to_u32()).contains(&self.gateway.to_u32())
    }

    /// R7: the lowest usable address that is not in `used` (sorted or not).
    pub fn lowest_free(self, used: &[u32]) -> Result<Ipv4, AppError> {
        let mut taken: Vec<u32> = used.to_vec();
        taken.push(self.gateway.to_u32());
        taken.sort_unstable();
        taken.dedup();
        let (first, last) = self.cidr.host_range();
        let mut candidate = first.to_u32();
        for value in taken {
            if value < candidate {
                continue;
            }
            if value > candidate {
                break;
            }
            candidate += 1;
        }
        if candidate <= last.to_u32() {
            Ok(Ipv4::from_u32(candidate))
        } else {
            Err(AppError::with_detail(ErrorCode::SubnetExhausted, format!("{} has no free address", self.cidr)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usable_range_leaves_out_a_gateway_at_either_end() {
        let range = |cidr: &str, gateway: &str| SubnetRange {
            cidr: SubnetCidr::parse(cidr).expect("cidr"),
            gateway: Ipv4::parse(gateway).expect("gateway"),
        };
        let low = range("10.0.2.0/24", "10.0.2.1");
        assert_eq!(low.usable_range(), (Ipv4::parse("10.0.2.2").expect("ip"), Ipv4::parse("10.0.2.254").expect("ip")));
        assert!(!low.gateway_inside());
        let high = range("10.0.2.0/24", "10.0.2.254");
        assert_eq!(high.usable_range().1, Ipv4::parse("10.0.2.253").expect("ip"));
        let middle = range("10.0.2.0/24", "10.0.2.100");
        assert!(middle.gateway_inside());
        assert_eq!(middle.reserved(Ipv4::parse("10.0.2.100").expect("ip")), Some(Reserved::Gateway));
        assert_eq!(middle.reserved(Ipv4::parse("10.0.2.0").expect("ip")), Some(Reserved::Network));
        assert_eq!(middle.reserved(Ipv4::parse("10.0.2.255").expect("ip")), Some(Reserved::Broadcast));
        assert_eq!(middle.reserved(Ipv4::parse("10.0.2.7").expect("ip")), None);
    }
    use proptest::prelude::*;

    fn range(cidr: &str, gateway: &str) -> SubnetRange {
        SubnetRange { cidr: SubnetCidr::parse(cidr).expect("cidr"), gateway: Ipv4::parse(gateway).expect("gateway") }
    }

    #[test]
    fn parses_and_refuses_cidrs() {
        assert_eq!(SubnetCidr::parse("10.0.1.0/24").expect("valid").to_string(), "10.0.1.0/24");
        for bad in ["10.0.1.0", "10.0.1.1/24", "10.0.1.0/31", "10.0.1.0/7", "10.0.1.0/024", "x/24"] {
            assert!(SubnetCidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn checks_range_and_reserved() {
        let r = range("10.0.1.0/28", "10.0.1.1");
        let ip = |s| Ipv4::parse(s).expect("ip");
        assert!(r.check_address(ip("10.0.1.2")).is_ok());
        assert_eq!(r.check_address(ip("10.0.1.16")).expect_err("out").code, ErrorCode::IpOutOfRange);
        for reserved in ["10.0.1.0", "10.0.1.1", "10.0.1.15"] {
            assert_eq!(r.check_address(ip(reserved)).expect_err(reserved).code, ErrorCode::IpReserved);
        }
    }

    #[test]
    fn allocates_lowest_free_and_reports_exhaustion() {
        let r = range("10.0.1.0/29", "10.0.1.1");
        let ip = |s| Ipv4::parse(s).expect("ip").to_u32();
        assert_eq!(r.lowest_free(&[]).expect("free").to_string(), "10.0.1.2");
        assert_eq!(r.lowest_free(&[ip("10.0.1.2"), ip("10.0.1.4")]).expect("free").to_string(), "10.0.1.3");
        let full: Vec<u32> = (2..=6).map(|i| ip("10.0.1.0") + i).collect();
        assert_eq!(r.lowest_free(&full).expect_err("full").code, ErrorCode::SubnetExhausted);
    }

    proptest! {
        #[test]
        fn allocated_addresses_are_usable_and_free(
            base in 0u32..=u32::MAX, prefix in 24u8..=30, gateway_offset in 1u32..3,
            used_offsets in proptest::collection::vec(0u32..300, 0..40),
        ) {
            let mask = u32::MAX << (32 - u32::from(prefix));
            let network = Ipv4::from_u32(base & mask);
            let cidr = SubnetCidr::parse(&format!("{network}/{prefix}")).expect("cidr");
            let gateway = Ipv4::from_u32(network.to_u32() + gateway_offset);
            let r = SubnetRange { cidr, gateway };
            let used: Vec<u32> = used_offsets.iter().map(|o| network.to_u32().wrapping_add(*o)).collect();
            if let Ok(ip) = r.lowest_free(&used) {
                prop_assert!(r.check_address(ip).is_ok());
                prop_assert!(!used.contains(&ip.to_u32()));
                // Nothing lower was free.
                let (first, _) = cidr.host_range();
                for lower in first.to_u32()..ip.to_u32() {
                    prop_assert!(used.contains(&lower) || lower == gateway.to_u32());
                }
            }
        }
    }
}
