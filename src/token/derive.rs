//! Token derivation: secret + (SPI-I ‖ SPI-R [‖ taker address]) → token bytes,
//! under one of the [`Profile`]s.
//!
//! A [`Deriver`] keys the hash once: for the HMAC profiles it keeps the two
//! compression states after the key's ipad and opad blocks (RFC 2104), for
//! `sha256-concat` the state after the secret's whole blocks and the bytes
//! left over. A token then costs the compression of the padded message block
//! and of the padded inner digest (two SHA-256 blocks for hmac-sha256),
//! copying only those states: no hasher objects, buffers or allocation. The
//! states are wiped when the `Deriver` is dropped.
//!
//! Not here: where secrets come from (keyrings, files) and how tokens are
//! printed; this module only computes bytes.

use std::net::IpAddr;

use sha1::Sha1;
use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroize;

use super::profile::{Profile, ProfileError, TokenSpec};
use crate::secretmem::SecretBytes;
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

/// Initial hash values (FIPS 180-4 section 5.3).
const SHA1_IV: [u32; 5] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
const SHA512_IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

#[inline(always)]
fn compress1(state: &mut [u32; 5], block: &[u8; 64]) {
    sha1::compress(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

#[inline(always)]
fn compress256(state: &mut [u32; 8], block: &[u8; 64]) {
    sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

#[inline(always)]
fn compress512(state: &mut [u64; 8], block: &[u8; 128]) {
    sha2::compress512(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

/// Compresses `head ‖ msg` plus Merkle–Damgård padding for a message of
/// `total` bytes in all (64-byte blocks, 8-byte length: SHA-1 and SHA-256).
/// `head.len() + msg.len()` is at most 64 + 55. The blocks are wiped after
/// use when `head` is given (it is secret: the rest of a concatenated secret).
#[inline(always)]
fn finish64<S>(state: &mut S, head: &[u8], msg: &[u8], total: u64, f: impl Fn(&mut S, &[u8; 64])) {
    let mut blocks = [[0u8; 64]; 2];
    let flat = blocks.as_flattened_mut();
    let n = head.len() + msg.len();
    flat[..head.len()].copy_from_slice(head);
    flat[head.len()..n].copy_from_slice(msg);
    flat[n] = 0x80;
    let count = if n + 9 <= 64 { 1 } else { 2 };
    flat[64 * count - 8..64 * count].copy_from_slice(&(total * 8).to_be_bytes());
    for b in &blocks[..count] {
        f(state, b);
    }
    if !head.is_empty() {
        blocks.as_flattened_mut().zeroize();
    }
}

/// [`finish64`] for 128-byte blocks with a 16-byte length (SHA-512); `msg` at most 111 bytes.
#[inline(always)]
fn finish128(state: &mut [u64; 8], msg: &[u8], total: u64) {
    let mut block = [0u8; 128];
    block[..msg.len()].copy_from_slice(msg);
    block[msg.len()] = 0x80;
    block[120..].copy_from_slice(&(total * 8).to_be_bytes());
    compress512(state, &block);
}

#[inline(always)]
fn words32_be(state: &[u32], out: &mut [u8]) {
    for (w, o) in state.iter().zip(out.chunks_exact_mut(4)) {
        o.copy_from_slice(&w.to_be_bytes());
    }
}

#[inline(always)]
fn words64_be(state: &[u64], out: &mut [u8]) {
    for (w, o) in state.iter().zip(out.chunks_exact_mut(8)) {
        o.copy_from_slice(&w.to_be_bytes());
    }
}

/// The padding of a 64-byte block whose message part is `len` bytes, in a
/// hash of `64 + len` bytes (HMAC's inner or outer hash after the pad block).
const fn padded64(len: usize) -> [u8; 64] {
    let mut b = [0u8; 64];
    b[len] = 0x80;
    let bits = ((64 + len) * 8) as u64;
    let be = bits.to_be_bytes();
    let mut i = 0;
    while i < 8 {
        b[56 + i] = be[i];
        i += 1;
    }
    b
}

/// HMAC-SHA-256's inner block for SPI-I ‖ SPI-R, before the SPIs are copied in.
const SPIS_BLOCK: [u8; 64] = padded64(16);
/// HMAC-SHA-256's outer block, before the inner digest is copied in.
const OUTER256_BLOCK: [u8; 64] = padded64(32);

/// The key block of HMAC (RFC 2104): the key, or its hash when longer than
/// a block, padded with zeros to the block size.
fn key_block<const B: usize>(secret: &[u8], hash: impl Fn(&[u8]) -> Vec<u8>) -> [u8; B] {
    let mut k = [0u8; B];
    if secret.len() > B {
        let mut d = hash(secret);
        k[..d.len()].copy_from_slice(&d);
        d.zeroize();
    } else {
        k[..secret.len()].copy_from_slice(secret);
    }
    k
}

/// The compression states after `key ^ ipad` and `key ^ opad`, from `iv`.
fn pads<S: Copy, const B: usize>(
    mut k: [u8; B],
    iv: S,
    compress: impl Fn(&mut S, &[u8; B]),
) -> (S, S) {
    let (mut inner, mut outer) = (iv, iv);
    k.iter_mut().for_each(|b| *b ^= 0x36);
    compress(&mut inner, &k);
    k.iter_mut().for_each(|b| *b ^= 0x36 ^ 0x5c);
    compress(&mut outer, &k);
    k.zeroize();
    (inner, outer)
}

/// The hash keyed with the secret: compression states to copy per token.
#[derive(Clone)]
enum Keyed {
    HmacSha256 {
        inner: [u32; 8],
        outer: [u32; 8],
    },
    HmacSha512 {
        inner: [u64; 8],
        outer: [u64; 8],
    },
    HmacSha1 {
        inner: [u32; 5],
        outer: [u32; 5],
    },
    /// SHA-256 over the secret's whole blocks, the rest of the secret
    /// (`tail[..tail_len]`) and the secret's length.
    Sha256Concat {
        state: [u32; 8],
        tail: [u8; 64],
        tail_len: usize,
        len: u64,
    },
}

impl Drop for Keyed {
    fn drop(&mut self) {
        match self {
            Keyed::HmacSha256 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
            Keyed::HmacSha512 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
            Keyed::HmacSha1 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
            Keyed::Sha256Concat { state, tail, .. } => {
                state.zeroize();
                tail.zeroize();
            }
        }
    }
}

/// A secret and a [`TokenSpec`], prepared for computing many tokens. The
/// prepared states are wiped on drop.
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
        match profile {
            Profile::HmacSha256 => {
                let k = key_block::<64>(secret, |s| Sha256::digest(s).to_vec());
                let (inner, outer) = pads(k, SHA256_IV, compress256);
                Keyed::HmacSha256 { inner, outer }
            }
            Profile::HmacSha512 => {
                let k = key_block::<128>(secret, |s| Sha512::digest(s).to_vec());
                let (inner, outer) = pads(k, SHA512_IV, compress512);
                Keyed::HmacSha512 { inner, outer }
            }
            Profile::HmacSha1 => {
                let k = key_block::<64>(secret, |s| Sha1::digest(s).to_vec());
                let (inner, outer) = pads(k, SHA1_IV, compress1);
                Keyed::HmacSha1 { inner, outer }
            }
            Profile::Sha256Concat => {
                let mut state = SHA256_IV;
                let whole = secret.len() / 64 * 64;
                for b in secret[..whole].chunks_exact(64) {
                    compress256(&mut state, b.try_into().expect("64-byte chunk"));
                }
                let mut tail = [0u8; 64];
                tail[..secret.len() - whole].copy_from_slice(&secret[whole..]);
                Keyed::Sha256Concat {
                    state,
                    tail,
                    tail_len: secret.len() - whole,
                    len: secret.len() as u64,
                }
            }
        }
    }

    pub fn spec(&self) -> &TokenSpec {
        &self.spec
    }

    /// The full digest over `m` (at most 32 bytes: a [`Block`]) into `out`;
    /// returns the digest length. No policy: the caller decides what goes
    /// into the block.
    ///
    /// The copies of the keyed states are consumed by the compression
    /// itself; the intermediates left on the stack (the inner digest) do not
    /// reveal the key, so they are not wiped per token (which would cost as
    /// much as the hashing: see `benches/token_rate.sh`).
    #[inline]
    pub fn digest_bytes_into(&self, m: &[u8], out: &mut [u8; MAX_DIGEST_LEN]) -> usize {
        debug_assert!(m.len() <= 32);
        match &self.keyed {
            Keyed::HmacSha256 { inner, outer } => {
                // The hot path: one block for H(K ^ ipad ‖ m), one for the
                // outer hash, the inner digest written straight into it.
                let block = match <&[u8; 16]>::try_from(m) {
                    // SPI-I ‖ SPI-R: a fixed-size copy (no call to memmove).
                    Ok(spis) => {
                        let mut b = SPIS_BLOCK;
                        b[..16].copy_from_slice(spis);
                        b
                    }
                    Err(_) => {
                        let mut b = [0u8; 64];
                        b[..m.len()].copy_from_slice(m);
                        b[m.len()] = 0x80;
                        b[56..].copy_from_slice(&((64 + m.len() as u64) * 8).to_be_bytes());
                        b
                    }
                };
                let mut s = *inner;
                compress256(&mut s, &block);
                let mut block = OUTER256_BLOCK;
                words32_be(&s, &mut block[..32]);
                let mut o = *outer;
                compress256(&mut o, &block);
                words32_be(&o, &mut out[..32]);
                32
            }
            Keyed::HmacSha512 { inner, outer } => {
                let mut s = *inner;
                finish128(&mut s, m, 128 + m.len() as u64);
                let mut d = [0u8; 64];
                words64_be(&s, &mut d);
                let mut o = *outer;
                finish128(&mut o, &d, 128 + 64);
                words64_be(&o, &mut out[..64]);
                64
            }
            Keyed::HmacSha1 { inner, outer } => {
                let mut s = *inner;
                finish64(&mut s, &[], m, 64 + m.len() as u64, compress1);
                let mut d = [0u8; 20];
                words32_be(&s, &mut d);
                let mut o = *outer;
                finish64(&mut o, &[], &d, 64 + 20, compress1);
                words32_be(&o, &mut out[..20]);
                20
            }
            Keyed::Sha256Concat {
                state,
                tail,
                tail_len,
                len,
            } => {
                let mut s = *state;
                finish64(
                    &mut s,
                    &tail[..*tail_len],
                    m,
                    len + m.len() as u64,
                    compress256,
                );
                words32_be(&s, &mut out[..32]);
                s.zeroize();
                32
            }
        }
    }

    /// The full digest over `block` into `out`; returns the digest length.
    #[inline]
    pub fn digest_into(&self, block: &Block, out: &mut [u8; MAX_DIGEST_LEN]) -> usize {
        self.digest_bytes_into(block.as_bytes(), out)
    }

    /// The token for SPI-I ‖ SPI-R alone (no taker address) into `out`:
    /// the batch fast path. Refused when the spec requires the address.
    #[inline]
    pub fn derive_spis_into<'a>(
        &self,
        spis: &[u8; 16],
        out: &'a mut [u8; MAX_DIGEST_LEN],
    ) -> Result<&'a [u8], TokenError> {
        if self.spec.taker_addr {
            return Err(TokenError::TakerAddrRequired);
        }
        self.digest_bytes_into(spis, out);
        Ok(&out[..self.spec.length])
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

/// Lowercase hex of 4 bytes as 8 ASCII digits, in one 64-bit word (SWAR).
#[inline(always)]
fn hex4(bytes: [u8; 4]) -> [u8; 8] {
    let mut x = u64::from(u32::from_le_bytes(bytes));
    // Byte k into the low byte of 16-bit lane k.
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    // High nibble first (lower address), low nibble after it.
    let nib = ((x >> 4) & 0x000f_000f_000f_000f) | ((x & 0x000f_000f_000f_000f) << 8);
    // '0' + v, plus 39 more ('a' - '0' - 10) where v > 9.
    let over9 = ((nib + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (nib + 0x3030_3030_3030_3030 + over9 * 39).to_le_bytes()
}

/// Lowercase hex of `bytes` into `out` (which must be twice as long); no
/// allocation, four bytes per step.
#[inline]
pub fn hex_into(bytes: &[u8], out: &mut [u8]) {
    let mut chunks = bytes.chunks_exact(4);
    let mut outs = out.chunks_exact_mut(8);
    for (b, o) in (&mut chunks).zip(&mut outs) {
        o.copy_from_slice(&hex4([b[0], b[1], b[2], b[3]]));
    }
    let rest = chunks.remainder();
    let done = bytes.len() - rest.len();
    for (i, b) in rest.iter().enumerate() {
        let h = hex4([*b, 0, 0, 0]);
        out[2 * (done + i)..2 * (done + i) + 2].copy_from_slice(&h[..2]);
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

    /// The compression-level HMAC and concatenation agree with the hmac and
    /// sha2 crates' own, for keys shorter than, equal to and longer than a
    /// block, and every message length a block can have.
    #[test]
    fn agrees_with_the_hash_crates() {
        use hmac::{Hmac, Mac};
        fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], m: &[u8]) -> Vec<u8> {
            let mut h = <M as hmac::digest::KeyInit>::new_from_slice(key).unwrap();
            h.update(m);
            h.finalize().into_bytes().to_vec()
        }
        let msg: Vec<u8> = (0u8..32).collect();
        for key_len in [1usize, 16, 31, 47, 55, 56, 63, 64, 65, 127, 128, 129, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + 3) as u8).collect();
            for m_len in [16usize, 20, 32] {
                let m = &msg[..m_len];
                let mut out = [0u8; MAX_DIGEST_LEN];
                for (profile, want) in [
                    (Profile::HmacSha256, mac::<Hmac<Sha256>>(&key, m)),
                    (Profile::HmacSha512, mac::<Hmac<Sha512>>(&key, m)),
                    (Profile::HmacSha1, mac::<Hmac<Sha1>>(&key, m)),
                    (Profile::Sha256Concat, {
                        let mut h = Sha256::new();
                        h.update(&key);
                        h.update(m);
                        h.finalize().to_vec()
                    }),
                ] {
                    let d = Deriver::new(&key, TokenSpec::new(profile)).unwrap();
                    let n = d.digest_bytes_into(m, &mut out);
                    assert_eq!(&out[..n], &want[..], "{profile} key {key_len} msg {m_len}");
                }
            }
        }
    }

    #[test]
    fn hex_into_agrees_with_hex() {
        let bytes: Vec<u8> = (0u8..=255).collect();
        for len in [0usize, 1, 3, 4, 5, 16, 20, 32, 64, 255, 256] {
            let mut out = vec![0u8; 2 * len];
            hex_into(&bytes[256 - len..], &mut out);
            assert_eq!(out, hex::encode(&bytes[256 - len..]).into_bytes(), "{len}");
        }
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
