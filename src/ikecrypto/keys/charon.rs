//! strongSwan charon's log at `ike = 4`: `Sk_ai secret => 32 bytes @ 0x…`
//! followed by hexdump lines per SK key, the algorithms from the IKE SA's
//! `selected proposal:` line, the SPIs from `… with SPIs X_i Y_r` lines or
//! the `natd_chunk` dump; lines tied to an IKE SA by the `<name|id>` tag or
//! the thread number.

use std::collections::HashMap;

use super::table::*;
use crate::ikecrypto::alg::{EncrAlg, IntegAlg};
use crate::secretmem::SecretBytes;
use crate::spi::{Spi, SpiPair};

/// A charon log line split into thread, IKE SA id (from the `<name|id>`
/// tag, if present) and message.
pub(super) struct CharonLine<'a> {
    pub(super) thread: &'a str,
    pub(super) sa: Option<&'a str>,
    pub(super) msg: &'a str,
}

/// Finds charon's `NN[GRP] ` marker (after any time or syslog prefix).
pub(super) fn split_charon(line: &str) -> Option<CharonLine<'_>> {
    let b = line.as_bytes();
    let mut i = 0;
    while let Some(off) = line[i..].find('[') {
        let open = i + off;
        i = open + 1;
        let close = match line[open..].find(']') {
            Some(c) => open + c,
            None => return None,
        };
        let group = &line[open + 1..close];
        // The ASCII digits just before `[` (counted in bytes: the character
        // before them may be several bytes long).
        let digits_start = open
            - b[..open]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .count();
        if open == digits_start
            || !(2..=4).contains(&group.len())
            || !group.bytes().all(|c| c.is_ascii_uppercase())
            || b.get(close + 1) != Some(&b' ')
        {
            continue;
        }
        let thread = &line[digits_start..open];
        let mut msg = &line[close + 2..];
        let mut sa = None;
        if let Some(rest) = msg.strip_prefix('<') {
            if let Some(end) = rest.find("> ") {
                let tag = &rest[..end];
                sa = Some(tag.rsplit('|').next().unwrap_or(tag));
                msg = &rest[end + 2..];
            } else if let Some(tag) = rest.strip_suffix('>') {
                sa = Some(tag.rsplit('|').next().unwrap_or(tag));
                msg = "";
            }
        }
        return Some(CharonLine { thread, sa, msg });
    }
    None
}

/// `   0: 2C 51 F2 …  ascii` → (offset, bytes).
pub(super) fn hexdump_row(msg: &str) -> Option<(usize, Vec<u8>)> {
    let t = msg.trim_start();
    let (off, rest) = t.split_once(": ")?;
    let off: usize = off.parse().ok()?;
    let mut bytes = Vec::with_capacity(16);
    let mut s = rest;
    loop {
        let pair = s.get(..2)?;
        let v = u8::from_str_radix(pair, 16).ok()?;
        if !pair
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        {
            return None;
        }
        bytes.push(v);
        s = &s[2..];
        if bytes.len() == 16 || s.is_empty() || s.starts_with("  ") || !s.starts_with(' ') {
            break;
        }
        s = &s[1..];
    }
    Some((off, bytes))
}

/// `… with SPIs 8c6ebd591b1e68e9_i 4f4be9c625d1ffe9_r`, and the SA id in
/// `NAME[ID] with SPIs` when there is one.
pub(super) fn spis_line(msg: &str) -> Option<(SpiPair, Option<&str>)> {
    let at = msg.find("with SPIs ")?;
    let rest = &msg[at + 10..];
    let mut it = rest.split_ascii_whitespace();
    let i = it.next()?.strip_suffix("_i")?;
    let r = it.next()?.strip_suffix("_r")?;
    let spis = SpiPair::new(Spi::parse(i).ok()?, Spi::parse(r).ok()?);
    let before = msg[..at].trim_end();
    let id = before
        .strip_suffix(']')
        .and_then(|b| b.rfind('[').map(|o| &b[o + 1..]))
        .filter(|id| !id.is_empty() && id.bytes().all(|c| c.is_ascii_digit()));
    Some((spis, id))
}

/// A strongSwan proposal token, e.g. `AES_GCM_16_128`, `HMAC_SHA2_256_128`.
pub(super) fn charon_encr(tok: &str) -> Option<Result<EncrAlg, String>> {
    let key = |s: &str| -> Option<usize> {
        match s {
            "128" | "192" | "256" => s.parse::<usize>().ok().map(|b| b / 8),
            _ => None,
        }
    };
    let t = tok;
    if t == "3DES_CBC" {
        return Some(Ok(EncrAlg::TripleDes));
    }
    if t == "NULL" || t == "ENCR_NULL" {
        return Some(Ok(EncrAlg::Null));
    }
    if t == "CHACHA20_POLY1305" || t == "CHACHA20_POLY1305_256" {
        return Some(Ok(EncrAlg::ChaCha20Poly1305));
    }
    for (prefix, aead) in [("AES_GCM_", true), ("AES_CCM_", false)] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let (icv, bits) = rest.split_once('_')?;
            let icv_len = match icv {
                "8" => 8,
                "12" => 12,
                "16" => 16,
                _ => return None,
            };
            let key_len = key(bits)?;
            return Some(Ok(if aead {
                EncrAlg::AesGcm { key_len, icv_len }
            } else {
                EncrAlg::AesCcm { key_len, icv_len }
            }));
        }
    }
    if let Some(bits) = t.strip_prefix("AES_CBC_") {
        return key(bits).map(|key_len| Ok(EncrAlg::AesCbc { key_len }));
    }
    if let Some(bits) = t.strip_prefix("AES_CTR_") {
        return key(bits).map(|key_len| Ok(EncrAlg::AesCtr { key_len }));
    }
    if t.starts_with("CAMELLIA")
        || t.starts_with("BLOWFISH")
        || t.starts_with("CAST")
        || t.starts_with("SERPENT")
        || t.starts_with("TWOFISH")
        || t == "DES_CBC"
    {
        return Some(Err(t.to_string()));
    }
    None
}

pub(super) fn charon_integ(tok: &str) -> Option<Result<IntegAlg, String>> {
    Some(Ok(match tok {
        "HMAC_MD5_96" => IntegAlg::HmacMd5_96,
        "HMAC_SHA1_96" => IntegAlg::HmacSha1_96,
        "HMAC_MD5_128" => IntegAlg::HmacMd5_128,
        "HMAC_SHA1_160" => IntegAlg::HmacSha1_160,
        "HMAC_SHA2_256_96" => IntegAlg::HmacSha2_256_96,
        "HMAC_SHA2_256_128" => IntegAlg::HmacSha2_256_128,
        "HMAC_SHA2_384_192" => IntegAlg::HmacSha2_384_192,
        "HMAC_SHA2_512_256" => IntegAlg::HmacSha2_512_256,
        "AES_XCBC_96" | "AES_CMAC_96" | "HMAC_SHA2_256_128_TRUNCBUG" => {
            return Some(Err(tok.to_string()))
        }
        _ => return None,
    }))
}

/// `selected proposal: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_…/…`.
pub(super) fn proposal_line(msg: &str) -> Option<Result<(EncrAlg, IntegAlg), String>> {
    let p = msg.strip_prefix("selected proposal: IKE:")?;
    let mut encr = None;
    let mut integ = None;
    for tok in p.split('/') {
        if encr.is_none() {
            if let Some(e) = charon_encr(tok) {
                encr = Some(e);
                continue;
            }
        }
        if integ.is_none() {
            if let Some(i) = charon_integ(tok) {
                integ = Some(i);
            }
        }
    }
    Some(match (encr, integ) {
        (Some(Ok(e)), None) if e.is_aead() => Ok((e, IntegAlg::None)),
        (Some(Ok(e)), Some(Ok(i))) => Ok((e, i)),
        (Some(Err(e)), _) => Err(format!("encryption {e}")),
        (_, Some(Err(i))) => Err(format!("integrity {i}")),
        _ => Err(format!("{:?}", p.chars().take(60).collect::<String>())),
    })
}

/// A proposal seen in the log: (line, same IKE SA, same thread, algorithms).
type Candidate<'a> = (usize, bool, bool, &'a Result<(EncrAlg, IntegAlg), String>);

#[derive(Default)]
struct KeySet {
    first_line: usize,
    last_line: usize,
    thread: String,
    sa: Option<String>,
    keys: HashMap<&'static str, SecretBytes>,
}

enum Event {
    Spis {
        line: usize,
        thread: String,
        sa: Option<String>,
        spis: SpiPair,
    },
    Proposal {
        line: usize,
        thread: String,
        sa: Option<String>,
        algs: Result<(EncrAlg, IntegAlg), String>,
    },
}

/// The longest hex dump charon prints that qcd reads (keys are at most 64
/// octets with salt, NAT-D chunks a few dozen).
const MAX_DUMP_BYTES: usize = 1024;

pub(super) fn parse_charon(text: &str, file: &str) -> KeyTable {
    let mut table = KeyTable::new(KeyFormat::Charon);
    let mut events: Vec<Event> = Vec::new();
    let mut sets: Vec<KeySet> = Vec::new();
    // the dump being read: (thread, key name or natd, expected length, bytes, SA)
    struct Dump {
        thread: String,
        sa: Option<String>,
        name: Option<&'static str>,
        len: usize,
        bytes: zeroize::Zeroizing<Vec<u8>>,
        line: usize,
    }
    let mut dump: Option<Dump> = None;
    // the open key set per thread
    let mut open: HashMap<String, usize> = HashMap::new();

    let finish = |d: Dump,
                  sets: &mut Vec<KeySet>,
                  open: &mut HashMap<String, usize>,
                  events: &mut Vec<Event>,
                  table: &mut KeyTable| {
        if d.bytes.len() != d.len {
            if let Some(name) = d.name {
                table.warn(
                    Skip::new(
                        SkipKind::Incomplete,
                        "line",
                        format!(
                            "{name} is announced as {} bytes but {} bytes of hexdump follow: is the log cut or interleaved?",
                            d.len,
                            d.bytes.len()
                        ),
                    )
                    .at(file, d.line),
                );
            }
            return;
        }
        match d.name {
            None => {
                // natd_chunk: SPI-I ‖ SPI-R ‖ address ‖ port
                let mut i = [0u8; 8];
                let mut r = [0u8; 8];
                i.copy_from_slice(&d.bytes[..8]);
                r.copy_from_slice(&d.bytes[8..16]);
                events.push(Event::Spis {
                    line: d.line,
                    thread: d.thread,
                    sa: d.sa,
                    spis: SpiPair::new(Spi(i), Spi(r)),
                });
            }
            Some(name) => {
                let idx = match open.get(&d.thread) {
                    Some(&i) if !sets[i].keys.contains_key(name) => i,
                    _ => {
                        sets.push(KeySet {
                            first_line: d.line,
                            thread: d.thread.clone(),
                            sa: d.sa.clone(),
                            ..KeySet::default()
                        });
                        open.insert(d.thread.clone(), sets.len() - 1);
                        sets.len() - 1
                    }
                };
                let set = &mut sets[idx];
                set.last_line = d.line;
                if set.sa.is_none() {
                    set.sa = d.sa;
                }
                set.keys.insert(name, SecretBytes::from_slice(&d.bytes));
            }
        }
    };

    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let Some(l) = split_charon(raw) else {
            continue;
        };
        if let Some(d) = dump.as_mut() {
            if d.thread == l.thread {
                if let Some((off, bytes)) = hexdump_row(l.msg) {
                    if off == d.bytes.len() && d.bytes.len() + bytes.len() <= d.len {
                        d.bytes.extend_from_slice(&bytes);
                        if d.bytes.len() == d.len {
                            if let Some(d) = dump.take() {
                                finish(d, &mut sets, &mut open, &mut events, &mut table);
                            }
                        }
                        continue;
                    }
                }
                if let Some(d) = dump.take() {
                    finish(d, &mut sets, &mut open, &mut events, &mut table);
                }
            }
        }
        let thread = l.thread.to_string();
        let sa = l.sa.map(str::to_string);
        if let Some((head, rest)) = l.msg.split_once(" => ") {
            let len = rest
                .split_ascii_whitespace()
                .next()
                .and_then(|n| n.parse::<usize>().ok());
            let name: Option<Option<&'static str>> = match head {
                "Sk_ei secret" => Some(Some("SK_ei")),
                "Sk_er secret" => Some(Some("SK_er")),
                "Sk_ai secret" => Some(Some("SK_ai")),
                "Sk_ar secret" => Some(Some("SK_ar")),
                "natd_chunk" => Some(None),
                _ => None,
            };
            // A length the log declares is only trusted up to what a key or
            // a NAT-D chunk can be: a forged "=> 3e18 bytes" must not size an
            // allocation (found by the keylog fuzz target).
            if let (Some(name), Some(len)) = (name, len.filter(|&n| n <= MAX_DUMP_BYTES)) {
                if name.is_some() || len >= 16 {
                    if let Some(d) = dump.take() {
                        finish(d, &mut sets, &mut open, &mut events, &mut table);
                    }
                    let d = Dump {
                        thread,
                        sa,
                        name,
                        len,
                        bytes: zeroize::Zeroizing::new(Vec::with_capacity(len)),
                        line: line_no,
                    };
                    if len == 0 {
                        finish(d, &mut sets, &mut open, &mut events, &mut table);
                    } else {
                        dump = Some(d);
                    }
                }
                continue;
            }
            if head == "Sk_d secret" {
                // a new derivation starts in this thread
                open.remove(&thread);
            }
            continue;
        }
        if let Some((spis, id)) = spis_line(l.msg) {
            events.push(Event::Spis {
                line: line_no,
                thread,
                sa: id.map(str::to_string).or(sa),
                spis,
            });
        } else if let Some(algs) = proposal_line(l.msg) {
            events.push(Event::Proposal {
                line: line_no,
                thread,
                sa,
                algs,
            });
        }
    }
    if let Some(d) = dump.take() {
        finish(d, &mut sets, &mut open, &mut events, &mut table);
    }

    for set in &sets {
        let line = set.first_line;
        let same = |thread: &str, sa: &Option<String>| -> (bool, bool) {
            (
                set.sa.is_some() && sa.as_ref() == set.sa.as_ref(),
                thread == set.thread,
            )
        };
        // SPIs: same IKE SA (tag) after, before; then same thread after, before.
        let spi_events: Vec<(usize, bool, bool, SpiPair)> = events
            .iter()
            .filter_map(|e| match e {
                Event::Spis {
                    line,
                    thread,
                    sa,
                    spis,
                } if !spis.responder.is_zero() && !spis.initiator.is_zero() => {
                    let (by_sa, by_thread) = same(thread, sa);
                    Some((*line, by_sa, by_thread, *spis))
                }
                _ => None,
            })
            .collect();
        let pick = |by: fn(&(usize, bool, bool, SpiPair)) -> bool| {
            spi_events
                .iter()
                .filter(|e| by(e) && e.0 > set.last_line)
                .map(|e| e.3)
                .next()
                .or_else(|| {
                    spi_events
                        .iter()
                        .filter(|e| by(e) && e.0 < set.first_line)
                        .map(|e| e.3)
                        .next_back()
                })
        };
        let spis = pick(|e| e.1).or_else(|| pick(|e| e.2));
        let proposals: Vec<Candidate<'_>> = events
            .iter()
            .filter_map(|e| match e {
                Event::Proposal {
                    line,
                    thread,
                    sa,
                    algs,
                } => {
                    let (by_sa, by_thread) = same(thread, sa);
                    Some((*line, by_sa, by_thread, algs))
                }
                _ => None,
            })
            .collect();
        let before = |by: &dyn Fn(&Candidate<'_>) -> bool| {
            proposals
                .iter()
                .filter(|p| by(p) && p.0 < set.first_line)
                .map(|p| p.3)
                .next_back()
        };
        let algs = before(&|p| p.1)
            .or_else(|| before(&|p| p.2))
            .or_else(|| before(&|_| true));
        let Some(spis) = spis else {
            table.warn(
                Skip::new(
                    SkipKind::Incomplete,
                    "line",
                    "SK keys without the SA's SPIs nearby: log with `ike = 4` (charon prints natd_chunk with both SPIs) or `mgr = 2` (\"with SPIs …_i …_r\"), and `ike_name = yes`",
                )
                .at(file, line),
            );
            continue;
        };
        let (encr, integ) = match algs {
            Some(Ok(a)) => *a,
            Some(Err(what)) => {
                table.warn(
                    Skip::new(
                        SkipKind::UnsupportedAlgorithm,
                        "line",
                        format!(
                            "SPI-I {} SPI-R {}: the selected proposal's {what} is not in Wireshark's IKEv2 table",
                            spis.initiator, spis.responder
                        ),
                    )
                    .at(file, line),
                );
                continue;
            }
            None => {
                table.warn(
                    Skip::new(
                        SkipKind::Incomplete,
                        "line",
                        format!(
                            "SPI-I {} SPI-R {}: no \"selected proposal: IKE:…\" line before the keys, so the algorithms are unknown (charon logs it at cfg level 1)",
                            spis.initiator, spis.responder
                        ),
                    )
                    .at(file, line),
                );
                continue;
            }
        };
        let get = |k: &str| set.keys.get(k).cloned();
        let needs_a = integ.sk_a_len() > 0;
        let (Some(ei), Some(er)) = (get("SK_ei"), get("SK_er")) else {
            table.warn(
                Skip::new(
                    SkipKind::Incomplete,
                    "line",
                    format!(
                        "SPI-I {} SPI-R {}: Sk_ei or Sk_er is missing from the log",
                        spis.initiator, spis.responder
                    ),
                )
                .at(file, line),
            );
            continue;
        };
        let (ai, ar) = match (get("SK_ai"), get("SK_ar")) {
            (Some(a), Some(r)) => (a, r),
            _ if !needs_a => (SecretBytes::default(), SecretBytes::default()),
            _ => {
                table.warn(
                    Skip::new(
                        SkipKind::Incomplete,
                        "line",
                        format!(
                            "SPI-I {} SPI-R {}: Sk_ai or Sk_ar is missing from the log",
                            spis.initiator, spis.responder
                        ),
                    )
                    .at(file, line),
                );
                continue;
            }
        };
        match build_sa(spis, encr, integ, [ei, er, ai, ar]) {
            Ok(k) => table.insert(k, line, file),
            Err(skip) => table.warn(skip.at(file, line)),
        }
    }
    table
}
