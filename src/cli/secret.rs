//! `qcd secret …`: generate, rotate, list, export, import, prune and derive
//! QCD secrets in a keyring file.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand, ValueEnum};

use qcd::encoding::ByteFormat;
use qcd::report::Output;
use qcd::secret::input::{self, ImportInput, ImportSource};
use qcd::secret::listing;
use qcd::secret::ops::{self, Placement, SpecRequest};
use qcd::secret::report::{
    self, ChangeReport, ExportReport, HookFailed, NoticeRecord, PruneReport,
};
use qcd::secret::store::LoadOptions;
use qcd::secret::target::Target;
use qcd::secret::text;
use qcd::timefmt;
use qcd::token::Profile;

use super::assets::ManText;
use super::{Outcome, ProfileArg};

#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// Create a new keyring whose generation 1 is a fresh random secret.
    ///
    /// With --for rockhopper or --for racoon2 the secret has the daemon's size
    /// and the generation its token construction.
    ///
    /// Example: qcd secret generate --keyring /var/lib/qcd/rockhopper.json --for rockhopper
    Generate(GenerateArgs),
    /// Make a new active generation; the old active one stays valid as "previous" for --overlap.
    ///
    /// Safe to run from a daily timer with --if-older-than: it does nothing
    /// (exit 0, and with -q prints nothing) while the active generation is
    /// younger than that.
    ///
    /// With --for a single-key daemon (rockhopper, racoon2) there is no
    /// overlap: the daemon reads one secret at start-up, so the new secret
    /// takes effect only at a restart that deletes its SAs; export it with
    /// --on-change to restart the daemon at once.
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
    /// A file holding another generation of this keyring is updated without
    /// --force; --force is needed only for content that no generation of the
    /// keyring matches. --on-change runs a command (e.g. the daemon's restart)
    /// only when the file changed, or when its last run failed.
    ///
    /// Example: qcd secret export --keyring /var/lib/qcd/rockhopper.json --for rockhopper --on-change 'systemctl restart rockhopper.service'
    Export(ExportArgs),
    /// Add an existing secret (e.g. a hot-standby peer's) as a new generation.
    ///
    /// The secret comes from --in FILE, from stdin (`--in -` or a pipe), or from
    /// a no-echo prompt when stdin is a terminal. Never from the command line.
    ///
    /// Example: qcd secret export -k gw1.json --format hex | ssh gw2 qcd secret import -k gw2.json --format hex
    ///
    /// Example: qcd secret import -k /var/lib/qcd/rockhopper.json --for rockhopper --in /home/rhpprotected/config/qcd_secret
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

/// The daemons `--for` knows (the table is `qcd::secret::target`).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetArg {
    /// Rockhopper VPN: 64-byte raw secret, hmac-sha512/64, /home/rhpprotected/config/qcd_secret.
    Rockhopper,
    /// racoon2 iked (QCD fork): 32-byte raw secret, hmac-sha1/16, /var/lib/racoon2/qcd.secret.
    Racoon2,
}

impl From<TargetArg> for Target {
    fn from(t: TargetArg) -> Self {
        match t {
            TargetArg::Rockhopper => Target::Rockhopper,
            TargetArg::Racoon2 => Target::Racoon2,
        }
    }
}

/// How tokens of a new generation are computed.
#[derive(Args, Debug, Clone, Default)]
pub struct SpecArgs {
    /// Token profile of the new generation [default: hmac-sha256, or the active generation's].
    #[arg(long, value_enum, ignore_case = true, value_name = "PROFILE")]
    pub profile: Option<ProfileArg>,
    /// Token length in bytes, 16 up to the profile's digest size [default: the profile's].
    #[arg(long, value_name = "BYTES")]
    pub length: Option<usize>,
    /// The token also covers the token taker's IP address (breaks with NAT rebinding and MOBIKE).
    #[arg(long)]
    pub bind_taker_addr: bool,
}

/// Durations on the command line: `72h`, `3d`, `"3 days"`, `30D`, at most
/// 100 years; a bare number split from its unit by the shell gets a hint.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    timefmt::parse_duration_arg(s).map_err(|e| e.to_string())
}

impl SpecArgs {
    fn request(&self) -> SpecRequest {
        SpecRequest {
            profile: self.profile.map(Profile::from),
            length: self.length,
            bind_taker_addr: self.bind_taker_addr,
        }
    }
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub keyring: KeyringArgs,
    /// Secret length in bytes, 16 to 1024 [default: 32, or the --for daemon's].
    #[arg(long, value_name = "N")]
    pub bytes: Option<usize>,
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Replace an existing keyring (its secrets are lost).
    #[arg(long)]
    pub force: bool,
    /// Make the secret for this daemon: its secret size and token construction.
    #[arg(long = "for", value_enum, value_name = "TARGET")]
    pub target: Option<TargetArg>,
}

#[derive(Args, Debug)]
pub struct RotateArgs {
    #[command(flatten)]
    pub keyring: KeyringArgs,
    /// How long the old active generation stays valid as "previous" (e.g. 90m, 24h, 7d; at most 100y) [default: 24h; refused with --for a single-key daemon].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub overlap: Option<Duration>,
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
    /// The daemon the keyring is for: the active generation must fit it, and the new one is made for it.
    #[arg(long = "for", value_enum, value_name = "TARGET")]
    pub target: Option<TargetArg>,
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
    /// Output encoding [default with --for: the daemon's (raw)].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Write to FILE (mode 0600, atomically) instead of stdout [default with --for: the daemon's file].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace FILE even if it holds a secret that is no generation of this keyring.
    #[arg(long)]
    pub force: bool,
    /// Export for this daemon: its format, its file, its owner; the generation must fit it.
    #[arg(long = "for", value_enum, value_name = "TARGET")]
    pub target: Option<TargetArg>,
    /// The user who owns FILE, the account the daemon reads it as [default with --for: the daemon's].
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,
    /// Run CMD (with sh -c) when FILE changed, or when its last run failed; e.g. the daemon's restart.
    #[arg(long, value_name = "CMD")]
    pub on_change: Option<String>,
}

/// How the secret to import is encoded.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InFormatArg {
    /// The bytes themselves, as a daemon's secret file holds them (not at a prompt).
    Raw,
    /// Hex digits, either case, with optional 0x, whitespace or colons.
    Hex,
    /// Standard base64.
    Base64,
}

impl From<InFormatArg> for ByteFormat {
    fn from(f: InFormatArg) -> Self {
        match f {
            InFormatArg::Raw => ByteFormat::Raw,
            InFormatArg::Hex => ByteFormat::Hex,
            InFormatArg::Base64 => ByteFormat::Base64,
        }
    }
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
    /// How the secret read is encoded [default with --for: the daemon's (raw)].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<InFormatArg>,
    /// Read the secret from FILE (`-` for stdin) [default: stdin, or a no-echo prompt on a terminal].
    #[arg(long = "in", value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// The state of the imported generation.
    #[arg(long = "as", value_enum, default_value_t = ImportAs::Active)]
    pub as_state: ImportAs,
    /// How long a generation that stops being active (or the imported one, with --as previous) stays valid [default: 24h; refused with --for a single-key daemon].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub overlap: Option<Duration>,
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Import a secret that looks weak (all one byte, a short repeated pattern).
    #[arg(long)]
    pub allow_weak: bool,
    /// The secret is (or is for) this daemon's: its size and token construction; --in may be the daemon's own file.
    #[arg(long = "for", value_enum, value_name = "TARGET")]
    pub target: Option<TargetArg>,
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
    /// Recreate the member keyring from scratch (its other generations are lost), also when it holds another member's secrets.
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

/// Notices go to stderr, whatever the output mode (warnings even with -q).
fn print_notices(out: &Output, notices: &[NoticeRecord]) {
    for line in text::notice_lines(notices, out.quiet) {
        eprintln!("{line}");
    }
}

/// The notices on stderr, then the report: its message, `-q`'s answer, or JSON.
fn report_change(out: &mut Output, r: &ChangeReport) -> anyhow::Result<Outcome> {
    print_notices(out, &r.notices);
    text::print_change(out, r)?;
    Ok(Outcome::Success)
}

fn generate(a: GenerateArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let path = a.keyring.keyring.clone();
    let target = a.target.map(Target::from);
    let done = ops::generate(
        &ops::GenerateRequest {
            keyring: path.clone(),
            bytes: a.bytes,
            spec: a.spec.request(),
            force: a.force,
            target,
        },
        now,
    )?;
    report_change(out, &ChangeReport::generated(&path, done, target))
}

fn rotate(a: RotateArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let path = a.keyring.keyring.clone();
    let target = a.target.map(Target::from);
    let done = ops::rotate(
        &ops::RotateRequest {
            keyring: path.clone(),
            load: a.keyring.load_options(),
            overlap: a.overlap,
            if_older_than: a.if_older_than,
            dry_run: a.dry_run,
            bytes: a.bytes,
            spec: a.spec.request(),
            target,
        },
        now,
    )?;
    let r = ChangeReport::rotated(&path, done, target, a.dry_run, now);
    report_change(out, &r)
}

fn list(a: ListArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let manifest = ops::list(&a.keyring.keyring, &a.keyring.load_options(), now)?;
    listing::print(out, &manifest)?;
    Ok(Outcome::Success)
}

fn export(a: ExportArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let target = a.target.map(Target::from);
    let format: Option<ByteFormat> = a.format.map(Into::into);
    let req = ops::ExportRequest {
        keyring: a.keyring.keyring.clone(),
        load: a.keyring.load_options(),
        generation: a.generation,
        format,
        out: a.out,
        force: a.force,
        target,
        owner: a.owner,
        on_change: a.on_change,
    };
    req.check_stdout(out.json, std::io::stdout().is_terminal())?;
    let done = ops::export(&req, now)?;
    if let Some(w) = report::expired_export_warning(&done.generation) {
        eprintln!("qcd: warning: {w}");
    }
    let r = ExportReport::new(&done, report::export_format(format, target), target);
    print_notices(out, &r.notices);
    text::print_export(out, &r, &done)?;
    if let Some(failed) = HookFailed::of(&done) {
        out.flush()?;
        return Err(failed.into());
    }
    Ok(Outcome::Success)
}

fn import(a: ImportArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let target = a.target.map(Target::from);
    let format = input::import_format(a.format.map(Into::into), target)?;
    let source = ImportSource::choose(a.input.as_deref(), std::io::stdin().is_terminal());
    let (secret, source) = input::read_import_secret(
        &ImportInput {
            source: &source,
            format,
            target,
            load: a.keyring.load_options(),
        },
        std::io::stdin().lock(),
        |m| rpassword::prompt_password(m),
    )?;
    let path = &a.keyring.keyring;
    let done = ops::import(
        &ops::ImportRequest {
            keyring: path.clone(),
            load: a.keyring.load_options(),
            secret,
            source,
            placement: match a.as_state {
                ImportAs::Active => Placement::Active,
                ImportAs::Previous => Placement::Previous,
            },
            overlap: a.overlap,
            spec: a.spec.request(),
            allow_weak: a.allow_weak,
            target,
        },
        now,
    )?;
    if let Some(w) = report::weak_import_warning(&done) {
        eprintln!("qcd: warning: {w}");
    }
    report_change(out, &ChangeReport::imported(path, &done, target))
}

fn prune(a: PruneArgs, now: SystemTime, out: &mut Output) -> anyhow::Result<Outcome> {
    let path = a.keyring.keyring.clone();
    let done = ops::prune(
        &ops::PruneRequest {
            keyring: path.clone(),
            load: a.keyring.load_options(),
            dry_run: a.dry_run,
        },
        now,
    )?;
    let r = PruneReport {
        destroyed: done.destroyed,
        dry_run: a.dry_run,
        keyring: path.display().to_string(),
    };
    text::print_prune(out, &r)?;
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
    report_change(out, &ChangeReport::derived(path, &done, &a.member))
}

// ----------------------------------------------------------- man pages

const KEYRING_FILES: &[(&str, &str)] = &[
    (
        "KEYRING",
        "the keyring (--keyring, or $QCD_KEYRING): JSON, mode 0600, owned by the user running qcd",
    ),
    (
        "KEYRING.lock",
        "the advisory lock that serializes writers of KEYRING (never removed)",
    ),
    (
        "KEYRING.exports",
        "the exports record: for each file KEYRING was exported to, the generation and fingerprint written, the --on-change command and when it last succeeded (no secret)",
    ),
];

const TARGET_FILES: &[(&str, &str)] = &[
    (
        "/home/rhpprotected/config/qcd_secret",
        "Rockhopper's QCD secret (--for rockhopper): 64 raw bytes, owned by rhpprotected",
    ),
    (
        "/var/lib/racoon2/qcd.secret",
        "the racoon2 fork's QCD secret (--for racoon2): 32 raw bytes, owned by root",
    ),
];

const UNITS_SEE_ALSO: &[&str] = &["qcd-secret(1)", "qcd-audit(1)", "systemd.timer(5)"];

/// The text of the `qcd secret …` man pages that clap does not hold.
pub fn man_text(sub: &str) -> ManText {
    let mut m = ManText::default();
    match sub {
        "" => {
            m.files = [KEYRING_FILES, TARGET_FILES].concat();
            m.extra = vec![(
                "TIMERS",
                "contrib/systemd/ holds qcd-rotate@.service and qcd-rotate@.timer, a hardened service and timer pair run per target (qcd-rotate@rockhopper.timer): once a day it rotates the keyring /var/lib/qcd/TARGET.json when its active generation is older than QCD_ROTATE_AFTER (30d), exports it for the daemon with --on-change restarting the daemon, and prunes expired generations. Install it with `sudo contrib/systemd/install rockhopper` (see docs/targets.md).",
            )];
            m.see_also = UNITS_SEE_ALSO.to_vec();
        }
        "rotate" => {
            m.exit_status = Some(
                "0: rotated, or not rotated because the active generation is younger than --if-older-than (with -q nothing is printed then; with --json the action is \"not-rotated\"). 2: error (nothing written).",
            );
            m.files = KEYRING_FILES.to_vec();
            m.see_also = UNITS_SEE_ALSO.to_vec();
        }
        "export" => {
            m.exit_status = Some(
                "0: the file holds the secret (written, or already there) and the --on-change command, if it ran, succeeded. 2: error; also when the --on-change command failed (exit status other than 0, killed, or not started): the file was written and the failure is kept in KEYRING.exports, so the next export runs the command again even if the file did not change.",
            );
            m.files = [KEYRING_FILES, TARGET_FILES].concat();
            m.extra = vec![(
                "ON-CHANGE",
                "The command runs with sh -c, stdin closed, its output on qcd's stderr, and QCD_EXPORT_FILE, QCD_GENERATION, QCD_FINGERPRINT, QCD_TARGET and QCD_CHANGE (written or retry) in its environment. It runs when the file changed, or when its last run failed; never otherwise.",
            )];
            m.see_also = UNITS_SEE_ALSO.to_vec();
        }
        _ => {
            m.files = KEYRING_FILES.to_vec();
        }
    }
    m
}
