//! `qcd respond`: a QCD token maker for labs and tests. It answers requests
//! for IKE SAs it does not know (it knows none) as Rockhopper VPN does: an
//! unprotected `N(INVALID_IKE_SPI)` and one `N(QCD_TOKEN)` per generation
//! still in use (active first), the tokens computed from the request
//! header's SPIs; and it ignores what Rockhopper ignores
//! ([`crate::wire::liveness::read_unknown_spi_request`]).
//!
//! [`Maker::answer`] is the pure decision (datagram in, reply bytes or the
//! reason for silence out), tested byte for byte against Rockhopper's real
//! replies; [`TokenBucket`] is the rate limit; [`server`] runs sockets,
//! signals and reloads; [`text`] renders the log. Not here: argument
//! parsing (the CLI).

pub mod server;
pub mod text;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::secret::store::LoadOptions;
use crate::secret::{Keyring, State};
use crate::token::{Deriver, TokenError, TokenInput};
use crate::wire::liveness::{self, Unanswered, UnknownSpiRequest};

/// A maker's secrets: the derivers of every generation still in use, active first.
pub struct Maker {
    generations: Vec<(u32, State, Deriver)>,
}

/// Why a keyring cannot make tokens.
#[derive(Debug, thiserror::Error)]
pub enum MakerError {
    #[error("generation {generation}: {source}")]
    Token {
        generation: u32,
        #[source]
        source: TokenError,
    },
    #[error("the keyring has no generation in use with a secret: rotate or generate one (qcd secret rotate)")]
    Empty,
}

/// Why the keyring file cannot make a maker (at start or on SIGHUP).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] crate::secret::store::StoreError),
    #[error(transparent)]
    Now(#[from] crate::timefmt::TimeError),
    #[error("{path}: {source}")]
    Maker {
        path: String,
        #[source]
        source: MakerError,
    },
}

/// What the maker does with one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send `datagram` (marker included on port 4500) back to the sender.
    Answer {
        request: UnknownSpiRequest,
        datagram: Vec<u8>,
        /// The generations whose tokens the answer holds, in order.
        generations: Vec<u32>,
    },
    /// Leave it unanswered, as Rockhopper does.
    Ignore(Unanswered),
    /// On port 4500 without the non-ESP marker: ESP-in-UDP or a keepalive.
    NotIke,
}

impl Maker {
    /// The maker for the keyring file at `path`, as of now (`QCD_NOW`
    /// honoured, see [`crate::timefmt::now`]).
    pub fn load(path: &Path, opts: &LoadOptions) -> Result<Maker, LoadError> {
        let keyring = crate::secret::store::load(path, opts)?;
        let now = crate::timefmt::now()?;
        Maker::new(&keyring, now).map_err(|source| LoadError::Maker {
            path: path.display().to_string(),
            source,
        })
    }

    /// The maker for `keyring`'s generations in use at `now`.
    pub fn new(keyring: &Keyring, now: SystemTime) -> Result<Maker, MakerError> {
        let mut generations = Vec::new();
        for g in keyring.in_use_at(now) {
            let Some(secret) = g.secret() else { continue };
            let d = Deriver::new(secret.expose(), g.spec).map_err(|source| MakerError::Token {
                generation: g.id,
                source,
            })?;
            generations.push((g.id, g.state_at(now), d));
        }
        generations.sort_by_key(|(_, s, _)| *s != State::Active);
        if generations.is_empty() {
            return Err(MakerError::Empty);
        }
        Ok(Maker { generations })
    }

    /// The generations answered with, in order.
    pub fn generations(&self) -> Vec<u32> {
        self.generations.iter().map(|(id, _, _)| *id).collect()
    }

    /// Decides about a UDP payload from `from`, received on a port 4500
    /// socket when `nat_t`. Tokens of generations bound to the taker's
    /// address use `from`'s address.
    pub fn answer(&self, udp_payload: &[u8], from: SocketAddr, nat_t: bool) -> Decision {
        let Some(message) = liveness::unframe(udp_payload, nat_t) else {
            return Decision::NotIke;
        };
        let request = match liveness::read_unknown_spi_request(message) {
            Ok(r) => r,
            Err(why) => return Decision::Ignore(why),
        };
        let mut bufs = Vec::with_capacity(self.generations.len());
        let mut ids = Vec::new();
        for (id, _, d) in &self.generations {
            let taker = d.spec().taker_addr.then_some(from.ip());
            if let Ok(t) = d.derive(&TokenInput::new(request.spis, taker)) {
                bufs.push(t);
                ids.push(*id);
            }
        }
        let tokens: Vec<&[u8]> = bufs.iter().map(|b| b.expose()).collect();
        let reply = liveness::qcd_reply(&request, &tokens);
        match reply.to_bytes() {
            Ok(bytes) => Decision::Answer {
                request,
                datagram: liveness::frame(&bytes, nat_t),
                generations: ids,
            },
            Err(_) => Decision::Ignore(Unanswered::Truncated),
        }
    }
}

/// A token bucket: `rate` answers per second on average, bursts of up to
/// `burst`. It refills with time whatever happened before, so a flood only
/// limits answers while it lasts and never silences the maker afterwards.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    level: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rate: f64, burst: u32, now: Instant) -> TokenBucket {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            rate: rate.max(0.0),
            burst,
            level: burst,
            last: now,
        }
    }

    /// Takes one answer's worth at `now`, if there is one.
    pub fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = self.last.max(now);
        self.level = (self.level + elapsed.as_secs_f64() * self.rate).min(self.burst);
        if self.level >= 1.0 {
            self.level -= 1.0;
            true
        } else {
            false
        }
    }

    /// How long until the next answer is allowed, from `now` (zero if it is).
    pub fn wait(&self, now: Instant) -> Duration {
        let level = (self.level
            + now.saturating_duration_since(self.last).as_secs_f64() * self.rate)
            .min(self.burst);
        if level >= 1.0 || self.rate == 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - level) / self.rate)
        }
    }
}

/// One line of the maker's log (`--json`: one object per line).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LogEvent {
    /// A socket is open.
    Listening { address: String, nat_t: bool },
    /// A request answered. Tokens are not logged.
    Answered {
        from: String,
        local: String,
        spi_i: String,
        spi_r: String,
        exchange: String,
        message_id: u32,
        generations: Vec<u32>,
    },
    /// A request left unanswered, and why.
    Ignored {
        from: String,
        local: String,
        reason: Unanswered,
    },
    /// An answer not sent because of the rate limit.
    RateLimited { from: String, local: String },
    /// The keyring was read again (SIGHUP).
    Reloaded { generations: Vec<u32> },
    /// A reload failed; the previous secrets stay in use.
    ReloadFailed { error: String },
    /// Stopped by a signal.
    Stopped { answered: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_limits_and_recovers() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10.0, 3, t0);
        assert!(b.allow(t0) && b.allow(t0) && b.allow(t0));
        assert!(!b.allow(t0));
        // A flood of 10,000 at the same instant changes nothing later.
        for _ in 0..10_000 {
            assert!(!b.allow(t0));
        }
        assert!(b.wait(t0) > Duration::ZERO);
        let t1 = t0 + Duration::from_millis(100);
        assert!(b.allow(t1));
        assert!(!b.allow(t1));
        let t2 = t1 + Duration::from_secs(60);
        assert!(b.allow(t2) && b.allow(t2) && b.allow(t2));
        assert!(!b.allow(t2));
        // A clock that goes backwards does not lock it either.
        assert!(b.allow(t2 + Duration::from_secs(1)));
        let _ = b.allow(t0);
        assert!(b.allow(t2 + Duration::from_secs(10)));
    }
}
