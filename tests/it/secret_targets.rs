//! Targets (`--for rockhopper|racoon2`), export semantics, `--on-change`,
//! the shipped systemd timer simulated for 90 days, the guard rails of
//! issue 14, and tokens from a real Rockhopper secret file.

use crate::support;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use qcd::secret::store::{self, LoadOptions};
use qcd::secret::target::{Target, TARGETS};
use qcd::secret::State;
use qcd::timefmt;
use support::{mode_of, Dir, Run};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The name of the user running the tests (files are owned by it: there is
/// no rhpprotected account here).
fn me() -> String {
    qcd::fsio::user_name(qcd::fsio::euid()).expect("the test user has a name in /etc/passwd")
}

fn at(d: &Dir, now: &str, args: &[&str]) -> Run {
    Run::from(d.cmd(args).env("QCD_NOW", now).output().unwrap())
}

fn write_private(d: &Dir, name: &str, bytes: &[u8]) {
    std::fs::write(d.path(name), bytes).unwrap();
    std::fs::set_permissions(d.path(name), std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn active_secret(keyring: &Path) -> Vec<u8> {
    let k = store::load(keyring, &LoadOptions::default()).unwrap();
    k.active().secret().unwrap().expose().to_vec()
}

// ------------------------------------------------------------ the capture

#[test]
fn tokens_from_a_rockhopper_secret_file_equal_those_in_the_capture() {
    let data = root().join("tests/data/rockhopper");
    let secrets = std::fs::read_to_string(data.join("restart_same_secret.secrets")).unwrap();
    let d = Dir::new();
    for line in secrets.lines().filter(|l| !l.starts_with('#')) {
        let (name, hex_secret) = line.split_once('=').unwrap();
        // The daemon's file: the 64 raw bytes.
        write_private(&d, name, &hex::decode(hex_secret).unwrap());
    }
    let tokens = std::fs::read_to_string(data.join("restart_same_secret.tokens")).unwrap();
    let tshark = std::fs::read_to_string(data.join("restart_same_secret.tshark.txt")).unwrap();
    let mut checked = 0;
    for line in tokens.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [frame, spi_i, spi_r, maker, token] = f[..] else {
            panic!("bad line {line:?}")
        };
        // After B's restart it still reads the same secret file.
        let file = if maker == "B" && frame.parse::<u32>().unwrap() > 40 {
            "B_after_restart"
        } else {
            maker
        };
        let got = d
            .run(&[
                "token",
                "derive",
                "--for",
                "rockhopper",
                "--secret-file",
                file,
                "--spi-i",
                spi_i,
                "--spi-r",
                spi_r,
            ])
            .ok();
        assert_eq!(got.stdout.trim(), token, "frame {frame}");
        // tshark's verbose decode shows the same token (cut after 36 bytes).
        assert!(
            tshark.contains(&format!("Token Secret Data: {}", &token[..72])),
            "frame {frame}"
        );
        checked += 1;
    }
    assert_eq!(checked, 5);
    // The wrong size is not a Rockhopper secret file.
    write_private(&d, "short", &[0x5a; 32]);
    d.run(&[
        "token",
        "derive",
        "--for",
        "rockhopper",
        "--secret-file",
        "short",
        "--spi-i",
        "3eb802c1b2266eca",
        "--spi-r",
        "914935ddd6d4111c",
    ])
    .code(2)
    .stderr_has("is 32 bytes, but Rockhopper VPN (rockhopperd) reads exactly 64");
}

// ------------------------------------------------------- the timer, 90 days

/// The commands of the shipped unit for `target`, as systemd would run
/// them: `%i` is the target, `${VAR}` one argument from the unit's and the
/// drop-in's `Environment=`. The test's stand-ins: the keyring and the
/// daemon file live in a temporary directory (`--out` and `--owner` added
/// to the export), and the restart appends the generation to a log.
fn unit_commands(target: Target, keyring: &Path, out: &Path, log: &Path) -> Vec<Vec<String>> {
    let dir = root().join("contrib/systemd");
    let service = std::fs::read_to_string(dir.join("qcd-rotate@.service")).unwrap();
    let dropin = std::fs::read_to_string(dir.join(format!(
        "qcd-rotate@{}.service.d/target.conf",
        target.name()
    )))
    .unwrap();
    let mut env: HashMap<String, String> = HashMap::new();
    let mut execs = Vec::new();
    for line in service.lines().chain(dropin.lines()).map(str::trim) {
        if let Some(v) = line.strip_prefix("Environment=") {
            let (k, val) = v.trim_matches('"').split_once('=').unwrap();
            env.insert(k.into(), val.replace("%i", target.name()));
        } else if let Some(v) = line.strip_prefix("ExecStart=") {
            execs.push(v.replace("%i", target.name()));
        }
    }
    // The drop-in restarts the daemon with the command of qcd's table.
    assert_eq!(env["QCD_ON_CHANGE"], target.restart_command());
    assert_eq!(
        env["QCD_KEYRING"],
        format!("/var/lib/qcd/{}.json", target.name())
    );
    env.insert("QCD_KEYRING".into(), keyring.display().to_string());
    env.insert(
        "QCD_ON_CHANGE".into(),
        format!("echo \"$QCD_GENERATION\" >> {}", log.display()),
    );
    assert_eq!(execs.len(), 3, "rotate, export, prune");
    execs
        .iter()
        .map(|line| {
            let mut argv: Vec<String> = line
                .split_whitespace()
                .map(
                    |w| match w.strip_prefix("${").and_then(|w| w.strip_suffix('}')) {
                        Some(var) => env[var].clone(),
                        None => w.to_string(),
                    },
                )
                .collect();
            assert_eq!(argv[0], "/usr/local/bin/qcd");
            argv.remove(0);
            if argv[1] == "export" {
                argv.extend([
                    "--out".into(),
                    out.display().to_string(),
                    "--owner".into(),
                    me(),
                ]);
            }
            assert!(!argv.iter().any(|a| a == "--force"));
            argv
        })
        .collect()
}

fn simulate_90_days(target: Target) {
    let d = Dir::new();
    let keyring = d.path("keyring.json");
    let out = d.path("daemon/secret");
    let log = d.path("restarts.log");
    std::fs::create_dir(d.path("daemon")).unwrap();
    std::fs::set_permissions(d.path("daemon"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let commands = unit_commands(target, &keyring, &out, &log);
    let start = timefmt::parse_rfc3339("2026-01-01T03:17:00Z").unwrap();
    let day = |n: u64| timefmt::format_rfc3339(start + Duration::from_secs(n * 86_400));
    // What `contrib/systemd/install` does when the daemon has no secret yet.
    at(
        &d,
        &day(0),
        &[
            "secret",
            "generate",
            "--for",
            target.name(),
            "-k",
            "keyring.json",
        ],
    )
    .ok();
    let mut previous: Option<Vec<u8>> = None;
    let mut changed_days = Vec::new();
    let mut restart_days = Vec::new();
    let mut restarts = 0;
    for n in 0..90 {
        let now = day(n);
        for argv in &commands {
            let args: Vec<&str> = argv.iter().map(String::as_str).collect();
            // The unit's environment: the keyring (our stand-in) and "now".
            let r = Run::from(
                d.cmd(&args)
                    .env("QCD_NOW", &now)
                    .env("QCD_KEYRING", &keyring)
                    .output()
                    .unwrap(),
            );
            assert_eq!(r.code, Some(0), "day {n}: {args:?}\n{}", r.stderr);
            assert!(!r.stderr.contains("--force\n"), "day {n}: {}", r.stderr);
        }
        // The daemon file holds the active generation's secret, raw, 0600.
        let file = std::fs::read(&out).unwrap();
        assert_eq!(file, active_secret(&keyring), "day {n}");
        assert_eq!(file.len(), target.spec().secret_bytes);
        assert_eq!(mode_of(&out), 0o600, "day {n}");
        // The keyring keeps loading, with one active generation.
        let k = store::load(&keyring, &LoadOptions::default()).unwrap();
        let when = timefmt::parse_rfc3339(&now).unwrap();
        assert_eq!(
            k.generations()
                .iter()
                .filter(|g| g.state_at(when) == State::Active)
                .count(),
            1
        );
        if previous.as_ref() != Some(&file) {
            changed_days.push(n);
        }
        previous = Some(file);
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        let lines = logged.lines().count();
        if lines > restarts {
            assert_eq!(lines, restarts + 1, "day {n}: one restart a day at most");
            restart_days.push(n);
        }
        restarts = lines;
    }
    // A rotation every 30 days; the restart ran exactly on the days the file changed.
    assert_eq!(changed_days, vec![0, 30, 60], "{target}");
    assert_eq!(restart_days, changed_days, "{target}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(logged, "1\n2\n3\n");
    // The old secrets were wiped (no overlap for a single-key daemon).
    let k = store::load(&keyring, &LoadOptions::default()).unwrap();
    assert_eq!(
        k.generations()
            .iter()
            .map(|g| g.state_at(timefmt::parse_rfc3339(&day(89)).unwrap()))
            .collect::<Vec<_>>(),
        vec![State::Destroyed, State::Destroyed, State::Active]
    );
    // The audit sees a daemon restarted with the active secret.
    let manifest = at(
        &d,
        &day(89),
        &["--json", "secret", "list", "-k", "keyring.json"],
    )
    .ok()
    .json();
    let e = &manifest["exports"][0];
    assert_eq!(e["target"], target.name());
    assert_eq!(e["daemon_fingerprint"], e["fingerprint"]);
    assert_eq!(e["file_fingerprint"], e["fingerprint"]);
    assert_eq!(e["restart_pending"], false);
}

#[test]
fn the_shipped_timer_keeps_rockhopper_in_step_for_90_days() {
    simulate_90_days(Target::Rockhopper);
}

#[test]
fn the_shipped_timer_keeps_racoon2_in_step_for_90_days() {
    simulate_90_days(Target::Racoon2);
}

// ------------------------------------------------------------------ targets

#[test]
fn targets_set_the_secret_size_and_the_token_construction() {
    let d = Dir::new();
    for (t, bytes, profile, len) in [
        ("rockhopper", 64, "hmac-sha512", 64),
        ("racoon2", 32, "hmac-sha1", 16),
    ] {
        let j = d
            .run(&[
                "--json",
                "secret",
                "generate",
                "--for",
                t,
                "-k",
                &format!("{t}.json"),
            ])
            .ok()
            .json();
        assert_eq!(j["generation"]["secret_bytes"], bytes);
        assert_eq!(j["generation"]["profile"], profile);
        assert_eq!(j["generation"]["token_length"], len);
        assert_eq!(j["target"], t);
    }
    for (flag, value, want) in [
        (
            "--bytes",
            "32",
            "--bytes 32 conflicts with --for rockhopper, which uses 64-byte secrets",
        ),
        (
            "--profile",
            "hmac-sha256",
            "--profile hmac-sha256 conflicts with --for rockhopper, which uses hmac-sha512",
        ),
        (
            "--length",
            "32",
            "--length 32 conflicts with --for rockhopper, which uses 64-byte tokens",
        ),
    ] {
        d.run(&[
            "secret",
            "generate",
            "--for",
            "rockhopper",
            "-k",
            "x.json",
            flag,
            value,
        ])
        .code(2)
        .stderr_has(want);
    }
    d.run(&[
        "secret",
        "generate",
        "--for",
        "racoon2",
        "-k",
        "x.json",
        "--bind-taker-addr",
    ])
    .code(2)
    .stderr_has("drop --bind-taker-addr");
    assert!(!d.path("x.json").exists());
}

#[test]
fn for_on_a_keyring_that_does_not_fit_says_what_differs() {
    let d = Dir::new();
    d.run(&["secret", "generate", "-k", "k.json", "--bind-taker-addr"])
        .ok();
    for cmd in [
        vec!["secret", "rotate", "-k", "k.json", "--for", "rockhopper"],
        vec![
            "secret",
            "export",
            "-k",
            "k.json",
            "--for",
            "rockhopper",
            "--out",
            "d.key",
        ],
    ] {
        d.run(&cmd)
            .code(2)
            .stderr_has("generation 1 does not fit rockhopper: its secret is 32 bytes (rockhopper reads exactly 64); its tokens are hmac-sha256/32 (rockhopper computes hmac-sha512/64); it binds tokens to the taker address (rockhopper does not)")
            .stderr_has("qcd secret generate --for rockhopper");
    }
    assert!(!d.path("d.key").exists());
    d.run(&[
        "secret", "export", "-k", "k.json", "--for", "racoon2", "--format", "hex", "--out", "d.key",
    ])
    .code(2)
    .stderr_has("--format hex conflicts with --for racoon2, which uses raw files");
}

#[test]
fn single_key_daemons_have_no_overlap_and_need_a_restart() {
    let d = Dir::new();
    let now = "2026-03-01T00:00:00Z";
    at(
        &d,
        now,
        &["secret", "generate", "--for", "racoon2", "-k", "k.json"],
    )
    .ok();
    at(
        &d,
        now,
        &[
            "secret",
            "rotate",
            "--for",
            "racoon2",
            "-k",
            "k.json",
            "--overlap",
            "24h",
        ],
    )
    .code(2)
    .stderr_has("reads one secret at start-up")
    .stderr_has("drop --overlap");
    let r = at(
        &d,
        now,
        &[
            "secret",
            "rotate",
            "--for",
            "racoon2",
            "-k",
            "k.json",
            "--dry-run",
        ],
    )
    .ok();
    assert!(
        r.stdout.contains("dry run: would make generation 2 active (32 bytes of fresh random data, hmac-sha1/16) and let generation 1 expire at once (no overlap)"),
        "{}",
        r.stdout
    );
    let r = r.stderr_has("takes effect when it restarts");
    assert!(
        r.stderr.contains("systemctl restart iked.service"),
        "{}",
        r.stderr
    );
    let j = at(
        &d,
        now,
        &[
            "--json", "secret", "rotate", "--for", "racoon2", "-k", "k.json",
        ],
    )
    .ok()
    .json();
    assert_eq!(j["previous"]["state"], "expired");
    assert_eq!(j["notices"][0]["kind"], "single-key");
    // Import for a single-key daemon: no previous.
    write_private(
        &d,
        "s.raw",
        &(0u8..32)
            .map(|i| i.wrapping_mul(53) ^ 0x17)
            .collect::<Vec<_>>(),
    );
    at(
        &d,
        now,
        &[
            "secret", "import", "--for", "racoon2", "-k", "k.json", "--in", "s.raw", "--as",
            "previous",
        ],
    )
    .code(2)
    .stderr_has("import with --as active");
    write_private(
        &d,
        "long.raw",
        &(0u8..64)
            .map(|i| i.wrapping_mul(53) ^ 0x17)
            .collect::<Vec<_>>(),
    );
    at(
        &d,
        now,
        &[
            "secret", "import", "--for", "racoon2", "-k", "k.json", "--in", "long.raw",
        ],
    )
    .code(2)
    .stderr_has("the secret from long.raw is 64 bytes: racoon2 reads exactly 32");
    // Adopting the daemon's own file (raw by default with --for).
    let j = at(
        &d,
        now,
        &[
            "--json", "secret", "import", "--for", "racoon2", "-k", "k.json", "--in", "s.raw",
        ],
    )
    .ok()
    .json();
    assert_eq!(j["action"], "imported");
    assert_eq!(j["generation"]["profile"], "hmac-sha1");
}

// ------------------------------------------------------------------ export

#[test]
fn export_updates_older_generations_and_runs_on_change_only_when_the_file_changed() {
    let d = Dir::new();
    let owner = me();
    let export = |now: &str, cmd: &str| {
        at(
            &d,
            now,
            &[
                "--json",
                "secret",
                "export",
                "-k",
                "k.json",
                "--for",
                "rockhopper",
                "--out",
                "d.key",
                "--owner",
                &owner,
                "--on-change",
                cmd,
            ],
        )
    };
    let log_cmd = "echo \"$QCD_CHANGE $QCD_GENERATION $QCD_TARGET\" >> hook.log";
    let t0 = "2026-01-01T00:00:00Z";
    at(
        &d,
        t0,
        &["secret", "generate", "--for", "rockhopper", "-k", "k.json"],
    )
    .ok();
    let j = export(t0, log_cmd).ok().json();
    assert_eq!(j["changed"], true);
    assert_eq!(j["replaced"], "none");
    // Issue 21 item 10: no lock file of qcd's beside the daemon's file (its
    // private directory); the export lock is beside the keyring.
    assert!(!d.path("d.key.lock").exists());
    assert!(d.path("k.json.export.lock").exists());
    assert_eq!(j["on_change"]["success"], true);
    let j = export(t0, log_cmd).ok().json();
    assert_eq!(j["changed"], false);
    assert!(j["on_change"].is_null());
    assert_eq!(
        std::fs::read_to_string(d.path("hook.log")).unwrap(),
        "written 1 rockhopper\n"
    );
    // After a rotation the file holds the previous generation: no --force.
    at(
        &d,
        t0,
        &["secret", "rotate", "--for", "rockhopper", "-k", "k.json"],
    )
    .ok();
    // A failing command: exit 2, the file is written, the failure recorded…
    let r = export(t0, "exit 3").code(2);
    assert!(
        r.stderr
            .contains("the --on-change command `exit 3` failed (exit status 3)"),
        "{}",
        r.stderr
    );
    let j = r.json();
    assert_eq!(j["changed"], true);
    assert_eq!(j["replaced_generation"], 1);
    assert_eq!(j["on_change"]["exit_status"], 3);
    assert_eq!(
        std::fs::read(d.path("d.key")).unwrap(),
        active_secret(&d.path("k.json"))
    );
    // … and the audit sees it.
    let m = at(&d, t0, &["--json", "secret", "list", "-k", "k.json"])
        .ok()
        .json();
    assert_eq!(m["exports"][0]["restart_pending"], true);
    assert_eq!(m["exports"][0]["on_change_failed"], "exit status 3");
    // The next export retries the command although the file did not change.
    let j = export(t0, log_cmd).ok().json();
    assert_eq!(j["changed"], false);
    assert_eq!(j["on_change"]["retry"], true);
    assert_eq!(
        std::fs::read_to_string(d.path("hook.log")).unwrap(),
        "written 1 rockhopper\nretry 2 rockhopper\n"
    );
    let m = at(&d, t0, &["--json", "secret", "list", "-k", "k.json"])
        .ok()
        .json();
    assert_eq!(m["exports"][0]["restart_pending"], false);
    assert_eq!(
        m["exports"][0]["daemon_fingerprint"],
        m["generations"][1]["fingerprint"]
    );
    // The command's output goes to stderr: stdout stays one JSON line.
    at(
        &d,
        t0,
        &["secret", "rotate", "--for", "rockhopper", "-k", "k.json"],
    )
    .ok();
    let r = export(t0, "echo chatter").ok();
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(r.stderr.contains("chatter"));
    // Content that no generation of the keyring matches still needs --force,
    // and the message says what the daemon may have done.
    write_private(&d, "d.key", &[0x33; 64]);
    export(t0, log_cmd)
        .code(2)
        .stderr_has("no generation of this keyring")
        .stderr_has("writes a new random secret there")
        .stderr_has("qcd secret import --for rockhopper --in d.key");
    // A missing owner account is named, with the fix.
    at(
        &d,
        t0,
        &[
            "secret",
            "export",
            "-k",
            "k.json",
            "--for",
            "rockhopper",
            "--out",
            "e.key",
            "--owner",
            "no-such-user-qcd",
        ],
    )
    .code(2)
    .stderr_has("the user no-such-user-qcd does not exist here");
    // As root: the daemon's account owns the file; a file with the right
    // bytes but another owner is given back to it.
    if qcd::fsio::euid() == 0 {
        let args = [
            "secret",
            "export",
            "-k",
            "k.json",
            "--for",
            "rockhopper",
            "--out",
            "d.key",
            "--owner",
            "root",
            "--force",
        ];
        at(&d, t0, &args).ok();
        std::os::unix::fs::chown(d.path("d.key"), Some(4242), Some(4242)).unwrap();
        at(&d, t0, &args[..args.len() - 1])
            .ok()
            .stdout_has("unchanged");
        let meta = std::fs::metadata(d.path("d.key")).unwrap();
        assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), 0);
        assert_eq!(mode_of(&d.path("d.key")), 0o600);
    }
    at(
        &d,
        t0,
        &[
            "secret",
            "export",
            "-k",
            "k.json",
            "--format",
            "hex",
            "--on-change",
            "true",
        ],
    )
    .code(2)
    .stderr_has("--on-change and --owner need a file");
}

#[test]
fn the_audit_flags_a_single_key_daemon_that_was_not_restarted() {
    let d = Dir::new();
    let owner = me();
    let t0 = "2026-01-01T00:00:00Z";
    at(
        &d,
        t0,
        &["secret", "generate", "--for", "racoon2", "-k", "k.json"],
    )
    .ok();
    std::fs::write(
        d.path("inventory.toml"),
        "[[cluster]]\nname = \"c\"\nmode = \"standalone\"\n[[cluster.member]]\nname = \"gw\"\nkeyring = \"k.json\"\n",
    )
    .unwrap();
    let audit = |now: &str| {
        at(
            &d,
            now,
            &["--json", "audit", "inventory.toml", "--fail-on", "medium"],
        )
    };
    // Exported without --on-change: no restart was recorded (medium).
    at(
        &d,
        t0,
        &[
            "secret", "export", "-k", "k.json", "--for", "racoon2", "--out", "d.key", "--owner",
            &owner,
        ],
    )
    .ok();
    let r = audit(t0).code(1);
    assert!(
        r.stdout.contains("\"QCD012\"") && r.stdout.contains("\"medium\""),
        "{}",
        r.stdout
    );
    // Restarted through --on-change: clean.
    at(
        &d,
        t0,
        &["secret", "rotate", "--for", "racoon2", "-k", "k.json"],
    )
    .ok();
    at(&d, t0, &["secret", "prune", "-k", "k.json"]).ok();
    at(
        &d,
        t0,
        &[
            "secret",
            "export",
            "-k",
            "k.json",
            "--for",
            "racoon2",
            "--out",
            "d.key",
            "--owner",
            &owner,
            "--on-change",
            "true",
        ],
    )
    .ok();
    audit(t0).ok();
    // Rotated but not exported nor restarted: high.
    at(
        &d,
        t0,
        &["secret", "rotate", "--for", "racoon2", "-k", "k.json"],
    )
    .ok();
    at(&d, t0, &["secret", "prune", "-k", "k.json"]).ok();
    let r = audit(t0).code(1);
    assert!(
        r.stdout.contains("the rotation was not exported"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\"high\""), "{}", r.stdout);
}

// ------------------------------------------------------------- guard rails

#[test]
fn guard_rails_seen_by_a_new_user() {
    let d = Dir::new();
    let now = "2026-01-01T00:00:00Z";
    at(&d, now, &["secret", "generate", "-k", "root.json"]).ok();
    // derive into the root itself
    at(
        &d,
        now,
        &[
            "secret",
            "derive",
            "--root",
            "root.json",
            "--member",
            "gw1",
            "--keyring",
            "root.json",
        ],
    )
    .code(2)
    .stderr_has("--root and --keyring name the same file");
    at(
        &d,
        now,
        &[
            "secret",
            "derive",
            "--root",
            "root.json",
            "--member",
            "gw1",
            "--keyring",
            "./root.json",
            "--force",
        ],
    )
    .code(2)
    .stderr_has("the same file");
    // member B into member A's keyring
    at(
        &d,
        now,
        &[
            "secret",
            "derive",
            "--root",
            "root.json",
            "--member",
            "gw1",
            "--keyring",
            "gw1.json",
        ],
    )
    .ok();
    let before = std::fs::read(d.path("gw1.json")).unwrap();
    at(
        &d,
        now,
        &[
            "secret",
            "derive",
            "--root",
            "root.json",
            "--member",
            "gw2",
            "--keyring",
            "gw1.json",
        ],
    )
    .code(2)
    .stderr_has("gw1.json holds secrets derived for member gw1, not gw2")
    .stderr_has("--force");
    assert_eq!(std::fs::read(d.path("gw1.json")).unwrap(), before);
    at(
        &d,
        now,
        &[
            "secret",
            "derive",
            "--root",
            "root.json",
            "--member",
            "gw2",
            "--keyring",
            "gw1.json",
            "--force",
        ],
    )
    .ok();
    // --overlap 0 warns
    at(
        &d,
        now,
        &["secret", "rotate", "-k", "root.json", "--overlap", "0s"],
    )
    .ok()
    .stderr_has("--overlap 0: generation 1 expires at once");
    // rotate -q: the new generation's "ID FINGERPRINT", nothing when not rotated
    let r = at(&d, now, &["-q", "secret", "rotate", "-k", "root.json"]).ok();
    assert_eq!(
        r.stdout.split_whitespace().next(),
        Some("3"),
        "{}",
        r.stdout
    );
    let r = at(
        &d,
        now,
        &[
            "-q",
            "secret",
            "rotate",
            "-k",
            "root.json",
            "--if-older-than",
            "30d",
        ],
    )
    .ok();
    assert_eq!(r.stdout, "");
    let j = at(
        &d,
        now,
        &[
            "--json",
            "secret",
            "rotate",
            "-k",
            "root.json",
            "--if-older-than",
            "30d",
        ],
    )
    .ok()
    .json();
    assert_eq!(j["action"], "not-rotated");
    // --dry-run says what the real run would do, taker-address binding included;
    // --profile says when it drops the binding.
    at(
        &d,
        now,
        &["secret", "rotate", "-k", "root.json", "--bind-taker-addr"],
    )
    .ok();
    let r = at(
        &d,
        now,
        &[
            "secret",
            "rotate",
            "-k",
            "root.json",
            "--dry-run",
            "--overlap",
            "48h",
        ],
    )
    .ok();
    assert!(
        r.stdout.contains("would make generation 5 active (32 bytes of fresh random data, hmac-sha256/32 +taker-addr) and keep generation 4 as previous until 2026-01-03T00:00:00Z"),
        "{}",
        r.stdout
    );
    let j = at(
        &d,
        now,
        &["--json", "secret", "rotate", "-k", "root.json", "--dry-run"],
    )
    .ok()
    .json();
    assert_eq!(j["planned"]["taker_addr"], true);
    assert_eq!(j["planned"]["id"], 5);
    let r = at(
        &d,
        now,
        &[
            "secret",
            "rotate",
            "-k",
            "root.json",
            "--profile",
            "hmac-sha512",
            "--dry-run",
        ],
    )
    .ok();
    assert!(r.stdout.contains("hmac-sha512/64)"), "{}", r.stdout);
    r.stderr_has("binds tokens to the taker address, the new hmac-sha512 one does not")
        .stderr_has("add --bind-taker-addr");
    // errors name the thing that is wrong
    at(
        &d,
        now,
        &[
            "secret",
            "import",
            "-k",
            "root.json",
            "--format",
            "hex",
            "--in",
            "missing.hex",
        ],
    )
    .code(2)
    .stderr_has("the secret file missing.hex does not exist");
    at(&d, now, &["secret", "generate", "-k", "nodir/k.json"])
        .code(2)
        .stderr_has("the directory nodir does not exist");
    std::fs::create_dir(d.path("batchdir")).unwrap();
    at(
        &d,
        now,
        &["token", "derive", "-k", "root.json", "--batch", "batchdir"],
    )
    .code(2)
    .stderr_has("the batch file batchdir is a directory");
}

// ---------------------------------------------------- documentation, assets

#[test]
fn the_documented_targets_table_is_the_code_table() {
    let readme = std::fs::read_to_string(root().join("docs/targets.md")).unwrap();
    for t in &TARGETS {
        let row = format!(
            "| `{}` | {} | {} bytes | {}/{} | raw | `{}` | `{}`, mode {:04o} (directory {:04o}) | `{}` |",
            t.name,
            t.daemon,
            t.secret_bytes,
            t.profile,
            t.token_length,
            t.path,
            t.owner,
            t.mode,
            t.directory_mode,
            t.unit
        );
        assert!(
            readme.contains(&row),
            "docs/targets.md lacks the row\n{row}"
        );
    }
}

#[test]
fn man_pages_have_real_sections_and_hidden_commands_are_absent() {
    let page = std::fs::read_to_string(root().join("man/qcd-secret-export.1")).unwrap();
    let sections: Vec<&str> = page
        .lines()
        .filter_map(|l| l.strip_prefix(".SH "))
        .map(|s| s.trim_matches('"'))
        .collect();
    for section in [
        "DESCRIPTION",
        "OPTIONS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "EXAMPLES",
        "SEE ALSO",
    ] {
        assert!(sections.contains(&section), "no {section} in {sections:?}");
    }
    for var in ["QCD_KEYRING", "QCD_NOW", "NO_COLOR"] {
        assert!(page.contains(var), "no {var}");
    }
    assert!(page.contains("/home/rhpprotected/config/qcd_secret"));
    for f in std::fs::read_dir(root().join("completions")).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        for hidden in ["generate-assets", "generate-scenarios", "generate-capture"] {
            assert!(!text.contains(hidden), "{hidden} in completions");
        }
    }
}
