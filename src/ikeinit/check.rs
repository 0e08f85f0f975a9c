//! The end-to-end check on every target of a probe (`qcd probe --auth`):
//! one IKE SA after another with the same PSK and identities, the SAs' keys
//! kept in a Wireshark key table when asked, and per target the record the
//! probe's output adds ([`E2eRecord`]: its JSON fields and its text lines).

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Serialize;

use super::identity::identity_text;
use super::run::child_text;
use super::{e2e, Config, E2eOptions, E2eReport, InitError, Verdict};
use crate::ikecrypto::keys::{wireshark_line, write_table};
use crate::ikecrypto::KeyTableError;
use crate::probe::{Target, TargetReport, UdpTransport};
use crate::report::{Output, Style};
use crate::secretmem::SecretBytes;
use crate::wire::{DhGroup, IdRepr};

/// What the check needs, read and checked before anything is sent.
pub struct Check {
    /// This host's identity (the gateway has the PSK for it).
    pub id: IdRepr,
    /// The identity the gateway must authenticate as; any without it.
    pub peer_id: Option<IdRepr>,
    pub psk: SecretBytes,
    pub options: E2eOptions,
    /// Where to write the IKE SAs' keys (a Wireshark table, mode 0600).
    pub keys_out: Option<PathBuf>,
}

/// Why the check could not run on a target.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{target}: cannot open a UDP socket to {addr}")]
    Socket {
        target: String,
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("{target}: no local address towards {addr}")]
    LocalAddress {
        target: String,
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    KeysOut(#[from] KeyTableError),
    #[error("{target} ({addr}): --auth")]
    Init {
        target: String,
        addr: SocketAddr,
        #[source]
        source: Box<InitError>,
    },
}

/// Runs the check on every target, in order, from `source_port` (0: an
/// ephemeral one). The key table is rewritten after each target, so it
/// holds the keys of every IKE SA set up so far even when a later one fails.
pub fn check_targets(
    check: &Check,
    targets: &[Target],
    source_port: u16,
) -> Result<Vec<E2eRecord>, CheckError> {
    let mut table = zeroize::Zeroizing::new(String::new());
    let mut results = Vec::new();
    for t in targets {
        let (target, addr) = (t.name.clone(), t.addr);
        let mut transport =
            UdpTransport::connect(t.addr, source_port).map_err(|source| CheckError::Socket {
                target: target.clone(),
                addr,
                source,
            })?;
        let local = transport
            .local_addr()
            .map_err(|source| CheckError::LocalAddress {
                target: target.clone(),
                addr,
                source,
            })?;
        let config = Config {
            psk: check.psk.clone(),
            id: check.id.clone(),
            peer_id: check.peer_id.clone(),
            group: DhGroup::CURVE_25519,
            local: local.ip(),
            remote: t.addr.ip(),
        };
        let mut keys_seen = None;
        let result = e2e(
            config,
            t.addr,
            &mut transport,
            &check.options,
            &mut |keys| {
                keys_seen = Some(wireshark_line(&keys.sa_keys()));
            },
        );
        if let Some(line) = keys_seen {
            table.push_str(&line);
            table.push('\n');
        }
        if let Some(path) = &check.keys_out {
            if !table.is_empty() {
                write_table(path, &table)?;
            }
        }
        let report = result.map_err(|source| CheckError::Init {
            target,
            addr,
            source: Box::new(source),
        })?;
        results.push(E2eRecord::new(&report));
    }
    Ok(results)
}

/// One target's check as the probe's output adds it: the JSON fields of the
/// target object (stable keys) and the text lines.
#[derive(Serialize, Debug)]
pub struct E2eRecord {
    /// The IKE SA that was set up (hex).
    pub spi_i: String,
    pub spi_r: String,
    /// The QCD_TOKEN of the IKE_AUTH response (hex), null without one.
    pub auth_token: Option<String>,
    /// The token after the delete (hex), null without one.
    pub token_after_delete: Option<String>,
    /// Seconds from the delete to the token, null without one.
    pub wait_s: Option<f64>,
    /// match, mismatch, no-token-in-auth or no-reply.
    pub e2e: Verdict,
    pub e2e_advice: &'static str,
    pub suite: String,
    pub peer_id: String,
    pub child_sa: String,
    pub delete_answered: bool,
    pub requests_after_delete: u32,
}

/// A target object of the probe with the check's fields.
#[derive(Serialize)]
pub struct TargetWithE2e<'a> {
    #[serde(flatten)]
    pub target: &'a TargetReport,
    #[serde(flatten)]
    pub e2e: &'a E2eRecord,
}

impl E2eRecord {
    pub fn new(r: &E2eReport) -> E2eRecord {
        E2eRecord {
            spi_i: r.spis.initiator.to_hex(),
            spi_r: r.spis.responder.to_hex(),
            auth_token: r.outcome.token.as_ref().map(|t| hex::encode(t.expose())),
            token_after_delete: r
                .token_after_delete
                .as_ref()
                .map(|t| hex::encode(t.expose())),
            wait_s: r.wait.map(|w| (w.as_secs_f64() * 10.0).round() / 10.0),
            e2e: r.verdict,
            e2e_advice: r.verdict.advice(),
            suite: r.outcome.suite.describe(),
            peer_id: identity_text(&r.outcome.peer_id),
            child_sa: child_text(&r.outcome.child),
            delete_answered: r.delete_answered,
            requests_after_delete: r.probes,
        }
    }

    /// The human lines, below the target's own.
    pub fn print(&self, out: &mut Output) -> io::Result<()> {
        let style = if self.e2e.is_good() {
            Style::Good
        } else {
            Style::Bad
        };
        let what = match self.e2e {
            Verdict::Match => "the token after the delete is the one given in IKE_AUTH",
            Verdict::Mismatch => {
                "the token after the delete DIFFERS from the one given in IKE_AUTH"
            }
            Verdict::NoTokenInAuth => "no QCD_TOKEN in IKE_AUTH",
            Verdict::NoReply => "no token for the deleted IKE SA before the deadline",
        };
        let head = format!("  e2e         {}: {what}", self.e2e.name());
        let head = out.paint(style, &head).into_owned();
        out.line(&head)?;
        out.line(&format!(
            "  IKE SA      {} {} ({}), peer {}, deleted{}",
            self.spi_i,
            self.spi_r,
            self.suite,
            self.peer_id,
            if self.delete_answered {
                ""
            } else {
                " (the Delete went unanswered)"
            }
        ))?;
        out.line(&format!("  Child SA    {}", self.child_sa))?;
        if let Some(t) = &self.auth_token {
            out.line(&format!("  auth token  {t} ({} bytes)", t.len() / 2))?;
        }
        match (&self.token_after_delete, self.wait_s) {
            (Some(t), Some(w)) => out.line(&format!(
                "  post-delete {t} (after {w:.1} s, {} request(s))",
                self.requests_after_delete
            ))?,
            _ if self.auth_token.is_some() => out.line(&format!(
                "  post-delete none ({} request(s))",
                self.requests_after_delete
            ))?,
            _ => {}
        }
        out.line(&format!("  what to do: {}", self.e2e_advice))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::memory::output;

    fn record() -> E2eRecord {
        E2eRecord {
            spi_i: "0123456789abcdef".into(),
            spi_r: "fedcba9876543210".into(),
            auth_token: Some("aabb".into()),
            token_after_delete: None,
            wait_s: None,
            e2e: Verdict::NoReply,
            e2e_advice: Verdict::NoReply.advice(),
            suite: "AES_GCM_16_256".into(),
            peer_id: "fqdn:gw".into(),
            child_sa: "none".into(),
            delete_answered: false,
            requests_after_delete: 20,
        }
    }

    #[test]
    fn text_lines() {
        let (mut out, buf) = output(false, false, false);
        record().print(&mut out).unwrap();
        let text = buf.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..5],
            [
                "  e2e         no-reply: no token for the deleted IKE SA before the deadline",
                "  IKE SA      0123456789abcdef fedcba9876543210 (AES_GCM_16_256), peer fqdn:gw, deleted (the Delete went unanswered)",
                "  Child SA    none",
                "  auth token  aabb (2 bytes)",
                "  post-delete none (20 request(s))",
            ]
        );
        assert!(lines[5].starts_with("  what to do: the gateway gave a token"));
    }

    #[test]
    fn json_fields_are_stable() {
        let v = serde_json::to_value(record()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "spi_i",
            "auth_token",
            "token_after_delete",
            "e2e",
            "e2e_advice",
            "requests_after_delete",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        assert_eq!(v["e2e"], "no-reply");
    }
}
