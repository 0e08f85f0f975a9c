//! `qcd probe --auth`: the end-to-end check with the gateway's PSK (set up
//! an IKE SA, read its token, delete the SA, draw the token again, compare).
//! The exchanges, the verdict and its rendering are `qcd::ikeinit`'s; this
//! file reads the options.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::Args;

use qcd::ikeinit::check::Check;
use qcd::ikeinit::psk::read_psk_arg;
use qcd::ikeinit::{parse_identity, E2eOptions};

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

/// Checks the --auth options and reads the PSK, before anything is sent;
/// `None` without --auth.
pub fn prepare(a: &AuthArgs) -> anyhow::Result<Option<Check>> {
    let Some(spec) = &a.auth else {
        return Ok(None);
    };
    let Some(id) = &a.id else {
        bail!("--auth needs --id TYPE:VALUE: the identity the gateway has the PSK for (e.g. --id fqdn:probe.example.net)");
    };
    Ok(Some(Check {
        id: parse_identity(id)?,
        peer_id: a.peer_id.as_deref().map(parse_identity).transpose()?,
        psk: read_psk_arg(spec, std::io::stdin().is_terminal(), |m| {
            rpassword::prompt_password(m)
        })?,
        options: E2eOptions {
            deadline: a.deadline,
            ..E2eOptions::default()
        },
        keys_out: a.keys_out.clone(),
    }))
}
