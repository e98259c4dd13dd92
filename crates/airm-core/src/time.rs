//! Points in time as milliseconds since the Unix epoch, written as RFC 3339 UTC text.
//!
//! A hand-written civil-calendar conversion keeps the crate free of a date library; the
//! store keeps the integer, JSON and humans see `2026-12-04T16:05:22.123Z`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ParseError;

/// Milliseconds since 1970-01-01T00:00:00Z (UTC). Serialised as RFC 3339 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Timestamp {}

impl Timestamp {
    /// The current time from the system clock.
    pub fn now() -> Self {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// This time plus `days` whole days.
    pub fn plus_days(self, days: i64) -> Self {
        Timestamp(self.0.saturating_add(days.saturating_mul(86_400_000)))
    }

    /// The calendar date part, `YYYY-MM-DD`.
    pub fn date(self) -> String {
        let s = self.to_string();
        s.get(..10).unwrap_or(&s).to_string()
    }
}

// Howard Hinnant's days_from_civil / civil_from_days algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400_000);
        let rem = self.0.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let (h, mi, s, ms) = (
            rem / 3_600_000,
            rem / 60_000 % 60,
            rem / 1000 % 60,
            rem % 1000,
        );
        write!(f, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }
}

fn bad(s: &str) -> ParseError {
    ParseError {
        kind: "timestamp",
        value: s.to_string(),
        expected: "RFC 3339, e.g. 2026-01-31T12:00:00Z, or a date YYYY-MM-DD".to_string(),
    }
}

fn num(s: &str, range: std::ops::Range<usize>, full: &str) -> Result<i64, ParseError> {
    let part = s.get(range).ok_or_else(|| bad(full))?;
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(full));
    }
    part.parse().map_err(|_| bad(full))
}

impl FromStr for Timestamp {
    type Err = ParseError;

    /// Accepts `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)` (a space may replace `T`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if !t.is_ascii() || t.len() < 10 {
            return Err(bad(s));
        }
        let y = num(t, 0..4, s)?;
        let m = num(t, 5..7, s)?;
        let d = num(t, 8..10, s)?;
        if t.as_bytes().get(4) != Some(&b'-') || t.as_bytes().get(7) != Some(&b'-') {
            return Err(bad(s));
        }
        let dim = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
            2 => 28,
            _ => return Err(bad(s)),
        };
        if d < 1 || d > dim {
            return Err(bad(s));
        }
        let days = days_from_civil(y, m, d);
        if t.len() == 10 {
            return Ok(Timestamp(days * 86_400_000));
        }
        let sep = t.as_bytes()[10];
        if !(sep == b'T' || sep == b't' || sep == b' ') || t.len() < 19 {
            return Err(bad(s));
        }
        let h = num(t, 11..13, s)?;
        let mi = num(t, 14..16, s)?;
        let sec = num(t, 17..19, s)?;
        if h > 23 || mi > 59 || sec > 60 || t.as_bytes()[13] != b':' || t.as_bytes()[16] != b':' {
            return Err(bad(s));
        }
        let mut rest = &t[19..];
        let mut ms = 0i64;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(bad(s));
            }
            let mut scale = 100;
            for b in frac.as_bytes().iter().take(digits.min(3)) {
                ms += i64::from(b - b'0') * scale;
                scale /= 10;
            }
            rest = &frac[digits..];
        }
        let offset_min = match rest {
            "Z" | "z" => 0,
            _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
                let oh = num(rest, 1..3, s)?;
                let om = num(rest, 4..6, s)?;
                if rest.as_bytes()[3] != b':' || oh > 23 || om > 59 {
                    return Err(bad(s));
                }
                let sign = if rest.starts_with('-') { -1 } else { 1 };
                sign * (oh * 60 + om)
            }
            _ => return Err(bad(s)),
        };
        let total = days * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec.min(59) * 1000 + ms
            - offset_min * 60_000;
        Ok(Timestamp(total))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp(1_733_328_322_123).to_string(),
            "2024-12-04T16:05:22.123Z"
        );
        assert_eq!(
            "2024-12-04T17:05:22.123+01:00".parse::<Timestamp>(),
            Ok(Timestamp(1_733_328_322_123))
        );
        assert_eq!(
            "2000-02-29".parse::<Timestamp>(),
            Ok(Timestamp(951_782_400_000))
        );
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2024-13-01",
            "2023-02-29",
            "2024-01-01T25:00:00Z",
            "2024-01-01T10:00:00",
            "2024-01-01T10:00:00.Z",
            "x024-01-01",
            "2024-01-01T10:00:00+1:00",
            "２０２４-01-01",
        ] {
            assert!(s.parse::<Timestamp>().is_err(), "{s} should not parse");
        }
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(ms in -62_135_596_800_000i64..253_402_300_799_999i64) {
            let t = Timestamp(ms);
            prop_assert_eq!(t.to_string().parse::<Timestamp>(), Ok(t));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<Timestamp>();
        }
    }
}
