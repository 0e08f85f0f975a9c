//! Diffie-Hellman for IKE_SA_INIT (RFC 7296 §2.1, §3.4): MODP-2048 (group
//! 14, RFC 3526 §3) through `crypto-bigint`'s constant-time modular
//! exponentiation, and Curve25519 (group 31, RFC 8031) through `x25519-dalek`.
//!
//! A [`KeyShare`] is one side's private value; its public value goes in the
//! KE payload, and [`KeyShare::shared_secret`] turns the peer's KE data into
//! g^ir (the input of SKEYSEED). Private values zeroize on drop and never
//! appear in `Debug`.

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Encoding, U2048};
use zeroize::{Zeroize, Zeroizing};

use super::InitError;
use crate::secretmem::SecretBytes;
use crate::wire::DhGroup;

/// The MODP-2048 prime (RFC 3526 §3), the same as OpenSSL's built-in
/// `modp_2048` group (`openssl genpkey -genparam -algorithm DH -pkeyopt
/// group:modp_2048`); its generator is 2.
const MODP_2048_PRIME: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
);

/// Length of a MODP-2048 private exponent qcd draws: 256 bits, twice the
/// group's estimated 112-bit strength (RFC 3526 §8 asks for at least twice).
const MODP_2048_EXPONENT_LEN: usize = 32;

/// The groups qcd can compute, in the order it prefers them.
pub const SUPPORTED_GROUPS: [DhGroup; 2] = [DhGroup::CURVE_25519, DhGroup::MODP_2048];

/// Whether qcd can compute `group`.
pub fn supported(group: DhGroup) -> bool {
    SUPPORTED_GROUPS.contains(&group)
}

/// One side's Diffie-Hellman private value and its group.
pub struct KeyShare {
    group: DhGroup,
    private: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyShare")
            .field("group", &self.group)
            .field("private", &"[redacted]")
            .finish()
    }
}

impl KeyShare {
    /// A fresh random private value for `group`.
    pub fn generate(group: DhGroup) -> Result<KeyShare, InitError> {
        let len = match group {
            DhGroup::MODP_2048 => MODP_2048_EXPONENT_LEN,
            DhGroup::CURVE_25519 => 32,
            g => return Err(InitError::UnsupportedGroup { group: g }),
        };
        let mut private = Zeroizing::new(vec![0u8; len]);
        getrandom::getrandom(&mut private).map_err(|e| InitError::Random {
            what: "the Diffie-Hellman private value",
            cause: e.to_string(),
        })?;
        Ok(KeyShare { group, private })
    }

    /// A key share with a given private value (big-endian exponent for
    /// MODP, the 32-byte scalar for Curve25519): for known-answer tests.
    pub fn from_private(group: DhGroup, private: &[u8]) -> Result<KeyShare, InitError> {
        match group {
            DhGroup::MODP_2048 if !private.is_empty() && private.len() <= 256 => {}
            DhGroup::CURVE_25519 if private.len() == 32 => {}
            DhGroup::MODP_2048 | DhGroup::CURVE_25519 => {
                return Err(InitError::BadPublicValue {
                    group,
                    reason: format!("a private value of {} bytes", private.len()),
                })
            }
            g => return Err(InitError::UnsupportedGroup { group: g }),
        }
        Ok(KeyShare {
            group,
            private: Zeroizing::new(private.to_vec()),
        })
    }

    pub fn group(&self) -> DhGroup {
        self.group
    }

    /// The public value, as the KE payload carries it: g^x mod p, 256 bytes
    /// big-endian (RFC 7296 §3.4 pads it to the prime's length), or the
    /// 32-byte X25519 public key (RFC 8031 §3).
    pub fn public_value(&self) -> Vec<u8> {
        match self.group {
            DhGroup::MODP_2048 => {
                let x = Zeroizing::new(exponent(&self.private));
                modp_pow(&U2048::from_u8(2), &x).to_be_bytes().to_vec()
            }
            _ => {
                let secret = x25519_secret(&self.private);
                x25519_dalek::PublicKey::from(&secret).as_bytes().to_vec()
            }
        }
    }

    /// g^ir from the peer's KE data. Refuses public values of the wrong
    /// length, MODP values outside 1 < y < p-1 (RFC 7296 §2.12 and NIST
    /// SP 800-56A: 0, 1 and p-1 give a guessable secret) and an all-zero
    /// X25519 result (RFC 8031 §2.1, a low-order point).
    pub fn shared_secret(&self, peer: &[u8]) -> Result<SecretBytes, InitError> {
        let expected = self.group.public_value_len().unwrap_or(0);
        if peer.len() != expected {
            return Err(InitError::BadPublicValue {
                group: self.group,
                reason: format!(
                    "the peer's KE data is {} bytes, {} has {expected}",
                    peer.len(),
                    self.group
                ),
            });
        }
        match self.group {
            DhGroup::MODP_2048 => {
                let p = U2048::from_be_hex(MODP_2048_PRIME);
                let y = U2048::from_be_slice(peer);
                let p_minus_1 = p.wrapping_sub(&U2048::ONE);
                if y <= U2048::ONE || y >= p_minus_1 {
                    return Err(InitError::BadPublicValue {
                        group: self.group,
                        reason: "the peer's public value is 0, 1, p-1 or not below p".into(),
                    });
                }
                let x = Zeroizing::new(exponent(&self.private));
                let mut z = modp_pow(&y, &x);
                let bytes = SecretBytes::from_slice(&z.to_be_bytes());
                z.zeroize();
                Ok(bytes)
            }
            _ => {
                let secret = x25519_secret(&self.private);
                let mut point = [0u8; 32];
                point.copy_from_slice(peer);
                let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(point));
                if !shared.was_contributory() {
                    return Err(InitError::BadPublicValue {
                        group: self.group,
                        reason:
                            "the peer's public value is a low-order point (all-zero shared secret)"
                                .into(),
                    });
                }
                Ok(SecretBytes::from_slice(shared.as_bytes()))
            }
        }
    }
}

fn exponent(private: &[u8]) -> U2048 {
    let mut padded = Zeroizing::new([0u8; 256]);
    padded[256 - private.len()..].copy_from_slice(private);
    U2048::from_be_slice(&padded[..])
}

fn modp_pow(base: &U2048, exponent: &U2048) -> U2048 {
    let params = DynResidueParams::new(&U2048::from_be_hex(MODP_2048_PRIME));
    DynResidue::new(base, params).pow(exponent).retrieve()
}

fn x25519_secret(private: &[u8]) -> x25519_dalek::StaticSecret {
    let mut scalar = Zeroizing::new([0u8; 32]);
    scalar.copy_from_slice(private);
    x25519_dalek::StaticSecret::from(*scalar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree() {
        for group in SUPPORTED_GROUPS {
            let a = KeyShare::generate(group).unwrap();
            let b = KeyShare::generate(group).unwrap();
            assert_eq!(a.public_value().len(), group.public_value_len().unwrap());
            let ab = a.shared_secret(&b.public_value()).unwrap();
            let ba = b.shared_secret(&a.public_value()).unwrap();
            assert_eq!(ab.expose(), ba.expose(), "{group}");
        }
    }

    #[test]
    fn rfc7748_x25519_vector() {
        // RFC 7748 §6.1: Alice's and Bob's keys and their shared secret.
        let alice = KeyShare::from_private(
            DhGroup::CURVE_25519,
            &hex::decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            hex::encode(alice.public_value()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
        let bob_public =
            hex::decode("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
                .unwrap();
        assert_eq!(
            hex::encode(alice.shared_secret(&bob_public).unwrap().expose()),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        );
    }

    #[test]
    fn refuses_degenerate_public_values() {
        let a = KeyShare::generate(DhGroup::MODP_2048).unwrap();
        let mut one = vec![0u8; 256];
        one[255] = 1;
        assert!(a.shared_secret(&one).is_err());
        assert!(a.shared_secret(&[0u8; 256]).is_err());
        assert!(a.shared_secret(&[0xff; 256]).is_err());
        assert!(a.shared_secret(&[2u8; 255]).is_err());
        let c = KeyShare::generate(DhGroup::CURVE_25519).unwrap();
        assert!(c.shared_secret(&[0u8; 32]).is_err());
        assert!(KeyShare::generate(DhGroup::ECP_256).is_err());
    }
}
