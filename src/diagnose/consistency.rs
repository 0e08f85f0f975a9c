//! Checks that the verdicts of one capture do not contradict each other:
//! the same gateway cannot both answer with a QCD token and never answer in
//! the same period, and an IKE SA that a rekey replaced cannot also be one
//! whose outage went unnoticed.

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

/// Every contradiction among `reports`.
pub fn check(reports: &[SaReport]) -> Vec<Contradiction> {
    let mut found = Vec::new();
    for (i, r) in reports.iter().enumerate() {
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
