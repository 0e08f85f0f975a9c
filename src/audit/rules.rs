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

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, SystemTime};

use super::finding::{Finding, GenerationRef, Severity};
use super::inventory::{Cluster, Member};
use crate::secret::keyring::State;
use crate::secret::manifest::GenerationMeta;
use crate::secret::target::Target;
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
        out.extend(qcd004(c));
        out.extend(qcd005(c));
        out.extend(qcd007(c, now));
        out.extend(qcd008(c));
        out.extend(qcd009(c));
        out.extend(qcd010(c));
        out.extend(qcd011(c, now));
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

/// The generation of `m` with this fingerprint that a rebooted maker still emits tokens for.
fn in_use_with<'a>(m: &'a Member, fp: &str) -> Option<&'a GenerationMeta> {
    m.manifest
        .generations
        .iter()
        .find(|g| g.state.in_use() && g.fingerprint == fp)
}

/// The generation of `m` with this fingerprint, in any state.
fn held<'a>(m: &'a Member, fp: &str) -> Option<&'a GenerationMeta> {
    m.manifest.generations.iter().find(|g| g.fingerprint == fp)
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
fn rotate_fix(c: &Cluster, m: &Member, spec: &str, extra: &str) -> String {
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
fn rotate_same_spec(c: &Cluster, m: &Member, extra: &str) -> String {
    let spec = active(m).map(spec_flags).unwrap_or_default();
    rotate_fix(c, m, &spec, extra)
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
pub fn qcd002(c: &Cluster) -> Vec<Finding> {
    if !c.mode.must_share() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut reported_pairs = HashSet::new();
    for a in &c.members {
        let Some(ga) = active(a) else { continue };
        let mut missing = Vec::new();
        for b in c.members.iter().filter(|b| b.name != a.name) {
            match in_use_with(b, &ga.fingerprint) {
                None => missing.push(b),
                Some(gb) => {
                    let same = ga.profile == gb.profile
                        && ga.token_length == gb.token_length
                        && ga.taker_addr == gb.taker_addr;
                    let mut pair = [a.name.as_str(), b.name.as_str()];
                    pair.sort();
                    if same || !reported_pairs.insert((ga.fingerprint.clone(), pair)) {
                        continue;
                    }
                    let mut f = finding(
                        "QCD002",
                        Severity::High,
                        &c.name,
                        vec![a.name.clone(), b.name.clone()],
                        format!(
                            "{} and {} share the secret {} but make tokens differently ({}: {}; {}: {}), so after a failover the tokens differ",
                            gen_label(a, ga),
                            gen_label(b, gb),
                            ga.fingerprint,
                            a.name,
                            spec_label(ga),
                            b.name,
                            spec_label(gb)
                        ),
                        WHY_002,
                        format!(
                            "Make one generation with one token profile and copy it: {}",
                            rotate_fix(c, a, &spec_flags(ga), "")
                        ),
                    );
                    f.generations = vec![gref(a, ga), gref(b, gb)];
                    f.fingerprint = Some(ga.fingerprint.clone());
                    out.push(f);
                }
            }
        }
        if missing.is_empty() {
            continue;
        }
        let names: Vec<String> = missing.iter().map(|b| b.name.clone()).collect();
        let mut members = vec![a.name.clone()];
        members.extend(names.iter().cloned());
        // An import of a secret the member already holds (expired or
        // destroyed) changes nothing: then only a new generation helps.
        let stale: Vec<String> = missing
            .iter()
            .filter_map(|b| held(b, &ga.fingerprint).map(|g| format!("{} ({})", b.name, g.state)))
            .collect();
        let fix = if stale.is_empty() {
            // A member whose own active generation is newer keeps it and
            // takes this one as previous, so the fixes of both directions
            // compose into one shared active generation.
            let overlap = short_duration(c.policy.overlap);
            let fixes: Vec<String> = missing
                .iter()
                .map(|b| {
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
                rotate_same_spec(c, a, "")
            )
        };
        let mut f = finding(
            "QCD002",
            Severity::High,
            &c.name,
            members,
            format!(
                "{} {} not hold {}'s active generation {} (fingerprint {}): after a failover from {} {} cannot produce the tokens {} handed out",
                and_list(&names),
                if names.len() == 1 { "does" } else { "do" },
                a.name,
                ga.id,
                ga.fingerprint,
                a.name,
                if names.len() == 1 { "it" } else { "they" },
                a.name
            ),
            WHY_002,
            fix,
        );
        f.generations = vec![gref(a, ga)];
        f.fingerprint = Some(ga.fingerprint.clone());
        out.push(f);
    }
    out
}

/// QCD003: hot-standby members rotate out of step.
///
/// Reported when (a) members have different active generations although each
/// still holds the others' active secrets in use (takeover works today, but
/// breaks when those previous generations expire; if a member lacks another's
/// active secret, QCD002 reports it instead), or (b) a previous generation of
/// one member, still in its overlap window, is not in use on another member
/// (absent, expired or destroyed there).
pub fn qcd003(c: &Cluster, now: SystemTime) -> Vec<Finding> {
    if !c.mode.must_share() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let actives: Vec<(&Member, &GenerationMeta)> = c
        .members
        .iter()
        .filter_map(|m| active(m).map(|g| (m, g)))
        .collect();
    let distinct: BTreeSet<&str> = actives
        .iter()
        .map(|(_, g)| g.fingerprint.as_str())
        .collect();
    let all_covered = actives.iter().all(|(a, ga)| {
        c.members
            .iter()
            .all(|b| b.name == a.name || in_use_with(b, &ga.fingerprint).is_some())
    });
    if distinct.len() > 1 && all_covered {
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
                rotate_same_spec(c, m, "")
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
    for a in &c.members {
        for p in a
            .manifest
            .generations
            .iter()
            .filter(|g| g.state == State::Previous)
        {
            let lacking: Vec<&Member> = c
                .members
                .iter()
                .filter(|b| b.name != a.name && in_use_with(b, &p.fingerprint).is_none())
                .collect();
            if lacking.is_empty() {
                continue;
            }
            let remaining = expires(p)
                .and_then(|e| e.duration_since(now).ok())
                .unwrap_or(c.policy.overlap);
            let until = p
                .expires
                .as_deref()
                .map_or_else(String::new, |e| format!(", in use until {e}"));
            let names: Vec<String> = lacking.iter().map(|b| b.name.clone()).collect();
            let fixes: Vec<String> = lacking
                .iter()
                .map(|b| match held(b, &p.fingerprint) {
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
                })
                .collect();
            let mut members = vec![a.name.clone()];
            members.extend(names.iter().cloned());
            let mut f = finding(
                "QCD003",
                Severity::Medium,
                &c.name,
                members,
                format!(
                    "{}'s previous generation {} (fingerprint {}{until}) is not in use on {}",
                    a.name,
                    p.id,
                    p.fingerprint,
                    and_list(&names)
                ),
                "Peers that got their tokens from this member before its last rotation cannot detect a crash after a failover until the overlap window ends.",
                format!(
                    "Copy the previous generation for the rest of its window: {}",
                    fixes.join("; ")
                ),
            );
            f.generations = vec![gref(a, p)];
            f.fingerprint = Some(p.fingerprint.clone());
            out.push(f);
        }
    }
    out
}

const WHY_004: &str = "A short or patterned secret can be guessed offline from a single token, and whoever knows it forges tokens that make peers tear down healthy SAs.";

/// QCD004: short or visibly weak secrets.
pub fn qcd004(c: &Cluster) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in &c.members {
        for g in live(m) {
            let bytes = g.secret_bytes.max(c.policy.min_secret_bytes).max(32);
            let fix = if g.state == State::Active {
                format!(
                    "Replace it with a random secret: {}",
                    rotate_same_spec(c, m, &format!("--bytes {bytes}"))
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
        let mut cluster_names: Vec<&str> = Vec::new();
        for (c, _, _) in &holders {
            if !cluster_names.contains(&c.name.as_str()) {
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
                let (c, m, _) = holders.iter().find(|(c, _, _)| c.name == *name)?;
                Some(format!("in {}: {}", c.name, rotate_same_spec(c, m, "")))
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
            format!("Rotate: {}", rotate_same_spec(c, m, "")),
        );
        f.generations = vec![gref(m, g)];
        f.fingerprint = Some(g.fingerprint.clone());
        out.push(f);
    }
    out
}

/// QCD008: tokens bound to the taker address while peers are behind NAT or use MOBIKE.
pub fn qcd008(c: &Cluster) -> Vec<Finding> {
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
                    rotate_fix(
                        c,
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
                    rotate_fix(
                        c,
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
                    rotate_same_spec(c, m, "")
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
