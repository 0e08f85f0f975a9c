//! Durations (`90m`, `24h`, `7d`, `1h 30m`) and RFC 3339 UTC timestamps, the
//! only two ways times appear in qcd's input and output.

use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("{input:?} is not a duration: {reason} (examples: 90m, 24h, 7d, 1h30m)")]
    Duration { input: String, reason: String },
    #[error("{input:?} is not an RFC 3339 UTC timestamp such as 2026-01-31T12:00:00Z: {reason}")]
    Timestamp { input: String, reason: String },
}

/// The environment variable that pins "now" (RFC 3339), for tests and what-if runs.
pub const NOW_ENV: &str = "QCD_NOW";

/// The current time, or the time in `QCD_NOW` when set (tests and what-if runs).
pub fn now() -> Result<SystemTime, TimeError> {
    match std::env::var(NOW_ENV) {
        Ok(v) if !v.is_empty() => parse_rfc3339(&v),
        _ => Ok(SystemTime::now()),
    }
}

/// Parses a duration such as `90m`, `24h`, `7d` or `1h 30m`.
pub fn parse_duration(input: &str) -> Result<Duration, TimeError> {
    humantime::parse_duration(input.trim()).map_err(|e| TimeError::Duration {
        input: input.to_string(),
        reason: e.to_string(),
    })
}

/// Formats a duration compactly, e.g. `1day 2h`.
pub fn format_duration(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}

/// Formats a time as RFC 3339 UTC with whole seconds: `2026-11-22T21:19:29Z`.
pub fn format_rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Formats a time as RFC 3339 UTC with microseconds: `2026-11-22T21:19:29.250000Z`.
pub fn format_rfc3339_precise(t: SystemTime) -> String {
    humantime::format_rfc3339_micros(t).to_string()
}

/// Parses an RFC 3339 UTC timestamp (`Z` suffix, optional fractional seconds).
pub fn parse_rfc3339(input: &str) -> Result<SystemTime, TimeError> {
    humantime::parse_rfc3339_weak(input.trim()).map_err(|e| TimeError::Timestamp {
        input: input.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86400));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert_eq!(parse_duration("1h 30m").unwrap(), Duration::from_secs(5400));
        let e = parse_duration("soon").unwrap_err().to_string();
        assert!(e.contains("\"soon\"") && e.contains("examples"), "{e}");
    }

    #[test]
    fn timestamps_round_trip() {
        let t = parse_rfc3339("2026-11-22T21:19:29Z").unwrap();
        assert_eq!(format_rfc3339(t), "2026-11-22T21:19:29Z");
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
