//! [`export`]: writing a generation's secret to a file or stream for a
//! daemon, the rule for replacing what the file held, and the
//! `--on-change` hook.

use super::*;

/// `qcd secret export`.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub keyring: PathBuf,
    pub load: LoadOptions,
    /// The generation to export [default: the active one].
    pub generation: Option<u32>,
    /// [default: the target's; required without a target].
    pub format: Option<ByteFormat>,
    /// Write this file instead of returning the bytes [default with a
    /// target: the daemon's file].
    pub out: Option<PathBuf>,
    /// With `out`: replace a file that holds something no generation of
    /// this keyring matches.
    pub force: bool,
    /// The daemon the file is for: format, default path, owner, and the
    /// generation must fit it.
    pub target: Option<Target>,
    /// With `out`: the user who owns the file [default: the target's
    /// daemon account; without a target, the replaced file's owner or us].
    pub owner: Option<String>,
    /// With `out`: a shell command (`sh -c`) run when the file changed, or
    /// when the last run of it failed.
    pub on_change: Option<String>,
}

/// Why an export to standard output is refused, before the keyring is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StdoutRefusal {
    #[error("--on-change and --owner need a file: give --out FILE (or --for TARGET for the daemon's file)")]
    NeedsFile,
    #[error("--json cannot carry raw bytes: use --format hex or base64 with --json")]
    RawInJson,
    #[error("refusing to write raw secret bytes to a terminal: use --out FILE, redirect stdout, or --format hex")]
    RawOnTerminal,
}

impl ExportRequest {
    /// The refusals of an export to standard output (no `out`, no target),
    /// in this order: `--on-change` and `--owner` need a file; `json`
    /// output cannot carry raw bytes; raw bytes never go to a terminal
    /// (`stdout_is_terminal`). Exports to a file pass.
    pub fn check_stdout(&self, json: bool, stdout_is_terminal: bool) -> Result<(), StdoutRefusal> {
        if self.out.is_some() || self.target.is_some() {
            return Ok(());
        }
        if self.on_change.is_some() || self.owner.is_some() {
            return Err(StdoutRefusal::NeedsFile);
        }
        match self.format {
            Some(ByteFormat::Raw) if json => Err(StdoutRefusal::RawInJson),
            Some(ByteFormat::Raw) if stdout_is_terminal => Err(StdoutRefusal::RawOnTerminal),
            _ => Ok(()),
        }
    }
}

/// What the exported file held before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    /// Nothing: the file did not exist.
    Nothing,
    /// Another generation of this keyring: a normal update.
    Generation(u32),
    /// Something that is no generation of this keyring (replaced with `force`).
    Foreign,
}

/// Where the exported secret went.
#[derive(Debug)]
pub enum Exported {
    /// No `out`: the encoded secret, for the caller to print.
    Bytes(Zeroizing<Vec<u8>>),
    /// Written to (or already in) a file.
    File {
        path: PathBuf,
        /// Whether the file's content changed.
        changed: bool,
        /// When it changed: what it held before.
        replaced: Option<Replaced>,
        /// The loose mode (group/other bits) of a file that already held
        /// the secret, rewritten at 0600.
        fixed_mode: Option<u32>,
    },
}

/// How an `--on-change` command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookStatus {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Signaled(i32),
    /// It could not be started.
    NotStarted(String),
}

impl HookStatus {
    pub fn success(&self) -> bool {
        *self == HookStatus::Exited(0)
    }
}

impl fmt::Display for HookStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookStatus::Exited(c) => write!(f, "exit status {c}"),
            HookStatus::Signaled(s) => write!(f, "killed by signal {s}"),
            HookStatus::NotStarted(e) => write!(f, "could not be started: {e}"),
        }
    }
}

/// An `--on-change` command that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnChangeRun {
    pub command: String,
    /// It ran because its last run failed, not because the file changed.
    pub retry: bool,
    pub status: HookStatus,
}

/// What [`export`] did.
#[derive(Debug)]
pub struct ExportOutcome {
    /// The exported generation (its state tells an expired one).
    pub generation: GenerationMeta,
    pub exported: Exported,
    /// The `--on-change` command, when it ran.
    pub on_change: Option<OnChangeRun>,
    pub notices: Vec<Notice>,
}

/// How an export treats the file it would replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportDecision {
    /// The file holds exactly these bytes.
    Unchanged,
    /// Write the file: it is missing, holds another generation of this
    /// keyring (a normal update), or replacing foreign content was allowed.
    Write(Replaced),
    /// The file holds something no generation of this keyring matches, and
    /// replacing it was not allowed.
    Conflict,
}

/// The generation of `keyring` whose secret `content` holds, in any export
/// format (raw, hex, base64), found by fingerprint: destroyed generations
/// count too.
pub fn identify(keyring: &Keyring, content: &[u8]) -> Option<u32> {
    let by_fp = |bytes: &[u8]| keyring.find_fingerprint(&fingerprint(bytes)).map(|g| g.id);
    if let Some(id) = by_fp(content) {
        return Some(id);
    }
    [ByteFormat::Hex, ByteFormat::Base64]
        .into_iter()
        .find_map(|f| {
            let decoded = Zeroizing::new(encoding::decode(f, content).ok()?);
            by_fp(&decoded)
        })
}

/// Decides what an export does with the existing content of its file: the
/// one place of the rule that an older (or other) generation of the same
/// keyring is replaced without `force`, and only foreign content needs it.
/// `existing` is `None` when the file is missing and `Some(None)` when it
/// could not be read as a secret file (too large).
pub fn export_decision(
    existing: Option<Option<&[u8]>>,
    new: &[u8],
    keyring: &Keyring,
    force: bool,
) -> ExportDecision {
    match existing {
        None => ExportDecision::Write(Replaced::Nothing),
        Some(Some(old)) if old == new => ExportDecision::Unchanged,
        Some(Some(old)) => match identify(keyring, old) {
            Some(id) => ExportDecision::Write(Replaced::Generation(id)),
            None if force => ExportDecision::Write(Replaced::Foreign),
            None => ExportDecision::Conflict,
        },
        Some(None) if force => ExportDecision::Write(Replaced::Foreign),
        Some(None) => ExportDecision::Conflict,
    }
}

/// The secret encoded for export, in a buffer wiped on drop: raw bytes, or
/// hex/base64 text with a final newline.
pub fn encode_secret(secret: &SecretBytes, format: ByteFormat) -> Zeroizing<Vec<u8>> {
    match format {
        ByteFormat::Raw => Zeroizing::new(secret.expose().to_vec()),
        ByteFormat::Hex => {
            let mut s = Zeroizing::new(hex::encode(secret.expose()).into_bytes());
            s.push(b'\n');
            s
        }
        ByteFormat::Base64 => {
            let mut s = Zeroizing::new(encoding::encode_base64(secret.expose()).into_bytes());
            s.push(b'\n');
            s
        }
    }
}

/// The name of an export format, as `--format` spells it.
pub fn format_name(f: ByteFormat) -> &'static str {
    match f {
        ByteFormat::Raw => "raw",
        ByteFormat::Hex => "hex",
        ByteFormat::Base64 => "base64",
    }
}

/// Runs `command` with `sh -c`, stdin closed and its output on our stderr
/// (stdout stays ours, e.g. for `--json`), with `env` added.
pub fn run_hook(command: &str, env: &[(&str, String)]) -> HookStatus {
    use std::os::fd::AsFd;
    use std::os::unix::process::ExitStatusExt;
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null());
    if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
        cmd.stdout(std::process::Stdio::from(fd));
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    match cmd.status() {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(c), _) => HookStatus::Exited(c),
            (None, Some(sig)) => HookStatus::Signaled(sig),
            (None, None) => HookStatus::NotStarted("no exit status".into()),
        },
        Err(e) => HookStatus::NotStarted(e.to_string()),
    }
}

/// The lock file serializing exports from `keyring`.
pub fn export_lock_path(keyring: &Path) -> PathBuf {
    let mut name = keyring.file_name().unwrap_or_default().to_os_string();
    name.push(".export.lock");
    keyring.with_file_name(name)
}

/// Exports a generation's secret: returns the bytes, or writes `out`
/// atomically (mode 0600, under `KEYRING.export.lock`, temp files of killed exports
/// removed, owned by the daemon account for a target) unless it already
/// holds them; a file that holds them with a loose mode is rewritten at
/// 0600. A file holding another generation of this keyring is replaced
/// without `force`. With `out`, the keyring's exports record is updated and
/// the `--on-change` command runs when the file changed (or its last run
/// failed).
pub fn export(req: &ExportRequest, now: SystemTime) -> Result<ExportOutcome, OpError> {
    let k = store::load(&req.keyring, &req.load)?;
    let format = match (req.format, req.target) {
        (Some(f), Some(t)) if f != t.spec().format => {
            return Err(OpError::TargetConflict {
                target: t,
                option: "--format",
                given: format!("--format {}", format_name(f)),
                wanted: format!("{} files", format_name(t.spec().format)),
            })
        }
        (Some(f), _) => f,
        (None, Some(t)) => t.spec().format,
        (None, None) => return Err(OpError::NoFormat),
    };
    let g = match req.generation {
        Some(id) => k.generation(id).ok_or_else(|| OpError::NoSuchGeneration {
            path: req.keyring.clone(),
            id,
            count: k.generations().len(),
            first: k.generations().iter().map(|g| g.id).min().unwrap_or(0),
            last: k.max_id(),
        })?,
        None => k.active(),
    };
    check_fits(&req.keyring, req.target, g)?;
    let secret = g.secret().ok_or(OpError::Destroyed { id: g.id })?;
    let generation = GenerationMeta::from_generation(g, now);
    let bytes = encode_secret(secret, format);
    let out = match (&req.out, req.target) {
        (Some(o), _) => o.clone(),
        (None, Some(t)) => PathBuf::from(t.spec().path),
        (None, None) => {
            return Ok(ExportOutcome {
                generation,
                exported: Exported::Bytes(bytes),
                on_change: None,
                notices: Vec::new(),
            })
        }
    };
    let owner_name = req
        .owner
        .clone()
        .or_else(|| req.target.map(|t| t.spec().owner.to_string()));
    let owner = match &owner_name {
        Some(name) => Some(fsio::user_ids(name).ok_or_else(|| OpError::NoSuchUser {
            name: name.clone(),
            for_target: req.target.filter(|_| req.owner.is_none()),
        })?),
        None => None,
    };
    // The lock lives beside the keyring (`KEYRING.export.lock`), not beside
    // the exported file: nothing of qcd's stays in a daemon's directory.
    let file = LockedFile::lock_with(&out, false, Some(&export_lock_path(&req.keyring)))?;
    let existing = match file.read(&fsio::SECRET_FILE) {
        Ok(content) => content.map(Some),
        Err(StoreError::File(FileError::TooLarge { .. })) => Some(None),
        Err(e) => return Err(e.into()),
    };
    let decision = export_decision(
        existing.as_ref().map(|c| c.as_ref().map(|b| &b[..])),
        &bytes,
        &k,
        req.force,
    );
    let wrong_owner = |meta: &std::fs::Metadata| owner.is_some_and(|(uid, _)| meta.uid() != uid);
    let (changed, replaced, fixed_mode) = match decision {
        ExportDecision::Conflict => {
            return Err(OpError::ExportConflict {
                path: out.clone(),
                target: req.target,
            });
        }
        ExportDecision::Write(replaced) => {
            file.write_as(&bytes, owner)?;
            (true, Some(replaced), None)
        }
        ExportDecision::Unchanged => {
            let meta = file.existing()?;
            let mode = meta.as_ref().map(|m| m.mode() & 0o7777).unwrap_or(0o600);
            let loose = mode & 0o077 != 0;
            if loose || meta.as_ref().is_some_and(wrong_owner) {
                // Same bytes, but readable by others or not the daemon's:
                // rewrite atomically at 0600 with the right owner.
                file.write_as(&bytes, owner)?;
            }
            (false, None, loose.then_some(mode))
        }
    };
    let mut notices = Vec::new();
    if let Some(Replaced::Generation(from)) = replaced {
        if from > g.id {
            notices.push(Notice::Rollback { from, to: g.id });
        }
    }
    let file_key = out.display().to_string();
    let target_name = req.target.map(|t| t.name().to_string());
    let now_text = timefmt::format_rfc3339(now);
    let on_change = deploy::update(&req.keyring, &file_key, |entry| {
        let pending = entry.as_ref().is_some_and(|e| e.restart_pending);
        let run = match &req.on_change {
            Some(cmd) if changed || pending => {
                let env = [
                    ("QCD_EXPORT_FILE", file_key.clone()),
                    ("QCD_GENERATION", g.id.to_string()),
                    ("QCD_FINGERPRINT", g.fingerprint.clone()),
                    ("QCD_TARGET", target_name.clone().unwrap_or_default()),
                    (
                        "QCD_CHANGE",
                        if changed { "written" } else { "retry" }.into(),
                    ),
                ];
                Some(OnChangeRun {
                    command: cmd.clone(),
                    retry: !changed,
                    status: run_hook(cmd, &env),
                })
            }
            _ => None,
        };
        let e = entry.get_or_insert_with(|| ExportRecord {
            file: file_key.clone(),
            target: None,
            format: String::new(),
            generation: g.id,
            fingerprint: g.fingerprint.clone(),
            written: now_text.clone(),
            on_change: None,
            daemon_started: None,
            daemon_fingerprint: None,
            restart_pending: false,
            on_change_failed: None,
        });
        if changed {
            e.written = now_text.clone();
        }
        e.target = target_name.clone();
        e.format = format_name(format).to_string();
        e.generation = g.id;
        e.fingerprint = g.fingerprint.clone();
        if req.on_change.is_some() {
            e.on_change = req.on_change.clone();
        }
        if let Some(r) = &run {
            if r.status.success() {
                e.daemon_started = Some(now_text.clone());
                e.daemon_fingerprint = Some(g.fingerprint.clone());
                e.restart_pending = false;
                e.on_change_failed = None;
            } else {
                e.restart_pending = true;
                e.on_change_failed = Some(r.status.to_string());
            }
        }
        run
    })?;
    if let Some(t) = req.target.filter(|t| t.spec().single_key) {
        if changed || on_change.is_some() {
            let restarted = on_change.as_ref().is_some_and(|r| r.status.success());
            notices.push(Notice::SingleKey {
                target: t,
                stage: if restarted {
                    Stage::Restarted
                } else {
                    Stage::File
                },
            });
        }
    }
    Ok(ExportOutcome {
        generation,
        exported: Exported::File {
            path: out,
            changed,
            replaced,
            fixed_mode,
        },
        on_change,
        notices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_stdout(format: Option<ByteFormat>) -> ExportRequest {
        ExportRequest {
            keyring: "k.json".into(),
            load: LoadOptions::default(),
            generation: None,
            format,
            out: None,
            force: false,
            target: None,
            owner: None,
            on_change: None,
        }
    }

    #[test]
    fn stdout_refusals() {
        let raw = to_stdout(Some(ByteFormat::Raw));
        assert_eq!(raw.check_stdout(true, false), Err(StdoutRefusal::RawInJson));
        assert_eq!(
            raw.check_stdout(false, true),
            Err(StdoutRefusal::RawOnTerminal)
        );
        assert_eq!(raw.check_stdout(false, false), Ok(()));
        let hex = to_stdout(Some(ByteFormat::Hex));
        assert_eq!(hex.check_stdout(true, true), Ok(()));
        let hook = ExportRequest {
            on_change: Some("true".into()),
            ..to_stdout(Some(ByteFormat::Raw))
        };
        // The missing file is said first.
        assert_eq!(hook.check_stdout(true, true), Err(StdoutRefusal::NeedsFile));
        let owner = ExportRequest {
            owner: Some("nobody".into()),
            ..to_stdout(None)
        };
        assert_eq!(
            owner.check_stdout(false, false),
            Err(StdoutRefusal::NeedsFile)
        );
        // A file, or a target's file, is no terminal.
        let file = ExportRequest {
            out: Some("secret".into()),
            ..hook.clone()
        };
        assert_eq!(file.check_stdout(true, true), Ok(()));
        let target = ExportRequest {
            target: Some(Target::Rockhopper),
            ..raw
        };
        assert_eq!(target.check_stdout(true, true), Ok(()));
    }
}
