//! Fuzzes the secret operations (`qcd::secret::ops`) on fuzzed keyring
//! files. Input: one byte choosing four operations (rotate, import,
//! prune, derive-into), one byte choosing the clock, then the keyring file.
//!
//! Whatever the file: no operation panics; an operation that fails leaves
//! the file byte for byte as it was; one that succeeds leaves a file that
//! loads; a file that does not load makes every operation fail; and no
//! temporary file is left behind.
#![no_main]

use std::path::Path;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use qcd::secret::ops::{self, Placement, SpecRequest};
use qcd::secret::store::{self, LoadOptions};
use qcd::secretmem::SecretBytes;

/// "now" for the run: ordinary days, and the edge of what qcd can store.
const CLOCKS: [&str; 4] = [
    "2026-01-01T00:00:00Z",
    "2026-06-01T00:00:00Z",
    "2030-01-01T00:00:00Z",
    "9999-12-31T23:00:00Z",
];

fn scratch() -> tempfile::TempDir {
    // tmpfs where there is one: fsync costs nothing there
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().expect("a temporary directory")
}

fn stray_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("the scratch directory is readable")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n != "k.json" && n != "k.json.lock")
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (choice, clock, file) = (data[0], data[1], &data[2..]);
    let now = qcd::timefmt::parse_rfc3339(CLOCKS[usize::from(clock % 4)]).expect("a valid clock");
    let tmp = scratch();
    let ring = tmp.path().join("ring");
    let other = tmp.path().join("other");
    std::fs::create_dir(&ring).expect("mkdir");
    std::fs::create_dir(&other).expect("mkdir");
    let path = ring.join("k.json");
    std::fs::write(&path, file).expect("write the keyring");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let root = other.join("root.json");
    ops::generate(
        &ops::GenerateRequest {
            keyring: root.clone(),
            bytes: Some(32),
            spec: SpecRequest::default(),
            force: false,
            target: None,
        },
        now,
    )
    .expect("a root keyring");
    let opts = LoadOptions::default();
    let loads_at_first = store::load(&path, &opts).is_ok();
    let overlap = Duration::from_secs(u64::from(clock) * 3600);
    for i in 0..4 {
        let before = std::fs::read(&path).expect("the keyring is still there");
        let result = match (choice >> (2 * i)) & 3 {
            0 => ops::rotate(
                &ops::RotateRequest {
                    keyring: path.clone(),
                    load: opts,
                    overlap: Some(overlap),
                    if_older_than: None,
                    dry_run: false,
                    bytes: None,
                    spec: SpecRequest::default(),
                    target: None,
                },
                now,
            )
            .map(|_| ()),
            1 => ops::import(
                &ops::ImportRequest {
                    keyring: path.clone(),
                    load: opts,
                    secret: SecretBytes::new(vec![clock ^ 0x5c; 32 + i]),
                    source: "fuzz".into(),
                    placement: if clock & 1 == 0 {
                        Placement::Active
                    } else {
                        Placement::Previous
                    },
                    overlap: Some(overlap),
                    spec: SpecRequest::default(),
                    allow_weak: true,
                    target: None,
                },
                now,
            )
            .map(|_| ()),
            2 => ops::prune(
                &ops::PruneRequest {
                    keyring: path.clone(),
                    load: opts,
                    dry_run: false,
                },
                now,
            )
            .map(|_| ()),
            _ => ops::derive(
                &ops::DeriveRequest {
                    root: root.clone(),
                    member: format!("gw{i}"),
                    keyring: path.clone(),
                    load: opts,
                    overlap,
                    force: false,
                },
                now,
            )
            .map(|_| ()),
        };
        let after = std::fs::read(&path).expect("the keyring is still there");
        match result {
            Ok(()) => {
                assert!(
                    loads_at_first,
                    "an operation succeeded on a keyring that does not load"
                );
                if let Err(e) = store::load(&path, &opts) {
                    panic!("a successful operation wrote a keyring that does not load: {e}");
                }
            }
            Err(_) => assert!(after == before, "a failed operation changed the file"),
        }
        let stray = stray_files(&ring);
        assert!(stray.is_empty(), "files left beside the keyring: {stray:?}");
    }
});
