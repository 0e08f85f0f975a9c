//! SK payload protection (RFC 7296 §3.14, RFC 5282): checking the ICV,
//! decrypting and stripping padding, and the reverse for building fixtures.
//!
//! Works on byte offsets the caller supplies (the wire module knows where the
//! SK payload starts); nothing here parses IKE payloads.

use aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadCore, AeadInPlace};
use aes_gcm::AesGcm;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::alg::{EncrAlg, IntegAlg, AES_BLOCK, GCM_SALT_LEN};
use super::CryptoError;
use crate::secret::SecretBytes;
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

impl SaKeys {
    /// Checks that the key lengths fit the algorithms and that an AEAD cipher
    /// comes with integrity NONE (and a non-AEAD one with a real integrity algorithm).
    pub fn new(
        spis: SpiPair,
        encr: EncrAlg,
        integ: IntegAlg,
        sk_ei: SecretBytes,
        sk_er: SecretBytes,
        sk_ai: SecretBytes,
        sk_ar: SecretBytes,
    ) -> Result<SaKeys, CryptoError> {
        if encr.is_aead() != (integ == IntegAlg::None) {
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

    /// ICV length at the end of the SK payload (the GCM tag or the truncated HMAC).
    pub fn icv_len(&self) -> usize {
        match self.encr {
            EncrAlg::AesGcm { icv_len, .. } => icv_len,
            EncrAlg::AesCbc { .. } => self.integ.icv_len(),
        }
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

/// Length of the SK payload body (IV ‖ ciphertext ‖ ICV) that [`encrypt`]
/// produces for `plaintext_len` octets of inner payloads: CBC pads to the
/// block size (padding plus the pad-length octet), GCM adds only the
/// pad-length octet.
pub fn body_len(encr: EncrAlg, integ: IntegAlg, plaintext_len: usize) -> usize {
    let padded = match encr {
        EncrAlg::AesCbc { .. } => (plaintext_len + 1).div_ceil(AES_BLOCK) * AES_BLOCK,
        EncrAlg::AesGcm { .. } => plaintext_len + 1,
    };
    let icv = match encr {
        EncrAlg::AesGcm { icv_len, .. } => icv_len,
        EncrAlg::AesCbc { .. } => integ.icv_len(),
    };
    encr.iv_len() + padded + icv
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
/// without padding.
pub fn decrypt(
    keys: &SaKeys,
    from_initiator: bool,
    message: &[u8],
    body_start: usize,
) -> Result<SecretBytes, CryptoError> {
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

    let padded: Zeroizing<Vec<u8>> = match keys.encr {
        EncrAlg::AesCbc { key_len } => {
            let signed = &message[..message.len() - icv_len];
            let expected = hmac_truncated(
                keys.integ,
                keys.sk_a(from_initiator).expose(),
                signed,
                icv_len,
            )?;
            if !bool::from(expected.as_slice().ct_eq(icv)) {
                return Err(CryptoError::Integrity);
            }
            let mut buf = Zeroizing::new(ct.to_vec());
            cbc_decrypt(key_len, sk_e, iv, &mut buf)?;
            buf
        }
        EncrAlg::AesGcm { key_len, .. } => {
            let aad = &message[..body_start];
            let (key, salt) = sk_e.split_at(sk_e.len() - GCM_SALT_LEN);
            let nonce = gcm_nonce(salt, iv);
            // The GCM keystream is its own inverse: "encrypting" the
            // ciphertext yields the plaintext; encrypting that again yields
            // the ciphertext and its tag, compared here before the plaintext
            // leaves this function. This supports the 8-octet ICV, which the
            // aes-gcm crate's own decryption does not.
            let mut plain = Zeroizing::new(ct.to_vec());
            gcm_seal(key_len, key, &nonce, aad, &mut plain)?;
            let mut again = Zeroizing::new(plain.to_vec());
            let tag = gcm_seal(key_len, key, &nonce, aad, &mut again)?;
            if !bool::from(tag[..icv_len].ct_eq(icv)) {
                return Err(CryptoError::Integrity);
            }
            plain
        }
    };
    let Some(&pad_len) = padded.last() else {
        return Err(CryptoError::BadPadding {
            pad_len: 0,
            padded_len: 0,
        });
    };
    let pad_len = usize::from(pad_len);
    if pad_len + 1 > padded.len() {
        return Err(CryptoError::BadPadding {
            pad_len,
            padded_len: padded.len(),
        });
    }
    Ok(SecretBytes::from_slice(
        &padded[..padded.len() - 1 - pad_len],
    ))
}

/// Builds the SK payload body (IV ‖ ciphertext ‖ ICV) for `plaintext`.
///
/// `message_prefix` is everything before the body: the IKE header, any
/// unencrypted payloads and the SK payload's generic header, with the IKE
/// header's and SK payload's length fields already set for a body of
/// [`body_len`] octets. `iv` must be `encr.iv_len()` octets (16 for CBC, 8 for
/// GCM; never reuse a GCM IV with the same key). Padding octets are zero.
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

    let mut body = Vec::with_capacity(total);
    body.extend_from_slice(iv);
    match keys.encr {
        EncrAlg::AesCbc { key_len } => {
            cbc_encrypt(key_len, sk_e, iv, &mut padded)?;
            body.extend_from_slice(&padded);
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
        }
        EncrAlg::AesGcm { key_len, .. } => {
            let (key, salt) = sk_e.split_at(sk_e.len() - GCM_SALT_LEN);
            let nonce = gcm_nonce(salt, iv);
            let tag = gcm_seal(key_len, key, &nonce, message_prefix, &mut padded)?;
            body.extend_from_slice(&padded);
            body.extend_from_slice(&tag[..icv_len]);
        }
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
        IntegAlg::HmacSha1_96 => mac::<Hmac<sha1::Sha1>>(key, data),
        IntegAlg::HmacSha2_256_128 => mac::<Hmac<sha2::Sha256>>(key, data),
        IntegAlg::HmacSha2_384_192 => mac::<Hmac<sha2::Sha384>>(key, data),
        IntegAlg::HmacSha2_512_256 => mac::<Hmac<sha2::Sha512>>(key, data),
        IntegAlg::None => {
            return Err(CryptoError::AlgorithmMix {
                encr: EncrAlg::AesCbc { key_len: key.len() },
                integ,
            })
        }
    };
    let full = full.ok_or(CryptoError::CipherFailure { what: "HMAC" })?;
    Ok(full[..icv_len].to_vec())
}

fn gcm_nonce(salt: &[u8], iv: &[u8]) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[..GCM_SALT_LEN].copy_from_slice(salt);
    nonce[GCM_SALT_LEN..].copy_from_slice(iv);
    nonce
}

/// AES-GCM encryption in place; returns the full 16-octet tag.
fn gcm_seal(
    key_len: usize,
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; 16], CryptoError> {
    fn seal<C: AeadInPlace + AeadCore<NonceSize = U12> + KeyInit>(
        key: &[u8],
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Option<[u8; 16]> {
        let cipher = C::new_from_slice(key).ok()?;
        let tag = cipher
            .encrypt_in_place_detached(aes_gcm::Nonce::<U12>::from_slice(nonce), aad, buf)
            .ok()?;
        let mut out = [0u8; 16];
        out.copy_from_slice(tag.as_slice());
        Some(out)
    }
    let tag = match key_len {
        16 => seal::<AesGcm<Aes128, U12>>(key, nonce, aad, buf),
        24 => seal::<AesGcm<Aes192, U12>>(key, nonce, aad, buf),
        32 => seal::<AesGcm<Aes256, U12>>(key, nonce, aad, buf),
        _ => None,
    };
    tag.ok_or(CryptoError::CipherFailure { what: "AES-GCM" })
}

fn cbc_decrypt(key_len: usize, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
    fn run<C: KeyIvInit + BlockDecryptMut>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> bool {
        match C::new_from_slices(key, iv) {
            Ok(c) => c.decrypt_padded_mut::<NoPadding>(buf).is_ok(),
            Err(_) => false,
        }
    }
    let ok = match key_len {
        16 => run::<cbc::Decryptor<Aes128>>(key, iv, buf),
        24 => run::<cbc::Decryptor<Aes192>>(key, iv, buf),
        32 => run::<cbc::Decryptor<Aes256>>(key, iv, buf),
        _ => false,
    };
    ok.then_some(()).ok_or(CryptoError::CipherFailure {
        what: "AES-CBC decryption",
    })
}

fn cbc_encrypt(key_len: usize, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
    fn run<C: KeyIvInit + BlockEncryptMut>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> bool {
        let len = buf.len();
        match C::new_from_slices(key, iv) {
            Ok(c) => c.encrypt_padded_mut::<NoPadding>(buf, len).is_ok(),
            Err(_) => false,
        }
    }
    let ok = match key_len {
        16 => run::<cbc::Encryptor<Aes128>>(key, iv, buf),
        24 => run::<cbc::Encryptor<Aes192>>(key, iv, buf),
        32 => run::<cbc::Encryptor<Aes256>>(key, iv, buf),
        _ => false,
    };
    ok.then_some(()).ok_or(CryptoError::CipherFailure {
        what: "AES-CBC encryption",
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

    fn all_combinations() -> Vec<(EncrAlg, IntegAlg)> {
        let mut v = Vec::new();
        for e in EncrAlg::all() {
            for i in IntegAlg::all() {
                if e.is_aead() == (i == IntegAlg::None) {
                    v.push((e, i));
                }
            }
        }
        v
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
    fn twenty_one_combinations() {
        // 9 AES-GCM variants with NONE, 3 AES-CBC key sizes with 4 HMACs
        assert_eq!(all_combinations().len(), 9 + 3 * 4);
    }

    #[test]
    fn wrong_direction_or_key_is_integrity_failure() {
        for (e, i) in all_combinations() {
            let keys = keys_for(e, i, "a");
            let (msg, start) = build(&keys, true, b"header+sk-hdr", b"inner payloads");
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
            assert_eq!(
                decrypt(&keys, true, &msg, start).unwrap().expose(),
                b"inner payloads"
            );
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
        cbc_encrypt(32, keys.sk_e(true).expose(), &iv, &mut block).unwrap();
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
        // GCM: 3 bytes ending in pad length 3
        let keys = keys_for(
            EncrAlg::AesGcm {
                key_len: 16,
                icv_len: 8,
            },
            IntegAlg::None,
            "p",
        );
        let sk_e = keys.sk_e(false).expose();
        let (key, salt) = sk_e.split_at(16);
        let iv = [9u8; 8];
        let mut data = [1u8, 2, 3];
        let tag = gcm_seal(16, key, &gcm_nonce(salt, &iv), prefix, &mut data).unwrap();
        let mut msg = prefix.to_vec();
        msg.extend_from_slice(&iv);
        msg.extend_from_slice(&data);
        msg.extend_from_slice(&tag[..8]);
        assert_eq!(
            decrypt(&keys, false, &msg, prefix.len()).unwrap_err(),
            CryptoError::BadPadding {
                pad_len: 3,
                padded_len: 3
            }
        );
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
        cbc_encrypt(16, &key, &iv, &mut buf).unwrap();
        assert_eq!(
            hex::encode(&buf),
            "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"
        );
        cbc_decrypt(16, &key, &iv, &mut buf).unwrap();
        assert_eq!(buf[31], 0x1f);
    }

    /// NIST GCM test case 4 (AES-128, 96-bit IV, AAD): checks the nonce
    /// split (salt ‖ IV) and the full tag.
    #[test]
    fn gcm_test_case_4() {
        let key = hex::decode("feffe9928665731c6d6a8f9467308308").unwrap();
        let nonce = hex::decode("cafebabefacedbaddecaf888").unwrap();
        let aad = hex::decode("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let mut buf = hex::decode("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39").unwrap();
        let tag = gcm_seal(
            16,
            &key,
            &gcm_nonce(&nonce[..4], &nonce[4..]),
            &aad,
            &mut buf,
        )
        .unwrap();
        assert_eq!(hex::encode(&buf), "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091");
        assert_eq!(hex::encode(tag), "5bc94fbc3221a5db94fae95ae7121a47");
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
            // any single-bit change anywhere is caught by the ICV
            let at = flip.index(msg.len());
            msg[at] ^= 0x01;
            prop_assert_eq!(decrypt(&keys, from_i, &msg, prefix.len()).unwrap_err(), CryptoError::Integrity);
        }
    }
}
