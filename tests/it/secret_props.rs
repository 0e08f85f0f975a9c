//! Property test of the secret operations: random sequences of generate,
//! rotate, import, prune, derive and export (through `qcd::secret::ops`),
//! runs of the `qcd` binary killed at the store's fault points, and
//! concurrent writers. After every step:
//!
//! - the keyring loads;
//! - generation ids are unique and increasing in file order;
//! - exactly one generation is active;
//! - no destroyed secret survives, in the keyring nor in any file left
//!   beside it (temporary files of killed writers, the lock file).

use crate::support;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use proptest::prelude::*;

use qcd::encoding::{encode_base64, ByteFormat};
use qcd::secret::ops::{self, Placement, SpecRequest};
use qcd::secret::store::{self, LoadOptions};
use qcd::secret::{fingerprint, State};
use qcd::secretmem::SecretBytes;
use qcd::timefmt;

#[derive(Debug, Clone)]
enum Step {
    /// The clock moves on by this many minutes.
    Advance(u64),
    Rotate {
        overlap_min: u64,
        if_older_min: Option<u64>,
    },
    Import {
        seed: u8,
        previous: bool,
        overlap_min: u64,
    },
    Prune,
    Derive {
        member: u8,
    },
    Export {
        generation: Option<u32>,
        format: u8,
    },
    /// `qcd secret OP` killed at a fault point.
    Kill {
        op: u8,
        point: u8,
    },
    /// Several rotations and imports at once, from threads.
    Concurrent {
        writers: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u64..3000).prop_map(Step::Advance),
        3 => (0u64..600, proptest::option::of(0u64..600))
            .prop_map(|(overlap_min, if_older_min)| Step::Rotate { overlap_min, if_older_min }),
        2 => (0u8..6, any::<bool>(), 0u64..600)
            .prop_map(|(seed, previous, overlap_min)| Step::Import { seed, previous, overlap_min }),
        3 => Just(Step::Prune),
        1 => (0u8..3).prop_map(|member| Step::Derive { member }),
        1 => (proptest::option::of(1u32..8), 0u8..3)
            .prop_map(|(generation, format)| Step::Export { generation, format }),
        2 => (0u8..3, 0u8..4).prop_map(|(op, point)| Step::Kill { op, point }),
        1 => (2u8..5).prop_map(|writers| Step::Concurrent { writers }),
    ]
}

const POINTS: [&str; 4] = ["after-create", "mid-write", "before-rename", "after-rename"];

struct World {
    _tmp: tempfile::TempDir,
    /// Holds the keyring under test, and nothing else.
    dir: PathBuf,
    keyring: PathBuf,
    root: PathBuf,
    out: PathBuf,
    now: SystemTime,
    /// Every secret seen, by fingerprint.
    seen: HashMap<String, Vec<u8>>,
    /// Secrets of generations seen destroyed.
    destroyed: HashSet<Vec<u8>>,
}

fn opts() -> LoadOptions {
    LoadOptions::default()
}

fn imported_secret(seed: u8) -> SecretBytes {
    SecretBytes::new(
        (0u8..32)
            .map(|i| i.wrapping_mul(29) ^ seed.wrapping_mul(83) ^ 0xa5)
            .collect(),
    )
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ring");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&dir).unwrap();
        std::fs::create_dir(&elsewhere).unwrap();
        let now = timefmt::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let root = elsewhere.join("root.json");
        for path in [&dir.join("k.json"), &root] {
            ops::generate(
                &ops::GenerateRequest {
                    keyring: path.clone(),
                    bytes: Some(32),
                    spec: SpecRequest::default(),
                    force: false,
                    target: None,
                },
                now,
            )
            .unwrap();
        }
        World {
            keyring: dir.join("k.json"),
            out: elsewhere.join("daemon.key"),
            root,
            dir,
            _tmp: tmp,
            now,
            seen: HashMap::new(),
            destroyed: HashSet::new(),
        }
    }

    fn rotate(&self, overlap_min: u64, if_older_min: Option<u64>) {
        ops::rotate(
            &ops::RotateRequest {
                keyring: self.keyring.clone(),
                load: opts(),
                overlap: Some(Duration::from_secs(overlap_min * 60)),
                if_older_than: if_older_min.map(|m| Duration::from_secs(m * 60)),
                dry_run: false,
                bytes: None,
                spec: SpecRequest::default(),
                target: None,
            },
            self.now,
        )
        .unwrap();
    }

    fn import(&self, seed: u8, previous: bool, overlap_min: u64) {
        ops::import(
            &ops::ImportRequest {
                keyring: self.keyring.clone(),
                load: opts(),
                secret: imported_secret(seed),
                source: "test".into(),
                placement: if previous {
                    Placement::Previous
                } else {
                    Placement::Active
                },
                overlap: Some(Duration::from_secs(overlap_min * 60)),
                spec: SpecRequest::default(),
                allow_weak: false,
                target: None,
            },
            self.now,
        )
        .unwrap();
    }

    fn apply(&mut self, step: &Step) {
        match *step {
            Step::Advance(min) => self.now += Duration::from_secs(min * 60),
            Step::Rotate {
                overlap_min,
                if_older_min,
            } => self.rotate(overlap_min, if_older_min),
            Step::Import {
                seed,
                previous,
                overlap_min,
            } => self.import(seed, previous, overlap_min),
            Step::Prune => {
                let before = store::load(&self.keyring, &opts()).unwrap();
                let expired = before.expired_at(self.now);
                let done = ops::prune(
                    &ops::PruneRequest {
                        keyring: self.keyring.clone(),
                        load: opts(),
                        dry_run: false,
                    },
                    self.now,
                )
                .unwrap();
                assert_eq!(done.destroyed, expired);
            }
            Step::Derive { member } => {
                // A keyring holds one member's derived secrets: deriving
                // another member into it is refused, and changes nothing.
                let r = ops::derive(
                    &ops::DeriveRequest {
                        root: self.root.clone(),
                        member: format!("gw{member}"),
                        keyring: self.keyring.clone(),
                        load: opts(),
                        overlap: Duration::from_secs(3600),
                        force: false,
                    },
                    self.now,
                );
                if let Err(e) = r {
                    assert!(
                        e.to_string().contains("holds secrets derived for member"),
                        "{e}"
                    );
                }
            }
            Step::Export { generation, format } => {
                let k = store::load(&self.keyring, &opts()).unwrap();
                let format =
                    [ByteFormat::Raw, ByteFormat::Hex, ByteFormat::Base64][usize::from(format)];
                let r = ops::export(
                    &ops::ExportRequest {
                        keyring: self.keyring.clone(),
                        load: opts(),
                        generation,
                        format: Some(format),
                        out: Some(self.out.clone()),
                        force: true,
                        target: None,
                        owner: None,
                        on_change: None,
                    },
                    self.now,
                );
                let g = match generation {
                    None => Some(k.active()),
                    Some(id) => k.generation(id),
                };
                match (g, r) {
                    (Some(g), Ok(_)) => {
                        let secret = g.secret().expect("exported secrets exist");
                        let want = ops::encode_secret(secret, format);
                        assert_eq!(std::fs::read(&self.out).unwrap(), &want[..]);
                    }
                    (Some(g), Err(e)) => {
                        assert!(g.secret().is_none(), "{e}");
                        assert!(e.to_string().contains("destroyed"), "{e}");
                    }
                    (None, Err(e)) => assert!(e.to_string().contains("no generation"), "{e}"),
                    (None, Ok(_)) => panic!("exported a generation that does not exist"),
                }
            }
            Step::Kill { op, point } => {
                let args: &[&str] = match op {
                    0 => &["secret", "rotate", "--overlap", "30m"],
                    1 => &["secret", "prune"],
                    _ => &["secret", "import", "--format", "hex", "--in", "-"],
                };
                let hex = hex::encode(imported_secret(op.wrapping_add(point)).expose());
                let mut child = Command::new(env!("CARGO_BIN_EXE_qcd"))
                    .args(args)
                    .arg("--keyring")
                    .arg(&self.keyring)
                    .env("QCD_NOW", timefmt::format_rfc3339(self.now))
                    .env("QCD_TEST_FAULT", POINTS[usize::from(point)])
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                use std::io::Write;
                let _ = child.stdin.take().unwrap().write_all(hex.as_bytes());
                let status = child.wait().unwrap();
                // It died at the point, or wrote nothing (prune with nothing to do).
                assert!(status.code().is_none() || status.success(), "{status:?}");
            }
            Step::Concurrent { writers } => {
                let before = store::load(&self.keyring, &opts())
                    .unwrap()
                    .generations()
                    .len();
                std::thread::scope(|s| {
                    for i in 0..writers {
                        let world = &*self;
                        s.spawn(move || {
                            if i % 2 == 0 {
                                world.rotate(30, None);
                            } else {
                                world.import(100 + i, false, 30);
                            }
                        });
                    }
                });
                let after = store::load(&self.keyring, &opts())
                    .unwrap()
                    .generations()
                    .len();
                // imports of a secret already present add nothing
                let imports = usize::from(writers / 2);
                let rotations = usize::from(writers) - imports;
                assert!(after >= before + rotations && after <= before + usize::from(writers));
            }
        }
    }

    /// The invariants, checked after every step.
    fn check(&mut self, step: &Step) {
        let k = store::load(&self.keyring, &opts())
            .unwrap_or_else(|e| panic!("after {step:?}, the keyring does not load: {e}"));
        let ids: Vec<u32> = k.generations().iter().map(|g| g.id).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "after {step:?}: ids not increasing: {ids:?}"
        );
        let active = k
            .generations()
            .iter()
            .filter(|g| g.state_at(self.now) == State::Active)
            .count();
        assert_eq!(active, 1, "after {step:?}");
        for g in k.generations() {
            match g.secret() {
                Some(s) => {
                    assert_eq!(fingerprint(s.expose()), g.fingerprint);
                    self.seen.insert(g.fingerprint.clone(), s.expose().to_vec());
                }
                None => {
                    if let Some(s) = self.seen.get(&g.fingerprint) {
                        self.destroyed.insert(s.clone());
                    }
                }
            }
        }
        for entry in std::fs::read_dir(&self.dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for s in &self.destroyed {
                let b64 = encode_base64(s);
                assert!(
                    !text.contains(&b64) && !contains(&bytes, s),
                    "after {step:?}: a destroyed secret survives in {}",
                    path.display()
                );
            }
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn secret_operations_keep_the_keyring_sound(steps in proptest::collection::vec(step(), 1..24)) {
        let _heavy = support::heavy();
        let mut w = World::new();
        w.check(&Step::Advance(0));
        for s in &steps {
            w.apply(s);
            w.check(s);
        }
        // Whatever killed writers left, the next write cleans up.
        w.rotate(0, None);
        w.check(&Step::Rotate { overlap_min: 0, if_older_min: None });
        // Besides the keyring and its lock: the exports record (no secret)
        // and its lock, and the export lock (beside the keyring, not the
        // exported file).
        let names: Vec<String> = file_names(&w.dir)
            .into_iter()
            .filter(|n| !n.starts_with("k.json.exports") && n != "k.json.export.lock")
            .collect();
        prop_assert_eq!(names, vec!["k.json".to_string(), "k.json.lock".to_string()]);
    }
}
