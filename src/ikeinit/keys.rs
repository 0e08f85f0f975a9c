//! IKE SA key derivation (RFC 7296 §2.13–2.14): the negotiated PRF, prf+,
//! SKEYSEED and the seven SK_* keys, and PSK authentication data (§2.15).
//!
//! Pure functions on bytes: no state, no I/O. Every output here has a
//! known-answer test in `tests/it/ikeinit_vectors.rs`, cross-checked with
//! Python's `hmac` (`tests/data/ikeinit/vectors.py`).

use hmac::{Hmac, Mac};
use zeroize::Zeroizing;

use super::suite::{Prf, Suite};
use crate::ikecrypto::SaKeys;
use crate::secretmem::SecretBytes;
use crate::spi::SpiPair;

/// The PSK pad of RFC 7296 §2.15.
pub const KEY_PAD: &[u8] = b"Key Pad for IKEv2";

/// prf(key, data) with the negotiated PRF (HMAC: any key length).
pub fn prf(alg: Prf, key: &[u8], data: &[&[u8]]) -> SecretBytes {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[&[u8]]) -> SecretBytes {
        let mut mac = <M as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
        for d in data {
            mac.update(d);
        }
        SecretBytes::new(mac.finalize().into_bytes().to_vec())
    }
    match alg {
        Prf::HmacSha1 => run::<Hmac<sha1::Sha1>>(key, data),
        Prf::HmacSha256 => run::<Hmac<sha2::Sha256>>(key, data),
        Prf::HmacSha384 => run::<Hmac<sha2::Sha384>>(key, data),
        Prf::HmacSha512 => run::<Hmac<sha2::Sha512>>(key, data),
    }
}

/// prf+(key, seed) cut to `len` bytes (RFC 7296 §2.13): T1 = prf(K, S |
/// 0x01), Tn = prf(K, Tn-1 | S | n), at most 255 blocks.
pub fn prf_plus(alg: Prf, key: &[u8], seed: &[u8], len: usize) -> SecretBytes {
    assert!(
        len <= 255 * alg.output_len(),
        "prf+ yields at most 255 blocks"
    );
    let mut out = Zeroizing::new(Vec::with_capacity(len + alg.output_len()));
    let mut previous = SecretBytes::new(Vec::new());
    let mut n = 1u8;
    while out.len() < len {
        previous = prf(alg, key, &[previous.expose(), seed, &[n]]);
        out.extend_from_slice(previous.expose());
        n = n.wrapping_add(1);
    }
    out.truncate(len);
    SecretBytes::from_slice(&out)
}

/// SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 §2.14; HMAC PRFs take the
/// whole nonces as the key).
pub fn skeyseed(alg: Prf, nonce_i: &[u8], nonce_r: &[u8], shared: &[u8]) -> SecretBytes {
    let mut key = Zeroizing::new(Vec::with_capacity(nonce_i.len() + nonce_r.len()));
    key.extend_from_slice(nonce_i);
    key.extend_from_slice(nonce_r);
    prf(alg, &key, &[shared])
}

/// The keys of a new IKE SA: {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi
/// | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
#[derive(Clone, Debug)]
pub struct IkeKeys {
    pub suite: Suite,
    pub spis: SpiPair,
    pub sk_d: SecretBytes,
    pub sk_ai: SecretBytes,
    pub sk_ar: SecretBytes,
    pub sk_ei: SecretBytes,
    pub sk_er: SecretBytes,
    pub sk_pi: SecretBytes,
    pub sk_pr: SecretBytes,
}

impl IkeKeys {
    /// Derives the keys of the IKE SA `spis` from the nonces and g^ir.
    pub fn derive(
        suite: Suite,
        spis: SpiPair,
        nonce_i: &[u8],
        nonce_r: &[u8],
        shared: &[u8],
    ) -> IkeKeys {
        let seed_key = skeyseed(suite.prf, nonce_i, nonce_r, shared);
        let mut seed = Zeroizing::new(Vec::new());
        seed.extend_from_slice(nonce_i);
        seed.extend_from_slice(nonce_r);
        seed.extend_from_slice(&spis.to_bytes());
        let prf_len = suite.prf.output_len();
        let a = suite.integ().sk_a_len();
        let e = suite.encr().sk_e_len();
        let lens = [prf_len, a, a, e, e, prf_len, prf_len];
        let all = prf_plus(suite.prf, seed_key.expose(), &seed, lens.iter().sum());
        let mut at = 0;
        let mut next = |len: usize| {
            let k = SecretBytes::from_slice(&all.expose()[at..at + len]);
            at += len;
            k
        };
        IkeKeys {
            suite,
            spis,
            sk_d: next(lens[0]),
            sk_ai: next(lens[1]),
            sk_ar: next(lens[2]),
            sk_ei: next(lens[3]),
            sk_er: next(lens[4]),
            sk_pi: next(lens[5]),
            sk_pr: next(lens[6]),
        }
    }

    /// The SK payload keys, as a key table line holds them.
    pub fn sa_keys(&self) -> SaKeys {
        SaKeys::new(
            self.spis,
            self.suite.encr(),
            self.suite.integ(),
            self.sk_ei.clone(),
            self.sk_er.clone(),
            self.sk_ai.clone(),
            self.sk_ar.clone(),
        )
        .expect("derive() cuts every key to the length its algorithm needs")
    }
}

/// AUTH data for a pre-shared key (RFC 7296 §2.15):
/// prf(prf(PSK, "Key Pad for IKEv2"), message | peer nonce | prf(SK_p, ID body)),
/// where `message` is the sender's whole IKE_SA_INIT message, `peer_nonce`
/// the other side's Nonce data, `sk_p` SK_pi for the initiator and SK_pr for
/// the responder, and `id_body` the sender's ID payload body (type,
/// reserved bytes, data).
pub fn psk_auth(
    alg: Prf,
    psk: &[u8],
    message: &[u8],
    peer_nonce: &[u8],
    sk_p: &[u8],
    id_body: &[u8],
) -> SecretBytes {
    let maced_id = prf(alg, sk_p, &[id_body]);
    let pad_key = prf(alg, psk, &[KEY_PAD]);
    prf(
        alg,
        pad_key.expose(),
        &[message, peer_nonce, maced_id.expose()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prf_plus_is_prefix_stable_and_chained() {
        let long = prf_plus(Prf::HmacSha256, b"key", b"seed", 100);
        let short = prf_plus(Prf::HmacSha256, b"key", b"seed", 40);
        assert_eq!(&long.expose()[..40], short.expose());
        let t1 = prf(Prf::HmacSha256, b"key", &[b"seed", &[1]]);
        let t2 = prf(Prf::HmacSha256, b"key", &[t1.expose(), b"seed", &[2]]);
        assert_eq!(&long.expose()[..32], t1.expose());
        assert_eq!(&long.expose()[32..64], t2.expose());
    }

    #[test]
    fn rfc4231_hmac_sha256_case_2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
        let out = prf(
            Prf::HmacSha256,
            b"Jefe",
            &[b"what do ya want ", b"for nothing?"],
        );
        assert_eq!(
            hex::encode(out.expose()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
