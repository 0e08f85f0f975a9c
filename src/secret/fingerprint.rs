//! Non-secret identifiers and quality checks for QCD secrets.
//!
//! A fingerprint is the first 8 bytes of HMAC-SHA-256(key = secret,
//! "qcd fingerprint v1"), in hex. The same secret has the same fingerprint on
//! every machine, so audits can compare secrets without seeing them. Testing a
//! guess against a fingerprint costs one HMAC, exactly what testing it against
//! a token costs, so a fingerprint reveals nothing a token does not.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Domain-separation label of fingerprint version 1.
pub const FINGERPRINT_LABEL: &[u8] = b"qcd fingerprint v1";

/// Hex fingerprint (16 lowercase hex digits) of `secret`.
pub fn fingerprint(secret: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(FINGERPRINT_LABEL);
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// A visible weakness in a secret's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Weakness {
    /// Every byte has the same value (e.g. all zeros).
    RepeatedByte,
    /// The secret repeats a pattern of at most 16 bytes.
    RepeatingPattern,
}

impl Weakness {
    pub fn describe(self) -> &'static str {
        match self {
            Weakness::RepeatedByte => "every byte has the same value",
            Weakness::RepeatingPattern => "the bytes repeat a short pattern",
        }
    }
}

/// Detects secrets that are visibly not random: one repeated byte value, or
/// a pattern of at most 16 bytes repeated over the whole secret.
pub fn weakness(secret: &[u8]) -> Option<Weakness> {
    if secret.is_empty() {
        return None;
    }
    if secret.iter().all(|&b| b == secret[0]) {
        return Some(Weakness::RepeatedByte);
    }
    let max_period = 16.min(secret.len() / 2);
    (2..=max_period)
        .any(|p| secret.iter().enumerate().all(|(i, &b)| b == secret[i % p]))
        .then_some(Weakness::RepeatingPattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_known_answer() {
        // python3 -c 'import hmac,hashlib;print(hmac.new(bytes(range(32)),b"qcd fingerprint v1",hashlib.sha256).hexdigest()[:16])'
        let secret: Vec<u8> = (0u8..32).collect();
        assert_eq!(fingerprint(&secret), "48d3e9e533be45c9");
    }

    #[test]
    fn weak_secrets_are_seen() {
        assert_eq!(weakness(&[0u8; 32]), Some(Weakness::RepeatedByte));
        assert_eq!(weakness(&[0xab; 16]), Some(Weakness::RepeatedByte));
        assert_eq!(
            weakness(&b"abcdabcdabcdabcdabcdabcdabcdabcd"[..]),
            Some(Weakness::RepeatingPattern)
        );
        assert_eq!(
            weakness(&b"passwordpasswordpasswordpassword"[..]),
            Some(Weakness::RepeatingPattern)
        );
        let random: Vec<u8> = (0u8..32).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        assert_eq!(weakness(&random), None);
        // A 17-byte period is not "short".
        let mut long: Vec<u8> = (0u8..17).collect();
        long.extend(0u8..17);
        assert_eq!(weakness(&long), None);
    }
}
