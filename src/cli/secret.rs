//! `qcd secret …`: generate, rotate, list, export, import, prune and derive
//! QCD secrets in a keyring file.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use zeroize::Zeroizing;

use qcd::encoding::{self, ByteFormat};
use qcd::report::{Output, Style};
use qcd::secret::derive::derive_member_secret;
use qcd::secret::keyring::{DEFAULT_SECRET_BYTES, MAX_SECRET_BYTES, MIN_SECRET_BYTES};
use qcd::secret::manifest::GenerationMeta;
use qcd::secret::store::{self, LoadOptions, StoreError};
use qcd::secret::{weakness, Keyring, Manifest, Origin, SecretBytes, State};
use qcd::timefmt;
use qcd::token::{Profile, TokenSpec};

use super::Outcome;

#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// Create a new keyring whose generation 1 is a fresh random secret.
    ///
    /// Example: qcd secret generate --keyring /etc/qcd/keyring.json --bytes 64 --profile hmac-sha512
    Generate(GenerateArgs),
    /// Make a new active generation; the old active one stays valid as "previous" for --overlap.
    ///
    /// Safe to run from a daily timer with --if-older-than: it does nothing
    /// (exit 0) while the active generation is younger than that.
    ///
    /// Example: qcd secret rotate --keyring /etc/qcd/keyring.json --if-older-than 30d --overlap 48h
    Rotate(RotateArgs),
    /// List generations: id, state, times, fingerprint, length, profile; never the secret.
    ///
    /// With --json this prints the manifest that `qcd audit` reads for gateways
    /// whose secrets should not leave the machine.
    List(ListArgs),
    /// Write a generation's secret in a format a gateway daemon reads.
    ///
    /// Example: qcd secret export --keyring k.json --format raw --out /etc/rockhopper/qcd.key
    Export(ExportArgs),
    /// Add an existing secret (e.g. a hot-standby peer's) as a new generation.
    ///
    /// The secret comes from --in FILE, from stdin (`--in -` or a pipe), or from
    /// a no-echo prompt when stdin is a terminal. Never from the command line.
    ///
    /// Example: qcd secret export -k gw1.json --format hex | ssh gw2 qcd secret import -k gw2.json --format hex
    Import(ImportArgs),
    /// Wipe the secret bytes of expired generations (their metadata stays).
    Prune(PruneArgs),
    /// Derive a load-sharing member's own secret from a root keyring (HKDF-SHA-256).
    ///
    /// Creates the member keyring, or, when it exists, adds the derived secret
    /// as its new active generation unless already present (idempotent).
    ///
    /// Example: qcd secret derive --root root.json --member gw2 --keyring gw2.json
    Derive(DeriveArgs),
}

/// The keyring to work on.
#[derive(Args, Debug, Clone)]
pub struct KeyringArgs {
    /// Keyring file [env: QCD_KEYRING].
    #[arg(
        long,
        short = 'k',
        env = "QCD_KEYRING",
        value_name = "PATH",
        hide_env = true
    )]
    pub keyring: PathBuf,
    /// Accept a keyring readable or writable by group or others.
    #[arg(long)]
    pub allow_insecure_permissions: bool,
}

impl KeyringArgs {
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            allow_insecure_permissions: self.allow_insecure_permissions,
        }
    }

    pub fn load(&self) -> anyhow::Result<Keyring> {
        Ok(store::load(&self.keyring, &self.load_options())?)
    }
}

/// How tokens of a new generation are computed.
#[derive(Args, Debug, Clone, Default)]
pub struct SpecArgs {
    /// Token profile of the new generation [default: hmac-sha256, or the active generation's].
    #[arg(long, value_name = "PROFILE", value_parser = parse_profile)]
    pub profile: Option<Profile>,
    /// Token length in bytes, 16 up to the profile's digest size [default: the profile's].
    #[arg(long, value_name = "BYTES")]
    pub length: Option<usize>,
    /// The token also covers the token taker's IP address (breaks with NAT rebinding and MOBIKE).
    #[arg(long)]
    pub bind_taker_addr: bool,
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    s.parse()
        .map_err(|e: qcd::token::ProfileError| e.to_string())
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    timefmt::parse_duration(s).map_err(|e| e.to_string())
}

impl SpecArgs {
    /// The spec these flags ask for, starting from `base`.
    fn resolve(&self, base: TokenSpec) -> anyhow::Result<TokenSpec> {
        let profile = self.profile.unwrap_or(base.profile);
        let length = match (self.length, self.profile) {
            (Some(l), _) => l,
            (None, Some(p)) if p != base.profile => p.default_len(),
            _ => base.length,
        };
        let mut spec = TokenSpec::with_length(profile, length)?;
        spec.taker_addr = self.bind_taker_addr || (self.profile.is_none() && base.taker_addr);
        Ok(spec)
    }
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub keyring: KeyringArgs,
    /// Secret length in bytes (16 to 1024).
    #[arg(long, default_value_t = DEFAULT_SECRET_BYTES, value_name = "N")]
    pub bytes: usize,
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Replace an existing keyring (its secrets are lost).
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct RotateArgs {
    #[command(flatten)]
    pub keyring: KeyringArgs,
    /// How long the old active generation stays valid as "previous" (e.g. 90m, 24h, 7d).
    #[arg(long, default_value = "24h", value_parser = parse_duration, value_name = "DURATION")]
    pub overlap: Duration,
    /// Rotate only if the active generation is at least this old (e.g. 30d); otherwise do nothing, exit 0.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub if_older_than: Option<Duration>,
    /// Say what would happen without changing the keyring.
    #[arg(long)]
    pub dry_run: bool,
    /// Secret length of the new generation [default: the active generation's].
    #[arg(long, value_name = "N")]
    pub bytes: Option<usize>,
    #[command(flatten)]
    pub spec: SpecArgs,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    /// The bytes themselves (refused on a terminal).
    Raw,
    /// Lowercase hex, one line.
    Hex,
    /// Standard base64, one line.
    Base64,
}

impl From<FormatArg> for ByteFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Raw => ByteFormat::Raw,
            FormatArg::Hex => ByteFormat::Hex,
            FormatArg::Base64 => ByteFormat::Base64,
        }
    }
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub keyring: KeyringArgs,
    /// Generation to export [default: the active one].
    #[arg(long, short = 'g', value_name = "N")]
    pub generation: Option<u32>,
    /// Output encoding.
    #[arg(long, value_enum)]
    pub format: FormatArg,
    /// Write to FILE (mode 0600, atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// With --out: replace FILE even if it holds a different secret.
    #[arg(long)]
    pub force: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportAs {
    /// The new generation becomes active; the old active one becomes previous.
    Active,
    /// The new generation is accepted and emitted as previous until --overlap ends.
    Previous,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub keyring: KeyringArgs,
    /// Encoding of the secret read.
    #[arg(long, value_enum)]
    pub format: FormatArg,
    /// Read the secret from FILE (`-` for stdin) [default: stdin, or a no-echo prompt on a terminal].
    #[arg(long = "in", value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// The state of the imported generation.
    #[arg(long = "as", value_enum, default_value_t = ImportAs::Active)]
    pub as_state: ImportAs,
    /// How long a generation that stops being active (or the imported one, with --as previous) stays valid.
    #[arg(long, default_value = "24h", value_parser = parse_duration, value_name = "DURATION")]
    pub overlap: Duration,
    #[command(flatten)]
    pub spec: SpecArgs,
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    #[command(flatten)]
    pub keyring: KeyringArgs,
    /// Say what would be destroyed without changing the keyring.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub struct DeriveArgs {
    /// The root keyring (its active generation is the root secret).
    #[arg(long, value_name = "PATH")]
    pub root: PathBuf,
    /// The member's name, e.g. gw2 (part of the HKDF info).
    #[arg(long, value_name = "NAME")]
    pub member: String,
    /// The member's keyring to create or update.
    #[command(flatten)]
    pub keyring: KeyringArgs,
    /// How long the member's old active generation stays valid when the derived one replaces it.
    #[arg(long, default_value = "24h", value_parser = parse_duration, value_name = "DURATION")]
    pub overlap: Duration,
    /// Recreate the member keyring from scratch (its other generations are lost).
    #[arg(long)]
    pub force: bool,
}

pub fn run(cmd: SecretCommand, out: &mut Output) -> anyhow::Result<Outcome> {
    let now = timefmt::now()?;
    match cmd {
        SecretCommand::Generate(a) => generate(a, now, out),
        SecretCommand::Rotate(a) => rotate(a, now, out),
        SecretCommand::List(a) => list(a, now, out),
        SecretCommand::Export(a) => export(a, now, out),
        SecretCommand::Import(a) => import(a, now, out),
        SecretCommand::Prune(a) => prune(a, now, out),
        SecretCommand::Derive(a) => derive(a, now, out),
    }
}

fn check_secret_len(n: usize, what: &str) -> anyhow::Result<()> {
    if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&n) {
        bail!("{what} is {n} bytes: QCD secrets must be {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes (32 or more recommended)");
    }
    Ok(())
}

fn random_secret(n: usize) -> anyhow::Result<SecretBytes> {
    check_secret_len(n, "the requested secret")?;
    SecretBytes::random(n).context("the operating system's random number generator failed")
}

fn describe(g: &GenerationMeta) -> String {
    format!(
        "generation {} ({}), fingerprint {}, {} bytes, {}/{}{}",
        g.id,
        g.state,
        g.fingerprint,
        g.secret_bytes,
        g.profile,
        g.token_length,
        if g.taker_addr { " +taker-addr" } else { "" }
    )
}

#[derive(Serialize)]
struct ChangeReport {
    /// What the command did: generated, rotated, not-rotated, imported, already-present, derived, up-to-date.
    action: &'static str,
    /// Whether the keyring file was (or, with --dry-run, would be) written.
    changed: bool,
    dry_run: bool,
    keyring: String,
    /// Plain-words explanation.
    message: String,
    /// The generation the action concerns (new active, imported, …); null in a dry run that creates one.
    generation: Option<GenerationMeta>,
    /// With rotate: the generation that became previous.
    previous: Option<GenerationMeta>,
}

fn report_change(out: &mut Output, r: &ChangeReport) -> anyhow::Result<()> {
    if out.json {
        out.json_line(r)?;
    } else if out.quiet {
        if let Some(g) = &r.generation {
            out.answer(&format!("{} {}", g.id, g.fingerprint))?;
        }
    } else {
        out.line(&r.message)?;
    }
    Ok(())
}

fn generate(a: GenerateArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let spec = a.spec.resolve(TokenSpec::default())?;
    let keyring = Keyring::new(random_secret(a.bytes)?, spec, now, Origin::Generated);
    store::create(&a.keyring.keyring, &keyring, a.force)?;
    let g = GenerationMeta::from_generation(keyring.active(), now);
    report_change(
        out,
        &ChangeReport {
            action: "generated",
            changed: true,
            dry_run: false,
            keyring: a.keyring.keyring.display().to_string(),
            message: format!("created {}: {}", a.keyring.keyring.display(), describe(&g)),
            generation: Some(g),
            previous: None,
        },
    )?;
    Ok(Outcome::Success)
}

fn rotate(a: RotateArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let path = a.keyring.keyring.clone();
    let plan = |k: &Keyring| -> anyhow::Result<Option<String>> {
        let active = k.active();
        if let Some(min_age) = a.if_older_than {
            let age = active.age_at(now);
            if age < min_age {
                return Ok(Some(format!(
                    "not rotated: active generation {} is {} old, younger than {}",
                    active.id,
                    timefmt::format_duration(age),
                    timefmt::format_duration(min_age)
                )));
            }
        }
        Ok(None)
    };
    let not_rotated = |k: &Keyring, why: String| ChangeReport {
        action: "not-rotated",
        changed: false,
        dry_run: a.dry_run,
        keyring: path.display().to_string(),
        message: why,
        generation: Some(GenerationMeta::from_generation(k.active(), now)),
        previous: None,
    };
    if a.dry_run {
        let k = a.keyring.load()?;
        let report = match plan(&k)? {
            Some(why) => not_rotated(&k, why),
            None => {
                let spec = a.spec.resolve(k.active().spec)?;
                check_secret_len(a.bytes.unwrap_or(k.active().secret_len), "the new secret")?;
                ChangeReport {
                    action: "rotated",
                    changed: true,
                    dry_run: true,
                    keyring: path.display().to_string(),
                    message: format!(
                        "dry run: would make generation {} active ({}/{}) and keep generation {} as previous until {}",
                        k.next_id(),
                        spec.profile,
                        spec.length,
                        k.active().id,
                        timefmt::format_rfc3339(now + a.overlap)
                    ),
                    generation: None,
                    previous: Some(GenerationMeta::from_generation(k.active(), now)),
                }
            }
        };
        report_change(out, &report)?;
        return Ok(Outcome::Success);
    }
    let report = store::update(&path, &a.keyring.load_options(), |k| {
        if let Some(why) = plan(k)? {
            return Ok::<_, anyhow::Error>((not_rotated(k, why), false));
        }
        let old = k.active().id;
        let spec = a.spec.resolve(k.active().spec)?;
        let secret = random_secret(a.bytes.unwrap_or(k.active().secret_len))?;
        let id = k.rotate(secret, spec, now, a.overlap, Origin::Generated);
        let g = GenerationMeta::from_generation(k.generation(id).expect("just added"), now);
        let p = GenerationMeta::from_generation(k.generation(old).expect("exists"), now);
        let message = format!(
            "rotated: {}\n  previous: generation {} is still accepted until {}",
            describe(&g),
            old,
            p.expires.as_deref().unwrap_or("?")
        );
        Ok((
            ChangeReport {
                action: "rotated",
                changed: true,
                dry_run: false,
                keyring: path.display().to_string(),
                message,
                generation: Some(g),
                previous: Some(p),
            },
            true,
        ))
    })?;
    report_change(out, &report)?;
    Ok(Outcome::Success)
}

fn list(a: ListArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let (k, info) = store::load_with_info(&a.keyring.keyring, &a.keyring.load_options())?;
    let manifest = Manifest::from_keyring(&k, &a.keyring.keyring, info, now);
    if out.json {
        out.json_line(&manifest)?;
        return Ok(Outcome::Success);
    }
    let mut table = out.table();
    table.set_header([
        "ID",
        "STATE",
        "CREATED",
        "EXPIRES",
        "FINGERPRINT",
        "BYTES",
        "PROFILE",
    ]);
    for g in &manifest.generations {
        let state = match g.state {
            State::Active => out.paint(Style::Good, "active"),
            State::Previous => "previous".to_string(),
            State::Expired => out.paint(Style::Warn, "expired"),
            State::Destroyed => out.paint(Style::Dim, "destroyed"),
        };
        let weak = if g.weak.is_some() {
            out.paint(Style::Bad, " WEAK")
        } else {
            String::new()
        };
        table.add_row([
            g.id.to_string(),
            state,
            g.created.clone(),
            g.expires.clone().unwrap_or_else(|| "-".into()),
            g.fingerprint.clone(),
            format!("{}{weak}", g.secret_bytes),
            format!(
                "{}/{}{}",
                g.profile,
                g.token_length,
                if g.taker_addr { "+addr" } else { "" }
            ),
        ]);
    }
    out.answer(&table.to_string())?;
    out.line(&format!(
        "{}: mode {}, owner {}",
        manifest.keyring,
        manifest.file.mode,
        manifest
            .file
            .owner
            .clone()
            .unwrap_or_else(|| manifest.file.uid.to_string())
    ))?;
    Ok(Outcome::Success)
}

/// `secret` encoded for export, in a buffer wiped on drop.
fn encode_secret(secret: &SecretBytes, format: FormatArg) -> Zeroizing<Vec<u8>> {
    match format {
        FormatArg::Raw => Zeroizing::new(secret.expose().to_vec()),
        FormatArg::Hex => {
            let mut s = Zeroizing::new(hex::encode(secret.expose()).into_bytes());
            s.push(b'\n');
            s
        }
        FormatArg::Base64 => {
            let mut s = Zeroizing::new(encoding::encode_base64(secret.expose()).into_bytes());
            s.push(b'\n');
            s
        }
    }
}

#[derive(Serialize)]
struct ExportReport<'a> {
    generation: u32,
    fingerprint: &'a str,
    format: &'static str,
    /// With --out: the file written.
    out: Option<String>,
    /// With --out: false when the file already held exactly these bytes.
    changed: Option<bool>,
    /// Without --out: the encoded secret (hex or base64 only).
    secret: Option<&'a str>,
}

fn format_name(f: FormatArg) -> &'static str {
    match f {
        FormatArg::Raw => "raw",
        FormatArg::Hex => "hex",
        FormatArg::Base64 => "base64",
    }
}

fn export(a: ExportArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let k = a.keyring.load()?;
    let g = match a.generation {
        Some(id) => k.generation(id).with_context(|| {
            let ids: Vec<String> = k.generations().iter().map(|g| g.id.to_string()).collect();
            format!(
                "{} has no generation {id} (it has {})",
                a.keyring.keyring.display(),
                ids.join(", ")
            )
        })?,
        None => k.active(),
    };
    let state = g.state_at(now);
    let secret = g.secret().with_context(|| {
        format!(
            "generation {} was destroyed by prune: its secret no longer exists",
            g.id
        )
    })?;
    if state == State::Expired {
        eprintln!(
            "qcd: warning: generation {} expired at {}; tokens made with it are no longer accepted",
            g.id,
            g.expires.map(timefmt::format_rfc3339).unwrap_or_default()
        );
    }
    let bytes = encode_secret(secret, a.format);
    match &a.out {
        Some(path) => {
            let existing = match store::read_private(
                path,
                &LoadOptions {
                    allow_insecure_permissions: true,
                },
            ) {
                Ok((b, _)) => Some(b),
                Err(StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            let unchanged = existing.as_deref().is_some_and(|e| e == bytes.as_slice());
            if existing.is_some() && !unchanged && !a.force {
                bail!(
                    "{} exists and holds a different secret: refusing to replace it (pass --force to overwrite; the daemon's old secret will be lost)",
                    path.display()
                );
            }
            if !unchanged {
                store::write_atomic(path, &bytes)?;
            }
            if out.json {
                out.json_line(&ExportReport {
                    generation: g.id,
                    fingerprint: &g.fingerprint,
                    format: format_name(a.format),
                    out: Some(path.display().to_string()),
                    changed: Some(!unchanged),
                    secret: None,
                })?;
            } else if unchanged {
                out.line(&format!(
                    "{} already holds generation {} ({}): unchanged",
                    path.display(),
                    g.id,
                    g.fingerprint
                ))?;
            } else {
                out.line(&format!(
                    "wrote generation {} ({}, {}) to {} (mode 0600)",
                    g.id,
                    g.fingerprint,
                    format_name(a.format),
                    path.display()
                ))?;
            }
        }
        None => {
            if out.json {
                if a.format == FormatArg::Raw {
                    bail!("--json cannot carry raw bytes: use --format hex or base64 with --json");
                }
                let text = std::str::from_utf8(&bytes).expect("hex and base64 are ASCII");
                out.json_line(&ExportReport {
                    generation: g.id,
                    fingerprint: &g.fingerprint,
                    format: format_name(a.format),
                    out: None,
                    changed: None,
                    secret: Some(text.trim_end()),
                })?;
            } else {
                if a.format == FormatArg::Raw && std::io::stdout().is_terminal() {
                    bail!("refusing to write raw secret bytes to a terminal: use --out FILE, redirect stdout, or --format hex");
                }
                out.writer().write_all(&bytes)?;
            }
        }
    }
    Ok(Outcome::Success)
}

/// Reads the secret to import: from --in FILE/-, a pipe, or a no-echo prompt.
fn read_import_secret(a: &ImportArgs) -> anyhow::Result<SecretBytes> {
    let mut raw = Zeroizing::new(Vec::new());
    let source: String;
    match a.input.as_deref() {
        Some(p) if p != Path::new("-") => {
            let (bytes, _) = store::read_private(
                p,
                &LoadOptions {
                    allow_insecure_permissions: true,
                },
            )?;
            raw = bytes;
            source = p.display().to_string();
        }
        _ if a.input.is_none() && std::io::stdin().is_terminal() => {
            if a.format == FormatArg::Raw {
                bail!("raw secret bytes cannot be typed at a prompt: use --in FILE, or pipe them to stdin");
            }
            let typed = Zeroizing::new(
                rpassword::prompt_password(format!(
                    "QCD secret to import ({}): ",
                    format_name(a.format)
                ))
                .context("cannot read the secret from the terminal")?,
            );
            raw.extend_from_slice(typed.as_bytes());
            source = "the prompt".into();
        }
        _ => {
            std::io::stdin()
                .read_to_end(&mut raw)
                .context("cannot read the secret from stdin")?;
            source = "stdin".into();
        }
    }
    let decoded = encoding::decode(a.format.into(), &raw)
        .map_err(|e| anyhow::anyhow!("the secret from {source}: {e}"))?;
    let secret = SecretBytes::new(decoded);
    check_secret_len(secret.len(), &format!("the secret from {source}"))?;
    Ok(secret)
}

/// Where an adopted secret goes when the keyring already exists.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// New active generation; the old active one becomes previous.
    Active,
    /// A previous generation expiring after the overlap.
    Previous,
}

/// What [`adopt`] did.
enum Adopted {
    /// The keyring was created with the secret as generation 1.
    Created(GenerationMeta),
    /// The secret was already there; nothing changed.
    Present(GenerationMeta),
    /// The secret was added to the existing keyring.
    Added {
        generation: GenerationMeta,
        previous: Option<GenerationMeta>,
    },
}

/// Puts `secret` into the keyring at `keyring.keyring`: creates the keyring
/// (replacing it when `recreate`) or, when it exists, adds the secret unless a
/// generation already has its fingerprint. `spec` gives the token spec from
/// the keyring's active one (the default spec for a new keyring).
#[allow(clippy::too_many_arguments)]
fn adopt(
    keyring: &KeyringArgs,
    secret: SecretBytes,
    spec: impl Fn(TokenSpec) -> anyhow::Result<TokenSpec>,
    placement: Placement,
    overlap: Duration,
    origin: Origin,
    recreate: bool,
    now: SystemTime,
) -> anyhow::Result<Adopted> {
    let path = &keyring.keyring;
    if recreate || std::fs::symlink_metadata(path).is_err() {
        if placement == Placement::Previous {
            bail!(
                "{} does not exist, and a new keyring needs an active generation: import with --as active, or create the keyring first with `qcd secret generate`",
                path.display()
            );
        }
        let k = Keyring::new(secret, spec(TokenSpec::default())?, now, origin);
        store::create(path, &k, recreate)?;
        return Ok(Adopted::Created(GenerationMeta::from_generation(
            k.active(),
            now,
        )));
    }
    store::update(path, &keyring.load_options(), |k| {
        let fp = qcd::secret::fingerprint(secret.expose());
        if let Some(g) = k.find_fingerprint(&fp) {
            let present = Adopted::Present(GenerationMeta::from_generation(g, now));
            return Ok::<_, anyhow::Error>((present, false));
        }
        let spec = spec(k.active().spec)?;
        let old = k.active().id;
        let (id, previous) = match placement {
            Placement::Active => (
                k.rotate(secret.clone(), spec, now, overlap, origin.clone()),
                Some(old),
            ),
            Placement::Previous => (
                k.add_previous(secret.clone(), spec, now, overlap, origin.clone()),
                None,
            ),
        };
        let meta =
            |id: u32| GenerationMeta::from_generation(k.generation(id).expect("exists"), now);
        let added = Adopted::Added {
            generation: meta(id),
            previous: previous.map(meta),
        };
        Ok((added, true))
    })
}

/// The change report of an [`adopt`], worded by the command.
fn adopted_report(
    path: &Path,
    adopted: Adopted,
    action: &'static str,
    unchanged_action: &'static str,
    created: impl FnOnce(&GenerationMeta) -> String,
    present: impl FnOnce(&GenerationMeta) -> String,
    added: impl FnOnce(&GenerationMeta) -> String,
) -> ChangeReport {
    let keyring = path.display().to_string();
    match adopted {
        Adopted::Created(g) => ChangeReport {
            action,
            changed: true,
            dry_run: false,
            keyring,
            message: created(&g),
            generation: Some(g),
            previous: None,
        },
        Adopted::Present(g) => ChangeReport {
            action: unchanged_action,
            changed: false,
            dry_run: false,
            keyring,
            message: present(&g),
            generation: Some(g),
            previous: None,
        },
        Adopted::Added {
            generation,
            previous,
        } => {
            let mut message = added(&generation);
            if let Some(p) = &previous {
                message.push_str(&format!(
                    "\n  previous: generation {} is still accepted until {}",
                    p.id,
                    p.expires.as_deref().unwrap_or("?")
                ));
            }
            ChangeReport {
                action,
                changed: true,
                dry_run: false,
                keyring,
                message,
                generation: Some(generation),
                previous,
            }
        }
    }
}

fn import(a: ImportArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let secret = read_import_secret(&a)?;
    if let Some(w) = weakness(secret.expose()) {
        eprintln!(
            "qcd: warning: the imported secret looks weak ({}); generate a random one with `qcd secret generate` or `qcd secret rotate`",
            w.describe()
        );
    }
    let placement = match a.as_state {
        ImportAs::Active => Placement::Active,
        ImportAs::Previous => Placement::Previous,
    };
    let adopted = adopt(
        &a.keyring,
        secret,
        |base| a.spec.resolve(base),
        placement,
        a.overlap,
        Origin::Imported,
        false,
        now,
    )?;
    let path = &a.keyring.keyring;
    let report = adopted_report(
        path,
        adopted,
        "imported",
        "already-present",
        |g| {
            format!(
                "created {} with the imported secret: {}",
                path.display(),
                describe(g)
            )
        },
        |g| format!("already present: {}; nothing changed", describe(g)),
        |g| format!("imported: {}", describe(g)),
    );
    report_change(out, &report)?;
    Ok(Outcome::Success)
}

#[derive(Serialize)]
struct PruneReport {
    dry_run: bool,
    keyring: String,
    /// Ids of the generations whose secrets were (or would be) wiped.
    destroyed: Vec<u32>,
}

fn prune(a: PruneArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let path = a.keyring.keyring.clone();
    let ids = if a.dry_run {
        a.keyring.load()?.expired_at(now)
    } else {
        store::update(&path, &a.keyring.load_options(), |k| {
            let ids = k.prune(now);
            let changed = !ids.is_empty();
            Ok::<_, StoreError>((ids, changed))
        })?
    };
    if out.json {
        out.json_line(&PruneReport {
            dry_run: a.dry_run,
            keyring: path.display().to_string(),
            destroyed: ids,
        })?;
    } else if ids.is_empty() {
        out.line("nothing to prune: no generation is expired")?;
    } else {
        let list: Vec<String> = ids.iter().map(u32::to_string).collect();
        out.line(&format!(
            "{} the secrets of expired generation{} {}",
            if a.dry_run {
                "would destroy"
            } else {
                "destroyed"
            },
            if ids.len() == 1 { "" } else { "s" },
            list.join(", ")
        ))?;
    }
    Ok(Outcome::Success)
}

fn derive(a: DeriveArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let root = store::load(&a.root, &a.keyring.load_options())?;
    let rg = root.active();
    let root_secret = rg
        .secret()
        .expect("an active generation always has its secret");
    let secret = derive_member_secret(root_secret, rg.id, &a.member)?;
    let origin = Origin::Derived {
        member: a.member.clone(),
        root_generation: rg.id,
        root_fingerprint: rg.fingerprint.clone(),
    };
    let adopted = adopt(
        &a.keyring,
        secret,
        |_| Ok(rg.spec),
        Placement::Active,
        a.overlap,
        origin,
        a.force,
        now,
    )?;
    let path = &a.keyring.keyring;
    let report = adopted_report(
        path,
        adopted,
        "derived",
        "up-to-date",
        |g| {
            format!(
                "created {} for member {} from root generation {}: {}",
                path.display(),
                a.member,
                rg.id,
                describe(g)
            )
        },
        |g| {
            format!(
                "up to date: member {} already has root generation {}'s derived secret as {}",
                a.member,
                rg.id,
                describe(g)
            )
        },
        |g| {
            format!(
                "derived member {}'s secret from root generation {}: {}",
                a.member,
                rg.id,
                describe(g)
            )
        },
    );
    report_change(out, &report)?;
    Ok(Outcome::Success)
}
