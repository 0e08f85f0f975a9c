//! [`SecretBytes`]: a buffer for secret material that is wiped on drop,
//! kept out of core dumps where the OS allows (see [`super::guard`]), never
//! printed by `Debug`, and compared in constant time.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::guard::Slot;

/// Secret bytes (a QCD secret or a token). Zeroized on drop; `Debug` shows only the length.
#[derive(Default)]
pub struct SecretBytes(Store);

#[derive(Default)]
enum Store {
    #[default]
    Empty,
    /// A guarded slot (`MADV_DONTDUMP`, `mlock`) holding `len` bytes.
    Guarded { slot: Slot, len: usize },
    /// Larger buffers, or when the guarded pool is exhausted.
    Heap(Zeroizing<Vec<u8>>),
}

impl SecretBytes {
    /// Takes `bytes` over: they move to a guarded slot when they fit (and
    /// the heap copy is wiped), or stay on the heap.
    pub fn new(mut bytes: Vec<u8>) -> Self {
        if bytes.is_empty() {
            return SecretBytes(Store::Empty);
        }
        match Slot::new(bytes.len()) {
            Some(mut slot) => {
                let len = bytes.len();
                slot.bytes_mut()[..len].copy_from_slice(&bytes);
                bytes.zeroize();
                SecretBytes(Store::Guarded { slot, len })
            }
            None => SecretBytes(Store::Heap(Zeroizing::new(bytes))),
        }
    }

    /// Copies `bytes`; the caller remains responsible for wiping its own copy.
    pub fn from_slice(bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            return SecretBytes(Store::Empty);
        }
        match Slot::new(bytes.len()) {
            Some(mut slot) => {
                slot.bytes_mut()[..bytes.len()].copy_from_slice(bytes);
                SecretBytes(Store::Guarded {
                    slot,
                    len: bytes.len(),
                })
            }
            None => SecretBytes(Store::Heap(Zeroizing::new(bytes.to_vec()))),
        }
    }

    /// `len` bytes from the operating system's CSPRNG, generated in place.
    pub fn random(len: usize) -> Result<Self, getrandom::Error> {
        if len == 0 {
            return Ok(SecretBytes(Store::Empty));
        }
        match Slot::new(len) {
            Some(mut slot) => {
                getrandom::getrandom(&mut slot.bytes_mut()[..len])?;
                Ok(SecretBytes(Store::Guarded { slot, len }))
            }
            None => {
                let mut v = Zeroizing::new(vec![0u8; len]);
                getrandom::getrandom(&mut v)?;
                Ok(SecretBytes(Store::Heap(v)))
            }
        }
    }

    pub fn expose(&self) -> &[u8] {
        match &self.0 {
            Store::Empty => &[],
            Store::Guarded { slot, len } => &slot.bytes()[..*len],
            Store::Heap(v) => v,
        }
    }

    pub fn len(&self) -> usize {
        self.expose().len()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// Constant-time equality (length is not secret).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        let mine = self.expose();
        mine.len() == other.len() && bool::from(mine.ct_eq(other))
    }
}

impl Clone for SecretBytes {
    fn clone(&self) -> Self {
        SecretBytes::from_slice(self.expose())
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([REDACTED; {}])", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretBytes::new(b"topsecret-value-123".to_vec());
        let d = format!("{s:?}");
        assert_eq!(d, "SecretBytes([REDACTED; 19])");
        assert!(!d.contains("topsecret"));
    }

    #[test]
    fn random_bytes_differ_and_compare() {
        let a = SecretBytes::random(32).unwrap();
        let b = SecretBytes::random(32).unwrap();
        assert_eq!(a.len(), 32);
        assert!(!a.ct_eq(b.expose()));
        assert!(a.ct_eq(a.clone().expose()));
        assert!(!a.ct_eq(&a.expose()[..31]));
    }

    #[test]
    fn every_size_round_trips() {
        for len in [0, 1, 31, 32, 33, 1024, 1025, 70_000] {
            let v: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            let s = SecretBytes::new(v.clone());
            assert_eq!(s.expose(), &v[..], "{len}");
            assert_eq!(s.clone().expose(), &v[..], "{len}");
            assert_eq!(SecretBytes::from_slice(&v).expose(), &v[..]);
            assert_eq!(SecretBytes::random(len).unwrap().len(), len);
        }
    }
}
