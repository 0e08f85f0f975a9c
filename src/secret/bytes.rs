//! [`SecretBytes`]: a heap buffer for secret material that is wiped on drop,
//! never printed by `Debug`, and compared in constant time.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Secret bytes (a QCD secret or a token). Zeroized on drop; `Debug` shows only the length.
#[derive(Clone, Default)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(bytes))
    }

    /// Copies `bytes`; the caller remains responsible for wiping its own copy.
    pub fn from_slice(bytes: &[u8]) -> Self {
        SecretBytes::new(bytes.to_vec())
    }

    /// `len` bytes from the operating system's CSPRNG.
    pub fn random(len: usize) -> Result<Self, getrandom::Error> {
        let mut v = Zeroizing::new(vec![0u8; len]);
        getrandom::getrandom(&mut v)?;
        Ok(SecretBytes(v))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time equality (length is not secret).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        self.0.len() == other.len() && bool::from(self.0.as_slice().ct_eq(other))
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([REDACTED; {}])", self.0.len())
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
}
