//! Per-member secrets for load-sharing clusters, derived from one root secret
//! with HKDF-SHA-256 (RFC 5869), so members never share a secret yet the
//! operator can re-derive any member's secret from the root.
//!
//! Layout (fixed; changing it changes every derived secret):
//! - IKM: the root keyring's active secret
//! - salt: the 20 ASCII bytes `qcd member secret v1`
//! - info: `qcd member v1` ‖ 0x00 ‖ root generation id (u32, big endian) ‖ 0x00 ‖ member name (UTF-8)
//! - L: the root secret's length (16..=1024 bytes, within HKDF-SHA-256's 8160-byte limit)

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secretmem::SecretBytes;

pub const DERIVE_SALT: &[u8] = b"qcd member secret v1";
pub const DERIVE_INFO_LABEL: &[u8] = b"qcd member v1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeriveError {
    #[error("member name {0:?} is not usable: use 1 to 255 printable characters without spaces (e.g. gw1, dc1-edge-2)")]
    MemberName(String),
}

/// Checks a member name: 1..=255 printable, non-space characters.
pub fn check_member_name(name: &str) -> Result<(), DeriveError> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name.chars().all(|c| !c.is_whitespace() && !c.is_control());
    if ok {
        Ok(())
    } else {
        Err(DeriveError::MemberName(name.to_string()))
    }
}

/// The HKDF info block for `member` under root generation `root_generation`.
pub fn member_info(root_generation: u32, member: &str) -> Vec<u8> {
    let mut info = Vec::with_capacity(DERIVE_INFO_LABEL.len() + 6 + member.len());
    info.extend_from_slice(DERIVE_INFO_LABEL);
    info.push(0);
    info.extend_from_slice(&root_generation.to_be_bytes());
    info.push(0);
    info.extend_from_slice(member.as_bytes());
    info
}

/// Derives `member`'s secret from the root secret of generation `root_generation`.
pub fn derive_member_secret(
    root: &SecretBytes,
    root_generation: u32,
    member: &str,
) -> Result<SecretBytes, DeriveError> {
    check_member_name(member)?;
    let hk = Hkdf::<Sha256>::new(Some(DERIVE_SALT), root.expose());
    let mut okm = Zeroizing::new(vec![0u8; root.len()]);
    hk.expand(&member_info(root_generation, member), &mut okm)
        .expect("root secrets are at most 1024 bytes, far below HKDF-SHA-256's limit");
    Ok(SecretBytes::new(std::mem::take(&mut *okm)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer_from_python() {
        // tests/data/derive_vectors.py computes these with Python's hmac module.
        let root = SecretBytes::new((0u8..32).collect());
        let got = derive_member_secret(&root, 1, "gw1").unwrap();
        assert_eq!(
            hex::encode(got.expose()),
            include_str!("../../tests/data/derive_gw1_g1.hex").trim()
        );
        let other = derive_member_secret(&root, 1, "gw2").unwrap();
        assert_ne!(got.expose(), other.expose());
        let next_root_gen = derive_member_secret(&root, 2, "gw1").unwrap();
        assert_ne!(got.expose(), next_root_gen.expose());
    }

    #[test]
    fn member_names_are_checked() {
        let root = SecretBytes::new(vec![7; 32]);
        for bad in ["", "gw 1", "gw\n1", &"x".repeat(256)] {
            assert!(derive_member_secret(&root, 1, bad).is_err(), "{bad:?}");
        }
    }
}
