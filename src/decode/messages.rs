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
//! once its message is reassembled). [`Ending`] says how the decoding of a
//! capture ended (printed, damaged, or empty and why), for the exit status.

use std::collections::VecDeque;
use std::net::SocketAddr;

use serde::Serialize;

use crate::capture::{CaptureReader, Event, Timestamp};
use crate::decode::digest::{summarize, Keep};
use crate::timefmt::Rfc3339Writer;

use super::summary::{DigestVerdict, SummaryFilter, SummaryNote, Undecoded};
use super::{DecodeOptions, Decoded, DecodedMessage, Decoder};

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

/// One IKE message of a capture as `qcd decode` prints it: serializes to
/// the `--json` object (the decoded message's object plus where and when
/// it was seen); [`ListedMessage::heading`] is the human listing's first
/// line.
#[derive(Debug, Serialize)]
pub struct ListedMessage {
    #[serde(flatten)]
    pub decoded: Decoded,
    /// 1-based frame number, as Wireshark counts.
    pub frame: u64,
    /// RFC 3339 UTC at the capture's precision; absent for pcapng simple packet blocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    pub src: String,
    pub dst: String,
    /// Reassembled from IP fragments (then `frame` is the last fragment's).
    pub reassembled: bool,
}

impl ListedMessage {
    /// `frame N  TIME  SRC -> DST`, and `(reassembled)` from IP fragments.
    pub fn heading(&self) -> String {
        format!(
            "frame {}  {}  {} -> {}{}",
            self.frame,
            self.time.as_deref().unwrap_or("(no time)"),
            self.src,
            self.dst,
            if self.reassembled {
                "  (reassembled)"
            } else {
                ""
            }
        )
    }
}

impl CaptureMessage {
    /// The message as it is listed; `times` formats the times of a
    /// capture's messages (which share their seconds) in turn.
    pub fn listed(self, times: &mut Rfc3339Writer) -> ListedMessage {
        let time = self.time.map(|t| {
            let mut text = String::with_capacity(32);
            t.push_rfc3339(times, &mut text);
            text
        });
        ListedMessage {
            decoded: Decoded::Message(self.message),
            frame: self.frame,
            time,
            src: self.src.to_string(),
            dst: self.dst.to_string(),
            reassembled: self.reassembled,
        }
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

/// How the decoding of a capture ended (a listing or a summary), for the
/// exit status: [`Ending::of`].
#[derive(Debug)]
pub enum Ending {
    /// Something was printed from an intact capture: success.
    Printed,
    /// The capture is damaged: an error, after everything readable was
    /// printed.
    Damaged(DamagedCapture),
    /// Nothing was printed.
    Empty(EmptyResult),
}

/// A damaged capture, decoded as far as it could be.
#[derive(Debug, thiserror::Error)]
#[error("{name} is damaged (see the warnings above); everything readable was decoded")]
pub struct DamagedCapture {
    pub name: String,
}

/// A capture that gave nothing to print: said on stderr (stdout stays
/// empty, as a script expects); with a filter, a negative answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyResult {
    /// A filter (`--qcd`, `--spi`) matched nothing: exit 1.
    pub negative: bool,
    /// What the empty result means, for stderr.
    pub text: String,
}

/// What was asked of a capture, for [`Ending::of`].
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    /// A summary (which also counts ESP) rather than the listing.
    pub summary: bool,
    pub filter: SummaryFilter,
    /// IKE was also read on other UDP ports than 500 and 4500 (`--port`).
    pub extra_ports: bool,
}

impl Ending {
    /// How decoding `name` ended, `printed` rows or messages printed.
    pub fn of(name: &str, damaged: bool, printed: usize, asked: &Asked) -> Ending {
        if damaged {
            return Ending::Damaged(DamagedCapture {
                name: name.to_string(),
            });
        }
        if printed > 0 {
            return Ending::Printed;
        }
        let mut filters = Vec::new();
        if asked.filter.qcd {
            filters.push("--qcd".to_string());
        }
        if let Some(s) = asked.filter.spi {
            filters.push(format!("--spi {}", s.to_hex()));
        }
        let what = if asked.summary {
            "no IKE message or ESP packet"
        } else {
            "no IKE message"
        };
        let text = if filters.is_empty() {
            format!(
                "{what} in {name}: IKE is read on UDP ports 500 and 4500{} (add --port N for another)",
                if asked.extra_ports {
                    " and the --port ones"
                } else {
                    ""
                }
            )
        } else {
            format!("{what} in {name} matched {}", filters.join(" "))
        };
        Ending::Empty(EmptyResult {
            negative: asked.filter.is_active(),
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spi::Spi;

    #[test]
    fn endings() {
        let asked = |qcd, spi, summary, extra_ports| Asked {
            summary,
            filter: SummaryFilter { qcd, spi },
            extra_ports,
        };
        let plain = asked(false, None, false, false);
        assert!(matches!(Ending::of("f", false, 3, &plain), Ending::Printed));
        let Ending::Damaged(d) = Ending::of("f", true, 3, &plain) else {
            panic!("damaged first")
        };
        assert_eq!(
            d.to_string(),
            "f is damaged (see the warnings above); everything readable was decoded"
        );
        let empty = |a: &Asked| match Ending::of("f", false, 0, a) {
            Ending::Empty(e) => e,
            other => panic!("{other:?}"),
        };
        let e = empty(&plain);
        assert!(!e.negative);
        assert_eq!(
            e.text,
            "no IKE message in f: IKE is read on UDP ports 500 and 4500 (add --port N for another)"
        );
        let e = empty(&asked(false, None, true, true));
        assert_eq!(
            e.text,
            "no IKE message or ESP packet in f: IKE is read on UDP ports 500 and 4500 and the --port ones (add --port N for another)"
        );
        let e = empty(&asked(true, Some(Spi([0xab; 8])), false, false));
        assert!(
            e.negative,
            "a filter that matches nothing is a negative answer"
        );
        assert_eq!(
            e.text,
            "no IKE message in f matched --qcd --spi abababababababab"
        );
    }
}
