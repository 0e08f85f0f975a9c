//! Turning a capture into what the diagnosis reads (IKE message summaries
//! straight from the wire views, ESP sightings), and a keyring into its
//! token checker.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use std::net::SocketAddr;

use crate::capture::{
    CaptureError, CaptureReader, Counters, Event, IkeDatagram, ReadOptions, Source, Timestamp,
};
use crate::ikecrypto::KeyTable;
use crate::secret::Keyring;
use crate::spi::SpiPair;
use crate::token::{self, TokenInput};

use super::engine::{Engine, Options, Reports};
use super::model::*;
use crate::decode::digest::{summarize, Keep};

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

/// The diagnosis of a capture file; the reports are judged as they are taken.
pub struct CaptureDiagnosis<'a> {
    pub reports: Reports<'a>,
    pub warnings: WarningLog,
    /// The file itself was damaged (truncated record, bad block).
    pub damaged: bool,
    /// IKE messages and ESP packets seen.
    pub ike_messages: u64,
    pub esp_packets: u64,
    /// The capture's last frame and latest time, of any protocol.
    pub end: Option<(u64, SystemTime)>,
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

/// The capture reader options the diagnosis reads with.
pub fn reader_options(extra_ports: Vec<u16>) -> ReadOptions {
    ReadOptions {
        extra_ports,
        esp_events: true,
        // The engine tallies ESP per IKE SA itself.
        icmp_events: true,
        ..ReadOptions::default()
    }
}

/// Reads every IKE message (decrypting SK with `keys`) and ESP packet of a
/// capture file in one pass and diagnoses it; `reader` from
/// [`reader_options`].
pub fn diagnose_capture<'a>(
    path: &Path,
    reader: ReadOptions,
    keys: Option<&KeyTable>,
    opts: &'a Options<'a>,
) -> Result<CaptureDiagnosis<'a>, CaptureError> {
    let reader = CaptureReader::open(path, reader)?;
    Ok(diagnose_reader(reader, keys, opts))
}

/// [`diagnose_capture`] on a [`Source`]: a file, or standard input read to
/// its end.
pub fn diagnose_source<'a>(
    source: &Source,
    reader: ReadOptions,
    keys: Option<&KeyTable>,
    opts: &'a Options<'a>,
) -> Result<CaptureDiagnosis<'a>, CaptureError> {
    Ok(diagnose_reader(source.open(reader)?, keys, opts))
}

/// [`diagnose_capture`] on an open reader (made with [`reader_options`]).
pub fn diagnose_reader<'a>(
    mut reader: CaptureReader<'_>,
    keys: Option<&KeyTable>,
    opts: &'a Options<'a>,
) -> CaptureDiagnosis<'a> {
    let mut feed = Feed::new(Engine::new(opts), keys);
    while let Some(event) = reader.next_event() {
        feed.event(event);
    }
    let damaged = reader.damaged();
    feed.finish(damaged, reader.counters())
}

/// Capture events into the engine: the counters, warnings and clock that
/// file and follow mode share.
pub(super) struct Feed<'a, 'k> {
    pub(super) engine: Engine<'a>,
    keys: Option<&'k KeyTable>,
    pub(super) warnings: WarningLog,
    pub(super) ike_messages: u64,
    pub(super) esp_packets: u64,
    /// The last packet's time.
    pub(super) last: SystemTime,
}

impl<'a, 'k> Feed<'a, 'k> {
    pub(super) fn new(engine: Engine<'a>, keys: Option<&'k KeyTable>) -> Self {
        Feed {
            engine,
            keys,
            warnings: WarningLog::default(),
            ike_messages: 0,
            esp_packets: 0,
            last: SystemTime::UNIX_EPOCH,
        }
    }

    pub(super) fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Ike(IkeDatagram {
                frame,
                time,
                src,
                dst,
                payload,
                ..
            }) => self.ike(frame, time, src, dst, &payload),
            Event::Esp {
                frame,
                time,
                src,
                dst,
                spi,
                ..
            } => self.esp(frame, time, src, dst, spi),
            Event::Icmp {
                frame,
                time,
                src,
                error,
                ..
            } => self.icmp(frame, time, src, error),
            Event::Warning(w) => self.warning(&w),
        }
    }

    pub(super) fn ike(
        &mut self,
        frame: u64,
        time: Option<Timestamp>,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) {
        let time = to_system_time(time, self.last);
        self.last = time;
        self.ike_messages += 1;
        match summarize(payload, self.keys, Keep::Essential) {
            Ok((m, damage)) => {
                if let Some(e) = damage {
                    self.warnings.push("IKE message partly decoded", || {
                        format!("frame {frame}: IKE message decoded up to a fault: {e}")
                    });
                }
                self.engine.ike(frame, time, src, dst, m);
            }
            Err(e) => self.warnings.push("IKE message not decoded", || {
                format!("frame {frame}: IKE message not decoded: {e}")
            }),
        }
    }

    pub(super) fn esp(
        &mut self,
        frame: u64,
        time: Option<Timestamp>,
        src: SocketAddr,
        dst: SocketAddr,
        spi: u32,
    ) {
        let time = to_system_time(time, self.last);
        self.last = time;
        self.esp_packets += 1;
        self.engine.esp(frame, time, src, dst, spi);
    }

    pub(super) fn icmp(
        &mut self,
        frame: u64,
        time: Option<Timestamp>,
        src: std::net::IpAddr,
        error: crate::capture::icmp::IcmpError,
    ) {
        let time = to_system_time(time, self.last);
        self.last = time;
        self.engine.icmp(frame, time, src, error);
    }

    pub(super) fn warning(&mut self, w: &crate::capture::Warning) {
        self.warnings.push(warning_kind(w), || w.to_string());
    }

    /// Judges what is still open. The capture ends at its last frame of any
    /// protocol, at the latest time seen (joined captures may step
    /// backwards): `counters` are the reader's at its end.
    pub(super) fn finish(mut self, damaged: bool, c: Counters) -> CaptureDiagnosis<'a> {
        if let Some(f) = c.stepped_back {
            self.warnings.push("timestamps step backwards", || {
                format!("frame {f}: the capture's timestamps step backwards (joined captures?); the capture's end is taken as its latest time")
            });
        }
        let last = self.last;
        let end = c
            .latest
            .map(|t| (c.frames, to_system_time(Some(t), last).max(last)));
        CaptureDiagnosis {
            reports: self.engine.finish(end),
            end,
            warnings: self.warnings,
            damaged,
            ike_messages: self.ike_messages,
            esp_packets: self.esp_packets,
        }
    }
}

/// Checks tokens against the maker's keyring, as `qcd token verify` does.
pub struct KeyringChecker<'k> {
    candidates: Vec<token::Candidate<'k>>,
    /// (generation, creation time) of the generations qcd generated itself.
    generated: Vec<(u32, SystemTime)>,
}

impl<'k> KeyringChecker<'k> {
    pub fn new(keyring: &'k Keyring, now: SystemTime) -> Self {
        KeyringChecker {
            candidates: keyring.candidates(now),
            generated: keyring
                .generations()
                .iter()
                .filter(|g| matches!(g.origin, crate::secret::Origin::Generated))
                .map(|g| (g.id, g.created))
                .collect(),
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
        let generation = v.matched.as_ref().map(|m| m.generation);
        TokenCheck {
            matched: v.matched.is_some(),
            generation,
            explanations: v.explanations.iter().map(|e| e.message.clone()).collect(),
            created: generation.and_then(|g| {
                self.generated
                    .iter()
                    .find(|(id, _)| *id == g)
                    .map(|(_, t)| *t)
            }),
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
