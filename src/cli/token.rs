//! `qcd token derive` and `qcd token verify`: compute the QCD token a gateway
//! sends for given SPIs, or check a token seen on the wire, one at a time or
//! in batches. The computation, verification, diagnosis and their text live
//! in [`qcd::token`], the choice of secrets in [`qcd::secret::tokens`]; this
//! file parses arguments and writes.

use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::{Args, Subcommand};

use qcd::report::Output;
use qcd::secret::ops::SpecRequest;
use qcd::secret::store::LoadOptions;
use qcd::secret::target::Target;
use qcd::secret::tokens::{self, Generations, SecretFileRequest, Secrets};
use qcd::secretmem::SecretBytes;
use qcd::spi::{Spi, SpiError, SpiPair, SpiText};
use qcd::timefmt;
use qcd::token::batch::{self, BatchStats};
use qcd::token::input::{self as given, open_batch, TakerAddrError, TokenHexError};
use qcd::token::records::{self, VerdictRecord};
use qcd::token::text::{print_verification, Checked};
use qcd::token::{Profile, TokenInput, Verifier};

use super::secret::{InFormatArg, TargetArg};
use super::{Outcome, ProfileArg};

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Print the token a gateway sends for an IKE SA, in lowercase hex.
    ///
    /// The token is computed from the keyring's active generation (or
    /// --generation N, or every generation still in use with --all), or from
    /// a gateway's own secret file with --secret-file.
    ///
    /// Example: qcd token derive -k keyring.json --spi-i 0123456789abcdef --spi-r fedcba9876543210
    ///
    /// Batch: qcd token derive -k keyring.json --batch spis.txt, with lines
    /// `SPI-I SPI-R [TAKER-ADDR]`; one token per data line, `error` for a
    /// malformed line (reported on stderr with its line number; exit 2 at the end).
    Derive(DeriveArgs),
    /// Check a token against the generations in use; explain a mismatch.
    ///
    /// Exit 0 when the token matches an active or previous generation, 1 when
    /// it matches none. A mismatch is diagnosed: SPIs swapped, an expired
    /// generation, another profile or length, the taker address.
    ///
    /// Example: qcd token verify -k keyring.json --spi-i 0123456789abcdef --spi-r fedcba9876543210 --token bd6cb2cc5273e5e301d711c6a94d3b509f614a4c71a120a6395eb5e2a9388184
    ///
    /// Batch: qcd token verify -k keyring.json --batch seen.txt, with lines
    /// `SPI-I SPI-R TOKEN [TAKER-ADDR]`; one verdict per data line.
    Verify(VerifyArgs),
}

/// --keyring or --secret-file: the usage line shows them as alternatives.
/// QCD_KEYRING counts as --keyring, and --secret-file wins over it, so the
/// group does not make them conflict (clap counts an environment variable
/// as given).
fn secret_group() -> clap::ArgGroup {
    clap::ArgGroup::new("secret")
        .args(["keyring", "secret_file"])
        .required(true)
        .multiple(true)
}

/// Where the secret comes from: a keyring, or a gateway's own secret file.
#[derive(Args, Debug, Clone)]
pub struct SecretSource {
    /// Keyring file [env: QCD_KEYRING].
    #[arg(
        long,
        short = 'k',
        env = "QCD_KEYRING",
        value_name = "PATH",
        hide_env = true
    )]
    pub keyring: Option<PathBuf>,
    /// Accept a keyring or secret file readable or writable by group or others.
    #[arg(long)]
    pub allow_insecure_permissions: bool,
    /// Use a gateway's own secret file instead of a keyring (`-` for stdin); needs --secret-format or --for.
    ///
    /// Example: qcd token derive --for rockhopper --secret-file /home/rhpprotected/config/qcd_secret --spi-i 3eb802c1b2266eca --spi-r 914935ddd6d4111c
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// How --secret-file is encoded [default with --for: the daemon's (raw)].
    #[arg(long, value_enum, value_name = "FORMAT", requires = "secret_file")]
    pub secret_format: Option<InFormatArg>,
    /// --secret-file is this daemon's own file: its format, secret size and token construction.
    #[arg(
        long = "for",
        value_enum,
        value_name = "TARGET",
        requires = "secret_file"
    )]
    pub target: Option<TargetArg>,
}

/// Overrides of the generation's token construction.
#[derive(Args, Debug, Clone)]
pub struct SpecOverride {
    /// Token profile [default: the generation's; hmac-sha256 with --secret-file].
    #[arg(long, value_enum, ignore_case = true, value_name = "PROFILE")]
    pub profile: Option<ProfileArg>,
    /// Token length in bytes, 16 up to the profile's digest size [default: the generation's, or the profile's].
    #[arg(long, value_name = "BYTES")]
    pub length: Option<usize>,
}

#[derive(Args, Debug)]
#[command(group(secret_group()))]
pub struct DeriveArgs {
    #[command(flatten)]
    pub source: SecretSource,
    /// Initiator SPI: 16 hex digits (optional 0x), Wireshark's 01:23:…:ef form
    /// or swanctl --list-sas's 0123456789abcdef_i (a `_r` label swaps the two).
    #[arg(long, value_name = "SPI", value_parser = parse_spi, required_unless_present = "batch")]
    pub spi_i: Option<SpiArg>,
    /// Responder SPI, same forms as --spi-i.
    #[arg(long, value_name = "SPI", value_parser = parse_spi, required_unless_present = "batch")]
    pub spi_r: Option<SpiArg>,
    /// The token taker's IP address, appended to the SPIs (required by generations that bind tokens to it).
    #[arg(long, value_name = "IP", value_parser = parse_ip)]
    pub taker_addr: Option<IpArg>,
    #[command(flatten)]
    pub spec: SpecOverride,
    /// Use generation N [default: the active one].
    #[arg(long, short = 'g', value_name = "N", conflicts_with = "all")]
    pub generation: Option<u32>,
    /// One line per generation a rebooted gateway still emits (active and previous): `ID STATE TOKEN`.
    #[arg(long)]
    pub all: bool,
    /// Read `SPI-I SPI-R [TAKER-ADDR]` lines from FILE (`-` for stdin); write one token per data line.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["spi_i", "spi_r", "taker_addr", "all"])]
    pub batch: Option<PathBuf>,
}

#[derive(Args, Debug)]
#[command(group(secret_group()))]
pub struct VerifyArgs {
    #[command(flatten)]
    pub source: SecretSource,
    /// Initiator SPI: 16 hex digits (optional 0x), Wireshark's 01:23:…:ef form
    /// or swanctl --list-sas's 0123456789abcdef_i (a `_r` label swaps the two).
    #[arg(long, value_name = "SPI", value_parser = parse_spi, required_unless_present = "batch")]
    pub spi_i: Option<SpiArg>,
    /// Responder SPI, same forms as --spi-i.
    #[arg(long, value_name = "SPI", value_parser = parse_spi, required_unless_present = "batch")]
    pub spi_r: Option<SpiArg>,
    /// The token to check, in hex (whitespace, colons and 0x allowed).
    #[arg(long, value_name = "HEX", value_parser = parse_token, required_unless_present = "batch")]
    pub token: Option<TokenArg>,
    /// The token taker's IP address, appended to the SPIs.
    #[arg(long, value_name = "IP", value_parser = parse_ip)]
    pub taker_addr: Option<IpArg>,
    #[command(flatten)]
    pub spec: SpecOverride,
    /// Accept only generation N (the others are still tried to explain a mismatch).
    #[arg(long, short = 'g', value_name = "N")]
    pub generation: Option<u32>,
    /// Read `SPI-I SPI-R TOKEN [TAKER-ADDR]` lines from FILE (`-` for stdin); write one verdict per data line.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["spi_i", "spi_r", "token", "taker_addr"])]
    pub batch: Option<PathBuf>,
}

/// A token given on the command line, decoded at once. Decoding errors are
/// reported by `run` rather than by clap, which would echo the value (tokens
/// are secrets). `Debug` hides the bytes.
#[derive(Clone)]
pub struct TokenArg(Result<SecretBytes, TokenHexError>);

impl std::fmt::Debug for TokenArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Ok(t) => t.fmt(f),
            Err(e) => write!(f, "TokenArg(Err({e:?}))"),
        }
    }
}

/// An SPI given on the command line. Like [`TokenArg`], errors are reported
/// by `run`, not by clap, which would quote the value (a token pasted into
/// the wrong option would be echoed).
#[derive(Clone, Debug)]
pub struct SpiArg(Result<SpiText, SpiError>);

/// A taker address given on the command line (see [`SpiArg`]).
#[derive(Clone, Debug)]
pub struct IpArg(Result<IpAddr, TakerAddrError>);

pub(super) fn parse_spi(s: &str) -> Result<SpiArg, String> {
    Ok(SpiArg(Spi::parse_text(s.as_bytes())))
}

fn parse_ip(s: &str) -> Result<IpArg, String> {
    Ok(IpArg(given::parse_taker_addr(s)))
}

fn parse_token(s: &str) -> Result<TokenArg, String> {
    Ok(TokenArg(given::parse_token_hex(s)))
}

/// The SPIs and the taker address as a token's input.
fn token_input(i: &SpiArg, r: &SpiArg, taker: Option<&IpArg>) -> anyhow::Result<TokenInput> {
    let spis = spi_pair(i, r)?;
    let taker = match taker.map(|a| &a.0) {
        None => None,
        Some(Ok(a)) => Some(*a),
        Some(Err(e)) => bail!("--taker-addr: {e}"),
    };
    Ok(TokenInput::new(spis, taker))
}

/// The SPI pair from --spi-i and --spi-r: labels (`_i`, `_r`) decide the
/// order; a corrected or suspicious order is said on stderr.
pub(super) fn spi_pair(i: &SpiArg, r: &SpiArg) -> anyhow::Result<SpiPair> {
    let i = i.0.clone().map_err(|e| anyhow::anyhow!("--spi-i: {e}"))?;
    let r = r.0.clone().map_err(|e| anyhow::anyhow!("--spi-r: {e}"))?;
    let (pair, note) =
        SpiPair::from_texts(i, r).map_err(|e| anyhow::anyhow!("--spi-i, --spi-r: {e}"))?;
    if let Some(note) = note {
        eprintln!("qcd: warning: {note}");
    }
    Ok(pair)
}

pub fn run(cmd: TokenCommand, out: &mut Output) -> anyhow::Result<Outcome> {
    match cmd {
        TokenCommand::Derive(a) => derive(a, out),
        TokenCommand::Verify(a) => verify(a, out),
    }
}

impl SecretSource {
    /// The secrets: --secret-file (wins over a keyring), else the keyring.
    pub(super) fn load(&self, batch_on_stdin: bool) -> anyhow::Result<Secrets> {
        let load = LoadOptions {
            allow_insecure_permissions: self.allow_insecure_permissions,
        };
        let file = self.secret_file.as_ref().map(|path| SecretFileRequest {
            path: path.clone(),
            format: self.secret_format.map(Into::into),
            target: self.target.map(Target::from),
            load,
        });
        let source = tokens::SecretSource::pick(self.keyring.clone(), file, load, batch_on_stdin)?;
        Ok(Secrets::load(&source, timefmt::now, io::stdin().lock())?)
    }
}

impl SpecOverride {
    fn request(&self) -> SpecRequest {
        SpecRequest {
            profile: self.profile.map(Profile::from),
            length: self.length,
            bind_taker_addr: false,
        }
    }
}

fn derive(a: DeriveArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let batch_stdin = a.batch.as_deref() == Some(Path::new("-"));
    let secrets = a.source.load(batch_stdin)?;
    let which = Generations::of(a.all, a.generation);
    let choice = secrets.choose(which, &a.spec.request())?;
    for id in &choice.expired {
        eprintln!("qcd: warning: generation {id} has expired: a rebooted gateway no longer emits its tokens");
    }
    if let Some(path) = &a.batch {
        let c = &choice.chosen[0];
        let deriver = c.deriver()?;
        let reader = open_batch(path)?;
        let report = |e: &batch::LineError| eprintln!("qcd: {}: {e}", path.display());
        let stats = if out.json {
            records::derive_json(&deriver, c.generation, reader, out.writer()?, report)?
        } else {
            batch::derive_text(&deriver, reader, out.writer()?, report)?
        };
        return batch_end(path, &stats, out, Outcome::Success);
    }
    let (Some(spi_i), Some(spi_r)) = (&a.spi_i, &a.spi_r) else {
        bail!("give --spi-i and --spi-r, or --batch FILE");
    };
    let input = token_input(spi_i, spi_r, a.taker_addr.as_ref())?;
    for c in &choice.chosen {
        c.token(&input)?.print(out, a.all)?;
    }
    Ok(Outcome::Success)
}

/// After a batch: the SPI order warnings, then an error if lines were
/// malformed, else `done`.
fn batch_end(
    path: &Path,
    stats: &BatchStats,
    out: &mut Output,
    done: Outcome,
) -> anyhow::Result<Outcome> {
    for m in stats.order.messages() {
        eprintln!("qcd: warning: {}: {m}", path.display());
    }
    if stats.malformed > 0 {
        out.flush()?;
    }
    stats.check()?;
    Ok(done)
}

fn verify(a: VerifyArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let batch_stdin = a.batch.as_deref() == Some(Path::new("-"));
    let secrets = a.source.load(batch_stdin)?;
    let from_file = secrets.is_file();
    let verifier = Verifier::new(
        secrets.candidates(a.generation, &a.spec.request())?,
        a.generation,
    );
    if let Some(path) = &a.batch {
        let reader = open_batch(path)?;
        let report = |e: &batch::LineError| eprintln!("qcd: {}: {e}", path.display());
        let stats = if out.json {
            records::verify_json(&verifier, from_file, reader, out.writer()?, report)?
        } else {
            let names = if from_file {
                batch::VerdictNames::Anonymous
            } else {
                batch::VerdictNames::Generations
            };
            batch::verify_text(&verifier, reader, out.writer()?, names, report)?
        };
        return batch_end(path, &stats, out, Outcome::of(stats.mismatched == 0));
    }
    let (Some(spi_i), Some(spi_r), Some(token)) = (&a.spi_i, &a.spi_r, &a.token) else {
        bail!("give --spi-i, --spi-r and --token, or --batch FILE");
    };
    let input = token_input(spi_i, spi_r, a.taker_addr.as_ref())?;
    let token = match &token.0 {
        Ok(t) => t.expose(),
        Err(e) => bail!("--token: {e}"),
    };
    let v = verifier.verify(&input, token);
    if out.json {
        out.json_line(&VerdictRecord::new(&v, None, from_file))?;
    } else if out.quiet {
        // The answer alone: the matching generation's id (nothing for a
        // secret file); a mismatch is exit status 1.
        if let Some(m) = v.matched.as_ref().filter(|_| !from_file) {
            out.answer(&m.generation.to_string())?;
        }
    } else {
        let against = if from_file {
            Checked::SecretFile
        } else {
            Checked::Keyring(a.generation)
        };
        print_verification(out, &v, against)?;
    }
    Ok(Outcome::of(v.matched.is_some()))
}
