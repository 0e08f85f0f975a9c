//! Bounded reassembly of IPv4 and IPv6 fragments (IKE_AUTH with
//! certificates is often fragmented at the IP layer).
//!
//! Each datagram's fragments are kept in one buffer with the byte ranges
//! held in an ordered map (start → end, adjacent ranges merged), so adding a
//! fragment, and checking it for overlaps, costs O(log n) in the ranges held
//! whatever the order fragments come in (a list scanned per fragment would
//! cost quadratic time when many fragments never touch). The bounds and the
//! overlap policy:
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

use super::warnings::{Warning, WarningKind};
use super::Timestamp;
use std::collections::{BTreeMap, HashMap, VecDeque};
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

/// The largest datagram payload a fragment may extend (the 16-bit offset
/// and length fields' limit).
const MAX_DATAGRAM: usize = 65_535;

/// One datagram being reassembled.
#[derive(Default)]
struct FragBuf {
    /// The bytes held so far, at their offsets (gaps are zero).
    data: Vec<u8>,
    /// Byte ranges held, start → end: disjoint, adjacent ones merged.
    sections: BTreeMap<u16, u16>,
    /// The datagram's length, once its last fragment (MF = 0) arrived.
    end: Option<usize>,
}

/// Where a new fragment falls among the ranges held.
#[derive(Debug, PartialEq, Eq)]
enum Overlap {
    None,
    /// Wholly inside one held range: a duplicate if the bytes agree.
    Inside,
    /// Any other overlap.
    Partial,
}

impl FragBuf {
    /// Memory held, for the bound: the bytes, and about 16 bytes per range
    /// (a B-tree entry of two `u16` with its share of the node).
    fn cost(&self) -> usize {
        self.data.len() + 16 * self.sections.len()
    }

    /// O(log n): the last range starting before `end` is the only one that
    /// can overlap `start..end` (the ranges are disjoint and ordered).
    fn overlap(&self, start: usize, end: usize) -> Overlap {
        let (Ok(start), Ok(end)) = (u16::try_from(start), u16::try_from(end)) else {
            return Overlap::Partial; // past any datagram: refused by add
        };
        match self.sections.range(..end).next_back() {
            Some((&s0, &s1)) if s1 > start => {
                if s0 <= start && end <= s1 {
                    Overlap::Inside
                } else {
                    Overlap::Partial
                }
            }
            _ => Overlap::None,
        }
    }

    /// Adds a fragment that overlaps nothing held.
    fn add(&mut self, start: usize, more: bool, payload: &[u8]) -> Result<(), String> {
        let end = start + payload.len();
        let (Ok(s16), Ok(e16)) = (u16::try_from(start), u16::try_from(end)) else {
            return Err(format!(
                "the fragment at offset {start} with {} bytes ends past {MAX_DATAGRAM} bytes",
                payload.len()
            ));
        };
        if more && !payload.len().is_multiple_of(8) {
            return Err(format!(
                "a fragment that is not the last has {} bytes, not a multiple of 8",
                payload.len()
            ));
        }
        let held_end = self
            .sections
            .last_key_value()
            .map_or(0, |(_, &e)| usize::from(e));
        match self.end {
            Some(e) if end > e || (!more && end != e) => {
                return Err(format!(
                    "the fragments disagree on where the datagram ends ({e} or {end} bytes)"
                ))
            }
            None if !more && held_end > end => {
                return Err(format!(
                    "the last fragment ends at {end} bytes but bytes up to {held_end} were received"
                ))
            }
            _ => {}
        }
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        self.data[start..end].copy_from_slice(payload);
        if !more {
            self.end = Some(end);
        }
        if start == end {
            return Ok(());
        }
        let (mut s0, mut s1) = (s16, e16);
        if let Some((&p0, &p1)) = self.sections.range(..s16).next_back() {
            if p1 == s16 {
                self.sections.remove(&p0);
                s0 = p0;
            }
        }
        if let Some(n1) = self.sections.remove(&e16) {
            s1 = n1;
        }
        self.sections.insert(s0, s1);
        Ok(())
    }

    fn is_complete(&self) -> bool {
        match self.end {
            Some(end) if end > 0 => {
                self.sections.len() == 1
                    && self.sections.get(&0).map(|&e| usize::from(e)) == Some(end)
            }
            _ => false,
        }
    }

    /// The datagram's payload once complete.
    fn into_payload(mut self) -> Vec<u8> {
        self.data.truncate(self.end.unwrap_or(0));
        self.data
    }
}

struct Pending {
    buf: FragBuf,
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
    /// The pending datagrams by age (`Pending::seq`), so the oldest is found
    /// in O(log n) when one must be dropped.
    by_age: BTreeMap<u64, FragKey>,
    bytes: usize,
    seq: u64,
    next_deadline: Option<i128>,
}

impl Defragmenter {
    pub fn new(limits: DefragLimits) -> Self {
        Defragmenter {
            limits,
            pending: HashMap::new(),
            by_age: BTreeMap::new(),
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
        let keys: Vec<FragKey> = self.by_age.values().copied().collect();
        for key in keys {
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
            self.by_age.remove(&p.seq);
            self.bytes = self.bytes.saturating_sub(p.buf.cost());
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
                let oldest = self.by_age.values().next().copied();
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
            self.by_age.insert(self.seq, frag.key);
            self.pending.insert(
                frag.key,
                Pending {
                    buf: FragBuf::default(),
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
        match p.buf.overlap(start, end) {
            Overlap::None => {}
            Overlap::Inside if p.buf.data.get(start..end) == Some(frag.payload) => {
                return None; // an exact duplicate
            }
            Overlap::Inside | Overlap::Partial => {
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
        let before = p.buf.cost();
        if let Err(reason) = p.buf.add(start, frag.more, frag.payload) {
            p.discarded = true;
            warn(
                warnings,
                WarningKind::FragmentInvalid {
                    src: frag.key.src,
                    dst: frag.key.dst,
                    id: frag.key.id,
                    reason,
                },
            );
            return None;
        }
        p.received += frag.payload.len();
        let after = p.buf.cost();
        self.bytes = (self.bytes + after).saturating_sub(before);
        if p.buf.is_complete() {
            let p = self.pending.remove(&frag.key)?;
            self.by_age.remove(&p.seq);
            self.bytes = self.bytes.saturating_sub(p.buf.cost());
            let payload = p.buf.into_payload();
            return Some(Datagram {
                proto: frag.key.proto,
                payload,
            });
        }
        // A datagram that grew past the memory bound makes room by evicting
        // the oldest others.
        while self.bytes > self.limits.max_bytes {
            let oldest = self.by_age.values().find(|k| **k != frag.key).copied();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 1) as u8).collect()
    }

    #[test]
    fn ranges_merge_in_any_order() {
        let d = bytes(40);
        let mut b = FragBuf::default();
        b.add(16, true, &d[16..24]).unwrap();
        b.add(0, true, &d[0..8]).unwrap();
        assert_eq!(b.sections.len(), 2);
        b.add(32, false, &d[32..40]).unwrap();
        assert_eq!(b.sections.len(), 3);
        assert!(!b.is_complete());
        b.add(8, true, &d[8..16]).unwrap();
        assert_eq!(
            b.sections.iter().collect::<Vec<_>>(),
            vec![(&0, &24), (&32, &40)]
        );
        b.add(24, true, &d[24..32]).unwrap();
        assert!(b.is_complete());
        assert_eq!(b.into_payload(), d);
    }

    #[test]
    fn overlaps_are_found() {
        let d = bytes(64);
        let mut b = FragBuf::default();
        b.add(8, true, &d[8..24]).unwrap();
        b.add(40, true, &d[40..48]).unwrap();
        assert_eq!(b.overlap(0, 8), Overlap::None);
        assert_eq!(b.overlap(24, 40), Overlap::None);
        assert_eq!(b.overlap(48, 56), Overlap::None);
        assert_eq!(b.overlap(8, 16), Overlap::Inside);
        assert_eq!(b.overlap(16, 24), Overlap::Inside);
        assert_eq!(b.overlap(0, 16), Overlap::Partial);
        assert_eq!(b.overlap(16, 32), Overlap::Partial);
        assert_eq!(b.overlap(0, 64), Overlap::Partial);
        assert_eq!(b.overlap(32, 48), Overlap::Partial);
    }

    #[test]
    fn inconsistent_fragments_are_refused() {
        let d = bytes(64);
        let mut b = FragBuf::default();
        assert!(b
            .add(0, true, &d[..5])
            .unwrap_err()
            .contains("multiple of 8"));
        assert!(b
            .add(65_530, false, &d[..8])
            .unwrap_err()
            .contains("past 65535"));
        b.add(16, false, &d[16..24]).unwrap();
        assert!(b
            .add(24, true, &d[24..32])
            .unwrap_err()
            .contains("disagree"));
        assert!(b.add(0, false, &d[0..8]).unwrap_err().contains("disagree"));
        let mut b = FragBuf::default();
        b.add(32, true, &d[32..40]).unwrap();
        assert!(b
            .add(0, false, &d[0..8])
            .unwrap_err()
            .contains("bytes up to 40"));
    }

    proptest::proptest! {
        /// A datagram cut into fragments of random sizes, given in any order
        /// (with exact duplicates), is rebuilt byte for byte, and completes
        /// exactly when its last missing fragment arrives.
        #[test]
        fn any_order_rebuilds_the_datagram(
            cuts in proptest::collection::btree_set(1usize..200, 0..30),
            order in proptest::collection::vec(proptest::num::usize::ANY, 0..60),
        ) {
            let len = 8 * 201 + 5;
            let data = bytes(len);
            let mut bounds: Vec<usize> = cuts.iter().map(|c| c * 8).collect();
            bounds.insert(0, 0);
            bounds.push(len);
            let mut frags: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
            // A shuffle driven by `order`, then duplicates of a few.
            for (i, o) in order.iter().enumerate() {
                let n = frags.len();
                frags.swap(i % n, o % n);
            }
            let extra: Vec<(usize, usize)> = order.iter().take(5).map(|o| frags[o % frags.len()]).collect();
            let total = frags.len();
            let mut b = FragBuf::default();
            let mut seen = std::collections::BTreeSet::new();
            for (a, z) in frags.iter().chain(extra.iter()) {
                match b.overlap(*a, *z) {
                    Overlap::None => b.add(*a, *z != len, &data[*a..*z]).unwrap(),
                    Overlap::Inside => proptest::prop_assert_eq!(&b.data[*a..*z], &data[*a..*z]),
                    Overlap::Partial => proptest::prop_assert!(false, "exact pieces never partly overlap"),
                }
                seen.insert(*a);
                proptest::prop_assert_eq!(b.is_complete(), seen.len() == total);
            }
            proptest::prop_assert_eq!(b.into_payload(), data);
        }
    }
}
