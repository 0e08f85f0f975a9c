//! One question to a target, asked gently: send, wait, resend with backoff,
//! and take the first answer that matches (by SPIs and message ID, never by
//! arrival order) or the first ICMP error. [`ask_token`] is the step "ask
//! the maker for the token of SPIs X, Y", reusable on its own.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::transport::{Received, Transport, Unreachable};
use super::ProbeError;
use crate::spi::SpiPair;
use crate::wire::liveness::{self, LivenessReply, PROBE_SK_BODY_LEN};

/// Retransmission and pacing, as ike-scan does it by default (a few tries,
/// a first wait of 500 ms, the wait growing by a factor).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Timing {
    /// How long to wait for an answer to the first send.
    pub initial_timeout: Duration,
    /// Each resend waits this many times longer than the send before.
    pub backoff: f64,
    /// Sends of the first liveness request (the others get `later_tries`).
    pub first_tries: u32,
    /// Sends of every later question (stability, other SPIs, IKE_SA_INIT).
    pub later_tries: u32,
    /// The least time between two sends to one target.
    pub pace: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            initial_timeout: Duration::from_millis(500),
            backoff: 2.0,
            first_tries: 3,
            later_tries: 2,
            pace: Duration::from_millis(50),
        }
    }
}

impl Timing {
    /// The longest a question of `tries` sends waits in all.
    pub fn budget(&self, tries: u32) -> Duration {
        (0..tries)
            .map(|i| self.initial_timeout.mul_f64(self.backoff.powi(i as i32)))
            .sum()
    }

    /// Most packets one target gets: the liveness request, the stability
    /// and other-SPIs questions, and IKE_SA_INIT.
    pub fn max_packets(&self) -> u32 {
        self.first_tries + 3 * self.later_tries
    }

    /// Longest run against a target that never answers: the liveness
    /// request's tries and IKE_SA_INIT's, plus pacing.
    pub fn silent_budget(&self) -> Duration {
        self.budget(self.first_tries)
            + self.budget(self.later_tries)
            + self.pace * self.max_packets()
    }
}

/// A transport with a send counter and pacing, and the framing of port 4500.
pub struct Conversation<'t> {
    transport: &'t mut dyn Transport,
    nat_t: bool,
    timing: Timing,
    last_send: Option<Instant>,
    /// Datagrams sent so far.
    pub sent: u32,
    /// Datagrams received that answered nothing asked (other SPIs, not IKE).
    pub strays: u32,
}

/// How a question ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer<T> {
    /// The answer, the time from the last send to it, and the sends it took.
    Answered {
        reply: T,
        rtt: Duration,
        sends: u32,
    },
    Unreachable(Unreachable),
    /// No answer to any send.
    Silent {
        sends: u32,
    },
}

impl<'t> Conversation<'t> {
    pub fn new(transport: &'t mut dyn Transport, nat_t: bool, timing: Timing) -> Self {
        Conversation {
            transport,
            nat_t,
            timing,
            last_send: None,
            sent: 0,
            strays: 0,
        }
    }

    pub fn nat_t(&self) -> bool {
        self.nat_t
    }

    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// Sends the IKE `message` up to `tries` times with backoff; returns the
    /// first received message that `read` accepts.
    pub fn ask<T>(
        &mut self,
        message: &[u8],
        tries: u32,
        read: impl Fn(&[u8]) -> Option<T>,
    ) -> Result<Answer<T>, ProbeError> {
        let datagram = liveness::frame(message, self.nat_t);
        let mut timeout = self.timing.initial_timeout;
        for n in 1..=tries {
            if let Some(last) = self.last_send {
                let since = last.elapsed();
                if since < self.timing.pace {
                    std::thread::sleep(self.timing.pace - since);
                }
            }
            let sent_at = Instant::now();
            self.last_send = Some(sent_at);
            self.sent += 1;
            if let Some(u) = self.transport.send(&datagram).map_err(ProbeError::Io)? {
                return Ok(Answer::Unreachable(u));
            }
            let deadline = sent_at + timeout;
            loop {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                match self
                    .transport
                    .recv(deadline - now)
                    .map_err(ProbeError::Io)?
                {
                    Received::TimedOut => break,
                    Received::Unreachable(u) => return Ok(Answer::Unreachable(u)),
                    Received::Datagram(d) => {
                        let answer = liveness::unframe(&d, self.nat_t).and_then(&read);
                        match answer {
                            Some(reply) => {
                                return Ok(Answer::Answered {
                                    reply,
                                    rtt: sent_at.elapsed(),
                                    sends: n,
                                })
                            }
                            None => self.strays += 1,
                        }
                    }
                }
            }
            timeout = timeout.mul_f64(self.timing.backoff);
        }
        Ok(Answer::Silent { sends: tries })
    }
}

/// Random bytes from the OS.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, ProbeError> {
    let mut v = vec![0u8; n];
    getrandom::getrandom(&mut v).map_err(|e| ProbeError::Random(e.to_string()))?;
    Ok(v)
}

/// Fresh random non-zero SPIs.
pub fn random_spis() -> Result<SpiPair, ProbeError> {
    loop {
        let b = random_bytes(16)?;
        let mut i = [0u8; 8];
        let mut r = [0u8; 8];
        i.copy_from_slice(&b[..8]);
        r.copy_from_slice(&b[8..]);
        let pair = SpiPair::new(crate::spi::Spi(i), crate::spi::Spi(r));
        if !pair.initiator.is_zero() && !pair.responder.is_zero() {
            return Ok(pair);
        }
    }
}

/// Asks the maker behind `conv` for its token for `spis`: an INFORMATIONAL
/// request with message ID `message_id` and a random SK body, sent up to
/// `tries` times; the answer is the first message with the same SPIs and
/// message ID and the Response flag.
pub fn ask_token(
    conv: &mut Conversation<'_>,
    spis: SpiPair,
    message_id: u32,
    tries: u32,
) -> Result<Answer<LivenessReply>, ProbeError> {
    let body = random_bytes(PROBE_SK_BODY_LEN)?;
    let request = liveness::liveness_request(spis, message_id, body)
        .to_bytes()
        .map_err(ProbeError::Wire)?;
    conv.ask(&request, tries, |m| {
        liveness::read_reply(m)
            .ok()
            .filter(|r| r.spis == spis && r.message_id == message_id && r.flags.response())
    })
}
