//! Strict dotted-decimal IPv4 addresses (R4): four decimal octets, no leading zeros, no spaces.

use super::error::{AppError, ErrorCode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4(u32);

impl Ipv4 {
    pub fn from_u32(value: u32) -> Self {
        Ipv4(value)
    }

    pub fn to_u32(self) -> u32 {
        self.0
    }

    /// Parses `a.b.c.d`. `010.0.0.1` is refused because some tools read it as octal, and
    /// surrounding spaces are refused so that what is stored is exactly what was checked.
    pub fn parse(text: &str) -> Result<Ipv4, AppError> {
        let malformed =
            || AppError::with_detail(ErrorCode::IpMalformed, format!("{text:?} is not a dotted-decimal IPv4 address"));
        let mut value: u32 = 0;
        let mut parts = 0;
        for part in text.split('.') {
            parts += 1;
            let well_formed = !part.is_empty()
                && part.len() <= 3
                && part.bytes().all(|b| b.is_ascii_digit())
                && (part == "0" || !part.starts_with('0'));
            if parts > 4 || !well_formed {
                return Err(malformed());
            }
            let octet: u32 = part.parse().map_err(|_| malformed())?;
            if octet > 255 {
                return Err(malformed());
            }
            value = (value << 8) | octet;
        }
        if parts != 4 {
            return Err(malformed());
        }
        Ok(Ipv4(value))
    }
}

impl fmt::Display for Ipv4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

impl Serialize for Ipv4 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ipv4 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ipv4::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_dotted_decimal() {
        assert_eq!(Ipv4::parse("10.0.1.5").expect("valid").to_string(), "10.0.1.5");
        assert_eq!(Ipv4::parse("0.0.0.0").expect("valid").to_u32(), 0);
        assert_eq!(Ipv4::parse("255.255.255.255").expect("valid").to_u32(), u32::MAX);
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "10.0.0",
            "10.0.0.256",
            "010.0.0.1",
            " 10.0.0.5 ",
            "10.0.0.5 ",
            "10.0.0.-1",
            "10..0.1",
            "10.0.0.1.2",
            "::1",
            "fe80::1",
            "a.b.c.d",
            "1e1.0.0.1",
            "+1.0.0.1",
            "10.0.0.1\n",
            "１０.0.0.1",
            "1000.0.0.1",
        ] {
            let err = Ipv4::parse(bad).expect_err(bad);
            assert_eq!(err.code, ErrorCode::IpMalformed, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn display_round_trips(value: u32) {
            let ip = Ipv4::from_u32(value);
            prop_assert_eq!(Ipv4::parse(&ip.to_string()).expect("round trip"), ip);
        }

        #[test]
        fn parse_never_panics(text in ".{0,20}") {
            let _ = Ipv4::parse(&text);
        }
    }
}
