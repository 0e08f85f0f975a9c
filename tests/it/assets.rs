//! Completions and man pages are generated from the clap definition; this test
//! regenerates them and fails when the committed copies differ, naming the fix.

use std::collections::BTreeMap;
use std::path::Path;

fn read_dir_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                files.insert(
                    entry.file_name().to_string_lossy().into_owned(),
                    std::fs::read(entry.path()).unwrap(),
                );
            }
        }
    }
    files
}

#[test]
fn completions_and_man_pages_are_fresh() {
    let tmp = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_qcd"))
        .args(["generate-assets", "--out"])
        .arg(tmp.path())
        .status()
        .unwrap();
    assert!(status.success());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    for sub in ["completions", "man"] {
        let fresh = read_dir_files(&tmp.path().join(sub));
        let committed = read_dir_files(&root.join(sub));
        assert!(
            !fresh.is_empty(),
            "generate-assets wrote nothing into {sub}/"
        );
        for (name, bytes) in &fresh {
            if committed.get(name) != Some(bytes) {
                stale.push(format!("{sub}/{name}"));
            }
        }
        for name in committed.keys() {
            if !fresh.contains_key(name) {
                stale.push(format!("{sub}/{name} (no longer generated)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}\nfix: rm -rf completions man && cargo run -- generate-assets --out . && git add completions man"
    );
}

/// Completions offer the values an option takes (profile names, targets,
/// formats), never file names for them.
#[test]
fn completions_offer_values_not_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bash = std::fs::read_to_string(root.join("completions/qcd.bash")).unwrap();
    for (option, values) in [
        (
            "--profile",
            "hmac-sha256 hmac-sha512 hmac-sha1 sha256-concat",
        ),
        ("--for", "rockhopper racoon2"),
        ("--format", "raw hex base64"),
        ("--secret-format", "raw hex base64"),
        ("--taker", "rockhopper racoon2 rfc"),
    ] {
        let case = format!("{option})\n                    COMPREPLY=($(compgen -W \"{values}\"");
        assert!(
            bash.contains(&case),
            "bash completion of {option} does not offer {values}"
        );
        let files = format!("{option})\n                    COMPREPLY=($(compgen -f");
        assert!(
            !bash.contains(&files),
            "bash completes {option} with file names"
        );
    }
}

/// The usage line of `token derive` shows where the secret comes from as
/// alternatives, and global options have their own help section.
#[test]
fn help_shows_alternatives_and_global_options_apart() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_qcd"))
        .args(["token", "derive", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(
        help.contains("Usage: qcd token derive [OPTIONS] <--keyring <PATH>|--secret-file <FILE>>"),
        "{help}"
    );
    let global = help
        .split("Global options:")
        .nth(1)
        .expect("a Global options section");
    for flag in ["--json", "--quiet", "--color <WHEN>"] {
        assert!(
            global.contains(flag),
            "{flag} not under Global options:\n{help}"
        );
    }
    let options = help.split("Global options:").next().unwrap();
    assert!(!options.contains("--color"), "{help}");
    for values in ["hmac-sha256", "rockhopper", "raw"] {
        assert!(options.contains(values), "{values} not listed:\n{help}");
    }
}
