//! Token derivation: secret + (SPI-I ‖ SPI-R [‖ taker address]) → token bytes,
//! under one of the [`Profile`]s. A [`Deriver`] keys the hash once (the HMAC
//! ipad/opad states, or the SHA-256 state after the secret) and clones that
//! state per token, which is what makes batch derivation fast.
//!
//! Not here: where secrets come from (keyrings, files) and how tokens are
//! printed; this module only computes bytes.

use std::net::IpAddr;

use hmac::digest::generic_array::GenericArray;
use hmac::digest::FixedOutput;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::profile::{Profile, ProfileError, TokenSpec};
use crate::secret::SecretBytes;
use crate::spi::SpiPair;

/// The largest digest any profile produces (HMAC-SHA-512).
pub const MAX_DIGEST_LEN: usize = 64;

/// Why a token could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Spec(#[from] ProfileError),
    #[error("the secret is empty: a QCD secret needs at least 16 bytes")]
    EmptySecret,
    #[error("these tokens include the token taker's IP address after the SPIs: give the taker's address (--taker-addr, or a third column in batch lines)")]
    TakerAddrRequired,
}

/// What a token is computed from, besides the secret: the IKE SA's SPIs and,
/// when the token maker binds tokens to it, the token taker's IP address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenInput {
    pub spis: SpiPair,
    pub taker: Option<IpAddr>,
}

impl TokenInput {
    pub fn new(spis: SpiPair, taker: Option<IpAddr>) -> Self {
        TokenInput { spis, taker }
    }
}

/// The hashed block M = SPI-I ‖ SPI-R [‖ taker address (4 or 16 bytes, network order)].
#[derive(Clone, Copy)]
pub struct Block {
    bytes: [u8; 32],
    len: usize,
}

impl Block {
    pub fn new(spis: &SpiPair, taker: Option<&IpAddr>) -> Block {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&spis.initiator.0);
        bytes[8..16].copy_from_slice(&spis.responder.0);
        let len = match taker {
            None => 16,
            Some(IpAddr::V4(a)) => {
                bytes[16..20].copy_from_slice(&a.octets());
                20
            }
            Some(IpAddr::V6(a)) => {
                bytes[16..32].copy_from_slice(&a.octets());
                32
            }
        };
        Block { bytes, len }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The hash keyed with the secret, ready to be cloned per token.
#[derive(Clone)]
enum Keyed {
    HmacSha256(Hmac<Sha256>),
    HmacSha512(Hmac<Sha512>),
    HmacSha1(Hmac<Sha1>),
    /// SHA-256 state after absorbing the secret.
    Sha256Concat(Sha256),
}

/// A secret and a [`TokenSpec`], prepared for computing many tokens.
///
/// The prepared hash state is derived from the secret; it is not wiped on
/// drop (the hash crates do not support that), so keep `Deriver`s short-lived.
#[derive(Clone)]
pub struct Deriver {
    keyed: Keyed,
    spec: TokenSpec,
}

impl std::fmt::Debug for Deriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deriver")
            .field("spec", &self.spec)
            .field("keyed", &"[REDACTED]")
            .finish()
    }
}

impl Deriver {
    /// Keys `spec.profile` with `secret`; checks the spec's length.
    pub fn new(secret: &[u8], spec: TokenSpec) -> Result<Deriver, TokenError> {
        spec.validate()?;
        if secret.is_empty() {
            return Err(TokenError::EmptySecret);
        }
        let keyed = Self::key(secret, spec.profile);
        Ok(Deriver { keyed, spec })
    }

    fn key(secret: &[u8], profile: Profile) -> Keyed {
        // HMAC accepts keys of any length, so new_from_slice cannot fail.
        match profile {
            Profile::HmacSha256 => Keyed::HmacSha256(
                Hmac::new_from_slice(secret).expect("HMAC takes keys of any length"),
            ),
            Profile::HmacSha512 => Keyed::HmacSha512(
                Hmac::new_from_slice(secret).expect("HMAC takes keys of any length"),
            ),
            Profile::HmacSha1 => Keyed::HmacSha1(
                Hmac::new_from_slice(secret).expect("HMAC takes keys of any length"),
            ),
            Profile::Sha256Concat => {
                let mut h = Sha256::new();
                h.update(secret);
                Keyed::Sha256Concat(h)
            }
        }
    }

    pub fn spec(&self) -> &TokenSpec {
        &self.spec
    }

    /// The full digest over `block` into `out`; returns the digest length.
    /// No policy: the caller decides what goes into the block.
    pub fn digest_into(&self, block: &Block, out: &mut [u8; MAX_DIGEST_LEN]) -> usize {
        let m = block.as_bytes();
        // finalize_into writes straight into `out`, saving a copy per token.
        match &self.keyed {
            Keyed::HmacSha256(k) => {
                let mut h = k.clone();
                Mac::update(&mut h, m);
                h.finalize_into(GenericArray::from_mut_slice(&mut out[..32]));
                32
            }
            Keyed::HmacSha512(k) => {
                let mut h = k.clone();
                Mac::update(&mut h, m);
                h.finalize_into(GenericArray::from_mut_slice(&mut out[..64]));
                64
            }
            Keyed::HmacSha1(k) => {
                let mut h = k.clone();
                Mac::update(&mut h, m);
                h.finalize_into(GenericArray::from_mut_slice(&mut out[..20]));
                20
            }
            Keyed::Sha256Concat(k) => {
                let mut h = k.clone();
                Digest::update(&mut h, m);
                Digest::finalize_into(h, GenericArray::from_mut_slice(&mut out[..32]));
                32
            }
        }
    }

    /// The block this spec hashes for `input`: the taker address is appended
    /// when one is given, and must be given when the spec says tokens include it.
    pub fn block_for(&self, input: &TokenInput) -> Result<Block, TokenError> {
        if self.spec.taker_addr && input.taker.is_none() {
            return Err(TokenError::TakerAddrRequired);
        }
        Ok(Block::new(&input.spis, input.taker.as_ref()))
    }

    /// The token for `input`, written into `out`; returns the token (a prefix of `out`).
    pub fn derive_into<'a>(
        &self,
        input: &TokenInput,
        out: &'a mut [u8; MAX_DIGEST_LEN],
    ) -> Result<&'a [u8], TokenError> {
        let block = self.block_for(input)?;
        self.digest_into(&block, out);
        Ok(&out[..self.spec.length])
    }

    /// The token for `input`, in a zeroizing buffer.
    pub fn derive(&self, input: &TokenInput) -> Result<SecretBytes, TokenError> {
        let mut buf = zeroize::Zeroizing::new([0u8; MAX_DIGEST_LEN]);
        let token = self.derive_into(input, &mut buf)?;
        Ok(SecretBytes::from_slice(token))
    }
}

/// One-shot derivation: the token for `input` under `spec` with `secret`.
pub fn derive(
    secret: &[u8],
    spec: TokenSpec,
    input: &TokenInput,
) -> Result<SecretBytes, TokenError> {
    Deriver::new(secret, spec)?.derive(input)
}

/// Lowercase hex of `bytes` into `out` (which must be twice as long); no allocation.
pub fn hex_into(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (b, o) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        o[0] = DIGITS[(b >> 4) as usize];
        o[1] = DIGITS[(b & 0x0f) as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spi::Spi;

    fn spis() -> SpiPair {
        SpiPair::new(
            Spi::parse("0123456789abcdef").unwrap(),
            Spi::parse("fedcba9876543210").unwrap(),
        )
    }

    #[test]
    fn block_layout() {
        let b = Block::new(&spis(), None);
        assert_eq!(
            hex::encode(b.as_bytes()),
            "0123456789abcdeffedcba9876543210"
        );
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let b = Block::new(&spis(), Some(&v4));
        assert_eq!(&b.as_bytes()[16..], &[192, 0, 2, 1]);
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let b = Block::new(&spis(), Some(&v6));
        assert_eq!(b.as_bytes().len(), 32);
        assert_eq!(b.as_bytes()[16], 0x20);
        assert_eq!(b.as_bytes()[31], 0x01);
    }

    #[test]
    fn taker_address_required_when_spec_says_so() {
        let spec = TokenSpec {
            taker_addr: true,
            ..TokenSpec::default()
        };
        let d = Deriver::new(&[7; 32], spec).unwrap();
        assert_eq!(
            d.derive(&TokenInput::new(spis(), None)).unwrap_err(),
            TokenError::TakerAddrRequired
        );
        let with = d
            .derive(&TokenInput::new(spis(), Some("192.0.2.1".parse().unwrap())))
            .unwrap();
        assert_eq!(with.len(), 32);
    }

    #[test]
    fn bad_length_and_empty_secret_are_refused() {
        let spec = TokenSpec {
            profile: Profile::HmacSha1,
            length: 32,
            taker_addr: false,
        };
        let e = Deriver::new(&[1; 32], spec).unwrap_err().to_string();
        assert!(e.contains("16 to 20"), "{e}");
        assert_eq!(
            Deriver::new(&[], TokenSpec::default()).unwrap_err(),
            TokenError::EmptySecret
        );
    }

    #[test]
    fn prefix_property_and_hex() {
        let long = derive(
            &[9; 32],
            TokenSpec::default(),
            &TokenInput::new(spis(), None),
        )
        .unwrap();
        let short = derive(
            &[9; 32],
            TokenSpec::with_length(Profile::HmacSha256, 16).unwrap(),
            &TokenInput::new(spis(), None),
        )
        .unwrap();
        assert_eq!(&long.expose()[..16], short.expose());
        let mut h = [0u8; 64];
        hex_into(long.expose(), &mut h);
        assert_eq!(&h[..], hex::encode(long.expose()).as_bytes());
    }
}
