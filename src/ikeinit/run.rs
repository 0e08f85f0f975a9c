//! Running the initiator over a socket: retransmission with backoff for
//! IKE_SA_INIT, IKE_AUTH and the Delete, then the paced wait for the
//! gateway's token after the delete, and the verdict.
//!
//! Datagrams go through `qcd probe`'s [`Transport`] (a connected UDP socket
//! that reports ICMP errors, or a test's stand-in); on UDP 4500 every IKE
//! message carries the non-ESP marker.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::initiator::{AuthOutcome, ChildOutcome, Config, Initiator, Progress, QcdReply};
use super::keys::IkeKeys;
use super::InitError;
use crate::probe::{Received, Transport, Unreachable};
use crate::secretmem::SecretBytes;
use crate::spi::SpiPair;
use crate::wire::liveness::{frame, unframe, NAT_T_PORT};

/// The gateway's socket, seen through a [`Transport`].
struct Link<'t> {
    transport: &'t mut dyn Transport,
    peer: SocketAddr,
}

impl Link<'_> {
    fn nat_t(&self) -> bool {
        self.peer.port() == NAT_T_PORT
    }

    fn io(&self, e: std::io::Error) -> InitError {
        InitError::Io {
            operation: "network error with",
            peer: self.peer.to_string(),
            cause: e.to_string(),
        }
    }

    fn unreachable(&self, u: Unreachable) -> InitError {
        InitError::Io {
            operation: "ICMP unreachable from",
            peer: self.peer.to_string(),
            cause: match u {
                Unreachable::Port => {
                    "nothing listens on that UDP port: start the IKE daemon or check the port"
                        .into()
                }
                Unreachable::Host => "no route to the host: check the address".into(),
            },
        }
    }

    fn send(&mut self, message: &[u8]) -> Result<(), InitError> {
        match self.transport.send(&frame(message, self.nat_t())) {
            Ok(None) => Ok(()),
            Ok(Some(u)) => Err(self.unreachable(u)),
            Err(e) => Err(self.io(e)),
        }
    }

    /// One IKE message (marker removed) within `timeout`, `None` if none came.
    fn recv(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, InitError> {
        match self.transport.recv(timeout) {
            Ok(Received::Datagram(d)) => Ok(Some(
                unframe(&d, self.nat_t())
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default(),
            )),
            Ok(Received::TimedOut) => Ok(None),
            Ok(Received::Unreachable(u)) => Err(self.unreachable(u)),
            Err(e) => Err(self.io(e)),
        }
    }
}

/// Timing of the check.
#[derive(Debug, Clone, Copy)]
pub struct E2eOptions {
    /// First retransmission timeout of a request; it doubles after each try.
    pub retransmit: Duration,
    /// Transmissions of one request before giving up.
    pub tries: u32,
    /// How long to wait after the delete for the token (default 60 s).
    pub deadline: Duration,
    /// Time between two liveness checks after the delete (default 3 s).
    pub interval: Duration,
}

impl Default for E2eOptions {
    fn default() -> E2eOptions {
        E2eOptions {
            retransmit: Duration::from_secs(1),
            tries: 5,
            deadline: Duration::from_secs(60),
            interval: Duration::from_secs(3),
        }
    }
}

/// The answer of the end-to-end check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The token after the delete is the token given in IKE_AUTH.
    Match,
    /// The gateway sent another token after the delete than in IKE_AUTH.
    Mismatch,
    /// IKE_AUTH carried no QCD_TOKEN: the gateway is not a QCD token maker.
    NoTokenInAuth,
    /// The gateway gave a token in IKE_AUTH but none came after the delete
    /// before the deadline.
    NoReply,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Match => "match",
            Verdict::Mismatch => "mismatch",
            Verdict::NoTokenInAuth => "no-token-in-auth",
            Verdict::NoReply => "no-reply",
        }
    }

    /// Whether crash detection with this gateway works end to end.
    pub fn is_good(self) -> bool {
        self == Verdict::Match
    }

    /// What it means and what to do.
    pub fn advice(self) -> &'static str {
        match self {
            Verdict::Match => "the gateway sends, for an IKE SA it lost, the token it gave in IKE_AUTH: its peers will detect its crash at once; nothing to do",
            Verdict::Mismatch => "after losing the IKE SA the gateway sent another token than in IKE_AUTH, so its peers would ignore it and wait for their own timeouts: its token construction or secret differs between the two paths (check the maker's secret file and its QCD configuration, then `qcd diagnose` a capture)",
            Verdict::NoTokenInAuth => "the gateway gave no QCD_TOKEN in IKE_AUTH: QCD is not enabled on it as token maker (strongSwan, libreswan and iked never are); enable it or expect peers to wait for their liveness timeouts after a crash",
            Verdict::NoReply => "the gateway gave a token in IKE_AUTH but did not answer for the deleted IKE SA before the deadline: its QCD replies may be disabled, rate-limited, or it keeps deleted SAs longer (Rockhopper: 30 s); try a longer --deadline and look at its log",
        }
    }
}

/// Everything the end-to-end check found.
#[derive(Debug, Clone)]
pub struct E2eReport {
    pub spis: SpiPair,
    pub outcome: AuthOutcome,
    pub keys: IkeKeys,
    /// The token after the delete (first one seen).
    pub token_after_delete: Option<SecretBytes>,
    /// From the Delete's answer (or last transmission) to the token.
    pub wait: Option<Duration>,
    pub verdict: Verdict,
    pub delete_answered: bool,
    /// The Delete response carried a Delete payload (RFC 7296 expects it empty).
    pub delete_payload: bool,
    /// Liveness checks sent after the delete.
    pub probes: u32,
    /// Replies without a token, and encrypted answers (SA still known).
    pub replies_without_token: u32,
    pub still_known: u32,
}

/// Sends the outstanding request until `initiator` makes progress.
fn exchange(
    initiator: &mut Initiator,
    link: &mut Link<'_>,
    options: &E2eOptions,
) -> Result<Progress, InitError> {
    let started = Instant::now();
    let mut tries = 0;
    let mut timeout = options.retransmit;
    loop {
        if tries >= options.tries {
            return Err(InitError::NoResponse {
                exchange: initiator.exchange(),
                peer: link.peer.to_string(),
                tries,
                waited_s: started.elapsed().as_secs_f64(),
            });
        }
        link.send(initiator.request())?;
        tries += 1;
        let until = Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let Some(datagram) = link.recv(left)? else {
                break;
            };
            match initiator.handle(&datagram)? {
                Progress::Ignored(_) => continue,
                p => return Ok(p),
            }
        }
        timeout = timeout.saturating_mul(2);
    }
}

/// The end-to-end check: IKE SA up, token read, SA deleted, token drawn
/// again with the same SPIs, compared. `on_keys` sees the IKE SA's keys as
/// soon as IKE_AUTH is done (to write a key table even if a later step
/// fails).
pub fn e2e(
    config: Config,
    peer: SocketAddr,
    transport: &mut dyn Transport,
    options: &E2eOptions,
    on_keys: &mut dyn FnMut(&IkeKeys),
) -> Result<E2eReport, InitError> {
    let mut link = Link { transport, peer };
    let link = &mut link;
    let mut initiator = Initiator::new(config)?;
    let outcome = loop {
        match exchange(&mut initiator, link, options)? {
            Progress::Send | Progress::Ignored(_) | Progress::Deleted { .. } => continue,
            Progress::Established(o) => break *o,
        }
    };
    let keys = initiator
        .keys()
        .ok_or(InitError::State("established without keys"))?
        .clone();
    on_keys(&keys);
    initiator.delete()?;
    let (delete_answered, delete_payload) = match exchange(&mut initiator, link, options) {
        Ok(Progress::Deleted { delete_payload }) => (true, delete_payload),
        Ok(_) => (false, false),
        Err(InitError::NoResponse { .. }) => (false, false),
        Err(e) => return Err(e),
    };
    let mut report = E2eReport {
        spis: outcome.spis,
        keys,
        token_after_delete: None,
        wait: None,
        verdict: Verdict::NoTokenInAuth,
        delete_answered,
        delete_payload,
        probes: 0,
        replies_without_token: 0,
        still_known: 0,
        outcome,
    };
    let Some(auth_token) = report.outcome.token.clone() else {
        return Ok(report);
    };
    if !delete_answered {
        // the Delete may have been lost: the wait below still draws the
        // token once the gateway drops the SA (or its liveness check fails)
        initiator.assume_deleted();
    }
    initiator.liveness_check()?;
    let deleted_at = Instant::now();
    let deadline = deleted_at + options.deadline;
    report.verdict = Verdict::NoReply;
    'probing: while Instant::now() < deadline {
        link.send(initiator.request())?;
        report.probes += 1;
        let next = (Instant::now() + options.interval).min(deadline);
        loop {
            let left = next.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let datagram = match link.recv(left) {
                Ok(Some(d)) => d,
                Ok(None) => break,
                // e.g. port unreachable while the daemon restarts: keep pacing
                Err(_) => {
                    std::thread::sleep(left);
                    break;
                }
            };
            match initiator.qcd_reply(&datagram) {
                Some(QcdReply::Token(token)) => {
                    report.wait = Some(deleted_at.elapsed());
                    report.verdict = if token.ct_eq(auth_token.expose()) {
                        Verdict::Match
                    } else {
                        Verdict::Mismatch
                    };
                    report.token_after_delete = Some(token);
                    break 'probing;
                }
                Some(QcdReply::NoToken) => report.replies_without_token += 1,
                Some(QcdReply::StillKnown) => report.still_known += 1,
                None => {}
            }
        }
    }
    Ok(report)
}

/// Describes the Child SA outcome for humans.
pub fn child_text(child: &ChildOutcome) -> String {
    match child {
        ChildOutcome::Childless => "none (the gateway supports CHILDLESS_IKEV2, RFC 6023)".into(),
        ChildOutcome::Created => "created with narrow selectors, deleted with the IKE SA".into(),
        ChildOutcome::Refused(n) => format!("refused by the gateway (N({n})), the IKE SA kept"),
    }
}
