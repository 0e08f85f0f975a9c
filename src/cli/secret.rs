//! `qcd secret …`: generate, rotate, list, export, import, prune and derive
//! QCD secrets in a keyring file.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use zeroize::Zeroizing;

use qcd::encoding::ByteFormat;
use qcd::report::{Output, Style};
use qcd::secret::keyring::DEFAULT_SECRET_BYTES;
use qcd::secret::manifest::GenerationMeta;
use qcd::secret::ops::{
    self, AdoptOutcome, Adopted, Exported, Placement, RotateOutcome, SpecRequest,
};
use qcd::secret::store::LoadOptions;
use qcd::secret::State;
use qcd::timefmt;
use qcd::token::Profile;

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
    /// Accept keyrings and secret files readable or writable by group or others.
    #[arg(long)]
    pub allow_insecure_permissions: bool,
}

impl KeyringArgs {
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            allow_insecure_permissions: self.allow_insecure_permissions,
        }
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

/// Durations on the command line: `72h`, `3d`, `"3 days"`, `30D`, at most
/// 100 years; a bare number split from its unit by the shell gets a hint.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    timefmt::parse_duration_arg(s).map_err(|e| e.to_string())
}

impl SpecArgs {
    fn request(&self) -> SpecRequest {
        SpecRequest {
            profile: self.profile,
            length: self.length,
            bind_taker_addr: self.bind_taker_addr,
        }
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
    /// How long the old active generation stays valid as "previous" (e.g. 90m, 24h, 7d; at most 100y).
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
    let path = a.keyring.keyring.clone();
    let done = ops::generate(
        &ops::GenerateRequest {
            keyring: path.clone(),
            bytes: a.bytes,
            spec: a.spec.request(),
            force: a.force,
        },
        now,
    )?;
    let g = done.generation;
    report_change(
        out,
        &ChangeReport {
            action: "generated",
            changed: true,
            dry_run: false,
            keyring: path.display().to_string(),
            message: format!("created {}: {}", path.display(), describe(&g)),
            generation: Some(g),
            previous: None,
        },
    )?;
    Ok(Outcome::Success)
}

fn rotate(a: RotateArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let path = a.keyring.keyring.clone();
    let done = ops::rotate(
        &ops::RotateRequest {
            keyring: path.clone(),
            load: a.keyring.load_options(),
            overlap: a.overlap,
            if_older_than: a.if_older_than,
            dry_run: a.dry_run,
            bytes: a.bytes,
            spec: a.spec.request(),
        },
        now,
    )?;
    let keyring = path.display().to_string();
    let report = match done {
        RotateOutcome::NotDue {
            active,
            age,
            min_age,
        } => ChangeReport {
            action: "not-rotated",
            changed: false,
            dry_run: a.dry_run,
            keyring,
            message: format!(
                "not rotated: active generation {} is {} old, younger than {}",
                active.id,
                timefmt::format_duration_coarse(age),
                timefmt::format_duration(min_age)
            ),
            generation: Some(active),
            previous: None,
        },
        RotateOutcome::WouldRotate {
            planned,
            previous,
            previous_expires,
        } => ChangeReport {
            action: "rotated",
            changed: true,
            dry_run: true,
            keyring,
            message: format!(
                "dry run: would make generation {} active ({} bytes, {}/{}{}) and keep generation {} as previous until {}",
                planned.id,
                planned.secret_bytes,
                planned.spec.profile,
                planned.spec.length,
                if planned.spec.taker_addr { " +taker-addr" } else { "" },
                previous.id,
                timefmt::format_rfc3339(previous_expires)
            ),
            generation: None,
            previous: Some(previous),
        },
        RotateOutcome::Rotated {
            generation,
            previous,
        } => ChangeReport {
            action: "rotated",
            changed: true,
            dry_run: false,
            keyring,
            message: format!(
                "rotated: {}\n  previous: generation {} is still accepted until {}",
                describe(&generation),
                previous.id,
                previous.expires.as_deref().unwrap_or("?")
            ),
            generation: Some(generation),
            previous: Some(previous),
        },
    };
    report_change(out, &report)?;
    Ok(Outcome::Success)
}

fn list(a: ListArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let manifest = ops::list(&a.keyring.keyring, &a.keyring.load_options(), now)?;
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

#[derive(Serialize)]
struct ExportReport<'a> {
    generation: u32,
    fingerprint: &'a str,
    format: &'static str,
    /// With --out: the file written.
    out: Option<String>,
    /// With --out: false when the file already held exactly these bytes.
    changed: Option<bool>,
    /// With --out: the loose mode (e.g. "0644") of a file that already held
    /// these bytes and was rewritten at 0600; null otherwise.
    fixed_mode: Option<String>,
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
    if a.out.is_none() && out.json && a.format == FormatArg::Raw {
        bail!("--json cannot carry raw bytes: use --format hex or base64 with --json");
    }
    if a.out.is_none() && !out.json && a.format == FormatArg::Raw && std::io::stdout().is_terminal()
    {
        bail!("refusing to write raw secret bytes to a terminal: use --out FILE, redirect stdout, or --format hex");
    }
    let done = ops::export(
        &ops::ExportRequest {
            keyring: a.keyring.keyring.clone(),
            load: a.keyring.load_options(),
            generation: a.generation,
            format: a.format.into(),
            out: a.out.clone(),
            force: a.force,
        },
        now,
    )?;
    let g = &done.generation;
    if g.state == State::Expired {
        eprintln!(
            "qcd: warning: generation {} expired at {}; tokens made with it are no longer accepted",
            g.id,
            g.expires.as_deref().unwrap_or_default()
        );
    }
    match done.exported {
        Exported::File {
            path,
            changed,
            fixed_mode,
        } => {
            if out.json {
                out.json_line(&ExportReport {
                    generation: g.id,
                    fingerprint: &g.fingerprint,
                    format: format_name(a.format),
                    out: Some(path.display().to_string()),
                    changed: Some(changed),
                    fixed_mode: fixed_mode.map(|m| format!("{m:04o}")),
                    secret: None,
                })?;
            } else if let Some(mode) = fixed_mode {
                out.line(&format!(
                    "{} already holds generation {} ({}), but its mode was {mode:04o}: rewrote it with mode 0600",
                    path.display(),
                    g.id,
                    g.fingerprint
                ))?;
            } else if !changed {
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
        Exported::Bytes(bytes) => {
            if out.json {
                let text = std::str::from_utf8(&bytes).expect("hex and base64 are ASCII");
                out.json_line(&ExportReport {
                    generation: g.id,
                    fingerprint: &g.fingerprint,
                    format: format_name(a.format),
                    out: None,
                    changed: None,
                    fixed_mode: None,
                    secret: Some(text.trim_end()),
                })?;
            } else {
                out.writer().write_all(&bytes)?;
            }
        }
    }
    Ok(Outcome::Success)
}

/// Reads the secret to import: from --in FILE/-, a pipe, or a no-echo prompt.
fn read_import_secret(a: &ImportArgs) -> anyhow::Result<qcd::secret::SecretBytes> {
    let (raw, source) = match a.input.as_deref() {
        Some(p) if p != Path::new("-") => (
            ops::read_secret_file(p, &a.keyring.load_options())?,
            p.display().to_string(),
        ),
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
            (
                Zeroizing::new(typed.as_bytes().to_vec()),
                "the prompt".to_string(),
            )
        }
        _ => (
            ops::read_secret_stream(std::io::stdin().lock(), "stdin")?,
            "stdin".to_string(),
        ),
    };
    Ok(ops::decode_secret(a.format.into(), &raw, &source)?)
}

/// The change report of an adoption (import or derive), worded by the command.
fn adopted_report(
    path: &Path,
    done: AdoptOutcome,
    action: &'static str,
    unchanged_action: &'static str,
    created: impl FnOnce(&GenerationMeta) -> String,
    present: impl FnOnce(&GenerationMeta) -> String,
    added: impl FnOnce(&GenerationMeta) -> String,
) -> ChangeReport {
    let changed = done.changed();
    let g = done.generation;
    let mut message = match done.adopted {
        Adopted::Created => created(&g),
        Adopted::Present => present(&g),
        Adopted::Added => added(&g),
    };
    if let Some(p) = &done.previous {
        message.push_str(&format!(
            "\n  previous: generation {} is still accepted until {}",
            p.id,
            p.expires.as_deref().unwrap_or("?")
        ));
    }
    ChangeReport {
        action: if changed { action } else { unchanged_action },
        changed,
        dry_run: false,
        keyring: path.display().to_string(),
        message,
        generation: Some(g),
        previous: done.previous,
    }
}

fn import(a: ImportArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let secret = read_import_secret(&a)?;
    let path = &a.keyring.keyring;
    let done = ops::import(
        &ops::ImportRequest {
            keyring: path.clone(),
            load: a.keyring.load_options(),
            secret,
            placement: match a.as_state {
                ImportAs::Active => Placement::Active,
                ImportAs::Previous => Placement::Previous,
            },
            overlap: a.overlap,
            spec: a.spec.request(),
        },
        now,
    )?;
    if let Some(w) = done.weak {
        eprintln!(
            "qcd: warning: the imported secret looks weak ({}); generate a random one with `qcd secret generate` or `qcd secret rotate`",
            w.describe()
        );
    }
    let report = adopted_report(
        path,
        done.outcome,
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
    let ids = ops::prune(
        &ops::PruneRequest {
            keyring: path.clone(),
            load: a.keyring.load_options(),
            dry_run: a.dry_run,
        },
        now,
    )?
    .destroyed;
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
    let path = &a.keyring.keyring;
    let done = ops::derive(
        &ops::DeriveRequest {
            root: a.root.clone(),
            member: a.member.clone(),
            keyring: path.clone(),
            load: a.keyring.load_options(),
            overlap: a.overlap,
            force: a.force,
        },
        now,
    )?;
    let rg = done.root_generation;
    let report = adopted_report(
        path,
        done.outcome,
        "derived",
        "up-to-date",
        |g| {
            format!(
                "created {} for member {} from root generation {}: {}",
                path.display(),
                a.member,
                rg,
                describe(g)
            )
        },
        |g| {
            format!(
                "up to date: member {} already has root generation {}'s derived secret as {}",
                a.member,
                rg,
                describe(g)
            )
        },
        |g| {
            format!(
                "derived member {}'s secret from root generation {}: {}",
                a.member,
                rg,
                describe(g)
            )
        },
    );
    report_change(out, &report)?;
    Ok(Outcome::Success)
}
