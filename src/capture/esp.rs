//! ESP traffic counted per SPI and direction, so a report can show that
//! packets to an SPI went on after a peer rebooted.

use super::Timestamp;
use indexmap::IndexMap;
use std::net::SocketAddr;

/// One direction of one SA: the SPI and the endpoints. For ESP carried
/// directly in IP (protocol 50) both ports are 0; for ESP-in-UDP (RFC 3948)
/// they are the UDP ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EspKey {
    pub spi: u32,
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

/// What was seen of one [`EspKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EspFlow {
    pub packets: u64,
    pub first_frame: u64,
    pub last_frame: u64,
    pub first_time: Option<Timestamp>,
    pub last_time: Option<Timestamp>,
    pub first_seq: u32,
    pub last_seq: u32,
}

/// ESP packets aggregated per [`EspKey`] and per group (a number the caller
/// chooses, e.g. the IKE SA a packet belongs to; 0 with
/// [`EspStats::record`]), in order of first appearance (an insertion-ordered
/// map: the flows themselves in one vector, the hash table holding only
/// their positions); recording a packet allocates only when a new SA
/// direction (or group) appears.
#[derive(Debug, Clone, Default)]
pub struct EspStats {
    /// foldhash, seeded per process (as the SA index): keys come from the
    /// capture, and a crafted one cannot aim at collisions.
    flows: IndexMap<(u32, EspKey), EspFlow, foldhash::fast::RandomState>,
    packets: u64,
    /// Position + 1 in `flows` of a recent flow, by a hash of its SPI (0:
    /// none).
    recent: [usize; 16],
}

impl EspStats {
    pub fn record(&mut self, key: EspKey, frame: u64, time: Option<Timestamp>, seq: u32) {
        self.record_in(0, key, frame, time, seq);
    }

    /// [`EspStats::record`] in `group`.
    pub fn record_in(
        &mut self,
        group: u32,
        key: EspKey,
        frame: u64,
        time: Option<Timestamp>,
        seq: u32,
    ) {
        let key = (group, key);
        self.packets += 1;
        let update = |f: &mut EspFlow| {
            f.packets += 1;
            f.last_frame = frame;
            if time.is_some() {
                f.last_time = time;
            }
            f.last_seq = seq;
        };
        // The flows seen lately, by their SPI: ESP comes in runs of a few
        // flows, and a hit costs one comparison instead of a hash lookup.
        let slot = (key.1.spi.wrapping_mul(0x9e37_79b9) >> 28) as usize;
        if let Some(i) = self.recent[slot].checked_sub(1) {
            if let Some((k, f)) = self.flows.get_index_mut(i) {
                if *k == key {
                    update(f);
                    return;
                }
            }
        }
        let i = match self.flows.entry(key) {
            indexmap::map::Entry::Occupied(mut o) => {
                update(o.get_mut());
                o.index()
            }
            indexmap::map::Entry::Vacant(v) => {
                let i = v.index();
                v.insert(EspFlow {
                    packets: 1,
                    first_frame: frame,
                    last_frame: frame,
                    first_time: time,
                    last_time: time,
                    first_seq: seq,
                    last_seq: seq,
                });
                i
            }
        };
        self.recent[slot] = i + 1;
    }

    /// Total ESP packets seen.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Number of distinct SPI/direction pairs.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The flow of `key` in group 0.
    pub fn get(&self, key: &EspKey) -> Option<&EspFlow> {
        self.flows.get(&(0, *key))
    }

    /// The flows in order of first appearance, borrowed, with their group.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &EspKey, &EspFlow)> {
        self.flows.iter().map(|((g, k), f)| (*g, k, f))
    }

    /// The `i`-th flow in order of first appearance.
    pub fn get_index(&self, i: usize) -> Option<(&EspKey, &EspFlow)> {
        self.flows.get_index(i).map(|((_, k), f)| (k, f))
    }

    /// Flows in order of first appearance in the capture, copied.
    pub fn flows(&self) -> Vec<(EspKey, EspFlow)> {
        self.flows.iter().map(|((_, k), f)| (*k, *f)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Precision;

    #[test]
    fn aggregates_per_spi_and_direction() {
        let a: SocketAddr = "192.0.2.1:0".parse().unwrap();
        let b: SocketAddr = "192.0.2.2:0".parse().unwrap();
        let t = |s| Some(Timestamp::new(s, 0, Precision::Micro));
        let mut s = EspStats::default();
        let k1 = EspKey {
            spi: 7,
            src: a,
            dst: b,
        };
        let k2 = EspKey {
            spi: 7,
            src: b,
            dst: a,
        };
        s.record(k1, 1, t(10), 1);
        s.record(k2, 2, t(11), 1);
        s.record(k1, 3, t(12), 2);
        assert_eq!(s.packets(), 3);
        assert_eq!(s.len(), 2);
        let f = s.get(&k1).unwrap();
        assert_eq!((f.packets, f.first_frame, f.last_frame), (2, 1, 3));
        assert_eq!((f.first_time, f.last_time), (t(10), t(12)));
        assert_eq!((f.first_seq, f.last_seq), (1, 2));
        assert_eq!(s.flows()[1].0, k2);
        // First appearance, not key order: k3 sorts before k1 but came later.
        let k3 = EspKey { spi: 1, ..k1 };
        s.record(k3, 4, t(13), 1);
        let order: Vec<EspKey> = s.iter().map(|(_, k, _)| *k).collect();
        assert_eq!(order, [k1, k2, k3]);
        assert_eq!(s.get_index(2).map(|(k, _)| *k), Some(k3));
    }

    proptest::proptest! {
        /// Whatever the order of packets (SPIs sharing a cache slot, the
        /// same SPI both ways), each flow counts its own packets, in order
        /// of first appearance.
        #[test]
        fn flows_equal_a_plain_model(
            packets in proptest::collection::vec((0u32..40, 0u8..3, proptest::bool::ANY), 0..300),
        ) {
            let host = |h: u8| SocketAddr::from(([192, 0, 2, h], 0));
            let mut s = EspStats::default();
            let mut model: Vec<(EspKey, u64, u64, u64)> = Vec::new();
            for (frame, (spi, h, back)) in packets.iter().enumerate() {
                let frame = frame as u64 + 1;
                let (src, dst) = if *back { (host(9), host(*h)) } else { (host(*h), host(9)) };
                // Up to 240 keys over the 16 slots of the recent-flow cache.
                let key = EspKey { spi: spi * 16, src, dst };
                s.record(key, frame, None, 0);
                match model.iter_mut().find(|(k, ..)| *k == key) {
                    Some((_, n, _, last)) => {
                        *n += 1;
                        *last = frame;
                    }
                    None => model.push((key, 1, frame, frame)),
                }
            }
            let got: Vec<(EspKey, u64, u64, u64)> = s
                .iter()
                .map(|(_, k, f)| (*k, f.packets, f.first_frame, f.last_frame))
                .collect();
            proptest::prop_assert_eq!(got, model);
            proptest::prop_assert_eq!(s.packets(), packets.len() as u64);
        }
    }
}
