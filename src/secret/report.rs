//! What the secret operations did, as records: one [`ChangeReport`] per
//! keyring change (generate, rotate, import, derive), an [`ExportReport`]
//! per export, a [`PruneReport`] per prune, each with the plain-words
//! message the text output prints and the stable keys `--json` prints
//! (docs/secrets.md). Built from the typed outcomes of [`super::ops`]; the
//! CLI only chooses text, `-q` or JSON and writes.

use std::path::Path;
use std::time::SystemTime;

use serde::Serialize;

use super::manifest::GenerationMeta;
use super::ops::{
    self, AdoptOutcome, Adopted, DeriveOutcome, ExportOutcome, Exported, GenerateOutcome,
    HookStatus, ImportOutcome, Notice, OnChangeRun, Replaced, RotateOutcome, Stage,
};
use super::target::Target;
use super::State;
use crate::encoding::ByteFormat;
use crate::timefmt;
use crate::token::Profile;

/// `generation 3 (active), fingerprint …, 32 bytes, hmac-sha256/32`.
pub fn describe(g: &GenerationMeta) -> String {
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

/// A notice in `--json` output (and, with `warning`, how to print it).
#[derive(Debug, Serialize)]
pub struct NoticeRecord {
    /// `no-overlap`, `taker-addr-dropped`, `single-key`, `restarted` or `rollback`.
    pub kind: &'static str,
    pub message: String,
    /// A warning asks for attention; the others are notes.
    #[serde(skip)]
    pub warning: bool,
}

impl NoticeRecord {
    pub fn list(notices: &[Notice]) -> Vec<NoticeRecord> {
        notices
            .iter()
            .map(|n| NoticeRecord {
                kind: match n {
                    Notice::NoOverlap { .. } => "no-overlap",
                    Notice::TakerAddrDropped { .. } => "taker-addr-dropped",
                    Notice::SingleKey {
                        stage: Stage::Restarted,
                        ..
                    } => "restarted",
                    Notice::SingleKey { .. } => "single-key",
                    Notice::Rollback { .. } => "rollback",
                },
                message: n.to_string(),
                warning: n.is_warning(),
            })
            .collect()
    }
}

/// What a command that changes a keyring did (`--json`: one record).
#[derive(Debug, Serialize)]
pub struct ChangeReport {
    /// What the command did: generated, rotated, not-rotated, imported, already-present, derived, up-to-date.
    pub action: &'static str,
    /// Whether the keyring file was (or, with --dry-run, would be) written.
    pub changed: bool,
    pub dry_run: bool,
    pub keyring: String,
    /// Plain-words explanation.
    pub message: String,
    /// The generation the action concerns (new active, imported, …); null in a dry run that creates one.
    pub generation: Option<GenerationMeta>,
    /// With rotate: the generation that became previous.
    pub previous: Option<GenerationMeta>,
    /// With --dry-run: the generation a real run would make.
    pub planned: Option<PlannedRecord>,
    /// The --for target, or null.
    pub target: Option<&'static str>,
    /// Warnings and notes (also printed on stderr).
    pub notices: Vec<NoticeRecord>,
}

/// The generation a dry run of rotate would make.
#[derive(Debug, Serialize)]
pub struct PlannedRecord {
    pub id: u32,
    pub secret_bytes: usize,
    pub profile: Profile,
    pub token_length: usize,
    pub taker_addr: bool,
    /// When the generation that would become previous expires.
    pub previous_expires: String,
}

/// `  previous: generation N is still accepted until …` (or expired at once).
fn previous_line(p: &GenerationMeta) -> String {
    let expires = p.expires.as_deref().unwrap_or("?");
    if p.state == State::Expired {
        format!(
            "  previous: generation {} expired at once ({expires})",
            p.id
        )
    } else {
        format!(
            "  previous: generation {} is still accepted until {expires}",
            p.id
        )
    }
}

impl ChangeReport {
    /// The answer of `-q`: `ID FINGERPRINT` of the generation concerned,
    /// `ID` alone for a dry run, nothing when rotate did not rotate.
    pub fn answer(&self) -> Option<String> {
        match (&self.generation, &self.planned) {
            (_, Some(p)) => Some(p.id.to_string()),
            (_, None) if self.action == "not-rotated" => None,
            (Some(g), None) => Some(format!("{} {}", g.id, g.fingerprint)),
            (None, None) => None,
        }
    }

    /// `qcd secret generate`.
    pub fn generated(path: &Path, done: GenerateOutcome, target: Option<Target>) -> Self {
        let g = done.generation;
        let mut message = format!("created {}: {}", path.display(), describe(&g));
        if let Some(t) = target {
            message.push_str(&format!(
                "\n  for {}: export it with `qcd secret export -k {} --for {t}` (writes {})",
                t.spec().daemon,
                path.display(),
                t.spec().path
            ));
        }
        ChangeReport {
            action: "generated",
            changed: true,
            dry_run: false,
            keyring: path.display().to_string(),
            message,
            generation: Some(g),
            previous: None,
            planned: None,
            target: target.map(Target::name),
            notices: Vec::new(),
        }
    }

    /// `qcd secret rotate` (`dry_run` as asked; `now` dates a dry run's plan).
    pub fn rotated(
        path: &Path,
        done: RotateOutcome,
        target: Option<Target>,
        dry_run: bool,
        now: SystemTime,
    ) -> Self {
        let mut r = ChangeReport {
            action: "rotated",
            changed: true,
            dry_run,
            keyring: path.display().to_string(),
            message: String::new(),
            generation: None,
            previous: None,
            planned: None,
            target: target.map(Target::name),
            notices: Vec::new(),
        };
        match done {
            RotateOutcome::NotDue {
                active,
                age,
                min_age,
            } => {
                r.action = "not-rotated";
                r.changed = false;
                r.message = format!(
                    "not rotated: active generation {} is {} old, younger than {}",
                    active.id,
                    timefmt::format_duration_coarse(age),
                    timefmt::format_duration(min_age)
                );
                r.generation = Some(active);
            }
            RotateOutcome::WouldRotate {
                planned,
                previous,
                previous_expires,
                notices,
            } => {
                let then = if previous_expires <= now {
                    format!("let generation {} expire at once (no overlap)", previous.id)
                } else {
                    format!(
                        "keep generation {} as previous until {}",
                        previous.id,
                        timefmt::format_rfc3339(previous_expires)
                    )
                };
                r.dry_run = true;
                r.message = format!(
                    "dry run: would make generation {} active ({} bytes of fresh random data, {}/{}{}) and {then}",
                    planned.id,
                    planned.secret_bytes,
                    planned.spec.profile,
                    planned.spec.length,
                    if planned.spec.taker_addr { " +taker-addr" } else { "" },
                );
                r.planned = Some(PlannedRecord {
                    id: planned.id,
                    secret_bytes: planned.secret_bytes,
                    profile: planned.spec.profile,
                    token_length: planned.spec.length,
                    taker_addr: planned.spec.taker_addr,
                    previous_expires: timefmt::format_rfc3339(previous_expires),
                });
                r.previous = Some(previous);
                r.notices = NoticeRecord::list(&notices);
            }
            RotateOutcome::Rotated {
                generation,
                previous,
                notices,
            } => {
                r.dry_run = false;
                r.message = format!(
                    "rotated: {}\n{}",
                    describe(&generation),
                    previous_line(&previous)
                );
                r.generation = Some(generation);
                r.previous = Some(previous);
                r.notices = NoticeRecord::list(&notices);
            }
        }
        r
    }

    /// An adoption (import or derive): `action` when the keyring changed,
    /// `unchanged` when it already held the secret; `message` words the
    /// adoption for the command.
    fn adopted(
        path: &Path,
        done: &AdoptOutcome,
        action: &'static str,
        unchanged: &'static str,
        target: Option<Target>,
        message: impl FnOnce(Adopted, &GenerationMeta) -> String,
    ) -> Self {
        let changed = done.changed();
        let g = done.generation.clone();
        let mut message = message(done.adopted, &g);
        if let Some(p) = &done.previous {
            message.push('\n');
            message.push_str(&previous_line(p));
        }
        ChangeReport {
            action: if changed { action } else { unchanged },
            changed,
            dry_run: false,
            keyring: path.display().to_string(),
            message,
            generation: Some(g),
            previous: done.previous.clone(),
            planned: None,
            target: target.map(Target::name),
            notices: NoticeRecord::list(&done.notices),
        }
    }

    /// `qcd secret import`.
    pub fn imported(path: &Path, done: &ImportOutcome, target: Option<Target>) -> Self {
        Self::adopted(
            path,
            &done.outcome,
            "imported",
            "already-present",
            target,
            |a, g| match a {
                Adopted::Created => format!(
                    "created {} with the imported secret: {}",
                    path.display(),
                    describe(g)
                ),
                Adopted::Present => format!("already present: {}; nothing changed", describe(g)),
                Adopted::Added => format!("imported: {}", describe(g)),
            },
        )
    }

    /// `qcd secret derive` for `member`.
    pub fn derived(path: &Path, done: &DeriveOutcome, member: &str) -> Self {
        let rg = done.root_generation;
        Self::adopted(
            path,
            &done.outcome,
            "derived",
            "up-to-date",
            None,
            |a, g| {
                match a {
                Adopted::Created => format!(
                    "created {} for member {member} from root generation {rg}: {}",
                    path.display(),
                    describe(g)
                ),
                Adopted::Present => format!(
                    "up to date: member {member} already has root generation {rg}'s derived secret as {}",
                    describe(g)
                ),
                Adopted::Added => format!(
                    "derived member {member}'s secret from root generation {rg}: {}",
                    describe(g)
                ),
            }
            },
        )
    }
}

/// The warning for an imported secret that looks weak, let in by `--allow-weak`.
pub fn weak_import_warning(done: &ImportOutcome) -> Option<String> {
    done.weak.map(|w| format!(
        "the imported secret looks weak ({}), imported because of --allow-weak; replace it with a random one with `qcd secret rotate`",
        w.describe()
    ))
}

/// What `qcd secret prune` did (`--json`).
#[derive(Debug, Serialize)]
pub struct PruneReport {
    pub dry_run: bool,
    pub keyring: String,
    /// Ids of the generations whose secrets were (or would be) wiped.
    pub destroyed: Vec<u32>,
}

impl PruneReport {
    pub fn message(&self) -> String {
        let ids = &self.destroyed;
        if ids.is_empty() {
            return "nothing to prune: no generation is expired".to_string();
        }
        let list: Vec<String> = ids.iter().map(u32::to_string).collect();
        format!(
            "{} the secrets of expired generation{} {}",
            if self.dry_run {
                "would destroy"
            } else {
                "destroyed"
            },
            if ids.len() == 1 { "" } else { "s" },
            list.join(", ")
        )
    }
}

/// The `--on-change` run in `--json`.
#[derive(Debug, Serialize)]
pub struct OnChangeRecord<'a> {
    pub command: &'a str,
    /// It ran because its last run failed, not because the file changed.
    pub retry: bool,
    pub success: bool,
    /// The exit status, or null when it did not exit (killed, not started).
    pub exit_status: Option<i32>,
    /// `exit status N`, `killed by signal N` or `could not be started: …`.
    pub status: String,
}

impl<'a> OnChangeRecord<'a> {
    fn new(r: &'a OnChangeRun) -> Self {
        OnChangeRecord {
            command: &r.command,
            retry: r.retry,
            success: r.status.success(),
            exit_status: match r.status {
                HookStatus::Exited(c) => Some(c),
                _ => None,
            },
            status: r.status.to_string(),
        }
    }
}

/// What `qcd secret export` did (`--json`).
#[derive(Debug, Serialize)]
pub struct ExportReport<'a> {
    pub generation: u32,
    pub fingerprint: &'a str,
    pub format: &'static str,
    /// The --for target, or null.
    pub target: Option<&'static str>,
    /// With --out (or --for): the file written.
    pub out: Option<String>,
    /// With --out: false when the file already held exactly these bytes.
    pub changed: Option<bool>,
    /// When changed: what the file held before: "none" (no file), "generation" (another generation of this keyring, `replaced_generation`), "foreign" (replaced with --force).
    pub replaced: Option<&'static str>,
    pub replaced_generation: Option<u32>,
    /// With --out: the loose mode (e.g. "0644") of a file that already held
    /// these bytes and was rewritten at 0600; null otherwise.
    pub fixed_mode: Option<String>,
    /// The --on-change command, when it ran.
    pub on_change: Option<OnChangeRecord<'a>>,
    pub notices: Vec<NoticeRecord>,
    /// Without --out: the encoded secret (hex or base64 only).
    pub secret: Option<&'a str>,
}

/// The export format `format` and `target` give (`--format`, else the
/// target's, else hex).
pub fn export_format(format: Option<ByteFormat>, target: Option<Target>) -> ByteFormat {
    format
        .or(target.map(|t| t.spec().format))
        .unwrap_or(ByteFormat::Hex)
}

impl<'a> ExportReport<'a> {
    /// The record of `done`; `format` and `target` as the request had them.
    pub fn new(done: &'a ExportOutcome, format: ByteFormat, target: Option<Target>) -> Self {
        let g = &done.generation;
        let mut r = ExportReport {
            generation: g.id,
            fingerprint: &g.fingerprint,
            format: ops::format_name(format),
            target: None,
            out: None,
            changed: None,
            replaced: None,
            replaced_generation: None,
            fixed_mode: None,
            on_change: None,
            notices: Vec::new(),
            secret: None,
        };
        match &done.exported {
            Exported::Bytes(bytes) => {
                let text = std::str::from_utf8(bytes).unwrap_or_default();
                r.secret = Some(text.trim_end());
            }
            Exported::File {
                path,
                changed,
                replaced,
                fixed_mode,
            } => {
                r.target = target.map(Target::name);
                r.out = Some(path.display().to_string());
                r.changed = Some(*changed);
                r.replaced = replaced.map(|r| match r {
                    Replaced::Nothing => "none",
                    Replaced::Generation(_) => "generation",
                    Replaced::Foreign => "foreign",
                });
                r.replaced_generation = match replaced {
                    Some(Replaced::Generation(id)) => Some(*id),
                    _ => None,
                };
                r.fixed_mode = fixed_mode.map(|m| format!("{m:04o}"));
                r.on_change = done.on_change.as_ref().map(OnChangeRecord::new);
                r.notices = NoticeRecord::list(&done.notices);
            }
        }
        r
    }

    /// The text output of an export to a file: what happened to it, then
    /// the `--on-change` run when it succeeded (a failure is [`HookFailed`]).
    pub fn lines(&self, done: &ExportOutcome) -> Vec<String> {
        let Exported::File {
            path,
            changed,
            replaced,
            fixed_mode,
        } = &done.exported
        else {
            return Vec::new();
        };
        let g = &done.generation;
        let mut lines = vec![if let Some(mode) = fixed_mode {
            format!(
                "{} already holds generation {} ({}), but its mode was {mode:04o}: rewrote it with mode 0600",
                path.display(),
                g.id,
                g.fingerprint
            )
        } else if !changed {
            format!(
                "{} already holds generation {} ({}): unchanged",
                path.display(),
                g.id,
                g.fingerprint
            )
        } else {
            let was = match replaced {
                Some(Replaced::Generation(id)) => format!(", replacing generation {id}"),
                Some(Replaced::Foreign) => ", replacing a foreign secret (--force)".into(),
                _ => String::new(),
            };
            format!(
                "wrote generation {} ({}, {}) to {} (mode 0600){was}",
                g.id,
                g.fingerprint,
                self.format,
                path.display()
            )
        }];
        if let Some(r) = done.on_change.as_ref().filter(|r| r.status.success()) {
            lines.push(format!("ran `{}` ({}): {}", r.command, why(r), r.status));
        }
        lines
    }
}

fn why(r: &OnChangeRun) -> &'static str {
    if r.retry {
        "its last run had failed"
    } else {
        "the file changed"
    }
}

/// The warning for the export of an expired generation.
pub fn expired_export_warning(g: &GenerationMeta) -> Option<String> {
    (g.state == State::Expired).then(|| {
        format!(
            "generation {} expired at {}; tokens made with it are no longer accepted",
            g.id,
            g.expires.as_deref().unwrap_or_default()
        )
    })
}

/// A failed `--on-change` run: an error (exit 2) after the report. The file
/// was written; the command runs again at the next export.
#[derive(Debug, thiserror::Error)]
#[error("the --on-change command `{command}` failed ({status}); {path} holds the new secret, but whatever the command does (restart the daemon?) did not happen. qcd runs the command again at the next export; fix it and re-run the export")]
pub struct HookFailed {
    pub command: String,
    pub status: HookStatus,
    pub path: String,
}

impl HookFailed {
    /// The failure of `done`'s `--on-change` run, if it failed.
    pub fn of(done: &ExportOutcome) -> Option<HookFailed> {
        let (Exported::File { path, .. }, Some(r)) = (&done.exported, &done.on_change) else {
            return None;
        };
        (!r.status.success()).then(|| HookFailed {
            command: r.command.clone(),
            status: r.status.clone(),
            path: path.display().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Origin;

    fn meta(id: u32, state: State) -> GenerationMeta {
        GenerationMeta {
            id,
            state,
            created: "2026-11-22T09:00:00Z".into(),
            expires: (state != State::Active).then(|| "2026-11-24T09:00:00Z".into()),
            fingerprint: "0123456789abcdef".into(),
            secret_bytes: 32,
            profile: "hmac-sha256".into(),
            token_length: 32,
            taker_addr: false,
            origin: Origin::Imported,
            weak: None,
        }
    }

    #[test]
    fn import_reports_name_the_previous_generation() {
        let done = ImportOutcome {
            outcome: AdoptOutcome {
                adopted: Adopted::Added,
                generation: meta(2, State::Active),
                previous: Some(meta(1, State::Previous)),
                notices: vec![Notice::NoOverlap { replaced: 1 }],
            },
            weak: None,
        };
        let r = ChangeReport::imported(Path::new("k.json"), &done, None);
        assert_eq!(r.action, "imported");
        assert_eq!(
            r.message,
            "imported: generation 2 (active), fingerprint 0123456789abcdef, 32 bytes, hmac-sha256/32\n  previous: generation 1 is still accepted until 2026-11-24T09:00:00Z"
        );
        assert_eq!(r.answer().as_deref(), Some("2 0123456789abcdef"));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["notices"][0]["kind"], "no-overlap");
        assert!(v["notices"][0].get("warning").is_none());
        // Keys in the documented order.
        let text = serde_json::to_string(&r).unwrap();
        let at = |k: &str| text.find(&format!("\"{k}\":")).unwrap();
        let order = [
            "action",
            "changed",
            "dry_run",
            "keyring",
            "message",
            "generation",
            "previous",
            "planned",
            "target",
            "notices",
        ];
        assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
    }

    #[test]
    fn prune_messages() {
        let mut r = PruneReport {
            dry_run: true,
            keyring: "k".into(),
            destroyed: vec![],
        };
        assert_eq!(r.message(), "nothing to prune: no generation is expired");
        r.destroyed = vec![1, 2];
        assert_eq!(
            r.message(),
            "would destroy the secrets of expired generations 1, 2"
        );
        r.dry_run = false;
        r.destroyed = vec![4];
        assert_eq!(r.message(), "destroyed the secrets of expired generation 4");
    }

    #[test]
    fn export_format_defaults() {
        assert_eq!(export_format(None, None), ByteFormat::Hex);
        assert_eq!(
            export_format(None, Some(Target::Rockhopper)),
            ByteFormat::Raw
        );
        assert_eq!(
            export_format(Some(ByteFormat::Base64), Some(Target::Rockhopper)),
            ByteFormat::Base64
        );
    }
}
