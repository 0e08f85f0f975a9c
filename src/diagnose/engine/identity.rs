//! The peers' identities (IDi, IDr) of IKE SAs whose IKE_AUTH was decrypted:
//! what links a taker's new IKE SA to its old one when the taker reconnects
//! from another address (a multi-homed host, MOBIKE), where the host pair
//! alone cannot.

use super::*;

/// An identity payload body (ID type, reserved bytes, data).
type Id = Box<[u8]>;

/// Identities per IKE SA, and the IKE SAs per identity pair; only for SAs
/// whose IKE_AUTH was decrypted (`--keys`), so nothing without keys.
#[derive(Default)]
pub(super) struct Identities {
    by_sa: Map<SaId, [Option<Id>; 2]>,
    /// (IDi, IDr) → the IKE SAs that used them, in order of appearance.
    by_pair: Map<(Id, Id), Vec<SaId>>,
}

impl Identities {
    /// Notes the identities a decrypted IKE_AUTH of `sa` shows.
    pub(super) fn note(&mut self, sa: SaId, m: &IkeSummary) {
        let ids = m.identities();
        if ids == [None, None] {
            return;
        }
        let known = self.by_sa.entry(sa).or_default();
        let before = known[0].is_some() && known[1].is_some();
        for (slot, id) in known.iter_mut().zip(ids) {
            if slot.is_none() {
                *slot = id.map(Box::from);
            }
        }
        if let ([Some(i), Some(r)], false) = (&*known, before) {
            self.by_pair
                .entry((i.clone(), r.clone()))
                .or_default()
                .push(sa);
        }
    }

    /// Both identities of `sa`, when its IKE_AUTH showed them.
    pub(super) fn of(&self, sa: SaId) -> Option<(&[u8], &[u8])> {
        match self.by_sa.get(&sa)? {
            [Some(i), Some(r)] => Some((i, r)),
            _ => None,
        }
    }

    /// The IKE SAs with the same two identities as `sa`, either way round
    /// (whichever peer initiated), in order of appearance; `sa` excluded.
    pub(super) fn same_peers(&self, sa: SaId) -> Vec<SaId> {
        let Some((i, r)) = self.of(sa) else {
            return Vec::new();
        };
        let mut found: Vec<SaId> = [(i, r), (r, i)]
            .iter()
            .filter_map(|&(x, y)| self.by_pair.get(&(Box::from(x), Box::from(y))))
            .flatten()
            .copied()
            .filter(|&s| s != sa)
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Whether `a` and `b` are known to be between other peers: both showed
    /// their identities and they differ.
    pub(super) fn differ(&self, a: SaId, b: SaId) -> bool {
        match (self.of(a), self.of(b)) {
            (Some(x), Some(y)) => x != y && x != (y.1, y.0),
            _ => false,
        }
    }
}
