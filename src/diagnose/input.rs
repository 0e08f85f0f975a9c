//! Turning a capture into what the diagnosis reads (IKE message summaries
//! straight from the wire views, ESP sightings), and a keyring into its
//! token checker.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::capture::{CaptureError, CaptureReader, Event, Options as CaptureOptions, Timestamp};
use crate::ikecrypto::{self, CryptoError, KeyTable};
use crate::secret::Keyring;
use crate::spi::{Spi, SpiPair};
use crate::token::{self, TokenInput};
use crate::wire::{self, Header, PayloadIter, PayloadType, ProtocolId, WireError};

use super::engine::{Engine, Options};
use super::model::numbers::{INVALID_IKE_SPI, INVALID_SPI, QCD_TOKEN};
use super::model::*;

/// Reader and decoding warnings, counted by kind; the first few of each
/// kind are kept word for word, so a capture with a million broken packets
/// costs a few counters, not a million strings.
#[derive(Debug, Default)]
pub struct WarningLog {
    kinds: BTreeMap<String, (u64, Vec<String>)>,
}

impl WarningLog {
    /// Warnings kept word for word per kind.
    pub const KEEP: usize = 5;

    pub fn push(&mut self, kind: &str, text: impl FnOnce() -> String) {
        let entry = self.kinds.entry(kind.to_string()).or_default();
        entry.0 += 1;
        if entry.1.len() < Self::KEEP {
            entry.1.push(text());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// The kept warnings, then one line per kind with more than were kept.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (kind, (count, kept)) in &self.kinds {
            out.extend(kept.iter().cloned());
            if *count > kept.len() as u64 {
                out.push(format!(
                    "{} more warnings of this kind ({kind}) not shown",
                    *count - kept.len() as u64
                ));
            }
        }
        out
    }

    /// Total number of warnings.
    pub fn count(&self) -> u64 {
        self.kinds.values().map(|(c, _)| c).sum()
    }
}

/// The diagnosis of a capture file.
#[derive(Debug)]
pub struct CaptureDiagnosis {
    pub reports: Vec<SaReport>,
    pub warnings: WarningLog,
    /// The file itself was damaged (truncated record, bad block).
    pub damaged: bool,
    /// IKE messages and ESP packets seen.
    pub ike_messages: u64,
    pub esp_packets: u64,
}

fn to_system_time(t: Option<Timestamp>, last: SystemTime) -> SystemTime {
    match t {
        Some(t) if t.secs >= 0 => SystemTime::UNIX_EPOCH
            .checked_add(Duration::new(t.secs as u64, t.nanos.min(999_999_999)))
            .unwrap_or(last),
        _ => last,
    }
}

fn warning_kind(w: &crate::capture::Warning) -> &'static str {
    use crate::capture::WarningKind as K;
    match w.kind {
        K::TruncatedRecord => "truncated record",
        K::BadRecord { .. } => "bad record",
        K::SkippedBytes { .. } => "skipped bytes",
        K::UnknownInterface { .. } => "unknown interface",
        K::UnsupportedLinkType { .. } => "unsupported link type",
        K::ReadError { .. } => "read error",
        K::MalformedPacket { .. } => "malformed packet",
        K::TruncatedFragment => "truncated fragment",
        K::FragmentOverlap { .. } => "fragment overlap",
        _ => "capture",
    }
}

/// Reads every IKE message (decrypting SK with `keys`) and ESP packet of a
/// capture in one pass and diagnoses it.
pub fn diagnose_capture(
    path: &Path,
    extra_ports: Vec<u16>,
    keys: Option<&KeyTable>,
    opts: &Options,
) -> Result<CaptureDiagnosis, CaptureError> {
    let mut reader = CaptureReader::open(
        path,
        CaptureOptions {
            extra_ports,
            esp_events: true,
            ..CaptureOptions::default()
        },
    )?;
    let mut engine = Engine::new(opts);
    let mut warnings = WarningLog::default();
    let (mut ike_messages, mut esp_packets) = (0, 0);
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
                ike_messages += 1;
                match summarize(&payload, keys) {
                    Ok((m, damage)) => {
                        if let Some(e) = damage {
                            warnings.push("IKE message partly decoded", || {
                                format!("frame {frame}: IKE message decoded up to a fault: {e}")
                            });
                        }
                        engine.ike(frame, time, src, dst, m);
                    }
                    Err(e) => warnings.push("IKE message not decoded", || {
                        format!("frame {frame}: IKE message not decoded: {e}")
                    }),
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
                esp_packets += 1;
                engine.esp(frame, time, src, dst, spi);
            }
            Event::Warning(w) => warnings.push(warning_kind(&w), || w.to_string()),
        }
    }
    Ok(CaptureDiagnosis {
        reports: engine.finish(None),
        warnings,
        damaged: reader.damaged(),
        ike_messages,
        esp_packets,
    })
}

/// Whether the diagnosis keeps a notify's SPI and data (else only its type).
fn keeps_data(t: u16) -> bool {
    matches!(t, QCD_TOKEN | INVALID_SPI | INVALID_IKE_SPI)
}

fn notify_summary(p: &wire::Payload<'_>) -> Result<NotifySummary, WireError> {
    let n = p.notify()?;
    let t = n.notify_type().0;
    Ok(NotifySummary {
        notify_type: t,
        protocol_id: n.protocol_id().0,
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
) -> Result<(IkeSummary, Option<WireError>), WireError> {
    let h = Header::new_checked(bytes)?;
    h.check_message()?;
    let spis = SpiPair::new(h.spi_i(), h.spi_r());
    let flags = h.flags();
    let mut m = IkeSummary {
        spis,
        exchange: h.exchange_type().0,
        initiator: flags.initiator(),
        response: flags.response(),
        message_id: h.message_id(),
        first_payload: h.next_payload().0,
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
                Ok(n) => m.notifies.push(n),
                Err(e) => {
                    damage = Some(e);
                    break;
                }
            },
            PayloadType::VENDOR_ID if m.vendor_ids.len() < 16 => {
                m.vendor_ids.push(p.body().to_vec());
            }
            PayloadType::SK => {
                m.encrypted = true;
                m.sk_body_len = Some(p.body().len());
                if let Some(table) = keys {
                    open_sk(bytes, &p, table, &mut m);
                }
            }
            PayloadType::SKF => {
                m.encrypted = true;
                m.sk_body_len = Some(p.body().len().saturating_sub(4));
            }
            _ => {}
        }
    }
    Ok((m, damage))
}

/// Why decryption failed, in words that name the likely wrong key.
fn explain(e: &CryptoError, keys: &ikecrypto::SaKeys, from_initiator: bool) -> String {
    let who = if from_initiator { 'i' } else { 'r' };
    match e {
        CryptoError::Integrity if matches!(keys.encr, ikecrypto::EncrAlg::AesGcm { .. }) => format!(
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

fn open_sk(bytes: &[u8], sk: &wire::Payload<'_>, table: &KeyTable, m: &mut IkeSummary) {
    let Some(keys) = table.get(&m.spis) else {
        m.decrypt_error = Some(DecryptFailure {
            wrong_keys: false,
            text: format!(
                "no key table line for SPI-I {} SPI-R {}",
                m.spis.initiator, m.spis.responder
            ),
        });
        return;
    };
    let plain = match ikecrypto::decrypt(keys, m.initiator, bytes, sk.body_offset()) {
        Ok(p) => p,
        Err(e) => {
            m.decrypt_error = Some(DecryptFailure {
                wrong_keys: true,
                text: explain(&e, keys, m.initiator),
            });
            return;
        }
    };
    let mut notifies = Vec::new();
    for p in PayloadIter::new(plain.expose(), sk.next_payload(), 0) {
        let Ok(p) = p else { break };
        match p.payload_type() {
            PayloadType::NOTIFY => match notify_summary(&p) {
                Ok(n) => notifies.push(n),
                Err(_) => break,
            },
            PayloadType::DELETE => {
                let body = p.body();
                if body.len() >= 4 {
                    m.inner_deletes.push(DeleteSummary {
                        protocol_id: body[0],
                        spis: u16::from_be_bytes([body[2], body[3]]),
                    });
                }
            }
            PayloadType::SA => {
                m.inner_other.push(p.payload_type().0);
                if m.new_ike_spi.is_none() {
                    m.new_ike_spi = wire::sa::proposals(p.body(), 0)
                        .filter_map(Result::ok)
                        .find(|q| q.protocol_id == ProtocolId::IKE && q.spi.len() == 8)
                        .and_then(|q| q.spi.try_into().ok().map(Spi));
                }
            }
            t => m.inner_other.push(t.0),
        }
    }
    m.inner_notifies = Some(notifies);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_counted_by_kind_and_bounded() {
        let mut log = WarningLog::default();
        for i in 0..1_000_000u64 {
            log.push("truncated fragment", || format!("frame {i}: cut short"));
        }
        log.push("bad record", || "frame 9: bad".into());
        assert_eq!(log.count(), 1_000_001);
        let lines = log.lines();
        assert_eq!(lines.len(), WarningLog::KEEP + 2, "{lines:?}");
        assert!(
            lines.iter().any(|l| l.contains("999995 more warnings")),
            "{lines:?}"
        );
    }
}
