//! `qcd diagnose CAPTURE`: which step of a crash detection failed, per IKE SA.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use qcd::diagnose::{self, KeyringChecker, SaReport, TokenChecker, Verdict};
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
    /// How long one side may stay silent while the other keeps sending before it counts as an outage.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub silence: Duration,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    timefmt::parse_duration(s).map_err(|e| e.to_string())
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
    // Every capture error names the file already.
    let input = diagnose::read_capture(&args.capture, args.port.clone(), keys.as_ref())?;
    for w in &input.warnings {
        eprintln!("qcd: warning: {}: {w}", args.capture.display());
    }
    let checker = keyring.as_ref().map(|k| KeyringChecker::new(k, now));
    let reports = diagnose::diagnose(
        &input.packets,
        &diagnose::Options {
            checker: checker.as_ref().map(|c| c as &dyn TokenChecker),
            silence: args.silence,
        },
    );
    if out.json {
        for r in &reports {
            out.json_line(r)?;
        }
    } else {
        render(out, &reports)?;
    }
    if input.damaged {
        anyhow::bail!(
            "{} is damaged (see the warnings above); the diagnosis covers what could be read",
            args.capture.display()
        );
    }
    Ok(if reports.iter().all(|r| r.verdict.is_ok()) {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}

fn render(out: &mut Output, reports: &[SaReport]) -> anyhow::Result<()> {
    if reports.is_empty() {
        out.answer("no IKE SA in this capture (IKE on UDP 500/4500; use --port for others)")?;
        return Ok(());
    }
    for r in reports {
        let style = if r.verdict.is_ok() {
            Style::Good
        } else {
            Style::Bad
        };
        out.answer(&format!(
            "IKE SA {} {}  {} → {}: {}",
            r.spi_i,
            r.spi_r,
            r.initiator.as_deref().unwrap_or("?"),
            r.responder.as_deref().unwrap_or("?"),
            out.paint(style, r.verdict.name())
        ))?;
        out.answer(&format!("  {}", r.reason))?;
        if !out.quiet {
            for e in &r.events {
                out.line(&format!(
                    "  {}  {:>6}  {}",
                    out.paint(Style::Dim, &e.time),
                    format!("#{}", e.frame),
                    e.what
                ))?;
            }
            for n in &r.notes {
                out.line(&format!("  note: {n}"))?;
            }
        }
        out.line("")?;
    }
    let mut counts: Vec<(Verdict, usize)> = Vec::new();
    for r in reports {
        match counts.iter_mut().find(|(v, _)| *v == r.verdict) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.verdict, 1)),
        }
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(v, n)| format!("{n} {}", v.name()))
        .collect();
    out.line(&format!(
        "{} IKE SA{}: {}",
        reports.len(),
        if reports.len() == 1 { "" } else { "s" },
        parts.join(", ")
    ))?;
    Ok(())
}
