//! Bounded reassembly of IPv4 and IPv6 fragments (IKE_AUTH with
//! certificates is often fragmented at the IP layer).
//!
//! Built on etherparse's `IpDefragBuf` (one buffer per datagram) with the
//! bounds and the overlap policy that its `IpDefragPool` leaves to the user:
//!
//! - at most [`DefragLimits::max_datagrams`] datagrams and
//!   [`DefragLimits::max_bytes`] bytes pending (plus the one datagram being
//!   added to, at most 64 KiB); past that the oldest pending datagram is
//!   dropped with a warning;
//! - a datagram with no new fragment for [`DefragLimits::timeout`] of capture
//!   time is dropped with a warning (Linux's `ipfrag_time` is 30 s);
//! - overlaps: a fragment that repeats bytes already held, identically, is a
//!   duplicate and ignored; any other overlap discards the whole datagram
//!   with a warning, as RFC 5722 requires for IPv6 and Linux does for both
//!   versions, so qcd never shows a message the receiver could not have
//!   reassembled. Later fragments of a discarded datagram are absorbed
//!   silently until it expires.

use super::reader::{Warning, WarningKind};
use super::Timestamp;
use etherparse::defrag::IpDefragBuf;
use etherparse::{IpFragOffset, IpNumber};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

/// Bounds on reassembly state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragLimits {
    pub max_datagrams: usize,
    pub max_bytes: usize,
    pub timeout: Duration,
}

impl Default for DefragLimits {
    fn default() -> Self {
        DefragLimits {
            max_datagrams: 256,
            max_bytes: 8 << 20,
            timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    pub proto: u8,
}

struct Pending {
    buf: IpDefragBuf,
    first_frame: u64,
    last_frame: u64,
    last_seen: Option<i128>,
    seq: u64,
    discarded: bool,
    received: usize,
}

/// A reassembled datagram's transport payload.
pub(crate) struct Datagram {
    pub proto: u8,
    pub payload: Vec<u8>,
}

/// One fragment as it arrived.
pub(crate) struct Fragment<'a> {
    pub key: FragKey,
    /// Offset in 8-byte units.
    pub offset: u16,
    pub more: bool,
    pub payload: &'a [u8],
}

pub(crate) struct Defragmenter {
    limits: DefragLimits,
    pending: HashMap<FragKey, Pending>,
    bytes: usize,
    seq: u64,
    next_deadline: Option<i128>,
}

impl Defragmenter {
    pub fn new(limits: DefragLimits) -> Self {
        Defragmenter {
            limits,
            pending: HashMap::new(),
            bytes: 0,
            seq: 0,
            next_deadline: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    fn timeout_ns(&self) -> i128 {
        self.limits.timeout.as_nanos() as i128
    }

    /// Drops datagrams idle for longer than the timeout at capture time `now`.
    pub fn expire(&mut self, now: Option<Timestamp>, warnings: &mut VecDeque<Warning>) {
        let Some(now) = now.map(|t| t.as_nanos()) else {
            return;
        };
        match self.next_deadline {
            Some(d) if now > d => {}
            _ => return,
        }
        let timeout = self.timeout_ns();
        let mut expired: Vec<(FragKey, u64)> = self
            .pending
            .iter()
            .filter(|(_, p)| p.last_seen.is_some_and(|s| now - s > timeout))
            .map(|(k, p)| (*k, p.seq))
            .collect();
        expired.sort_by_key(|(_, seq)| *seq);
        for (key, _) in expired {
            self.drop_datagram(
                &key,
                "no fragment for longer than the reassembly timeout",
                warnings,
            );
        }
        self.next_deadline = self
            .pending
            .values()
            .filter_map(|p| p.last_seen)
            .min()
            .map(|s| s + timeout);
    }

    /// Warns about every datagram still pending (end of capture).
    pub fn finish(&mut self, warnings: &mut VecDeque<Warning>) {
        let mut keys: Vec<(FragKey, u64)> = self.pending.iter().map(|(k, p)| (*k, p.seq)).collect();
        keys.sort_by_key(|(_, seq)| *seq);
        for (key, _) in keys {
            self.drop_datagram(&key, "the capture ended first", warnings);
        }
    }

    fn drop_datagram(
        &mut self,
        key: &FragKey,
        why: &'static str,
        warnings: &mut VecDeque<Warning>,
    ) {
        if let Some(p) = self.pending.remove(key) {
            self.bytes = self.bytes.saturating_sub(p.buf.data().len());
            if !p.discarded {
                warnings.push_back(Warning {
                    frame: Some(p.first_frame),
                    offset: None,
                    kind: WarningKind::FragmentsIncomplete {
                        src: key.src,
                        dst: key.dst,
                        id: key.id,
                        last_frame: p.last_frame,
                        received: p.received,
                        why,
                    },
                });
            }
        }
    }

    /// Adds a fragment; returns the datagram when it is complete.
    pub fn add(
        &mut self,
        frag: Fragment<'_>,
        frame: u64,
        offset_in_file: u64,
        time: Option<Timestamp>,
        warnings: &mut VecDeque<Warning>,
    ) -> Option<Datagram> {
        let now = time.map(|t| t.as_nanos());
        let warn = |warnings: &mut VecDeque<Warning>, kind| {
            warnings.push_back(Warning {
                frame: Some(frame),
                offset: Some(offset_in_file),
                kind,
            })
        };
        let start = usize::from(frag.offset) * 8;
        let end = start + frag.payload.len();
        if !self.pending.contains_key(&frag.key) {
            // Make room: evict the oldest datagrams past either bound.
            while !self.pending.is_empty()
                && (self.pending.len() >= self.limits.max_datagrams
                    || self.bytes + end > self.limits.max_bytes)
            {
                let oldest = self
                    .pending
                    .iter()
                    .min_by_key(|(_, p)| p.seq)
                    .map(|(k, _)| *k);
                match oldest {
                    Some(k) => self.drop_datagram(
                        &k,
                        "too many datagrams were pending reassembly (oldest dropped)",
                        warnings,
                    ),
                    None => break,
                }
            }
            if end > self.limits.max_bytes {
                return None;
            }
            self.seq += 1;
            self.pending.insert(
                frag.key,
                Pending {
                    buf: IpDefragBuf::new(IpNumber(frag.key.proto), Vec::new(), Vec::new()),
                    first_frame: frame,
                    last_frame: frame,
                    last_seen: now,
                    seq: self.seq,
                    discarded: false,
                    received: 0,
                },
            );
            if let Some(n) = now {
                let d = n + self.timeout_ns();
                self.next_deadline = Some(self.next_deadline.map_or(d, |x| x.min(d)));
            }
        }
        let p = self.pending.get_mut(&frag.key)?;
        p.last_frame = frame;
        if now.is_some() {
            p.last_seen = now;
        }
        if p.discarded {
            return None;
        }
        // Overlap policy (see the module doc).
        let held = p.buf.data();
        let mut duplicate = false;
        for s in p.buf.sections() {
            let (s0, s1) = (usize::from(s.start), usize::from(s.end));
            if start < s1 && s0 < end {
                let inside = s0 <= start && end <= s1;
                if inside && held.get(start..end) == Some(frag.payload) {
                    duplicate = true;
                } else {
                    p.discarded = true;
                    warn(
                        warnings,
                        WarningKind::FragmentOverlap {
                            src: frag.key.src,
                            dst: frag.key.dst,
                            id: frag.key.id,
                            first_frame: p.first_frame,
                            start,
                            end,
                        },
                    );
                    return None;
                }
            }
        }
        if duplicate {
            return None;
        }
        let before = p.buf.data().len();
        let Ok(off) = IpFragOffset::try_new(frag.offset) else {
            return None;
        };
        if let Err(e) = p.buf.add(off, frag.more, frag.payload) {
            p.discarded = true;
            warn(
                warnings,
                WarningKind::FragmentInvalid {
                    src: frag.key.src,
                    dst: frag.key.dst,
                    id: frag.key.id,
                    reason: e.to_string(),
                },
            );
            return None;
        }
        p.received += frag.payload.len();
        let after = p.buf.data().len();
        self.bytes = (self.bytes + after).saturating_sub(before);
        if p.buf.is_complete() {
            let p = self.pending.remove(&frag.key)?;
            self.bytes = self.bytes.saturating_sub(p.buf.data().len());
            let (payload, _) = p.buf.take_bufs();
            return Some(Datagram {
                proto: frag.key.proto,
                payload,
            });
        }
        // A datagram that grew past the memory bound makes room by evicting
        // the oldest others.
        while self.bytes > self.limits.max_bytes {
            let oldest = self
                .pending
                .iter()
                .filter(|(k, _)| **k != frag.key)
                .min_by_key(|(_, p)| p.seq)
                .map(|(k, _)| *k);
            match oldest {
                Some(k) => self.drop_datagram(
                    &k,
                    "reassembly memory bound reached (oldest dropped)",
                    warnings,
                ),
                None => break,
            }
        }
        None
    }
}
