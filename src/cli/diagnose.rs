//! `qcd diagnose CAPTURE`: which step of a crash detection failed, per IKE SA.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use qcd::diagnose::{self, KeyringChecker, SaReport, Taker, TokenChecker, Verdict};
use qcd::report::{Output, Style};
use qcd::secret::store::{self, LoadOptions};
use qcd::timefmt;

use super::Outcome;

/// Arguments of `qcd diagnose` (its help text is on the `Diagnose` command).
#[derive(Args, Debug)]
pub struct DiagnoseArgs {
    /// The capture (pcap or pcapng) taken on either peer or in between.
    #[arg(value_name = "CAPTURE")]
    pub capture: PathBuf,
    /// The token maker's keyring: verify each QCD_TOKEN seen against it and explain mismatches [env: QCD_KEYRING].
    #[arg(
        long,
        short = 'k',
        env = "QCD_KEYRING",
        value_name = "PATH",
        hide_env = true
    )]
    pub keyring: Option<PathBuf>,
    /// Accept a keyring readable or writable by group or others.
    #[arg(long)]
    pub allow_insecure_permissions: bool,
    /// Keys to decrypt IKE_AUTH and read the token given there: a Wireshark ikev2_decryption_table, tcpdump/libreswan key lines or a charon log (detected).
    #[arg(long, value_name = "TABLE")]
    pub keys: Option<PathBuf>,
    /// Another UDP port carrying IKE (besides 500 and 4500); repeatable.
    #[arg(long, value_name = "N")]
    pub port: Vec<u16>,
    /// How long one side may stay silent (or a request unanswered) while the other keeps sending before it counts as an outage.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub silence: Duration,
    /// Judge the token taker by the rules of this implementation (default: explain the maker's reply for each).
    #[arg(long, value_enum, value_name = "TAKER")]
    pub taker: Option<TakerArg>,
}

/// The token takers whose rules qcd knows.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TakerArg {
    /// Rockhopper VPN: reply from the peer's address, INVALID_IKE_SPI and QCD_TOKEN, equal length and bytes.
    Rockhopper,
    /// The racoon2 fork: any INFORMATIONAL response led by a Notify with a matching token.
    Racoon2,
    /// RFC 6290: INVALID_IKE_SPI with a 16–128 octet token equal to the stored one.
    Rfc,
}

impl From<TakerArg> for Taker {
    fn from(t: TakerArg) -> Taker {
        match t {
            TakerArg::Rockhopper => Taker::Rockhopper,
            TakerArg::Racoon2 => Taker::Racoon2,
            TakerArg::Rfc => Taker::Rfc,
        }
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    timefmt::parse_duration_arg(s).map_err(|e| e.to_string())
}

pub fn run(args: DiagnoseArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let now = timefmt::now()?;
    let keyring = args
        .keyring
        .as_ref()
        .map(|p| {
            store::load(
                p,
                &LoadOptions {
                    allow_insecure_permissions: args.allow_insecure_permissions,
                },
            )
        })
        .transpose()?;
    let keys = args
        .keys
        .as_ref()
        .map(|p| super::keys::load_keys(p))
        .transpose()?;
    let checker = keyring.as_ref().map(|k| KeyringChecker::new(k, now));
    let paths = [&Some(args.capture.clone()), &args.keys, &args.keyring]
        .map(|p| p.as_ref().map(|p| p.display().to_string()));
    let opts = diagnose::Options {
        checker: checker.as_ref().map(|c| c as &dyn TokenChecker),
        silence: args.silence,
        taker: args.taker.map(Taker::from),
        keys_given: keys.is_some(),
        inputs: diagnose::Inputs {
            capture: paths[0].as_deref(),
            keys: paths[1].as_deref(),
            keyring: paths[2].as_deref(),
        },
    };
    // Every capture error names the file already.
    let reader = qcd::capture::Options {
        ..diagnose::reader_options(args.port.clone())
    };
    let result = diagnose::diagnose_capture(&args.capture, reader, keys.as_ref(), &opts)?;
    for w in result.warnings.lines() {
        eprintln!("qcd: warning: {}: {w}", args.capture.display());
    }
    if result.reports.len() == 0 {
        anyhow::bail!(
            "{}: no IKE message to diagnose ({} IKE messages decoded, {} ESP packets): the capture must hold the IKE traffic on UDP ports 500 and 4500 (and ESP, IP protocol 50), e.g. `tcpdump -w gw.pcap 'udp port 500 or udp port 4500 or esp'`; use --port N for IKE on another port",
            args.capture.display(),
            result.ike_messages,
            result.esp_packets
        );
    }
    // Reports are judged and printed one IKE SA at a time.
    let mut counts: Vec<(Verdict, usize)> = Vec::new();
    let mut total = 0;
    for r in result.reports {
        if out.json {
            out.json_line(&r)?;
        } else {
            render(out, &r)?;
        }
        total += 1;
        match counts.iter_mut().find(|(v, _)| *v == r.verdict) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.verdict, 1)),
        }
    }
    if !out.json {
        let parts: Vec<String> = counts
            .iter()
            .map(|(v, n)| format!("{n} {}", v.name()))
            .collect();
        out.line(&format!(
            "{total} IKE SA{}: {}",
            if total == 1 { "" } else { "s" },
            parts.join(", ")
        ))?;
    }
    if result.damaged {
        anyhow::bail!(
            "{} is damaged (see the warnings above); the diagnosis covers what could be read",
            args.capture.display()
        );
    }
    Ok(if counts.iter().all(|(v, _)| v.is_ok()) {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}

fn render(out: &mut Output, r: &SaReport) -> anyhow::Result<()> {
    if out.quiet {
        // The answer alone: `VERDICT SPI-I SPI-R` per IKE SA.
        out.answer(&format!("{} {} {}", r.verdict.name(), r.spi_i, r.spi_r))?;
        return Ok(());
    }
    let style = if r.verdict.is_ok() {
        Style::Good
    } else {
        Style::Bad
    };
    out.answer(&format!(
        "{}: IKE SA {} {}  {} → {}",
        out.paint(style, r.verdict.name()),
        r.spi_i,
        r.spi_r,
        r.initiator.as_deref().unwrap_or("?"),
        r.responder.as_deref().unwrap_or("?"),
    ))?;
    out.answer(&format!("  {}", r.reason))?;
    if !r.action.is_empty() {
        out.answer(&format!("  what to do: {}", r.action))?;
    }
    // One buffer for every timeline line (a concentrator's capture prints
    // hundreds of thousands).
    let mut line = String::with_capacity(256);
    let mut frame = String::with_capacity(16);
    for e in &r.events {
        use std::fmt::Write as _;
        line.clear();
        frame.clear();
        let _ = write!(frame, "#{}", e.frame);
        let _ = write!(
            line,
            "  {}  {frame:>6}  {}",
            out.paint(Style::Dim, &e.time),
            e.what
        );
        out.line(&line)?;
    }
    if r.events_omitted > 0 {
        out.line(&format!(
            "  ({} more messages of this IKE SA not shown)",
            r.events_omitted
        ))?;
    }
    for n in &r.notes {
        out.line(&format!("  note: {n}"))?;
    }
    out.line("")?;
    Ok(())
}
