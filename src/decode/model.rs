//! What decoding produces: [`Decoded`] units (a message or a lone
//! payload) and their parts, which serialize to the NDJSON contract of
//! `qcd decode --json`. Plain data: how they are filled is in the parent
//! module's entry points, [`chain`](super) and [`decrypt`](super).

use serde::Serialize;

use super::dissect::{
    DecodedAuth, DecodedCert, DecodedCertReq, DecodedCp, DecodedDelete, DecodedEap, DecodedId,
    DecodedKe, DecodedNonce, DecodedTransform, DecodedTs, DecodedVendorId, NotifyDetails,
};
use crate::ikecrypto::Integrity;
use crate::secretmem::SecretBytes;
use crate::wire::{Payload, WireError};

/// One decoded unit: a message or a lone payload. Serializes with a `kind`
/// field of `"message"` or `"payload"`.
// One value per decoded input, never stored in bulk: the size difference
// between a message and a lone payload does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Decoded {
    Message(DecodedMessage),
    Payload(DecodedPayloadUnit),
}

impl Decoded {
    pub fn warnings(&self) -> &[String] {
        match self {
            Decoded::Message(m) => &m.warnings,
            Decoded::Payload(p) => &p.warnings,
        }
    }
}

/// What is wrong with a message or payload, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Malformed {
    /// Byte offset in the input (for decrypted payloads: in the plaintext).
    pub offset: usize,
    /// The field at fault ("payload length", "next payload", …).
    pub field: &'static str,
    /// The whole explanation, as in the warning.
    pub message: String,
    #[serde(skip)]
    pub error: WireError,
}

impl Malformed {
    pub fn new(error: WireError) -> Malformed {
        Malformed {
            offset: error.offset(),
            field: error.field(),
            message: error.to_string(),
            error,
        }
    }
}

/// A registry name ("IKE_AUTH", "N", "ENCR_AES_CBC"), borrowed from the
/// registry tables, or the label of an unassigned value, built when one is
/// met: the common case allocates nothing.
pub type Label = std::borrow::Cow<'static, str>;

/// `name` when the registry has one, else `code`'s own text (a range label).
pub(crate) fn label(name: Option<&'static str>, code: impl std::fmt::Display) -> Label {
    name.map_or_else(|| Label::Owned(code.to_string()), Label::Borrowed)
}

/// An IKEv2 message header and its payload chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedMessage {
    /// Whether the input started with the non-ESP marker (offsets count it).
    pub non_esp_marker: bool,
    /// 16 lowercase hex digits.
    pub spi_i: String,
    pub spi_r: String,
    pub next_payload: u8,
    pub major_version: u8,
    pub minor_version: u8,
    pub exchange_type: u8,
    pub exchange: Label,
    pub flags: u8,
    pub initiator: bool,
    pub response: bool,
    pub higher_version: bool,
    pub message_id: u32,
    pub length: u32,
    /// The payloads, up to the first one that is malformed.
    pub payloads: Vec<DecodedPayload>,
    pub warnings: Vec<String>,
    /// The first structural problem (a length that does not fit, a broken
    /// payload chain, a Notify or SKF payload too short for its fields);
    /// absent for a well-formed message. Every problem is also a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malformed: Option<Malformed>,
    /// Whether the payloads' content has been dissected.
    #[serde(skip)]
    pub dissected: bool,
}

/// One payload. `notify` is set for Notify payloads, `encrypted` for SK and
/// SKF, `body` (hex) for every other type; the dissection of each payload
/// kind under its own key (`ke`, `id`, `ts`, …) when dissected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedPayload {
    /// Byte offset of the generic header in the input.
    pub offset: usize,
    #[serde(rename = "type")]
    pub payload_type: u8,
    /// Short name ("N", "SK") or the range label of an unassigned type.
    pub name: Label,
    pub critical: bool,
    pub next_payload: u8,
    pub length: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify: Option<DecodedNotify>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<DecodedEncrypted>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// For an SA payload: each proposal's number, protocol and SPI (and,
    /// when dissected, its transforms), up to the first malformed proposal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposals: Option<Vec<DecodedProposal>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ke: Option<Box<DecodedKe>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Box<DecodedId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<Box<DecodedCert>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certreq: Option<Box<DecodedCertReq>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<Box<DecodedAuth>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<DecodedNonce>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete: Option<Box<DecodedDelete>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<Box<DecodedVendorId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<Box<DecodedTs>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cp: Option<Box<DecodedCp>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eap: Option<Box<DecodedEap>>,
    /// A problem inside this payload (its length is right, its content is not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malformed: Option<Box<Malformed>>,
}

impl DecodedPayload {
    pub(super) fn header_of(p: &Payload<'_>) -> DecodedPayload {
        let t = p.payload_type();
        DecodedPayload {
            offset: p.offset(),
            payload_type: t.0,
            name: label(t.name(), t),
            critical: p.critical(),
            next_payload: p.next_payload().0,
            length: p.length(),
            notify: None,
            encrypted: None,
            body: None,
            proposals: None,
            ke: None,
            id: None,
            cert: None,
            certreq: None,
            auth: None,
            nonce: None,
            delete: None,
            vendor_id: None,
            ts: None,
            cp: None,
            eap: None,
            malformed: None,
        }
    }
}

/// One proposal of an SA payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedProposal {
    pub number: u8,
    pub protocol_id: u8,
    pub protocol: Label,
    /// Lowercase hex; for an IKE SA rekey, the new IKE SA's SPI.
    pub spi: String,
    /// The "Num Transforms" field.
    pub transforms: u8,
    /// When dissected: the SPI size field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spi_size: Option<u8>,
    /// When dissected: the transforms, up to the first malformed one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transform_list: Option<Vec<DecodedTransform>>,
}

/// The fields of a Notify payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedNotify {
    pub protocol_id: u8,
    pub protocol: Label,
    pub spi_size: u8,
    /// Lowercase hex (empty when the SPI size is 0).
    pub spi: String,
    #[serde(rename = "type")]
    pub notify_type: u16,
    pub name: Label,
    /// Error type (below 16384) rather than status type.
    pub error: bool,
    /// Notification data, lowercase hex.
    pub data: String,
    /// When dissected: the notification data as its type lays it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Box<NotifyDetails>>,
}

/// Decrypted plaintext kept for a later dissection; zeroized on drop,
/// never serialized or printed.
#[derive(Clone, Debug)]
pub struct Plaintext(pub SecretBytes);

impl PartialEq for Plaintext {
    fn eq(&self, other: &Plaintext) -> bool {
        self.0.ct_eq(other.0.expose())
    }
}

impl Eq for Plaintext {}

/// IKE fragments joined into this SKF payload's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reassembled {
    pub fragments: u16,
    /// Bytes of joined plaintext.
    pub length: usize,
}

/// An SK or SKF payload from outside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedEncrypted {
    /// The Next Payload field: first payload inside the ciphertext.
    pub first_inner_payload: u8,
    pub first_inner_name: Label,
    /// Offset of IV‖ciphertext‖ICV in the input, and its length.
    pub body_offset: usize,
    pub body_length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragment_number: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_fragments: Option<u16>,
    /// The decrypted inner payloads (with `--keys` and a key for this SA).
    /// Their offsets count from the start of the decrypted plaintext (for
    /// SKF: of the reassembled plaintext). For SKF, present on the fragment
    /// that completes the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payloads: Option<Vec<DecodedPayload>>,
    /// Why the payload could not be decrypted (with `--keys`): no key for
    /// this SA, integrity check failed, bad padding, malformed inner payloads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypt_error: Option<String>,
    /// Bytes of plaintext this payload decrypted to (padding removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypted_length: Option<usize>,
    /// SKF: the fragments joined into `payloads`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reassembled: Option<Reassembled>,
    /// The first problem in the decrypted inner payload chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malformed: Option<Box<Malformed>>,
    /// With `payloads` (or `decrypted_length`): what the ICV says about
    /// them. `"verified"` (the ICV matched), `"not_checked"` (the key table
    /// says "ANY n-bits of Authentication [No Checking]"), `"no_icv"`
    /// (integrity NONE with a non-AEAD cipher) or `"failed"` (the ICV did
    /// not match, shown because of `--ignore-icv`). Anything but
    /// `"verified"` is unauthenticated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<Integrity>,
    #[serde(skip)]
    pub plaintext: Option<Plaintext>,
}

/// A lone payload as a decoded unit: the payload's fields plus warnings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedPayloadUnit {
    #[serde(flatten)]
    pub payload: DecodedPayload,
    pub warnings: Vec<String>,
}
