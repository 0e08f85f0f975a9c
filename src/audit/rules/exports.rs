use super::fix::*;
use super::*;

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
                on(
                    m,
                    format!(
                        "qcd secret export -k {} --for {} --out {} --on-change '{}'",
                        keyring(m),
                        target,
                        e.file,
                        target.restart_command()
                    ),
                )
                .text(" (it writes the active generation and restarts the daemon, and records the restart for this audit)"),
            );
            f.generations = vec![gref(m, g)];
            f.fingerprint = Some(e.fingerprint.clone());
            out.push(f);
        }
    }
    out
}
