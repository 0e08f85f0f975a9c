//! A digest of one IKE message: what the diagnosis and the capture summary
//! need, read straight from the wire views (and, with keys, from the
//! decrypted SK payload) without building the full decode. Kept small, since
//! a busy concentrator's capture holds hundreds of thousands of messages.

use crate::ikecrypto::{self, CryptoError, KeyTable};
use crate::spi::{Spi, SpiPair};
use crate::wire::{
    self, ExchangeType, Header, NotifyType, PayloadIter, PayloadType, ProtocolId, WireError,
};
use thin_vec::ThinVec;

/// Which notifies a digest keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The QCD ones (with their data), errors, and every notify type inside
    /// SK: what the diagnosis reads.
    Essential,
    /// Every notify (data only for the QCD ones): for summaries that list
    /// notify types.
    AllTypes,
}

/// One notify payload, outside or (decrypted) inside SK. The diagnosis
/// keeps the SPI and data of the notify types it reads (QCD_TOKEN,
/// INVALID_SPI, INVALID_IKE_SPI); of the others only the type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySummary {
    pub notify_type: NotifyType,
    pub protocol_id: ProtocolId,
    pub spi: Vec<u8>,
    pub data: Vec<u8>,
}

/// A Delete payload found inside SK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteSummary {
    /// IKE, AH or ESP.
    pub protocol_id: ProtocolId,
    /// Number of SPIs listed (0 for the IKE SA itself).
    pub spis: u16,
}

/// Why an SK payload could not be read with the key table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptFailure {
    /// The key table has keys for this SA but they do not fit (integrity
    /// check failed, bad padding, wrong lengths); `false` when the table
    /// simply has no line for the SA.
    pub wrong_keys: bool,
    /// The explanation, naming the likely wrong key (SK_a or SK_e).
    pub text: String,
}

/// A set of payload types, without allocating: bits for types 32 to 62
/// (every assigned IKEv2 payload type), one bit for any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PayloadSet(u64);

impl PayloadSet {
    const OTHER: u32 = 63;

    fn bit(t: PayloadType) -> u32 {
        if (32..63).contains(&t.0) {
            u32::from(t.0) - 32
        } else {
            Self::OTHER
        }
    }

    pub fn insert(&mut self, t: PayloadType) {
        self.0 |= 1 << Self::bit(t);
    }

    pub fn contains(&self, t: PayloadType) -> bool {
        self.0 & (1 << Self::bit(t)) != 0
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The types present (an unassigned type shows as 255).
    pub fn iter(&self) -> impl Iterator<Item = PayloadType> + '_ {
        (0..64u32).filter(|b| self.0 & (1 << b) != 0).map(|b| {
            PayloadType(if b == Self::OTHER {
                255
            } else {
                (b + 32) as u8
            })
        })
    }
}

/// What the diagnosis needs of one IKE message. Kept small (a capture of a
/// busy concentrator holds hundreds of thousands): what few messages carry
/// sits behind [`IkeSummary::rare`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IkeSummary {
    pub spis: SpiPair,
    pub message_id: u32,
    /// Length of the SK payload body (IV, ciphertext, ICV), when present.
    pub sk_body_len: Option<u32>,
    pub exchange: ExchangeType,
    pub initiator: bool,
    pub response: bool,
    /// Type of the first payload (Next Payload of the header).
    pub first_payload: PayloadType,
    /// Whether the message has an SK (or SKF) payload.
    pub encrypted: bool,
    /// Types of the payloads found inside SK after decryption, other than
    /// the notifies kept in `inner_notifies` and Delete.
    pub inner_other: PayloadSet,
    /// Notifies outside any SK payload (readable without keys). Thin
    /// vectors (one pointer, length and capacity on the heap): most
    /// messages have none, and the diagnosis keeps up to 288 digests per
    /// IKE SA.
    pub notifies: ThinVec<NotifySummary>,
    /// Notifies found inside SK after decryption; `None` when not decrypted.
    pub inner_notifies: Option<ThinVec<NotifySummary>>,
    /// Vendor IDs, Delete payloads, decryption failures, rekey SPIs.
    pub rare: Option<Box<Rare>>,
}

/// The encryption and integrity an IKE SA negotiated (the IKE_SA_INIT
/// response's proposal), enough to know how large an empty SK payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    /// ENCR transform ID and key length in bits (0 when absent).
    pub encr: u16,
    pub key_bits: u16,
    /// INTEG transform ID (0: none, as with AEAD ciphers).
    pub integ: u16,
}

impl Suite {
    /// (IV, cipher block, ICV) lengths in octets, when the IDs are known
    /// (RFC 7296, RFC 5282, RFC 5930, RFC 7634, RFC 4868 and friends).
    pub fn overhead(&self) -> Option<(usize, usize, usize)> {
        let icv_integ = match self.integ {
            0 => 0,
            1 | 2 | 5 => 12, // HMAC_MD5_96, HMAC_SHA1_96, AES_XCBC_96
            6 | 12 => 16,    // HMAC_MD5_128, HMAC_SHA2_256_128
            7 => 20,         // HMAC_SHA1_160
            13 => 24,        // HMAC_SHA2_384_192
            14 => 32,        // HMAC_SHA2_512_256
            _ => return None,
        };
        Some(match self.encr {
            11 => (0, 1, icv_integ),    // NULL
            3 => (8, 8, icv_integ),     // 3DES
            12 => (16, 16, icv_integ),  // AES-CBC
            13 => (8, 1, icv_integ),    // AES-CTR
            14 | 18 => (8, 1, 8),       // AES-CCM/GCM, 8-octet ICV
            15 | 19 => (8, 1, 12),      // 12-octet ICV
            16 | 20 | 28 => (8, 1, 16), // 16-octet ICV, ChaCha20-Poly1305
            _ => return None,
        })
    }

    /// The SK body length of an empty SK payload under this suite.
    pub fn empty_body_len(&self) -> Option<usize> {
        let (iv, block, icv) = self.overhead()?;
        // The Pad Length octet alone, padded to one block.
        Some(iv + block + icv)
    }

    /// A short name, e.g. "ENCR 12/256, INTEG 12".
    pub fn describe(&self) -> String {
        let encr = wire::sa::EncrId(self.encr)
            .name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("ENCR {}", self.encr));
        let encr = if self.key_bits != 0 {
            format!("{encr}-{}", self.key_bits)
        } else {
            encr
        };
        match self.integ {
            0 => encr,
            i => format!(
                "{encr} with {}",
                wire::sa::IntegId(i)
                    .name()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("INTEG {i}"))
            ),
        }
    }
}

/// The parts of an IKE message few messages have.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rare {
    /// Vendor ID payloads outside SK (IKE_SA_INIT), raw.
    pub vendor_ids: Vec<Vec<u8>>,
    /// Delete payloads found inside SK after decryption.
    pub inner_deletes: Vec<DeleteSummary>,
    /// Why SK could not be decrypted, if it was tried.
    pub decrypt_error: Option<DecryptFailure>,
    /// In an IKE_SA_INIT response: the suite the responder chose.
    pub negotiated: Option<Suite>,
    /// The SK payload was decrypted without an integrity check (the key
    /// table says "[No Checking]" or NONE): its content is unauthenticated,
    /// and wrong keys would give garbage rather than an error.
    pub unverified: bool,
    /// In a decrypted CREATE_CHILD_SA that rekeys the IKE SA: the SPI its
    /// sender chose for the new IKE SA (from the SA payload's IKE proposal).
    pub new_ike_spi: Option<Spi>,
    /// In a decrypted IKE_AUTH: the IDi and IDr payloads' bodies (ID type,
    /// reserved bytes and data), the peers' identities.
    pub identities: [Option<Vec<u8>>; 2],
}

impl IkeSummary {
    pub fn notify(&self, t: NotifyType) -> Option<&NotifySummary> {
        self.notifies.iter().find(|n| n.notify_type == t)
    }

    /// An unprotected INVALID_SPI: a host that lost its SAs (a rebooted
    /// gateway) answering ESP or IKE it cannot read, in a message of SPIs of
    /// its own. When its SPIs are new, it names no IKE SA anybody set up:
    /// [`crate::ikesa::SaIndex::place_notice`] places it without displacing
    /// the IKE SA in force between its hosts.
    pub fn is_orphan_notice(&self) -> bool {
        !self.encrypted && self.notify(NotifyType::INVALID_SPI).is_some()
    }

    /// The rare parts, created on first use.
    pub fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Default::default)
    }

    pub fn vendor_ids(&self) -> &[Vec<u8>] {
        self.rare.as_deref().map_or(&[], |r| &r.vendor_ids)
    }

    pub fn inner_deletes(&self) -> &[DeleteSummary] {
        self.rare.as_deref().map_or(&[], |r| &r.inner_deletes)
    }

    pub fn decrypt_error(&self) -> Option<&DecryptFailure> {
        self.rare.as_deref().and_then(|r| r.decrypt_error.as_ref())
    }

    /// Whether the decrypted content was not authenticated (see [`Rare::unverified`]).
    pub fn unverified(&self) -> bool {
        self.rare.as_deref().is_some_and(|r| r.unverified)
    }

    pub fn negotiated(&self) -> Option<Suite> {
        self.rare.as_deref().and_then(|r| r.negotiated)
    }

    pub fn new_ike_spi(&self) -> Option<Spi> {
        self.rare.as_deref().and_then(|r| r.new_ike_spi)
    }

    /// The IDi and IDr payload bodies of a decrypted IKE_AUTH, when present.
    pub fn identities(&self) -> [Option<&[u8]>; 2] {
        match self.rare.as_deref() {
            Some(r) => [r.identities[0].as_deref(), r.identities[1].as_deref()],
            None => [None, None],
        }
    }

    /// Whether the decrypted SK payload was empty (`Some(false)` when it held
    /// something, `None` when not decrypted).
    pub fn inner_empty(&self) -> Option<bool> {
        self.inner_notifies
            .as_ref()
            .map(|n| n.is_empty() && self.inner_deletes().is_empty() && self.inner_other.is_empty())
    }
}

/// Whether the diagnosis keeps a notify's SPI and data (else only its type).
fn keeps_data(t: NotifyType) -> bool {
    matches!(
        t,
        NotifyType::QCD_TOKEN | NotifyType::INVALID_SPI | NotifyType::INVALID_IKE_SPI
    )
}

/// Whether the diagnosis keeps a notify at all: the QCD ones, errors, and
/// inside SK the NAT detection notifies (a MOBIKE liveness check).
fn keeps(t: NotifyType, inner: bool, keep: Keep) -> bool {
    // Inside SK (read only with keys) every type is kept, to name what an
    // INFORMATIONAL request carries.
    keep == Keep::AllTypes || keeps_data(t) || t.is_error() || inner
}

fn notify_summary(p: &wire::Payload<'_>) -> Result<NotifySummary, WireError> {
    let n = p.notify()?;
    let t = n.notify_type();
    Ok(NotifySummary {
        notify_type: t,
        protocol_id: n.protocol_id(),
        spi: if keeps_data(t) {
            n.spi().to_vec()
        } else {
            Vec::new()
        },
        data: if keeps_data(t) {
            n.data().to_vec()
        } else {
            Vec::new()
        },
    })
}

/// What the diagnosis needs of one IKE message, read from the wire views
/// without building the full decode. Payloads are read up to the first
/// fault; the fault, if any, comes back beside the summary. Only a message
/// whose header does not parse is an error.
pub fn summarize(
    bytes: &[u8],
    keys: Option<&KeyTable>,
    keep: Keep,
) -> Result<(IkeSummary, Option<WireError>), WireError> {
    let h = Header::new_checked(bytes)?;
    h.check_message()?;
    let spis = SpiPair::new(h.spi_i(), h.spi_r());
    let flags = h.flags();
    let mut m = IkeSummary {
        spis,
        exchange: h.exchange_type(),
        initiator: flags.initiator(),
        response: flags.response(),
        message_id: h.message_id(),
        first_payload: h.next_payload(),
        ..IkeSummary::default()
    };
    let mut damage = None;
    for p in h.payloads() {
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                damage = Some(e);
                break;
            }
        };
        match p.payload_type() {
            PayloadType::NOTIFY => match notify_summary(&p) {
                Ok(n) if keeps(n.notify_type, false, keep) => m.notifies.push(n),
                Ok(_) => {}
                Err(e) => {
                    damage = Some(e);
                    break;
                }
            },
            PayloadType::SA if m.exchange == ExchangeType::IKE_SA_INIT && m.response => {
                m.rare_mut().negotiated = negotiated(p.body());
            }
            PayloadType::VENDOR_ID if m.vendor_ids().len() < 16 => {
                m.rare_mut().vendor_ids.push(p.body().to_vec());
            }
            PayloadType::SK => {
                m.encrypted = true;
                m.sk_body_len = Some(p.body().len() as u32);
                if let Some(table) = keys {
                    open_sk(bytes, &p, table, &mut m, keep);
                }
            }
            PayloadType::SKF => {
                m.encrypted = true;
                m.sk_body_len = Some(p.body().len().saturating_sub(4) as u32);
            }
            _ => {}
        }
    }
    Ok((m, damage))
}

/// The suite of the first IKE proposal in an SA payload body.
fn negotiated(body: &[u8]) -> Option<Suite> {
    let q = wire::sa::proposals(body, 0)
        .filter_map(Result::ok)
        .find(|q| q.protocol_id == ProtocolId::IKE)?;
    let mut suite = Suite {
        encr: 0,
        key_bits: 0,
        integ: 0,
    };
    let mut encr = false;
    for t in q.transforms_iter().filter_map(Result::ok) {
        match t.transform_type {
            wire::sa::TransformType::ENCR => {
                suite.encr = t.id;
                suite.key_bits = t.key_length().unwrap_or(0);
                encr = true;
            }
            wire::sa::TransformType::INTEG => suite.integ = t.id,
            _ => {}
        }
    }
    encr.then_some(suite)
}

/// Why decryption failed, in words that name the likely wrong key.
fn explain(e: &CryptoError, keys: &ikecrypto::SaKeys, from_initiator: bool) -> String {
    let who = if from_initiator { 'i' } else { 'r' };
    match e {
        CryptoError::Integrity if keys.encr.is_aead() => format!(
            "integrity check failed: SK_e{who} (the AEAD key and salt) in the key table is wrong for this SA, or the message was altered"
        ),
        CryptoError::Integrity => format!(
            "integrity check failed: SK_a{who} in the key table is wrong for this SA (the ICV is computed with it alone), or the message was altered"
        ),
        CryptoError::BadPadding { .. } => format!(
            "the ICV matched but the padding is wrong: SK_e{who} in the key table is wrong while SK_a{who} is right"
        ),
        other => other.to_string(),
    }
}

fn open_sk(bytes: &[u8], sk: &wire::Payload<'_>, table: &KeyTable, m: &mut IkeSummary, keep: Keep) {
    let Some(keys) = table.get(&m.spis) else {
        m.rare_mut().decrypt_error = Some(DecryptFailure {
            wrong_keys: false,
            text: format!(
                "no key table line for SPI-I {} SPI-R {}",
                m.spis.initiator, m.spis.responder
            ),
        });
        return;
    };
    let plain = match ikecrypto::open(keys, m.initiator, bytes, sk.body_offset(), false) {
        Ok(o) => {
            if !o.integrity.is_verified() {
                m.rare_mut().unverified = true;
            }
            o.plaintext
        }
        Err(e) => {
            m.rare_mut().decrypt_error = Some(DecryptFailure {
                wrong_keys: true,
                text: explain(&e, keys, m.initiator),
            });
            return;
        }
    };
    let mut notifies = ThinVec::new();
    for p in PayloadIter::new(plain.expose(), sk.next_payload(), 0) {
        let Ok(p) = p else { break };
        match p.payload_type() {
            PayloadType::NOTIFY => match notify_summary(&p) {
                Ok(n) if keeps(n.notify_type, true, keep) => notifies.push(n),
                // Other notifies are only named by their payload type.
                Ok(_) => m.inner_other.insert(PayloadType::NOTIFY),
                Err(_) => break,
            },
            PayloadType::DELETE => {
                if let Ok(d) = wire::delete::Delete::new_checked(p.body()) {
                    m.rare_mut().inner_deletes.push(DeleteSummary {
                        protocol_id: d.protocol_id(),
                        spis: d.spi_count(),
                    });
                }
            }
            PayloadType::SA => {
                m.inner_other.insert(p.payload_type());
                if m.new_ike_spi().is_none() {
                    m.rare_mut().new_ike_spi = wire::sa::proposals(p.body(), 0)
                        .filter_map(Result::ok)
                        .find(|q| q.protocol_id == ProtocolId::IKE && q.spi.len() == 8)
                        .and_then(|q| q.spi.try_into().ok().map(Spi));
                }
            }
            t @ (PayloadType::IDI | PayloadType::IDR) => {
                m.inner_other.insert(t);
                let i = usize::from(t == PayloadType::IDR);
                m.rare_mut().identities[i] = Some(p.body().to_vec());
            }
            t => m.inner_other.insert(t),
        }
    }
    m.inner_notifies = Some(notifies);
}
