//! `qcd probe TARGET…`: asks live gateways for their QCD token and says
//! what the answers mean. The plan, the verdict and its text are
//! `qcd::probe`'s; this file parses arguments.

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use qcd::ikeinit::check::{check_targets, TargetWithE2e};
use qcd::probe::{self, text, Expect, KnownSecrets, Request, Target, UdpConnector};
use qcd::report::Output;

use super::token::{parse_spi, spi_pair, SecretSource, SpiArg};
use super::Outcome;

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
    let mut request = Request::new(targets)?;
    if let Some(e) = a.expect {
        request.set_expect(e.into())?;
    }
    if let (Some(i), Some(r)) = (&a.spi_i, &a.spi_r) {
        request.set_spis(spi_pair(i, r)?)?;
    }
    if a.source.keyring.is_some() || a.source.secret_file.is_some() {
        request.secrets = Some(KnownSecrets::of(a.source.load(false)?));
    }
    let connector = UdpConnector {
        source_port: a.source_port.unwrap_or(0),
    };
    let auth = super::probe_auth::prepare(&a.auth)?;
    let outcome = probe::run(&request, &connector).context("probe")?;
    let e2e = auth
        .map(|c| check_targets(&c, &request.targets, connector.source_port))
        .transpose()?;
    for (i, t) in outcome.targets.iter().enumerate() {
        let e2e = e2e.as_ref().and_then(|v| v.get(i));
        match e2e {
            Some(e) if out.json => out.json_line(&TargetWithE2e { target: t, e2e: e })?,
            _ if out.json => out.json_line(t)?,
            _ => text::target(out, t)?,
        }
        if let (Some(e), false) = (e2e, out.json) {
            e.print(out)?;
        }
    }
    if let Some(c) = &outcome.cluster {
        text::cluster(out, c)?;
    }
    let e2e_ok = e2e.iter().flatten().all(|e| e.e2e.is_good());
    Ok(Outcome::of(outcome.success() && e2e_ok))
}
