//! What the initiator proposes in IKE_SA_INIT and what it accepts back: the
//! IKE SA's encryption, integrity, PRF and Diffie-Hellman group, mapped to
//! the IANA transform IDs (`crate::wire::sa`) and to the SK payload
//! algorithms of `crate::ikecrypto`.
//!
//! Offered (what gateways commonly accept, and what every current
//! strongSwan, libreswan and Rockhopper default includes):
//! 1. AES-GCM-16 with a 256- or 128-bit key, PRF HMAC-SHA2-256/384/512;
//! 2. AES-CBC-256/128 with HMAC-SHA2-256-128, -384-192, -512-256 or
//!    HMAC-SHA1-96, PRF HMAC-SHA2-256/384/512 or HMAC-SHA1;
//!
//! both with Curve25519 and MODP-2048 (the KE payload's group first).

use super::dh;
use super::InitError;
use crate::ikecrypto::{EncrAlg, IntegAlg};
use crate::wire::sa::{AttributeType, AttributeValue, EncrId, IntegId, PrfId};
use crate::wire::{DhGroup, ProposalRepr, ProtocolId, SaRepr, TransformRepr, TransformType};

/// A pseudorandom function qcd can compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prf {
    HmacSha1,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl Prf {
    /// Output (and preferred key) length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Prf::HmacSha1 => 20,
            Prf::HmacSha256 => 32,
            Prf::HmacSha384 => 48,
            Prf::HmacSha512 => 64,
        }
    }

    pub fn id(self) -> PrfId {
        match self {
            Prf::HmacSha1 => PrfId::HMAC_SHA1,
            Prf::HmacSha256 => PrfId::HMAC_SHA2_256,
            Prf::HmacSha384 => PrfId::HMAC_SHA2_384,
            Prf::HmacSha512 => PrfId::HMAC_SHA2_512,
        }
    }

    pub fn from_id(id: u16) -> Option<Prf> {
        [
            Prf::HmacSha1,
            Prf::HmacSha256,
            Prf::HmacSha384,
            Prf::HmacSha512,
        ]
        .into_iter()
        .find(|p| p.id().0 == id)
    }

    /// The name the test scripts and JSON use, e.g. `hmac-sha256`.
    pub fn name(self) -> &'static str {
        match self {
            Prf::HmacSha1 => "hmac-sha1",
            Prf::HmacSha256 => "hmac-sha256",
            Prf::HmacSha384 => "hmac-sha384",
            Prf::HmacSha512 => "hmac-sha512",
        }
    }
}

/// The transforms of one IKE SA, as the responder chose them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    /// ENCR transform ID (AES-CBC or AES-GCM-16) and key length in bits.
    pub encr: EncrId,
    pub key_bits: u16,
    /// INTEG transform ID (NONE with AES-GCM).
    pub integ: IntegId,
    pub prf: Prf,
    pub group: DhGroup,
}

const INTEGS: [IntegId; 4] = [
    IntegId::HMAC_SHA2_256_128,
    IntegId::HMAC_SHA2_384_192,
    IntegId::HMAC_SHA2_512_256,
    IntegId::HMAC_SHA1_96,
];
const SHA2_PRFS: [Prf; 3] = [Prf::HmacSha256, Prf::HmacSha384, Prf::HmacSha512];

impl Suite {
    /// The SK payload cipher.
    pub fn encr(&self) -> EncrAlg {
        let key_len = usize::from(self.key_bits / 8);
        if self.encr == EncrId::AES_GCM_16 {
            EncrAlg::AesGcm {
                key_len,
                icv_len: 16,
            }
        } else {
            EncrAlg::AesCbc { key_len }
        }
    }

    /// The SK payload integrity algorithm (NONE with AES-GCM).
    pub fn integ(&self) -> IntegAlg {
        match self.integ {
            IntegId::HMAC_SHA1_96 => IntegAlg::HmacSha1_96,
            IntegId::HMAC_SHA2_256_128 => IntegAlg::HmacSha2_256_128,
            IntegId::HMAC_SHA2_384_192 => IntegAlg::HmacSha2_384_192,
            IntegId::HMAC_SHA2_512_256 => IntegAlg::HmacSha2_512_256,
            _ => IntegAlg::None,
        }
    }

    /// A short description, e.g. `AES-GCM-16-256/PRF_HMAC_SHA2_256/CURVE_25519`.
    pub fn describe(&self) -> String {
        let encr = if self.encr == EncrId::AES_GCM_16 {
            "AES-GCM-16"
        } else {
            "AES-CBC"
        };
        let mut s = format!("{encr}-{}", self.key_bits);
        if self.integ != IntegId::NONE {
            s.push('/');
            s.push_str(self.integ.name().unwrap_or("?").trim_start_matches("AUTH_"));
        }
        s.push('/');
        s.push_str(self.prf.id().name().unwrap_or("?"));
        s.push('/');
        s.push_str(&self.group.to_string());
        s
    }

    /// Checks the responder's SA payload: one IKE proposal holding one
    /// transform of each type, each one that qcd offered.
    pub fn from_response(sa: &SaRepr) -> Result<Suite, InitError> {
        let bad = |reason: String| InitError::BadProposal { reason };
        let [p] = sa.proposals.as_slice() else {
            return Err(bad(format!(
                "the responder's SA payload holds {} proposals, RFC 7296 §3.3 wants exactly one",
                sa.proposals.len()
            )));
        };
        if p.protocol_id != ProtocolId::IKE {
            return Err(bad(format!(
                "its proposal is for protocol {}",
                p.protocol_id
            )));
        }
        let one = |t: TransformType| -> Result<Option<&TransformRepr>, InitError> {
            let mut it = p.transforms.iter().filter(|x| x.transform_type == t);
            let first = it.next();
            if it.next().is_some() {
                return Err(bad(format!("it chose more than one {t} transform")));
            }
            Ok(first)
        };
        let encr =
            one(TransformType::ENCR)?.ok_or_else(|| bad("no encryption transform".into()))?;
        let prf = one(TransformType::PRF)?.ok_or_else(|| bad("no PRF transform".into()))?;
        let group =
            one(TransformType::DH)?.ok_or_else(|| bad("no key exchange transform".into()))?;
        let integ = one(TransformType::INTEG)?;
        let key_bits = key_length(encr).unwrap_or(0);
        let encr_id = EncrId(encr.id);
        let integ_id = integ.map_or(IntegId::NONE, |t| IntegId(t.id));
        let suite = Suite {
            encr: encr_id,
            key_bits,
            integ: integ_id,
            prf: Prf::from_id(prf.id).ok_or_else(|| {
                bad(format!(
                    "PRF {} was not offered",
                    PrfId(prf.id).name().unwrap_or("?")
                ))
            })?,
            group: DhGroup(group.id),
        };
        let offered = offer().iter().any(|o| o.allows(&suite));
        if !offered {
            return Err(bad(format!(
                "it chose {}, which qcd did not offer",
                suite.describe()
            )));
        }
        Ok(suite)
    }
}

fn key_length(t: &TransformRepr) -> Option<u16> {
    t.attributes.iter().find_map(|a| match a.value {
        AttributeValue::Tv(bits) if a.attr_type == AttributeType::KEY_LENGTH => Some(bits),
        _ => None,
    })
}

/// One offered proposal: the sets it allows.
struct Offer {
    encr: EncrId,
    key_bits: &'static [u16],
    integs: &'static [IntegId],
    prfs: &'static [Prf],
}

impl Offer {
    fn allows(&self, s: &Suite) -> bool {
        self.encr == s.encr
            && self.key_bits.contains(&s.key_bits)
            && self.integs.contains(&s.integ)
            && self.prfs.contains(&s.prf)
            && dh::supported(s.group)
    }
}

fn offer() -> [Offer; 2] {
    const ALL_PRFS: [Prf; 4] = [
        Prf::HmacSha256,
        Prf::HmacSha384,
        Prf::HmacSha512,
        Prf::HmacSha1,
    ];
    [
        Offer {
            encr: EncrId::AES_GCM_16,
            key_bits: &[256, 128],
            integs: &[IntegId::NONE],
            prfs: &SHA2_PRFS,
        },
        Offer {
            encr: EncrId::AES_CBC,
            key_bits: &[256, 128],
            integs: &INTEGS,
            prfs: &ALL_PRFS,
        },
    ]
}

/// The SA payload of the IKE_SA_INIT request: the two proposals above,
/// `group` (the KE payload's) first among the groups.
pub fn proposal(group: DhGroup) -> SaRepr {
    let mut groups = vec![group];
    groups.extend(dh::SUPPORTED_GROUPS.iter().copied().filter(|g| *g != group));
    let proposals = offer()
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let mut transforms: Vec<TransformRepr> = o
                .key_bits
                .iter()
                .map(|bits| TransformRepr::with_key_length(TransformType::ENCR, o.encr.0, *bits))
                .collect();
            transforms.extend(
                o.prfs
                    .iter()
                    .map(|p| TransformRepr::new(TransformType::PRF, p.id().0)),
            );
            transforms.extend(
                o.integs
                    .iter()
                    .filter(|i| **i != IntegId::NONE)
                    .map(|i| TransformRepr::new(TransformType::INTEG, i.0)),
            );
            transforms.extend(
                groups
                    .iter()
                    .map(|g| TransformRepr::new(TransformType::DH, g.0)),
            );
            ProposalRepr {
                number: u8::try_from(i + 1).unwrap_or(1),
                protocol_id: ProtocolId::IKE,
                spi: Vec::new(),
                transforms,
            }
        })
        .collect();
    SaRepr { proposals }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offered_single_choice_is_accepted_and_others_refused() {
        let sa = proposal(DhGroup::MODP_2048);
        assert_eq!(sa.proposals.len(), 2);
        assert_eq!(
            sa.proposals[0]
                .transforms
                .iter()
                .find(|t| t.transform_type == TransformType::DH)
                .unwrap()
                .id,
            14
        );
        let chosen = |encr: u16, bits: u16, integ: Option<u16>, prf: u16, dh: u16| SaRepr {
            proposals: vec![ProposalRepr {
                number: 1,
                protocol_id: ProtocolId::IKE,
                spi: Vec::new(),
                transforms: [
                    Some(TransformRepr::with_key_length(
                        TransformType::ENCR,
                        encr,
                        bits,
                    )),
                    Some(TransformRepr::new(TransformType::PRF, prf)),
                    integ.map(|i| TransformRepr::new(TransformType::INTEG, i)),
                    Some(TransformRepr::new(TransformType::DH, dh)),
                ]
                .into_iter()
                .flatten()
                .collect(),
            }],
        };
        let s = Suite::from_response(&chosen(20, 256, None, 5, 31)).unwrap();
        assert_eq!(
            s.encr(),
            EncrAlg::AesGcm {
                key_len: 32,
                icv_len: 16
            }
        );
        assert_eq!(s.integ(), IntegAlg::None);
        let s = Suite::from_response(&chosen(12, 128, Some(12), 7, 14)).unwrap();
        assert_eq!(s.encr(), EncrAlg::AesCbc { key_len: 16 });
        assert_eq!(s.integ(), IntegAlg::HmacSha2_256_128);
        assert_eq!(s.prf, Prf::HmacSha512);
        // not offered: GCM with SHA-1 PRF, 3DES, an integrity with GCM, ECP-256
        assert!(Suite::from_response(&chosen(20, 256, None, 2, 31)).is_err());
        assert!(Suite::from_response(&chosen(3, 192, Some(12), 5, 31)).is_err());
        assert!(Suite::from_response(&chosen(20, 256, Some(12), 5, 31)).is_err());
        assert!(Suite::from_response(&chosen(12, 256, Some(12), 5, 19)).is_err());
        assert!(Suite::from_response(&SaRepr { proposals: vec![] }).is_err());
    }
}
