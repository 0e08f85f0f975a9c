//! The audit inventory: which clusters exist, how each shares (or must not
//! share) its QCD secret, and where each member's keyring or manifest is.
//! Parses the TOML (or JSON) file, checks it, resolves member paths against
//! the inventory's directory and loads every member into a [`Manifest`], the
//! one view the rules read. Not for judging anything: that is [`super::rules`].
//!
//! ```toml
//! [[cluster]]
//! name = "dc1-edge"
//! mode = "hot-standby"            # hot-standby | load-sharing | anycast | standalone
//! [cluster.policy]                # optional, defaults shown
//! max_age = "365d"
//! min_secret_bytes = 32
//! overlap = "24h"
//! nat = false                     # peers behind NAT or using MOBIKE
//! [[cluster.member]]
//! name = "gw1"
//! keyring = "keys/gw1.json"       # read locally
//! [[cluster.member]]
//! name = "gw2"
//! manifest = "manifests/gw2.json" # `qcd secret list --json` collected from gw2
//! ```

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::secret::manifest::{MANIFEST_FORMAT, MANIFEST_VERSION};
use crate::secret::store::{self, LoadOptions};
use crate::secret::Manifest;
use crate::secret::State;
use crate::timefmt;

/// Default `max_age`: rotate at least yearly.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(365 * 86400);
/// Default `min_secret_bytes`: 256 bits.
pub const DEFAULT_MIN_SECRET_BYTES: usize = 32;
/// Default `overlap`: how long a replaced generation must stay in use.
pub const DEFAULT_OVERLAP: Duration = Duration::from_secs(86400);

/// How a cluster's members relate, which decides whether they must share the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// A standby takes over the active member's SAs: members must share the secret.
    HotStandby,
    /// Members hold different SAs behind one address: members must not share it.
    LoadSharing,
    /// Members announce one address from several places: members must not share it.
    Anycast,
    /// Independent gateways listed together: members must not share it.
    Standalone,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::HotStandby => "hot-standby",
            Mode::LoadSharing => "load-sharing",
            Mode::Anycast => "anycast",
            Mode::Standalone => "standalone",
        }
    }

    /// Whether members must hold the same secret.
    pub fn must_share(self) -> bool {
        self == Mode::HotStandby
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A cluster's audit policy (the `[cluster.policy]` table), defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The active generation should be younger than this (QCD007, QCD011).
    pub max_age: Duration,
    /// Secrets shorter than this are flagged (QCD004, medium).
    pub min_secret_bytes: usize,
    /// How long a replaced generation stays in use; used in the fix commands.
    pub overlap: Duration,
    /// Peers are behind NAT or use MOBIKE (QCD008).
    pub nat: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_age: DEFAULT_MAX_AGE,
            min_secret_bytes: DEFAULT_MIN_SECRET_BYTES,
            overlap: DEFAULT_OVERLAP,
            nat: false,
        }
    }
}

/// Where a member's state comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A keyring file read locally.
    Keyring(PathBuf),
    /// `qcd secret list --json` output collected from the member.
    Manifest(PathBuf),
}

impl Source {
    pub fn path(&self) -> &Path {
        match self {
            Source::Keyring(p) | Source::Manifest(p) => p,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSpec {
    pub name: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    pub name: String,
    pub mode: Mode,
    pub policy: Policy,
    pub members: Vec<MemberSpec>,
}

/// A parsed and checked inventory; member paths are resolved, nothing is loaded yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    pub path: PathBuf,
    pub clusters: Vec<ClusterSpec>,
}

/// A loaded member: its name, where it came from, and its manifest.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub source: Source,
    /// States are as of the audit's "now" (a previous generation past its
    /// `expires` is `expired`), whatever `listed_at` says.
    pub manifest: Manifest,
}

/// A loaded cluster, ready for the rules.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: String,
    pub mode: Mode,
    pub policy: Policy,
    pub members: Vec<Member>,
}

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("cannot read inventory {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: cluster {cluster:?}, member {member:?}: {message}")]
    Member {
        path: PathBuf,
        cluster: String,
        member: String,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryFile {
    #[serde(default)]
    cluster: Vec<ClusterFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterFile {
    name: String,
    mode: Mode,
    #[serde(default)]
    policy: Option<PolicyFile>,
    #[serde(default)]
    member: Vec<MemberFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    max_age: Option<String>,
    min_secret_bytes: Option<usize>,
    overlap: Option<String>,
    nat: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberFile {
    name: String,
    keyring: Option<String>,
    manifest: Option<String>,
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// serde_json appends " at line L column C"; we print those separately.
fn strip_json_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

impl Inventory {
    /// Reads and checks an inventory file: JSON when its name ends in `.json`, TOML otherwise.
    pub fn read(path: &Path) -> Result<Inventory, InventoryError> {
        let text = crate::fsio::read_string(path, &crate::fsio::INVENTORY).map_err(|e| {
            InventoryError::Read {
                path: path.to_path_buf(),
                source: e.into_io(),
            }
        })?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        Inventory::parse(&text, path, json)
    }

    /// Parses and checks inventory text; `path` names it in errors and anchors relative member paths.
    pub fn parse(text: &str, path: &Path, json: bool) -> Result<Inventory, InventoryError> {
        let syntax = |line, column, message| InventoryError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
        let file: InventoryFile = if json {
            serde_json::from_str(text)
                .map_err(|e| syntax(e.line(), e.column(), strip_json_position(&e.to_string())))?
        } else {
            toml::from_str(text).map_err(|e| {
                let (line, column) = line_column(text, e.span().map_or(0, |s| s.start));
                syntax(line, column, e.message().trim_end().to_string())
            })?
        };
        let invalid = |message: String| InventoryError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        if file.cluster.is_empty() {
            return Err(invalid(
                "no clusters: add at least one [[cluster]] with a name, a mode and members"
                    .to_string(),
            ));
        }
        let base = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut names = HashSet::new();
        let mut clusters = Vec::with_capacity(file.cluster.len());
        for c in file.cluster {
            if c.name.trim().is_empty() {
                return Err(invalid("a cluster has an empty name".to_string()));
            }
            if !names.insert(c.name.clone()) {
                return Err(invalid(format!(
                    "cluster {:?} is listed twice: cluster names must be unique",
                    c.name
                )));
            }
            let policy = c
                .policy
                .map(|p| p.resolve())
                .transpose()
                .map_err(|e| invalid(format!("cluster {:?}: policy: {e}", c.name)))?
                .unwrap_or_default();
            if c.member.is_empty() {
                return Err(invalid(format!(
                    "cluster {:?} has no members: add [[cluster.member]] entries with a name and a keyring or manifest",
                    c.name
                )));
            }
            let mut member_names = HashSet::new();
            let mut members = Vec::with_capacity(c.member.len());
            for m in c.member {
                if m.name.trim().is_empty() {
                    return Err(invalid(format!(
                        "cluster {:?}: a member has an empty name",
                        c.name
                    )));
                }
                if !member_names.insert(m.name.clone()) {
                    return Err(invalid(format!(
                        "cluster {:?}: member {:?} is listed twice: member names must be unique within a cluster",
                        c.name, m.name
                    )));
                }
                let source = match (m.keyring, m.manifest) {
                    (Some(k), None) => Source::Keyring(base.join(k)),
                    (None, Some(f)) => Source::Manifest(base.join(f)),
                    (Some(_), Some(_)) => {
                        return Err(invalid(format!(
                            "cluster {:?}, member {:?}: both \"keyring\" and \"manifest\" are set: give exactly one",
                            c.name, m.name
                        )))
                    }
                    (None, None) => {
                        return Err(invalid(format!(
                            "cluster {:?}, member {:?}: neither \"keyring\" nor \"manifest\" is set: give exactly one (keyring = \"path\" to read it here, manifest = \"path\" for `qcd secret list --json` output)",
                            c.name, m.name
                        )))
                    }
                };
                members.push(MemberSpec {
                    name: m.name,
                    source,
                });
            }
            clusters.push(ClusterSpec {
                name: c.name,
                mode: c.mode,
                policy,
                members,
            });
        }
        Ok(Inventory {
            path: path.to_path_buf(),
            clusters,
        })
    }

    /// Loads every member (keyrings read here, manifests parsed), states as of `now`.
    /// Insecure keyring permissions do not stop the audit: they are reported (QCD005).
    pub fn load(&self, now: SystemTime) -> Result<Vec<Cluster>, InventoryError> {
        let mut out = Vec::with_capacity(self.clusters.len());
        for c in &self.clusters {
            let mut members = Vec::with_capacity(c.members.len());
            for m in &c.members {
                let manifest =
                    load_member(&m.source, now).map_err(|message| InventoryError::Member {
                        path: self.path.clone(),
                        cluster: c.name.clone(),
                        member: m.name.clone(),
                        message,
                    })?;
                members.push(Member {
                    name: m.name.clone(),
                    source: m.source.clone(),
                    manifest,
                });
            }
            out.push(Cluster {
                name: c.name.clone(),
                mode: c.mode,
                policy: c.policy,
                members,
            });
        }
        Ok(out)
    }
}

impl PolicyFile {
    fn resolve(self) -> Result<Policy, String> {
        let d = Policy::default();
        let dur = |field: &str, v: Option<String>, default| match v {
            None => Ok(default),
            Some(s) => timefmt::parse_duration(&s).map_err(|e| format!("{field}: {e}")),
        };
        Ok(Policy {
            max_age: dur("max_age", self.max_age, d.max_age)?,
            min_secret_bytes: self.min_secret_bytes.unwrap_or(d.min_secret_bytes),
            overlap: dur("overlap", self.overlap, d.overlap)?,
            nat: self.nat.unwrap_or(d.nat),
        })
    }
}

fn load_member(source: &Source, now: SystemTime) -> Result<Manifest, String> {
    match source {
        Source::Keyring(path) => {
            let opts = LoadOptions {
                allow_insecure_permissions: true,
            };
            // The audit only reads metadata: any owner will do.
            let (keyring, info) = store::load_with(path, &opts, crate::fsio::Owners::Anyone)
                .map_err(|e| e.to_string())?;
            let mut manifest = Manifest::from_keyring(&keyring, path, info, now);
            manifest.exports = crate::secret::ops::export_states(path, crate::fsio::Owners::Anyone)
                .map_err(|e| e.to_string())?;
            Ok(manifest)
        }
        Source::Manifest(path) => {
            let bytes = crate::fsio::read(path, &crate::fsio::MANIFEST).map(|(b, _)| b).map_err(|e| {
                let e = e.into_io();
                if e.kind() == std::io::ErrorKind::NotFound {
                    format!(
                        "no manifest at {}: collect it on the member with `qcd secret list --json -k KEYRING > {}`",
                        path.display(),
                        path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                    )
                } else {
                    format!("cannot read manifest {}: {e}", path.display())
                }
            })?;
            let mut manifest =
                parse_manifest(&bytes).map_err(|e| format!("manifest {}{e}", path.display()))?;
            states_as_of(&mut manifest, now);
            Ok(manifest)
        }
    }
}

/// Parses and checks `qcd secret list --json` output. Errors start with
/// `:line:column: ` or `: ` so the caller can put the file name in front.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, String> {
    let json_err = |e: serde_json::Error| {
        format!(
            ":{}:{}: {}",
            e.line(),
            e.column(),
            strip_json_position(&e.to_string())
        )
    };
    #[derive(Deserialize)]
    struct Head {
        format: Option<String>,
        version: Option<u32>,
    }
    let head: Head = serde_json::from_slice(bytes).map_err(json_err)?;
    if head.format.as_deref() != Some(MANIFEST_FORMAT) {
        return Err(format!(
            ": \"format\" is {:?}, not {MANIFEST_FORMAT:?}: this is not `qcd secret list --json` output",
            head.format.unwrap_or_default()
        ));
    }
    match head.version {
        Some(MANIFEST_VERSION) => {}
        Some(v) => {
            return Err(format!(
                ": manifest version {v} is not supported (this qcd reads version {MANIFEST_VERSION}): upgrade qcd on the auditing machine"
            ))
        }
        None => return Err(": missing field `version`".to_string()),
    }
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(json_err)?;
    check_manifest(&manifest).map_err(|e| format!(": {e}"))?;
    Ok(manifest)
}

fn check_manifest(m: &Manifest) -> Result<(), String> {
    if m.file.mode_bits().is_none() {
        return Err(format!(
            "file mode {:?} is not octal (e.g. \"0600\")",
            m.file.mode
        ));
    }
    if m.generations.is_empty() {
        return Err("no generations".to_string());
    }
    let mut ids = HashSet::new();
    let mut active = Vec::new();
    for g in &m.generations {
        if !ids.insert(g.id) {
            return Err(format!("generation id {} appears more than once", g.id));
        }
        timefmt::parse_rfc3339(&g.created)
            .map_err(|e| format!("generation {}: \"created\": {e}", g.id))?;
        if let Some(exp) = &g.expires {
            timefmt::parse_rfc3339(exp)
                .map_err(|e| format!("generation {}: \"expires\": {e}", g.id))?;
        }
        if g.state == State::Active {
            active.push(g.id);
        }
    }
    match active.as_slice() {
        [_] => Ok(()),
        [] => Err("no generation is active: exactly one must be".to_string()),
        [a, b, ..] => Err(format!(
            "generations {a} and {b} are both active: exactly one may be"
        )),
    }
}

/// Moves previous generations whose `expires` has passed by `now` to `expired`.
fn states_as_of(m: &mut Manifest, now: SystemTime) {
    for g in &mut m.generations {
        let past = g
            .expires
            .as_deref()
            .and_then(|e| timefmt::parse_rfc3339(e).ok())
            .is_some_and(|e| now >= e);
        if g.state == State::Previous && past {
            g.state = State::Expired;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Inventory, InventoryError> {
        Inventory::parse(text, Path::new("inv/clusters.toml"), false)
    }

    const GOOD: &str = r#"
[[cluster]]
name = "dc1-edge"
mode = "hot-standby"
[cluster.policy]
max_age = "30d"
nat = true
[[cluster.member]]
name = "gw1"
keyring = "keys/gw1.json"
[[cluster.member]]
name = "gw2"
manifest = "/abs/gw2.json"

[[cluster]]
name = "lb"
mode = "load-sharing"
[[cluster.member]]
name = "a"
keyring = "a.json"
"#;

    #[test]
    fn parses_resolves_and_fills_defaults() {
        let inv = parse(GOOD).unwrap();
        assert_eq!(inv.clusters.len(), 2);
        let c = &inv.clusters[0];
        assert_eq!(c.mode, Mode::HotStandby);
        assert_eq!(c.policy.max_age, Duration::from_secs(30 * 86400));
        assert_eq!(c.policy.min_secret_bytes, 32);
        assert_eq!(c.policy.overlap, Duration::from_secs(86400));
        assert!(c.policy.nat);
        assert_eq!(
            c.members[0].source,
            Source::Keyring(PathBuf::from("inv/keys/gw1.json"))
        );
        assert_eq!(
            c.members[1].source,
            Source::Manifest(PathBuf::from("/abs/gw2.json"))
        );
        assert_eq!(inv.clusters[1].policy, Policy::default());
    }

    #[test]
    fn json_has_the_same_structure() {
        let json = r#"{"cluster": [{"name": "x", "mode": "anycast",
            "policy": {"min_secret_bytes": 64},
            "member": [{"name": "a", "manifest": "a.json"}]}]}"#;
        let inv = Inventory::parse(json, Path::new("i.json"), true).unwrap();
        assert_eq!(inv.clusters[0].mode, Mode::Anycast);
        assert_eq!(inv.clusters[0].policy.min_secret_bytes, 64);
        let e = Inventory::parse("{\"cluster\": [\n{\"nme\": 1}]}", Path::new("i.json"), true)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("i.json:2:") && e.contains("unknown field `nme`"),
            "{e}"
        );
    }

    #[test]
    fn toml_errors_give_line_and_column() {
        let text = GOOD.replace("nat = true", "nat = true\nmax_agee = \"1d\"");
        let e = parse(&text).unwrap_err().to_string();
        assert!(
            e.starts_with("inv/clusters.toml:8:1: unknown field `max_agee`"),
            "{e}"
        );
        let e = parse(&GOOD.replace("\"hot-standby\"", "\"hot_standby\""))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("inv/clusters.toml:4:8: unknown variant `hot_standby`"),
            "{e}"
        );
        assert!(
            e.contains("`hot-standby`, `load-sharing`, `anycast`, `standalone`"),
            "{e}"
        );
        let e = parse("[[cluster]\n").unwrap_err().to_string();
        assert!(e.starts_with("inv/clusters.toml:1:"), "{e}");
    }

    #[test]
    fn semantic_errors_name_cluster_and_member() {
        let cases = [
            (
                GOOD.replace(
                    "keyring = \"a.json\"",
                    "keyring = \"a.json\"\nmanifest = \"b\"",
                ),
                "cluster \"lb\", member \"a\": both \"keyring\" and \"manifest\"",
            ),
            (
                GOOD.replace("keyring = \"a.json\"", ""),
                "cluster \"lb\", member \"a\": neither",
            ),
            (
                GOOD.replace("name = \"gw2\"", "name = \"gw1\""),
                "member \"gw1\" is listed twice",
            ),
            (
                GOOD.replace("name = \"lb\"", "name = \"dc1-edge\""),
                "cluster \"dc1-edge\" is listed twice",
            ),
            (
                GOOD.replace("max_age = \"30d\"", "max_age = \"a year\""),
                "cluster \"dc1-edge\": policy: max_age: \"a year\" is not a duration",
            ),
            (
                "[[cluster]]\nname = \"e\"\nmode = \"anycast\"\n".to_string(),
                "cluster \"e\" has no members",
            ),
            ("".to_string(), "no clusters"),
        ];
        for (text, want) in cases {
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{e}\n  wanted: {want}");
        }
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_column("", 5), (1, 1));
    }

    #[test]
    fn manifests_are_checked() {
        let ok = r#"{"format":"qcd-manifest","version":1,"keyring":"/k","host":null,
            "listed_at":"2026-01-01T00:00:00Z","file":{"mode":"0600","uid":0,"gid":0,"owner":"root"},
            "generations":[{"id":1,"state":"active","created":"2026-01-01T00:00:00Z","expires":null,
            "fingerprint":"00112233445566ff","secret_bytes":32,"profile":"hmac-sha256","token_length":32,
            "taker_addr":false,"origin":{"kind":"generated"},"weak":null}]}"#;
        assert!(parse_manifest(ok.as_bytes()).is_ok());
        let e = parse_manifest(ok.replace("qcd-manifest", "qcd-keyring").as_bytes()).unwrap_err();
        assert!(e.contains("not `qcd secret list --json` output"), "{e}");
        let e =
            parse_manifest(ok.replace("\"version\":1", "\"version\":9").as_bytes()).unwrap_err();
        assert!(e.contains("version 9 is not supported"), "{e}");
        let e = parse_manifest(ok.replace("\"active\"", "\"previous\"").as_bytes()).unwrap_err();
        assert!(e.contains("no generation is active"), "{e}");
        let e = parse_manifest(ok.replace("\"0600\"", "\"rw\"").as_bytes()).unwrap_err();
        assert!(e.contains("not octal"), "{e}");
        let e = parse_manifest(b"{\"format\":\n3}").unwrap_err();
        assert!(e.starts_with(":2:"), "{e}");
    }
}
