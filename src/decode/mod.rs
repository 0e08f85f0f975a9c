//! Decoding for people and scripts: from bytes (see [`input`] for hex, xxd and
//! hexdump text) to [`Decoded`] result structs ([`model`]) that serialize to
//! the NDJSON contract of `qcd decode --json`, with RFC 6290 checks as
//! warnings.
//!
//! Two entry points:
//!
//! - [`decode_bytes`]: one unit the user gives (hex on the command line, a
//!   file of hex): a complete IKEv2 message (28-byte header, major version
//!   2, length field equal to the data length), the same after the 4-byte
//!   non-ESP marker of UDP port 4500, or else a single generic payload (a
//!   Notify payload unless told otherwise); see [`BytesRequest`].
//! - [`Decoder`]: the messages of a capture (or any IKEv2 message without a
//!   marker), in order, with the reassembly of IKE fragments (SKF, RFC
//!   7383; see [`fragments`]) across messages; see [`messages`] for a
//!   capture's messages with their filters.
//!
//! Malformed messages are dissected as far as they go, as Wireshark does:
//! every payload up to the one that is wrong is decoded, and the message's
//! [`DecodedMessage::malformed`] (and a warning) names the byte offset and
//! what is wrong; [`DecodedMessage::well_formed`] turns that into an error
//! for callers that want a whole message or nothing.
//!
//! Two depths: the light decode (header, payload chain, notify fields, SK
//! payloads, SA proposals) that filters and summaries need, and the full
//! dissection of every payload ([`dissect`]), done when
//! [`DecodeOptions::dissect`] is set or later with
//! [`DecodedMessage::dissect`], so that paths which print nothing do not pay
//! for it. SK payloads are opened with a key table (`decrypt`).
//!
//! Not here: byte layouts (see `qcd::wire`), ciphers (see `qcd::ikecrypto`),
//! command-line handling.

mod chain;
mod decrypt;
pub mod digest;
pub mod dissect;
pub mod fragments;
pub mod input;
pub mod messages;
pub mod model;
pub mod summary;
pub mod table;
pub mod text;

pub use dissect::{
    DecodedAttribute, DecodedAuth, DecodedCert, DecodedCertReq, DecodedCfgAttribute, DecodedCp,
    DecodedDelete, DecodedEap, DecodedId, DecodedKe, DecodedNonce, DecodedSelector,
    DecodedTransform, DecodedTs, DecodedVendorId, NamedNumber, NotifyDetails,
};
pub use fragments::{FragmentLimits, FragmentTable};
pub(crate) use model::label;
pub use model::{
    Decoded, DecodedEncrypted, DecodedMessage, DecodedNotify, DecodedPayload, DecodedPayloadUnit,
    DecodedProposal, Label, Malformed, Plaintext, Reassembled,
};

use crate::capture::Timestamp;
use crate::ikecrypto::KeyTable;
use crate::wire::liveness::NON_ESP_MARKER;
use crate::wire::{Header, PayloadType, WireError, HEADER_LEN};
use chain::{decode_message_at, decode_payload};
use decrypt::FragmentCtx;

/// What the user says the bytes are (`--as`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum As {
    Message,
    Payload,
}

/// What [`detect`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detected {
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
fn detect(bytes: &[u8], forced: Option<As>) -> Detected {
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

/// What [`decode_bytes`] is asked: what the bytes are, and the keys SK
/// payloads are opened with. Every payload is dissected.
#[derive(Debug, Clone, Copy, Default)]
pub struct BytesRequest<'k> {
    /// What the bytes are (`--as`); `None`: detected (see [`decode_bytes`]).
    pub kind: Option<As>,
    /// Decrypt SK payloads whose IKE SA is in this table.
    pub keys: Option<&'k KeyTable>,
    /// Show a decryption whose ICV does not match, marked unauthenticated
    /// (`--ignore-icv`). Off: no plaintext for a failed ICV.
    pub ignore_icv: bool,
}

/// Decodes one unit the user gives: a message (perhaps after a non-ESP
/// marker) or a lone payload, detected unless [`BytesRequest::kind`] says
/// (a lone payload is taken as a Notify payload), every payload
/// dissected, SK payloads opened with the request's keys. A malformed
/// message is decoded as far as it goes (see
/// [`DecodedMessage::malformed`]); the error is for bytes that are not a
/// message or payload at all.
///
/// Detection: a message when the header has major version 2 and a length
/// equal to the data (or, so that a wrong length is reported as such,
/// version 2.0 and an assigned exchange type); then the same after a
/// non-ESP marker; else a payload.
pub fn decode_bytes(bytes: &[u8], request: &BytesRequest<'_>) -> Result<Decoded, WireError> {
    let opts = DecodeOptions {
        keys: request.keys,
        ignore_icv: request.ignore_icv,
        dissect: true,
    };
    match detect(bytes, request.kind) {
        Detected::Message => decode_message_at(bytes, 0, false, &opts, None).map(Decoded::Message),
        Detected::MarkedMessage => {
            decode_message_at(&bytes[4..], 4, true, &opts, None).map(Decoded::Message)
        }
        Detected::Payload => decode_payload(bytes, PayloadType::NOTIFY).map(Decoded::Payload),
    }
}

/// Decodes the messages of a capture (or any IKEv2 message without a
/// non-ESP marker), in order: keys, depth, and the reassembly of IKE
/// fragments (RFC 7383) across messages.
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

    /// Decodes one message (no non-ESP marker) seen at capture time `time`
    /// (`None` outside a capture), as far as it goes: the error is only for
    /// bytes that are not an IKEv2 message at all (shorter than the header,
    /// another major version); see [`DecodedMessage::well_formed`]. A
    /// failed decryption is not an error of the message: it is reported in
    /// the SK payload's `decrypt_error` and as a warning.
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

/// A whole message (no marker), every payload dissected, SK opened with
/// `keys`: strict, as tests want it.
#[cfg(test)]
pub(crate) fn test_message(
    bytes: &[u8],
    keys: Option<&KeyTable>,
) -> Result<DecodedMessage, WireError> {
    let opts = DecodeOptions {
        keys,
        ignore_icv: false,
        dissect: true,
    };
    Decoder::new(opts).decode(bytes, None)?.well_formed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spi::Spi;
    use crate::wire::{ExchangeType, Flags, MessageRepr, NotifyRepr, NotifyType, PayloadRepr};

    fn decode_message(bytes: &[u8]) -> Result<DecodedMessage, WireError> {
        test_message(bytes, None)
    }

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
        match decode_bytes(&marked, &BytesRequest::default()).unwrap() {
            Decoded::Message(d) => assert!(d.non_esp_marker),
            d => panic!("{d:?}"),
        }
        // a wrong length is still reported as a message problem: decoded
        // as far as it goes, and an error for the strict decoder
        let mut bad = m.clone();
        bad[27] += 1;
        match decode_bytes(&bad, &BytesRequest::default()).unwrap() {
            Decoded::Message(d) => assert_eq!(d.malformed.unwrap().field, "length"),
            d => panic!("{d:?}"),
        }
        assert_eq!(decode_message(&bad).unwrap_err().field(), "length");
        // and a truncated header as a truncated header
        assert_eq!(
            decode_bytes(&m[..27], &BytesRequest::default())
                .unwrap_err()
                .field(),
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
        let mut light = Decoder::new(DecodeOptions::default())
            .decode(&bytes, None)
            .unwrap();
        assert!(light.payloads[2].ke.is_none() && light.payloads[0].malformed.is_none());
        light.dissect(&bytes);
        assert_eq!(light, d);
    }

    #[test]
    fn json_shape() {
        let d = decode_bytes(
            &hex::decode("0000000c01004023aabbccdd").unwrap(),
            &BytesRequest::default(),
        )
        .unwrap();
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["kind"], "payload");
        assert_eq!(v["type"], 41);
        assert_eq!(v["name"], "N");
        assert_eq!(v["notify"]["name"], "QCD_TOKEN");
        assert_eq!(v["notify"]["data"], "aabbccdd");
        assert_eq!(v["warnings"].as_array().unwrap().len(), 1);
    }
}
