//! Secrets never reach the wrong place, keyrings never tear, nothing hangs
//! or panics: regression tests for the hardening of `qcd secret` (issue 12,
//! items 1, 2, 4–7, 9–13), run as a user would run the binary.
//!
//! Some checks need a file owned by another user. As root (the CI sandbox)
//! the tests `chown` their own files to another uid; as another user they
//! use a root-owned system file, so every test checks something real either way.

use crate::support;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{mode_of, Dir, Run};

const OTHER_UID: u32 = 4242;
const SPI: &str = "0123456789abcdef";

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn gen(d: &Dir, name: &str) {
    d.run(&["secret", "generate", "-k", name]).ok();
}

fn loads(d: &Dir, name: &str) -> serde_json::Value {
    d.run(&["secret", "list", "-k", name, "--json"]).ok().json()
}

fn ids(d: &Dir, name: &str) -> Vec<u64> {
    loads(d, name)["generations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_u64().unwrap())
        .collect()
}

fn export_hex(d: &Dir, name: &str) -> String {
    d.run(&["secret", "export", "-k", name, "--format", "hex"])
        .ok()
        .stdout
}

fn write_private(d: &Dir, name: &str, bytes: &[u8]) {
    fs::write(d.path(name), bytes).unwrap();
    fs::set_permissions(d.path(name), fs::Permissions::from_mode(0o600)).unwrap();
}

fn mkfifo(p: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        p,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
}

/// Runs `cmd` and fails the test if it does not finish within 10 s (it hung).
fn run_bounded(mut cmd: Command) -> Run {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Run::from(child.wait_with_output().unwrap());
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{cmd:?} hung for 10 s; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn run_quick(d: &Dir, args: &[&str]) -> Run {
    run_bounded(d.cmd(args))
}

// ------------------------------------------------------------------ item 1

#[test]
fn keyrings_and_secret_files_of_other_users_are_refused() {
    let d = Dir::new();
    gen(&d, "k.json");
    let secret_hex = export_hex(&d, "k.json");
    write_private(&d, "s.hex", secret_hex.as_bytes());
    let (keyring, secret_file, owner) = if is_root() {
        gen(&d, "theirs.json");
        for f in ["theirs.json", "s.hex"] {
            std::os::unix::fs::chown(d.path(f), Some(OTHER_UID), None).unwrap();
        }
        ("theirs.json".to_string(), "s.hex".to_string(), OTHER_UID)
    } else {
        // a root-owned file: refused for its owner before anything else
        ("/etc/passwd".to_string(), "/etc/passwd".to_string(), 0)
    };
    let before = fs::read(d.path(&keyring)).unwrap();
    let owned_by = format!("owned by uid {owner}");
    for args in [
        vec!["secret", "list", "-k", &keyring],
        vec!["secret", "rotate", "-k", &keyring],
        vec!["secret", "prune", "-k", &keyring],
        vec!["secret", "export", "-k", &keyring, "--format", "hex"],
        vec![
            "secret", "import", "-k", &keyring, "--format", "hex", "--in", "s.hex",
        ],
        vec![
            "secret", "derive", "--root", &keyring, "--member", "gw1", "-k", "m.json",
        ],
        vec![
            "token", "derive", "-k", &keyring, "--spi-i", SPI, "--spi-r", SPI,
        ],
    ] {
        d.run(&args)
            .code(2)
            .stderr_has(&owned_by)
            .stderr_has("not by you")
            .stderr_has("Run qcd as its owner");
    }
    assert_eq!(fs::read(d.path(&keyring)).unwrap(), before);
    assert!(!d.path("m.json").exists());
    for args in [
        vec![
            "secret",
            "import",
            "-k",
            "k.json",
            "--format",
            "hex",
            "--in",
            &secret_file,
        ],
        vec![
            "token",
            "derive",
            "--secret-file",
            &secret_file,
            "--secret-format",
            "hex",
            "--spi-i",
            SPI,
            "--spi-r",
            SPI,
        ],
    ] {
        d.run(&args).code(2).stderr_has(&owned_by);
    }
    assert_eq!(ids(&d, "k.json"), vec![1]);
}

#[test]
fn a_symlink_to_someone_elses_keyring_is_not_written() {
    let d = Dir::new();
    fs::create_dir(d.path("other")).unwrap();
    gen(&d, "other/k.json");
    std::os::unix::fs::symlink("other/k.json", d.path("k.json")).unwrap();
    if is_root() {
        std::os::unix::fs::chown(d.path("other/k.json"), Some(OTHER_UID), None).unwrap();
        let before = fs::read(d.path("other/k.json")).unwrap();
        for args in [
            vec!["secret", "rotate", "-k", "k.json"],
            vec!["secret", "generate", "-k", "k.json", "--force"],
            vec!["secret", "import", "-k", "k.json", "--format", "hex"],
        ] {
            d.run_stdin(
                &args,
                "367e8a829525e69beecbc93c8672a1b785b84c528c5405233eac0e2a8c68c3ce"
                    .to_string()
                    .as_bytes(),
            )
            .code(2)
            .stderr_has(&format!("owned by uid {OTHER_UID}"));
        }
        assert_eq!(fs::read(d.path("other/k.json")).unwrap(), before);
        assert_eq!(
            fs::metadata(d.path("other/k.json")).unwrap().uid(),
            OTHER_UID
        );
        // a link planted by another user is not followed for a write
        std::os::unix::fs::chown(d.path("other/k.json"), Some(0), None).unwrap();
        std::os::unix::fs::lchown(d.path("k.json"), Some(OTHER_UID), None).unwrap();
        d.run(&["secret", "rotate", "-k", "k.json"])
            .code(2)
            .stderr_has(&format!("belongs to uid {OTHER_UID}"));
        assert_eq!(fs::read(d.path("other/k.json")).unwrap(), before);
    } else {
        let ours = d.path("mine.json");
        std::os::unix::fs::symlink("/etc/passwd", &ours).unwrap();
        d.run(&["secret", "rotate", "-k", "mine.json"])
            .code(2)
            .stderr_has("owned by uid 0");
    }
}

#[test]
fn a_symlinked_keyring_stays_a_link_and_its_target_is_written() {
    let d = Dir::new();
    fs::create_dir(d.path("real")).unwrap();
    gen(&d, "real/k.json");
    std::os::unix::fs::symlink("real/k.json", d.path("k.json")).unwrap();
    for args in [
        vec!["secret", "rotate", "-k", "k.json"],
        vec!["secret", "prune", "-k", "k.json"],
    ] {
        d.run(&args).ok();
        let m = fs::symlink_metadata(d.path("k.json")).unwrap();
        assert!(m.file_type().is_symlink(), "{args:?} replaced the link");
    }
    assert_eq!(ids(&d, "real/k.json"), vec![1, 2]);
    assert_eq!(mode_of(&d.path("real/k.json")), 0o600);
    // the lock sits beside the real file, shared by both names
    assert!(d.path("real/k.json.lock").exists());
    assert!(!d.path("k.json.lock").exists());
    // an exported secret reached through a link: the same
    std::os::unix::fs::symlink("real/daemon.key", d.path("daemon.key")).unwrap();
    d.run(&[
        "secret",
        "export",
        "-k",
        "k.json",
        "--format",
        "hex",
        "--out",
        "daemon.key",
    ])
    .ok();
    assert!(fs::symlink_metadata(d.path("daemon.key"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(d.path("real/daemon.key")).unwrap(),
        export_hex(&d, "k.json")
    );
}

#[test]
fn keyrings_in_directories_others_can_write_are_refused_unless_sticky() {
    let d = Dir::new();
    fs::create_dir(d.path("open")).unwrap();
    fs::set_permissions(d.path("open"), fs::Permissions::from_mode(0o777)).unwrap();
    d.run(&["secret", "generate", "-k", "open/k.json"])
        .code(2)
        .stderr_has("writable by group or others")
        .stderr_has("chmod go-w");
    assert!(!d.path("open/k.json").exists());
    gen(&d, "k.json");
    fs::rename(d.path("k.json"), d.path("open/k.json")).unwrap();
    write_private(
        &d,
        "open/s.hex",
        "367e8a829525e69beecbc93c8672a1b785b84c528c5405233eac0e2a8c68c3ce"
            .to_string()
            .as_bytes(),
    );
    for args in [
        vec!["secret", "list", "-k", "open/k.json"],
        vec!["secret", "rotate", "-k", "open/k.json"],
        vec![
            "secret",
            "import",
            "-k",
            "x.json",
            "--format",
            "hex",
            "--in",
            "open/s.hex",
        ],
    ] {
        d.run(&args)
            .code(2)
            .stderr_has("writable by group or others (owner uid")
            .stderr_has("mode 0777");
    }
    // sticky, like /tmp: only a file's owner may rename or remove it
    fs::set_permissions(d.path("open"), fs::Permissions::from_mode(0o1777)).unwrap();
    d.run(&["secret", "rotate", "-k", "open/k.json"]).ok();
    d.run(&[
        "secret",
        "import",
        "-k",
        "x.json",
        "--format",
        "hex",
        "--in",
        "open/s.hex",
    ])
    .ok();
    // a missing directory is named as such, not as a missing keyring
    d.run(&["secret", "generate", "-k", "nodir/k.json"])
        .code(2)
        .stderr_has("the directory nodir does not exist");
    d.run(&[
        "secret",
        "import",
        "-k",
        "no/dir/k.json",
        "--format",
        "hex",
        "--in",
        "open/s.hex",
    ])
    .code(2)
    .stderr_has("does not exist: create it first");
    // group-writable is no better than world-writable
    fs::set_permissions(d.path("open"), fs::Permissions::from_mode(0o770)).unwrap();
    d.run(&["secret", "list", "-k", "open/k.json"]).code(2);
}

// ------------------------------------------------------------------ item 2

#[test]
fn a_symlink_planted_at_the_lock_file_is_not_followed() {
    let d = Dir::new();
    gen(&d, "k.json");
    fs::remove_file(d.path("k.json.lock")).unwrap();
    // a link to a file that does not exist: must not be created
    std::os::unix::fs::symlink("victim", d.path("k.json.lock")).unwrap();
    run_quick(&d, &["secret", "rotate", "-k", "k.json"])
        .code(2)
        .stderr_has("k.json.lock is a symbolic link");
    assert!(!d.path("victim").exists());
    // a link to an existing file: must not be truncated
    write_private(&d, "victim", b"precious");
    run_quick(&d, &["secret", "prune", "-k", "k.json"]).code(2);
    assert_eq!(fs::read(d.path("victim")).unwrap(), b"precious");
    assert_eq!(ids(&d, "k.json"), vec![1]);
    // a FIFO there: refused at once, no hang
    fs::remove_file(d.path("k.json.lock")).unwrap();
    mkfifo(&d.path("k.json.lock"));
    run_quick(&d, &["secret", "rotate", "-k", "k.json"])
        .code(2)
        .stderr_has("not a regular file");
    assert_eq!(ids(&d, "k.json"), vec![1]);
}

// ------------------------------------------------------------------ item 4

#[test]
fn export_onto_a_loose_file_holding_the_secret_fixes_its_mode() {
    let d = Dir::new();
    gen(&d, "k.json");
    let args = [
        "secret",
        "export",
        "-k",
        "k.json",
        "--format",
        "hex",
        "--out",
        "daemon.key",
    ];
    d.run(&args).ok();
    fs::set_permissions(d.path("daemon.key"), fs::Permissions::from_mode(0o644)).unwrap();
    d.run(&args)
        .ok()
        .stdout_has("but its mode was 0644: rewrote it with mode 0600");
    assert_eq!(mode_of(&d.path("daemon.key")), 0o600);
    fs::set_permissions(d.path("daemon.key"), fs::Permissions::from_mode(0o640)).unwrap();
    let mut json = args.to_vec();
    json.push("--json");
    let j = d.run(&json).ok().json();
    assert_eq!(j["changed"], false);
    assert_eq!(j["fixed_mode"], "0640");
    assert_eq!(mode_of(&d.path("daemon.key")), 0o600);
    let j = d.run(&json).ok().json();
    assert_eq!(j["fixed_mode"], serde_json::Value::Null);
    assert_eq!(
        fs::read_to_string(d.path("daemon.key")).unwrap(),
        export_hex(&d, "k.json")
    );
}

// ------------------------------------------------------------------ item 5

#[test]
fn a_running_qcd_cannot_dump_core() {
    let d = Dir::new();
    // Give the child a core limit to lose: raise our soft limit to the hard one.
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let ours = getrlimit(Resource::Core);
    let testable = ours.maximum != Some(0);
    if testable {
        setrlimit(
            Resource::Core,
            Rlimit {
                current: ours.maximum,
                maximum: ours.maximum,
            },
        )
        .unwrap();
    } else {
        eprintln!("note: the hard core limit is already 0 here; only the soft limit is checked");
    }
    // `import` blocks reading stdin: look at the live process meanwhile.
    let mut child = d
        .cmd(&["secret", "import", "-k", "k.json", "--format", "hex"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let limits = format!("/proc/{}/limits", child.id());
    let start = Instant::now();
    let core = loop {
        let text = fs::read_to_string(&limits).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap()
            .to_string();
        let zeros = line.split_whitespace().filter(|w| *w == "0").count();
        if zeros == 2 || start.elapsed() > Duration::from_secs(10) {
            break line;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    drop(child.stdin.take());
    child.wait().unwrap();
    assert_eq!(
        core.split_whitespace().filter(|w| *w == "0").count(),
        2,
        "soft and hard core limits should be 0: {core}"
    );
}

// ------------------------------------------------------------------ item 6

#[test]
fn hard_linked_keyrings_and_exports_are_not_replaced() {
    let d = Dir::new();
    gen(&d, "k.json");
    d.run(&["secret", "rotate", "-k", "k.json", "--overlap", "1s"])
        .ok();
    fs::hard_link(d.path("k.json"), d.path("backup.json")).unwrap();
    let before = fs::read(d.path("k.json")).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    for args in [
        vec!["secret", "prune", "-k", "k.json"],
        vec!["secret", "rotate", "-k", "k.json"],
        vec!["secret", "generate", "-k", "k.json", "--force"],
    ] {
        d.run(&args)
            .code(2)
            .stderr_has("has 2 hard links")
            .stderr_has("find / -xdev -samefile");
    }
    // the destroyed secret would have stayed readable through backup.json
    assert_eq!(fs::read(d.path("k.json")).unwrap(), before);
    fs::remove_file(d.path("backup.json")).unwrap();
    let j = d
        .run(&["secret", "prune", "-k", "k.json", "--json"])
        .ok()
        .json();
    assert_eq!(j["destroyed"], serde_json::json!([1]));
    // exports
    let out = [
        "secret", "export", "-k", "k.json", "--format", "hex", "--out", "d.key", "--force",
    ];
    d.run(&out).ok();
    fs::hard_link(d.path("d.key"), d.path("d2.key")).unwrap();
    d.run(&["secret", "rotate", "-k", "k.json"]).ok();
    d.run(&out).code(2).stderr_has("has 2 hard links");
}

// ------------------------------------------------------------------ item 7

fn temps(d: &Dir) -> Vec<String> {
    fs::read_dir(d.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".qcd-tmp"))
        .collect()
}

#[test]
fn temp_files_of_a_killed_export_are_removed_by_the_next_export() {
    let d = Dir::new();
    gen(&d, "k.json");
    let args = [
        "secret", "export", "-k", "k.json", "--format", "hex", "--out", "d.key",
    ];
    for point in ["after-create", "mid-write", "before-rename"] {
        let out = d.cmd(&args).env("QCD_TEST_FAULT", point).output().unwrap();
        assert_eq!(out.status.code(), None, "{point}: expected death by signal");
        let left = temps(&d);
        assert_eq!(left.len(), 1, "{point}: {left:?}");
        assert!(left[0].starts_with(".d.key."), "{left:?}");
        assert!(!d.path("d.key").exists(), "{point}");
        d.run(&args).ok();
        assert!(temps(&d).is_empty(), "{point}: {:?}", temps(&d));
        assert_eq!(mode_of(&d.path("d.key")), 0o600);
        fs::remove_file(d.path("d.key")).unwrap();
    }
}

// ------------------------------------------------------------------ item 9

/// A keyring whose only generation has id `id`, made by editing a real one.
fn keyring_with_id(d: &Dir, name: &str, id: u64) {
    gen(d, name);
    let mut v: serde_json::Value = serde_json::from_slice(&d.read(name)).unwrap();
    v["generations"][0]["id"] = id.into();
    write_private(d, name, v.to_string().as_bytes());
}

#[test]
fn the_last_generation_id_is_refused_clearly_and_nothing_is_written() {
    let d = Dir::new();
    keyring_with_id(&d, "k.json", u32::MAX as u64);
    gen(&d, "root.json");
    write_private(
        &d,
        "s.hex",
        "e03039ba5c30f9638ae76ff89082343e2d8e8f3c0e52d23a2fd9f556c5e99ef8"
            .to_string()
            .as_bytes(),
    );
    let before = d.read("k.json");
    for args in [
        vec!["secret", "rotate", "-k", "k.json"],
        vec!["secret", "rotate", "-k", "k.json", "--dry-run"],
        vec![
            "secret", "import", "-k", "k.json", "--format", "hex", "--in", "s.hex",
        ],
        vec![
            "secret", "import", "-k", "k.json", "--format", "hex", "--in", "s.hex", "--as",
            "previous",
        ],
        vec![
            "secret",
            "derive",
            "--root",
            "root.json",
            "--member",
            "gw1",
            "-k",
            "k.json",
        ],
    ] {
        d.run(&args)
            .code(2)
            .stderr_has("generation ids are exhausted")
            .stderr_has("4294967295");
        assert_eq!(d.read("k.json"), before, "{args:?}");
        assert_eq!(ids(&d, "k.json"), vec![u32::MAX as u64]);
    }
    // one below the limit: the last id is given out, then refused
    keyring_with_id(&d, "k2.json", u32::MAX as u64 - 1);
    d.run(&["secret", "rotate", "-k", "k2.json"]).ok();
    assert_eq!(
        ids(&d, "k2.json"),
        vec![u32::MAX as u64 - 1, u32::MAX as u64]
    );
    d.run(&["secret", "rotate", "-k", "k2.json"]).code(2);
}

#[test]
fn every_write_path_leaves_a_keyring_that_loads() {
    let d = Dir::new();
    write_private(
        &d,
        "s.hex",
        "ebdfd53083f2c978e6fa2249fa88e109".to_string().as_bytes(),
    );
    write_private(
        &d,
        "s2.hex",
        "cfd80ab1bcf186b69a6015f08330c63211629f0c0090b7803a114a6500758087"
            .to_string()
            .as_bytes(),
    );
    let steps: Vec<Vec<&str>> = vec![
        vec!["secret", "generate", "-k", "k.json"],
        vec![
            "secret", "generate", "-k", "k.json", "--force", "--bytes", "64",
        ],
        vec!["secret", "rotate", "-k", "k.json", "--overlap", "0s"],
        vec![
            "secret",
            "rotate",
            "-k",
            "k.json",
            "--profile",
            "hmac-sha1",
            "--bind-taker-addr",
        ],
        vec![
            "secret", "import", "-k", "k.json", "--format", "hex", "--in", "s.hex",
        ],
        vec![
            "secret",
            "import",
            "-k",
            "k.json",
            "--format",
            "hex",
            "--in",
            "s2.hex",
            "--as",
            "previous",
            "--overlap",
            "100y",
        ],
        vec!["secret", "prune", "-k", "k.json"],
        vec![
            "secret", "import", "-k", "new.json", "--format", "hex", "--in", "s.hex",
        ],
        vec![
            "secret", "derive", "--root", "k.json", "--member", "gw1", "-k", "m.json",
        ],
        vec!["secret", "rotate", "-k", "k.json"],
        vec![
            "secret", "derive", "--root", "k.json", "--member", "gw1", "-k", "m.json",
        ],
        vec![
            "secret", "derive", "--root", "k.json", "--member", "gw1", "-k", "m.json", "--force",
        ],
        vec![
            "secret", "export", "-k", "k.json", "--format", "raw", "--out", "d.key",
        ],
    ];
    for step in steps {
        d.run(&step).ok();
        for k in ["k.json", "new.json", "m.json"] {
            if d.path(k).exists() {
                let v = loads(&d, k);
                let active = v["generations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|g| g["state"] == "active")
                    .count();
                assert_eq!(active, 1, "{step:?}: {k}");
            }
        }
    }
    let active = hex::decode(export_hex(&d, "k.json").trim()).unwrap();
    assert_eq!(fs::read(d.path("d.key")).unwrap(), active);
}

// ----------------------------------------------------------------- item 10

#[test]
fn extreme_durations_and_clocks_are_refused_without_panicking() {
    let d = Dir::new();
    gen(&d, "k.json");
    for overlap in ["8000y", "18446744073709551615s", "36526d", "4294967295y"] {
        d.run(&["secret", "rotate", "-k", "k.json", "--overlap", overlap])
            .code(2)
            .stderr_has("longer than 100 years")
            .stderr_has("Accepted");
    }
    let end = "9999-12-31T23:59:59Z";
    let at_end = |args: &[&str]| Run::from(d.cmd(args).env("QCD_NOW", end).output().unwrap());
    at_end(&["secret", "generate", "-k", "end.json"]).ok();
    let before = d.read("end.json");
    for args in [
        vec!["secret", "rotate", "-k", "end.json"],
        vec!["secret", "rotate", "-k", "end.json", "--dry-run"],
        vec!["secret", "import", "-k", "end.json", "--format", "hex"],
    ] {
        let r = Run::from({
            let mut c = d.cmd(&args);
            c.env("QCD_NOW", end).stdin(Stdio::piped());
            let mut child = c
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            // rotate does not read it: a broken pipe is fine
            let _ = child.stdin.take().unwrap().write_all(
                "5d7f6aa995bc105165bbfbc47dc6a0f9107edbf0ad2d863442661b486c84f9e5"
                    .to_string()
                    .as_bytes(),
            );
            child.wait_with_output().unwrap()
        });
        r.code(2)
            .stderr_has("after 9999-12-31T23:59:59Z")
            .stderr_has("+10000-01-01T");
        assert_eq!(d.read("end.json"), before);
    }
    at_end(&["secret", "rotate", "-k", "end.json", "--overlap", "0s"]).ok();
    at_end(&["secret", "list", "-k", "end.json"]).ok();
    at_end(&["secret", "prune", "-k", "end.json"]).ok();
    // before 1970 and after 9999 are not timestamps qcd accepts
    for now in ["10000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"] {
        Run::from(
            d.cmd(&["secret", "list", "-k", "k.json"])
                .env("QCD_NOW", now)
                .output()
                .unwrap(),
        )
        .code(2)
        .stderr_has("not an RFC 3339 UTC timestamp");
    }
}

#[test]
fn durations_are_accepted_as_people_write_them() {
    let d = Dir::new();
    gen(&d, "k.json");
    for (flag, value) in [
        ("--if-older-than", "30D"),
        ("--if-older-than", "3 days"),
        ("--if-older-than", "72h"),
        ("--if-older-than", "3d"),
        ("--if-older-than", "1 week"),
    ] {
        d.run(&["secret", "rotate", "-k", "k.json", flag, value])
            .ok()
            .stdout_has("not rotated");
    }
    let r = d.run(&["secret", "rotate", "-k", "k.json", "--if-older-than", "30d"]);
    let line = r.ok().stdout;
    assert!(line.contains("younger than 30d\n"), "{line}");
    assert!(!line.contains("days"), "{line}");
    // unquoted: the shell made two arguments of `3 days`
    d.run(&["secret", "rotate", "-k", "k.json", "--overlap", "3", "days"])
        .code(2)
        .stderr_has("the shell split `3 days` into two arguments: write --overlap 3d, or quote it: --overlap '3 days'");
    d.run(&["secret", "rotate", "-k", "k.json", "--overlap", "3"])
        .code(2)
        .stderr_has("3 has no unit");
    d.run(&["secret", "rotate", "-k", "k.json", "--if-older-than", "1M"])
        .code(2)
        .stderr_has("ambiguous");
    assert_eq!(ids(&d, "k.json"), vec![1]);
}

// ----------------------------------------------------------------- item 11

#[test]
fn fifos_and_devices_are_refused_at_once() {
    let d = Dir::new();
    gen(&d, "k.json");
    mkfifo(&d.path("fifo"));
    for bad in ["fifo", "/dev/null", "/dev/zero"] {
        let kind = if bad == "fifo" {
            "a FIFO"
        } else {
            "a character device"
        };
        for args in [
            vec!["secret", "list", "-k", bad],
            vec!["secret", "rotate", "-k", bad],
            vec![
                "secret", "import", "-k", "k.json", "--format", "hex", "--in", bad,
            ],
            vec![
                "token",
                "derive",
                "--secret-file",
                bad,
                "--secret-format",
                "hex",
                "--spi-i",
                SPI,
                "--spi-r",
                SPI,
            ],
            vec![
                "secret", "export", "-k", "k.json", "--format", "hex", "--out", bad,
            ],
        ] {
            let r = run_quick(&d, &args);
            let r = r.code(2).stderr_has("not a regular file");
            if !args.contains(&"rotate") && !args.contains(&"--out") {
                r.stderr_has(kind);
            }
        }
    }
    assert!(fs::symlink_metadata(d.path("fifo"))
        .unwrap()
        .file_type()
        .is_fifo_like());
}

trait FifoLike {
    fn is_fifo_like(&self) -> bool;
}

impl FifoLike for fs::FileType {
    fn is_fifo_like(&self) -> bool {
        std::os::unix::fs::FileTypeExt::is_fifo(self)
    }
}

// ----------------------------------------------------------------- item 12

#[test]
fn huge_and_endless_files_fail_fast() {
    let d = Dir::new();
    let f = fs::File::create(d.path("huge.json")).unwrap();
    f.set_len(1 << 40).unwrap(); // a sparse 1 TiB keyring
    fs::set_permissions(d.path("huge.json"), fs::Permissions::from_mode(0o600)).unwrap();
    run_quick(&d, &["secret", "list", "-k", "huge.json"])
        .code(2)
        .stderr_has("1099511627776 bytes, over the 64 MiB limit for a keyring");
    // a secret file over 16 KiB
    write_private(&d, "big.hex", &vec![b'a'; 16 * 1024 + 1]);
    run_quick(
        &d,
        &[
            "secret", "import", "-k", "k.json", "--format", "hex", "--in", "big.hex",
        ],
    )
    .code(2)
    .stderr_has("over the 16 KiB limit for a secret file");
    // ... and on stdin
    let mut child = d
        .cmd(&["secret", "import", "-k", "k.json", "--format", "hex"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        // qcd stops reading at the cap: a broken pipe here is expected
        let _ = child.stdin.take().unwrap().write_all(&vec![b'a'; 100_000]);
    }
    Run::from(child.wait_with_output().unwrap())
        .code(2)
        .stderr_has("over the 16 KiB limit");
    // an audit manifest that is /dev/zero
    fs::write(
        d.path("inv.toml"),
        "[[cluster]]\nname = \"c\"\nmode = \"anycast\"\n[[cluster.member]]\nname = \"gw1\"\nmanifest = \"/dev/zero\"\n",
    )
    .unwrap();
    run_quick(&d, &["audit", "inv.toml"])
        .code(2)
        .stderr_has("/dev/zero")
        .stderr_has("not a regular file");
}

// ----------------------------------------------------------------- item 13

#[test]
fn parallel_imports_and_derives_into_a_missing_keyring_all_succeed() {
    let d = Dir::new();
    write_private(
        &d,
        "s.hex",
        "40c21a3683bcd9d641e3712e4b584b0871b417d0ef88f0a527bb1f3123da3a1a"
            .to_string()
            .as_bytes(),
    );
    gen(&d, "root.json");
    for (target, args) in [
        (
            "imp.json",
            vec![
                "secret", "import", "-k", "imp.json", "--format", "hex", "--in", "s.hex",
            ],
        ),
        (
            "der.json",
            vec![
                "secret",
                "derive",
                "--root",
                "root.json",
                "--member",
                "gw1",
                "-k",
                "der.json",
            ],
        ),
    ] {
        let children: Vec<_> = (0..16)
            .map(|_| {
                d.cmd(&args)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut created = 0;
        for c in children {
            let out = c.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{target}: {stderr}");
            if String::from_utf8_lossy(&out.stdout).starts_with("created") {
                created += 1;
            }
        }
        assert_eq!(created, 1, "{target}: exactly one run creates the keyring");
        assert_eq!(ids(&d, target), vec![1]);
    }
}
