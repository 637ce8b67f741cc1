//! Timestamps: seconds since the Unix epoch, rendered as RFC 3339 UTC.
//!
//! A tiny civil-calendar conversion (Howard Hinnant's `civil_from_days`) instead of a date crate: procsift
//! only ever needs UTC, and only to print it.

use serde::{Deserialize, Serialize, Serializer};

/// A UTC instant with nanosecond precision, stored as seconds and nanoseconds since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct Timestamp {
    /// Whole seconds since the epoch (negative before 1970).
    pub secs: i64,
    /// Nanoseconds within the second, 0..1_000_000_000.
    pub nanos: u32,
}

impl Timestamp {
    /// Builds a timestamp from fractional seconds since the epoch; `None` if not finite or out of range.
    pub fn from_secs_f64(secs: f64) -> Option<Self> {
        if !secs.is_finite() || secs.abs() > 1e15 {
            return None;
        }
        let whole = secs.floor();
        let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
        Some(Timestamp {
            secs: whole as i64,
            nanos,
        })
    }

    /// The current time.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp {
            secs: d.as_secs() as i64,
            nanos: d.subsec_nanos(),
        }
    }

    /// Microseconds since the epoch, `None` outside the 64-bit range.
    pub fn as_micros(&self) -> Option<i64> {
        self.secs
            .checked_mul(1_000_000)?
            .checked_add(i64::from(self.nanos / 1000))
    }

    /// Seconds since the epoch as a float.
    pub fn as_secs_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// RFC 3339 in UTC, with fractional seconds only when there are any (`2026-11-22T13:47:18.25Z`).
    pub fn rfc3339(&self) -> String {
        let (date, time) = self.parts();
        let mut s = format!("{date}T{time}");
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        s.push('Z');
        s
    }

    /// `YYYY-MM-DD` and `HH:MM:SS`, UTC.
    pub fn parts(&self) -> (String, String) {
        let days = self.secs.div_euclid(86_400);
        let sod = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (
            format!("{y:04}-{m:02}-{d:02}"),
            format!("{:02}:{:02}:{:02}", sod / 3600, sod / 60 % 60, sod % 60),
        )
    }

    /// Compact form for file names: `20261122T134718Z`.
    pub fn compact(&self) -> String {
        self.rfc3339_seconds().replace(['-', ':'], "")
    }

    fn rfc3339_seconds(&self) -> String {
        let (date, time) = self.parts();
        format!("{date}T{time}Z")
    }

    /// Parses the output of [`Timestamp::rfc3339`] (UTC `Z` only).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let s = s.strip_suffix('Z')?;
        let (date, time) = s.split_once('T')?;
        let mut dp = date.splitn(3, '-');
        let y: i64 = dp.next()?.parse().ok()?;
        let m: u32 = dp.next()?.parse().ok()?;
        let d: u32 = dp.next()?.parse().ok()?;
        let (hms, frac) = match time.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (time, None),
        };
        let mut tp = hms.splitn(3, ':');
        let hh: i64 = tp.next()?.parse().ok()?;
        let mm: i64 = tp.next()?.parse().ok()?;
        let ss: i64 = tp.next()?.parse().ok()?;
        let nanos = match frac {
            Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
                f.parse::<u32>().ok()? * 10u32.pow(9 - f.len() as u32)
            }
            Some(_) => return None,
            None => 0,
        };
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
        let secs = days_from_civil(y, m, d)?
            .checked_mul(86_400)?
            .checked_add(hh * 3600 + mm * 60 + ss)?;
        Some(Timestamp { secs, nanos })
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Timestamp::parse_rfc3339(&s).ok_or_else(|| format!("not an RFC 3339 UTC time: {s}"))
    }
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a civil date; `None` when the year is so far out that the count overflows
/// (a hostile manifest can carry any year).
fn days_from_civil(y: i64, m: u32, d: u32) -> Option<i64> {
    let y = if m <= 2 { y.checked_sub(1)? } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era.checked_mul(146_097)?.checked_add(doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let t = Timestamp { secs: 0, nanos: 0 };
        assert_eq!(t.rfc3339(), "1970-01-01T00:00:00Z");
        // `date -u -d @1795355238` = Sun Nov 22 13:47:18 UTC 2026
        let t = Timestamp {
            secs: 1_795_355_238,
            nanos: 250_000_000,
        };
        assert_eq!(t.rfc3339(), "2026-11-22T13:47:18.25Z");
        assert_eq!(t.compact(), "20261122T134718Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.rfc3339()), Some(t));
        let leap = Timestamp::parse_rfc3339("2024-02-29T23:59:59Z").unwrap();
        assert_eq!(leap.rfc3339(), "2024-02-29T23:59:59Z");
    }

    /// Hostile manifests carry any year: a time that does not fit is no time (and never a panic with
    /// overflow checks on, as in this debug build).
    #[test]
    fn far_years_are_refused_not_overflowed() {
        for s in [
            "9223372036854775807-12-31T23:59:59Z",
            "-9223372036854775808-01-01T00:00:00Z",
            "292277026596-12-04T15:30:08Z",
            "99999999999999-01-01T00:00:00Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(s), None, "{s}");
        }
        // The far end of what fits still round-trips.
        let t = Timestamp::parse_rfc3339("9999-12-31T23:59:59Z").unwrap();
        assert_eq!(t.secs, 253_402_300_799);
        // Printing any stored instant never overflows.
        for secs in [i64::MAX, i64::MIN, i64::MAX - 86_400, i64::MIN + 1] {
            let t = Timestamp {
                secs,
                nanos: 999_999_999,
            };
            assert!(t.rfc3339().ends_with('Z'));
            let _ = t.compact();
        }
    }
}
