//! A message's header and payload chain, decoded: the light decode that
//! filters and summaries need (header, chain, notify fields, SK/SKF fields,
//! SA proposals), the full dissection of every payload ([`dissect`](super::dissect))
//! on top of it, and the RFC 6290 checks on QCD_TOKEN notifies, as warnings.

use crate::wire::{
    Header, NotifyType, Payload, PayloadIter, PayloadType, ProtocolId, WireError, HEADER_LEN,
};

use super::decrypt::{open_encrypted, FragmentCtx};
use super::{
    dissect, label, DecodeOptions, DecodedEncrypted, DecodedMessage, DecodedNotify, DecodedPayload,
    DecodedPayloadUnit, Malformed,
};

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
pub(super) fn walk_chain(
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

pub(super) fn decode_message_at(
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
        m.dissect(bytes);
    }
    Ok(m)
}

impl DecodedMessage {
    /// Dissects every payload (of a message decoded without
    /// [`DecodeOptions::dissect`]) from the message `bytes` it was decoded
    /// from (without a non-ESP marker), and the decrypted payloads from the
    /// plaintext kept with them. Problems found inside payloads become the
    /// payloads' `malformed` and warnings. Does nothing the second time.
    pub fn dissect(&mut self, bytes: &[u8]) {
        if self.dissected {
            return;
        }
        self.dissected = true;
        let base = if self.non_esp_marker { 4 } else { 0 };
        let mut warnings = Vec::new();
        for d in &mut self.payloads {
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
        self.warnings.extend(warnings);
    }

    /// The message when it is well-formed, else its first structural
    /// problem (as [`DecodedMessage::malformed`] names it) as the error:
    /// for callers that want a whole message or nothing.
    pub fn well_formed(self) -> Result<DecodedMessage, WireError> {
        match self.malformed {
            Some(mf) => Err(mf.error),
            None => Ok(self),
        }
    }
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
pub(super) fn decode_payload(
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
fn qcd_token_warnings(offset: usize, n: &DecodedNotify) -> Vec<String> {
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

pub(super) fn payload_warnings(p: &DecodedPayload) -> Vec<String> {
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
