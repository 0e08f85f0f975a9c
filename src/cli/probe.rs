//! `qcd probe TARGET…`: asks live gateways for their QCD token and says
//! what the answers mean. The plan and the verdict are `qcd::probe`'s; this
//! file parses arguments and renders.

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use qcd::probe::{self, Expect, KnownSecrets, Request, Target, TargetReport, UdpConnector};
use qcd::report::{Output, Style};

use super::token::{parse_spi, spi_pair, SecretSource, SpiArg};
use super::Outcome;
use qcd::secret::tokens::Secrets;

/// Ask live gateways whether they answer as QCD token makers, with which token.
///
/// Sends each TARGET the request a crashed peer's liveness check looks like
/// (an INFORMATIONAL request with random SPIs and a small SK payload) and
/// reads the answer: INVALID_IKE_SPI with QCD_TOKEN from a maker, nothing
/// from a daemon that drops unknown SPIs (strongSwan, libreswan), ICMP port
/// unreachable when nothing listens. Asks again with the same SPIs (is the
/// token stable?) and with others (is it a constant?), and sends one
/// IKE_SA_INIT request, since only its answer tells a daemon that drops
/// unknown SPIs from a firewall that drops everything.
///
/// Gentle by construction: at most 9 packets per target, paced, first
/// answer awaited 500 ms, then 1 s, then 2 s; a target that never answers
/// takes at most 5.5 s. Broadcast, multicast and unspecified addresses are
/// refused. All targets are asked about the same SPIs, so with several
/// targets it says whether they share a secret (--expect checks it against
/// the cluster's mode).
///
/// With --keyring (or --secret-file with --for/--secret-format) it says
/// which generation made the token, or why none did.
///
/// Exit 0 when every target answered with a token (matching the keyring,
/// and as --expect requires), 1 otherwise, 2 on error.
///
/// Example: qcd probe 192.0.2.10 --keyring /etc/qcd/keyring.json
///
/// Example: qcd probe gw1.example.net gw2.example.net --expect shared --json
#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// Gateways: host, IPv4 or IPv6 address, with an optional port
    /// (192.0.2.10, gw.example.net:4500, [2001:db8::1]:500).
    #[arg(value_name = "TARGET", required = true)]
    pub targets: Vec<String>,
    /// The port of targets that name none; 4500 sends with the non-ESP marker.
    #[arg(long, default_value_t = 500, value_name = "PORT")]
    pub port: u16,
    /// Send from this local port [default: an ephemeral one]; several targets are then probed one after another.
    #[arg(long, value_name = "PORT")]
    pub source_port: Option<u16>,
    /// Ask about this initiator SPI instead of a random one (same forms as `qcd token derive`).
    #[arg(long, value_name = "SPI", value_parser = parse_spi, requires = "spi_r")]
    pub spi_i: Option<SpiArg>,
    /// Ask about this responder SPI instead of a random one.
    #[arg(long, value_name = "SPI", value_parser = parse_spi, requires = "spi_i")]
    pub spi_r: Option<SpiArg>,
    #[command(flatten)]
    pub source: SecretSource,
    /// What the cluster's mode requires of the targets' secrets.
    ///
    /// Example: --expect shared (hot standby: one secret), --expect distinct (load sharing, anycast).
    #[arg(long, value_enum, value_name = "SHARING")]
    pub expect: Option<ExpectArg>,
    #[command(flatten)]
    pub auth: super::probe_auth::AuthArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectArg {
    /// Hot standby: every member answers with the same token.
    Shared,
    /// Load sharing or anycast: no two members answer with the same token.
    Distinct,
}

impl From<ExpectArg> for Expect {
    fn from(e: ExpectArg) -> Expect {
        match e {
            ExpectArg::Shared => Expect::Shared,
            ExpectArg::Distinct => Expect::Distinct,
        }
    }
}

pub fn run(a: ProbeArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let targets = a
        .targets
        .iter()
        .map(|t| Target::resolve(t, a.port))
        .collect::<Result<Vec<_>, _>>()?;
    if a.expect.is_some() && targets.len() < 2 {
        anyhow::bail!("--expect compares the tokens of several targets: give two or more");
    }
    let mut request = Request::new(targets)?;
    if let (Some(i), Some(r)) = (&a.spi_i, &a.spi_r) {
        request.spis = spi_pair(i, r)?;
        if request.spis.initiator.is_zero() || request.spis.responder.is_zero() {
            anyhow::bail!("--spi-i, --spi-r: a maker answers only for non-zero SPIs");
        }
    }
    request.expect = a.expect.map(Into::into);
    if a.source.keyring.is_some() || a.source.secret_file.is_some() {
        request.secrets = Some(match a.source.load(false)? {
            Secrets::Keyring(k, now) => KnownSecrets::from_keyring(&k, now),
            Secrets::File(secret, spec) => KnownSecrets::single(secret, spec),
        });
    }
    let connector = UdpConnector {
        source_port: a.source_port.unwrap_or(0),
    };
    let auth = super::probe_auth::prepare(&a.auth)?;
    let outcome = probe::run(&request, &connector).context("probe")?;
    let e2e = auth
        .map(|p| super::probe_auth::check_all(&p, &request.targets, connector.source_port))
        .transpose()?;
    for (i, t) in outcome.targets.iter().enumerate() {
        let auth = e2e.as_ref().and_then(|v| v.get(i));
        match auth {
            Some(e) if out.json => {
                out.json_line(&super::probe_auth::TargetWithE2e { target: t, e2e: e })?
            }
            _ if out.json => out.json_line(t)?,
            _ => render(out, t)?,
        }
        if let (Some(e), false) = (auth, out.json) {
            super::probe_auth::render(out, e)?;
        }
    }
    if let Some(c) = &outcome.cluster {
        if out.json {
            out.json_line(c)?;
        } else {
            let same = match c.same_secret {
                Some(true) => "the same token for the same SPIs: they share a secret",
                Some(false) => "different tokens for the same SPIs: they do not share a secret",
                None => "fewer than two targets answered with a token: nothing to compare",
            };
            out.answer(&format!("cluster: {same}"))?;
            if let (Some(e), Some(met)) = (c.expect, c.expectation_met) {
                let e = match e {
                    Expect::Shared => "shared",
                    Expect::Distinct => "distinct",
                };
                let verdict = if met { "met" } else { "NOT met" };
                out.answer(&format!("cluster: --expect {e}: {verdict}"))?;
            }
            if let Some(advice) = &c.advice {
                out.line(&format!("  what to do: {advice}"))?;
            }
        }
    }
    let e2e_ok = e2e.iter().flatten().all(|e| e.e2e.is_good());
    Ok(if outcome.success() && e2e_ok {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}

fn render(out: &mut Output, t: &TargetReport) -> anyhow::Result<()> {
    let style = if t.ok() { Style::Good } else { Style::Bad };
    let head = if t.target == t.address {
        format!("{}: {}", t.target, t.verdict.describe())
    } else {
        format!("{} ({}): {}", t.target, t.address, t.verdict.describe())
    };
    let head = out.paint(style, &head).into_owned();
    out.answer(&head)?;
    if let (Some(len), Some(token)) = (t.token_len, &t.token) {
        let mut notes = Vec::new();
        match t.stable {
            Some(true) => notes.push("stable"),
            Some(false) => notes.push("NOT stable"),
            None => notes.push("stability not checked (no second answer)"),
        }
        match t.varies_with_spis {
            Some(true) => notes.push("varies with the SPIs"),
            Some(false) => notes.push("a CONSTANT for any SPIs"),
            None => {}
        }
        out.line(&format!("  token       {len} bytes, {}", notes.join(", ")))?;
        out.line(&format!(
            "              {token} (for SPIs {} {})",
            t.probe_spi_i, t.probe_spi_r
        ))?;
        if t.tokens > 1 {
            out.line(&format!(
                "              and {} more token(s): an overlap window",
                t.tokens - 1
            ))?;
        }
        if let Some(i) = &t.implementation {
            out.line(&format!("  looks like  {i}"))?;
        }
    }
    if let Some(k) = &t.keyring {
        let text = match (k.matched, k.generation, &t.generation_state) {
            (true, Some(g), _) => format!("generation {g} (active): the gateway runs your secret"),
            (true, None, _) => "the secret file's: the gateway runs this secret".to_string(),
            (false, Some(g), Some(s)) => format!("generation {g} ({s}), not the active one"),
            _ => "none of your secrets made this token".to_string(),
        };
        out.line(&format!("  secret      {text}"))?;
    }
    if let Some(ike) = &t.ike {
        let mut text = format!("answered ({})", ike.kind);
        if let Some(g) = &ike.wanted_group {
            text.push_str(&format!(", wants group {g}"));
        }
        if !ike.notifies.is_empty() {
            text.push_str(&format!("; notifies {}", ike.notifies.join(", ")));
        }
        out.line(&format!("  IKE_SA_INIT {text}"))?;
        for v in &ike.vendor_ids {
            let name = v.name.as_deref().unwrap_or("unknown");
            out.line(&format!("  vendor ID   {name} ({})", v.hex))?;
        }
    }
    let mut facts = Vec::new();
    if let Some(ms) = t.rtt_ms {
        facts.push(format!("round trip {ms} ms"));
    }
    facts.push(match t.packets_sent {
        1 => "1 packet sent".to_string(),
        n => format!("{n} packets sent"),
    });
    out.line(&format!("  sent        {}", facts.join(", ")))?;
    for a in &t.advice {
        out.line(&format!("  what to do: {a}"))?;
    }
    Ok(())
}
