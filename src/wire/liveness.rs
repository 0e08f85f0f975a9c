//! The unprotected exchange that draws a QCD token out of a live maker: the
//! request a crashed peer's liveness check looks like (an INFORMATIONAL
//! request for SPIs the maker does not know, with an SK payload), the rules
//! by which a maker decides to answer it, and the answer
//! `HDR, N(INVALID_IKE_SPI), N(QCD_TOKEN)…` (RFC 6290 §4; the rules are the
//! ones measured against Rockhopper VPN, see `tests/data/rockhopper/`).
//!
//! `qcd probe` builds requests with [`liveness_request`] and reads answers
//! with [`read_reply`]; `qcd respond` judges requests with
//! [`read_unknown_spi_request`] and builds answers with [`qcd_reply`]. Both
//! also frame datagrams for UDP 4500 ([`NON_ESP_MARKER`]).
//!
//! Not here: tokens (see `qcd::token`), sockets and timing (see `qcd::probe`).

use serde::Serialize;

use super::header::{Flags, Header, MessageRepr, HEADER_LEN, IKEV2_MAJOR};
use super::payload::{PayloadContent, PayloadRepr, GENERIC_HEADER_LEN};
use super::registry::{ExchangeType, NotifyType, PayloadType, ProtocolId};
use super::sk::EncryptedRepr;
use super::{NotifyRepr, WireError};
use crate::spi::SpiPair;

/// The four zero bytes that precede an IKE message on UDP 4500 (RFC 3948 §2.2).
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];

/// The UDP port of IKE behind NAT, where messages carry [`NON_ESP_MARKER`].
pub const NAT_T_PORT: u16 = 4500;

/// The UDP port of IKE.
pub const IKE_PORT: u16 = 500;

/// Bytes of the probe's SK payload body (IV, ciphertext, ICV), as an
/// AES-CBC-256/HMAC-SHA2-256-128 liveness check of an empty INFORMATIONAL
/// has: 16 + 32 + 16. The request is 96 bytes of IKE, like the requests
/// Rockhopper answered in `probe_replies.pcap`.
pub const PROBE_SK_BODY_LEN: usize = 64;

/// The IKE message inside a UDP payload: after the non-ESP marker on port
/// 4500 (`None` when the marker is missing, e.g. ESP-in-UDP or a keepalive),
/// the whole payload elsewhere.
pub fn unframe(udp_payload: &[u8], nat_t: bool) -> Option<&[u8]> {
    if !nat_t {
        return Some(udp_payload);
    }
    udp_payload
        .strip_prefix(&NON_ESP_MARKER[..])
        .filter(|m| !m.is_empty())
}

/// The UDP payload for an IKE message: the marker first on port 4500.
pub fn frame(message: &[u8], nat_t: bool) -> Vec<u8> {
    let mut v = Vec::with_capacity(message.len() + 4);
    if nat_t {
        v.extend_from_slice(&NON_ESP_MARKER);
    }
    v.extend_from_slice(message);
    v
}

/// The request a maker answers with its token: an INFORMATIONAL request
/// (Initiator flag set) for `spis`, holding one SK payload whose body is
/// `sk_body` (random bytes: the maker has no key to check them with).
pub fn liveness_request(spis: SpiPair, message_id: u32, sk_body: Vec<u8>) -> MessageRepr {
    MessageRepr {
        spi_i: spis.initiator,
        spi_r: spis.responder,
        exchange: ExchangeType::INFORMATIONAL,
        flags: Flags::INITIATOR,
        message_id,
        payloads: vec![PayloadRepr::encrypted(EncryptedRepr {
            fragment: None,
            first_inner: PayloadType::NONE,
            body: sk_body,
        })],
    }
}

/// Why a maker leaves a message for an unknown IKE SA unanswered (the
/// Rockhopper rules of `qcd.md`, "Drawing a token from a live maker").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unanswered {
    /// Shorter than an IKE header, or the Length field disagrees with the datagram.
    Truncated,
    /// The major version is not 2.
    Version,
    /// A response (R flag): a maker answers requests only.
    Response,
    /// IKE_SA_INIT, IKE_AUTH or an unknown exchange type.
    Exchange,
    /// SPI-I or SPI-R is zero.
    ZeroSpi,
    /// The first payload is not SK (a bare header, a plain Notify, SKF fragments).
    NoSk,
    /// The SK payload's length does not reach exactly to the end of the message.
    SkLength,
}

impl Unanswered {
    pub fn describe(self) -> &'static str {
        match self {
            Unanswered::Truncated => "not a whole IKE message",
            Unanswered::Version => "not IKE version 2",
            Unanswered::Response => "a response, not a request",
            Unanswered::Exchange => {
                "an exchange a maker does not answer (only INFORMATIONAL and CREATE_CHILD_SA)"
            }
            Unanswered::ZeroSpi => "a zero SPI",
            Unanswered::NoSk => "no SK payload first",
            Unanswered::SkLength => "an SK payload length that does not end the message",
        }
    }
}

/// What a maker reads from a request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownSpiRequest {
    pub spis: SpiPair,
    pub exchange: ExchangeType,
    pub flags: Flags,
    pub message_id: u32,
}

/// Judges an IKE message (marker already removed) as a maker does when it
/// holds no IKE SA for its SPIs: the request to answer, or why not.
pub fn read_unknown_spi_request(message: &[u8]) -> Result<UnknownSpiRequest, Unanswered> {
    let h = Header::new_checked(message).map_err(|_| Unanswered::Truncated)?;
    if h.length() as usize != message.len() {
        return Err(Unanswered::Truncated);
    }
    if h.major_version() != IKEV2_MAJOR {
        return Err(Unanswered::Version);
    }
    if h.flags().response() {
        return Err(Unanswered::Response);
    }
    let exchange = h.exchange_type();
    if exchange != ExchangeType::INFORMATIONAL && exchange != ExchangeType::CREATE_CHILD_SA {
        return Err(Unanswered::Exchange);
    }
    if h.spi_i().is_zero() || h.spi_r().is_zero() {
        return Err(Unanswered::ZeroSpi);
    }
    if h.next_payload() != PayloadType::SK {
        return Err(Unanswered::NoSk);
    }
    let rest = &message[HEADER_LEN..];
    if rest.len() < GENERIC_HEADER_LEN
        || usize::from(u16::from_be_bytes([rest[2], rest[3]])) != rest.len()
    {
        return Err(Unanswered::SkLength);
    }
    Ok(UnknownSpiRequest {
        spis: SpiPair::new(h.spi_i(), h.spi_r()),
        exchange,
        flags: h.flags(),
        message_id: h.message_id(),
    })
}

/// The maker's answer to `request`: same SPIs, exchange type and message
/// ID; flags Response, plus Initiator when the request lacked it (the
/// request came from the original responder); `N(INVALID_IKE_SPI)` and one
/// `N(QCD_TOKEN)` per token, all with Protocol ID 0.
pub fn qcd_reply(request: &UnknownSpiRequest, tokens: &[&[u8]]) -> MessageRepr {
    let flags = if request.flags.initiator() {
        Flags::RESPONSE
    } else {
        Flags::RESPONSE | Flags::INITIATOR
    };
    let mut payloads = vec![PayloadRepr::notify(NotifyRepr::new(
        ProtocolId::NONE.0,
        NotifyType::INVALID_IKE_SPI,
        Vec::new(),
    ))];
    payloads.extend(
        tokens
            .iter()
            .map(|t| PayloadRepr::notify(NotifyRepr::qcd_token(t))),
    );
    MessageRepr {
        spi_i: request.spis.initiator,
        spi_r: request.spis.responder,
        exchange: request.exchange,
        flags,
        message_id: request.message_id,
        payloads,
    }
}

/// A QCD_TOKEN seen in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenToken {
    /// 0 as RFC 6290 erratum 3449 says, 1 before it (both are accepted).
    pub protocol_id: ProtocolId,
    pub data: Vec<u8>,
}

/// An answer to a liveness request, read fully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivenessReply {
    pub spis: SpiPair,
    pub exchange: ExchangeType,
    pub flags: Flags,
    pub message_id: u32,
    /// The Protocol ID of N(INVALID_IKE_SPI), when present.
    pub invalid_ike_spi: Option<ProtocolId>,
    /// Every N(QCD_TOKEN), in order (a maker in an overlap window sends several).
    pub tokens: Vec<SeenToken>,
    /// The other notifications' types, in order.
    pub other_notifies: Vec<NotifyType>,
    /// Whether the answer holds an SK payload (a maker that knows the SPIs).
    pub encrypted: bool,
}

/// Reads an answer (marker already removed) to a liveness request.
pub fn read_reply(message: &[u8]) -> Result<LivenessReply, WireError> {
    let m = MessageRepr::from_bytes(message)?;
    let mut r = LivenessReply {
        spis: SpiPair::new(m.spi_i, m.spi_r),
        exchange: m.exchange,
        flags: m.flags,
        message_id: m.message_id,
        invalid_ike_spi: None,
        tokens: Vec::new(),
        other_notifies: Vec::new(),
        encrypted: false,
    };
    for p in m.payloads {
        match p.content {
            PayloadContent::Notify(n) if n.notify_type == NotifyType::INVALID_IKE_SPI => {
                r.invalid_ike_spi.get_or_insert(n.protocol_id);
            }
            PayloadContent::Notify(n) if n.notify_type == NotifyType::QCD_TOKEN => {
                r.tokens.push(SeenToken {
                    protocol_id: n.protocol_id,
                    data: n.data,
                })
            }
            PayloadContent::Notify(n) => r.other_notifies.push(n.notify_type),
            PayloadContent::Encrypted(_) => r.encrypted = true,
            PayloadContent::Other { .. } => {}
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spi::Spi;

    fn spis() -> SpiPair {
        SpiPair::new(Spi([1, 2, 3, 4, 5, 6, 7, 8]), Spi([9; 8]))
    }

    #[test]
    fn request_emits_and_is_answered() {
        let req = liveness_request(spis(), 3, vec![0xaa; PROBE_SK_BODY_LEN]);
        let bytes = req.to_bytes().unwrap();
        assert_eq!(bytes.len(), 96);
        assert_eq!(MessageRepr::from_bytes(&bytes).unwrap(), req);
        let r = read_unknown_spi_request(&bytes).unwrap();
        assert_eq!(r.spis, spis());
        assert_eq!(r.message_id, 3);
        assert!(r.flags.initiator());
    }

    #[test]
    fn reply_round_trip() {
        let req =
            read_unknown_spi_request(&liveness_request(spis(), 5, vec![0; 8]).to_bytes().unwrap())
                .unwrap();
        let reply = qcd_reply(&req, &[&[0x11; 64], &[0x22; 32]]);
        let bytes = reply.to_bytes().unwrap();
        assert_eq!(bytes.len(), 28 + 8 + 8 + 64 + 8 + 32);
        let read = read_reply(&bytes).unwrap();
        assert_eq!(read.spis, spis());
        assert_eq!(read.flags, Flags::RESPONSE);
        assert_eq!(read.message_id, 5);
        assert_eq!(read.invalid_ike_spi, Some(ProtocolId::NONE));
        assert_eq!(read.tokens.len(), 2);
        assert_eq!(read.tokens[0].data, vec![0x11; 64]);
        assert_eq!(read.tokens[1].protocol_id, ProtocolId::NONE);
        assert!(!read.encrypted && read.other_notifies.is_empty());
    }

    #[test]
    fn request_without_initiator_flag_gets_initiator_in_reply() {
        let mut m = liveness_request(spis(), 5, vec![0; 8]);
        m.flags = Flags(0);
        let req = read_unknown_spi_request(&m.to_bytes().unwrap()).unwrap();
        assert_eq!(qcd_reply(&req, &[&[0; 16]]).flags.0, 0x28);
    }

    #[test]
    fn unanswered_requests() {
        let ok = liveness_request(spis(), 0, vec![0; 16]);
        let case = |f: &dyn Fn(&mut MessageRepr)| {
            let mut m = ok.clone();
            f(&mut m);
            read_unknown_spi_request(&m.to_bytes().unwrap()).unwrap_err()
        };
        assert_eq!(case(&|m| m.flags = Flags::RESPONSE), Unanswered::Response);
        assert_eq!(
            case(&|m| m.exchange = ExchangeType::IKE_AUTH),
            Unanswered::Exchange
        );
        assert_eq!(
            case(&|m| m.exchange = ExchangeType::IKE_SA_INIT),
            Unanswered::Exchange
        );
        assert_eq!(case(&|m| m.spi_r = Spi([0; 8])), Unanswered::ZeroSpi);
        assert_eq!(case(&|m| m.payloads.clear()), Unanswered::NoSk);
        assert_eq!(
            case(&|m| m.payloads = vec![PayloadRepr::notify(NotifyRepr::new(
                0,
                NotifyType::INVALID_SPI,
                vec![]
            ))]),
            Unanswered::NoSk
        );
        let mut bytes = ok.to_bytes().unwrap();
        bytes[17] = 0x10;
        assert_eq!(
            read_unknown_spi_request(&bytes).unwrap_err(),
            Unanswered::Version
        );
        let mut bytes = ok.to_bytes().unwrap();
        bytes[31] -= 4; // SK length short of the end
        assert_eq!(
            read_unknown_spi_request(&bytes).unwrap_err(),
            Unanswered::SkLength
        );
        assert_eq!(
            read_unknown_spi_request(&bytes[..20]).unwrap_err(),
            Unanswered::Truncated
        );
    }

    proptest::proptest! {
        /// emit -> parse: any request with non-zero SPIs is answered, and the
        /// answer reads back with the request's SPIs, message ID, exchange and tokens.
        #[test]
        fn request_and_reply_round_trip(
            i in proptest::array::uniform8(1u8..),
            r in proptest::array::uniform8(1u8..),
            message_id: u32,
            initiator: bool,
            child_sa: bool,
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
            tokens in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 16..=128), 0..4),
            nat_t: bool,
        ) {
            let spis = SpiPair::new(Spi(i), Spi(r));
            let mut m = liveness_request(spis, message_id, body);
            m.flags = if initiator { Flags::INITIATOR } else { Flags(0) };
            if child_sa {
                m.exchange = ExchangeType::CREATE_CHILD_SA;
            }
            let bytes = m.to_bytes().unwrap();
            proptest::prop_assert_eq!(&MessageRepr::from_bytes(&bytes).unwrap(), &m);
            let framed = frame(&bytes, nat_t);
            let req = read_unknown_spi_request(unframe(&framed, nat_t).unwrap()).unwrap();
            proptest::prop_assert_eq!(req.spis, spis);
            proptest::prop_assert_eq!(req.message_id, message_id);
            let refs: Vec<&[u8]> = tokens.iter().map(Vec::as_slice).collect();
            let reply = qcd_reply(&req, &refs).to_bytes().unwrap();
            let back = read_reply(&reply).unwrap();
            proptest::prop_assert_eq!(back.spis, spis);
            proptest::prop_assert_eq!(back.message_id, message_id);
            proptest::prop_assert_eq!(back.exchange, m.exchange);
            proptest::prop_assert_eq!(back.flags.initiator(), !initiator);
            proptest::prop_assert!(back.flags.response());
            let got: Vec<Vec<u8>> = back.tokens.into_iter().map(|t| t.data).collect();
            proptest::prop_assert_eq!(got, tokens);
            // A maker never answers its own answer.
            proptest::prop_assert_eq!(read_unknown_spi_request(&reply), Err(Unanswered::Response));
        }
    }

    #[test]
    fn marker_framing() {
        let m = [1u8, 2, 3];
        assert_eq!(unframe(&frame(&m, true), true), Some(&m[..]));
        assert_eq!(unframe(&frame(&m, false), false), Some(&m[..]));
        assert_eq!(unframe(&[1, 0, 0, 0, 5], true), None);
        assert_eq!(unframe(&[0xff], true), None);
    }
}
