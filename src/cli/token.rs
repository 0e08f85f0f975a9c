//! `qcd token derive` and `qcd token verify`: compute the QCD token a gateway
//! sends for given SPIs, or check a token seen on the wire, one at a time or
//! in batches. The computation, verification and diagnosis live in
//! [`qcd::token`]; this file reads secrets, parses arguments and prints.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use serde::Serialize;
use zeroize::Zeroizing;

use qcd::encoding;
use qcd::report::{Output, Style};
use qcd::secret::keyring::MAX_SECRET_BYTES;
use qcd::secret::ops;
use qcd::secret::store::{self, LoadOptions};
use qcd::secret::target::Target;
use qcd::secret::{Keyring, SecretBytes, State};
use qcd::spi::{Spi, SpiError, SpiPair, SpiText};
use qcd::timefmt;
use qcd::token::batch::{self, LineReader};
use qcd::token::derive::{hex_into, MAX_DIGEST_LEN};
use qcd::token::profile::MAX_TOKEN_LEN;
use qcd::token::{
    Candidate, Deriver, Explanation, Note, Profile, TokenInput, TokenSpec, Verification, Verifier,
};

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
pub struct TokenArg(Result<SecretBytes, String>);

impl std::fmt::Debug for TokenArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Ok(t) => t.fmt(f),
            Err(e) => write!(f, "TokenArg(Err({e:?}))"),
        }
    }
}

impl TokenArg {
    fn bytes(&self) -> anyhow::Result<&[u8]> {
        match &self.0 {
            Ok(t) => Ok(t.expose()),
            Err(e) => bail!("--token: {e}"),
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
pub struct IpArg(Result<IpAddr, String>);

pub(super) fn parse_spi(s: &str) -> Result<SpiArg, String> {
    Ok(SpiArg(Spi::parse_text(s.as_bytes())))
}

fn parse_ip(s: &str) -> Result<IpArg, String> {
    Ok(IpArg(s.trim().parse().map_err(|_| {
        format!(
            "{}, expected an IPv4 or IPv6 address such as 192.0.2.7 or 2001:db8::7",
            batch::TakerShape::of(s.trim().as_bytes())
        )
    })))
}

impl IpArg {
    fn get(arg: Option<&IpArg>) -> anyhow::Result<Option<IpAddr>> {
        match arg.map(|a| &a.0) {
            None => Ok(None),
            Some(Ok(a)) => Ok(Some(*a)),
            Some(Err(e)) => bail!("--taker-addr: {e}"),
        }
    }
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

/// Says on stderr which lines of a batch had their SPI order corrected or look swapped.
fn report_order(path: &Path, order: &batch::OrderTally) {
    for m in order.messages() {
        eprintln!("qcd: warning: {}: {m}", path.display());
    }
}

fn parse_token(s: &str) -> Result<TokenArg, String> {
    Ok(TokenArg(decode_token_arg(s)))
}

fn decode_token_arg(s: &str) -> Result<SecretBytes, String> {
    let bytes = Zeroizing::new(encoding::decode_hex_lenient(s).map_err(|e| e.to_string())?);
    if bytes.is_empty() {
        return Err("the token is empty: give it in hex".into());
    }
    if bytes.len() > MAX_TOKEN_LEN {
        return Err(format!(
            "the token has {} bytes; RFC 6290 tokens have at most {MAX_TOKEN_LEN}",
            bytes.len()
        ));
    }
    Ok(SecretBytes::from_slice(&bytes))
}

pub fn run(cmd: TokenCommand, out: &mut Output) -> anyhow::Result<Outcome> {
    match cmd {
        TokenCommand::Derive(a) => derive(a, out),
        TokenCommand::Verify(a) => verify(a, out),
    }
}

/// The most text a gateway's secret file may hold: a secret of
/// [`MAX_SECRET_BYTES`] in hex with separators fits many times over.
const MAX_SECRET_TEXT: usize = 64 << 10;

/// The secrets to work with: a keyring (with "now"), or one secret from a file.
pub(super) enum Secrets {
    Keyring(Keyring, SystemTime),
    /// A secret file, and the token construction it is used with by default.
    File(SecretBytes, TokenSpec),
}

impl SecretSource {
    pub(super) fn load(&self, batch_on_stdin: bool) -> anyhow::Result<Secrets> {
        let opts = LoadOptions {
            allow_insecure_permissions: self.allow_insecure_permissions,
        };
        if let Some(path) = &self.secret_file {
            let target = self.target.map(Target::from);
            let Some(format) = self
                .secret_format
                .map(Into::into)
                .or(target.map(|t| t.spec().format))
            else {
                bail!("--secret-file needs --secret-format raw|hex|base64 (how the gateway stores the secret), or --for rockhopper|racoon2");
            };
            let (raw, source) = if path == Path::new("-") {
                if batch_on_stdin {
                    bail!("--secret-file - and --batch - cannot both read stdin: put one of them in a file");
                }
                // Sized once: growing would leave copies of the secret behind.
                let mut raw = Zeroizing::new(Vec::with_capacity(MAX_SECRET_TEXT + 1));
                io::stdin()
                    .take(MAX_SECRET_TEXT as u64 + 1)
                    .read_to_end(&mut raw)
                    .context("cannot read the secret from stdin")?;
                (raw, "stdin".to_string())
            } else {
                let raw = ops::read_secret_file(path, &opts, ops::target_owners(target))?;
                (raw, path.display().to_string())
            };
            if raw.len() > MAX_SECRET_TEXT {
                bail!("the secret in {source} is longer than {MAX_SECRET_TEXT} bytes: a QCD secret is at most {MAX_SECRET_BYTES} bytes (is this the right file?)");
            }
            let secret = SecretBytes::new(
                encoding::decode(format, &raw)
                    .with_context(|| format!("the secret in {source}"))?,
            );
            if secret.is_empty() {
                bail!("the secret in {source} is empty");
            }
            if secret.len() > MAX_SECRET_BYTES {
                bail!(
                    "the secret in {source} has {} bytes: a QCD secret is at most {MAX_SECRET_BYTES} bytes (check --secret-format)",
                    secret.len()
                );
            }
            if let Some(t) = target {
                if secret.len() != t.spec().secret_bytes {
                    bail!(
                        "the secret in {source} is {} bytes, but {} reads exactly {}: this is not its secret file",
                        secret.len(),
                        t.spec().daemon,
                        t.spec().secret_bytes
                    );
                }
            }
            let spec = target.map(Target::token_spec).unwrap_or_default();
            return Ok(Secrets::File(secret, spec));
        }
        let Some(path) = &self.keyring else {
            bail!("no secret: give --keyring PATH (or set QCD_KEYRING), or --secret-file FILE --secret-format FORMAT");
        };
        let keyring = store::load(path, &opts)?;
        Ok(Secrets::Keyring(keyring, timefmt::now()?))
    }
}

impl SpecOverride {
    /// `base` with --profile/--length applied; --length alone keeps the profile,
    /// --profile alone takes its default length (unless it is base's profile).
    fn apply(&self, base: TokenSpec) -> anyhow::Result<TokenSpec> {
        let profile = self.profile.map(Profile::from).unwrap_or(base.profile);
        let length = match self.length {
            Some(l) => l,
            None if profile == base.profile => base.length,
            None => profile.default_len(),
        };
        let mut spec = TokenSpec::with_length(profile, length)?;
        spec.taker_addr = base.taker_addr;
        Ok(spec)
    }

    fn is_set(&self) -> bool {
        self.profile.is_some() || self.length.is_some()
    }
}

/// One generation chosen for derivation.
struct Chosen<'a> {
    generation: Option<u32>,
    state: State,
    secret: &'a SecretBytes,
    spec: TokenSpec,
}

fn choose<'a>(
    secrets: &'a Secrets,
    generation: Option<u32>,
    all: bool,
    spec: &SpecOverride,
) -> anyhow::Result<Vec<Chosen<'a>>> {
    match secrets {
        Secrets::File(secret, base) => {
            if generation.is_some() || all {
                bail!("--generation and --all need a keyring; a secret file holds one secret");
            }
            Ok(vec![Chosen {
                generation: None,
                state: State::Active,
                secret,
                spec: spec.apply(*base)?,
            }])
        }
        Secrets::Keyring(k, now) => {
            let gens = if all {
                k.in_use_at(*now)
            } else {
                let g = match generation {
                    None => k.active(),
                    Some(id) => k.generation(id).with_context(|| {
                        let ids: Vec<String> =
                            k.generations().iter().map(|g| g.id.to_string()).collect();
                        format!(
                            "the keyring has no generation {id} (it has {})",
                            ids.join(", ")
                        )
                    })?,
                };
                vec![g]
            };
            gens.into_iter()
                .map(|g| {
                    let state = g.state_at(*now);
                    let Some(secret) = g.secret() else {
                        bail!(
                            "generation {} is destroyed: its secret is gone, so its tokens cannot be computed",
                            g.id
                        );
                    };
                    if state == State::Expired {
                        eprintln!(
                            "qcd: warning: generation {} has expired: a rebooted gateway no longer emits its tokens",
                            g.id
                        );
                    }
                    Ok(Chosen {
                        generation: Some(g.id),
                        state,
                        secret,
                        spec: spec.apply(g.spec)?,
                    })
                })
                .collect()
        }
    }
}

#[derive(Serialize)]
struct DerivedJson<'a> {
    generation: Option<u32>,
    state: State,
    profile: Profile,
    length: usize,
    taker_addr: bool,
    token: &'a str,
}

fn derive(a: DeriveArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let batch_stdin = a.batch.as_deref() == Some(Path::new("-"));
    let secrets = a.source.load(batch_stdin)?;
    let chosen = choose(&secrets, a.generation, a.all, &a.spec)?;
    if let Some(path) = &a.batch {
        let c = &chosen[0];
        let deriver = Deriver::new(c.secret.expose(), c.spec)?;
        return derive_batch(&deriver, c, path, out);
    }
    let (Some(spi_i), Some(spi_r)) = (&a.spi_i, &a.spi_r) else {
        bail!("give --spi-i and --spi-r, or --batch FILE");
    };
    let input = TokenInput::new(spi_pair(spi_i, spi_r)?, IpArg::get(a.taker_addr.as_ref())?);
    let mut buf = Zeroizing::new([0u8; MAX_DIGEST_LEN]);
    let mut hex = Zeroizing::new([0u8; 2 * MAX_DIGEST_LEN]);
    for c in &chosen {
        let deriver = Deriver::new(c.secret.expose(), c.spec)?;
        let token = deriver
            .derive_into(&input, &mut buf)
            .with_context(|| match c.generation {
                Some(id) => format!("generation {id}"),
                None => "the secret file".into(),
            })?;
        let n = token.len();
        hex_into(token, &mut hex[..2 * n]);
        let text = std::str::from_utf8(&hex[..2 * n]).expect("hex is ASCII");
        if out.json {
            out.json_line(&DerivedJson {
                generation: c.generation,
                state: c.state,
                profile: c.spec.profile,
                length: c.spec.length,
                taker_addr: input.taker.is_some(),
                token: text,
            })?;
        } else if a.all && !out.quiet {
            let id = c.generation.map(|g| g.to_string()).unwrap_or_default();
            out.answer(&format!("{id} {} {text}", c.state))?;
        } else {
            out.answer(text)?;
        }
    }
    Ok(Outcome::Success)
}

/// Opens a batch input: a file or stdin, behind a large buffer.
fn open_batch(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    const CAP: usize = 1 << 18;
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::with_capacity(CAP, io::stdin().lock())));
    }
    let f = File::open(path)
        .with_context(|| format!("cannot open the batch file {}", path.display()))?;
    if f.metadata().is_ok_and(|m| m.is_dir()) {
        bail!(
            "the batch file {} is a directory: give a file of lines (or - for stdin)",
            path.display()
        );
    }
    Ok(Box::new(BufReader::with_capacity(CAP, f)))
}

fn malformed_error(malformed: u64, lines: u64) -> anyhow::Error {
    anyhow::anyhow!(
        "{malformed} of {lines} data lines were malformed (reported above with their line numbers)"
    )
}

#[derive(Serialize)]
struct BatchErrorJson<'a> {
    line: u64,
    error: &'a str,
}

#[derive(Serialize)]
struct BatchTokenJson<'a> {
    line: u64,
    generation: Option<u32>,
    token: &'a str,
}

fn derive_batch(
    deriver: &Deriver,
    c: &Chosen<'_>,
    path: &Path,
    out: &mut Output,
) -> anyhow::Result<Outcome> {
    let reader = open_batch(path)?;
    let report = |e: &batch::LineError| eprintln!("qcd: {}: {e}", path.display());
    let stats = if out.json {
        let mut w = BufWriter::with_capacity(1 << 16, out.writer()?);
        let mut lines = LineReader::new(reader);
        let mut stats = batch::BatchStats::default();
        let mut buf = Zeroizing::new([0u8; MAX_DIGEST_LEN]);
        let mut hex = Zeroizing::new([0u8; 2 * MAX_DIGEST_LEN]);
        while let Some((no, line)) = lines.next_line()? {
            let result = batch::parse_derive_line(no, line).and_then(|input| match input {
                None => Ok(None),
                Some(l) => {
                    stats.order.note(no, l.order);
                    deriver
                        .derive_into(&l.input, &mut buf)
                        .map(|t| Some(t.len()))
                        .map_err(|source| batch::LineError::Derive { line: no, source })
                }
            });
            match result {
                Ok(None) => continue,
                Ok(Some(n)) => {
                    hex_into(&buf[..n], &mut hex[..2 * n]);
                    let token = std::str::from_utf8(&hex[..2 * n]).expect("hex is ASCII");
                    serde_json::to_writer(
                        &mut w,
                        &BatchTokenJson {
                            line: no,
                            generation: c.generation,
                            token,
                        },
                    )?;
                }
                Err(e) => {
                    report(&e);
                    stats.malformed += 1;
                    serde_json::to_writer(
                        &mut w,
                        &BatchErrorJson {
                            line: no,
                            error: &e.to_string(),
                        },
                    )?;
                }
            }
            w.write_all(b"\n")?;
            stats.lines += 1;
        }
        w.flush()?;
        stats
    } else {
        batch::derive_text(deriver, reader, out.writer()?, report)?
    };
    report_order(path, &stats.order);
    if stats.malformed > 0 {
        out.flush()?;
        return Err(malformed_error(stats.malformed, stats.lines));
    }
    Ok(Outcome::Success)
}

/// The generations to verify against, with --profile/--length applied.
fn verify_candidates<'a>(
    secrets: &'a Secrets,
    spec: &SpecOverride,
) -> anyhow::Result<Vec<Candidate<'a>>> {
    match secrets {
        Secrets::File(secret, base) => Ok(vec![Candidate {
            generation: 0,
            state: State::Active,
            secret: Some(secret),
            spec: spec.apply(*base)?,
        }]),
        Secrets::Keyring(k, now) => {
            let mut cands = qcd::token::candidates(k, *now);
            if spec.is_set() {
                for c in &mut cands {
                    c.spec = spec.apply(c.spec)?;
                }
            }
            Ok(cands)
        }
    }
}

/// `qcd token verify --json`: stable keys, documented in the README.
#[derive(Serialize)]
struct VerdictJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(rename = "match")]
    matched: bool,
    generation: Option<u32>,
    state: Option<State>,
    profile: Option<Profile>,
    length: Option<usize>,
    explanations: &'a [Explanation],
    notes: &'a [Note],
}

impl<'a> VerdictJson<'a> {
    fn new(v: &'a Verification, line: Option<u64>, from_file: bool) -> Self {
        let m = v.matched.as_ref();
        VerdictJson {
            line,
            matched: m.is_some(),
            generation: m.map(|m| m.generation).filter(|_| !from_file),
            state: m.map(|m| m.state),
            profile: m.map(|m| m.profile),
            length: m.map(|m| m.length),
            explanations: &v.explanations,
            notes: &v.notes,
        }
    }
}

fn verify(a: VerifyArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let batch_stdin = a.batch.as_deref() == Some(Path::new("-"));
    let secrets = a.source.load(batch_stdin)?;
    let from_file = matches!(secrets, Secrets::File(..));
    if from_file && a.generation.is_some() {
        bail!("--generation needs a keyring; a secret file holds one secret");
    }
    if let (Secrets::Keyring(k, _), Some(id)) = (&secrets, a.generation) {
        if k.generation(id).is_none() {
            bail!("the keyring has no generation {id}");
        }
    }
    let verifier = Verifier::new(verify_candidates(&secrets, &a.spec)?, a.generation);
    if let Some(path) = &a.batch {
        return verify_batch(&verifier, path, from_file, out);
    }
    let (Some(spi_i), Some(spi_r), Some(token)) = (&a.spi_i, &a.spi_r, &a.token) else {
        bail!("give --spi-i, --spi-r and --token, or --batch FILE");
    };
    let input = TokenInput::new(spi_pair(spi_i, spi_r)?, IpArg::get(a.taker_addr.as_ref())?);
    let v = verifier.verify(&input, token.bytes()?);
    if out.json {
        out.json_line(&VerdictJson::new(&v, None, from_file))?;
    } else if out.quiet {
        // The answer alone: the matching generation's id (nothing for a
        // secret file); a mismatch is exit status 1.
        if let Some(m) = v.matched.as_ref().filter(|_| !from_file) {
            out.answer(&m.generation.to_string())?;
        }
    } else if let Some(m) = &v.matched {
        let what = if from_file {
            "the secret file".to_string()
        } else {
            format!("generation {} ({})", m.generation, m.state)
        };
        let head = out.paint(Style::Good, "match");
        out.answer(&format!(
            "{head}: {what}, {} {} bytes{}",
            m.profile,
            m.length,
            if m.taker_addr {
                ", with the taker address"
            } else {
                ""
            }
        ))?;
    } else {
        let head = out.paint(Style::Bad, "no match");
        let scope = if from_file {
            "the secret file".to_string()
        } else if let Some(id) = a.generation {
            format!("generation {id}")
        } else {
            "no active or previous generation".to_string()
        };
        if from_file || a.generation.is_some() {
            out.answer(&format!("{head}: the token does not match {scope}"))?;
        } else {
            out.answer(&format!("{head}: the token matches {scope}"))?;
        }
        for e in &v.explanations {
            let msg = if from_file {
                e.message
                    .replacen("generation 0 (active)", "the secret file", 1)
            } else {
                e.message.clone()
            };
            out.line(&format!(
                "  {}: {msg}",
                out.paint(Style::Warn, e.code.name())
            ))?;
        }
        let bad_length = v
            .notes
            .iter()
            .any(|n| n.code == qcd::token::NoteCode::TokenLength);
        if v.explanations.is_empty() && !bad_length {
            out.line("  no explanation found: the token was made with another secret, for other SPIs, or with a taker address not given (--taker-addr)")?;
        }
        for n in &v.notes {
            out.line(&format!(
                "  {}: {}",
                out.paint(Style::Dim, "note"),
                n.message
            ))?;
        }
    }
    Ok(if v.matched.is_some() {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}

fn verify_batch(
    verifier: &Verifier<'_>,
    path: &Path,
    from_file: bool,
    out: &mut Output,
) -> anyhow::Result<Outcome> {
    let reader = open_batch(path)?;
    let report = |e: &batch::LineError| eprintln!("qcd: {}: {e}", path.display());
    let stats = if out.json {
        let mut w = BufWriter::with_capacity(1 << 16, out.writer()?);
        let mut lines = LineReader::new(reader);
        let mut stats = batch::BatchStats::default();
        let mut token = Zeroizing::new([0u8; MAX_TOKEN_LEN]);
        while let Some((no, line)) = lines.next_line()? {
            match batch::parse_verify_line(no, line, &mut token) {
                Ok(None) => continue,
                Ok(Some((l, len))) => {
                    stats.order.note(no, l.order);
                    let v = verifier.verify(&l.input, &token[..len]);
                    if v.matched.is_none() {
                        stats.mismatched += 1;
                    }
                    serde_json::to_writer(&mut w, &VerdictJson::new(&v, Some(no), from_file))?;
                }
                Err(e) => {
                    report(&e);
                    stats.malformed += 1;
                    serde_json::to_writer(
                        &mut w,
                        &BatchErrorJson {
                            line: no,
                            error: &e.to_string(),
                        },
                    )?;
                }
            }
            w.write_all(b"\n")?;
            stats.lines += 1;
        }
        w.flush()?;
        stats
    } else {
        let names = if from_file {
            batch::VerdictNames::Anonymous
        } else {
            batch::VerdictNames::Generations
        };
        batch::verify_text(verifier, reader, out.writer()?, names, report)?
    };
    report_order(path, &stats.order);
    if stats.malformed > 0 {
        out.flush()?;
        return Err(malformed_error(stats.malformed, stats.lines));
    }
    Ok(if stats.mismatched > 0 {
        Outcome::Negative
    } else {
        Outcome::Success
    })
}
