//! Which IKE SA a message belongs to, and which IKE SA was current between
//! two hosts at a given time: the one index that `qcd diagnose` and
//! `qcd decode --summary` share.
//!
//! An IKE SA is named by its SPI pair (RFC 7296 §2.6), but the pair is only
//! complete from the IKE_SA_INIT response on: the first request carries a
//! zero SPI-R, a COOKIE or INVALID_KE_PAYLOAD round trip repeats it, and a
//! retransmitted request may arrive after the response. Messages that carry
//! no SPIs anybody knows (an unprotected INVALID_SPI from a rebooted
//! gateway) and ESP packets belong to the IKE SA that was current between
//! the same two hosts at that time.
//!
//! Every lookup is a hash-map access or a binary search over the IKE SAs
//! between one pair of hosts, so indexing a capture costs time linear in its
//! size. Not here: what the messages mean (see `qcd::diagnose`).

use std::collections::HashMap as StdMap;
use std::net::IpAddr;
use std::time::SystemTime;

use crate::spi::{Spi, SpiPair};

/// Hash maps keyed by what the network sends (SPIs, addresses): foldhash,
/// seeded per process, so a crafted capture cannot aim at collisions, and
/// several times cheaper than SipHash on these small keys.
pub type Map<K, V> = StdMap<K, V, foldhash::fast::RandomState>;

/// Index of an IKE SA in the caller's list (SAs are numbered in order of
/// first appearance, from 0).
pub type SaId = usize;

/// Two hosts, in a fixed order (lower address first), so that both
/// directions of a conversation name the same pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPair(IpAddr, IpAddr);

impl HostPair {
    pub fn new(a: IpAddr, b: IpAddr) -> HostPair {
        if a <= b {
            HostPair(a, b)
        } else {
            HostPair(b, a)
        }
    }

    pub fn hosts(self) -> (IpAddr, IpAddr) {
        (self.0, self.1)
    }
}

/// Where an IKE message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// An IKE SA seen before. `completed` is set when this message told its
    /// SPI-R for the first time (the caller may update its copy of the SPIs).
    Known { sa: SaId, completed: bool },
    /// A new IKE SA, numbered `sa`.
    New { sa: SaId },
}

impl Placed {
    pub fn sa(self) -> SaId {
        match self {
            Placed::Known { sa, .. } | Placed::New { sa } => sa,
        }
    }
}

/// The IKE SAs between two hosts, ordered by start time. Most host pairs
/// (a concentrator's peers) have one, kept without a heap allocation.
#[derive(Debug)]
enum Starts<T> {
    One([(T, SaId); 1]),
    Many(Vec<(T, SaId)>),
}

impl<T: Ord + Copy> Starts<T> {
    fn as_slice(&self) -> &[(T, SaId)] {
        match self {
            Starts::One(one) => one,
            Starts::Many(v) => v,
        }
    }

    fn insert(&mut self, time: T, sa: SaId) {
        if let Starts::One([first]) = *self {
            *self = Starts::Many(vec![first]);
        }
        if let Starts::Many(v) = self {
            let at = v.partition_point(|&(t, _)| t <= time);
            v.insert(at, (time, sa));
        }
    }

    fn remove(&mut self, sa: SaId, time: T) -> bool {
        if let Starts::Many(v) = self {
            if let Some(pos) = v.iter().position(|&(t, s)| s == sa && t == time) {
                v.remove(pos);
                return true;
            }
        }
        false
    }
}

/// The index. Feed messages in capture order. `T` orders IKE SAs in time:
/// capture timestamps (the default) or frame numbers.
#[derive(Debug)]
pub struct SaIndex<T = SystemTime> {
    /// Complete SPI pairs.
    by_pair: Map<SpiPair, SaId>,
    /// SPI-I of IKE SAs whose SPI-R is known: a late retransmission of the
    /// IKE_SA_INIT request (SPI-R zero) joins them.
    by_initiator: Map<Spi, SaId>,
    /// SPI-I of IKE SAs still waiting for their SPI-R.
    pending: Map<Spi, SaId>,
    /// IKE SAs between two hosts, ordered by the time they started.
    by_hosts: Map<HostPair, Starts<T>>,
    count: usize,
}

impl<T> Default for SaIndex<T> {
    fn default() -> Self {
        SaIndex {
            by_pair: Map::default(),
            by_initiator: Map::default(),
            pending: Map::default(),
            by_hosts: Map::default(),
            count: 0,
        }
    }
}

impl<T: Ord + Copy> SaIndex<T> {
    pub fn new() -> SaIndex<T> {
        SaIndex::default()
    }

    /// Number of IKE SAs indexed.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The IKE SA these SPIs name, if any (without creating one).
    pub fn find(&self, spis: SpiPair) -> Option<SaId> {
        if let Some(&s) = self.by_pair.get(&spis) {
            return Some(s);
        }
        if spis.responder.is_zero() {
            if let Some(&s) = self.by_initiator.get(&spis.initiator) {
                return Some(s);
            }
        }
        self.pending.get(&spis.initiator).copied()
    }

    /// Places an IKE message with `spis` sent between `hosts` at `time`,
    /// creating a new IKE SA when the SPIs are unknown.
    pub fn place(&mut self, spis: SpiPair, hosts: HostPair, time: T) -> Placed {
        if let Some(&sa) = self.by_pair.get(&spis) {
            return Placed::Known {
                sa,
                completed: false,
            };
        }
        if spis.responder.is_zero() {
            if let Some(&sa) = self.by_initiator.get(&spis.initiator) {
                // A retransmitted IKE_SA_INIT request after the response.
                return Placed::Known {
                    sa,
                    completed: false,
                };
            }
        }
        if let Some(&sa) = self.pending.get(&spis.initiator) {
            let completed = !spis.responder.is_zero();
            if completed {
                self.pending.remove(&spis.initiator);
                self.by_pair.insert(spis, sa);
                self.by_initiator.insert(spis.initiator, sa);
            }
            return Placed::Known { sa, completed };
        }
        let sa = self.new_sa(hosts, time);
        self.name(sa, spis);
        Placed::New { sa }
    }

    /// Makes a new IKE SA `sa` findable by its SPIs (by SPI-I alone until
    /// its SPI-R is known).
    fn name(&mut self, sa: SaId, spis: SpiPair) {
        if spis.responder.is_zero() {
            self.pending.insert(spis.initiator, sa);
        } else {
            self.by_pair.insert(spis, sa);
            self.by_initiator.entry(spis.initiator).or_insert(sa);
        }
    }

    /// Places a notice that names no IKE SA anybody set up (an unprotected
    /// INVALID_SPI from a rebooted host, with SPIs of its own) without
    /// displacing the IKE SA in force between `hosts`: when one is, the
    /// notice gets an IKE SA of its own, found by its SPIs but never
    /// [`SaIndex::current`] (ESP keeps going to the SA in force, as in the
    /// diagnosis, which files the notice under that SA). Otherwise, and for
    /// SPIs already known, as [`SaIndex::place`].
    pub fn place_notice(&mut self, spis: SpiPair, hosts: HostPair, time: T) -> Placed {
        if self.find(spis).is_some() || self.current(hosts, time).is_none() {
            return self.place(spis, hosts, time);
        }
        let sa = self.count;
        self.count += 1;
        self.name(sa, spis);
        Placed::New { sa }
    }

    /// A new IKE SA known by no SPIs (e.g. for a message that carries SPIs
    /// nobody else uses, when no IKE SA between its hosts exists).
    pub fn new_sa(&mut self, hosts: HostPair, time: T) -> SaId {
        let sa = self.count;
        self.count += 1;
        match self.by_hosts.get_mut(&hosts) {
            Some(starts) => starts.insert(time, sa),
            None => {
                self.by_hosts.insert(hosts, Starts::One([(time, sa)]));
            }
        }
        sa
    }

    /// The IKE SA between `hosts` that started last at or before `time`,
    /// else the first one between them.
    pub fn current(&self, hosts: HostPair, time: T) -> Option<SaId> {
        let list = self.by_hosts.get(&hosts)?.as_slice();
        let at = list.partition_point(|&(t, _)| t <= time);
        if at > 0 {
            Some(list[at - 1].1)
        } else {
            list.first().map(|&(_, s)| s)
        }
    }

    /// The IKE SA an ESP packet between `hosts` passing at `time` belongs
    /// to: the one in force then ([`SaIndex::current`]). Called as packets
    /// pass, this is the IKE SA that started last before the packet, so a
    /// Child SA's packets move to the new IKE SA when the old one is rekeyed
    /// (RFC 7296 §2.18: the Child SAs move with it). `qcd diagnose` and
    /// `qcd decode --summary` both assign ESP by this one rule; ESP that
    /// passed before any IKE SA between its hosts goes to the first one
    /// (ask again with the packet's time once an IKE SA exists).
    pub fn esp_owner(&self, hosts: HostPair, time: T) -> Option<SaId> {
        self.current(hosts, time)
    }

    /// Forgets IKE SA `sa` (its SPIs, and its start between `hosts` at
    /// `start`): messages with its SPIs then start a new IKE SA, and it is
    /// no longer any host pair's current SA. Its id is not reused. For a
    /// diagnosis that follows a stream and has long released the SA.
    pub fn forget(&mut self, sa: SaId, spis: SpiPair, hosts: HostPair, start: T) {
        if self.by_pair.get(&spis) == Some(&sa) {
            self.by_pair.remove(&spis);
        }
        if self.by_initiator.get(&spis.initiator) == Some(&sa) {
            self.by_initiator.remove(&spis.initiator);
        }
        if self.pending.get(&spis.initiator) == Some(&sa) {
            self.pending.remove(&spis.initiator);
        }
        let Some(starts) = self.by_hosts.get_mut(&hosts) else {
            return;
        };
        let empty = match starts {
            Starts::One([(_, s)]) => *s == sa,
            Starts::Many(v) => {
                let at = v.partition_point(|&(t, _)| t < start);
                let pos = v[at..]
                    .iter()
                    .take_while(|&&(t, _)| t == start)
                    .position(|&(_, s)| s == sa)
                    .map(|p| p + at)
                    .or_else(|| v.iter().position(|&(_, s)| s == sa));
                if let Some(p) = pos {
                    v.remove(p);
                }
                v.is_empty()
            }
        };
        if empty {
            self.by_hosts.remove(&hosts);
        }
    }

    /// The IKE SAs between `hosts` that started after `time`, in order.
    pub fn started_after(&self, hosts: HostPair, time: T) -> impl Iterator<Item = SaId> + '_ {
        let list = self
            .by_hosts
            .get(&hosts)
            .map(Starts::as_slice)
            .unwrap_or(&[]);
        let at = list.partition_point(|&(t, _)| t <= time);
        list[at..].iter().map(|&(_, s)| s)
    }

    /// Moves the start of `sa` (between `hosts`, started at `old`) to `new`:
    /// an IKE SA created by a rekey is in force from the rekey response on.
    pub fn restart(&mut self, sa: SaId, hosts: HostPair, old: T, new: T) {
        let Some(starts) = self.by_hosts.get_mut(&hosts) else {
            return;
        };
        match starts {
            Starts::One([(t, s)]) if *s == sa && *t == old => *t = new,
            Starts::One(_) => {}
            Starts::Many(_) => {
                if starts.remove(sa, old) {
                    starts.insert(new, sa);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000 + s)
    }

    fn spis(i: u64, r: u64) -> SpiPair {
        SpiPair::new(Spi(i.to_be_bytes()), Spi(r.to_be_bytes()))
    }

    fn hosts() -> HostPair {
        HostPair::new("192.0.2.2".parse().unwrap(), "192.0.2.1".parse().unwrap())
    }

    #[test]
    fn host_pairs_ignore_direction() {
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(HostPair::new(a, b), HostPair::new(b, a));
        assert_eq!(HostPair::new(b, a).hosts(), (a, b));
    }

    #[test]
    fn ike_sa_init_round_trips_and_late_retransmissions_join_one_sa() {
        let mut ix: SaIndex = SaIndex::new();
        let h = hosts();
        assert_eq!(ix.place(spis(1, 0), h, at(0)), Placed::New { sa: 0 });
        // COOKIE round trip: SPI-R still zero.
        assert_eq!(
            ix.place(spis(1, 0), h, at(0)),
            Placed::Known {
                sa: 0,
                completed: false
            }
        );
        assert_eq!(
            ix.place(spis(1, 2), h, at(1)),
            Placed::Known {
                sa: 0,
                completed: true
            }
        );
        assert_eq!(ix.place(spis(1, 0), h, at(2)).sa(), 0);
        assert_eq!(ix.place(spis(1, 2), h, at(3)).sa(), 0);
        assert_eq!(ix.find(spis(1, 2)), Some(0));
        assert_eq!(ix.place(spis(3, 4), h, at(4)), Placed::New { sa: 1 });
        assert_eq!(ix.len(), 2);
    }

    #[test]
    fn current_is_the_latest_started_else_the_first() {
        let mut ix: SaIndex = SaIndex::new();
        let h = hosts();
        ix.place(spis(1, 2), h, at(10));
        ix.place(spis(3, 4), h, at(20));
        assert_eq!(ix.current(h, at(5)), Some(0));
        assert_eq!(ix.current(h, at(15)), Some(0));
        assert_eq!(ix.current(h, at(20)), Some(1));
        assert_eq!(ix.started_after(h, at(10)).collect::<Vec<_>>(), vec![1]);
        let other = HostPair::new("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert_eq!(ix.current(other, at(15)), None);
        ix.restart(1, h, at(20), at(12));
        assert_eq!(ix.current(h, at(15)), Some(1));
        ix.forget(1, spis(3, 4), h, at(12));
        assert_eq!(ix.current(h, at(15)), Some(0));
        assert_eq!(ix.find(spis(3, 4)), None);
        ix.forget(0, spis(1, 2), h, at(10));
        assert_eq!(ix.current(h, at(15)), None);
        assert_eq!(ix.place(spis(1, 2), h, at(30)), Placed::New { sa: 2 });
    }

    #[test]
    fn many_sas_between_two_hosts_stay_ordered() {
        let mut ix: SaIndex<u64> = SaIndex::new();
        let h = hosts();
        for i in 0..10_000u64 {
            ix.place(spis(i + 1, i + 1), h, i);
        }
        assert_eq!(ix.current(h, 5_000), Some(5_000));
        assert_eq!(ix.started_after(h, 9_997).count(), 2);
    }
}
