//! SK payload protection (RFC 7296 §3.14, RFC 5282, RFC 5930, RFC 7634):
//! checking the ICV, decrypting and stripping padding, and the reverse for
//! building fixtures.
//!
//! Works on byte offsets the caller supplies (the wire module knows where the
//! SK payload starts); nothing here parses IKE payloads. Every primitive is a
//! RustCrypto crate: `aes`/`des` block ciphers in `cbc` and `ctr` modes,
//! `aes-gcm`, `ccm`, `chacha20poly1305`, and `hmac` over `md-5`, `sha1`, `sha2`.
//!
//! AEAD associated data (RFC 5282 §5.1, also for ChaCha20-Poly1305 by RFC
//! 7634 §4): everything before the IV, i.e. the IKE header, any payloads
//! before SK and the SK payload's generic header. AEAD nonces: salt (the last
//! 3 or 4 octets of SK_e) ‖ the 8-octet IV; AES-CTR's counter block: nonce
//! (the last 4 octets of SK_e) ‖ IV ‖ a 32-bit counter starting at 1 (RFC
//! 5930 §2, RFC 3686 §4).

use aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::consts::{U11, U12, U16, U8};
use aes_gcm::aead::{AeadCore, AeadInPlace};
use aes_gcm::AesGcm;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{
    BlockCipher, BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit, StreamCipher,
};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::alg::{EncrAlg, IntegAlg};
use super::CryptoError;
use crate::secretmem::SecretBytes;
use crate::spi::SpiPair;

/// The keys and algorithms of one IKE SA, as one line of a key table holds them.
#[derive(Clone, Debug)]
pub struct SaKeys {
    pub spis: SpiPair,
    pub encr: EncrAlg,
    pub integ: IntegAlg,
    sk_ei: SecretBytes,
    sk_er: SecretBytes,
    sk_ai: SecretBytes,
    sk_ar: SecretBytes,
}

/// What the ICV of a decrypted SK payload says about its plaintext.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrity {
    /// The ICV (HMAC or AEAD tag) matched: the plaintext is authentic.
    Verified,
    /// The key table's integrity algorithm is "ANY n-bits of Authentication
    /// [No Checking]": the ICV was skipped, not checked.
    NotChecked,
    /// The key table says NONE with a non-AEAD cipher: the message carries
    /// no ICV, nothing was checked.
    NoIcv,
    /// The ICV did NOT match; the plaintext is shown only because the caller
    /// asked to ignore the ICV (`--ignore-icv`). It is unauthenticated.
    Failed,
}

impl Integrity {
    /// Whether the plaintext is authenticated.
    pub fn is_verified(&self) -> bool {
        *self == Integrity::Verified
    }

    /// A short human description.
    pub fn describe(&self) -> &'static str {
        match self {
            Integrity::Verified => "ICV verified",
            Integrity::NotChecked => {
                "ICV NOT CHECKED (the key table says \"[No Checking]\"): unauthenticated"
            }
            Integrity::NoIcv => {
                "no ICV (integrity NONE with a non-AEAD cipher): unauthenticated"
            }
            Integrity::Failed => {
                "ICV FAILED, shown because of --ignore-icv: unauthenticated, may be garbage or forged"
            }
        }
    }
}

/// A decrypted SK payload: the inner payloads without padding, and how far
/// they can be trusted.
#[derive(Debug)]
pub struct Opened {
    pub plaintext: SecretBytes,
    pub integrity: Integrity,
}

impl SaKeys {
    /// Checks that the key lengths fit the algorithms and that an AEAD cipher
    /// comes with integrity NONE (Wireshark's rule). A non-AEAD cipher may go
    /// with NONE (no ICV) or an unchecked ICV, as in Wireshark.
    pub fn new(
        spis: SpiPair,
        encr: EncrAlg,
        integ: IntegAlg,
        sk_ei: SecretBytes,
        sk_er: SecretBytes,
        sk_ai: SecretBytes,
        sk_ar: SecretBytes,
    ) -> Result<SaKeys, CryptoError> {
        if encr.is_aead() && integ != IntegAlg::None {
            return Err(CryptoError::AlgorithmMix { encr, integ });
        }
        for (key, field, expected, alg) in [
            (&sk_ei, "SK_ei", encr.sk_e_len(), encr.wireshark_name()),
            (&sk_er, "SK_er", encr.sk_e_len(), encr.wireshark_name()),
            (&sk_ai, "SK_ai", integ.sk_a_len(), integ.wireshark_name()),
            (&sk_ar, "SK_ar", integ.sk_a_len(), integ.wireshark_name()),
        ] {
            if key.len() != expected {
                return Err(CryptoError::KeyLength {
                    field,
                    expected,
                    found: key.len(),
                    alg,
                });
            }
        }
        Ok(SaKeys {
            spis,
            encr,
            integ,
            sk_ei,
            sk_er,
            sk_ai,
            sk_ar,
        })
    }

    /// SK_e for messages sent by the original initiator (`true`) or responder.
    pub fn sk_e(&self, from_initiator: bool) -> &SecretBytes {
        if from_initiator {
            &self.sk_ei
        } else {
            &self.sk_er
        }
    }

    /// SK_a for messages sent by the original initiator (`true`) or responder.
    pub fn sk_a(&self, from_initiator: bool) -> &SecretBytes {
        if from_initiator {
            &self.sk_ai
        } else {
            &self.sk_ar
        }
    }

    /// ICV length at the end of the SK payload (the AEAD tag or the truncated HMAC).
    pub fn icv_len(&self) -> usize {
        icv_len(self.encr, self.integ)
    }

    /// Same keys and algorithms (in constant time for the keys).
    pub fn same_keys(&self, other: &SaKeys) -> bool {
        self.spis == other.spis
            && self.encr == other.encr
            && self.integ == other.integ
            && self.sk_ei.ct_eq(other.sk_ei.expose())
            && self.sk_er.ct_eq(other.sk_er.expose())
            && self.sk_ai.ct_eq(other.sk_ai.expose())
            && self.sk_ar.ct_eq(other.sk_ar.expose())
    }
}

fn icv_len(encr: EncrAlg, integ: IntegAlg) -> usize {
    if encr.is_aead() {
        encr.aead_icv_len()
    } else {
        integ.icv_len()
    }
}

/// Length of the SK payload body (IV ‖ ciphertext ‖ ICV) that [`encrypt`]
/// produces for `plaintext_len` octets of inner payloads: block ciphers pad
/// to the block size (padding plus the pad-length octet), stream and AEAD
/// modes add only the pad-length octet.
pub fn body_len(encr: EncrAlg, integ: IntegAlg, plaintext_len: usize) -> usize {
    let block = encr.block_len();
    let padded = (plaintext_len + 1).div_ceil(block) * block;
    encr.iv_len() + padded + icv_len(encr, integ)
}

/// Checks and decrypts the SK payload at the end of `message`.
///
/// `message` is the IKE message from the first octet of the IKE header (no
/// non-ESP marker) to its end; `body_start` is the offset of the SK payload
/// body (just after its 4-octet generic header); the SK payload must be the
/// last payload. Messages sent by the original initiator use SK_ei/SK_ai,
/// those sent by the responder SK_er/SK_ar.
///
/// The ICV is checked before anything is returned: wrong keys give
/// [`CryptoError::Integrity`], never garbage. Returns the inner payloads
/// without padding. See [`open`] for the integrity verdict and for showing
/// the plaintext despite a failed ICV.
pub fn decrypt(
    keys: &SaKeys,
    from_initiator: bool,
    message: &[u8],
    body_start: usize,
) -> Result<SecretBytes, CryptoError> {
    open(keys, from_initiator, message, body_start, false).map(|o| o.plaintext)
}

/// [`decrypt`] with the integrity verdict. With `ignore_icv`, a failed ICV
/// still yields the plaintext, marked [`Integrity::Failed`] (like tshark,
/// which shows the decryption and marks the checksum incorrect); without it
/// a failed ICV is [`CryptoError::Integrity`]. When the ICV failed and the
/// padding does not fit either, the error is [`CryptoError::Integrity`].
pub fn open(
    keys: &SaKeys,
    from_initiator: bool,
    message: &[u8],
    body_start: usize,
    ignore_icv: bool,
) -> Result<Opened, CryptoError> {
    if body_start > message.len() {
        return Err(CryptoError::BodyStart {
            body_start,
            message_len: message.len(),
        });
    }
    let body = &message[body_start..];
    let iv_len = keys.encr.iv_len();
    let icv_len = keys.icv_len();
    let block = keys.encr.block_len();
    let min = iv_len + block + icv_len;
    if body.len() < min {
        return Err(CryptoError::Truncated {
            body_start,
            body_len: body.len(),
            iv_len,
            block,
            icv_len,
            alg: keys.encr,
        });
    }
    let ct_len = body.len() - iv_len - icv_len;
    if !ct_len.is_multiple_of(block) {
        return Err(CryptoError::NotBlockMultiple {
            offset: body_start + iv_len,
            ciphertext_len: ct_len,
            block,
        });
    }
    let iv = &body[..iv_len];
    let ct = &body[iv_len..iv_len + ct_len];
    let icv = &body[iv_len + ct_len..];
    let sk_e = keys.sk_e(from_initiator).expose();
    let (key, salt) = sk_e.split_at(keys.encr.key_len());

    let mut integrity = if keys.encr.is_aead() {
        Integrity::Verified
    } else if keys.integ.checks() {
        let signed = &message[..message.len() - icv_len];
        let expected = hmac_truncated(
            keys.integ,
            keys.sk_a(from_initiator).expose(),
            signed,
            icv_len,
        )?;
        if bool::from(expected.as_slice().ct_eq(icv)) {
            Integrity::Verified
        } else {
            Integrity::Failed
        }
    } else if keys.integ == IntegAlg::None {
        Integrity::NoIcv
    } else {
        Integrity::NotChecked
    };
    if integrity == Integrity::Failed && !ignore_icv {
        return Err(CryptoError::Integrity);
    }

    let mut padded = Zeroizing::new(ct.to_vec());
    match keys.encr {
        EncrAlg::Null => {}
        EncrAlg::TripleDes | EncrAlg::AesCbc { .. } => {
            cbc_crypt(keys.encr, key, iv, &mut padded, false)?
        }
        EncrAlg::AesCtr { .. } => ctr_apply(keys.encr, key, salt, iv, &mut padded)?,
        EncrAlg::AesGcm { .. } | EncrAlg::AesCcm { .. } | EncrAlg::ChaCha20Poly1305 => {
            let aad = &message[..body_start];
            // The keystream of these AEAD modes does not depend on the data:
            // "encrypting" the ciphertext yields the plaintext; encrypting
            // that again yields the ciphertext and its true tag, compared
            // here (in constant time) before the plaintext leaves this
            // function. This also covers truncated GCM ICVs (8, 12 octets),
            // which the aes-gcm crate's decryption does not take.
            aead_seal(keys.encr, key, salt, iv, aad, &mut padded)?;
            let mut again = Zeroizing::new(padded.to_vec());
            let tag = aead_seal(keys.encr, key, salt, iv, aad, &mut again)?;
            if !bool::from(tag[..icv_len].ct_eq(icv)) {
                if !ignore_icv {
                    return Err(CryptoError::Integrity);
                }
                integrity = Integrity::Failed;
            }
        }
    }
    let Some(&pad_len) = padded.last() else {
        return Err(CryptoError::BadPadding {
            pad_len: 0,
            padded_len: 0,
        });
    };
    let pad_len = usize::from(pad_len);
    if pad_len + 1 > padded.len() {
        if integrity == Integrity::Failed {
            return Err(CryptoError::Integrity);
        }
        return Err(CryptoError::BadPadding {
            pad_len,
            padded_len: padded.len(),
        });
    }
    Ok(Opened {
        plaintext: SecretBytes::from_slice(&padded[..padded.len() - 1 - pad_len]),
        integrity,
    })
}

/// Builds the SK payload body (IV ‖ ciphertext ‖ ICV) for `plaintext`.
///
/// `message_prefix` is everything before the body: the IKE header, any
/// unencrypted payloads and the SK payload's generic header, with the IKE
/// header's and SK payload's length fields already set for a body of
/// [`body_len`] octets. `iv` must be `encr.iv_len()` octets (16 for AES-CBC,
/// 8 for 3DES and the CTR/AEAD modes, none for NULL; never reuse a CTR or AEAD
/// IV with the same key). Padding octets are zero. With an unchecked
/// integrity algorithm ("ANY n-bits") the ICV is zeros.
pub fn encrypt(
    keys: &SaKeys,
    from_initiator: bool,
    message_prefix: &[u8],
    plaintext: &[u8],
    iv: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let iv_len = keys.encr.iv_len();
    if iv.len() != iv_len {
        return Err(CryptoError::IvLength {
            expected: iv_len,
            found: iv.len(),
            alg: keys.encr,
        });
    }
    let total = body_len(keys.encr, keys.integ, plaintext.len());
    let icv_len = keys.icv_len();
    let padded_len = total - iv_len - icv_len;
    let mut padded = Zeroizing::new(vec![0u8; padded_len]);
    padded[..plaintext.len()].copy_from_slice(plaintext);
    // the pad-length octet; fits because padding is < one block
    padded[padded_len - 1] = (padded_len - 1 - plaintext.len()) as u8;
    let sk_e = keys.sk_e(from_initiator).expose();
    let (key, salt) = sk_e.split_at(keys.encr.key_len());

    let mut body = Vec::with_capacity(total);
    body.extend_from_slice(iv);
    if keys.encr.is_aead() {
        let tag = aead_seal(keys.encr, key, salt, iv, message_prefix, &mut padded)?;
        body.extend_from_slice(&padded);
        body.extend_from_slice(&tag[..icv_len]);
        return Ok(body);
    }
    match keys.encr {
        EncrAlg::Null => {}
        EncrAlg::AesCtr { .. } => ctr_apply(keys.encr, key, salt, iv, &mut padded)?,
        _ => cbc_crypt(keys.encr, key, iv, &mut padded, true)?,
    }
    body.extend_from_slice(&padded);
    if keys.integ.checks() {
        let mut signed = Vec::with_capacity(message_prefix.len() + body.len());
        signed.extend_from_slice(message_prefix);
        signed.extend_from_slice(&body);
        let icv = hmac_truncated(
            keys.integ,
            keys.sk_a(from_initiator).expose(),
            &signed,
            icv_len,
        )?;
        body.extend_from_slice(&icv);
    } else {
        body.resize(body.len() + icv_len, 0);
    }
    Ok(body)
}

fn hmac_truncated(
    integ: IntegAlg,
    key: &[u8],
    data: &[u8],
    icv_len: usize,
) -> Result<Vec<u8>, CryptoError> {
    fn mac<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
        // HMAC accepts keys of any length; the error arm is only for the type.
        let mut m = <M as Mac>::new_from_slice(key).ok()?;
        m.update(data);
        Some(m.finalize().into_bytes().to_vec())
    }
    let full = match integ {
        IntegAlg::HmacMd5_96 | IntegAlg::HmacMd5_128 => mac::<Hmac<md5::Md5>>(key, data),
        IntegAlg::HmacSha1_96 | IntegAlg::HmacSha1_160 => mac::<Hmac<sha1::Sha1>>(key, data),
        IntegAlg::HmacSha2_256_96 | IntegAlg::HmacSha2_256_128 => {
            mac::<Hmac<sha2::Sha256>>(key, data)
        }
        IntegAlg::HmacSha2_384_192 => mac::<Hmac<sha2::Sha384>>(key, data),
        IntegAlg::HmacSha2_512_256 => mac::<Hmac<sha2::Sha512>>(key, data),
        IntegAlg::None | IntegAlg::Unchecked { .. } => None,
    };
    let full = full.ok_or(CryptoError::CipherFailure { what: "HMAC" })?;
    full.get(..icv_len)
        .map(<[u8]>::to_vec)
        .ok_or(CryptoError::CipherFailure { what: "HMAC" })
}

/// `salt ‖ iv`, the 12-octet AEAD nonce (GCM, ChaCha20-Poly1305) or the
/// 11-octet CCM nonce, in a fixed buffer (no allocation per message).
fn aead_nonce(salt: &[u8], iv: &[u8]) -> Result<([u8; 12], usize), CryptoError> {
    let len = salt.len() + iv.len();
    let mut nonce = [0u8; 12];
    if len > nonce.len() {
        return Err(CryptoError::CipherFailure { what: "AEAD nonce" });
    }
    nonce[..salt.len()].copy_from_slice(salt);
    nonce[salt.len()..len].copy_from_slice(iv);
    Ok((nonce, len))
}

/// An AEAD tag of at most 16 octets.
struct Tag {
    bytes: [u8; 16],
    len: usize,
}

impl std::ops::Deref for Tag {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// AEAD encryption in place; returns the full tag (16 octets for GCM and
/// ChaCha20-Poly1305, `icv_len` for CCM, whose tag length is part of the
/// algorithm).
fn aead_seal(
    encr: EncrAlg,
    key: &[u8],
    salt: &[u8],
    iv: &[u8],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<Tag, CryptoError> {
    fn seal<C: AeadInPlace + KeyInit>(
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Option<Tag> {
        if nonce.len() != <<C as AeadCore>::NonceSize as aes_gcm::aead::generic_array::typenum::Unsigned>::USIZE {
            return None;
        }
        let cipher = C::new_from_slice(key).ok()?;
        let tag = cipher
            .encrypt_in_place_detached(aes_gcm::aead::Nonce::<C>::from_slice(nonce), aad, buf)
            .ok()?;
        let mut out = Tag {
            bytes: [0; 16],
            len: tag.len(),
        };
        out.bytes.get_mut(..tag.len())?.copy_from_slice(&tag);
        Some(out)
    }
    type Ccm<A, T> = ccm::Ccm<A, T, U11>;
    let (nonce_buf, nonce_len) = aead_nonce(salt, iv)?;
    let nonce = &nonce_buf[..nonce_len];
    let tag = match encr {
        EncrAlg::AesGcm { key_len: 16, .. } => seal::<AesGcm<Aes128, U12>>(key, nonce, aad, buf),
        EncrAlg::AesGcm { key_len: 24, .. } => seal::<AesGcm<Aes192, U12>>(key, nonce, aad, buf),
        EncrAlg::AesGcm { key_len: 32, .. } => seal::<AesGcm<Aes256, U12>>(key, nonce, aad, buf),
        EncrAlg::AesCcm { key_len, icv_len } => match (key_len, icv_len) {
            (16, 8) => seal::<Ccm<Aes128, U8>>(key, nonce, aad, buf),
            (16, 12) => seal::<Ccm<Aes128, U12>>(key, nonce, aad, buf),
            (16, 16) => seal::<Ccm<Aes128, U16>>(key, nonce, aad, buf),
            (24, 8) => seal::<Ccm<Aes192, U8>>(key, nonce, aad, buf),
            (24, 12) => seal::<Ccm<Aes192, U12>>(key, nonce, aad, buf),
            (24, 16) => seal::<Ccm<Aes192, U16>>(key, nonce, aad, buf),
            (32, 8) => seal::<Ccm<Aes256, U8>>(key, nonce, aad, buf),
            (32, 12) => seal::<Ccm<Aes256, U12>>(key, nonce, aad, buf),
            (32, 16) => seal::<Ccm<Aes256, U16>>(key, nonce, aad, buf),
            _ => None,
        },
        EncrAlg::ChaCha20Poly1305 => {
            seal::<chacha20poly1305::ChaCha20Poly1305>(key, nonce, aad, buf)
        }
        _ => None,
    };
    tag.ok_or(CryptoError::CipherFailure {
        what: "AEAD encryption",
    })
}

/// AES-CTR as RFC 5930 uses it: counter block = nonce ‖ IV ‖ 32-bit
/// big-endian counter starting at 1. Encryption and decryption are the same.
fn ctr_apply(
    encr: EncrAlg,
    key: &[u8],
    nonce: &[u8],
    iv: &[u8],
    buf: &mut [u8],
) -> Result<(), CryptoError> {
    fn run<C: KeyIvInit + StreamCipher>(key: &[u8], block: &[u8], buf: &mut [u8]) -> bool {
        match C::new_from_slices(key, block) {
            Ok(mut c) => c.try_apply_keystream(buf).is_ok(),
            Err(_) => false,
        }
    }
    let mut block = [0u8; 16];
    if nonce.len() != 4 || iv.len() != 8 {
        return Err(CryptoError::CipherFailure { what: "AES-CTR" });
    }
    block[..4].copy_from_slice(nonce);
    block[4..12].copy_from_slice(iv);
    block[15] = 1;
    let ok = match encr.key_len() {
        16 => run::<ctr::Ctr32BE<Aes128>>(key, &block, buf),
        24 => run::<ctr::Ctr32BE<Aes192>>(key, &block, buf),
        32 => run::<ctr::Ctr32BE<Aes256>>(key, &block, buf),
        _ => false,
    };
    ok.then_some(())
        .ok_or(CryptoError::CipherFailure { what: "AES-CTR" })
}

/// CBC (AES or 3DES, no padding) in place: `encrypt` or decrypt.
fn cbc_crypt(
    encr: EncrAlg,
    key: &[u8],
    iv: &[u8],
    buf: &mut [u8],
    encrypt: bool,
) -> Result<(), CryptoError> {
    fn run<C>(key: &[u8], iv: &[u8], buf: &mut [u8], encrypt: bool) -> bool
    where
        C: BlockCipher + BlockEncryptMut + BlockDecryptMut + KeyInit,
    {
        let len = buf.len();
        if encrypt {
            match cbc::Encryptor::<C>::new_from_slices(key, iv) {
                Ok(c) => c.encrypt_padded_mut::<NoPadding>(buf, len).is_ok(),
                Err(_) => false,
            }
        } else {
            match cbc::Decryptor::<C>::new_from_slices(key, iv) {
                Ok(c) => c.decrypt_padded_mut::<NoPadding>(buf).is_ok(),
                Err(_) => false,
            }
        }
    }
    let ok = match encr {
        EncrAlg::TripleDes => run::<des::TdesEde3>(key, iv, buf, encrypt),
        EncrAlg::AesCbc { key_len: 16 } => run::<Aes128>(key, iv, buf, encrypt),
        EncrAlg::AesCbc { key_len: 24 } => run::<Aes192>(key, iv, buf, encrypt),
        EncrAlg::AesCbc { key_len: 32 } => run::<Aes256>(key, iv, buf, encrypt),
        _ => false,
    };
    ok.then_some(()).ok_or(CryptoError::CipherFailure {
        what: if encrypt {
            "CBC encryption"
        } else {
            "CBC decryption"
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spi::Spi;
    use proptest::prelude::*;
    use sha2::{Digest, Sha512};

    /// Deterministic test key material of `len` bytes.
    fn material(label: &str, len: usize) -> SecretBytes {
        let mut out = Vec::new();
        let mut i = 0u32;
        while out.len() < len {
            out.extend_from_slice(&Sha512::digest(format!("{label}/{i}").as_bytes()));
            i += 1;
        }
        out.truncate(len);
        SecretBytes::new(out)
    }

    /// Every pair a key table line may hold.
    fn all_combinations() -> Vec<(EncrAlg, IntegAlg)> {
        let mut v = Vec::new();
        for e in EncrAlg::all() {
            for i in IntegAlg::all() {
                if !e.is_aead() || i == IntegAlg::None {
                    v.push((e, i));
                }
            }
        }
        v
    }

    /// The pairs whose ICV protects the message.
    fn checked(e: EncrAlg, i: IntegAlg) -> bool {
        e.is_aead() || i.checks()
    }

    fn keys_for(encr: EncrAlg, integ: IntegAlg, seed: &str) -> SaKeys {
        SaKeys::new(
            SpiPair::new(Spi([1; 8]), Spi([2; 8])),
            encr,
            integ,
            material(&format!("{seed}ei"), encr.sk_e_len()),
            material(&format!("{seed}er"), encr.sk_e_len()),
            material(&format!("{seed}ai"), integ.sk_a_len()),
            material(&format!("{seed}ar"), integ.sk_a_len()),
        )
        .unwrap()
    }

    fn build(keys: &SaKeys, from_i: bool, prefix: &[u8], plain: &[u8]) -> (Vec<u8>, usize) {
        let iv = vec![0x5a; keys.encr.iv_len()];
        let body = encrypt(keys, from_i, prefix, plain, &iv).unwrap();
        assert_eq!(body.len(), body_len(keys.encr, keys.integ, plain.len()));
        let mut msg = prefix.to_vec();
        msg.extend_from_slice(&body);
        (msg, prefix.len())
    }

    #[test]
    fn combination_count() {
        // 8 non-AEAD ciphers (NULL, 3DES, 3 CBC, 3 CTR) with any of the 15
        // integrity names, 19 AEAD ciphers (9 GCM, 9 CCM, ChaCha20) with NONE
        assert_eq!(all_combinations().len(), 8 * 15 + 19);
    }

    #[test]
    fn wrong_direction_or_key_is_integrity_failure() {
        for (e, i) in all_combinations() {
            let keys = keys_for(e, i, "a");
            let (msg, start) = build(&keys, true, b"header+sk-hdr", b"inner payloads");
            let got = open(&keys, true, &msg, start, false).unwrap();
            assert_eq!(got.plaintext.expose(), b"inner payloads", "{e} {i}");
            if !checked(e, i) {
                let want = if i == IntegAlg::None {
                    Integrity::NoIcv
                } else {
                    Integrity::NotChecked
                };
                assert_eq!(got.integrity, want, "{e} {i}");
                continue;
            }
            assert_eq!(got.integrity, Integrity::Verified);
            assert_eq!(
                decrypt(&keys, false, &msg, start).unwrap_err(),
                CryptoError::Integrity,
                "{e} {i}"
            );
            let other = keys_for(e, i, "b");
            assert_eq!(
                decrypt(&other, true, &msg, start).unwrap_err(),
                CryptoError::Integrity
            );
        }
    }

    /// A flipped ICV bit: an error by default, the plaintext marked Failed
    /// with `ignore_icv`.
    #[test]
    fn ignore_icv_shows_plaintext_marked_failed() {
        for (e, i) in all_combinations()
            .into_iter()
            .filter(|(e, i)| checked(*e, *i))
        {
            let keys = keys_for(e, i, "x");
            let (mut msg, start) = build(&keys, false, b"0123456789abcdef", b"the payloads");
            let last = msg.len() - 1;
            msg[last] ^= 0x80;
            assert_eq!(
                open(&keys, false, &msg, start, false).unwrap_err(),
                CryptoError::Integrity
            );
            let o = open(&keys, false, &msg, start, true).unwrap();
            assert_eq!(o.integrity, Integrity::Failed, "{e} {i}");
            assert_eq!(o.plaintext.expose(), b"the payloads");
            assert!(!o.integrity.is_verified());
        }
    }

    #[test]
    fn truncated_and_misaligned_bodies() {
        let cbc = keys_for(
            EncrAlg::AesCbc { key_len: 16 },
            IntegAlg::HmacSha2_256_128,
            "t",
        );
        // IV 16 + ICV 16 + one block 16 = 48 bytes minimum
        let msg = vec![0u8; 10 + 47];
        match decrypt(&cbc, true, &msg, 10).unwrap_err() {
            CryptoError::Truncated {
                body_start,
                body_len,
                ..
            } => assert_eq!((body_start, body_len), (10, 47)),
            e => panic!("{e:?}"),
        }
        let msg = vec![0u8; 10 + 49];
        match decrypt(&cbc, true, &msg, 10).unwrap_err() {
            CryptoError::NotBlockMultiple {
                offset,
                ciphertext_len,
                block,
            } => assert_eq!((offset, ciphertext_len, block), (26, 17, 16)),
            e => panic!("{e:?}"),
        }
        assert!(matches!(
            decrypt(&cbc, true, &msg, 60).unwrap_err(),
            CryptoError::BodyStart { .. }
        ));
        let tdes = keys_for(EncrAlg::TripleDes, IntegAlg::HmacMd5_96, "t");
        assert!(matches!(
            decrypt(&tdes, true, &[0u8; 4 + 8 + 9 + 12], 4).unwrap_err(),
            CryptoError::NotBlockMultiple { block: 8, .. }
        ));
        let gcm = keys_for(
            EncrAlg::AesGcm {
                key_len: 32,
                icv_len: 16,
            },
            IntegAlg::None,
            "t",
        );
        assert!(matches!(
            decrypt(&gcm, true, &[0u8; 4 + 8 + 16], 4).unwrap_err(),
            CryptoError::Truncated { .. }
        ));
        let msg = build(&gcm, true, b"hdr", b"x").0;
        assert!(matches!(
            decrypt(&gcm, true, &msg[..msg.len() - 1], 3).unwrap_err(),
            CryptoError::Integrity
        ));
        let e = decrypt(&cbc, true, &[0u8; 57], 10).unwrap_err().to_string();
        assert!(e.contains("at byte 10 is 47 bytes"), "{e}");
    }

    /// A valid ICV over a padding length that points before the plaintext.
    #[test]
    fn bad_padding_under_valid_icv() {
        let prefix = b"0123456789abcdef0123456789ab\x29\x00\x00\x34";
        // CBC: one block whose last (pad length) byte is 200
        let keys = keys_for(
            EncrAlg::AesCbc { key_len: 32 },
            IntegAlg::HmacSha2_512_256,
            "p",
        );
        let iv = [7u8; 16];
        let mut block = [0u8; 16];
        block[15] = 200;
        cbc_crypt(keys.encr, keys.sk_e(true).expose(), &iv, &mut block, true).unwrap();
        let mut msg = prefix.to_vec();
        msg.extend_from_slice(&iv);
        msg.extend_from_slice(&block);
        let icv = hmac_truncated(keys.integ, keys.sk_a(true).expose(), &msg, 32).unwrap();
        msg.extend_from_slice(&icv);
        assert_eq!(
            decrypt(&keys, true, &msg, prefix.len()).unwrap_err(),
            CryptoError::BadPadding {
                pad_len: 200,
                padded_len: 16
            }
        );
        // AEAD: 3 bytes ending in pad length 3
        for encr in [
            EncrAlg::AesGcm {
                key_len: 16,
                icv_len: 8,
            },
            EncrAlg::AesCcm {
                key_len: 24,
                icv_len: 12,
            },
            EncrAlg::ChaCha20Poly1305,
        ] {
            let keys = keys_for(encr, IntegAlg::None, "p");
            let sk_e = keys.sk_e(false).expose();
            let (key, salt) = sk_e.split_at(encr.key_len());
            let iv = [9u8; 8];
            let mut data = [1u8, 2, 3];
            let tag = aead_seal(encr, key, salt, &iv, prefix, &mut data).unwrap();
            let mut msg = prefix.to_vec();
            msg.extend_from_slice(&iv);
            msg.extend_from_slice(&data);
            msg.extend_from_slice(&tag[..encr.aead_icv_len()]);
            assert_eq!(
                decrypt(&keys, false, &msg, prefix.len()).unwrap_err(),
                CryptoError::BadPadding {
                    pad_len: 3,
                    padded_len: 3
                },
                "{encr}"
            );
        }
    }

    #[test]
    fn key_length_and_algorithm_mix_are_rejected() {
        let e = SaKeys::new(
            SpiPair::default(),
            EncrAlg::AesCbc { key_len: 24 },
            IntegAlg::HmacSha1_96,
            material("x", 24),
            material("x", 16),
            material("x", 20),
            material("x", 20),
        )
        .unwrap_err();
        assert_eq!(
            e,
            CryptoError::KeyLength {
                field: "SK_er",
                expected: 24,
                found: 16,
                alg: "AES-CBC-192 [RFC3602]"
            }
        );
        let e = SaKeys::new(
            SpiPair::default(),
            EncrAlg::AesGcm {
                key_len: 16,
                icv_len: 16,
            },
            IntegAlg::HmacSha1_96,
            material("x", 20),
            material("x", 20),
            material("x", 20),
            material("x", 20),
        )
        .unwrap_err();
        assert!(matches!(e, CryptoError::AlgorithmMix { .. }));
        let keys = keys_for(EncrAlg::AesCbc { key_len: 16 }, IntegAlg::HmacSha1_96, "i");
        assert!(matches!(
            encrypt(&keys, true, b"", b"x", &[0u8; 8]).unwrap_err(),
            CryptoError::IvLength {
                expected: 16,
                found: 8,
                ..
            }
        ));
    }

    /// RFC 3602 §4 case #2 (AES-128-CBC, 32 bytes) through our CBC helper:
    /// an independent known answer for the cipher wiring.
    #[test]
    fn rfc3602_case2() {
        let key = hex::decode("c286696d887c9aa0611bbb3e2025a45a").unwrap();
        let iv = hex::decode("562e17996d093d28ddb3ba695a2e6f58").unwrap();
        let mut buf =
            hex::decode("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
                .unwrap();
        let cbc = EncrAlg::AesCbc { key_len: 16 };
        cbc_crypt(cbc, &key, &iv, &mut buf, true).unwrap();
        assert_eq!(
            hex::encode(&buf),
            "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"
        );
        cbc_crypt(cbc, &key, &iv, &mut buf, false).unwrap();
        assert_eq!(buf[31], 0x1f);
    }

    /// RFC 3686 §6 test vector #2 (AES-128-CTR, 32 octets): nonce ‖ IV ‖
    /// counter from 1, the layout RFC 5930 reuses.
    #[test]
    fn rfc3686_vector2() {
        let key = hex::decode("7E24067817FAE0D743D6CE1F32539163").unwrap();
        let nonce = hex::decode("006CB6DB").unwrap();
        let iv = hex::decode("C0543B59DA48D90B").unwrap();
        let mut buf =
            hex::decode("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
                .unwrap();
        ctr_apply(EncrAlg::AesCtr { key_len: 16 }, &key, &nonce, &iv, &mut buf).unwrap();
        assert_eq!(
            hex::encode_upper(&buf),
            "5104A106168A72D9790D41EE8EDAD388EB2E1EFC46DA57C8FCE630DF9141BE28"
        );
    }

    /// NIST GCM test case 4 (AES-128, 96-bit IV, AAD): checks the nonce
    /// split (salt ‖ IV) and the full tag.
    #[test]
    fn gcm_test_case_4() {
        let key = hex::decode("feffe9928665731c6d6a8f9467308308").unwrap();
        let nonce = hex::decode("cafebabefacedbaddecaf888").unwrap();
        let aad = hex::decode("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let mut buf = hex::decode("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39").unwrap();
        let gcm = EncrAlg::AesGcm {
            key_len: 16,
            icv_len: 16,
        };
        let tag = aead_seal(gcm, &key, &nonce[..4], &nonce[4..], &aad, &mut buf).unwrap();
        assert_eq!(hex::encode(&buf), "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091");
        assert_eq!(hex::encode(&*tag), "5bc94fbc3221a5db94fae95ae7121a47");
    }

    /// RFC 8439 §2.8.2 (ChaCha20-Poly1305 AEAD): constant 07000000 as the
    /// salt, the 8-octet IV after it.
    #[test]
    fn rfc8439_aead_vector() {
        let key = hex::decode("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
            .unwrap();
        let aad = hex::decode("50515253c0c1c2c3c4c5c6c7").unwrap();
        let mut buf = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".to_vec();
        let tag = aead_seal(
            EncrAlg::ChaCha20Poly1305,
            &key,
            &hex::decode("07000000").unwrap(),
            &hex::decode("4041424344454647").unwrap(),
            &aad,
            &mut buf,
        )
        .unwrap();
        assert_eq!(hex::encode(&buf[..16]), "d31a8d34648e60db7b86afbc53ef7ec2");
        assert_eq!(hex::encode(&*tag), "1ae10b594f09e26a7e902ecbd0600691");
    }

    fn combination() -> impl Strategy<Value = (EncrAlg, IntegAlg)> {
        let all = all_combinations();
        (0..all.len()).prop_map(move |i| all[i])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn round_trip_and_every_byte_is_covered(
            (encr, integ) in combination(),
            from_i in any::<bool>(),
            prefix in proptest::collection::vec(any::<u8>(), 0..48),
            plain in proptest::collection::vec(any::<u8>(), 0..200),
            iv_byte in any::<u8>(),
            flip in any::<proptest::sample::Index>(),
            seed in "[a-z]{1,8}",
        ) {
            let keys = keys_for(encr, integ, &seed);
            let iv = vec![iv_byte; encr.iv_len()];
            let body = encrypt(&keys, from_i, &prefix, &plain, &iv).unwrap();
            prop_assert_eq!(body.len(), body_len(encr, integ, plain.len()));
            let mut msg = prefix.clone();
            msg.extend_from_slice(&body);
            let got = decrypt(&keys, from_i, &msg, prefix.len()).unwrap();
            prop_assert_eq!(got.expose(), plain.as_slice());
            // any single-bit change anywhere is caught by a checked ICV
            let at = flip.index(msg.len());
            msg[at] ^= 0x01;
            if checked(encr, integ) {
                prop_assert_eq!(decrypt(&keys, from_i, &msg, prefix.len()).unwrap_err(), CryptoError::Integrity);
            } else {
                let _ = decrypt(&keys, from_i, &msg, prefix.len());
            }
        }
    }
}
