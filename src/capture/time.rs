//! Capture timestamps at the precision the capture recorded them.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::timefmt::Rfc3339Writer;

/// How finely the capture recorded a time: it decides how many fractional
/// digits are printed (6 or 9), so nothing is invented or lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// Microseconds or coarser (classic pcap, pcapng default `if_tsresol` 6).
    Micro,
    /// Finer than microseconds (nanosecond pcap, pcapng `if_tsresol` 9).
    Nano,
}

/// A packet's capture time: seconds since the Unix epoch (UTC) plus
/// nanoseconds, and the precision of the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
    pub precision: Precision,
}

impl Timestamp {
    /// Builds a timestamp, carrying whole seconds out of `nanos`.
    pub fn new(secs: i64, nanos: u64, precision: Precision) -> Timestamp {
        let carry = (nanos / 1_000_000_000) as i64;
        Timestamp {
            secs: secs.saturating_add(carry),
            nanos: (nanos % 1_000_000_000) as u32,
            precision,
        }
    }

    /// Nanoseconds since the epoch, for arithmetic.
    pub fn as_nanos(&self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }

    /// As a `SystemTime` (`None` outside its range).
    pub fn to_system_time(&self) -> Option<SystemTime> {
        if self.secs >= 0 {
            UNIX_EPOCH.checked_add(Duration::new(self.secs as u64, self.nanos))
        } else {
            UNIX_EPOCH
                .checked_sub(Duration::from_secs(self.secs.unsigned_abs()))?
                .checked_add(Duration::from_nanos(u64::from(self.nanos)))
        }
    }

    /// RFC 3339 UTC with 6 or 9 fractional digits according to the
    /// precision: `2026-11-22T21:19:29.123456Z`.
    pub fn format_rfc3339(&self) -> String {
        let mut out = String::with_capacity(30);
        self.push_rfc3339(&mut Rfc3339Writer::new(), &mut out);
        out
    }

    /// Appends what [`Timestamp::format_rfc3339`] returns, through a
    /// writer that keeps the date of the last second it wrote (timefmt's
    /// one RFC 3339 writer): 1970 to 9999 at the capture's precision, raw
    /// seconds outside.
    pub fn push_rfc3339(&self, w: &mut Rfc3339Writer, out: &mut String) {
        let digits = match self.precision {
            Precision::Micro => 6,
            Precision::Nano => 9,
        };
        let written = u64::try_from(self.secs).is_ok_and(|s| w.push(s, self.nanos, digits, out));
        if !written {
            use fmt::Write as _;
            let _ = write!(out, "{}.{:09}s-since-epoch", self.secs, self.nanos);
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_at_capture_precision() {
        let t = Timestamp::new(1_700_000_000, 123_456_000, Precision::Micro);
        assert_eq!(t.format_rfc3339(), "2023-11-14T22:13:20.123456Z");
        let t = Timestamp::new(1_700_000_000, 123_456_789, Precision::Nano);
        assert_eq!(t.format_rfc3339(), "2023-11-14T22:13:20.123456789Z");
        let t = Timestamp::new(0, 1_500_000_000, Precision::Micro);
        assert_eq!((t.secs, t.nanos), (1, 500_000_000));
        assert_eq!(t.format_rfc3339(), "1970-01-01T00:00:01.500000Z");
        let t = Timestamp::new(-1, 0, Precision::Micro);
        assert_eq!(t.format_rfc3339(), "-1.000000000s-since-epoch");
    }

    proptest::proptest! {
        /// The cached writer writes what humantime writes (raw seconds
        /// outside 1970..=9999), for any time, precision and sequence
        /// (cache hits and misses), and `Display` the same.
        #[test]
        fn writer_equals_display(
            times in proptest::collection::vec(
                (-10i64..253_402_300_810, 0u64..1_000_000_000, proptest::bool::ANY),
                1..20,
            ),
            repeat in proptest::bool::ANY,
        ) {
            let mut w = Rfc3339Writer::new();
            for (secs, nanos, nano) in times {
                let p = if nano { Precision::Nano } else { Precision::Micro };
                let t = Timestamp::new(secs, nanos, p);
                for _ in 0..(1 + usize::from(repeat)) {
                    let mut out = String::from("x");
                    t.push_rfc3339(&mut w, &mut out);
                    let expected = match t.to_system_time() {
                        Some(st) if (0..253_402_300_800).contains(&t.secs) => match p {
                            Precision::Micro => humantime::format_rfc3339_micros(st).to_string(),
                            Precision::Nano => humantime::format_rfc3339_nanos(st).to_string(),
                        },
                        _ => format!("{}.{:09}s-since-epoch", t.secs, t.nanos),
                    };
                    proptest::prop_assert_eq!(&out[1..], expected.as_str());
                    proptest::prop_assert_eq!(t.to_string(), expected);
                }
            }
        }
    }

    #[test]
    fn writer_at_the_edges() {
        let mut w = Rfc3339Writer::new();
        for secs in [0, 59, 86_399, 86_400, 951_782_400, 253_402_300_799] {
            for p in [Precision::Micro, Precision::Nano] {
                let t = Timestamp::new(secs, 999_999_999, p);
                let mut out = String::new();
                t.push_rfc3339(&mut w, &mut out);
                assert_eq!(out, t.to_string());
            }
        }
    }
}
