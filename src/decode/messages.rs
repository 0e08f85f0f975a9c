//! `qcd decode` on a capture: its IKE messages in capture order, each
//! decoded in full (every payload dissected, SK opened with keys, IKE
//! fragments reassembled across the capture) and kept or not by a
//! [`SummaryFilter`], with what went wrong on the way. A typed operation:
//! a reader in, [`MessageEvent`]s out; the CLI only renders them.
//!
//! The filter reads a digest from the zero-copy view first, so only the
//! messages kept are decoded in full; it decides on the full decode for a
//! message whose digest cannot be read (decoded as far as it goes) and,
//! with `--qcd` and keys, for an IKE fragment (what it carries is known
//! once its message is reassembled).

use std::collections::VecDeque;
use std::net::SocketAddr;

use crate::capture::{CaptureReader, Event, Timestamp};
use crate::decode::digest::{summarize, Keep};

use super::summary::{DigestVerdict, SummaryFilter, SummaryNote, Undecoded};
use super::{DecodeOptions, DecodedMessage, Decoder};

/// One IKE message of a capture, where and when it was seen.
#[derive(Debug)]
pub struct CaptureMessage {
    /// 1-based frame number, as Wireshark counts (for a datagram
    /// reassembled from IP fragments, the last fragment's).
    pub frame: u64,
    /// `None` for pcapng simple packet blocks, which carry no time.
    pub time: Option<Timestamp>,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub reassembled: bool,
    /// The capture holds only part of the datagram (snapshot length).
    pub truncated: bool,
    /// Decoded as far as it goes: see its `malformed`.
    pub message: DecodedMessage,
}

impl CaptureMessage {
    /// The warning for a message decoded only up to a structural problem
    /// (frame, endpoints, the problem's offset and field); `None` for a
    /// well-formed one.
    pub fn malformed_warning(&self) -> Option<String> {
        self.message.malformed.as_ref().map(|bad| {
            format!(
                "frame {} ({} -> {}): IKE message malformed, decoded up to the problem: {}{}",
                self.frame,
                self.src,
                self.dst,
                bad.message,
                super::summary::snaplen_note(self.truncated)
            )
        })
    }
}

/// What [`CaptureMessages`] yields, in capture order.
#[derive(Debug)]
pub enum MessageEvent {
    Message(Box<CaptureMessage>),
    /// A reader warning (damaged record, reassembly limit…) or an IKE
    /// message that could not be decoded at all.
    Note(SummaryNote),
    /// IKE fragment sets dropped or never completed.
    Fragments(String),
}

/// The IKE messages of a capture, decoded; see the module doc.
pub struct CaptureMessages<'a, 'r, 'k> {
    reader: &'a mut CaptureReader<'r>,
    decoder: Decoder<'k>,
    filter: SummaryFilter,
    queued: VecDeque<MessageEvent>,
    done: bool,
}

impl<'a, 'r, 'k> CaptureMessages<'a, 'r, 'k> {
    pub fn new(
        reader: &'a mut CaptureReader<'r>,
        opts: DecodeOptions<'k>,
        filter: SummaryFilter,
    ) -> CaptureMessages<'a, 'r, 'k> {
        CaptureMessages {
            reader,
            decoder: Decoder::new(opts),
            filter,
            queued: VecDeque::new(),
            done: false,
        }
    }
}

impl Iterator for CaptureMessages<'_, '_, '_> {
    type Item = MessageEvent;

    fn next(&mut self) -> Option<MessageEvent> {
        loop {
            if let Some(e) = self.queued.pop_front() {
                return Some(e);
            }
            if self.done {
                return None;
            }
            let Some(ev) = self.reader.next_event() else {
                self.done = true;
                let rest = self.decoder.finish();
                self.queued
                    .extend(rest.into_iter().map(MessageEvent::Fragments));
                continue;
            };
            let d = match ev {
                Event::Warning(w) => return Some(MessageEvent::Note(SummaryNote::Capture(w))),
                Event::Esp { .. } | Event::Icmp { .. } => continue,
                Event::Ike(d) => d,
            };
            let verdict = if self.filter.is_active() {
                let keys = self.decoder.keys();
                match summarize(&d.payload, keys, Keep::AllTypes) {
                    Ok((digest, _)) => self.filter.on_digest(&digest, keys.is_some()),
                    Err(_) => DigestVerdict::Undecided,
                }
            } else {
                DigestVerdict::Keep
            };
            if verdict == DigestVerdict::Drop {
                continue;
            }
            let decoded = self.decoder.decode(&d.payload, d.time);
            let warnings = self.decoder.take_warnings();
            self.queued
                .extend(warnings.into_iter().map(MessageEvent::Fragments));
            match decoded {
                Err(error) => self
                    .queued
                    .push_back(MessageEvent::Note(SummaryNote::Undecoded(Undecoded::new(
                        &d, error,
                    )))),
                Ok(message) => {
                    if verdict == DigestVerdict::Undecided && !self.filter.keeps_message(&message) {
                        continue;
                    }
                    self.queued
                        .push_back(MessageEvent::Message(Box::new(CaptureMessage {
                            frame: d.frame,
                            time: d.time,
                            src: d.src,
                            dst: d.dst,
                            reassembled: d.reassembled,
                            truncated: d.truncated,
                            message,
                        })));
                }
            }
        }
    }
}
