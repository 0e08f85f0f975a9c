use super::fix::*;
use super::*;

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
            Fix::new()
                .text("Rotate: ")
                .then(rotate_same_spec(&cx, m, "")),
        );
        f.generations = vec![gref(m, g)];
        f.fingerprint = Some(g.fingerprint.clone());
        out.push(f);
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
            on(m, format!("qcd secret prune -k {}", keyring(m))),
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
                Fix::new()
                    .text("Rotate now, and from then on on a schedule, on one member only: ")
                    .then(rotate_same_spec(&cx, m, ""))
            } else {
                Fix::new()
                    .text("Rotate on a schedule, e.g. from a daily timer: ")
                    .then(on(
                        m,
                        format!(
                            "qcd secret rotate -k {} --if-older-than {} --overlap {}",
                            keyring(m),
                            short_duration(c.policy.max_age),
                            short_duration(c.policy.overlap)
                        ),
                    ))
            },
        );
        f.generations = vec![gref(m, g)];
        f.fingerprint = Some(g.fingerprint.clone());
        out.push(f);
    }
    out
}
