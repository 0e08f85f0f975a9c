//! Command-line definitions (clap derive) and dispatch. Each command has its
//! own file holding its arguments and its `run` function; this file holds the
//! global flags, the exit-code contract and error printing.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// What a successful run answered (exit 0 or 1); errors are `Err` (exit 2).
pub use qcd::report::Outcome;
use qcd::report::{ColorChoice, Output};

pub mod assets;
pub mod audit;
pub mod decode;
pub mod diagnose;
#[cfg(feature = "testkit")]
pub mod generate_capture;
pub mod keys;
pub mod probe;
pub mod probe_auth;
pub mod respond;
#[cfg(feature = "testkit")]
pub mod scenarios;
pub mod secret;
pub mod token;

/// Quick Crash Detection (RFC 6290) for IKEv2 gateways: provision and rotate
/// QCD secrets, derive and verify tokens, decode notifies and captures, audit
/// cluster secret sharing, and diagnose failed crash detections.
#[derive(Parser, Debug)]
#[command(
    name = "qcd",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "Exit status: 0 success, 1 negative answer (no token match, audit findings at or above the threshold, failed detection), 2 error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Print results as JSON (one object per line) instead of text.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,
    /// Print only the answer (tokens, ids, verdicts, findings), no commentary;
    /// a negative answer is told by the exit status.
    #[arg(long, short = 'q', global = true, help_heading = GLOBAL)]
    pub quiet: bool,
    /// When to use colour; `auto` honours NO_COLOR and whether stdout is a terminal.
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN", help_heading = GLOBAL)]
    pub color: ColorArg,
}

/// The help section of the options every command takes.
const GLOBAL: &str = "Global options";

/// Token profiles as clap values, so that help lists them and completions
/// offer them (`qcd::token::Profile` is the library's type).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileArg {
    /// HMAC-SHA-256(secret, SPI-I ‖ SPI-R), 32-byte tokens: qcd's default.
    HmacSha256,
    /// HMAC-SHA-512, 64-byte tokens: Rockhopper VPN.
    HmacSha512,
    /// HMAC-SHA-1, 16-byte tokens: the racoon2 fork.
    HmacSha1,
    /// SHA-256(secret ‖ SPI-I ‖ SPI-R), 32-byte tokens: RFC 6290's stateless example.
    Sha256Concat,
}

impl From<ProfileArg> for qcd::token::Profile {
    fn from(p: ProfileArg) -> Self {
        use qcd::token::Profile;
        match p {
            ProfileArg::HmacSha256 => Profile::HmacSha256,
            ProfileArg::HmacSha512 => Profile::HmacSha512,
            ProfileArg::HmacSha1 => Profile::HmacSha1,
            ProfileArg::Sha256Concat => Profile::Sha256Concat,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

impl From<ColorArg> for ColorChoice {
    fn from(c: ColorArg) -> Self {
        match c {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate, rotate, list, export, import, prune and derive QCD secrets.
    #[command(subcommand)]
    Secret(secret::SecretCommand),
    /// Derive and verify QCD tokens for given SPIs.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Decode IKEv2 messages and notify payloads from hex or captures.
    Decode(decode::DecodeArgs),
    /// Convert IKE key logs (tcpdump, libreswan, strongSwan charon) into a Wireshark key table.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Audit cluster QCD secret-sharing against an inventory.
    Audit(audit::AuditArgs),
    /// Diagnose a failed crash detection from a capture.
    ///
    /// Reads a capture of the QCD story (IKE_SA_INIT and IKE_AUTH, ESP, the
    /// gateway's reboot, INVALID_SPI, the peer's liveness check,
    /// INVALID_IKE_SPI with QCD_TOKEN, a new IKE SA) and says for each IKE SA
    /// whether detection worked and, if not, which step failed and why.
    ///
    /// Verdicts: healthy, recovered, token-mismatch, token-rejected,
    /// not-rekeyed, no-token, qcd-not-in-use, no-liveness-check,
    /// not-established, in-progress, inconclusive, probe. Exit 0 when every
    /// IKE SA is healthy, recovered, in progress or a probe, 1 otherwise, 2 on
    /// error (including a damaged capture).
    ///
    /// Example: qcd diagnose gw.pcap --keys ikev2_decryption_table --keyring /etc/qcd/keyring.json
    Diagnose(diagnose::DiagnoseArgs),
    Probe(probe::ProbeArgs),
    Respond(respond::RespondArgs),
    /// Regenerate shell completions and man pages (for maintainers).
    #[command(hide = true)]
    GenerateAssets(assets::AssetsArgs),
    /// Write the synthetic QCD scenario captures (for maintainers; only in
    /// a build with `--features testkit`).
    #[cfg(feature = "testkit")]
    #[command(hide = true)]
    GenerateScenarios(scenarios::ScenariosArgs),
    /// Write a synthetic capture (mostly ESP, some IKE) for benchmarks (only
    /// in a build with `--features testkit`).
    #[cfg(feature = "testkit")]
    #[command(hide = true)]
    GenerateCapture(generate_capture::GenerateCaptureArgs),
}

pub fn main() -> ExitCode {
    // Before anything holds a secret: no core dumps, no ptrace by peers.
    qcd::secretmem::guard::harden_process();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            if e.kind() == clap::error::ErrorKind::MissingRequiredArgument
                && e.to_string().contains("--keyring <PATH>")
            {
                eprintln!(
                    "hint: the keyring may also be named by the QCD_KEYRING environment variable"
                );
            }
            if e.kind() == clap::error::ErrorKind::UnknownArgument {
                let args: Vec<String> = std::env::args().collect();
                if let Some(hint) = qcd::timefmt::shell_split_hint(&args) {
                    eprintln!("{hint}");
                }
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let mut out = Output::stdout(cli.global.json, cli.global.quiet, cli.global.color.into());
    let result = dispatch(cli, &mut out).and_then(|o| {
        out.flush()?;
        Ok(o)
    });
    match result {
        Ok(Outcome::Success) => ExitCode::from(0),
        Ok(Outcome::Negative) => ExitCode::from(1),
        Err(err) => {
            if is_broken_pipe(&err) {
                // `qcd … | head`: the reader left; not an error worth reporting.
                return ExitCode::from(0);
            }
            eprintln!("qcd: error: {}", error_message(&err));
            ExitCode::from(2)
        }
    }
}

fn dispatch(cli: Cli, out: &mut Output) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Secret(cmd) => secret::run(cmd, out),
        Command::Token(cmd) => token::run(cmd, out),
        Command::Decode(args) => decode::run(args, out),
        Command::Keys(cmd) => keys::run(cmd, out),
        Command::Audit(args) => audit::run(args, out),
        Command::Diagnose(args) => diagnose::run(args, out),
        Command::Probe(args) => probe::run(args, out),
        Command::Respond(args) => respond::run(args, out),
        Command::GenerateAssets(args) => assets::run(args),
        #[cfg(feature = "testkit")]
        Command::GenerateScenarios(args) => scenarios::run(args),
        #[cfg(feature = "testkit")]
        Command::GenerateCapture(args) => generate_capture::run(args, out),
    }
}

/// The error and its causes on one line. Library errors often say their
/// cause already (`cannot open X: No such file…`); a cause whose text is
/// already in the message is not repeated.
fn error_message(err: &anyhow::Error) -> String {
    let mut msg = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
    }
    msg
}

/// Whether the error is (or was caused by) a write to a closed pipe, as an
/// `io::Error` or wrapped by serde_json while serializing to stdout.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || e.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
    })
}
