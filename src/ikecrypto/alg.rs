//! The IKEv2 SK payload algorithms qcd can decrypt and build, named as
//! Wireshark's `ikev2_decryption_table` and strongSwan's save-keys plugin
//! name them.

use std::fmt;

/// AES block size; also the CBC IV length (RFC 3602).
pub const AES_BLOCK: usize = 16;
/// Explicit IV length of AES-GCM in IKEv2 (RFC 5282 §3.1).
pub const GCM_IV_LEN: usize = 8;
/// Salt appended to the AES-GCM key in SK_e (RFC 5282 §7.1).
pub const GCM_SALT_LEN: usize = 4;

/// An encryption algorithm for the SK payload (IKEv2 transform type 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncrAlg {
    /// AES-CBC (RFC 3602); `key_len` in octets: 16, 24 or 32.
    AesCbc { key_len: usize },
    /// AES-GCM (RFC 5282); `key_len` in octets (16, 24, 32, without the
    /// 4-octet salt), `icv_len` 8, 12 or 16.
    AesGcm { key_len: usize, icv_len: usize },
}

/// An integrity algorithm for the SK payload (IKEv2 transform type 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntegAlg {
    /// No separate integrity algorithm: required with AEAD ciphers (AES-GCM).
    None,
    /// HMAC-SHA1-96 (RFC 2404).
    HmacSha1_96,
    /// HMAC-SHA-256-128 (RFC 4868).
    HmacSha2_256_128,
    /// HMAC-SHA-384-192 (RFC 4868).
    HmacSha2_384_192,
    /// HMAC-SHA-512-256 (RFC 4868).
    HmacSha2_512_256,
}

const ENCR_NAMES: &[(&str, EncrAlg)] = &[
    ("AES-CBC-128 [RFC3602]", EncrAlg::AesCbc { key_len: 16 }),
    ("AES-CBC-192 [RFC3602]", EncrAlg::AesCbc { key_len: 24 }),
    ("AES-CBC-256 [RFC3602]", EncrAlg::AesCbc { key_len: 32 }),
    (
        "AES-GCM-128 with 8 octet ICV [RFC5282]",
        EncrAlg::AesGcm {
            key_len: 16,
            icv_len: 8,
        },
    ),
    (
        "AES-GCM-192 with 8 octet ICV [RFC5282]",
        EncrAlg::AesGcm {
            key_len: 24,
            icv_len: 8,
        },
    ),
    (
        "AES-GCM-256 with 8 octet ICV [RFC5282]",
        EncrAlg::AesGcm {
            key_len: 32,
            icv_len: 8,
        },
    ),
    (
        "AES-GCM-128 with 12 octet ICV [RFC5282]",
        EncrAlg::AesGcm {
            key_len: 16,
            icv_len: 12,
        },
    ),
    (
        "AES-GCM-192 with 12 octet ICV [RFC5282]",
        EncrAlg::AesGcm {
            key_len: 24,
            icv_len: 12,
        },
    ),
    (
        "AES-GCM-256 with 12 octet ICV [RFC5282]",
        EncrAlg::AesGcm {
            key_len: 32,
            icv_len: 12,
        },
    ),
    (
        "AES-GCM-128 with 16 octet ICV [RFC5282]",
        EncrAlg::AesGcm {
            key_len: 16,
            icv_len: 16,
        },
    ),
    (
        "AES-GCM-192 with 16 octet ICV [RFC5282]",
        EncrAlg::AesGcm {
            key_len: 24,
            icv_len: 16,
        },
    ),
    (
        "AES-GCM-256 with 16 octet ICV [RFC5282]",
        EncrAlg::AesGcm {
            key_len: 32,
            icv_len: 16,
        },
    ),
];

/// Names Wireshark knows but qcd cannot decrypt (so the error can say so).
const ENCR_KNOWN_UNSUPPORTED: &[&str] = &[
    "3DES [RFC2451]",
    "NULL [RFC2410]",
    "AES-CTR-128 [RFC5930]",
    "AES-CTR-192 [RFC5930]",
    "AES-CTR-256 [RFC5930]",
    "AES-CCM-128 with 8 octet ICV [RFC5282]",
    "AES-CCM-192 with 8 octet ICV [RFC5282]",
    "AES-CCM-256 with 8 octet ICV [RFC5282]",
    "AES-CCM-128 with 12 octet ICV [RFC5282]",
    "AES-CCM-192 with 12 octet ICV [RFC5282]",
    "AES-CCM-256 with 12 octet ICV [RFC5282]",
    "AES-CCM-128 with 16 octet ICV [RFC5282]",
    "AES-CCM-192 with 16 octet ICV [RFC5282]",
    "AES-CCM-256 with 16 octet ICV [RFC5282]",
];

const INTEG_NAMES: &[(&str, IntegAlg)] = &[
    ("NONE [RFC4306]", IntegAlg::None),
    ("HMAC_SHA1_96 [RFC2404]", IntegAlg::HmacSha1_96),
    ("HMAC_SHA2_256_128 [RFC4868]", IntegAlg::HmacSha2_256_128),
    ("HMAC_SHA2_384_192 [RFC4868]", IntegAlg::HmacSha2_384_192),
    ("HMAC_SHA2_512_256 [RFC4868]", IntegAlg::HmacSha2_512_256),
];

const INTEG_KNOWN_UNSUPPORTED: &[&str] = &[
    "HMAC_MD5_96 [RFC2403]",
    "HMAC_MD5_128 [RFC4595]",
    "HMAC_SHA1_160 [RFC4595]",
    "HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]",
    "DES_MAC",
    "KPDK_MD5",
    "AES_XCBC_96 [RFC3566]",
];

/// How a name from a key table matched (or did not match) the algorithm lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameLookup<T> {
    Supported(T),
    /// Wireshark knows it, qcd cannot decrypt it.
    Unsupported,
    Unknown,
}

impl EncrAlg {
    /// The exact name Wireshark's key table uses, e.g. `AES-CBC-256 [RFC3602]`.
    pub fn wireshark_name(&self) -> &'static str {
        ENCR_NAMES
            .iter()
            .find(|(_, a)| a == self)
            .map(|(n, _)| *n)
            .unwrap_or("(unsupported)")
    }

    /// Looks up a Wireshark name (exact spelling, surrounding whitespace ignored).
    pub fn from_wireshark_name(name: &str) -> NameLookup<EncrAlg> {
        let name = name.trim();
        if let Some((_, a)) = ENCR_NAMES.iter().find(|(n, _)| *n == name) {
            NameLookup::Supported(*a)
        } else if ENCR_KNOWN_UNSUPPORTED.contains(&name) {
            NameLookup::Unsupported
        } else {
            NameLookup::Unknown
        }
    }

    /// Every supported encryption algorithm, in table order.
    pub fn all() -> impl Iterator<Item = EncrAlg> {
        ENCR_NAMES.iter().map(|(_, a)| *a)
    }

    /// The supported names, for error messages and documentation.
    pub fn supported_names() -> Vec<&'static str> {
        ENCR_NAMES.iter().map(|(n, _)| *n).collect()
    }

    /// Whether this is an AEAD cipher (integrity must then be NONE).
    pub fn is_aead(&self) -> bool {
        matches!(self, EncrAlg::AesGcm { .. })
    }

    /// Length of SK_ei / SK_er in octets (AES key plus salt for GCM).
    pub fn sk_e_len(&self) -> usize {
        match *self {
            EncrAlg::AesCbc { key_len } => key_len,
            EncrAlg::AesGcm { key_len, .. } => key_len + GCM_SALT_LEN,
        }
    }

    /// Length of the IV at the start of the SK payload body.
    pub fn iv_len(&self) -> usize {
        match self {
            EncrAlg::AesCbc { .. } => AES_BLOCK,
            EncrAlg::AesGcm { .. } => GCM_IV_LEN,
        }
    }

    /// The ciphertext must be a multiple of this (1 for GCM, a stream mode).
    pub fn block_len(&self) -> usize {
        match self {
            EncrAlg::AesCbc { .. } => AES_BLOCK,
            EncrAlg::AesGcm { .. } => 1,
        }
    }
}

impl fmt::Display for EncrAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wireshark_name())
    }
}

impl IntegAlg {
    /// The exact name Wireshark's key table uses, e.g. `HMAC_SHA2_256_128 [RFC4868]`.
    pub fn wireshark_name(&self) -> &'static str {
        INTEG_NAMES
            .iter()
            .find(|(_, a)| a == self)
            .map(|(n, _)| *n)
            .unwrap_or("(unsupported)")
    }

    /// Looks up a Wireshark name (exact spelling, surrounding whitespace ignored).
    pub fn from_wireshark_name(name: &str) -> NameLookup<IntegAlg> {
        let name = name.trim();
        if let Some((_, a)) = INTEG_NAMES.iter().find(|(n, _)| *n == name) {
            NameLookup::Supported(*a)
        } else if INTEG_KNOWN_UNSUPPORTED.contains(&name) {
            NameLookup::Unsupported
        } else {
            NameLookup::Unknown
        }
    }

    /// Every supported integrity algorithm, in table order.
    pub fn all() -> impl Iterator<Item = IntegAlg> {
        INTEG_NAMES.iter().map(|(_, a)| *a)
    }

    /// The supported names, for error messages and documentation.
    pub fn supported_names() -> Vec<&'static str> {
        INTEG_NAMES.iter().map(|(n, _)| *n).collect()
    }

    /// Length of SK_ai / SK_ar in octets (the HMAC's output length, RFC 7296 §2.14).
    pub fn sk_a_len(&self) -> usize {
        match self {
            IntegAlg::None => 0,
            IntegAlg::HmacSha1_96 => 20,
            IntegAlg::HmacSha2_256_128 => 32,
            IntegAlg::HmacSha2_384_192 => 48,
            IntegAlg::HmacSha2_512_256 => 64,
        }
    }

    /// Length of the truncated ICV at the end of the SK payload.
    pub fn icv_len(&self) -> usize {
        match self {
            IntegAlg::None => 0,
            IntegAlg::HmacSha1_96 => 12,
            IntegAlg::HmacSha2_256_128 => 16,
            IntegAlg::HmacSha2_384_192 => 24,
            IntegAlg::HmacSha2_512_256 => 32,
        }
    }
}

impl fmt::Display for IntegAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wireshark_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in EncrAlg::all() {
            assert_eq!(
                EncrAlg::from_wireshark_name(a.wireshark_name()),
                NameLookup::Supported(a)
            );
        }
        for a in IntegAlg::all() {
            assert_eq!(
                IntegAlg::from_wireshark_name(a.wireshark_name()),
                NameLookup::Supported(a)
            );
        }
        assert_eq!(EncrAlg::all().count(), 12);
        assert_eq!(IntegAlg::all().count(), 5);
    }

    #[test]
    fn lookups_are_exact() {
        assert_eq!(
            EncrAlg::from_wireshark_name("AES-CBC-256"),
            NameLookup::Unknown
        );
        assert_eq!(
            EncrAlg::from_wireshark_name("3DES [RFC2451]"),
            NameLookup::Unsupported
        );
        assert_eq!(
            IntegAlg::from_wireshark_name("HMAC_MD5_96 [RFC2403]"),
            NameLookup::Unsupported
        );
        assert_eq!(
            EncrAlg::from_wireshark_name(" AES-GCM-256 with 8 octet ICV [RFC5282] "),
            NameLookup::Supported(EncrAlg::AesGcm {
                key_len: 32,
                icv_len: 8
            })
        );
    }

    #[test]
    fn lengths() {
        let gcm = EncrAlg::AesGcm {
            key_len: 24,
            icv_len: 12,
        };
        assert_eq!(gcm.sk_e_len(), 28);
        assert_eq!(gcm.iv_len(), 8);
        assert_eq!(EncrAlg::AesCbc { key_len: 32 }.sk_e_len(), 32);
        assert_eq!(IntegAlg::HmacSha2_384_192.sk_a_len(), 48);
        assert_eq!(IntegAlg::HmacSha2_384_192.icv_len(), 24);
    }
}
