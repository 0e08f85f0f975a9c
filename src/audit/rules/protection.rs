use super::fix::*;
use super::*;

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
                Fix::new()
                    .text("Replace it with a random secret: ")
                    .then(rotate_same_spec(&cx, m, &format!("--bytes {bytes}")))
            } else {
                Fix::new()
                    .text(format!(
                        "It is no longer active; destroy it once it expires{}: ",
                        g.expires
                            .as_deref()
                            .map_or_else(String::new, |e| format!(" ({e})")),
                    ))
                    .then(on(m, format!("qcd secret prune -k {}", keyring(m))))
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
            on(m, format!("chmod 600 {}", keyring(m))),
        ));
    }
    out
}
