//! Durations (`90m`, `72h`, `3d`, `"3 days"`, `1h 30m`) and RFC 3339 UTC
//! timestamps, the only two ways times appear in qcd's input and output.
//!
//! Durations are bounded ([`MAX_DURATION`], 100 years) and stored times are
//! bounded by [`latest`] (9999-12-31T23:59:59Z, the last instant RFC 3339
//! can write), so arithmetic on them cannot overflow; formatting accepts any
//! `SystemTime` (pcapng timestamps can be anything) and never panics.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("{input:?} is not a duration: {reason}. Accepted: a number and a unit, e.g. 90s, 30m, 72h, 3d, 30D, 2w, \"3 days\", or several, e.g. \"1h 30m\"; at most 100 years{hint}")]
    Duration {
        input: String,
        reason: String,
        /// A hint about how the shell split the value, or "".
        hint: String,
    },
    #[error("{input:?} is not an RFC 3339 UTC timestamp such as 2026-01-31T12:00:00Z: {reason}")]
    Timestamp { input: String, reason: String },
    #[error("{what} would be {at}, after 9999-12-31T23:59:59Z, the latest time qcd can store: use a shorter duration, or check QCD_NOW")]
    OutOfRange { what: String, at: String },
}

/// The environment variable that pins "now" (RFC 3339), for tests and what-if runs.
pub const NOW_ENV: &str = "QCD_NOW";

/// The longest duration qcd accepts: 100 years (of 365.25 days).
pub const MAX_DURATION: Duration = Duration::from_secs(36_525 * 86_400);

/// The latest time qcd stores, 9999-12-31T23:59:59Z, in seconds since the epoch.
pub const LATEST_SECS: u64 = 253_402_300_799;

/// The latest time qcd stores: 9999-12-31T23:59:59Z.
pub fn latest() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(LATEST_SECS)
}

/// The current time, or the time in `QCD_NOW` when set (tests and what-if runs).
pub fn now() -> Result<SystemTime, TimeError> {
    match std::env::var(NOW_ENV) {
        Ok(v) if !v.is_empty() => parse_rfc3339(&v),
        _ => Ok(SystemTime::now()),
    }
}

/// `t + d`, refused when it would pass [`latest`]; `what` names the result in the error.
pub fn checked_add(t: SystemTime, d: Duration, what: &str) -> Result<SystemTime, TimeError> {
    match t.checked_add(d) {
        Some(r) if r <= latest() => Ok(r),
        r => Err(TimeError::OutOfRange {
            what: what.to_string(),
            at: match r {
                Some(r) => format_rfc3339(r),
                None => "beyond any representable time".to_string(),
            },
        }),
    }
}

/// At most this many characters of a bad input are echoed in an error.
const ECHO_MAX: usize = 40;

fn echo(input: &str) -> String {
    match input.char_indices().nth(ECHO_MAX) {
        Some((i, _)) => format!("{}…", &input[..i]),
        None => input.to_string(),
    }
}

fn duration_error(input: &str, reason: impl Into<String>) -> TimeError {
    TimeError::Duration {
        input: echo(input),
        reason: reason.into(),
        hint: String::new(),
    }
}

/// The length of one unit, by the names people write (case-insensitive,
/// except `M`, which some read as months).
fn unit(name: &str) -> Result<Duration, String> {
    if name == "M" {
        return Err(
            "\"M\" is ambiguous (minutes or months?): write 30m for minutes or 30d for days".into(),
        );
    }
    let secs = match name.to_ascii_lowercase().as_str() {
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => {
            return Ok(Duration::from_millis(1))
        }
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 7 * 86_400,
        "y" | "year" | "years" => 365 * 86_400,
        "mo" | "month" | "months" => {
            return Err("months vary in length: write days instead (e.g. 30d)".into())
        }
        _ => return Err(format!("unknown unit {:?}", echo(name))),
    };
    Ok(Duration::from_secs(secs))
}

/// Parses a duration: one or more `NUMBER UNIT` groups (`90m`, `72h`, `3d`,
/// `30D`, `3 days`, `1h 30m`, `1day 2h`), units s, m, h, d, w, y (365 days)
/// and ms, case-insensitive, with their long names; at most [`MAX_DURATION`].
pub fn parse_duration(input: &str) -> Result<Duration, TimeError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(duration_error(input, "it is empty"));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(duration_error(
                input,
                format!("expected a number at {:?}", echo(rest)),
            ));
        }
        let (num, after) = rest.split_at(digits);
        let after = after.trim_start();
        let letters = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        if letters == 0 {
            let reason = if after.is_empty() {
                format!("{num} has no unit (write {num}d, {num}h, …)")
            } else {
                format!("expected a unit at {:?}", echo(after))
            };
            return Err(duration_error(input, reason));
        }
        let (name, after) = after.split_at(letters);
        let per = unit(name).map_err(|r| duration_error(input, r))?;
        let too_long = || duration_error(input, "longer than 100 years");
        let n: u32 = num.parse().map_err(|_| too_long())?;
        let part = per.checked_mul(n).ok_or_else(too_long)?;
        total = total.checked_add(part).ok_or_else(too_long)?;
        if total > MAX_DURATION {
            return Err(too_long());
        }
        rest = after.trim_start().trim_start_matches(',').trim_start();
    }
    Ok(total)
}

/// The short name of a unit of [`unit`].
fn short_name(per: Duration) -> &'static str {
    match per.as_secs() {
        0 => "ms",
        1 => "s",
        60 => "m",
        3_600 => "h",
        86_400 => "d",
        604_800 => "w",
        _ => "y",
    }
}

/// A duration that the shell split in two (`--overlap 3 days` without
/// quotes): finds a flag followed by a bare number and a unit word in `args`,
/// and returns a hint saying what happened and how to write it.
pub fn shell_split_hint(args: &[String]) -> Option<String> {
    let bare = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unit_word =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic()) && unit(s).is_ok();
    (0..args.len()).find_map(|i| {
        let arg = args[i].as_str();
        let (flag, number, next) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, v, args.get(i + 1)?),
            _ if arg.starts_with('-') => (arg, args.get(i + 1)?.as_str(), args.get(i + 2)?),
            _ => return None,
        };
        (bare(number) && unit_word(next)).then(|| {
            format!(
                "hint: the shell split `{number} {next}` into two arguments: write {flag} {number}{}, or quote it: {flag} '{number} {next}'",
                unit(next).map(short_name).unwrap_or("d")
            )
        })
    })
}

/// [`parse_duration`] for command-line value parsers: a bare number that
/// the shell split from its unit gets the hint of [`shell_split_hint`].
pub fn parse_duration_arg(input: &str) -> Result<Duration, TimeError> {
    parse_duration(input).map_err(|e| match e {
        TimeError::Duration {
            input: i, reason, ..
        } => {
            let args: Vec<String> = std::env::args().collect();
            let hint = shell_split_hint(&args)
                .map(|h| format!(". {h}"))
                .unwrap_or_default();
            TimeError::Duration {
                input: i,
                reason,
                hint,
            }
        }
        e => e,
    })
}

const UNITS: [(u64, &str); 4] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];

fn parts(d: Duration) -> Vec<String> {
    let mut secs = d.as_secs();
    let mut out = Vec::new();
    for (size, name) in UNITS {
        if secs >= size {
            out.push(format!("{}{name}", secs / size));
            secs %= size;
        }
    }
    out
}

/// Formats a duration as people write it: `30d`, `14d 18h`, `1h 30m`, `45s`
/// (`250ms` under a second); whole seconds otherwise. [`parse_duration`] reads it back.
pub fn format_duration(d: Duration) -> String {
    if d.as_secs() == 0 {
        return format!("{}ms", d.subsec_millis());
    }
    parts(d).join(" ")
}

/// Formats a duration coarsely, its two largest units only: `14d 18h`,
/// `2h 5m` (for ages, where seconds are noise).
pub fn format_duration_coarse(d: Duration) -> String {
    if d.as_secs() == 0 {
        return "0s".to_string();
    }
    parts(d).into_iter().take(2).collect::<Vec<_>>().join(" ")
}

/// Formats a time as RFC 3339 UTC with whole seconds: `2026-11-22T21:19:29Z`.
/// Never panics: times before 1970 or after 9999 are written with the same
/// layout (a year beyond 9999 as ISO 8601's expanded `+10000`).
pub fn format_rfc3339(t: SystemTime) -> String {
    if (UNIX_EPOCH..=latest()).contains(&t) {
        humantime::format_rfc3339_seconds(t).to_string()
    } else {
        let (secs, _) = signed_parts(t);
        civil(secs, None)
    }
}

/// Formats a time as RFC 3339 UTC with microseconds: `2026-11-22T21:19:29.250000Z`.
/// Never panics (see [`format_rfc3339`]). The same text as
/// [`Rfc3339Writer::precise`], which it calls.
pub fn format_rfc3339_precise(t: SystemTime) -> String {
    Rfc3339Writer::new().precise(t)
}

/// RFC 3339 UTC text as humantime writes it, appended to a caller's
/// buffer, with the date and time of day of the last second kept: the
/// times of a capture or a report share their seconds, so many rows format
/// a date once per second, not once per time.
#[derive(Debug, Default, Clone)]
pub struct Rfc3339Writer {
    secs: Option<u64>,
    /// `YYYY-MM-DDTHH:MM:SS` of `secs`.
    head: String,
}

impl Rfc3339Writer {
    pub fn new() -> Rfc3339Writer {
        Rfc3339Writer::default()
    }

    /// Appends `secs` + `nanos` after the epoch with `digits` fractional
    /// digits (6: microseconds, 9: nanoseconds; truncated, as humantime
    /// does). Returns `false`, with nothing written, after 9999 (outside
    /// humantime's range: the caller writes those its own way).
    pub fn push(&mut self, secs: u64, nanos: u32, digits: usize, out: &mut String) -> bool {
        if secs > LATEST_SECS {
            return false;
        }
        if self.secs != Some(secs) {
            let whole = UNIX_EPOCH + Duration::from_secs(secs);
            self.head = humantime::format_rfc3339_seconds(whole).to_string();
            // Drop the `Z`: the fraction goes before it.
            self.head.pop();
            self.secs = Some(secs);
        }
        out.push_str(&self.head);
        let digits = digits.min(9);
        let mut v = nanos % 1_000_000_000 / 10u32.pow(9 - digits as u32);
        let mut frac = [b'0'; 10];
        frac[0] = b'.';
        for d in frac[1..=digits].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        // ASCII digits: always valid UTF-8.
        out.push_str(std::str::from_utf8(&frac[..=digits]).unwrap_or_default());
        out.push('Z');
        true
    }

    /// `t` with microseconds (what [`format_rfc3339_precise`] returns):
    /// [`Rfc3339Writer::push`] from 1970 to 9999, else the expanded layout of
    /// [`format_rfc3339`].
    pub fn precise(&mut self, t: SystemTime) -> String {
        let mut out = String::with_capacity(28);
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) if self.push(d.as_secs(), d.subsec_nanos(), 6, &mut out) => out,
            _ => {
                let (secs, nanos) = signed_parts(t);
                civil(secs, Some(nanos / 1_000))
            }
        }
    }
}

/// Seconds since the epoch (negative before it, floored) and nanoseconds.
fn signed_parts(t: SystemTime) -> (i128, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i128, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let (s, n) = (d.as_secs() as i128, d.subsec_nanos());
            if n == 0 {
                (-s, 0)
            } else {
                (-s - 1, 1_000_000_000 - n)
            }
        }
    }
}

/// Proleptic Gregorian calendar date and time of `secs` since the epoch
/// (days-to-civil after Howard Hinnant's public-domain algorithm).
fn civil(secs: i128, micros: Option<u32>) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    let year = match year {
        0..=9999 => format!("{year:04}"),
        y if y > 9999 => format!("+{y}"),
        y => format!("-{:04}", -y),
    };
    let (h, m, s) = (sod / 3_600, sod / 60 % 60, sod % 60);
    match micros {
        None => format!("{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z"),
        Some(us) => format!("{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{us:06}Z"),
    }
}

/// Parses an RFC 3339 UTC timestamp (`Z` suffix, optional fractional seconds).
pub fn parse_rfc3339(input: &str) -> Result<SystemTime, TimeError> {
    humantime::parse_rfc3339_weak(input.trim()).map_err(|e| TimeError::Timestamp {
        input: echo(input),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {

    proptest::proptest! {
        /// The cached formatter writes what format_rfc3339_precise writes,
        /// cache hit or miss, inside and outside humantime's range.
        #[test]
        fn writer_equals_format_rfc3339_precise(
            times in proptest::collection::vec(
                (0u64..253_402_300_900, 0u32..1_000_000_000),
                1..12,
            ),
        ) {
            let mut f = Rfc3339Writer::new();
            for (secs, nanos) in times {
                let t = UNIX_EPOCH + Duration::new(secs, nanos);
                proptest::prop_assert_eq!(f.precise(t), format_rfc3339_precise(t));
                proptest::prop_assert_eq!(f.precise(t), format_rfc3339_precise(t));
            }
            let before = UNIX_EPOCH - Duration::from_millis(1500);
            proptest::prop_assert_eq!(f.precise(before), format_rfc3339_precise(before));
        }
    }

    use super::*;
    use proptest::prelude::*;

    const DAY: u64 = 86_400;

    #[test]
    fn durations_as_people_write_them() {
        let ok = [
            ("90m", 5_400),
            ("24h", DAY),
            ("72h", 3 * DAY),
            ("3d", 3 * DAY),
            ("30D", 30 * DAY),
            ("3 days", 3 * DAY),
            ("3days", 3 * DAY),
            (" 1 Day ", DAY),
            ("1h 30m", 5_400),
            ("1h30m", 5_400),
            ("1day 2h", DAY + 7_200),
            ("1d, 2h", DAY + 7_200),
            ("2w", 14 * DAY),
            ("1y", 365 * DAY),
            ("100y", 36_500 * DAY),
            ("36525d", 36_525 * DAY),
            ("10S", 10),
            ("45 seconds", 45),
        ];
        for (text, secs) in ok {
            assert_eq!(
                parse_duration(text).unwrap(),
                Duration::from_secs(secs),
                "{text}"
            );
        }
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
    }

    #[test]
    fn bad_durations_say_what_is_accepted() {
        for (text, why) in [
            ("soon", "expected a number"),
            ("", "empty"),
            ("3", "3 has no unit"),
            ("3 fortnights", "unknown unit"),
            ("1M", "ambiguous"),
            ("2 months", "months vary"),
            ("8000y", "longer than 100 years"),
            ("36526d", "longer than 100 years"),
            ("18446744073709551615s", "longer than 100 years"),
            ("4294967295y", "longer than 100 years"),
            ("99y 99y", "longer than 100 years"),
            ("-3d", "expected a number"),
            ("1.5h", "expected a unit"),
        ] {
            let e = parse_duration(text).unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
            assert!(e.contains("Accepted") && e.contains("3d"), "{text}: {e}");
        }
        // long input is not echoed whole
        let long = "x".repeat(1_000_000);
        let e = parse_duration(&long).unwrap_err().to_string();
        assert!(e.len() < 1_000, "{}", e.len());
    }

    #[test]
    fn an_unquoted_duration_split_by_the_shell_is_recognised() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let h = shell_split_hint(&args(&[
            "qcd",
            "secret",
            "rotate",
            "--overlap",
            "3",
            "days",
        ]))
        .unwrap();
        assert!(
            h.contains("split `3 days`") && h.contains("write --overlap 3d"),
            "{h}"
        );
        assert!(h.contains("--overlap '3 days'"), "{h}");
        let h = shell_split_hint(&args(&["qcd", "--overlap=3", "hours", "-k", "x"])).unwrap();
        assert!(h.contains("--overlap 3h"), "{h}");
        let h = shell_split_hint(&args(&["qcd", "--silence", "250", "ms"])).unwrap();
        assert!(h.contains("--silence 250ms"), "{h}");
        assert_eq!(
            shell_split_hint(&args(&["qcd", "--overlap", "3", "-k", "x"])),
            None
        );
        assert_eq!(
            shell_split_hint(&args(&["qcd", "--overlap", "3d", "days"])),
            None
        );
        assert_eq!(shell_split_hint(&args(&["qcd", "-g", "3", "list"])), None);
    }

    #[test]
    fn durations_print_as_people_write_them() {
        let d = |s| format_duration(Duration::from_secs(s));
        assert_eq!(d(30 * DAY), "30d");
        assert_eq!(d(14 * DAY + 18 * 3_600), "14d 18h");
        assert_eq!(d(5_400), "1h 30m");
        assert_eq!(d(45), "45s");
        assert_eq!(d(DAY + 1), "1d 1s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::ZERO), "0ms");
        assert_eq!(
            format_duration_coarse(Duration::from_secs(14 * DAY + 18 * 3_600 + 65)),
            "14d 18h"
        );
        assert_eq!(format_duration_coarse(Duration::from_secs(600)), "10m");
        assert!(!d(30 * DAY).contains("days"));
    }

    proptest! {
        #[test]
        fn formatted_durations_parse_back(secs in 0u64..=MAX_DURATION.as_secs()) {
            let d = Duration::from_secs(secs);
            let text = format_duration(d);
            prop_assert_eq!(parse_duration(&text).unwrap(), d, "{}", text);
        }

        #[test]
        fn civil_dates_agree_with_humantime(secs in 0u64..=253_402_300_799u64, us in 0u32..1_000_000) {
            let t = UNIX_EPOCH + Duration::new(secs, us * 1_000);
            prop_assert_eq!(civil(secs as i128, None), humantime::format_rfc3339_seconds(t).to_string());
            prop_assert_eq!(civil(secs as i128, Some(us)), humantime::format_rfc3339_micros(t).to_string());
        }

        #[test]
        fn parse_duration_never_panics(s in ".{0,40}") {
            let _ = parse_duration(&s);
        }
    }

    #[test]
    fn timestamps_round_trip() {
        let t = parse_rfc3339("2026-11-22T21:19:29Z").unwrap();
        assert_eq!(format_rfc3339(t), "2026-11-22T21:19:29Z");
        assert!(parse_rfc3339("yesterday").is_err());
        let latest = parse_rfc3339("9999-12-31T23:59:59Z").unwrap();
        assert_eq!(latest, super::latest());
        assert_eq!(format_rfc3339(latest), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn any_time_formats_without_panicking() {
        let after = latest() + Duration::from_secs(1);
        assert_eq!(format_rfc3339(after), "+10000-01-01T00:00:00Z");
        assert_eq!(
            format_rfc3339_precise(after + Duration::from_micros(5)),
            "+10000-01-01T00:00:00.000005Z"
        );
        // the largest pcapng seconds value
        let far = UNIX_EPOCH + Duration::from_secs(u32::MAX as u64 * 1_000_000);
        assert!(format_rfc3339(far).starts_with('+'));
        let before = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(
            format_rfc3339_precise(before),
            "1969-12-31T23:59:58.500000Z"
        );
        assert_eq!(format_rfc3339(before), "1969-12-31T23:59:58Z");
        let ancient = UNIX_EPOCH - Duration::from_secs(62_200_000_000);
        assert!(
            format_rfc3339(ancient).starts_with('-'),
            "{}",
            format_rfc3339(ancient)
        );
    }

    #[test]
    fn time_arithmetic_is_checked() {
        let now = parse_rfc3339("9999-12-31T00:00:00Z").unwrap();
        assert!(checked_add(now, Duration::from_secs(3_600), "x").is_ok());
        let e = checked_add(now, Duration::from_secs(DAY), "the expiry")
            .unwrap_err()
            .to_string();
        assert!(e.contains("the expiry would be +10000-01-01"), "{e}");
        assert!(checked_add(now, Duration::MAX, "x").is_err());
    }
}
