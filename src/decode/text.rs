//! The human form of a [`Decoded`] unit: a tree, one line per payload,
//! notify fields indented, token data in hex. Returns lines so the caller can
//! colour warnings; nothing here writes to a terminal.

use super::{Decoded, DecodedMessage, DecodedPayload};
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
        _ => p.name.clone(),
    };
    push(format!(
        "{ind}{at}{name}, {} bytes{}",
        p.length,
        if p.critical { ", critical" } else { "" }
    ));
    let ind = format!("{ind}  ");
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
            if e.payloads.is_none() && e.decrypt_error.is_none() {
                " (content needs keys)"
            } else {
                ""
            }
        ));
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
        if let Some(err) = &e.decrypt_error {
            push(format!("{ind}not decrypted: {err}"));
        }
    }
}
