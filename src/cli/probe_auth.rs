//! `qcd probe --auth`: the end-to-end check with the gateway's PSK (set up
//! an IKE SA, read its token, delete the SA, draw the token again, compare).
//! The exchanges and the verdict are `qcd::ikeinit`'s; this file reads the
//! options and the PSK, and renders.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::Args;
use serde::Serialize;

use qcd::ikecrypto::keys::{wireshark_line, write_table};
use qcd::ikeinit::identity::identity_text;
use qcd::ikeinit::psk::{parse_psk, read_psk_file};
use qcd::ikeinit::run::child_text;
use qcd::ikeinit::{e2e, parse_identity, Config, E2eReport, Options, Verdict};
use qcd::probe::{Target, TargetReport, UdpTransport};
use qcd::report::{Output, Style};
use qcd::secretmem::SecretBytes;
use qcd::wire::DhGroup;

/// The options of the end-to-end check.
#[derive(Args, Debug)]
pub struct AuthArgs {
    /// Also check crash detection end to end with the gateway's pre-shared
    /// key: `psk:FILE` (a private file: the key's bytes, or hex after 0x;
    /// one trailing line break is ignored), or `psk` alone to type it at a
    /// prompt that does not echo. Never the key itself.
    ///
    /// qcd sets up a real IKE SA with each TARGET (IKE_SA_INIT, IKE_AUTH),
    /// reads the QCD_TOKEN the gateway gives in IKE_AUTH, deletes the SA,
    /// then sends the live check's request for the deleted SA's SPIs every
    /// 3 s until the gateway, having forgotten the SA, answers with its
    /// token (Rockhopper keeps a deleted SA 30 s) or --deadline passes, and
    /// compares the two tokens byte for byte. The gateway logs a short IKE SA
    /// from this host, with --id. If it insists on a Child SA, qcd proposes
    /// one that matches no real traffic (this host and the gateway only, IP
    /// protocol 253) and deletes it at once with the IKE SA; with
    /// CHILDLESS_IKEV2_SUPPORTED (RFC 6023) it proposes none. It never
    /// sends INITIAL_CONTACT, so the gateway's other SAs with the same
    /// identity stay up.
    ///
    /// Example: qcd probe vpn.example.net --auth psk:/etc/qcd/vpn.psk --id fqdn:probe.example.net
    #[arg(long, value_name = "psk:FILE", help_heading = "End-to-end check")]
    pub auth: Option<String>,
    /// This host's IKE identity for --auth: fqdn:NAME, email:ADDRESS,
    /// ipv4:ADDRESS, ipv6:ADDRESS or keyid:HEX (the gateway must have a PSK
    /// for it).
    #[arg(
        long,
        value_name = "TYPE:VALUE",
        requires = "auth",
        help_heading = "End-to-end check"
    )]
    pub id: Option<String>,
    /// The identity the gateway must authenticate as (sent as IDr, then
    /// checked); any identity is accepted without it.
    #[arg(
        long,
        value_name = "TYPE:VALUE",
        requires = "auth",
        help_heading = "End-to-end check"
    )]
    pub peer_id: Option<String>,
    /// How long to wait after the delete for the gateway's token.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "60s",
        value_parser = qcd::timefmt::parse_duration_arg,
        help_heading = "End-to-end check"
    )]
    pub deadline: Duration,
    /// Write the IKE SAs' keys to FILE as a Wireshark ikev2_decryption_table
    /// (mode 0600), to decrypt a capture of the check.
    #[arg(
        long,
        value_name = "FILE",
        requires = "auth",
        help_heading = "End-to-end check"
    )]
    pub keys_out: Option<PathBuf>,
}

/// The JSON fields --auth adds to a target object (stable keys).
#[derive(Serialize, Debug)]
pub struct E2eJson {
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

impl E2eJson {
    fn new(r: &E2eReport) -> E2eJson {
        E2eJson {
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
}

/// A target object of the live check with the --auth fields.
#[derive(Serialize)]
pub struct TargetWithE2e<'a> {
    #[serde(flatten)]
    pub target: &'a TargetReport,
    #[serde(flatten)]
    pub e2e: &'a E2eJson,
}

fn read_psk(spec: &str) -> anyhow::Result<SecretBytes> {
    match spec.split_once(':') {
        Some(("psk", path)) if !path.is_empty() => Ok(read_psk_file(path.as_ref())?),
        None if spec == "psk" => {
            if !std::io::stdin().is_terminal() {
                bail!("--auth psk: no terminal to prompt on; give the key in a private file with --auth psk:FILE");
            }
            let typed = zeroize::Zeroizing::new(
                rpassword::prompt_password("pre-shared key for --auth: ")
                    .context("cannot read the PSK from the terminal")?,
            );
            Ok(parse_psk(typed.as_bytes(), "the prompt")?)
        }
        // the value is not echoed: it may be a key typed by mistake
        _ => bail!("--auth: write psk:FILE (the pre-shared key in a private file) or psk (a prompt); qcd never takes the key itself on the command line"),
    }
}

/// The checked options and the PSK, read before anything is sent.
pub struct Prepared {
    id: qcd::wire::IdRepr,
    peer_id: Option<qcd::wire::IdRepr>,
    psk: SecretBytes,
    options: Options,
    keys_out: Option<PathBuf>,
}

/// Checks the --auth options and reads the PSK; `None` without --auth.
pub fn prepare(a: &AuthArgs) -> anyhow::Result<Option<Prepared>> {
    let Some(spec) = &a.auth else {
        return Ok(None);
    };
    let Some(id) = &a.id else {
        bail!("--auth needs --id TYPE:VALUE: the identity the gateway has the PSK for (e.g. --id fqdn:probe.example.net)");
    };
    Ok(Some(Prepared {
        id: parse_identity(id)?,
        peer_id: a.peer_id.as_deref().map(parse_identity).transpose()?,
        psk: read_psk(spec)?,
        options: Options {
            deadline: a.deadline,
            ..Options::default()
        },
        keys_out: a.keys_out.clone(),
    }))
}

/// Runs the end-to-end check on every target, in order.
pub fn check_all(
    p: &Prepared,
    targets: &[Target],
    source_port: u16,
) -> anyhow::Result<Vec<E2eJson>> {
    let mut table = zeroize::Zeroizing::new(String::new());
    let mut results = Vec::new();
    for t in targets {
        let mut transport = UdpTransport::connect(t.addr, source_port)
            .with_context(|| format!("{}: cannot open a UDP socket to {}", t.name, t.addr))?;
        let local = transport
            .local_addr()
            .with_context(|| format!("{}: no local address towards {}", t.name, t.addr))?;
        let config = Config {
            psk: p.psk.clone(),
            id: p.id.clone(),
            peer_id: p.peer_id.clone(),
            group: DhGroup::CURVE_25519,
            local: local.ip(),
            remote: t.addr.ip(),
        };
        let mut keys_seen = None;
        let result = e2e(config, t.addr, &mut transport, &p.options, &mut |keys| {
            keys_seen = Some(wireshark_line(&keys.sa_keys()));
        });
        if let Some(line) = keys_seen {
            table.push_str(&line);
            table.push('\n');
        }
        if let Some(path) = &p.keys_out {
            if !table.is_empty() {
                write_table(path, &table)?;
            }
        }
        let report = result.with_context(|| format!("{} ({}): --auth", t.name, t.addr))?;
        results.push(E2eJson::new(&report));
    }
    Ok(results)
}

/// The human lines of one target's end-to-end check.
pub fn render(out: &mut Output, e: &E2eJson) -> anyhow::Result<()> {
    let style = if e.e2e.is_good() {
        Style::Good
    } else {
        Style::Bad
    };
    let what = match e.e2e {
        Verdict::Match => "the token after the delete is the one given in IKE_AUTH",
        Verdict::Mismatch => "the token after the delete DIFFERS from the one given in IKE_AUTH",
        Verdict::NoTokenInAuth => "no QCD_TOKEN in IKE_AUTH",
        Verdict::NoReply => "no token for the deleted IKE SA before the deadline",
    };
    let head = format!("  e2e         {}: {what}", e.e2e.name());
    let head = out.paint(style, &head).into_owned();
    out.line(&head)?;
    out.line(&format!(
        "  IKE SA      {} {} ({}), peer {}, deleted{}",
        e.spi_i,
        e.spi_r,
        e.suite,
        e.peer_id,
        if e.delete_answered {
            ""
        } else {
            " (the Delete went unanswered)"
        }
    ))?;
    out.line(&format!("  Child SA    {}", e.child_sa))?;
    if let Some(t) = &e.auth_token {
        out.line(&format!("  auth token  {t} ({} bytes)", t.len() / 2))?;
    }
    match (&e.token_after_delete, e.wait_s) {
        (Some(t), Some(w)) => out.line(&format!(
            "  post-delete {t} (after {w:.1} s, {} request(s))",
            e.requests_after_delete
        ))?,
        _ if e.auth_token.is_some() => out.line(&format!(
            "  post-delete none ({} request(s))",
            e.requests_after_delete
        ))?,
        _ => {}
    }
    out.line(&format!("  what to do: {}", e.e2e_advice))?;
    Ok(())
}
