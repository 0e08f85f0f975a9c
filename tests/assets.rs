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
