//! Decoding for people and scripts: from bytes (see [`input`] for hex, xxd and
//! hexdump text) to [`Decoded`] result structs that serialize to the NDJSON
//! contract of `qcd decode --json`, with RFC 6290 checks as warnings.
//!
//! Detection ([`detect`]): a complete IKEv2 message (28-byte header, major
//! version 2, length field equal to the data length), the same after the
//! 4-byte non-ESP marker of UDP port 4500, or else a single generic payload
//! (a Notify payload unless told otherwise).
//!
//! Malformed messages are dissected as far as they go, as Wireshark does:
//! every payload up to the one that is wrong is decoded, and the message's
//! [`DecodedMessage::malformed`] (and a warning) names the byte offset and
//! what is wrong. The strict entry points ([`decode_message`],
//! [`decode_message_with_keys`]) turn that into an error instead.
//!
//! Two depths: the light decode (header, payload chain, notify fields, SK
//! payloads, SA proposals) that filters and summaries need, and the full
//! dissection of every payload ([`dissect`]), done when
//! [`DecodeOptions::dissect`] is set or later with [`dissect_message`], so
//! that paths which print nothing do not pay for it.
//!
//! Captures go through a [`Decoder`], which also reassembles IKE fragments
//! (SKF, RFC 7383; see [`fragments`]) across messages.
//!
//! Not here: byte layouts (see `qcd::wire`), ciphers (see `qcd::ikecrypto`),
//! command-line handling.

pub mod digest;
pub mod dissect;
pub mod fragments;
pub mod input;
pub mod messages;
pub mod summary;
pub mod text;

use serde::Serialize;

pub use dissect::{
    DecodedAttribute, DecodedAuth, DecodedCert, DecodedCertReq, DecodedCfgAttribute, DecodedCp,
    DecodedDelete, DecodedEap, DecodedId, DecodedKe, DecodedNonce, DecodedSelector,
    DecodedTransform, DecodedTs, DecodedVendorId, NamedNumber, NotifyDetails,
};
pub use fragments::{FragmentLimits, FragmentTable};

use crate::capture::Timestamp;
use crate::ikecrypto::{self, Integrity, KeyTable};
use crate::secretmem::SecretBytes;
use crate::spi::SpiPair;
use crate::wire::{
    Header, NotifyType, Payload, PayloadIter, PayloadType, ProtocolId, WireError, HEADER_LEN,
};
use fragments::{Added, FragmentPart, MessageKey};

/// The 4 zero bytes that precede IKE messages on UDP port 4500 (RFC 3948).
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];

/// What the user says the bytes are (`--as`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum As {
    Message,
    Payload,
}

/// What [`detect`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// An IKE message from the first byte.
    Message,
    /// An IKE message after the 4-byte non-ESP marker.
    MarkedMessage,
    /// One generic payload.
    Payload,
}

/// How deep to decode, and with which keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecodeOptions<'k> {
    /// Decrypt SK/SKF payloads whose IKE SA is in this table.
    pub keys: Option<&'k KeyTable>,
    /// Show a decryption whose ICV does not match, marked unauthenticated
    /// (`--ignore-icv`).
    pub ignore_icv: bool,
    /// Dissect every payload's content (SA transforms, KE, ID, TS, …);
    /// without it only the header, the chain, notify fields, SK payloads
    /// and SA proposals are decoded.
    pub dissect: bool,
}

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
    fn header_of(p: &Payload<'_>) -> DecodedPayload {
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

/// How SK payloads are opened.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecryptOptions<'a> {
    /// The key table; without it SK payloads stay opaque.
    pub keys: Option<&'a KeyTable>,
    /// Show the decryption even when the ICV does not match (`--ignore-icv`),
    /// marked [`Integrity::Failed`]. Off: no plaintext for a failed ICV.
    pub ignore_icv: bool,
}

impl<'a> DecryptOptions<'a> {
    pub fn keys(keys: Option<&'a KeyTable>) -> Self {
        DecryptOptions {
            keys,
            ignore_icv: false,
        }
    }
}

/// A lone payload as a decoded unit: the payload's fields plus warnings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedPayloadUnit {
    #[serde(flatten)]
    pub payload: DecodedPayload,
    pub warnings: Vec<String>,
}

/// Version 2.0 and an assigned exchange type where the header has them: a
/// message, perhaps truncated or with a wrong length (reported as such).
fn looks_like_message(b: &[u8]) -> bool {
    const VERSION: usize = 17;
    const EXCHANGE: usize = 18;
    if b.len() >= HEADER_LEN && {
        let h = Header::new_unchecked(b);
        h.major_version() == 2 && h.length() as usize == b.len()
    } {
        return true;
    }
    b.len() > EXCHANGE
        && b[VERSION] == 0x20
        && crate::wire::ExchangeType(b[EXCHANGE]).name().is_some()
}

/// Decides what `bytes` are, honouring `forced`.
///
/// Auto: a message when the header has major version 2 and a length equal to
/// the data (or, so that a wrong length is reported as such, version 2.0 and an
/// assigned exchange type); then the same after a non-ESP marker; else a payload.
pub fn detect(bytes: &[u8], forced: Option<As>) -> Detected {
    let marked = bytes.len() > 4 && bytes[..4] == NON_ESP_MARKER;
    match forced {
        Some(As::Payload) => Detected::Payload,
        Some(As::Message) => {
            if marked && looks_like_message(&bytes[4..]) && !looks_like_message(bytes) {
                Detected::MarkedMessage
            } else {
                Detected::Message
            }
        }
        None => {
            let exact = |b: &[u8]| {
                b.len() >= HEADER_LEN && {
                    let h = Header::new_unchecked(b);
                    h.major_version() == 2 && h.length() as usize == b.len()
                }
            };
            if exact(bytes) {
                Detected::Message
            } else if marked && exact(&bytes[4..]) {
                Detected::MarkedMessage
            } else if looks_like_message(bytes) {
                Detected::Message
            } else if marked && looks_like_message(&bytes[4..]) {
                Detected::MarkedMessage
            } else {
                Detected::Payload
            }
        }
    }
}

/// Detects and decodes one unit, dissecting every payload. A lone payload
/// is taken as a Notify payload. A malformed message is decoded as far as
/// it goes (see [`DecodedMessage::malformed`]).
pub fn decode_bytes(bytes: &[u8], forced: Option<As>) -> Result<Decoded, WireError> {
    decode_bytes_with_keys(bytes, forced, None)
}

/// [`decode_bytes`], decrypting SK payloads whose IKE SA is in `keys`.
pub fn decode_bytes_with_keys(
    bytes: &[u8],
    forced: Option<As>,
    keys: Option<&KeyTable>,
) -> Result<Decoded, WireError> {
    decode_bytes_with(bytes, forced, DecryptOptions::keys(keys))
}

/// [`decode_bytes`] with decryption options (`--ignore-icv`).
pub fn decode_bytes_with(
    bytes: &[u8],
    forced: Option<As>,
    decrypt: DecryptOptions<'_>,
) -> Result<Decoded, WireError> {
    let opts = DecodeOptions {
        keys: decrypt.keys,
        ignore_icv: decrypt.ignore_icv,
        dissect: true,
    };
    match detect(bytes, forced) {
        Detected::Message => decode_message_at(bytes, 0, false, &opts, None).map(Decoded::Message),
        Detected::MarkedMessage => {
            decode_message_at(&bytes[4..], 4, true, &opts, None).map(Decoded::Message)
        }
        Detected::Payload => decode_payload(bytes, PayloadType::NOTIFY).map(Decoded::Payload),
    }
}

/// Decodes a complete IKEv2 message (no non-ESP marker), every payload
/// dissected; SK stays opaque. Strict: a malformed message is an error.
pub fn decode_message(bytes: &[u8]) -> Result<DecodedMessage, WireError> {
    decode_message_with_keys(bytes, None)
}

/// Decodes a complete IKEv2 message (no non-ESP marker), decrypting its SK
/// payload when `keys` holds the IKE SA's keys. A failed decryption is not an
/// error of the message: it is reported in the SK payload's `decrypt_error`
/// and as a warning. Strict: a malformed message is an error (the first
/// problem, as [`DecodedMessage::malformed`] names it).
pub fn decode_message_with_keys(
    bytes: &[u8],
    keys: Option<&KeyTable>,
) -> Result<DecodedMessage, WireError> {
    decode_message_with(bytes, DecryptOptions::keys(keys))
}

/// [`decode_message_with_keys`] with decryption options (`--ignore-icv`).
/// Strict: a malformed message is an error.
pub fn decode_message_with(
    bytes: &[u8],
    decrypt: DecryptOptions<'_>,
) -> Result<DecodedMessage, WireError> {
    let m = decode_message_partial(
        bytes,
        &DecodeOptions {
            keys: decrypt.keys,
            ignore_icv: decrypt.ignore_icv,
            dissect: true,
        },
    )?;
    match m.malformed {
        Some(mf) => Err(mf.error),
        None => Ok(m),
    }
}

/// Decodes an IKEv2 message (no non-ESP marker) as far as it goes: the
/// error is only for bytes that are not an IKEv2 message at all (shorter
/// than the header, another major version).
pub fn decode_message_partial(
    bytes: &[u8],
    opts: &DecodeOptions<'_>,
) -> Result<DecodedMessage, WireError> {
    decode_message_at(bytes, 0, false, opts, None)
}

/// Decodes the messages of a capture, in order: keys, depth, and the
/// reassembly of IKE fragments (RFC 7383) across messages.
pub struct Decoder<'k> {
    opts: DecodeOptions<'k>,
    fragments: FragmentTable,
    warnings: Vec<String>,
}

impl<'k> Decoder<'k> {
    pub fn new(opts: DecodeOptions<'k>) -> Decoder<'k> {
        Decoder::with_limits(opts, FragmentLimits::default())
    }

    pub fn with_limits(opts: DecodeOptions<'k>, limits: FragmentLimits) -> Decoder<'k> {
        Decoder {
            opts,
            fragments: FragmentTable::new(limits),
            warnings: Vec::new(),
        }
    }

    /// Decodes one message (no non-ESP marker) seen at capture time `time`,
    /// as far as it goes (see [`decode_message_partial`]).
    pub fn decode(
        &mut self,
        bytes: &[u8],
        time: Option<Timestamp>,
    ) -> Result<DecodedMessage, WireError> {
        self.warnings.extend(self.fragments.expire(time));
        let opts = self.opts;
        let mut ctx = FragmentCtx {
            table: &mut self.fragments,
            time,
            warnings: &mut self.warnings,
        };
        decode_message_at(bytes, 0, false, &opts, Some(&mut ctx))
    }

    /// The key table SK payloads are opened with.
    pub fn keys(&self) -> Option<&'k KeyTable> {
        self.opts.keys
    }

    /// Warnings about other messages (fragment sets dropped) since the last call.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// End of input: warnings for every fragment set never completed.
    pub fn finish(&mut self) -> Vec<String> {
        let mut w = self.take_warnings();
        w.extend(self.fragments.finish());
        w
    }
}

struct FragmentCtx<'a> {
    table: &'a mut FragmentTable,
    time: Option<Timestamp>,
    warnings: &'a mut Vec<String>,
}

/// The light decode of one payload: generic header, notify fields, SK/SKF
/// fields, body hex and SA proposals. The error is a structural problem of
/// the payload's fixed fields (notify SPI size, SKF fragment fields).
fn decode_one(p: &Payload<'_>) -> (DecodedPayload, Option<WireError>) {
    let t = p.payload_type();
    let mut d = DecodedPayload::header_of(p);
    let mut problem = None;
    if t == PayloadType::NOTIFY {
        match p.notify() {
            Ok(n) => {
                d.notify = Some(DecodedNotify {
                    protocol_id: n.protocol_id().0,
                    protocol: label(n.protocol_id().name(), n.protocol_id()),
                    spi_size: n.spi_size(),
                    spi: crate::encoding::to_hex(n.spi()),
                    notify_type: n.notify_type().0,
                    name: label(n.notify_type().name(), n.notify_type()),
                    error: n.notify_type().is_error(),
                    data: crate::encoding::to_hex(n.data()),
                    details: None,
                })
            }
            Err(e) => problem = Some(e),
        }
    } else if t.is_encrypted() {
        match p.encrypted() {
            Ok(e) => {
                let frag = e.fragment();
                d.encrypted = Some(DecodedEncrypted {
                    first_inner_payload: e.first_inner_payload().0,
                    first_inner_name: label(
                        e.first_inner_payload().name(),
                        e.first_inner_payload(),
                    ),
                    body_offset: e.body_offset(),
                    body_length: e.body().len(),
                    fragment_number: frag.map(|f| f.number),
                    total_fragments: frag.map(|f| f.total),
                    payloads: None,
                    decrypt_error: None,
                    decrypted_length: None,
                    reassembled: None,
                    malformed: None,
                    integrity: None,
                    plaintext: None,
                });
            }
            Err(e) => problem = Some(e),
        }
    } else {
        d.body = Some(crate::encoding::to_hex(p.body()));
        if t == PayloadType::SA {
            let (list, bad) = dissect::proposals_of(p, false);
            // As before: proposals only when they all parse.
            d.proposals = bad.is_empty().then_some(list);
        }
    }
    if let Some(e) = &problem {
        d.malformed = Some(Box::new(Malformed::new(e.clone())));
    }
    (d, problem)
}

/// Walks a payload chain (light decode); returns the payloads and the
/// problems found, in order.
fn walk_chain(
    data: &[u8],
    first: PayloadType,
    base: usize,
) -> (Vec<DecodedPayload>, Vec<WireError>) {
    let mut payloads = Vec::new();
    let mut problems = Vec::new();
    for p in PayloadIter::new(data, first, base) {
        match p {
            Ok(p) => {
                let (d, problem) = decode_one(&p);
                payloads.push(d);
                problems.extend(problem);
            }
            Err(e) => problems.push(e),
        }
    }
    (payloads, problems)
}

fn decode_message_at(
    bytes: &[u8],
    base: usize,
    marker: bool,
    opts: &DecodeOptions<'_>,
    frags: Option<&mut FragmentCtx<'_>>,
) -> Result<DecodedMessage, WireError> {
    let h = Header::new_checked(bytes).map_err(|e| e.shifted(base))?;
    let mut problems = Vec::new();
    // Major version first, as before: nothing else can be read otherwise.
    if let Err(e) = h.check_message() {
        if e.field() != "length" {
            return Err(e.shifted(base));
        }
        problems.push(e.shifted(base));
    }
    let declared = h.length() as usize;
    // Walk what the header says is the message, within the data given.
    let end = if declared >= HEADER_LEN {
        declared.min(bytes.len())
    } else {
        bytes.len()
    };
    let (payloads, chain_problems) =
        walk_chain(&bytes[HEADER_LEN..end], h.next_payload(), base + HEADER_LEN);
    problems.extend(chain_problems);
    let flags = h.flags();
    let mut m = DecodedMessage {
        non_esp_marker: marker,
        spi_i: h.spi_i().to_hex(),
        spi_r: h.spi_r().to_hex(),
        next_payload: h.next_payload().0,
        major_version: h.major_version(),
        minor_version: h.minor_version(),
        exchange_type: h.exchange_type().0,
        exchange: label(h.exchange_type().name(), h.exchange_type()),
        flags: flags.0,
        initiator: flags.initiator(),
        response: flags.response(),
        higher_version: flags.version(),
        message_id: h.message_id(),
        length: h.length(),
        payloads,
        warnings: problems.iter().map(WireError::to_string).collect(),
        malformed: problems.first().cloned().map(Malformed::new),
        dissected: false,
    };
    m.warnings.extend(message_warnings(&m.payloads));
    if let Some(keys) = opts.keys {
        let mut frags = frags;
        let message = &bytes[..end];
        for p in &mut m.payloads {
            if p.encrypted.is_some() {
                open_encrypted(
                    message,
                    base,
                    p,
                    keys,
                    opts.ignore_icv,
                    frags.as_deref_mut(),
                    &mut m.warnings,
                );
            }
        }
    }
    if opts.dissect {
        dissect_message(&mut m, bytes);
    }
    Ok(m)
}

/// Decrypts the SK or SKF payload `p` of `message` (offsets in `p` count
/// from `base`) and decodes its inner payloads; an SKF fragment joins the
/// reassembly in `frags`, and the fragment that completes its message gets
/// the message's inner payloads.
#[allow(clippy::too_many_arguments)]
fn open_encrypted(
    message: &[u8],
    base: usize,
    p: &mut DecodedPayload,
    keys: &KeyTable,
    ignore_icv: bool,
    frags: Option<&mut FragmentCtx<'_>>,
    warnings: &mut Vec<String>,
) {
    let at = p.offset;
    let end = p.offset - base + p.length as usize;
    let Some(e) = p.encrypted.as_mut() else {
        return;
    };
    let h = Header::new_unchecked(message);
    let spis = SpiPair::new(h.spi_i(), h.spi_r());
    let Some(sa) = keys.get(&spis) else {
        e.decrypt_error = Some(format!(
            "no key table line for SPI-I {} SPI-R {}",
            spis.initiator, spis.responder
        ));
        return;
    };
    let what = if e.fragment_number.is_some() {
        "SKF"
    } else {
        "SK"
    };
    let opened = match ikecrypto::open(
        sa,
        h.flags().initiator(),
        &message[..end.min(message.len())],
        e.body_offset - base,
        ignore_icv,
    ) {
        Ok(opened) => opened,
        Err(err) => {
            warnings.push(format!("{what} payload at byte {at} not decrypted: {err}"));
            e.decrypt_error = Some(err.to_string());
            return;
        }
    };
    if !opened.integrity.is_verified() {
        warnings.push(format!(
            "{what} payload at byte {at}: {}",
            opened.integrity.describe()
        ));
    }
    e.integrity = Some(opened.integrity);
    let plain = opened.plaintext;
    e.decrypted_length = Some(plain.len());
    let (number, total) = match (e.fragment_number, e.total_fragments) {
        (Some(n), Some(t)) => (n, t),
        _ => {
            let first = PayloadType(e.first_inner_payload);
            open_inner(e, plain, first, at, what, warnings);
            return;
        }
    };
    let part = FragmentPart {
        number,
        total,
        first_inner: PayloadType(e.first_inner_payload),
        plaintext: plain,
    };
    let added = match frags {
        Some(ctx) => {
            let key = MessageKey {
                spi_i: h.spi_i(),
                spi_r: h.spi_r(),
                message_id: h.message_id(),
                initiator: h.flags().initiator(),
                response: h.flags().response(),
            };
            ctx.table.add(key, part, ctx.time, ctx.warnings)
        }
        // Without a reassembly table (a single message), only a message in
        // one fragment is complete.
        None if number == 1 && total == 1 => Added::Complete {
            plaintext: part.plaintext,
            first_inner: part.first_inner,
            fragments: 1,
        },
        None => return,
    };
    match added {
        Added::Waiting { .. } => {}
        Added::Complete {
            plaintext,
            first_inner,
            fragments,
        } => {
            e.reassembled = Some(Reassembled {
                fragments,
                length: plaintext.len(),
            });
            open_inner(e, plaintext, first_inner, at, what, warnings);
        }
        Added::Rejected(why) => {
            warnings.push(format!("SKF payload at byte {at} not reassembled: {why}"));
        }
    }
}

/// Decodes the inner payload chain of decrypted (or reassembled) `plain`.
fn open_inner(
    e: &mut DecodedEncrypted,
    plain: SecretBytes,
    first: PayloadType,
    at: usize,
    what: &str,
    warnings: &mut Vec<String>,
) {
    let (inner, problems) = walk_chain(plain.expose(), first, 0);
    warnings.extend(
        inner
            .iter()
            .flat_map(payload_warnings)
            .map(|w| format!("inside {what}: {w}")),
    );
    if let Some(first_problem) = problems.first() {
        e.decrypt_error = Some(format!(
            "inside the decrypted {what} payload: {first_problem}"
        ));
        e.malformed = Some(Box::new(Malformed::new(first_problem.clone())));
    }
    for pr in &problems {
        warnings.push(format!(
            "{what} payload at byte {at}: inside the decrypted payload (offsets in the plaintext): {pr}"
        ));
    }
    e.payloads = Some(inner);
    e.plaintext = Some(Plaintext(plain));
}

/// Dissects every payload of `m` (decoded without [`DecodeOptions::dissect`])
/// from the message `bytes` it was decoded from (without a non-ESP marker),
/// and the decrypted payloads from the plaintext kept with them. Problems
/// found inside payloads become the payloads' `malformed` and warnings.
/// Does nothing the second time.
pub fn dissect_message(m: &mut DecodedMessage, bytes: &[u8]) {
    if m.dissected {
        return;
    }
    m.dissected = true;
    let base = if m.non_esp_marker { 4 } else { 0 };
    let mut warnings = Vec::new();
    for d in &mut m.payloads {
        for problem in dissect_at(bytes, base, d) {
            warnings.push(format!("payload at byte {}: {problem}", d.offset));
        }
        let Some(e) = d.encrypted.as_mut() else {
            continue;
        };
        let what = if e.fragment_number.is_some() {
            "SKF"
        } else {
            "SK"
        };
        if let (Some(inner), Some(plain)) = (e.payloads.as_mut(), e.plaintext.as_ref()) {
            for q in inner {
                for problem in dissect_at(plain.0.expose(), 0, q) {
                    warnings.push(format!(
                        "inside {what}: payload at byte {} of the plaintext: {problem}",
                        q.offset
                    ));
                }
            }
        }
    }
    m.warnings.extend(warnings);
}

/// Dissects the payload `d` whose generic header is at `d.offset - base` in
/// `bytes`; returns the problems found inside it (none if a structural
/// problem was already found and reported).
fn dissect_at(bytes: &[u8], base: usize, d: &mut DecodedPayload) -> Vec<WireError> {
    let Some(p) = d
        .offset
        .checked_sub(base)
        .and_then(|start| bytes.get(start..))
        .and_then(|b| Payload::parse_at(b, PayloadType(d.payload_type), d.offset).ok())
    else {
        return Vec::new();
    };
    if d.malformed.is_some() {
        return Vec::new();
    }
    let problems = dissect::dissect_payload(&p, d);
    d.malformed = problems
        .first()
        .cloned()
        .map(|e| Box::new(Malformed::new(e)));
    problems
}

/// Decodes one generic payload of type `payload_type` filling all of
/// `bytes`, dissecting its content.
pub fn decode_payload(
    bytes: &[u8],
    payload_type: PayloadType,
) -> Result<DecodedPayloadUnit, WireError> {
    let p = Payload::parse_at(bytes, payload_type, 0)?;
    if p.bytes().len() < bytes.len() {
        return Err(WireError::Malformed {
            offset: 2,
            field: "payload length",
            reason: format!(
                "the payload length is {} but {} bytes were given ({} bytes after the payload); use --as message for a whole message",
                p.length(),
                bytes.len(),
                bytes.len() - p.bytes().len()
            ),
        });
    }
    let (mut payload, problem) = decode_one(&p);
    if let Some(e) = problem {
        return Err(e);
    }
    let mut warnings: Vec<String> = dissect_at(bytes, 0, &mut payload)
        .iter()
        .map(WireError::to_string)
        .collect();
    warnings.extend(payload_warnings(&payload));
    Ok(DecodedPayloadUnit { payload, warnings })
}

/// RFC 6290 §4.1 checks on one QCD_TOKEN notify (as decoded).
pub fn qcd_token_warnings(offset: usize, n: &DecodedNotify) -> Vec<String> {
    let mut w = Vec::new();
    if n.notify_type != NotifyType::QCD_TOKEN.0 {
        return w;
    }
    // RFC 6290 erratum 3449: Protocol ID 0 (RFC 7296 §3.10: an empty SPI is
    // sent as 0 and ignored on receipt); 1 is the pre-erratum value. Takers
    // ignore the field, so neither is worth a warning.
    if n.protocol_id > ProtocolId::IKE.0 {
        w.push(format!(
            "QCD_TOKEN at byte {offset} has protocol ID {} ({}); RFC 6290 (erratum 3449) says 0, and receivers ignore the field",
            n.protocol_id, n.protocol
        ));
    }
    if n.spi_size != 0 {
        w.push(format!(
            "QCD_TOKEN at byte {offset} has SPI size {}; RFC 6290 requires 0 (the token belongs to the IKE SA named in the header)",
            n.spi_size
        ));
    }
    let len = n.data.len() / 2;
    if !(16..=128).contains(&len) {
        w.push(format!(
            "QCD_TOKEN at byte {offset} carries {len} octets of token data; RFC 6290 requires 16 to 128"
        ));
    }
    w
}

fn payload_warnings(p: &DecodedPayload) -> Vec<String> {
    p.notify
        .as_ref()
        .map(|n| qcd_token_warnings(p.offset, n))
        .unwrap_or_default()
}

fn message_warnings(payloads: &[DecodedPayload]) -> Vec<String> {
    let mut w: Vec<String> = payloads.iter().flat_map(payload_warnings).collect();
    let has = |t: NotifyType| {
        payloads
            .iter()
            .any(|p| p.notify.as_ref().is_some_and(|n| n.notify_type == t.0))
    };
    if has(NotifyType::INVALID_IKE_SPI) && !has(NotifyType::QCD_TOKEN) {
        w.push(
            "INVALID_IKE_SPI without QCD_TOKEN: the sender offers no proof that it lost the IKE SA \
             (it does not do QCD, or has no token for these SPIs), so the peer must wait for \
             liveness checks to time out"
                .to_string(),
        );
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spi::Spi;
    use crate::wire::{ExchangeType, Flags, MessageRepr, NotifyRepr, PayloadRepr};

    fn msg(payloads: Vec<PayloadRepr>) -> Vec<u8> {
        MessageRepr {
            spi_i: Spi([1; 8]),
            spi_r: Spi([2; 8]),
            exchange: ExchangeType::INFORMATIONAL,
            flags: Flags::RESPONSE,
            message_id: 0,
            payloads,
        }
        .to_bytes()
        .unwrap()
    }

    #[test]
    fn detects_message_marker_and_payload() {
        let m = msg(vec![]);
        assert_eq!(detect(&m, None), Detected::Message);
        let mut marked = vec![0; 4];
        marked.extend(&m);
        assert_eq!(detect(&marked, None), Detected::MarkedMessage);
        assert_eq!(
            detect(&hex::decode("0000000801004023").unwrap(), None),
            Detected::Payload
        );
        match decode_bytes(&marked, None).unwrap() {
            Decoded::Message(d) => assert!(d.non_esp_marker),
            d => panic!("{d:?}"),
        }
        // a wrong length is still reported as a message problem: decoded
        // as far as it goes, and an error for the strict decoder
        let mut bad = m.clone();
        bad[27] += 1;
        match decode_bytes(&bad, None).unwrap() {
            Decoded::Message(d) => assert_eq!(d.malformed.unwrap().field, "length"),
            d => panic!("{d:?}"),
        }
        assert_eq!(decode_message(&bad).unwrap_err().field(), "length");
        // and a truncated header as a truncated header
        assert_eq!(
            decode_bytes(&m[..27], None).unwrap_err().field(),
            "IKE header"
        );
    }

    #[test]
    fn qcd_warnings() {
        let rockhopper = NotifyRepr::new(0, NotifyType::QCD_TOKEN, vec![7; 64]);
        let d = decode_message(&msg(vec![
            PayloadRepr::notify(NotifyRepr::new(1, NotifyType::INVALID_IKE_SPI, vec![])),
            PayloadRepr::notify(rockhopper),
        ]))
        .unwrap();
        // Protocol ID 0 is the corrected RFC value, 1 the pre-erratum one: no warning.
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        let pre_erratum = NotifyRepr::new(1, NotifyType::QCD_TOKEN, vec![7; 16]);
        let d = decode_message(&msg(vec![
            PayloadRepr::notify(NotifyRepr::new(0, NotifyType::INVALID_IKE_SPI, vec![])),
            PayloadRepr::notify(pre_erratum),
        ]))
        .unwrap();
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        let odd = NotifyRepr::new(3, NotifyType::QCD_TOKEN, vec![7; 16]);
        let d = decode_message(&msg(vec![PayloadRepr::notify(odd)])).unwrap();
        assert!(
            d.warnings.iter().any(|w| w.contains("protocol ID 3")),
            "{:?}",
            d.warnings
        );

        let mut bad = NotifyRepr::new(1, NotifyType::QCD_TOKEN, vec![7; 15]);
        bad.spi = vec![1, 2, 3, 4];
        let d = decode_message(&msg(vec![PayloadRepr::notify(bad)])).unwrap();
        assert_eq!(d.warnings.len(), 2, "{:?}", d.warnings);

        let d = decode_message(&msg(vec![PayloadRepr::notify(NotifyRepr::new(
            1,
            NotifyType::INVALID_IKE_SPI,
            vec![],
        ))]))
        .unwrap();
        assert!(d.warnings[0].starts_with("INVALID_IKE_SPI without QCD_TOKEN"));

        let ok = NotifyRepr::qcd_token(&[9; 128]);
        let d = decode_message(&msg(vec![PayloadRepr::notify(ok)])).unwrap();
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn problems_inside_payloads_are_flagged_not_fatal() {
        // INVALID_KE_PAYLOAD without its 2-byte group (tshark flags it too),
        // then a well-formed notify that is still decoded.
        let bytes = msg(vec![
            PayloadRepr::notify(NotifyRepr::new(0, NotifyType::INVALID_KE_PAYLOAD, vec![])),
            PayloadRepr::notify(NotifyRepr::new(
                0,
                NotifyType::INVALID_KE_PAYLOAD,
                vec![0, 19],
            )),
            PayloadRepr::other(PayloadType::KE, vec![0, 19, 0, 0, 1, 2, 3]),
        ]);
        let d = decode_message(&bytes).unwrap();
        assert!(d.malformed.is_none());
        let bad = d.payloads[0].malformed.as_ref().unwrap();
        assert_eq!((bad.offset, bad.field), (36, "notification data"));
        assert!(
            bad.message.contains("the accepted group number"),
            "{}",
            bad.message
        );
        let good = d.payloads[1]
            .notify
            .as_ref()
            .unwrap()
            .details
            .as_ref()
            .unwrap();
        assert_eq!(good.group_name.as_deref(), Some("ECP_256"));
        let ke = d.payloads[2].ke.as_ref().unwrap();
        assert_eq!((ke.data_length, ke.expected_length), (3, Some(64)));
        assert!(d.payloads[2].malformed.is_some());
        assert_eq!(
            d.warnings
                .iter()
                .filter(|w| w.starts_with("payload at byte"))
                .count(),
            2,
            "{:?}",
            d.warnings
        );
        // Without the dissection the same message decodes light, then fully.
        let mut light = decode_message_partial(&bytes, &DecodeOptions::default()).unwrap();
        assert!(light.payloads[2].ke.is_none() && light.payloads[0].malformed.is_none());
        dissect_message(&mut light, &bytes);
        assert_eq!(light, d);
    }

    #[test]
    fn json_shape() {
        let d = decode_bytes(&hex::decode("0000000c01004023aabbccdd").unwrap(), None).unwrap();
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["kind"], "payload");
        assert_eq!(v["type"], 41);
        assert_eq!(v["name"], "N");
        assert_eq!(v["notify"]["name"], "QCD_TOKEN");
        assert_eq!(v["notify"]["data"], "aabbccdd");
        assert_eq!(v["warnings"].as_array().unwrap().len(), 1);
    }
}

#[cfg(test)]
mod keyed_tests {
    use super::*;
    use crate::ikecrypto::{seal, KeyTable, SealHeader};
    use crate::spi::Spi;
    use crate::wire::{ExchangeType, Flags, NotifyRepr, PayloadRepr};

    const SPI_I: &str = "1111111111111111";
    const SPI_R: &str = "2222222222222222";

    /// Keys for the test SA; responder messages use SK_er and SK_ar (`sk_ar`).
    fn table_with(sk_er: &str, sk_ar: &str) -> KeyTable {
        let line = format!(
            "{SPI_I},{SPI_R},{},{sk_er},\"AES-CBC-128 [RFC3602]\",{},{sk_ar},\"HMAC_SHA2_256_128 [RFC4868]\"\n",
            "22".repeat(16),
            "33".repeat(32),
        );
        KeyTable::parse(&line, "test.keys").unwrap()
    }

    fn table(sk_er: &str) -> KeyTable {
        table_with(sk_er, &"44".repeat(32))
    }

    fn ike_auth_response(t: &KeyTable, token: &[u8]) -> Vec<u8> {
        let spis = SpiPair::new(Spi::parse(SPI_I).unwrap(), Spi::parse(SPI_R).unwrap());
        seal(
            SealHeader {
                spis,
                exchange: ExchangeType::IKE_AUTH,
                flags: Flags::RESPONSE,
                message_id: 1,
            },
            &[
                PayloadRepr::other(PayloadType(36), vec![2, 0, 0, 0, b'g', b'w']),
                PayloadRepr::notify(NotifyRepr::qcd_token(token)),
            ],
            t.get(&spis).unwrap(),
            &[7; 16],
        )
        .unwrap()
    }

    #[test]
    fn sk_payloads_are_opened_with_the_right_keys() {
        let t = table(&"11".repeat(16));
        let token = [0xab; 32];
        let msg = ike_auth_response(&t, &token);
        let d = decode_message_with_keys(&msg, Some(&t)).unwrap();
        let sk = d.payloads[0].encrypted.as_ref().unwrap();
        assert_eq!(sk.decrypt_error, None);
        let inner = sk.payloads.as_ref().unwrap();
        assert_eq!(inner.len(), 2);
        assert_eq!(inner[0].name, "IDr");
        let n = inner[1].notify.as_ref().unwrap();
        assert_eq!(n.notify_type, NotifyType::QCD_TOKEN.0);
        assert_eq!(n.data, crate::encoding::to_hex(token));
        // Without keys the SK payload stays opaque.
        let d = decode_message(&msg).unwrap();
        assert!(d.payloads[0].encrypted.as_ref().unwrap().payloads.is_none());
    }

    #[test]
    fn wrong_keys_and_missing_keys_are_reported_not_fatal() {
        let right = table(&"11".repeat(16));
        let msg = ike_auth_response(&right, &[1; 16]);
        let wrong = table_with(&"99".repeat(16), &"98".repeat(32));
        let d = decode_message_with_keys(&msg, Some(&wrong)).unwrap();
        let e = d.payloads[0]
            .encrypted
            .as_ref()
            .unwrap()
            .decrypt_error
            .clone()
            .unwrap();
        assert!(e.contains("integrity check failed"), "{e}");
        assert!(d.warnings.iter().any(|w| w.contains("not decrypted")));
        // Right SK_ar, wrong SK_er: the ICV passes but the plaintext is garbage.
        let wrong_e = table(&"99".repeat(16));
        let d = decode_message_with_keys(&msg, Some(&wrong_e)).unwrap();
        let sk = d.payloads[0].encrypted.as_ref().unwrap();
        assert!(sk.payloads.is_none());
        assert!(sk.decrypt_error.is_some());
        let other = KeyTable::parse(
            &format!(
                "0000000000000001,0000000000000002,{},{},\"AES-CBC-128 [RFC3602]\",{},{},\"HMAC_SHA2_256_128 [RFC4868]\"",
                "11".repeat(16),
                "22".repeat(16),
                "33".repeat(32),
                "44".repeat(32)
            ),
            "other.keys",
        )
        .unwrap();
        let d = decode_message_with_keys(&msg, Some(&other)).unwrap();
        let e = d.payloads[0]
            .encrypted
            .as_ref()
            .unwrap()
            .decrypt_error
            .clone()
            .unwrap();
        assert!(
            e.contains("no key table line for SPI-I 1111111111111111"),
            "{e}"
        );
    }

    #[test]
    fn sa_proposals_show_the_new_ike_spi_of_a_rekey() {
        use crate::wire::{emit_proposals, ProposalRepr};
        let t = table(&"11".repeat(16));
        let spis = SpiPair::new(Spi::parse(SPI_I).unwrap(), Spi::parse(SPI_R).unwrap());
        let sa = emit_proposals(&[ProposalRepr::ike_rekey([0x5a; 8])]).unwrap();
        let msg = seal(
            SealHeader {
                spis,
                exchange: ExchangeType::CREATE_CHILD_SA,
                flags: Flags::RESPONSE,
                message_id: 2,
            },
            &[PayloadRepr::other(PayloadType::SA, sa)],
            t.get(&spis).unwrap(),
            &[9; 16],
        )
        .unwrap();
        let d = decode_message_with_keys(&msg, Some(&t)).unwrap();
        let inner = d.payloads[0]
            .encrypted
            .as_ref()
            .unwrap()
            .payloads
            .clone()
            .unwrap();
        let p = &inner[0].proposals.as_ref().unwrap()[0];
        assert_eq!((p.number, p.protocol_id, p.transforms), (1, 1, 1));
        assert_eq!(p.spi, "5a".repeat(8));
        assert_eq!(p.protocol, "IKE");
        let json = serde_json::to_value(&inner[0]).unwrap();
        assert_eq!(json["proposals"][0]["spi"], "5a".repeat(8));
    }

    #[test]
    fn inner_payloads_are_shown_up_to_a_malformed_one() {
        let t = table(&"11".repeat(16));
        let spis = SpiPair::new(Spi::parse(SPI_I).unwrap(), Spi::parse(SPI_R).unwrap());
        let msg = seal(
            SealHeader {
                spis,
                exchange: ExchangeType::INFORMATIONAL,
                flags: Flags::RESPONSE,
                message_id: 3,
            },
            &[
                PayloadRepr::other(PayloadType::IDR, vec![2, 0, 0, 0, b'g', b'w']),
                // a Notify whose SPI size runs past its body
                PayloadRepr::other(PayloadType::NOTIFY, vec![3, 9, 0, 11]),
                PayloadRepr::other(PayloadType::NONCE, vec![1; 16]),
            ],
            t.get(&spis).unwrap(),
            &[5; 16],
        )
        .unwrap();
        let d = decode_message_with_keys(&msg, Some(&t)).unwrap();
        let sk = d.payloads[0].encrypted.as_ref().unwrap();
        let inner = sk.payloads.as_ref().unwrap();
        assert_eq!(inner.len(), 3);
        assert_eq!(inner[0].id.as_ref().unwrap().value, "gw");
        assert_eq!(inner[1].malformed.as_ref().unwrap().field, "SPI size");
        assert_eq!(inner[2].nonce.as_ref().unwrap().length, 16);
        // the SPI Size field: after the 10-byte IDr and the 4-byte generic header
        assert_eq!(sk.malformed.as_ref().unwrap().offset, 10 + 4 + 1);
        assert!(sk.decrypt_error.as_ref().unwrap().contains("SPI size"));
        let lines: Vec<String> = text::tree(&Decoded::Message(d), text::TreeOptions::default())
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("malformed inside (offsets in the plaintext)")),
            "{lines:?}"
        );
        assert!(
            !lines.iter().any(|l| l.contains("not decrypted")),
            "{lines:?}"
        );
    }

    #[test]
    fn inner_qcd_warnings_are_reported() {
        let t = table(&"11".repeat(16));
        let msg = ike_auth_response(&t, &[1; 8]);
        let d = decode_message_with_keys(&msg, Some(&t)).unwrap();
        assert!(
            d.warnings
                .iter()
                .any(|w| w.starts_with("inside SK:") && w.contains("8 octets")),
            "{:?}",
            d.warnings
        );
    }
}
