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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, SystemTime};

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

/// A cluster with what its fixes depend on, computed once per rule.
struct Ctx<'a> {
    c: &'a Cluster,
    /// See [`apart`].
    apart: bool,
}

impl<'a> Ctx<'a> {
    fn new(c: &'a Cluster) -> Self {
        Ctx { c, apart: apart(c) }
    }
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
    fix: String,
) -> Finding {
    Finding {
        id,
        severity,
        cluster: cluster.to_string(),
        members,
        message,
        why: why.to_string(),
        fix: Fix::from_marked(&fix),
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

/// Flags for `qcd secret import`/`rotate` that reproduce `g`'s token spec.
fn spec_flags(g: &GenerationMeta) -> String {
    format!(
        "--profile {} --length {}{}",
        g.profile,
        g.token_length,
        if g.taker_addr {
            " --bind-taker-addr"
        } else {
            ""
        }
    )
}

/// The command that copies `from`'s generation (active when `generation` is None) onto `to`.
fn copy_cmd(
    from: &Member,
    g: &GenerationMeta,
    generation: Option<u32>,
    to: &Member,
    extra: &str,
) -> String {
    let gen = generation.map_or_else(String::new, |id| format!(" -g {id}"));
    format!(
        "on {}: `qcd secret export -k {}{gen} --format hex | ssh {} qcd secret import -k {} --format hex {}{extra}`",
        from.name,
        keyring(from),
        to.name,
        keyring(to),
        spec_flags(g),
    )
}

/// How to give `m` a new active secret in cluster `c`, keeping the cluster's
/// sharing rule. `spec` (`--profile … --length …`) fixes the new generation's
/// token spec on every member, so a copy never inherits a standby's own spec;
/// `extra` adds rotate-only flags (`--bytes N`).
fn rotate_fix(cx: &Ctx<'_>, m: &Member, spec: &str, extra: &str) -> String {
    let c = cx.c;
    if c.mode.must_share() && cx.apart {
        return format!(
            "{}; the members of {} do not share one secret yet: QCD002 says how to give them one",
            rotate_cmd(c, m, spec, extra),
            c.name
        );
    }
    rotate_and_copy(c, m, spec, extra)
}

/// `on M: qcd secret rotate …`.
fn rotate_cmd(c: &Cluster, m: &Member, spec: &str, extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" {extra}")
    };
    format!(
        "on {}: `qcd secret rotate -k {} --overlap {} {spec}{extra}`",
        m.name,
        keyring(m),
        short_duration(c.policy.overlap)
    )
}

/// [`rotate_fix`] copying the new generation to every other member of a
/// hot-standby cluster, however far apart they are.
fn rotate_fix_all(c: &Cluster, m: &Member, spec: &str) -> String {
    rotate_and_copy(c, m, spec, "")
}

fn rotate_and_copy(c: &Cluster, m: &Member, spec: &str, extra: &str) -> String {
    let overlap = short_duration(c.policy.overlap);
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" {extra}")
    };
    let rotate = format!(
        "on {}: `qcd secret rotate -k {} --overlap {overlap} {spec}{extra}`",
        m.name,
        keyring(m)
    );
    let others: Vec<&Member> = c.members.iter().filter(|o| o.name != m.name).collect();
    if c.mode.must_share() && !others.is_empty() {
        let copies: Vec<String> = others
            .iter()
            .map(|o| {
                format!(
                    "`qcd secret export -k {} --format hex | ssh {} qcd secret import -k {} --format hex {spec} --overlap {overlap}`",
                    keyring(m),
                    o.name,
                    keyring(o)
                )
            })
            .collect();
        format!(
            "{rotate}, then copy it to the standby: {}",
            copies.join("; ")
        )
    } else {
        rotate
    }
}

/// `rotate_fix` keeping `m`'s active token spec.
fn rotate_same_spec(cx: &Ctx<'_>, m: &Member, extra: &str) -> String {
    let spec = active(m).map(spec_flags).unwrap_or_default();
    rotate_fix(cx, m, &spec, extra)
}

// ---------------------------------------------------------------- rules

const WHY_001: &str = "A member that does not hold an IKE SA but knows the secret answers a spoofed message for that SA with a valid QCD token, which an attacker replays beside INVALID_IKE_SPI to make the peer tear down a healthy SA.";

/// QCD001: members of a cluster that does not share SA state hold the same secret.
pub fn qcd001(c: &Cluster) -> Vec<Finding> {
    if c.mode.must_share() {
        return Vec::new();
    }
    let mut by_fp: BTreeMap<&str, Vec<(&Member, &GenerationMeta)>> = BTreeMap::new();
    for m in &c.members {
        for g in live(m) {
            by_fp.entry(&g.fingerprint).or_default().push((m, g));
        }
    }
    let mut out = Vec::new();
    for (fp, holders) in by_fp {
        let names: BTreeSet<&str> = holders.iter().map(|(m, _)| m.name.as_str()).collect();
        if names.len() < 2 {
            continue;
        }
        let labels: Vec<String> = holders.iter().map(|(m, g)| gen_label(m, g)).collect();
        let mut seen = HashSet::new();
        let fixes: Vec<String> = holders
            .iter()
            .filter(|(m, _)| seen.insert(m.name.as_str()))
            .map(|(m, _)| {
                format!(
                    "for {}: `qcd secret derive --root ROOT.json --member {} -k {} --overlap {}`",
                    m.name,
                    m.name,
                    keyring(m),
                    short_duration(c.policy.overlap)
                )
            })
            .collect();
        let mut f = finding(
            "QCD001",
            Severity::High,
            &c.name,
            names.iter().map(|s| s.to_string()).collect(),
            format!(
                "{} hold the same secret (fingerprint {fp}) in a {} cluster, whose members must each have their own",
                and_list(&labels),
                c.mode
            ),
            WHY_001,
            format!(
                "Give each member its own secret derived from one root keyring ROOT.json, kept off the gateways (run each command where the root and that member's keyring are both at hand): {}; then, once the shared generation has expired, `qcd secret prune -k KEYRING` on each member.",
                fixes.join("; ")
            ),
        );
        f.generations = holders.iter().map(|(m, g)| gref(m, g)).collect();
        f.fingerprint = Some(fp.to_string());
        out.push(f);
    }
    out
}

const WHY_002: &str = "The standby that takes over must produce the tokens the active member handed out; otherwise peers cannot verify its QCD replies after a failover and wait minutes for liveness checks to time out.";

/// QCD002: a hot-standby member cannot produce another member's current tokens.
///
/// Per active secret: the members that do not hold it in use (one finding
/// per secret, or one for the cluster when more than [`GROUP_LIMIT`] secrets
/// are missing somewhere), and the members that hold it with another token
/// construction (one finding per secret).
pub fn qcd002(c: &Cluster) -> Vec<Finding> {
    if !c.mode.must_share() {
        return Vec::new();
    }
    let ix = Index::new(c);
    let cx = Ctx::new(c);
    let n = c.members.len();
    let actives = actives_by_secret(c);
    let mut out = Vec::new();
    for (fp, on) in &actives {
        if let Some(f) = qcd002_specs(&cx, &ix, fp, on) {
            out.push(f);
        }
    }
    let missing: Vec<&(&str, Vec<(usize, &GenerationMeta)>)> = actives
        .iter()
        .filter(|(fp, _)| ix.holders(fp) < n)
        .collect();
    if missing.len() > GROUP_LIMIT {
        out.push(qcd002_grouped(c, &ix, &actives));
        return out;
    }
    for (fp, on) in missing {
        out.push(qcd002_missing(&cx, &ix, fp, on));
    }
    out
}

/// The members active on `fp` (`on`) lack nothing but are not held by
/// everyone: one finding naming who lacks it, with a copy per member.
fn qcd002_missing(
    cx: &Ctx<'_>,
    ix: &Index<'_>,
    fp: &str,
    on: &[(usize, &GenerationMeta)],
) -> Finding {
    let c = cx.c;
    let (ai, ga) = on[0];
    let a = &c.members[ai];
    let lacking: Vec<usize> = (0..c.members.len())
        .filter(|&b| ix.in_use_with(b, fp).is_none())
        .collect();
    let names: Vec<String> = lacking.iter().map(|&b| c.members[b].name.clone()).collect();
    let mut members: Vec<String> = on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
    members.extend(names.iter().cloned());
    // An import of a secret the member already holds (expired or
    // destroyed) changes nothing: then only a new generation helps.
    let stale: Vec<String> = lacking
        .iter()
        .filter_map(|&b| {
            ix.held(b, fp)
                .map(|g| format!("{} ({})", c.members[b].name, g.state))
        })
        .collect();
    let fix = if stale.is_empty() {
        // A member whose own active generation is newer keeps it and
        // takes this one as previous, so the fixes of both directions
        // compose into one shared active generation.
        let overlap = short_duration(c.policy.overlap);
        let fixes: Vec<String> = lacking
            .iter()
            .map(|&b| {
                let b = &c.members[b];
                let newer = active(b).and_then(created) > created(ga);
                let how = if newer {
                    format!(" --as previous --overlap {overlap}")
                } else {
                    format!(" --overlap {overlap}")
                };
                let cmd = copy_cmd(a, ga, None, b, &how);
                if newer {
                    format!(
                        "{cmd} (as previous: {}'s own active generation is newer)",
                        b.name
                    )
                } else {
                    cmd
                }
            })
            .collect();
        format!(
            "Copy {}'s active secret to the standby: {}",
            a.name,
            fixes.join("; ")
        )
    } else {
        format!(
            "{} still {} the secret but no longer in use, and importing it again changes nothing; make a new generation and copy it: {}",
            and_list(&stale),
            if stale.len() == 1 { "holds" } else { "hold" },
            rotate_same_spec(cx, a, "")
        )
    };
    let whose = if on.len() == 1 {
        format!("{}'s active generation {}", a.name, ga.id)
    } else {
        let active_names: Vec<String> =
            on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
        format!("the active secret of {}", and_list(&active_names))
    };
    let mut f = finding(
        "QCD002",
        Severity::High,
        &c.name,
        members,
        format!(
            "{} {} not hold {whose} (fingerprint {fp}): after a failover from {} {} cannot produce the tokens {} handed out",
            and_list(&names),
            if names.len() == 1 { "does" } else { "do" },
            a.name,
            if names.len() == 1 { "it" } else { "they" },
            a.name
        ),
        WHY_002,
        fix,
    );
    f.generations = on.iter().map(|(i, g)| gref(&c.members[*i], g)).collect();
    f.fingerprint = Some(fp.to_string());
    f
}

/// More than [`GROUP_LIMIT`] active secrets, each missing on some members:
/// one finding listing each secret with its members (each member once), and
/// one way to a single shared secret.
fn qcd002_grouped(
    c: &Cluster,
    ix: &Index<'_>,
    actives: &[(&str, Vec<(usize, &GenerationMeta)>)],
) -> Finding {
    let n = c.members.len();
    // Keep the secret held in use by most members (then the newest).
    let (keep_fp, keep_on) = actives
        .iter()
        .max_by_key(|(fp, on)| (ix.holders(fp), created(on[0].1)))
        .expect("more than GROUP_LIMIT active secrets");
    let (ki, kg) = keep_on[0];
    let keeper = &c.members[ki];
    let groups: Vec<String> = actives
        .iter()
        .map(|(fp, on)| {
            let names: Vec<String> = on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
            format!(
                "{fp} active on {} (held in use by {} of {n})",
                names.join(", "),
                ix.holders(fp)
            )
        })
        .collect();
    let lacking: Vec<usize> = (0..n)
        .filter(|&b| ix.in_use_with(b, keep_fp).is_none())
        .collect();
    let stale = lacking.iter().any(|&b| ix.held(b, keep_fp).is_some());
    let overlap = short_duration(c.policy.overlap);
    let fix = if stale {
        format!(
            "Make one new generation on {} and copy it to every other member: {}",
            keeper.name,
            rotate_fix_all(c, keeper, &spec_flags(kg))
        )
    } else {
        let copies: Vec<String> = lacking
            .iter()
            .map(|&b| {
                copy_cmd(
                    keeper,
                    kg,
                    None,
                    &c.members[b],
                    &format!(" --overlap {overlap}"),
                )
            })
            .collect();
        format!(
            "Give the cluster one secret: keep {}'s active secret (fingerprint {keep_fp}, held in use by {} of {n} members) and make it active on every other member (each keeps its own as previous for the overlap): {}",
            keeper.name,
            ix.holders(keep_fp),
            copies.join("; ")
        )
    };
    let mut f = finding(
        "QCD002",
        Severity::High,
        &c.name,
        c.members.iter().map(|m| m.name.clone()).collect(),
        format!(
            "the {n} members are active on {} different secrets, and no member holds all of them, so a failover between members that hold different ones leaves peers with tokens the new active member cannot produce: {}",
            actives.len(),
            groups.join("; ")
        ),
        WHY_002,
        fix,
    );
    f.generations = actives
        .iter()
        .flat_map(|(_, on)| on.iter().map(|(i, g)| gref(&c.members[*i], g)))
        .collect();
    f
}

/// The holders of `fp` in use make tokens with more than one construction:
/// one finding for the secret, grouping holders by construction.
fn qcd002_specs(
    cx: &Ctx<'_>,
    ix: &Index<'_>,
    fp: &str,
    on: &[(usize, &GenerationMeta)],
) -> Option<Finding> {
    let c = cx.c;
    let holders = ix.in_use.get(fp)?;
    let key = |g: &GenerationMeta| (g.profile.clone(), g.token_length, g.taker_addr);
    type Spec = (String, usize, bool);
    let mut specs: Vec<(Spec, Holders<'_>)> = Vec::new();
    for &(i, g) in holders {
        match specs.iter_mut().find(|(k, _)| *k == key(g)) {
            Some((_, v)) => v.push((i, g)),
            None => specs.push((key(g), vec![(i, g)])),
        }
    }
    if specs.len() < 2 {
        return None;
    }
    let (ai, ga) = on[0];
    let a = &c.members[ai];
    let labels: Vec<String> = holders
        .iter()
        .map(|(i, g)| gen_label(&c.members[*i], g))
        .collect();
    let by_spec: Vec<String> = specs
        .iter()
        .map(|(_, v)| {
            let names: Vec<String> = v.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
            format!("{}: {}", and_list(&names), spec_label(v[0].1))
        })
        .collect();
    let mut f = finding(
        "QCD002",
        Severity::High,
        &c.name,
        holders.iter().map(|(i, _)| c.members[*i].name.clone()).collect(),
        format!(
            "{} share the secret {fp} but make tokens differently ({}), so after a failover the tokens differ",
            and_list(&labels),
            by_spec.join("; ")
        ),
        WHY_002,
        format!(
            "Make one generation with one token profile and copy it: {}",
            rotate_fix(cx, a, &spec_flags(ga), "")
        ),
    );
    f.generations = holders
        .iter()
        .map(|(i, g)| gref(&c.members[*i], g))
        .collect();
    f.fingerprint = Some(fp.to_string());
    Some(f)
}

/// QCD003: hot-standby members rotate out of step.
///
/// Reported when (a) members have different active generations although each
/// still holds the others' active secrets in use (takeover works today, but
/// breaks when those previous generations expire; if a member lacks another's
/// active secret, QCD002 reports it instead), or (b) a previous generation,
/// still in its overlap window, is not in use on some member (absent,
/// expired or destroyed there): one finding per such secret, or one for the
/// cluster when there are more than [`GROUP_LIMIT`].
pub fn qcd003(c: &Cluster, now: SystemTime) -> Vec<Finding> {
    if !c.mode.must_share() {
        return Vec::new();
    }
    let ix = Index::new(c);
    let cx = Ctx::new(c);
    let n = c.members.len();
    let mut out = Vec::new();
    let by_secret = actives_by_secret(c);
    let all_covered = by_secret.iter().all(|(fp, _)| ix.holders(fp) == n);
    if by_secret.len() > 1 && all_covered {
        let actives: Vec<(&Member, &GenerationMeta)> = c
            .members
            .iter()
            .filter_map(|m| active(m).map(|g| (m, g)))
            .collect();
        let labels: Vec<String> = actives
            .iter()
            .map(|(m, g)| {
                format!(
                    "{} is active on generation {} ({})",
                    m.name, g.id, g.fingerprint
                )
            })
            .collect();
        // The member whose active secret is newest is the one the others should follow.
        let newest = actives
            .iter()
            .max_by_key(|(_, g)| created(g))
            .map(|(m, g)| (*m, *g));
        // Importing a secret a member already holds changes nothing, so the
        // way back in step is a fresh generation, made once and copied.
        let fix = match newest {
            Some((m, _)) => format!(
                "Rotate on one member only and copy the new generation to the others, now and from then on: {}",
                rotate_same_spec(&cx, m, "")
            ),
            None => String::new(),
        };
        let mut f = finding(
            "QCD003",
            Severity::Medium,
            &c.name,
            actives.iter().map(|(m, _)| m.name.clone()).collect(),
            format!(
                "rotation drift: {}; takeover works only while the previous generations last",
                labels.join(", ")
            ),
            "Hot-standby members that rotate separately stop sharing a secret as soon as the older generation expires, and from then on a failover defeats crash detection.",
            fix,
        );
        f.generations = actives.iter().map(|(m, g)| gref(m, g)).collect();
        out.push(f);
    }
    // Previous generations by secret, in member order, with the members
    // holding each as previous.
    let mut previous: Vec<(&str, Vec<(usize, &GenerationMeta)>)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, m) in c.members.iter().enumerate() {
        for p in m
            .manifest
            .generations
            .iter()
            .filter(|g| g.state == State::Previous)
        {
            match at.get(p.fingerprint.as_str()) {
                Some(&k) => previous[k].1.push((i, p)),
                None => {
                    at.insert(p.fingerprint.as_str(), previous.len());
                    previous.push((p.fingerprint.as_str(), vec![(i, p)]));
                }
            }
        }
    }
    previous.retain(|(fp, _)| ix.holders(fp) < n);
    if previous.len() > GROUP_LIMIT {
        out.push(qcd003_grouped(c, &ix, &previous));
        return out;
    }
    for (fp, on) in &previous {
        out.push(qcd003_previous(c, &ix, fp, on, now));
    }
    out
}

const WHY_003_PREVIOUS: &str = "Peers that got their tokens from this member before its last rotation cannot detect a crash after a failover until the overlap window ends.";

/// One previous secret (held as previous by `on`) not in use on some members.
fn qcd003_previous(
    c: &Cluster,
    ix: &Index<'_>,
    fp: &str,
    on: &[(usize, &GenerationMeta)],
    now: SystemTime,
) -> Finding {
    let (ai, p) = on[0];
    let a = &c.members[ai];
    let lacking: Vec<usize> = (0..c.members.len())
        .filter(|&b| ix.in_use_with(b, fp).is_none())
        .collect();
    let remaining = expires(p)
        .and_then(|e| e.duration_since(now).ok())
        .unwrap_or(c.policy.overlap);
    let until = p
        .expires
        .as_deref()
        .map_or_else(String::new, |e| format!(", in use until {e}"));
    let names: Vec<String> = lacking.iter().map(|&b| c.members[b].name.clone()).collect();
    let fixes: Vec<String> = lacking
        .iter()
        .map(|&bi| {
            let b = &c.members[bi];
            match ix.held(bi, fp) {
                // An import of a secret the member already holds changes nothing.
                Some(stale) => format!(
                    "{} holds it only as {} and no qcd command puts it back in use: peers that hold such tokens are covered again once they rekey; next time copy each rotation to every member with the same --overlap",
                    b.name, stale.state
                ),
                None => copy_cmd(
                    a,
                    p,
                    Some(p.id),
                    b,
                    &format!(" --as previous --overlap {}", short_duration(remaining)),
                ),
            }
        })
        .collect();
    let mut members: Vec<String> = on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
    members.extend(names.iter().cloned());
    let whose = if on.len() == 1 {
        format!("{}'s previous generation {}", a.name, p.id)
    } else {
        let holders: Vec<String> = on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
        format!("the previous generation of {}", and_list(&holders))
    };
    let mut f = finding(
        "QCD003",
        Severity::Medium,
        &c.name,
        members,
        format!(
            "{whose} (fingerprint {fp}{until}) is not in use on {}",
            and_list(&names)
        ),
        WHY_003_PREVIOUS,
        format!(
            "Copy the previous generation for the rest of its window: {}",
            fixes.join("; ")
        ),
    );
    f.generations = on.iter().map(|(i, g)| gref(&c.members[*i], g)).collect();
    f.fingerprint = Some(fp.to_string());
    f
}

/// More than [`GROUP_LIMIT`] previous secrets not in use everywhere: one
/// finding (each would name most members: N secrets, N² copies).
fn qcd003_grouped(
    c: &Cluster,
    ix: &Index<'_>,
    previous: &[(&str, Vec<(usize, &GenerationMeta)>)],
) -> Finding {
    let n = c.members.len();
    let groups: Vec<String> = previous
        .iter()
        .map(|(fp, on)| {
            let names: Vec<String> = on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
            format!(
                "{fp} previous on {} (held in use by {} of {n})",
                names.join(", "),
                ix.holders(fp)
            )
        })
        .collect();
    let last = previous
        .iter()
        .flat_map(|(_, on)| on.iter().filter_map(|(_, g)| g.expires.as_deref()))
        .max()
        .map_or_else(String::new, |e| format!(" (the last at {e})"));
    let mut f = finding(
        "QCD003",
        Severity::Medium,
        &c.name,
        c.members.iter().map(|m| m.name.clone()).collect(),
        format!(
            "{} previous generations are each not in use on some of the {n} members: {}",
            previous.len(),
            groups.join("; ")
        ),
        WHY_003_PREVIOUS,
        format!(
            "Copying each to every member would take one import per member and generation; instead let them expire{last}: peers holding such tokens are covered again once they rekey. From now on rotate on one member only and copy each new generation to every other with the same --overlap, as in: {}",
            rotate_fix_all(c, &c.members[previous[0].1[0].0], "")
        ),
    );
    f.generations = previous
        .iter()
        .flat_map(|(_, on)| on.iter().map(|(i, g)| gref(&c.members[*i], g)))
        .collect();
    f
}

const WHY_004: &str = "A short or patterned secret can be guessed offline from a single token, and whoever knows it forges tokens that make peers tear down healthy SAs.";

/// QCD004: short or visibly weak secrets.
pub fn qcd004(c: &Cluster) -> Vec<Finding> {
    let cx = Ctx::new(c);
    let mut out = Vec::new();
    for m in &c.members {
        for g in live(m) {
            if g.secret_bytes >= c.policy.min_secret_bytes.max(16) && g.weak.is_none() {
                continue;
            }
            let bytes = g.secret_bytes.max(c.policy.min_secret_bytes).max(32);
            let fix = if g.state == State::Active {
                format!(
                    "Replace it with a random secret: {}",
                    rotate_same_spec(&cx, m, &format!("--bytes {bytes}"))
                )
            } else {
                format!(
                    "It is no longer active; destroy it once it expires{}: on {}: `qcd secret prune -k {}`",
                    g.expires
                        .as_deref()
                        .map_or_else(String::new, |e| format!(" ({e})")),
                    m.name,
                    keyring(m)
                )
            };
            let mut push = |severity, message: String| {
                let mut f = finding(
                    "QCD004",
                    severity,
                    &c.name,
                    vec![m.name.clone()],
                    message,
                    WHY_004,
                    fix.clone(),
                );
                f.generations = vec![gref(m, g)];
                f.fingerprint = Some(g.fingerprint.clone());
                out.push(f);
            };
            if g.secret_bytes < 16 {
                push(
                    Severity::High,
                    format!(
                        "{}'s generation {} ({}, fingerprint {}) has a {}-byte secret, under the 16-byte minimum",
                        m.name,
                        g.id,
                        g.state,
                        g.fingerprint,
                        g.secret_bytes
                    ),
                );
            } else if g.secret_bytes < c.policy.min_secret_bytes {
                push(
                    Severity::Medium,
                    format!(
                        "{}'s generation {} ({}, fingerprint {}) has a {}-byte secret, under the policy minimum of {} bytes",
                        m.name,
                        g.id,
                        g.state,
                        g.fingerprint,
                        g.secret_bytes,
                        c.policy.min_secret_bytes
                    ),
                );
            }
            if let Some(w) = g.weak {
                push(
                    Severity::High,
                    format!(
                        "{}'s generation {} ({}, fingerprint {}) has a secret that is not random: {}",
                        m.name,
                        g.id,
                        g.state,
                        g.fingerprint,
                        w.describe()
                    ),
                );
            }
        }
    }
    out
}

/// QCD005: keyring readable or writable by group or others.
pub fn qcd005(c: &Cluster) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in &c.members {
        let Some(mode) = m.manifest.file.mode_bits() else {
            continue;
        };
        if mode & 0o077 == 0 {
            continue;
        }
        let owner = m
            .manifest
            .file
            .owner
            .clone()
            .unwrap_or_else(|| m.manifest.file.uid.to_string());
        out.push(finding(
            "QCD005",
            Severity::High,
            &c.name,
            vec![m.name.clone()],
            format!(
                "{}'s keyring {} has mode {:04o} (owner {owner}, group {}): group or others can {}",
                m.name,
                keyring(m),
                mode,
                m.manifest.file.gid,
                match (mode & 0o044 != 0, mode & 0o022 != 0) {
                    (true, true) => "read and write the QCD secret",
                    (true, false) => "read the QCD secret",
                    _ => "write the QCD secret",
                }
            ),
            "Whoever reads the secret forges tokens that tear down this gateway's SAs; whoever writes it silently breaks crash detection.",
            format!("on {}: `chmod 600 {}`", m.name, keyring(m)),
        ));
    }
    out
}

/// QCD006: the same secret in two different clusters.
pub fn qcd006(clusters: &[Cluster]) -> Vec<Finding> {
    let mut by_fp: BTreeMap<&str, Vec<(&Cluster, &Member, &GenerationMeta)>> = BTreeMap::new();
    for c in clusters {
        for m in &c.members {
            for g in live(m) {
                by_fp.entry(&g.fingerprint).or_default().push((c, m, g));
            }
        }
    }
    let mut out = Vec::new();
    for (fp, holders) in by_fp {
        // Clusters in order of first holder, each with its first holder.
        let mut cluster_names: Vec<&str> = Vec::new();
        let mut first: HashMap<&str, (&Cluster, &Member)> = HashMap::new();
        for (c, m, _) in &holders {
            if !first.contains_key(c.name.as_str()) {
                first.insert(&c.name, (c, m));
                cluster_names.push(&c.name);
            }
        }
        if cluster_names.len() < 2 {
            continue;
        }
        let labels: Vec<String> = holders
            .iter()
            .map(|(c, m, g)| format!("{}/{} (generation {}, {})", c.name, m.name, g.id, g.state))
            .collect();
        // Keep the secret in the first cluster; give the others new ones.
        let fixes: Vec<String> = cluster_names[1..]
            .iter()
            .filter_map(|name| {
                let (c, m) = first.get(name)?;
                Some(format!(
                    "in {}: {}",
                    c.name,
                    rotate_same_spec(&Ctx::new(c), m, "")
                ))
            })
            .collect();
        let mut f = finding(
            "QCD006",
            Severity::Medium,
            &cluster_names.join(", "),
            holders
                .iter()
                .map(|(c, m, _)| format!("{}/{}", c.name, m.name))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            format!(
                "the secret with fingerprint {fp} is held in clusters {}: {}",
                and_list(&cluster_names.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
                labels.join(", ")
            ),
            "Gateways in different clusters do not share SA state, so each answers spoofed messages for the other's SAs with valid tokens, which an attacker uses to tear those SAs down.",
            format!(
                "Give every cluster but {} a secret of its own: {}; then `qcd secret prune` once the old generation has expired.",
                cluster_names[0],
                fixes.join("; ")
            ),
        );
        f.generations = holders.iter().map(|(_, m, g)| gref(m, g)).collect();
        f.fingerprint = Some(fp.to_string());
        out.push(f);
    }
    out
}

/// QCD007: the active generation is older than the policy's max age.
pub fn qcd007(c: &Cluster, now: SystemTime) -> Vec<Finding> {
    let cx = Ctx::new(c);
    let mut out = Vec::new();
    for m in &c.members {
        let Some(g) = active(m) else { continue };
        let Some(age) = created(g).and_then(|t| now.duration_since(t).ok()) else {
            continue;
        };
        if age <= c.policy.max_age {
            continue;
        }
        let mut f = finding(
            "QCD007",
            Severity::Low,
            &c.name,
            vec![m.name.clone()],
            format!(
                "{}'s active generation {} (fingerprint {}) was created {}, {} days ago, beyond the policy's max age of {} days",
                m.name,
                g.id,
                g.fingerprint,
                g.created,
                days(age),
                days(c.policy.max_age)
            ),
            "The longer a secret is used, the more tokens and backups expose it; a leaked old secret lets an attacker tear down SAs until it is rotated.",
            format!("Rotate: {}", rotate_same_spec(&cx, m, "")),
        );
        f.generations = vec![gref(m, g)];
        f.fingerprint = Some(g.fingerprint.clone());
        out.push(f);
    }
    out
}

/// QCD008: tokens bound to the taker address while peers are behind NAT or use MOBIKE.
pub fn qcd008(c: &Cluster) -> Vec<Finding> {
    let cx = Ctx::new(c);
    if !c.policy.nat {
        return Vec::new();
    }
    let mut out = Vec::new();
    for m in &c.members {
        for g in m
            .manifest
            .generations
            .iter()
            .filter(|g| g.state.in_use() && g.taker_addr)
        {
            let fix = if g.state == State::Active {
                format!(
                    "Rotate to a profile without the taker address (an explicit --profile drops it): {}",
                    rotate_fix(&cx,
                        m,
                        &format!("--profile {} --length {}", g.profile, g.token_length),
                        "",
                    )
                )
            } else {
                format!(
                    "The active generation no longer binds the address; this one stops being used when it expires{}, then `qcd secret prune -k {}` on {}",
                    g.expires.as_deref().map_or_else(String::new, |e| format!(" at {e}")),
                    keyring(m),
                    m.name
                )
            };
            let mut f = finding(
                "QCD008",
                Severity::Medium,
                &c.name,
                vec![m.name.clone()],
                format!(
                    "{} makes tokens bound to the taker's IP address, but the policy says peers are behind NAT or use MOBIKE",
                    gen_label(m, g)
                ),
                "When a peer's address changes (NAT rebinding, MOBIKE), the token the gateway computes after a reboot no longer matches the one the peer holds, so the crash goes undetected.",
                fix,
            );
            f.generations = vec![gref(m, g)];
            f.fingerprint = Some(g.fingerprint.clone());
            out.push(f);
        }
    }
    out
}

/// QCD009: token length outside RFC 6290's 16..=128 (or the profile's digest), or a profile this qcd does not know.
pub fn qcd009(c: &Cluster) -> Vec<Finding> {
    let cx = Ctx::new(c);
    let mut out = Vec::new();
    for m in &c.members {
        for g in live(m) {
            let problem = match g.profile.parse::<Profile>() {
                Err(_) => Some(format!(
                    "uses the token profile {:?}, unknown to this qcd (known: {})",
                    g.profile,
                    Profile::ALL.map(|p| p.name()).join(", ")
                )),
                Ok(_) if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&g.token_length) => {
                    Some(format!(
                        "makes {}-byte tokens, outside RFC 6290's {MIN_TOKEN_LEN} to {MAX_TOKEN_LEN} bytes",
                        g.token_length
                    ))
                }
                Ok(p) if g.token_length > p.max_len() => Some(format!(
                    "asks for {}-byte tokens, but {} yields at most {} bytes",
                    g.token_length,
                    p,
                    p.max_len()
                )),
                Ok(_) => None,
            };
            let Some(problem) = problem else { continue };
            let known = g.profile.parse::<Profile>().unwrap_or(Profile::HmacSha256);
            let mut f = finding(
                "QCD009",
                Severity::Medium,
                &c.name,
                vec![m.name.clone()],
                format!("{} {problem}", gen_label(m, g)),
                "Peers reject QCD tokens outside 16 to 128 bytes, and a token no qcd can recompute cannot be checked or diagnosed, so crash detection silently fails.",
                format!(
                    "Rotate to a supported profile and length: {}",
                    rotate_fix(&cx,
                        m,
                        &format!(
                            "--profile {} --length {}{}",
                            known,
                            known.default_len(),
                            if g.taker_addr { " --bind-taker-addr" } else { "" }
                        ),
                        "",
                    )
                ),
            );
            f.generations = vec![gref(m, g)];
            f.fingerprint = Some(g.fingerprint.clone());
            out.push(f);
        }
    }
    out
}

/// QCD010: expired generations whose secret is still kept.
pub fn qcd010(c: &Cluster) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in &c.members {
        let expired: Vec<&GenerationMeta> = m
            .manifest
            .generations
            .iter()
            .filter(|g| g.state == State::Expired)
            .collect();
        if expired.is_empty() {
            continue;
        }
        let ids: Vec<String> = expired
            .iter()
            .map(|g| format!("{} ({})", g.id, g.fingerprint))
            .collect();
        let mut f = finding(
            "QCD010",
            Severity::Low,
            &c.name,
            vec![m.name.clone()],
            format!(
                "{} keeps the secrets of expired generation{} {}",
                m.name,
                if ids.len() == 1 { "" } else { "s" },
                and_list(&ids)
            ),
            "An expired secret is no longer needed for any token, yet whoever steals the keyring still learns it.",
            format!("on {}: `qcd secret prune -k {}`", m.name, keyring(m)),
        );
        f.generations = expired.iter().map(|g| gref(m, g)).collect();
        out.push(f);
    }
    out
}

/// QCD011: the active generation is older than the max age and is the only
/// generation whose secret exists (no previous or expired one; destroyed ones
/// do not count): never rotated within the max age, nothing to roll back to.
pub fn qcd011(c: &Cluster, now: SystemTime) -> Vec<Finding> {
    let cx = Ctx::new(c);
    let mut out = Vec::new();
    for m in &c.members {
        let Some(g) = active(m) else { continue };
        if live(m).count() != 1 {
            continue;
        }
        let Some(age) = created(g).and_then(|t| now.duration_since(t).ok()) else {
            continue;
        };
        if age <= c.policy.max_age {
            continue;
        }
        let mut f = finding(
            "QCD011",
            Severity::Info,
            &c.name,
            vec![m.name.clone()],
            format!(
                "{} has used only generation {} (fingerprint {}) for {} days and holds no other: it was not rotated within the max age of {} days",
                m.name,
                g.id,
                g.fingerprint,
                days(age),
                days(c.policy.max_age)
            ),
            "A keyring that is never rotated has no rotation procedure that is known to work, and nothing to fall back to if its secret leaks.",
            if c.mode.must_share() {
                format!(
                    "Rotate now, and from then on on a schedule, on one member only: {}",
                    rotate_same_spec(&cx, m, "")
                )
            } else {
                format!(
                    "Rotate on a schedule, e.g. from a daily timer: on {}: `qcd secret rotate -k {} --if-older-than {} --overlap {}`",
                    m.name,
                    keyring(m),
                    short_duration(c.policy.max_age),
                    short_duration(c.policy.overlap)
                )
            },
        );
        f.generations = vec![gref(m, g)];
        f.fingerprint = Some(g.fingerprint.clone());
        out.push(f);
    }
    out
}

/// QCD012: a member whose keyring was exported for a single-key daemon
/// (one that reads its secret only at start-up) that does not run the
/// active secret, judged from the manifest's exports record: the file
/// changed behind qcd's back, differs from what the daemon started with,
/// the restart (`--on-change`) failed, the keyring rotated after the last
/// export, or no restart was ever recorded after the export.
pub fn qcd012(c: &Cluster) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in &c.members {
        let Some(g) = active(m) else { continue };
        for e in &m.manifest.exports {
            let Some(target) = e.target.as_deref().and_then(|t| t.parse::<Target>().ok()) else {
                continue;
            };
            if !target.spec().single_key {
                continue;
            }
            let daemon = target.spec().daemon;
            let problem = if let Some(fp) = e
                .file_fingerprint
                .as_deref()
                .filter(|fp| *fp != e.fingerprint)
            {
                Some((Severity::High, format!(
                    "{}'s {} now holds a secret with fingerprint {fp}, not generation {} ({}) that qcd wrote there: {daemon} (which replaces a file it cannot read) or someone else changed it",
                    m.name, e.file, e.generation, e.fingerprint
                )))
            } else if e.restart_pending {
                Some((Severity::High, format!(
                    "on {}, the restart after writing generation {} ({}) to {} failed ({}): {daemon} still runs its old secret",
                    m.name,
                    e.generation,
                    e.fingerprint,
                    e.file,
                    e.on_change_failed.as_deref().unwrap_or("unknown status")
                )))
            } else if e.fingerprint != g.fingerprint {
                Some((Severity::High, format!(
                    "{} rotated to generation {} ({}) on {}, but {} still holds generation {} ({}): the rotation was not exported to {daemon}, nor followed by a restart",
                    m.name, g.id, g.fingerprint, g.created, e.file, e.generation, e.fingerprint
                )))
            } else {
                match e.daemon_fingerprint.as_deref() {
                    Some(d) if d != e.fingerprint => Some((Severity::High, format!(
                        "on {}, {daemon} started with the secret {d}, but {} holds generation {} ({}): the file differs from what the daemon started with",
                        m.name, e.file, e.generation, e.fingerprint
                    ))),
                    Some(_) => None,
                    None => Some((Severity::Medium, format!(
                        "on {}, generation {} ({}) was written to {} on {}, and no restart of {daemon} was recorded since: unless it was restarted by hand, it runs an older secret",
                        m.name, e.generation, e.fingerprint, e.file, e.written
                    ))),
                }
            };
            let Some((severity, message)) = problem else {
                continue;
            };
            let mut f = finding(
                "QCD012",
                severity,
                &c.name,
                vec![m.name.clone()],
                message,
                "A single-key daemon reads its secret once, at start-up. Until it restarts it hands out tokens of the old secret; if it crashes then, it comes back with the file's secret and every token its peers hold fails: QCD does not detect the crash. Only a graceful restart right after the export (it deletes the SAs, peers re-establish and get new tokens) keeps detection working.",
                format!(
                    "on {}: `qcd secret export -k {} --for {} --out {} --on-change '{}'` (it writes the active generation and restarts the daemon, and records the restart for this audit)",
                    m.name,
                    keyring(m),
                    target,
                    e.file,
                    target.restart_command()
                ),
            );
            f.generations = vec![gref(m, g)];
            f.fingerprint = Some(e.fingerprint.clone());
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests;
