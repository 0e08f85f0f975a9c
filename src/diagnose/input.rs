//! Turning a capture into the packet summaries the diagnosis reads, and a
//! keyring into its token checker.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::capture::{CaptureError, CaptureReader, Event, Options, Timestamp};
use crate::decode::{decode_message_with_keys, DecodedMessage, DecodedPayload};
use crate::ikecrypto::KeyTable;
use crate::secret::Keyring;
use crate::spi::{Spi, SpiPair};
use crate::token::{self, TokenInput};

use super::model::{IkeSummary, NotifySummary, Packet, PacketKind, TokenCheck, TokenChecker};

/// What was read from a capture.
#[derive(Debug, Default)]
pub struct CaptureInput {
    /// IKE messages and ESP packets, in capture order.
    pub packets: Vec<Packet>,
    /// Reader warnings and IKE payloads that did not parse (frame and byte offset named).
    pub warnings: Vec<String>,
    /// The file itself was damaged (truncated record, bad block).
    pub damaged: bool,
}

fn to_system_time(t: Option<Timestamp>, last: SystemTime) -> SystemTime {
    match t {
        Some(t) if t.secs >= 0 => {
            SystemTime::UNIX_EPOCH + Duration::new(t.secs as u64, t.nanos.min(999_999_999))
        }
        _ => last,
    }
}

fn notifies(payloads: &[DecodedPayload]) -> Vec<NotifySummary> {
    payloads
        .iter()
        .filter_map(|p| p.notify.as_ref())
        .map(|n| NotifySummary {
            notify_type: n.notify_type,
            protocol_id: n.protocol_id,
            spi: hex::decode(&n.spi).unwrap_or_default(),
            data: hex::decode(&n.data).unwrap_or_default(),
        })
        .collect()
}

/// The diagnosis' view of a decoded message.
pub fn summarize(m: &DecodedMessage) -> IkeSummary {
    let sk = m.payloads.iter().find_map(|p| p.encrypted.as_ref());
    let spi = |h: &str| Spi::parse(h).unwrap_or_default();
    IkeSummary {
        spis: SpiPair::new(spi(&m.spi_i), spi(&m.spi_r)),
        exchange: m.exchange_type,
        initiator: m.initiator,
        response: m.response,
        message_id: m.message_id,
        notifies: notifies(&m.payloads),
        encrypted: sk.is_some(),
        inner_notifies: sk.and_then(|e| e.payloads.as_deref()).map(notifies),
        decrypt_error: sk.and_then(|e| e.decrypt_error.clone()),
        new_ike_spi: sk.and_then(|e| e.payloads.as_deref()).and_then(new_ike_spi),
    }
}

/// The 8-byte SPI of an IKE proposal in an SA payload among `payloads`.
fn new_ike_spi(payloads: &[DecodedPayload]) -> Option<Spi> {
    payloads
        .iter()
        .filter_map(|p| p.proposals.as_ref())
        .flatten()
        .find(|q| q.protocol_id == crate::wire::ProtocolId::IKE.0 && q.spi.len() == 16)
        .and_then(|q| Spi::parse(&q.spi).ok())
}

/// Reads every IKE message (decrypting SK with `keys`) and ESP packet of a capture.
pub fn read_capture(
    path: &Path,
    extra_ports: Vec<u16>,
    keys: Option<&KeyTable>,
) -> Result<CaptureInput, CaptureError> {
    let mut reader = CaptureReader::open(
        path,
        Options {
            extra_ports,
            esp_events: true,
            ..Options::default()
        },
    )?;
    let mut input = CaptureInput::default();
    let mut last = SystemTime::UNIX_EPOCH;
    while let Some(event) = reader.next_event() {
        match event {
            Event::Ike {
                frame,
                time,
                src,
                dst,
                payload,
                ..
            } => {
                let time = to_system_time(time, last);
                last = time;
                match decode_message_with_keys(&payload, keys) {
                    Ok(m) => input.packets.push(Packet {
                        frame,
                        time,
                        src,
                        dst,
                        kind: PacketKind::Ike(Box::new(summarize(&m))),
                    }),
                    Err(e) => input
                        .warnings
                        .push(format!("frame {frame}: IKE message not decoded: {e}")),
                }
            }
            Event::Esp {
                frame,
                time,
                src,
                dst,
                spi,
                ..
            } => {
                let time = to_system_time(time, last);
                last = time;
                input.packets.push(Packet {
                    frame,
                    time,
                    src,
                    dst,
                    kind: PacketKind::Esp { spi },
                });
            }
            Event::Warning(w) => input.warnings.push(w.to_string()),
        }
    }
    input.damaged = reader.damaged();
    Ok(input)
}

/// Checks tokens against the maker's keyring, as `qcd token verify` does.
pub struct KeyringChecker<'k> {
    candidates: Vec<token::Candidate<'k>>,
}

impl<'k> KeyringChecker<'k> {
    pub fn new(keyring: &'k Keyring, now: SystemTime) -> Self {
        KeyringChecker {
            candidates: token::candidates(keyring, now),
        }
    }
}

impl TokenChecker for KeyringChecker<'_> {
    fn check(&self, spis: SpiPair, tok: &[u8], taker: Option<std::net::IpAddr>) -> TokenCheck {
        // Most gateways do not bind the taker address: try without it first.
        let plain = token::verify(&self.candidates, &TokenInput::new(spis, None), tok, None);
        // Only when that explains nothing, try with the taker's address appended.
        let v = match (&plain.matched, taker) {
            (None, Some(addr)) if plain.explanations.is_empty() => {
                let bound = token::verify(
                    &self.candidates,
                    &TokenInput::new(spis, Some(addr)),
                    tok,
                    None,
                );
                if bound.matched.is_some() || !bound.explanations.is_empty() {
                    bound
                } else {
                    plain
                }
            }
            _ => plain,
        };
        TokenCheck {
            matched: v.matched.is_some(),
            generation: v.matched.as_ref().map(|m| m.generation),
            explanations: v.explanations.iter().map(|e| e.message.clone()).collect(),
        }
    }
}
