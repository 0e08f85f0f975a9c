//! Decoding for people and scripts: from bytes (see [`input`] for hex, xxd and
//! hexdump text) to [`Decoded`] result structs that serialize to the NDJSON
//! contract of `qcd decode --json`, with RFC 6290 checks as warnings.
//!
//! Detection ([`detect`]): a complete IKEv2 message (28-byte header, major
//! version 2, length field equal to the data length), the same after the
//! 4-byte non-ESP marker of UDP port 4500, or else a single generic payload
//! (a Notify payload unless told otherwise).
//!
//! Later commands (capture decode, diagnose) call [`decode_message`] and
//! [`decode_bytes`]. Not here: byte layouts (see `qcd::wire`), keys and
//! decryption (an SK payload's [`DecodedEncrypted::payloads`] stays `None`
//! until a decryption module fills it), command-line handling.

pub mod input;
pub mod summary;
pub mod text;

use serde::Serialize;

use crate::ikecrypto::{self, Integrity, KeyTable};
use crate::spi::SpiPair;
use crate::wire::{
    Header, NotifyType, Payload, PayloadIter, PayloadType, ProtocolId, WireError, HEADER_LEN,
};

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

/// One decoded unit: a message or a lone payload. Serializes with a `kind`
/// field of `"message"` or `"payload"`.
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
    pub exchange: String,
    pub flags: u8,
    pub initiator: bool,
    pub response: bool,
    pub higher_version: bool,
    pub message_id: u32,
    pub length: u32,
    pub payloads: Vec<DecodedPayload>,
    pub warnings: Vec<String>,
}

/// One payload. `notify` is set for Notify payloads, `encrypted` for SK and
/// SKF, `body` (hex) for every other type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedPayload {
    /// Byte offset of the generic header in the input.
    pub offset: usize,
    #[serde(rename = "type")]
    pub payload_type: u8,
    /// Short name ("N", "SK") or the range label of an unassigned type.
    pub name: String,
    pub critical: bool,
    pub next_payload: u8,
    pub length: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify: Option<DecodedNotify>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<DecodedEncrypted>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// For an SA payload whose proposals parse: each proposal's number,
    /// protocol and SPI (transforms stay in `body`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposals: Option<Vec<DecodedProposal>>,
}

/// One proposal of an SA payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedProposal {
    pub number: u8,
    pub protocol_id: u8,
    pub protocol: String,
    /// Lowercase hex; for an IKE SA rekey, the new IKE SA's SPI.
    pub spi: String,
    pub transforms: u8,
}

/// The fields of a Notify payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedNotify {
    pub protocol_id: u8,
    pub protocol: String,
    pub spi_size: u8,
    /// Lowercase hex (empty when the SPI size is 0).
    pub spi: String,
    #[serde(rename = "type")]
    pub notify_type: u16,
    pub name: String,
    /// Error type (below 16384) rather than status type.
    pub error: bool,
    /// Notification data, lowercase hex.
    pub data: String,
}

/// An SK or SKF payload from outside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedEncrypted {
    /// The Next Payload field: first payload inside the ciphertext.
    pub first_inner_payload: u8,
    pub first_inner_name: String,
    /// Offset of IV‖ciphertext‖ICV in the input, and its length.
    pub body_offset: usize,
    pub body_length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragment_number: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_fragments: Option<u16>,
    /// The decrypted inner payloads (with `--keys` and a key for this SA).
    /// Their offsets count from the start of the decrypted plaintext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payloads: Option<Vec<DecodedPayload>>,
    /// Why the payload could not be decrypted (with `--keys`): no key for
    /// this SA, integrity check failed, bad padding, malformed inner payloads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypt_error: Option<String>,
    /// With `payloads`: what the ICV says about them. `"verified"` (the ICV
    /// matched), `"not_checked"` (the key table says "ANY n-bits of
    /// Authentication [No Checking]"), `"no_icv"` (integrity NONE with a
    /// non-AEAD cipher) or `"failed"` (the ICV did not match, shown because
    /// of `--ignore-icv`). Anything but `"verified"` is unauthenticated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<Integrity>,
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

/// Detects and decodes one unit. A lone payload is taken as a Notify payload.
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

/// [`decode_bytes`] with decryption options.
pub fn decode_bytes_with(
    bytes: &[u8],
    forced: Option<As>,
    keys: DecryptOptions<'_>,
) -> Result<Decoded, WireError> {
    match detect(bytes, forced) {
        Detected::Message => decode_message_at(bytes, 0, false, keys).map(Decoded::Message),
        Detected::MarkedMessage => {
            decode_message_at(&bytes[4..], 4, true, keys).map(Decoded::Message)
        }
        Detected::Payload => decode_payload(bytes, PayloadType::NOTIFY).map(Decoded::Payload),
    }
}

/// Decodes a complete IKEv2 message (no non-ESP marker); SK stays opaque.
pub fn decode_message(bytes: &[u8]) -> Result<DecodedMessage, WireError> {
    decode_message_at(bytes, 0, false, DecryptOptions::default())
}

/// Decodes a complete IKEv2 message (no non-ESP marker), decrypting its SK
/// payload when `keys` holds the IKE SA's keys. A failed decryption is not an
/// error of the message: it is reported in the SK payload's `decrypt_error`
/// and as a warning.
pub fn decode_message_with_keys(
    bytes: &[u8],
    keys: Option<&KeyTable>,
) -> Result<DecodedMessage, WireError> {
    decode_message_at(bytes, 0, false, DecryptOptions::keys(keys))
}

/// [`decode_message_with_keys`] with decryption options (`--ignore-icv`).
pub fn decode_message_with(
    bytes: &[u8],
    keys: DecryptOptions<'_>,
) -> Result<DecodedMessage, WireError> {
    decode_message_at(bytes, 0, false, keys)
}

/// Decrypts the SK payload `sk` of the message in `bytes` (offsets in `sk`
/// count from `base`) and decodes its inner payloads.
fn open_sk(
    bytes: &[u8],
    base: usize,
    sk: &mut DecodedEncrypted,
    keys: &KeyTable,
    ignore_icv: bool,
    warnings: &mut Vec<String>,
) {
    if sk.fragment_number.is_some() {
        sk.decrypt_error = Some(
            "SKF fragments are not reassembled; qcd decrypts whole SK payloads only".to_string(),
        );
        return;
    }
    let h = Header::new_unchecked(bytes);
    let spis = SpiPair::new(h.spi_i(), h.spi_r());
    let Some(sa) = keys.get(&spis) else {
        sk.decrypt_error = Some(format!(
            "no key table line for SPI-I {} SPI-R {}",
            spis.initiator, spis.responder
        ));
        return;
    };
    let result = ikecrypto::open(
        sa,
        h.flags().initiator(),
        bytes,
        sk.body_offset - base,
        ignore_icv,
    )
    .map_err(|e| e.to_string())
    .and_then(|opened| {
        PayloadIter::new(
            opened.plaintext.expose(),
            PayloadType(sk.first_inner_payload),
            0,
        )
        .map(|p| {
            p.and_then(|p| decode_one(&p))
                .map_err(|e| format!("inside the decrypted SK payload: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()
        .map(|inner| (inner, opened.integrity))
    });
    match result {
        Ok((inner, integrity)) => {
            if !integrity.is_verified() {
                warnings.push(format!(
                    "SK payload at byte {}: {}",
                    sk.body_offset - 4,
                    integrity.describe()
                ));
            }
            sk.integrity = Some(integrity);
            warnings.extend(
                inner
                    .iter()
                    .flat_map(payload_warnings)
                    .map(|w| format!("inside SK: {w}")),
            );
            sk.payloads = Some(inner);
        }
        Err(e) => {
            warnings.push(format!(
                "SK payload at byte {} not decrypted: {e}",
                sk.body_offset - 4
            ));
            sk.decrypt_error = Some(e);
        }
    }
}

fn decode_message_at(
    bytes: &[u8],
    base: usize,
    marker: bool,
    opts: DecryptOptions<'_>,
) -> Result<DecodedMessage, WireError> {
    let h = Header::new_checked(bytes).map_err(|e| e.shifted(base))?;
    h.check_message().map_err(|e| e.shifted(base))?;
    let mut payloads = Vec::new();
    for p in PayloadIter::new(h.payload_bytes(), h.next_payload(), base + HEADER_LEN) {
        payloads.push(decode_one(&p?)?);
    }
    let flags = h.flags();
    let mut m = DecodedMessage {
        non_esp_marker: marker,
        spi_i: h.spi_i().to_hex(),
        spi_r: h.spi_r().to_hex(),
        next_payload: h.next_payload().0,
        major_version: h.major_version(),
        minor_version: h.minor_version(),
        exchange_type: h.exchange_type().0,
        exchange: h.exchange_type().to_string(),
        flags: flags.0,
        initiator: flags.initiator(),
        response: flags.response(),
        higher_version: flags.version(),
        message_id: h.message_id(),
        length: h.length(),
        payloads,
        warnings: Vec::new(),
    };
    m.warnings = message_warnings(&m.payloads);
    if let Some(keys) = opts.keys {
        for p in &mut m.payloads {
            if let Some(sk) = p.encrypted.as_mut() {
                open_sk(bytes, base, sk, keys, opts.ignore_icv, &mut m.warnings);
            }
        }
    }
    Ok(m)
}

/// Decodes one generic payload of type `payload_type` filling all of `bytes`.
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
    let payload = decode_one(&p)?;
    let warnings = payload_warnings(&payload);
    Ok(DecodedPayloadUnit { payload, warnings })
}

fn decode_one(p: &Payload<'_>) -> Result<DecodedPayload, WireError> {
    let t = p.payload_type();
    let mut d = DecodedPayload {
        offset: p.offset(),
        payload_type: t.0,
        name: t.to_string(),
        critical: p.critical(),
        next_payload: p.next_payload().0,
        length: p.length(),
        notify: None,
        encrypted: None,
        body: None,
        proposals: None,
    };
    if t == PayloadType::NOTIFY {
        let n = p.notify()?;
        d.notify = Some(DecodedNotify {
            protocol_id: n.protocol_id().0,
            protocol: n.protocol_id().to_string(),
            spi_size: n.spi_size(),
            spi: hex::encode(n.spi()),
            notify_type: n.notify_type().0,
            name: n.notify_type().to_string(),
            error: n.notify_type().is_error(),
            data: hex::encode(n.data()),
        });
    } else if t.is_encrypted() {
        let e = p.encrypted()?;
        let frag = e.fragment();
        d.encrypted = Some(DecodedEncrypted {
            first_inner_payload: e.first_inner_payload().0,
            first_inner_name: e.first_inner_payload().to_string(),
            body_offset: e.body_offset(),
            body_length: e.body().len(),
            fragment_number: frag.map(|f| f.number),
            total_fragments: frag.map(|f| f.total),
            payloads: None,
            decrypt_error: None,
            integrity: None,
        });
    } else {
        d.body = Some(hex::encode(p.body()));
        if t == PayloadType::SA {
            d.proposals = crate::wire::proposals(p.body(), p.body_offset())
                .map(|r| {
                    r.map(|q| DecodedProposal {
                        number: q.number,
                        protocol_id: q.protocol_id.0,
                        protocol: q.protocol_id.to_string(),
                        spi: hex::encode(q.spi),
                        transforms: q.transform_count,
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .ok();
        }
    }
    Ok(d)
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
        // a wrong length is still reported as a message error
        let mut bad = m.clone();
        bad[27] += 1;
        assert_eq!(decode_bytes(&bad, None).unwrap_err().field(), "length");
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
        assert_eq!(n.data, hex::encode(token));
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
