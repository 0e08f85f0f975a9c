//! The human form of a [`Decoded`] unit: a tree, one line per payload,
//! notify fields indented, token data in hex. Returns lines so the caller can
//! colour warnings; nothing here writes to a terminal.

use super::{Decoded, DecodedMessage, DecodedPayload, NotifyDetails};
use crate::wire::{PayloadType, ProtocolId};

/// One line of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLine {
    pub text: String,
    /// A QCD warning (the caller may colour it).
    pub warning: bool,
}

/// How to draw the tree.
#[derive(Debug, Clone, Copy, Default)]
pub struct TreeOptions {
    /// Prefix payload lines with their byte offset (`--offsets`).
    pub offsets: bool,
}

const HEX_PER_LINE: usize = 32;

/// Renders one decoded unit.
pub fn tree(d: &Decoded, opts: TreeOptions) -> Vec<TreeLine> {
    let mut out = Vec::new();
    let mut push = |text: String| {
        out.push(TreeLine {
            text,
            warning: false,
        })
    };
    match d {
        Decoded::Message(m) => {
            message_lines(m, opts, &mut push);
        }
        Decoded::Payload(p) => {
            push(format!(
                "payload, {} bytes (next payload {})",
                p.payload.length,
                PayloadType(p.payload.next_payload)
            ));
            payload_lines(&p.payload, 1, opts, &mut push);
        }
    }
    for w in d.warnings() {
        out.push(TreeLine {
            text: format!("warning: {w}"),
            warning: true,
        });
    }
    out
}

fn flag_names(m: &DecodedMessage) -> String {
    let mut names = Vec::new();
    if m.initiator {
        names.push("initiator");
    }
    if m.higher_version {
        names.push("version");
    }
    if m.response {
        names.push("response");
    }
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

fn message_lines(m: &DecodedMessage, opts: TreeOptions, push: &mut impl FnMut(String)) {
    push(format!(
        "IKEv2 message{}, {} bytes: {} ({}) {}, message ID {}",
        if m.non_esp_marker {
            " after non-ESP marker"
        } else {
            ""
        },
        m.length,
        m.exchange,
        m.exchange_type,
        if m.response { "response" } else { "request" },
        m.message_id
    ));
    push(format!("  SPI-I {}  SPI-R {}", m.spi_i, m.spi_r));
    push(format!(
        "  version {}.{}, flags 0x{:02x} ({})",
        m.major_version,
        m.minor_version,
        m.flags,
        flag_names(m)
    ));
    if m.payloads.is_empty() {
        push("  no payloads".to_string());
    }
    for p in &m.payloads {
        payload_lines(p, 1, opts, push);
    }
}

fn payload_lines(
    p: &DecodedPayload,
    depth: usize,
    opts: TreeOptions,
    push: &mut impl FnMut(String),
) {
    let ind = "  ".repeat(depth);
    let t = PayloadType(p.payload_type);
    let at = if opts.offsets {
        format!("[{:>4}] ", p.offset)
    } else {
        String::new()
    };
    let name = match t.long_name() {
        Some(long) if long != p.name => format!("{} ({long})", p.name),
        _ => p.name.to_string(),
    };
    push(format!(
        "{ind}{at}{name}, {} bytes{}",
        p.length,
        if p.critical { ", critical" } else { "" }
    ));
    let ind = format!("{ind}  ");
    content_lines(p, &ind, push);
    if let Some(n) = &p.notify {
        push(format!(
            "{ind}{} ({}), {} type",
            n.name,
            n.notify_type,
            if n.error { "error" } else { "status" }
        ));
        push(format!(
            "{ind}protocol ID {} ({}), SPI size {}{}",
            n.protocol_id,
            ProtocolId(n.protocol_id),
            n.spi_size,
            if n.spi.is_empty() {
                String::new()
            } else {
                format!(", SPI {}", n.spi)
            }
        ));
        let len = n.data.len() / 2;
        if len == 0 {
            push(format!("{ind}no data"));
        } else {
            push(format!("{ind}data, {len} bytes:"));
            for chunk in n.data.as_bytes().chunks(HEX_PER_LINE * 2) {
                push(format!("{ind}  {}", String::from_utf8_lossy(chunk)));
            }
        }
        if let Some(d) = &n.details {
            notify_detail_lines(d, &ind, push);
        }
    }
    if let Some(e) = &p.encrypted {
        if let (Some(n), Some(t)) = (e.fragment_number, e.total_fragments) {
            push(format!("{ind}fragment {n} of {t}"));
        }
        push(format!(
            "{ind}first inner payload {} ({})",
            e.first_inner_name, e.first_inner_payload
        ));
        push(format!(
            "{ind}IV, ciphertext and ICV: {} bytes at byte {}{}",
            e.body_length,
            e.body_offset,
            if e.payloads.is_none() && e.decrypt_error.is_none() && e.decrypted_length.is_none() {
                " (content needs keys)"
            } else {
                ""
            }
        ));
        if let (Some(n), None) = (e.decrypted_length, &e.payloads) {
            if e.fragment_number.is_some() {
                push(format!(
                    "{ind}decrypted {n} bytes of this fragment; the message's payloads are shown once all its fragments are decrypted"
                ));
            }
        }
        if let Some(r) = &e.reassembled {
            push(format!(
                "{ind}reassembled from {} fragments: {} bytes",
                r.fragments, r.length
            ));
        }
        if let Some(inner) = &e.payloads {
            match e.integrity {
                Some(i) if !i.is_verified() => push(format!(
                    "{ind}decrypted, UNAUTHENTICATED: {}:",
                    i.describe()
                )),
                Some(_) => push(format!("{ind}decrypted (ICV verified):")),
                None => push(format!("{ind}decrypted:")),
            }
            for q in inner {
                payload_lines(q, depth + 2, opts, push);
            }
        }
        match (&e.decrypt_error, &e.malformed) {
            // Decrypted, but the payloads inside break off.
            (_, Some(m)) => push(format!(
                "{ind}malformed inside (offsets in the plaintext): {}",
                m.message
            )),
            (Some(err), None) => push(format!("{ind}not decrypted: {err}")),
            (None, None) => {}
        }
    }
}

/// The dissected content of a payload (SA, KE, ID, …), one fact per line.
fn content_lines(p: &DecodedPayload, ind: &str, push: &mut impl FnMut(String)) {
    if let Some(list) = &p.proposals {
        for q in list {
            push(format!(
                "{ind}proposal {}: {} ({}), {} transforms{}",
                q.number,
                q.protocol,
                q.protocol_id,
                q.transforms,
                if q.spi.is_empty() {
                    String::new()
                } else {
                    format!(", SPI {}", q.spi)
                }
            ));
            for t in q.transform_list.iter().flatten() {
                push(format!(
                    "{ind}  {} {} ({}){}",
                    t.type_name,
                    t.name,
                    t.id,
                    t.key_length
                        .map(|k| format!(", {k}-bit key"))
                        .unwrap_or_default()
                ));
                for a in &t.attributes {
                    push(format!(
                        "{ind}    attribute {} ({}): {}",
                        a.attr_type, a.format, a.value
                    ));
                }
            }
        }
    }
    if let Some(k) = &p.ke {
        push(format!(
            "{ind}group {} ({}), {} bytes of key exchange data",
            k.group_name, k.group, k.data_length
        ));
    }
    if let Some(i) = &p.id {
        push(format!("{ind}{} ({}): {}", i.type_name, i.id_type, i.value));
    }
    if let Some(c) = &p.cert {
        push(format!(
            "{ind}{} ({}), {} bytes",
            c.encoding_name, c.encoding, c.data_length
        ));
        if let (Some(h), Some(u)) = (&c.hash, &c.url) {
            push(format!("{ind}hash {h}, URL {u}"));
        }
    }
    if let Some(c) = &p.certreq {
        push(format!(
            "{ind}{} ({}), {} CA hashes{}",
            c.encoding_name,
            c.encoding,
            c.ca_hashes.len(),
            if c.ca_hashes.is_empty() { "" } else { ":" }
        ));
        for h in &c.ca_hashes {
            push(format!("{ind}  {h}"));
        }
    }
    if let Some(a) = &p.auth {
        push(format!(
            "{ind}{} ({}), {} bytes{}",
            a.method_name,
            a.method,
            a.data_length,
            match (&a.signature_algorithm, a.signature_length) {
                (Some(alg), Some(n)) => format!(": {alg}, {n}-byte signature"),
                _ => String::new(),
            }
        ));
    }
    if let Some(n) = &p.nonce {
        push(format!("{ind}{} bytes of nonce data", n.length));
    }
    if let Some(d) = &p.delete {
        push(format!(
            "{ind}delete {} ({}), SPI size {}, {} SPIs{}",
            d.protocol,
            d.protocol_id,
            d.spi_size,
            d.spi_count,
            if d.spis.is_empty() {
                String::new()
            } else {
                format!(": {}", d.spis.join(" "))
            }
        ));
    }
    if let Some(v) = &p.vendor_id {
        push(format!(
            "{ind}{}{}",
            v.data,
            v.vendor
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ));
    }
    if let Some(t) = &p.ts {
        push(format!("{ind}{} traffic selectors", t.count));
        for s in &t.selectors {
            match (&s.start_address, &s.end_address, s.start_port, s.end_port) {
                (Some(a), Some(b), Some(sp), Some(ep)) => push(format!(
                    "{ind}  {} {} ({}), ports {sp}-{ep}, {a} - {b}",
                    s.type_name, s.ip_protocol_name, s.ip_protocol
                )),
                _ => push(format!(
                    "{ind}  {} ({}): {}",
                    s.type_name,
                    s.ts_type,
                    s.data.as_deref().unwrap_or("")
                )),
            }
        }
    }
    if let Some(c) = &p.cp {
        push(format!(
            "{ind}{} ({}), {} attributes",
            c.type_name,
            c.cfg_type,
            c.attributes.len()
        ));
        for a in &c.attributes {
            push(format!(
                "{ind}  {} ({}){}",
                a.name,
                a.attr_type,
                if a.value.is_empty() {
                    String::new()
                } else {
                    format!(": {}", a.value)
                }
            ));
        }
    }
    if let Some(e) = &p.eap {
        push(format!(
            "{ind}EAP {} ({}), identifier {}, {} bytes{}{}",
            e.code_name,
            e.code,
            e.identifier,
            e.length,
            match (&e.type_name, e.eap_type) {
                (Some(n), Some(t)) => format!(", {n} ({t})"),
                _ => String::new(),
            },
            e.identity
                .as_deref()
                .map(|i| format!(": {i}"))
                .unwrap_or_default()
        ));
    }
    if let Some(m) = &p.malformed {
        push(format!("{ind}malformed: {}", m.message));
    }
}

/// Notification data worth a line of its own (the hex is printed anyway).
fn notify_detail_lines(d: &NotifyDetails, ind: &str, push: &mut impl FnMut(String)) {
    if let (Some(g), Some(n)) = (d.group, &d.group_name) {
        push(format!("{ind}accepted group {n} ({g})"));
    }
    if let Some(list) = &d.hash_algorithms {
        push(format!(
            "{ind}hash algorithms: {}",
            list.iter()
                .map(|h| format!("{} ({})", h.name, h.id))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let (Some(t), Some(g)) = (&d.gateway_type_name, &d.gateway) {
        push(format!(
            "{ind}gateway {t}: {g}{}",
            d.redirect_nonce
                .as_deref()
                .map(|n| format!(", nonce {n}"))
                .unwrap_or_default()
        ));
    }
    if let Some(s) = &d.invalid_spi {
        push(format!("{ind}invalid SPI {s}"));
    }
    if let (Some(c), Some(t)) = (d.cpi, d.ipcomp_transform) {
        push(format!("{ind}IPComp CPI {c}, transform {t}"));
    }
    if let Some(s) = d.seconds {
        push(format!("{ind}lifetime {s} s"));
    }
    if let Some(w) = d.window_size {
        push(format!("{ind}window size {w}"));
    }
    if let Some(a) = &d.address {
        push(format!("{ind}address {a}"));
    }
}
