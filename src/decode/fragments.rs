//! Reassembly of IKE fragments (RFC 7383): the decrypted content of the
//! Encrypted Fragment (SKF) payloads of one message, kept until every
//! fragment has arrived, then joined in fragment-number order.
//!
//! RFC 7383 §2.6: each fragment is encrypted and integrity-protected on
//! its own; a receiver checks and decrypts every fragment, then joins the
//! plaintexts, and the first fragment's Next Payload names the first inner
//! payload. So what is kept here is plaintext (zeroized on drop), never
//! ciphertext.
//!
//! Bounded like IP reassembly (`qcd::capture`): at most
//! [`FragmentLimits::max_messages`] messages and
//! [`FragmentLimits::max_bytes`] of plaintext pending (the oldest is dropped
//! beyond that), and a message with no new fragment for
//! [`FragmentLimits::timeout`] of capture time is dropped. Every drop is a
//! warning.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::capture::Timestamp;
use crate::secretmem::SecretBytes;
use crate::spi::Spi;
use crate::wire::PayloadType;

/// Bounds on pending fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentLimits {
    pub max_messages: usize,
    pub max_bytes: usize,
    pub timeout: Duration,
}

impl Default for FragmentLimits {
    fn default() -> Self {
        FragmentLimits {
            max_messages: 64,
            max_bytes: 1 << 20,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Which message a fragment belongs to: the IKE SA, the message ID and the
/// direction (a request and its response share the message ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageKey {
    pub spi_i: Spi,
    pub spi_r: Spi,
    pub message_id: u32,
    pub initiator: bool,
    pub response: bool,
}

impl MessageKey {
    fn describe(&self) -> String {
        format!(
            "message ID {} of IKE SA {}/{} ({} {})",
            self.message_id,
            self.spi_i,
            self.spi_r,
            if self.initiator {
                "initiator"
            } else {
                "responder"
            },
            if self.response { "response" } else { "request" }
        )
    }
}

/// One fragment's decrypted content.
#[derive(Debug)]
pub struct FragmentPart {
    pub number: u16,
    pub total: u16,
    /// The SKF payload's Next Payload (meaningful in fragment 1 only).
    pub first_inner: PayloadType,
    pub plaintext: SecretBytes,
}

/// What adding a fragment did.
#[derive(Debug)]
pub enum Added {
    /// Waiting for more: fragments held so far, and the total.
    Waiting { received: usize, total: u16 },
    /// The message is complete: the joined plaintext and fragment 1's Next Payload.
    Complete {
        plaintext: SecretBytes,
        first_inner: PayloadType,
        fragments: u16,
    },
    /// The fragment was not kept (why).
    Rejected(String),
}

struct Pending {
    total: u16,
    parts: BTreeMap<u16, (PayloadType, SecretBytes)>,
    bytes: usize,
    last_seen: Option<i128>,
    seq: u64,
}

/// Pending fragment sets.
pub struct FragmentTable {
    limits: FragmentLimits,
    pending: HashMap<MessageKey, Pending>,
    bytes: usize,
    seq: u64,
}

impl FragmentTable {
    pub fn new(limits: FragmentLimits) -> FragmentTable {
        FragmentTable {
            limits,
            pending: HashMap::new(),
            bytes: 0,
            seq: 0,
        }
    }

    /// Messages waiting for fragments.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Plaintext bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn remove(&mut self, key: &MessageKey) -> Option<Pending> {
        let p = self.pending.remove(key)?;
        self.bytes -= p.bytes;
        Some(p)
    }

    fn dropped(key: &MessageKey, p: &Pending, why: &str) -> String {
        format!(
            "IKE fragments of {} never completed ({} of {} received): {why}",
            key.describe(),
            p.parts.len(),
            p.total
        )
    }

    /// Drops sets idle for longer than the timeout at capture time `now`.
    pub fn expire(&mut self, now: Option<Timestamp>) -> Vec<String> {
        let Some(now) = now.map(|t| t.as_nanos()) else {
            return Vec::new();
        };
        let timeout = self.limits.timeout.as_nanos() as i128;
        let mut old: Vec<(MessageKey, u64)> = self
            .pending
            .iter()
            .filter(|(_, p)| p.last_seen.is_some_and(|s| now - s > timeout))
            .map(|(k, p)| (*k, p.seq))
            .collect();
        old.sort_by_key(|(_, seq)| *seq);
        old.into_iter()
            .filter_map(|(k, _)| {
                let p = self.remove(&k)?;
                Some(Self::dropped(
                    &k,
                    &p,
                    &format!("no fragment for {} s", self.limits.timeout.as_secs()),
                ))
            })
            .collect()
    }

    /// Drops everything still pending (end of input).
    pub fn finish(&mut self) -> Vec<String> {
        let mut all: Vec<(MessageKey, Pending)> = self.pending.drain().collect();
        self.bytes = 0;
        all.sort_by_key(|(_, p)| p.seq);
        all.iter()
            .map(|(k, p)| Self::dropped(k, p, "the capture ends"))
            .collect()
    }

    /// Adds a fragment of message `key` at capture time `now`; `warnings`
    /// receives sets dropped to stay within the limits.
    pub fn add(
        &mut self,
        key: MessageKey,
        part: FragmentPart,
        now: Option<Timestamp>,
        warnings: &mut Vec<String>,
    ) -> Added {
        let FragmentPart {
            number,
            total,
            first_inner,
            plaintext,
        } = part;
        if number == 0 || total == 0 || number > total {
            return Added::Rejected(format!(
                "fragment number {number} of {total} is out of range (RFC 7383: 1 to Total Fragments)"
            ));
        }
        if total == 1 {
            return Added::Complete {
                plaintext,
                first_inner,
                fragments: 1,
            };
        }
        if plaintext.len() > self.limits.max_bytes {
            return Added::Rejected(format!(
                "{} bytes of fragment plaintext exceed the {}-byte reassembly limit",
                plaintext.len(),
                self.limits.max_bytes
            ));
        }
        let now_ns = now.map(|t| t.as_nanos());
        // A different total restarts the set (RFC 7383 §2.6.1: a sender that
        // changes fragmentation resends all fragments).
        if self.pending.get(&key).is_some_and(|p| p.total != total) {
            if let Some(p) = self.remove(&key) {
                warnings.push(Self::dropped(
                    &key,
                    &p,
                    &format!("a fragment with Total Fragments {total} replaced them"),
                ));
            }
        }
        if !self.pending.contains_key(&key) {
            while self.pending.len() >= self.limits.max_messages.max(1) {
                if !self.drop_oldest(warnings) {
                    break;
                }
            }
            self.seq += 1;
            self.pending.insert(
                key,
                Pending {
                    total,
                    parts: BTreeMap::new(),
                    bytes: 0,
                    last_seen: now_ns,
                    seq: self.seq,
                },
            );
        }
        let len = plaintext.len();
        let Some(p) = self.pending.get_mut(&key) else {
            return Added::Rejected("internal: pending set vanished".to_string());
        };
        if p.parts.contains_key(&number) {
            // A retransmission: keep the first copy.
            return Added::Waiting {
                received: p.parts.len(),
                total,
            };
        }
        p.parts.insert(number, (first_inner, plaintext));
        p.bytes += len;
        p.last_seen = now_ns.or(p.last_seen);
        self.bytes += len;
        if p.parts.len() == total as usize {
            let Some(p) = self.remove(&key) else {
                return Added::Rejected("internal: pending set vanished".to_string());
            };
            let mut joined = zeroize::Zeroizing::new(Vec::with_capacity(p.bytes));
            let mut first = PayloadType::NONE;
            for (n, (inner, text)) in &p.parts {
                if *n == 1 {
                    first = *inner;
                }
                joined.extend_from_slice(text.expose());
            }
            return Added::Complete {
                plaintext: SecretBytes::from_slice(&joined),
                first_inner: first,
                fragments: total,
            };
        }
        let received = p.parts.len();
        while self.bytes > self.limits.max_bytes {
            if !self.drop_oldest(warnings) {
                break;
            }
        }
        if self.pending.contains_key(&key) {
            Added::Waiting { received, total }
        } else {
            Added::Rejected("dropped to stay within the reassembly limit".to_string())
        }
    }

    fn drop_oldest(&mut self, warnings: &mut Vec<String>) -> bool {
        let Some(key) = self
            .pending
            .iter()
            .min_by_key(|(_, p)| p.seq)
            .map(|(k, _)| *k)
        else {
            return false;
        };
        if let Some(p) = self.remove(&key) {
            warnings.push(Self::dropped(
                &key,
                &p,
                &format!(
                    "dropped to stay within {} pending messages / {} bytes",
                    self.limits.max_messages, self.limits.max_bytes
                ),
            ));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Precision;

    fn key(id: u32) -> MessageKey {
        MessageKey {
            spi_i: Spi([1; 8]),
            spi_r: Spi([2; 8]),
            message_id: id,
            initiator: true,
            response: false,
        }
    }

    fn part(number: u16, total: u16, text: &[u8]) -> FragmentPart {
        FragmentPart {
            number,
            total,
            first_inner: if number == 1 {
                PayloadType::IDI
            } else {
                PayloadType::NONE
            },
            plaintext: SecretBytes::from_slice(text),
        }
    }

    fn at(s: i64) -> Option<Timestamp> {
        Some(Timestamp::new(s, 0, Precision::Micro))
    }

    #[test]
    fn joins_in_number_order_whatever_the_arrival() {
        let mut t = FragmentTable::new(FragmentLimits::default());
        let mut w = Vec::new();
        assert!(matches!(
            t.add(key(1), part(3, 3, b"ccc"), at(0), &mut w),
            Added::Waiting {
                received: 1,
                total: 3
            }
        ));
        assert!(matches!(
            t.add(key(1), part(1, 3, b"a"), at(1), &mut w),
            Added::Waiting { received: 2, .. }
        ));
        // a retransmitted fragment changes nothing
        assert!(matches!(
            t.add(key(1), part(1, 3, b"x"), at(1), &mut w),
            Added::Waiting { received: 2, .. }
        ));
        match t.add(key(1), part(2, 3, b"bb"), at(2), &mut w) {
            Added::Complete {
                plaintext,
                first_inner,
                fragments,
            } => {
                assert_eq!(plaintext.expose(), b"abbccc");
                assert_eq!(first_inner, PayloadType::IDI);
                assert_eq!(fragments, 3);
            }
            other => panic!("{other:?}"),
        }
        assert!(t.is_empty() && t.bytes() == 0 && w.is_empty());
        assert!(matches!(
            t.add(key(2), part(0, 3, b"a"), at(0), &mut w),
            Added::Rejected(_)
        ));
        assert!(matches!(
            t.add(key(2), part(1, 1, b"a"), at(0), &mut w),
            Added::Complete { fragments: 1, .. }
        ));
    }

    #[test]
    fn bounded_by_count_bytes_and_time() {
        let limits = FragmentLimits {
            max_messages: 2,
            max_bytes: 10,
            timeout: Duration::from_secs(30),
        };
        let mut t = FragmentTable::new(limits);
        let mut w = Vec::new();
        t.add(key(1), part(1, 2, b"1"), at(0), &mut w);
        t.add(key(2), part(1, 2, b"2"), at(0), &mut w);
        t.add(key(3), part(1, 2, b"3"), at(0), &mut w);
        assert_eq!(t.len(), 2);
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("message ID 1 ") && w[0].contains("1 of 2"),
            "{w:?}"
        );
        t.add(key(4), part(1, 2, b"0123456789"), at(0), &mut w);
        assert!(t.bytes() <= 10, "{}", t.bytes());
        assert!(matches!(
            t.add(key(5), part(1, 2, &[0; 11]), at(0), &mut w),
            Added::Rejected(_)
        ));
        let expired = t.expire(at(31));
        assert!(!expired.is_empty() && t.is_empty(), "{expired:?}");
        t.add(key(6), part(2, 2, b"z"), at(40), &mut w);
        let left = t.finish();
        assert_eq!(left.len(), 1);
        assert!(left[0].contains("the capture ends"));
        assert_eq!(t.bytes(), 0);
    }
}
