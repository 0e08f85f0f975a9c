//! The audit rules, one function per rule id, each a pure function of loaded
//! clusters (and "now"), so each is unit-tested with hand-built manifests.
//! Rule ids are stable: scripts and suppressions may rely on them.
//!
//! | id     | severity      | condition |
//! |--------|---------------|-----------|
//! | QCD001 | high          | load-sharing, anycast or standalone members hold the same secret (any generation not destroyed) |
//! | QCD002 | high          | a hot-standby member does not hold another's active secret in use, or holds it with a different token profile |
//! | QCD003 | medium        | hot-standby rotation drift: different active generations (each still covered by the other's previous), or a previous generation of one member not in use on another |
//! | QCD004 | high / medium | secret under 16 bytes (high), under the policy minimum (medium), one repeated byte or a short repeating pattern (high) |
//! | QCD005 | high          | keyring readable or writable by group or others |
//! | QCD006 | medium        | the same secret in two clusters |
//! | QCD007 | low           | active generation older than the policy's max age |
//! | QCD008 | medium        | a generation in use binds the taker address while the policy says peers are behind NAT or use MOBIKE |
//! | QCD009 | medium        | token length outside 16..=128 (or beyond the profile's digest), or a profile unknown to this qcd |
//! | QCD010 | low           | expired generations whose secret is still kept (not pruned) |
//! | QCD011 | info          | the active generation is older than the max age and is the only generation whose secret exists: never rotated within the max age, nothing to roll back to |
//! | QCD012 | high / medium | a single-key daemon (rockhopper, racoon2) the keyring was exported to does not run the active secret: its file differs from what the daemon started with, the last restart failed, or the keyring rotated since (high); no restart was ever recorded after the export (medium). Needs the manifest's `exports` |
//!
//! Scale: each rule indexes generations by fingerprint once (maps, no scan
//! per member pair), and findings that would repeat per member pair are
//! grouped: QCD002 and QCD003 report per secret, not per member, and when
//! more than [`GROUP_LIMIT`] secrets are out of place in a hot-standby
//! cluster they become one finding for the cluster; per-member findings about
//! one shared secret in a hot-standby cluster are merged. So a cluster of N
//! members gives findings and fixes of O(N) text, not O(N²).
//!
//! Families, one file each: [`sharing`] (QCD001, QCD006: a secret held
//! where it must not be shared), [`standby`] (QCD002, QCD003: hot-standby
//! members that cannot take over), [`protection`] (QCD004, QCD005: weak
//! secrets, open keyrings), [`tokens`] (QCD008, QCD009: token constructions),
//! [`rotation`] (QCD007, QCD010, QCD011: age, pruning, never rotated),
//! [`exports`] (QCD012: single-key daemons); [`fix`] writes the fixes' steps.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, SystemTime};

mod exports;
mod fix;
mod protection;
mod rotation;
mod sharing;
mod standby;
mod tokens;

pub use exports::qcd012;
pub use protection::{qcd004, qcd005};
pub use rotation::{qcd007, qcd010, qcd011};
pub use sharing::{qcd001, qcd006};
pub use standby::{qcd002, qcd003};
pub use tokens::{qcd008, qcd009};

use super::finding::{Finding, Fix, GenerationRef, Severity};
use super::inventory::{Cluster, Member};
use crate::secret::manifest::GenerationMeta;
use crate::secret::target::Target;
use crate::secret::State;
use crate::timefmt;
use crate::token::profile::{MAX_TOKEN_LEN, MIN_TOKEN_LEN};
use crate::token::Profile;

/// Every rule id with the highest severity it can report and a one-line meaning
/// (`qcd audit --help` and the man page list them from here).
pub const RULES: [(&str, Severity, &str); 12] = [
    (
        "QCD001",
        Severity::High,
        "members that must not share a secret share one",
    ),
    (
        "QCD002",
        Severity::High,
        "a hot-standby member cannot produce another's tokens",
    ),
    (
        "QCD003",
        Severity::Medium,
        "hot-standby members rotate out of step",
    ),
    ("QCD004", Severity::High, "secret too short or visibly weak"),
    (
        "QCD005",
        Severity::High,
        "keyring readable or writable by group or others",
    ),
    (
        "QCD006",
        Severity::Medium,
        "the same secret in two clusters",
    ),
    (
        "QCD007",
        Severity::Low,
        "active generation older than the max age",
    ),
    (
        "QCD008",
        Severity::Medium,
        "tokens bound to the taker address behind NAT/MOBIKE",
    ),
    (
        "QCD009",
        Severity::Medium,
        "token length or profile outside what QCD allows",
    ),
    ("QCD010", Severity::Low, "expired generations not pruned"),
    (
        "QCD011",
        Severity::Info,
        "never rotated within the max age, nothing to roll back to",
    ),
    (
        "QCD012",
        Severity::High,
        "a single-key daemon does not run the active secret",
    ),
];

/// Runs every rule over the loaded clusters; findings sorted most severe first.
pub fn audit(clusters: &[Cluster], now: SystemTime) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in clusters {
        out.extend(qcd001(c));
        out.extend(qcd002(c));
        out.extend(qcd003(c, now));
        let mut per_member = qcd004(c);
        per_member.extend(qcd007(c, now));
        per_member.extend(qcd008(c));
        per_member.extend(qcd009(c));
        per_member.extend(qcd011(c, now));
        if c.mode.must_share() {
            per_member = merge_shared(per_member);
        }
        out.extend(per_member);
        out.extend(qcd005(c));
        out.extend(qcd010(c));
        out.extend(qcd012(c));
    }
    out.extend(qcd006(clusters));
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(b.id))
            .then_with(|| a.cluster.cmp(&b.cluster))
            .then_with(|| a.members.cmp(&b.members))
    });
    out
}

// ---------------------------------------------------------------- helpers

/// The most secrets out of place in one hot-standby cluster that QCD002 and
/// QCD003 report one by one; past it, one finding covers them all (each
/// would name most members, so N secrets would cost N² text).
pub const GROUP_LIMIT: usize = 4;

/// Per-member findings of one hot-standby cluster about one shared secret
/// (same rule, severity and fingerprint) become one finding: its members
/// share the secret, so one rotation, copied, fixes them all.
fn merge_shared(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let mut at: HashMap<(&'static str, Severity, String), usize> = HashMap::new();
    for f in findings {
        let Some(fp) = f.fingerprint.clone() else {
            out.push(f);
            continue;
        };
        match at.get(&(f.id, f.severity, fp.clone())) {
            None => {
                at.insert((f.id, f.severity, fp), out.len());
                out.push(f);
            }
            Some(&i) => {
                let first = &mut out[i];
                for m in f.members {
                    if !first.members.contains(&m) {
                        first.members.push(m);
                    }
                }
                first.generations.extend(f.generations);
            }
        }
    }
    for f in &mut out {
        if f.generations.len() > 1 {
            let others: Vec<String> = f.generations[1..]
                .iter()
                .map(|g| format!("{} (generation {})", g.member, g.generation))
                .collect();
            f.message = format!(
                "{}; the same secret is held by {}",
                f.message,
                and_list(&others)
            );
        }
    }
    out
}

/// The generations of a cluster's members, indexed by fingerprint, so that
/// "does this member hold that secret" costs O(1).
struct Index<'a> {
    /// Fingerprint → the members holding it in use (active or previous),
    /// each once, in member order, with that generation.
    in_use: HashMap<&'a str, Vec<(usize, &'a GenerationMeta)>>,
    /// Per member: fingerprint → its generation in use.
    member_in_use: Vec<HashMap<&'a str, &'a GenerationMeta>>,
    /// Per member: fingerprint → its generation in any state.
    member_held: Vec<HashMap<&'a str, &'a GenerationMeta>>,
}

impl<'a> Index<'a> {
    fn new(c: &'a Cluster) -> Self {
        let mut ix = Index {
            in_use: HashMap::new(),
            member_in_use: Vec::with_capacity(c.members.len()),
            member_held: Vec::with_capacity(c.members.len()),
        };
        for (i, m) in c.members.iter().enumerate() {
            let mut mine = HashMap::new();
            let mut held = HashMap::new();
            for g in &m.manifest.generations {
                held.entry(g.fingerprint.as_str()).or_insert(g);
                if g.state.in_use() && !mine.contains_key(g.fingerprint.as_str()) {
                    mine.insert(g.fingerprint.as_str(), g);
                    ix.in_use
                        .entry(g.fingerprint.as_str())
                        .or_default()
                        .push((i, g));
                }
            }
            ix.member_in_use.push(mine);
            ix.member_held.push(held);
        }
        ix
    }

    fn in_use_with(&self, member: usize, fp: &str) -> Option<&'a GenerationMeta> {
        self.member_in_use[member].get(fp).copied()
    }

    fn held(&self, member: usize, fp: &str) -> Option<&'a GenerationMeta> {
        self.member_held[member].get(fp).copied()
    }

    /// How many members hold `fp` in use.
    fn holders(&self, fp: &str) -> usize {
        self.in_use.get(fp).map_or(0, Vec::len)
    }
}

/// Members (by index in the cluster) with their generation of one secret.
type Holders<'a> = Vec<(usize, &'a GenerationMeta)>;

/// The distinct active secrets of a cluster in member order, each with the
/// members active on it.
fn actives_by_secret(c: &Cluster) -> Vec<(&str, Holders<'_>)> {
    let mut order: Vec<(&str, Holders<'_>)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, m) in c.members.iter().enumerate() {
        let Some(g) = active(m) else { continue };
        match at.get(g.fingerprint.as_str()) {
            Some(&k) => order[k].1.push((i, g)),
            None => {
                at.insert(g.fingerprint.as_str(), order.len());
                order.push((g.fingerprint.as_str(), vec![(i, g)]));
            }
        }
    }
    order
}

/// Whether a hot-standby cluster's members are so far apart (more than
/// [`GROUP_LIMIT`] active secrets that some member lacks) that QCD002 tells
/// them to share one secret first: other fixes then only rotate.
fn apart(c: &Cluster) -> bool {
    if !c.mode.must_share() {
        return false;
    }
    let ix = Index::new(c);
    let n = c.members.len();
    actives_by_secret(c)
        .iter()
        .filter(|(fp, _)| ix.holders(fp) < n)
        .count()
        > GROUP_LIMIT
}

fn finding(
    id: &'static str,
    severity: Severity,
    cluster: &str,
    members: Vec<String>,
    message: String,
    why: &str,
    fix: Fix,
) -> Finding {
    Finding {
        id,
        severity,
        cluster: cluster.to_string(),
        members,
        message,
        why: why.to_string(),
        fix,
        generations: Vec::new(),
        fingerprint: None,
    }
}

fn gref(m: &Member, g: &GenerationMeta) -> GenerationRef {
    GenerationRef {
        member: m.name.clone(),
        generation: g.id,
    }
}

fn keyring(m: &Member) -> &str {
    &m.manifest.keyring
}

fn active(m: &Member) -> Option<&GenerationMeta> {
    m.manifest
        .generations
        .iter()
        .find(|g| g.state == State::Active)
}

/// Generations whose secret still exists.
fn live(m: &Member) -> impl Iterator<Item = &GenerationMeta> {
    m.manifest
        .generations
        .iter()
        .filter(|g| g.state != State::Destroyed)
}

fn created(g: &GenerationMeta) -> Option<SystemTime> {
    timefmt::parse_rfc3339(&g.created).ok()
}

fn expires(g: &GenerationMeta) -> Option<SystemTime> {
    g.expires
        .as_deref()
        .and_then(|e| timefmt::parse_rfc3339(e).ok())
}

/// `90m`, `24h`, `7d`: the largest unit that divides the duration (what `--overlap` accepts).
fn short_duration(d: Duration) -> String {
    let s = d.as_secs().max(60);
    if s.is_multiple_of(86400) {
        format!("{}d", s / 86400)
    } else if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else {
        format!("{}m", s.div_ceil(60))
    }
}

fn days(d: Duration) -> u64 {
    d.as_secs() / 86400
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn gen_label(m: &Member, g: &GenerationMeta) -> String {
    format!("{} (generation {}, {})", m.name, g.id, g.state)
}

fn spec_label(g: &GenerationMeta) -> String {
    format!(
        "{}, {}-byte tokens{}",
        g.profile,
        g.token_length,
        if g.taker_addr {
            ", bound to the taker address"
        } else {
            ""
        }
    )
}

#[cfg(test)]
mod tests;
