//! Issue 21 item 6: every command `qcd diagnose` suggests runs. On every
//! capture of tests/data (and of the team's shared collection when it is
//! there), with and without its key table, and for the scenarios with the
//! maker's keyring, each backticked `qcd …` command of the output is taken,
//! its placeholders (words in capitals) and the gateways' own secret paths
//! filled with test files, and run: it must parse (exit 0 or 1, never 2).

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use support::Dir;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            captures(&p, out);
        } else if p.extension().is_some_and(|e| e == "pcap" || e == "pcapng") {
            out.push(p);
        }
    }
}

/// The backticked `qcd …` commands of a diagnose output.
fn commands(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| c.starts_with("qcd "))
        .map(str::to_string)
        .collect()
}

fn private(d: &Dir, name: &str, bytes: &[u8]) -> String {
    let p = d.path(name);
    std::fs::write(&p, bytes).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.display().to_string()
}

#[test]
fn every_suggested_command_parses() {
    let _heavy = support::heavy();
    let d = Dir::new();
    let keyring = private(
        &d,
        "maker.keyring.json",
        &std::fs::read(root().join("scenarios/maker.keyring.json")).unwrap(),
    );
    let rockhopper_secret = private(&d, "qcd_secret", &[7u8; 64]);
    let racoon2_secret = private(&d, "qcd.secret", &[7u8; 32]);
    let any_keys = root()
        .join("scenarios/scenarios.keys")
        .display()
        .to_string();
    let mut caps = Vec::new();
    captures(&root(), &mut caps);
    captures(Path::new("/work/shared/captures"), &mut caps);
    assert!(caps.len() >= 30, "{}", caps.len());
    // A few captures at a time, each in a working directory of its own.
    let counts = support::parallel::parallel(&caps, |cap| {
        let w = Dir::new();
        let (mut suggested, mut runs) = (0, 0);
        let cap_s = cap.display().to_string();
        let table = [
            cap.with_extension("keys"),
            PathBuf::from(format!("{cap_s}.ikev2_decryption_table")),
            root().join("scenarios/scenarios.keys"),
        ]
        .into_iter()
        .find(|t| {
            t.exists()
                && (cap.starts_with(root().join("scenarios")) || !t.ends_with("scenarios.keys"))
        });
        let mut variants: Vec<Vec<String>> = vec![vec![]];
        if let Some(t) = &table {
            variants.push(vec!["--keys".into(), t.display().to_string()]);
        }
        if cap.starts_with(root().join("scenarios")) {
            variants.push(vec!["--keyring".into(), keyring.clone()]);
        }
        for extra in &variants {
            let mut args = vec!["diagnose".to_string(), cap_s.clone()];
            args.extend(extra.iter().cloned());
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = w.run(&argv);
            if out.code == Some(2) {
                // A damaged or foreign capture: nothing is suggested.
                continue;
            }
            for c in commands(&out.stdout) {
                suggested += 1;
                assert!(!c.contains('…'), "{cap_s}: an elided value in `{c}`");
                let words = shlex::split(&c).unwrap_or_else(|| panic!("`{c}` does not split"));
                let filled: Vec<String> = words[1..]
                    .iter()
                    .map(|w| match w.as_str() {
                        "KEYRING" => keyring.clone(),
                        "KEY_TABLE" => any_keys.clone(),
                        "CAPTURE" => cap_s.clone(),
                        "/home/rhpprotected/config/qcd_secret" => rockhopper_secret.clone(),
                        "/var/lib/racoon2/qcd.secret" => racoon2_secret.clone(),
                        w => {
                            assert!(
                                !(w.len() > 2
                                    && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')),
                                "{cap_s}: unfilled placeholder {w} in `{c}`"
                            );
                            w.to_string()
                        }
                    })
                    .collect();
                let argv: Vec<&str> = filled.iter().map(String::as_str).collect();
                let r = w.run(&argv);
                runs += 1;
                assert!(
                    matches!(r.code, Some(0) | Some(1)),
                    "{cap_s} {extra:?}: `{c}` exits {:?}: {}",
                    r.code,
                    r.stderr
                );
            }
        }
        (suggested, runs)
    });
    let suggested: usize = counts.iter().map(|c| c.0).sum();
    let runs: usize = counts.iter().map(|c| c.1).sum();
    // The scenarios' mismatches suggest at least a verify and a diagnose each.
    assert!(suggested >= 6, "{suggested}");
    assert_eq!(suggested, runs);
}
