//! The generic payload header (RFC 7296 §3.2) and the payload chain: an
//! iterator that walks Next Payload fields and yields each payload as a
//! borrowed [`Payload`], or a [`WireError`] naming the offset and field.
//! [`PayloadRepr`] is the owned form of one payload (Notify, SK/SKF, or any
//! other type kept as opaque body bytes).
//!
//! Not here: what a payload means in an exchange (see `qcd::decode`).

use super::notify::{Notify, NotifyRepr};
use super::registry::PayloadType;
use super::sk::{EncryptedPayload, EncryptedRepr};
use super::{read_u16, Field, WireError};

mod field {
    use super::Field;
    pub const NEXT_PAYLOAD: usize = 0;
    pub const FLAGS: usize = 1;
    pub const LENGTH: Field = 2..4;
}

/// Length of the generic payload header.
pub const GENERIC_HEADER_LEN: usize = 4;
/// The critical bit of the generic header's flags octet.
pub const CRITICAL: u8 = 0x80;

/// A view of one payload (generic header and body) inside a chain.
///
/// Produced by [`PayloadIter`] (and [`Payload::parse_at`]), which have checked
/// that the length field is at least 4 and within the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payload<'a> {
    offset: usize,
    payload_type: PayloadType,
    bytes: &'a [u8],
}

impl<'a> Payload<'a> {
    /// Reads one payload of type `payload_type` at the start of `data`,
    /// `base_offset` being the offset of `data` in the whole input. The
    /// payload may be shorter than `data`.
    pub fn parse_at(
        data: &'a [u8],
        payload_type: PayloadType,
        base_offset: usize,
    ) -> Result<Payload<'a>, WireError> {
        if data.len() < GENERIC_HEADER_LEN {
            return Err(WireError::Truncated {
                offset: base_offset,
                field: "payload header",
                needed: GENERIC_HEADER_LEN,
                available: data.len(),
            });
        }
        let length = read_u16(data, field::LENGTH) as usize;
        if length < GENERIC_HEADER_LEN {
            return Err(WireError::Malformed {
                offset: base_offset + field::LENGTH.start,
                field: "payload length",
                reason: format!(
                    "{payload_type} payload length {length} is below the 4-byte generic header"
                ),
            });
        }
        if length > data.len() {
            return Err(WireError::Malformed {
                offset: base_offset + field::LENGTH.start,
                field: "payload length",
                reason: format!(
                    "{payload_type} payload length {length} runs past the end of the data ({} bytes left from offset {base_offset})",
                    data.len()
                ),
            });
        }
        let critical = data[field::FLAGS] & CRITICAL != 0;
        if critical && !payload_type.is_assigned() {
            return Err(WireError::Malformed {
                offset: base_offset + field::FLAGS,
                field: "critical",
                reason: format!(
                    "{payload_type} is not a known payload type and is marked critical; a receiver must reject the message (UNSUPPORTED_CRITICAL_PAYLOAD)"
                ),
            });
        }
        Ok(Payload {
            offset: base_offset,
            payload_type,
            bytes: &data[..length],
        })
    }

    /// Offset of the generic header in the whole input.
    pub fn offset(&self) -> usize {
        self.offset
    }
    pub fn payload_type(&self) -> PayloadType {
        self.payload_type
    }
    pub fn next_payload(&self) -> PayloadType {
        PayloadType(self.bytes[field::NEXT_PAYLOAD])
    }
    pub fn critical(&self) -> bool {
        self.bytes[field::FLAGS] & CRITICAL != 0
    }
    /// The seven reserved bits of the flags octet (should be zero).
    pub fn reserved_flags(&self) -> u8 {
        self.bytes[field::FLAGS] & !CRITICAL
    }
    /// The Payload Length field (header included).
    pub fn length(&self) -> u16 {
        read_u16(self.bytes, field::LENGTH)
    }
    /// The whole payload, generic header included.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// The payload body after the generic header.
    pub fn body(&self) -> &'a [u8] {
        &self.bytes[GENERIC_HEADER_LEN..]
    }
    /// Offset of the body in the whole input.
    pub fn body_offset(&self) -> usize {
        self.offset + GENERIC_HEADER_LEN
    }

    /// The body as a Notify view (for type N).
    pub fn notify(&self) -> Result<Notify<&'a [u8]>, WireError> {
        Notify::new_checked(self.body()).map_err(|e| e.shifted(self.body_offset()))
    }

    /// The payload as an Encrypted (SK) or Encrypted Fragment (SKF) view.
    pub fn encrypted(&self) -> Result<EncryptedPayload<'a>, WireError> {
        EncryptedPayload::new(*self)
    }
}

/// Walks a payload chain. Yields `Err` once and then stops on malformed data.
///
/// The chain ends at Next Payload 0, or after an SK/SKF payload (whose Next
/// Payload field names the first payload inside the ciphertext); bytes left
/// after the end are an error.
#[derive(Debug, Clone)]
pub struct PayloadIter<'a> {
    data: &'a [u8],
    base_offset: usize,
    pos: usize,
    next: PayloadType,
    done: bool,
}

impl<'a> PayloadIter<'a> {
    /// `data` starts with a payload of type `first` (0: no payloads) and sits
    /// at `base_offset` in the whole input.
    pub fn new(data: &'a [u8], first: PayloadType, base_offset: usize) -> PayloadIter<'a> {
        PayloadIter {
            data,
            base_offset,
            pos: 0,
            next: first,
            done: false,
        }
    }
}

impl<'a> Iterator for PayloadIter<'a> {
    type Item = Result<Payload<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let at = self.base_offset + self.pos;
        if self.next == PayloadType::NONE {
            self.done = true;
            if self.pos < self.data.len() {
                return Some(Err(WireError::Malformed {
                    offset: at,
                    field: "next payload",
                    reason: format!(
                        "{} bytes after the last payload (the previous Next Payload field is 0)",
                        self.data.len() - self.pos
                    ),
                }));
            }
            return None;
        }
        let rest = &self.data[self.pos..];
        if rest.is_empty() {
            self.done = true;
            return Some(Err(WireError::Malformed {
                offset: at,
                field: "next payload",
                reason: format!(
                    "the previous Next Payload field names {} ({}) but the data ends at byte {at}",
                    self.next, self.next.0
                ),
            }));
        }
        match Payload::parse_at(rest, self.next, at) {
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
            Ok(p) => {
                self.pos += p.bytes().len();
                self.next = if p.payload_type().is_encrypted() {
                    PayloadType::NONE
                } else {
                    p.next_payload()
                };
                Some(Ok(p))
            }
        }
    }
}

/// The owned content of one payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadContent {
    /// Notify (41).
    Notify(NotifyRepr),
    /// Encrypted (46) or Encrypted Fragment (53), ciphertext kept opaque.
    Encrypted(EncryptedRepr),
    /// Any other type, body kept as bytes.
    Other {
        payload_type: PayloadType,
        body: Vec<u8>,
    },
}

/// One payload, owned: the critical bit and the content. The Next Payload
/// field is not stored; [`emit_chain`] derives it from the following payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadRepr {
    pub critical: bool,
    pub content: PayloadContent,
}

impl PayloadRepr {
    /// A non-critical Notify payload.
    pub fn notify(n: NotifyRepr) -> PayloadRepr {
        PayloadRepr {
            critical: false,
            content: PayloadContent::Notify(n),
        }
    }

    /// A non-critical SK or SKF payload.
    pub fn encrypted(e: EncryptedRepr) -> PayloadRepr {
        PayloadRepr {
            critical: false,
            content: PayloadContent::Encrypted(e),
        }
    }

    /// A non-critical payload of any type with an opaque body.
    pub fn other(payload_type: PayloadType, body: Vec<u8>) -> PayloadRepr {
        PayloadRepr {
            critical: false,
            content: PayloadContent::Other { payload_type, body },
        }
    }

    pub fn payload_type(&self) -> PayloadType {
        match &self.content {
            PayloadContent::Notify(_) => PayloadType::NOTIFY,
            PayloadContent::Encrypted(e) => e.payload_type(),
            PayloadContent::Other { payload_type, .. } => *payload_type,
        }
    }

    /// Parses a payload from its view.
    pub fn parse(p: &Payload<'_>) -> Result<PayloadRepr, WireError> {
        let content = match p.payload_type() {
            PayloadType::NOTIFY => PayloadContent::Notify(NotifyRepr::parse(&p.notify()?)),
            t if t.is_encrypted() => {
                PayloadContent::Encrypted(EncryptedRepr::parse(&p.encrypted()?))
            }
            t => PayloadContent::Other {
                payload_type: t,
                body: p.body().to_vec(),
            },
        };
        Ok(PayloadRepr {
            critical: p.critical(),
            content,
        })
    }

    /// Bytes this payload takes, generic header included.
    pub fn buffer_len(&self) -> usize {
        GENERIC_HEADER_LEN
            + match &self.content {
                PayloadContent::Notify(n) => n.buffer_len(),
                PayloadContent::Encrypted(e) => e.buffer_len(),
                PayloadContent::Other { body, .. } => body.len(),
            }
    }

    /// Writes the payload with Next Payload `next` into `buffer`
    /// (exactly [`PayloadRepr::buffer_len`] bytes). For SK/SKF, `next` is
    /// ignored: their Next Payload field is the first inner payload's type.
    pub fn emit(&self, next: PayloadType, buffer: &mut [u8]) -> Result<(), WireError> {
        let len = self.buffer_len();
        let len16 = u16::try_from(len).map_err(|_| WireError::TooLong {
            field: "payload length",
            value: len,
            max: u16::MAX as usize,
        })?;
        if buffer.len() != len {
            return Err(WireError::TooLong {
                field: "buffer",
                value: len,
                max: buffer.len(),
            });
        }
        let (head, body) = buffer.split_at_mut(GENERIC_HEADER_LEN);
        head[field::NEXT_PAYLOAD] = match &self.content {
            PayloadContent::Encrypted(e) => e.first_inner.0,
            _ => next.0,
        };
        head[field::FLAGS] = if self.critical { CRITICAL } else { 0 };
        head[field::LENGTH].copy_from_slice(&len16.to_be_bytes());
        match &self.content {
            PayloadContent::Notify(n) => n.emit(body),
            PayloadContent::Encrypted(e) => e.emit(body),
            PayloadContent::Other { body: b, .. } => {
                body.copy_from_slice(b);
                Ok(())
            }
        }
    }
}

/// Writes `payloads` one after another, each Next Payload naming the
/// following payload's type (0 after the last). `buffer` must be exactly the
/// sum of their `buffer_len`s.
pub fn emit_chain(payloads: &[PayloadRepr], buffer: &mut [u8]) -> Result<(), WireError> {
    let mut rest = buffer;
    for (i, p) in payloads.iter().enumerate() {
        let next = payloads
            .get(i + 1)
            .map_or(PayloadType::NONE, PayloadRepr::payload_type);
        let len = p.buffer_len();
        if rest.len() < len {
            return Err(WireError::TooLong {
                field: "buffer",
                value: len,
                max: rest.len(),
            });
        }
        let (this, tail) = rest.split_at_mut(len);
        p.emit(next, this)?;
        rest = tail;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Step = Result<(usize, u8, u16), (usize, &'static str)>;

    fn chain(hex: &str, first: u8) -> Vec<Step> {
        let b = hex::decode(hex).unwrap();
        PayloadIter::new(&b, PayloadType(first), 28)
            .map(|r| {
                r.map(|p| (p.offset(), p.payload_type().0, p.length()))
                    .map_err(|e| (e.offset(), e.field()))
            })
            .collect()
    }

    #[test]
    fn walks_and_reports_offsets() {
        assert_eq!(
            chain(
                "2900000801000004 0000000801004023"
                    .replace(' ', "")
                    .as_str(),
                41
            ),
            vec![Ok((28, 41, 8)), Ok((36, 41, 8))]
        );
        // length below 4
        assert_eq!(chain("00000003", 41), vec![Err((30, "payload length"))]);
        // length past the end
        assert_eq!(
            chain("0000000901000004", 41),
            vec![Err((30, "payload length"))]
        );
        // header cut short
        assert_eq!(
            chain("2900000801000004 0000".replace(' ', "").as_str(), 41),
            vec![Ok((28, 41, 8)), Err((36, "payload header"))]
        );
        // Next Payload names a payload but the data ends
        assert_eq!(
            chain("2900000801000004", 41),
            vec![Ok((28, 41, 8)), Err((36, "next payload"))]
        );
        // trailing bytes
        assert_eq!(
            chain("0000000801000004ff", 41),
            vec![Ok((28, 41, 8)), Err((36, "next payload"))]
        );
        // unknown critical payload
        assert_eq!(chain("00800004", 200), vec![Err((29, "critical"))]);
        // known critical payload is fine, unknown non-critical too
        assert_eq!(
            chain("c8800004 00000004".replace(' ', "").as_str(), 41),
            vec![Ok((28, 41, 4)), Ok((32, 200, 4))]
        );
        // SK ends the chain; its next payload names the inner first payload
        assert_eq!(chain("2900000800000000", 46), vec![Ok((28, 46, 8))]);
        assert_eq!(
            chain("290000080000000000", 46),
            vec![Ok((28, 46, 8)), Err((36, "next payload"))]
        );
    }
}
