//! What a diagnosis answers as a whole: the verdicts counted by kind (the
//! summary line `3 IKE SAs: 2 healthy, 1 no-token`), and the exit status:
//! success when every IKE SA is healthy, recovered or in progress
//! ([`Verdict::is_ok`]), negative otherwise; an error when nothing could be
//! judged or the capture is damaged.

use std::fmt;

use super::follow::Followed;
use super::input::CaptureDiagnosis;
use super::model::{SaReport, Verdict};
use crate::report::Outcome;

/// The verdicts handed out so far, by kind, in the order each kind first came.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    counts: Vec<(Verdict, usize)>,
    total: usize,
    /// IKE SAs that need action ([`SaReport::is_ok`] false).
    failures: usize,
}

/// How much of the capture was read, for the error when nothing was judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    /// The capture itself was damaged (truncated record, bad block).
    pub damaged: bool,
    pub ike_messages: u64,
    pub esp_packets: u64,
}

/// Why a diagnosis run answers with an error although reports may have been printed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunError {
    #[error("{capture}: no IKE message to diagnose ({ike_messages} IKE messages decoded, {esp_packets} ESP packets): the capture must hold the IKE traffic on UDP ports 500 and 4500 (and ESP, IP protocol 50), e.g. `tcpdump -w gw.pcap 'udp port 500 or udp port 4500 or esp'`; use --port N for IKE on another port")]
    NothingToDiagnose {
        capture: String,
        ike_messages: u64,
        esp_packets: u64,
    },
    #[error(
        "{capture} is damaged (see the warnings above); the diagnosis covers what could be read"
    )]
    Damaged { capture: String },
}

impl From<&Followed> for Seen {
    fn from(f: &Followed) -> Seen {
        Seen {
            damaged: f.damaged,
            ike_messages: f.ike_messages,
            esp_packets: f.esp_packets,
        }
    }
}

impl From<&CaptureDiagnosis<'_>> for Seen {
    fn from(d: &CaptureDiagnosis<'_>) -> Seen {
        Seen {
            damaged: d.damaged,
            ike_messages: d.ike_messages,
            esp_packets: d.esp_packets,
        }
    }
}

impl Tally {
    /// The tally of `reports`.
    pub fn of<'a>(reports: impl IntoIterator<Item = &'a SaReport>) -> Tally {
        let mut t = Tally::default();
        for r in reports {
            t.add_report(r);
        }
        t
    }

    /// Counts one more IKE SA: its verdict, and whether it needs action
    /// ([`SaReport::is_ok`]: an attempt within another SA's recovery does not).
    pub fn add_report(&mut self, r: &SaReport) {
        self.add(r.verdict);
        if r.is_ok() && !r.verdict.is_ok() {
            self.failures -= 1;
        }
    }

    /// Counts one more IKE SA with this verdict.
    pub fn add(&mut self, verdict: Verdict) {
        self.total += 1;
        self.failures += usize::from(!verdict.is_ok());
        match self.counts.iter_mut().find(|(v, _)| *v == verdict) {
            Some((_, n)) => *n += 1,
            None => self.counts.push((verdict, 1)),
        }
    }

    /// IKE SAs counted.
    pub fn total(&self) -> usize {
        self.total
    }

    /// (verdict, IKE SAs) in the order each verdict first came.
    pub fn counts(&self) -> &[(Verdict, usize)] {
        &self.counts
    }

    /// An error when no IKE SA was judged: the capture (named `capture`)
    /// holds no IKE traffic qcd could read.
    pub fn check_judged(&self, capture: &str, seen: Seen) -> Result<(), RunError> {
        if self.total > 0 {
            return Ok(());
        }
        Err(RunError::NothingToDiagnose {
            capture: capture.to_string(),
            ike_messages: seen.ike_messages,
            esp_packets: seen.esp_packets,
        })
    }

    /// The exit status: an error for a damaged capture, else success when
    /// every verdict is ok ([`Verdict::is_ok`]), else negative.
    pub fn exit_status(&self, capture: &str, seen: Seen) -> Result<Outcome, RunError> {
        self.check_judged(capture, seen)?;
        if seen.damaged {
            return Err(RunError::Damaged {
                capture: capture.to_string(),
            });
        }
        Ok(Outcome::of(self.failures == 0))
    }
}

/// The summary line: `N IKE SA(s): COUNT VERDICT, …`.
impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} IKE SA{}: ",
            self.total,
            if self.total == 1 { "" } else { "s" }
        )?;
        for (i, (v, n)) in self.counts.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n} {}", v.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(verdicts: &[Verdict]) -> Tally {
        let mut t = Tally::default();
        for v in verdicts {
            t.add(*v);
        }
        t
    }

    #[test]
    fn counts_in_order_of_first_sight() {
        let t = tally(&[Verdict::NoToken, Verdict::Healthy, Verdict::NoToken]);
        assert_eq!(t.total(), 3);
        assert_eq!(t.counts(), &[(Verdict::NoToken, 2), (Verdict::Healthy, 1)]);
        assert_eq!(t.to_string(), "3 IKE SAs: 2 no-token, 1 healthy");
        assert_eq!(
            tally(&[Verdict::Recovered]).to_string(),
            "1 IKE SA: 1 recovered"
        );
    }

    #[test]
    fn exit_status_follows_the_verdicts() {
        let seen = Seen::default();
        let ok = tally(&[Verdict::Healthy, Verdict::Recovered, Verdict::InProgress]);
        assert_eq!(ok.exit_status("gw.pcap", seen), Ok(Outcome::Success));
        let bad = tally(&[Verdict::Healthy, Verdict::TokenMismatch]);
        assert_eq!(bad.exit_status("gw.pcap", seen), Ok(Outcome::Negative));
        let damaged = Seen {
            damaged: true,
            ..seen
        };
        assert_eq!(
            ok.exit_status("gw.pcap", damaged),
            Err(RunError::Damaged {
                capture: "gw.pcap".into()
            })
        );
    }

    #[test]
    fn nothing_judged_is_an_error_that_says_what_was_read() {
        let seen = Seen {
            damaged: true,
            ike_messages: 0,
            esp_packets: 7,
        };
        let e = Tally::default().exit_status("x.pcap", seen).unwrap_err();
        assert!(matches!(e, RunError::NothingToDiagnose { .. }));
        let text = e.to_string();
        assert!(
            text.starts_with(
                "x.pcap: no IKE message to diagnose (0 IKE messages decoded, 7 ESP packets)"
            ),
            "{text}"
        );
        assert!(text.contains("--port N"), "{text}");
    }
}
