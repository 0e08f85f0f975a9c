//! IKEv2 SK payload cryptography for reading captures: the key formats
//! ([`keys`]: the key table that Wireshark and strongSwan's save-keys plugin
//! write, and the key logs of tcpdump, libreswan and strongSwan's charon),
//! the algorithms ([`alg`]), and checking/decrypting (and, for building test
//! fixtures, encrypting) one SK payload ([`sk`]).
//!
//! For: showing what a gateway put inside IKE_AUTH (e.g. its QCD_TOKEN) when
//! the operator has the SA's keys. Not for: deriving keys (no Diffie-Hellman
//! or prf+), IKE payload parsing (the wire module supplies offsets),
//! ESP, IKEv1, or SKF fragments reassembly.

pub mod alg;
pub mod convert;
pub mod keys;
pub mod seal;
pub mod sk;

pub use alg::{EncrAlg, IntegAlg};
pub use keys::{KeyFormat, KeyTable, KeyTableError, KeyWarning, SkipKind};
pub use seal::{seal, SealError, SealHeader};
pub use sk::{body_len, decrypt, encrypt, open, Integrity, Opened, SaKeys};

/// Why an SK payload could not be checked, decrypted or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("integrity check failed: wrong SK_a/SK_e for this SA or the message was altered (--ignore-icv shows the decryption anyway, unauthenticated)")]
    Integrity,
    #[error("SK payload body at byte {body_start} is {body_len} bytes, shorter than the IV ({iv_len}) + one cipher block ({block}) + the ICV ({icv_len}) that {alg} needs: the message is truncated or the key table names the wrong algorithm")]
    Truncated {
        body_start: usize,
        body_len: usize,
        iv_len: usize,
        block: usize,
        icv_len: usize,
        alg: EncrAlg,
    },
    #[error("ciphertext at byte {offset} is {ciphertext_len} bytes, not a multiple of the {block}-byte cipher block: the message is truncated or the key table names the wrong algorithm")]
    NotBlockMultiple {
        offset: usize,
        ciphertext_len: usize,
        block: usize,
    },
    #[error(
        "SK payload body offset {body_start} is past the end of the {message_len}-byte message"
    )]
    BodyStart {
        body_start: usize,
        message_len: usize,
    },
    #[error("bad padding after decryption: pad length octet says {pad_len} but only {padded_len} bytes were decrypted (the ICV matched, so either SK_e in the key table is wrong while SK_a is right, or the sender built a malformed SK payload)")]
    BadPadding { pad_len: usize, padded_len: usize },
    #[error("{field} is {found} bytes but {alg} needs {expected}")]
    KeyLength {
        field: &'static str,
        expected: usize,
        found: usize,
        alg: &'static str,
    },
    #[error("encryption {encr} cannot be used with integrity {integ}: an AEAD cipher (AES-GCM, AES-CCM, ChaCha20-Poly1305) needs \"NONE [RFC4306]\"")]
    AlgorithmMix { encr: EncrAlg, integ: IntegAlg },
    #[error("IV is {found} bytes but {alg} needs {expected}")]
    IvLength {
        expected: usize,
        found: usize,
        alg: EncrAlg,
    },
    #[error("{what} failed (internal error: key or buffer size rejected by the cipher)")]
    CipherFailure { what: &'static str },
}
