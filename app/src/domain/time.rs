//! Points in time as microseconds since the Unix epoch, shown at the user's UTC offset.
//!
//! The server and the browser format times with this same code, so the hydrated page shows
//! exactly what the server rendered, and no date library is shipped in the WebAssembly.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// A calendar date and time of day in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
}

const MICROS_PER_SECOND: i64 = 1_000_000;

/// The cookie in which the browser tells the server its zone, so that pages come rendered in it.
pub const UTC_OFFSET_COOKIE: &str = "havip_utc_offset";

/// A zone's offset from UTC in minutes, as the browser reports it (China: +480).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct UtcOffset(i32);

impl UtcOffset {
    /// Offsets of real zones lie within ±14 hours; anything else is not one.
    pub fn from_minutes(minutes: i32) -> Option<UtcOffset> {
        (-14 * 60..=14 * 60).contains(&minutes).then_some(UtcOffset(minutes))
    }

    pub fn minutes(self) -> i32 {
        self.0
    }

    /// The offset named by a `Cookie` header, if it names a valid one.
    pub fn from_cookie_header(header: &str) -> Option<UtcOffset> {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == UTC_OFFSET_COOKIE)
            .and_then(|(_, value)| value.parse().ok())
            .and_then(UtcOffset::from_minutes)
    }
}
const SECONDS_PER_DAY: i64 = 86_400;

impl Timestamp {
    pub fn from_micros(micros: i64) -> Self {
        Timestamp(micros)
    }

    pub fn as_micros(self) -> i64 {
        self.0
    }

    pub fn as_unix_seconds(self) -> i64 {
        self.0.div_euclid(MICROS_PER_SECOND)
    }

    pub fn civil(self) -> CivilTime {
        let seconds = self.0.div_euclid(MICROS_PER_SECOND);
        let micros = self.0.rem_euclid(MICROS_PER_SECOND) as u32;
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY) as u32;
        let (year, month, day) = civil_from_days(days);
        CivilTime {
            year,
            month,
            day,
            hour: second_of_day / 3600,
            minute: second_of_day / 60 % 60,
            second: second_of_day % 60,
            micros,
        }
    }

    /// `2026-11-25 04:05:13` for 20:05:13 UTC in China (+480), as the list shows it.
    pub fn display_in(self, offset: UtcOffset) -> String {
        Timestamp(self.0.saturating_add(i64::from(offset.0) * 60 * MICROS_PER_SECOND)).display_utc()
    }

    /// `2026-11-25T04:05` for 20:05:13 UTC in China: the value of an `<input type=datetime-local>`.
    pub fn local_input_in(self, offset: UtcOffset) -> String {
        let c = Timestamp(self.0.saturating_add(i64::from(offset.0) * 60 * MICROS_PER_SECOND)).civil();
        format!("{:04}-{:02}-{:02}T{:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute)
    }

    /// The time an `<input type=datetime-local>` value (`2026-11-25T04:05`, seconds optional)
    /// names at the offset; None for anything else.
    pub fn from_local_input(value: &str, offset: UtcOffset) -> Option<Timestamp> {
        let with_seconds = if value.len() == 16 { format!("{value}:00") } else { value.to_owned() };
        let local = Timestamp::parse_rfc3339(&format!("{with_seconds}Z"))?;
        Some(Timestamp(local.0 - i64::from(offset.0) * 60 * MICROS_PER_SECOND))
    }

    /// `2026-11-24 20:05:13`.
    pub fn display_utc(self) -> String {
        let c = self.civil();
        format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }

    /// `20261124-200513`, for file names.
    pub fn compact_utc(self) -> String {
        let c = self.civil();
        format!("{:04}{:02}{:02}-{:02}{:02}{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }

    /// RFC 3339 with microseconds, as the API answers: `2026-11-24T20:05:13.123456Z`.
    pub fn rfc3339(self) -> String {
        let c = self.civil();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second, c.micros
        )
    }

    /// Parses an RFC 3339 time: the UTC form this module writes (the fraction is optional), or
    /// one with an offset from UTC (`2026-12-04T18:00:00+08:00`), as clocks and clients send.
    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        let (text, offset_seconds) = split_offset(text)?;
        let (date, time) = text.split_once(['T', 't'])?;
        let mut date_parts = date.splitn(3, '-');
        let year: i64 = date_parts.next()?.parse().ok()?;
        let month: u32 = date_parts.next()?.parse().ok()?;
        let day: u32 = date_parts.next()?.parse().ok()?;
        let (clock, fraction) = match time.split_once('.') {
            Some((clock, fraction)) => (clock, fraction),
            None => (time, "0"),
        };
        let mut clock_parts = clock.splitn(3, ':');
        let hour: i64 = clock_parts.next()?.parse().ok()?;
        let minute: i64 = clock_parts.next()?.parse().ok()?;
        let second: i64 = clock_parts.next()?.parse().ok()?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        if fraction.is_empty() || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let micros: i64 = format!("{fraction:0<6}")[..6].parse().ok()?;
        let days = days_from_civil(year, month, day);
        let seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset_seconds;
        Some(Timestamp(seconds * MICROS_PER_SECOND + micros))
    }
}

/// The time without its zone, and the zone's offset east of UTC in seconds (`Z` is 0).
fn split_offset(text: &str) -> Option<(&str, i64)> {
    if let Some(rest) = text.strip_suffix(['Z', 'z']) {
        return Some((rest, 0));
    }
    let cut = text.len().checked_sub(6)?;
    let (rest, zone) = (text.get(..cut)?, text.get(cut..)?);
    let sign = match zone.as_bytes() {
        [b'+', _, _, b':', _, _] => 1,
        [b'-', _, _, b':', _, _] => -1,
        _ => return None,
    };
    let (hours, minutes): (i64, i64) = (zone[1..3].parse().ok()?, zone[4..6].parse().ok()?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((rest, sign * (hours * 3600 + minutes * 60)))
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&text).ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 UTC time"))
    }
}

// Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn local_inputs_read_back_at_the_offset() {
        let china = UtcOffset::from_minutes(480).expect("offset");
        let at = Timestamp::parse_rfc3339("2026-11-24T20:05:00Z").expect("time");
        assert_eq!(at.local_input_in(china), "2026-11-25T04:05");
        assert_eq!(Timestamp::from_local_input("2026-11-25T04:05", china), Some(at));
        assert_eq!(Timestamp::from_local_input("2026-11-25T04:05:00", china), Some(at));
        assert_eq!(Timestamp::from_local_input("yesterday", china), None);
    }

    #[test]
    fn times_show_in_the_users_zone() {
        let evening_utc = Timestamp::parse_rfc3339("2026-11-24T20:05:13Z").expect("parse");
        let china = UtcOffset::from_minutes(480).expect("offset");
        assert_eq!(evening_utc.display_in(china), "2026-11-25 04:05:13");
        let new_york = UtcOffset::from_minutes(-300).expect("offset");
        assert_eq!(evening_utc.display_in(new_york), "2026-11-24 15:05:13");
        assert_eq!(evening_utc.display_in(UtcOffset::default()), "2026-11-24 20:05:13");
    }

    #[test]
    fn the_zone_cookie_is_read_only_when_it_is_a_real_offset() {
        let from = UtcOffset::from_cookie_header;
        assert_eq!(from("havip_lang=en; havip_utc_offset=480").map(UtcOffset::minutes), Some(480));
        assert_eq!(from("havip_utc_offset=-570").map(UtcOffset::minutes), Some(-570));
        for bad in ["havip_utc_offset=9999", "havip_utc_offset=abc", "havip_utc_offset=", "other=480", ""] {
            assert_eq!(from(bad), None, "{bad}");
        }
    }

    #[test]
    fn known_instants() {
        let t = Timestamp::from_micros(1_764_014_713_123_456);
        assert_eq!(t.rfc3339(), "2025-11-24T20:05:13.123456Z");
        assert_eq!(t.display_utc(), "2025-11-24 20:05:13");
        assert_eq!(t.compact_utc(), "20251124-200513");
        assert_eq!(Timestamp::from_micros(0).rfc3339(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            Timestamp::parse_rfc3339("2024-02-29T23:59:59Z").expect("leap").display_utc(),
            "2024-02-29 23:59:59"
        );
    }

    proptest! {
        #[test]
        fn rfc3339_round_trips(micros in -50_000_000_000_000_000i64..50_000_000_000_000_000) {
            let t = Timestamp::from_micros(micros);
            prop_assert_eq!(Timestamp::parse_rfc3339(&t.rfc3339()), Some(t));
        }
    }
}
