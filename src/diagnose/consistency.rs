//! Checks that the verdicts of one capture do not contradict each other or
//! the timeline: the same gateway cannot both answer with a QCD token and
//! never answer in the same period; an IKE SA that a rekey replaced cannot
//! also be one whose outage went unnoticed; a report may speak of the token
//! the taker stored only when its timeline shows that token given (a keyring
//! shows which secret made a reply, not what the taker stored); and "the
//! capture ends" may be said only of a time no frame comes after.

use super::model::{SaReport, Verdict};

/// A contradiction between two reports (indices into the list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contradiction {
    pub first: usize,
    pub second: Option<usize>,
    pub what: String,
}

fn name(r: &SaReport) -> String {
    format!("IKE SA {} {}", r.spi_i, r.spi_r)
}

/// Words that claim to know the token the taker stored.
const STORED_CLAIMS: [&str; 3] = [
    "stored length and bytes",
    "equal to the stored token",
    "byte for byte",
];

/// Whether the report's timeline shows the token the maker gave (decrypted
/// IKE_AUTH or rekey).
fn saw_given_token(r: &SaReport) -> bool {
    r.events.iter().any(|e| e.what.contains("gives QCD_TOKEN"))
}

/// Whether the report claims to know the token the taker stored.
fn claims_stored_token(r: &SaReport) -> Option<String> {
    if let Some(t) = r.takers.iter().find(|t| t.accepts == Some(true)) {
        return Some(format!("taker {} accepts: {}", t.taker, t.why));
    }
    std::iter::once(&r.reason)
        .chain(r.notes.iter())
        .chain(r.takers.iter().map(|t| &t.why))
        .find(|text| STORED_CLAIMS.iter().any(|c| text.contains(c)))
        .cloned()
}

/// Every contradiction among `reports`.
pub fn check(reports: &[SaReport]) -> Vec<Contradiction> {
    let mut found = Vec::new();
    let last_event = reports
        .iter()
        .flat_map(|r| r.events.iter())
        .max_by_key(|e| (e.at, e.frame));
    for (i, r) in reports.iter().enumerate() {
        if let Some(claim) = claims_stored_token(r).filter(|_| !saw_given_token(r)) {
            found.push(Contradiction {
                first: i,
                second: None,
                what: format!(
                    "{} speaks of the token the taker stored without having seen it given: {claim}",
                    name(r)
                ),
            });
        }
        if let (Some(end), Some(e)) = (r.capture_end, last_event) {
            if e.at > end {
                found.push(Contradiction {
                    first: i,
                    second: None,
                    what: format!(
                        "{} says where the capture ends, yet frame {} comes later ({})",
                        name(r),
                        e.frame,
                        e.time
                    ),
                });
            }
        }
        // A replaced SA's later failures belong to its successor.
        let after_replacement = match (&r.outage, r.replaced_at) {
            (Some(o), Some(t)) => o.at >= t,
            (None, Some(_)) => true,
            _ => false,
        };
        if after_replacement && !r.verdict.is_ok() {
            found.push(Contradiction {
                first: i,
                second: None,
                what: format!(
                    "{} is replaced by {} yet judged {}",
                    name(r),
                    r.replaced_by.as_deref().unwrap_or("?"),
                    r.verdict.name()
                ),
            });
        }
        if r.verdict == Verdict::Recovered && r.new_sa.is_none() {
            found.push(Contradiction {
                first: i,
                second: None,
                what: format!("{} is recovered without a new IKE SA", name(r)),
            });
        }
        if let (Verdict::Recovered, Some(n)) = (r.verdict, &r.new_sa) {
            if let Some((j, s)) = reports
                .iter()
                .enumerate()
                .find(|(_, s)| &format!("{} {}", s.spi_i, s.spi_r) == n)
            {
                if s.verdict == Verdict::NotEstablished {
                    found.push(Contradiction {
                        first: i,
                        second: Some(j),
                        what: format!(
                            "{} recovered into {}, which was never established",
                            name(r),
                            name(s)
                        ),
                    });
                }
            }
        }
        let Some(o) = &r.outage else { continue };
        for (j, s) in reports.iter().enumerate().skip(i + 1) {
            let Some(p) = &s.outage else { continue };
            if o.maker != p.maker || r.maker_answered.is_none() || s.maker_answered.is_none() {
                continue;
            }
            if r.maker_answered == s.maker_answered {
                continue;
            }
            // Overlapping: each outage starts before the other's SA was judged over.
            let (silent, answering) = if r.maker_answered == Some(false) {
                (r, s)
            } else {
                (s, r)
            };
            let so = silent.outage.as_ref().expect("checked");
            let ao = answering.outage.as_ref().expect("checked");
            let gap = if so.at > ao.at {
                so.at.duration_since(ao.at)
            } else {
                ao.at.duration_since(so.at)
            }
            .unwrap_or_default();
            if gap < std::time::Duration::from_secs(60) {
                found.push(Contradiction {
                    first: i,
                    second: Some(j),
                    what: format!(
                        "{} says {} never answered while {} says it answered, {} s apart",
                        name(silent),
                        so.maker,
                        name(answering),
                        gap.as_secs()
                    ),
                });
            }
        }
    }
    found
}

/// [`check`], and that no report's "the capture ends" comes before the
/// capture's real last frame `end` (of any protocol).
pub fn check_with_end(reports: &[SaReport], end: std::time::SystemTime) -> Vec<Contradiction> {
    let mut found = check(reports);
    for (i, r) in reports.iter().enumerate() {
        if let Some(said) = r.capture_end.filter(|&s| s < end) {
            found.push(Contradiction {
                first: i,
                second: None,
                what: format!(
                    "{} says the capture ends at {}, but its last frame is {} later",
                    name(r),
                    crate::timefmt::format_rfc3339_precise(said),
                    crate::timefmt::format_duration_coarse(
                        end.duration_since(said).unwrap_or_default()
                    )
                ),
            });
        }
    }
    found
}
