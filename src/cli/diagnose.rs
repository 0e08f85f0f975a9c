//! `qcd diagnose CAPTURE`: which step of a crash detection failed, per IKE SA.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use qcd::capture::Source;
use qcd::diagnose::outcome::{Seen, Tally};
use qcd::diagnose::{self, KeyringChecker, SaReport, Taker, TokenChecker};
use qcd::report::Output;
use qcd::secret::store::{self, LoadOptions};
use qcd::timefmt;

use super::Outcome;

/// Arguments of `qcd diagnose` (its help text is on the `Diagnose` command).
#[derive(Args, Debug)]
pub struct DiagnoseArgs {
    /// The capture (pcap or pcapng) taken on either peer or in between; `-` reads standard input (`tcpdump -w -`, `tshark -w -`).
    #[arg(value_name = "CAPTURE")]
    pub capture: PathBuf,
    /// Print each IKE SA's verdict as soon as the evidence decides it, while the capture is still written: a pipe or FIFO is read as data arrives, a regular file as it grows (like `tail -f`). Ends at the end of a pipe or on SIGINT/SIGTERM, judging what is still open as without --follow.
    ///
    /// Example: tcpdump -U -w - 'udp port 500 or udp port 4500 or esp' | qcd diagnose --follow -
    #[arg(long, short = 'f')]
    pub follow: bool,
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
    // Standard input cannot be read again: advice names CAPTURE instead.
    let capture = Some(args.capture.clone()).filter(|p| p.as_os_str() != "-");
    let paths =
        [&capture, &args.keys, &args.keyring].map(|p| p.as_ref().map(|p| p.display().to_string()));
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
    let reader = diagnose::reader_options(args.port.clone());
    let source = Source::from_arg(args.capture.as_os_str());
    let mut tally = Tally::default();
    let mut print = |out: &mut Output, r: &SaReport| {
        tally.add_report(r);
        diagnose::text::print(out, r)
    };
    let (seen, warnings) = if args.follow {
        let stop = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(signal, stop.clone())?;
        }
        let fopts = diagnose::FollowOptions::default();
        let keys = keys.as_ref();
        let done = diagnose::follow(&source, reader, keys, &opts, fopts, &stop, |r| {
            print(out, &r)?;
            // Every verdict reaches a pipe (jq, grep, a log shipper) at once.
            out.flush()
        })?;
        (Seen::from(&done), done.warnings)
    } else {
        let mut result = diagnose::diagnose_source(&source, reader, keys.as_ref(), &opts)?;
        for r in result.reports.by_ref() {
            print(out, &r)?;
        }
        (Seen::from(&result), result.warnings)
    };
    for w in warnings.lines() {
        eprintln!("qcd: warning: {source}: {w}");
    }
    let capture = source.to_string();
    tally.check_judged(&capture, seen)?;
    if !out.json {
        out.line(&tally.to_string())?;
    }
    Ok(tally.exit_status(&capture, seen)?)
}
