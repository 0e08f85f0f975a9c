//! `qcd audit` as an operator runs it: inventories in a temp dir (TOML and
//! JSON), keyring members made with the library, manifest members written as
//! `qcd secret list --json` would, and the shipped examples.

use std::path::Path;
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use predicates::prelude::*;

use qcd::secret::keyring::Origin;
use qcd::secret::store::{self, FileInfo};
use qcd::secret::{Keyring, Manifest};
use qcd::secretmem::SecretBytes;
use qcd::timefmt;
use qcd::token::TokenSpec;

const NOW: &str = "2026-11-22T00:00:00Z";

fn now() -> SystemTime {
    timefmt::parse_rfc3339(NOW).unwrap()
}

fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86400)
}

/// A secret that is not visibly weak, distinct per `seed`.
fn secret(seed: u8) -> SecretBytes {
    SecretBytes::new(
        (0u8..32)
            .map(|i| i.wrapping_mul(37).wrapping_add(seed.wrapping_mul(101)) ^ 0x5a)
            .collect(),
    )
}

fn keyring(seed: u8) -> Keyring {
    Keyring::new(
        secret(seed),
        TokenSpec::default(),
        now() - days(30),
        Origin::Generated,
    )
}

fn write_keyring(dir: &Path, name: &str, k: &Keyring) {
    store::create(&dir.join(name), k, false).unwrap();
}

/// Writes what `qcd secret list --json` prints for `k` on a gateway.
fn write_manifest(dir: &Path, name: &str, k: &Keyring, mode: u32) {
    let info = FileInfo {
        mode,
        uid: 0,
        gid: 0,
    };
    let m = Manifest::from_keyring(k, Path::new("/etc/qcd/keyring.json"), info, now());
    std::fs::write(dir.join(name), serde_json::to_string_pretty(&m).unwrap()).unwrap();
}

fn qcd() -> Command {
    let mut c = Command::cargo_bin("qcd").unwrap();
    c.env("QCD_NOW", NOW)
        .env_remove("NO_COLOR")
        .arg("--color=never");
    c
}

/// Runs `qcd --json audit INV ARGS…` and returns (finding ids, exit code).
fn audit_ids(inv: &Path, args: &[&str]) -> (Vec<String>, i32) {
    let out = qcd()
        .arg("--json")
        .arg("audit")
        .arg(inv)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let ids = stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect();
    (ids, out.status.code().unwrap())
}

fn inventory(dir: &Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("inventory.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn shipped_example_inventory() {
    let inv = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/audit/inventory.toml");
    let (ids, code) = audit_ids(&inv, &[]);
    assert_eq!(
        ids,
        ["QCD001", "QCD002", "QCD005", "QCD004", "QCD007", "QCD010", "QCD011"]
    );
    assert_eq!(code, 1);
    // Each mode's example, as the README shows them.
    let ex = |f: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/audit")
            .join(f)
    };
    assert_eq!(
        audit_ids(&ex("hot-standby.toml"), &[]),
        (vec!["QCD002".to_string()], 1)
    );
    assert_eq!(
        audit_ids(&ex("load-sharing.toml"), &[]),
        (vec!["QCD001".to_string()], 1)
    );
    assert_eq!(audit_ids(&ex("anycast.toml"), &[]), (vec![], 0));
    qcd()
        .arg("audit")
        .arg(ex("anycast.toml"))
        .assert()
        .success()
        .stdout("no findings in 1 cluster, 3 members\n");
    // Human output: the table, why each rule matters, the commands, and
    // the summary line.
    qcd()
        .arg("audit")
        .arg(&inv)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("What is wrong"))
        .stdout(predicate::str::contains("on br1: [5]"))
        .stdout(predicate::str::contains("\nchmod 600 /etc/qcd/keyring.json  # [5]\n"))
        .stdout(predicate::str::ends_with(
            "7 findings (3 high, 1 medium, 2 low, 1 info) in 4 clusters, 9 members; 3 at or above --fail-on high\n",
        ));
}

#[test]
fn ndjson_keys_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    write_keyring(dir.path(), "gw1.json", &keyring(1));
    write_keyring(dir.path(), "gw2.json", &keyring(1));
    let inv = inventory(
        dir.path(),
        "[[cluster]]\nname = \"lb\"\nmode = \"load-sharing\"\n\
         [[cluster.member]]\nname = \"gw1\"\nkeyring = \"gw1.json\"\n\
         [[cluster.member]]\nname = \"gw2\"\nkeyring = \"gw2.json\"\n",
    );
    let out = qcd().args(["--json", "audit"]).arg(&inv).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["id"], "QCD001");
    assert_eq!(v["severity"], "high");
    assert_eq!(v["cluster"], "lb");
    assert_eq!(v["members"], serde_json::json!(["gw1", "gw2"]));
    assert_eq!(
        v["fingerprint"],
        qcd::secret::fingerprint(secret(1).expose())
    );
    assert_eq!(
        v["generations"],
        serde_json::json!([{"member": "gw1", "generation": 1}, {"member": "gw2", "generation": 1}])
    );
    for key in ["message", "why", "fix"] {
        assert!(v[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    // `commands`: the commands quoted in `fix`, in order.
    let fix = v["fix"].as_str().unwrap();
    let quoted: Vec<&str> = fix.split('`').skip(1).step_by(2).collect();
    assert_eq!(v["commands"], serde_json::json!(quoted));
    assert!(!quoted.is_empty());
    let s = secret(1);
    assert!(!stdout.contains(&hex::encode(s.expose())));
    assert!(!stdout.contains(&qcd::encoding::encode_base64(s.expose())));
}

#[test]
fn keyring_members_hot_standby() {
    let dir = tempfile::tempdir().unwrap();
    let shared = keyring(7);
    write_keyring(dir.path(), "gw1.json", &shared);
    write_keyring(dir.path(), "gw2.json", &shared);
    let text = "[[cluster]]\nname = \"dc1\"\nmode = \"hot-standby\"\n\
         [[cluster.member]]\nname = \"gw1\"\nkeyring = \"gw1.json\"\n\
         [[cluster.member]]\nname = \"gw2\"\nkeyring = \"gw2.json\"\n";
    let inv = inventory(dir.path(), text);
    assert_eq!(audit_ids(&inv, &["--fail-on", "info"]), (vec![], 0));
    qcd()
        .arg("audit")
        .arg(&inv)
        .assert()
        .success()
        .stdout("no findings in 1 cluster, 2 members\n");

    // gw1 rotates and the new secret never reaches gw2.
    let mut rotated = shared.clone();
    rotated
        .rotate(
            secret(8),
            TokenSpec::default(),
            now() - days(1),
            days(2),
            Origin::Generated,
        )
        .expect("ids and times are in range");
    std::fs::remove_file(dir.path().join("gw1.json")).unwrap();
    write_keyring(dir.path(), "gw1.json", &rotated);
    assert_eq!(audit_ids(&inv, &[]), (vec!["QCD002".to_string()], 1));

    // gw2's keyring is group-readable: reported, not fatal.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.path().join("gw2.json"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let (ids, code) = audit_ids(&inv, &[]);
    assert_eq!(
        (ids, code),
        (vec!["QCD002".to_string(), "QCD005".to_string()], 1)
    );
}

#[test]
fn json_inventory_mixes_keyring_and_manifest_members() {
    let dir = tempfile::tempdir().unwrap();
    let shared = keyring(3);
    write_keyring(dir.path(), "gw1.json", &shared);
    std::fs::create_dir(dir.path().join("manifests")).unwrap();
    write_manifest(&dir.path().join("manifests"), "gw2.json", &shared, 0o600);
    let inv = dir.path().join("inventory.json");
    let write = |mode: &str| {
        std::fs::write(
            &inv,
            format!(
                r#"{{"cluster": [{{"name": "dc1", "mode": "{mode}",
                    "member": [{{"name": "gw1", "keyring": "gw1.json"}},
                               {{"name": "gw2", "manifest": "manifests/gw2.json"}}]}}]}}"#
            ),
        )
        .unwrap()
    };
    write("hot-standby");
    assert_eq!(audit_ids(&inv, &[]), (vec![], 0));
    // The same pair is wrong for an anycast cluster.
    write("anycast");
    assert_eq!(audit_ids(&inv, &[]), (vec!["QCD001".to_string()], 1));
}

#[test]
fn fail_on_thresholds() {
    let dir = tempfile::tempdir().unwrap();
    // One low finding only: an expired generation kept (QCD010).
    let mut k = keyring(5);
    k.rotate(
        secret(6),
        TokenSpec::default(),
        now() - days(10),
        days(1),
        Origin::Generated,
    )
    .expect("ids and times are in range");
    write_manifest(dir.path(), "gw1.json", &k, 0o600);
    let inv = inventory(
        dir.path(),
        "[[cluster]]\nname = \"solo\"\nmode = \"standalone\"\n\
         [[cluster.member]]\nname = \"gw1\"\nmanifest = \"gw1.json\"\n",
    );
    for (level, code) in [("high", 0), ("medium", 0), ("low", 1), ("info", 1)] {
        assert_eq!(
            audit_ids(&inv, &["--fail-on", level]),
            (vec!["QCD010".to_string()], code),
            "--fail-on {level}"
        );
    }
    assert_eq!(audit_ids(&inv, &[]).1, 0, "default threshold is high");
    qcd()
        .arg("audit")
        .arg(&inv)
        .args(["--fail-on", "low"])
        .assert()
        .code(1)
        .stdout(predicate::str::ends_with(
            "1 finding (1 low) in 1 cluster, 1 member; 1 at or above --fail-on low\n",
        ));
    qcd()
        .arg("audit")
        .arg(&inv)
        .args(["--fail-on", "severe"])
        .assert()
        .code(2);
}

/// Runs the audit on `text` (as inventory.toml) in `dir` and returns stderr, asserting exit 2.
fn audit_error(dir: &Path, text: &str) -> String {
    let inv = inventory(dir, text);
    let out = qcd().arg("audit").arg(&inv).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn bad_inventories_are_errors_with_places() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_manifest(d, "gw1.json", &keyring(1), 0o600);
    let inv = d.join("inventory.toml").display().to_string();
    let base = "[[cluster]]\nname = \"c\"\nmode = \"anycast\"\n[[cluster.member]]\nname = \"gw1\"\nmanifest = \"gw1.json\"\n";

    let e = audit_error(d, &base.replace("mode =", "mod ="));
    assert!(
        e.starts_with(&format!("qcd: error: {inv}:3:1: unknown field `mod`")),
        "{e}"
    );
    let e = audit_error(d, &base.replace("\"anycast\"", "\"active-active\""));
    assert!(
        e.starts_with(&format!(
            "qcd: error: {inv}:3:8: unknown variant `active-active`"
        )),
        "{e}"
    );
    assert!(
        e.contains("`hot-standby`, `load-sharing`, `anycast`, `standalone`"),
        "{e}"
    );
    let e = audit_error(d, &base.replace("[[cluster.member]]", "[[cluster.member]"));
    assert!(e.starts_with(&format!("qcd: error: {inv}:4:")), "{e}");
    let e = audit_error(d, &format!("{base}[cluster.policy]\nmax_age = 365\n"));
    assert!(
        e.starts_with(&format!(
            "qcd: error: {inv}:8:11: invalid type: integer `365`"
        )),
        "{e}"
    );

    let cases = [
        (
            base.replace("manifest = \"gw1.json\"", "manifest = \"gw9.json\""),
            format!(
                "cluster \"c\", member \"gw1\": no manifest at {}",
                d.join("gw9.json").display()
            ),
        ),
        (
            base.replace("manifest = \"gw1.json\"", "keyring = \"gw9.json\""),
            format!(
                "cluster \"c\", member \"gw1\": no keyring at {}",
                d.join("gw9.json").display()
            ),
        ),
        (
            base.replace(
                "manifest = \"gw1.json\"",
                "manifest = \"gw1.json\"\nkeyring = \"k\"",
            ),
            "both \"keyring\" and \"manifest\" are set".to_string(),
        ),
        (
            base.replace("manifest = \"gw1.json\"", ""),
            "neither \"keyring\" nor \"manifest\"".to_string(),
        ),
        (
            format!("{base}[[cluster.member]]\nname = \"gw1\"\nmanifest = \"gw1.json\"\n"),
            "cluster \"c\": member \"gw1\" is listed twice".to_string(),
        ),
        (
            format!("{base}[[cluster]]\nname = \"empty\"\nmode = \"standalone\"\n"),
            "cluster \"empty\" has no members".to_string(),
        ),
        (
            format!("{base}[cluster.policy]\noverlap = \"a day\"\n"),
            "cluster \"c\": policy: overlap: \"a day\" is not a duration".to_string(),
        ),
    ];
    for (text, want) in cases {
        let e = audit_error(d, &text);
        assert!(
            e.starts_with("qcd: error: ") && e.contains(&want),
            "{e}\n  wanted: {want}"
        );
    }
}

#[test]
fn bad_manifests_and_keyrings_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = "[[cluster]]\nname = \"c\"\nmode = \"anycast\"\n[[cluster.member]]\nname = \"gw1\"\nmanifest = \"m.json\"\n";
    let m = d.join("m.json");
    // A keyring given as a manifest.
    write_keyring(d, "m.json", &keyring(1));
    let e = audit_error(d, base);
    assert!(
        e.contains(&format!(
            "manifest {}: \"format\" is \"qcd-keyring\"",
            m.display()
        )),
        "{e}"
    );
    // A newer manifest version.
    write_manifest(d, "m.json", &keyring(1), 0o600);
    let text = std::fs::read_to_string(&m)
        .unwrap()
        .replacen("\"version\": 1", "\"version\": 2", 1);
    std::fs::write(&m, text).unwrap();
    let e = audit_error(d, base);
    assert!(e.contains("manifest version 2 is not supported"), "{e}");
    // Broken JSON: file, line and column.
    std::fs::write(
        &m,
        "{\"format\": \"qcd-manifest\",\n \"version\": 1,\n \"keyring\": }",
    )
    .unwrap();
    let e = audit_error(d, base);
    assert!(
        e.contains(&format!("manifest {}:3:13: expected value", m.display())),
        "{e}"
    );
    // A corrupt keyring: the store's own message.
    std::fs::write(
        d.join("k.json"),
        "{\"format\": \"qcd-keyring\", \"version\": 1, \"generations\": []}",
    )
    .unwrap();
    let e = audit_error(
        d,
        &base.replace("manifest = \"m.json\"", "keyring = \"k.json\""),
    );
    assert!(e.contains("the keyring has no generations"), "{e}");
    // JSON inventory syntax errors give line and column too.
    let inv = d.join("inv.json");
    std::fs::write(&inv, "{\"cluster\": [\n  {\"name\": \"c\",, }]}").unwrap();
    qcd()
        .arg("audit")
        .arg(&inv)
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(format!(
            "qcd: error: {}:2:16: ",
            inv.display()
        )))
        .stderr(predicate::str::contains("key must be a string"));
}

#[test]
fn weak_keyring_secret_is_seen_locally() {
    let dir = tempfile::tempdir().unwrap();
    let weak = Keyring::new(
        SecretBytes::new(b"qcdqcdqcdqcdqcdqcdqcdqcdqcdqcdqc".to_vec()),
        TokenSpec::default(),
        now() - days(1),
        Origin::Imported,
    );
    write_keyring(dir.path(), "gw1.json", &weak);
    write_keyring(dir.path(), "gw2.json", &keyring(2));
    let inv = inventory(
        dir.path(),
        "[[cluster]]\nname = \"s\"\nmode = \"standalone\"\n\
         [[cluster.member]]\nname = \"gw1\"\nkeyring = \"gw1.json\"\n\
         [[cluster.member]]\nname = \"gw2\"\nkeyring = \"gw2.json\"\n",
    );
    let out = qcd().args(["--json", "audit"]).arg(&inv).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["id"].as_str(), v["severity"].as_str()),
        (Some("QCD004"), Some("high"))
    );
    assert_eq!(v["members"], serde_json::json!(["gw1"]));
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("repeat a short pattern"),
        "{v}"
    );
}

/// Runs `qcd ARGS…` in `dir` at time `now`, piping `stdin`; returns stdout, asserting success.
fn qcd_in(dir: &Path, now: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = Command::cargo_bin("qcd")
        .unwrap()
        .current_dir(dir)
        .env("QCD_NOW", now)
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "qcd {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The findings of `qcd --json audit inventory.toml` run in `dir` at `now`.
fn findings_in(dir: &Path, now: &str) -> Vec<serde_json::Value> {
    let out = Command::cargo_bin("qcd")
        .unwrap()
        .current_dir(dir)
        .env("QCD_NOW", now)
        .args(["--json", "audit", "inventory.toml", "--fail-on", "info"])
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn audit_in(dir: &Path, now: &str) -> Vec<String> {
    findings_in(dir, now)
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// Runs every `command` quoted in a finding's fix, as given, with this build's
/// qcd first in PATH (`ssh HOST ` dropped: all members live in `dir`).
fn run_fix(dir: &Path, now: &str, finding: &serde_json::Value) {
    let fix = finding["fix"].as_str().unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_qcd")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let commands: Vec<&str> = fix.split('`').skip(1).step_by(2).collect();
    assert!(!commands.is_empty(), "no command in {fix}");
    for cmd in commands {
        let words: Vec<&str> = cmd.split(' ').collect();
        let mut local = Vec::new();
        let mut i = 0;
        while i < words.len() {
            if words[i] == "ssh" {
                i += 2;
                continue;
            }
            local.push(words[i]);
            i += 1;
        }
        let local = local.join(" ");
        let out = std::process::Command::new("sh")
            .args(["-ec", &local])
            .current_dir(dir)
            .env("PATH", &path)
            .env("QCD_NOW", now)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{local}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

const HOT_STANDBY: &str = "[[cluster]]\nname = \"dc1\"\nmode = \"hot-standby\"\n\
     [[cluster.member]]\nname = \"gw1\"\nkeyring = \"gw1.json\"\n\
     [[cluster.member]]\nname = \"gw2\"\nkeyring = \"gw2.json\"\n";

/// A hot-standby pair sharing one freshly generated secret at `t0`.
fn standby_pair(d: &Path, t0: &str) {
    inventory(d, HOT_STANDBY);
    qcd_in(d, t0, &["secret", "generate", "-k", "gw1.json"], b"");
    let hex = qcd_in(
        d,
        t0,
        &["secret", "export", "-k", "gw1.json", "--format", "hex"],
        b"",
    );
    qcd_in(
        d,
        t0,
        &["secret", "import", "-k", "gw2.json", "--format", "hex"],
        &hex,
    );
    assert!(audit_in(d, t0).is_empty());
}

/// The commands a finding names, run as given, make it go away.
#[test]
fn the_fixes_named_by_findings_work() {
    let t0 = "2026-11-01T00:00:00Z";
    let t1 = "2026-11-02T00:00:00Z";

    // QCD002: gw1 rotates, gw2 is forgotten.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    standby_pair(d, t0);
    qcd_in(
        d,
        t1,
        &["secret", "rotate", "-k", "gw1.json", "--overlap", "48h"],
        b"",
    );
    let f = findings_in(d, t1);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["id"], "QCD002");
    run_fix(d, t1, &f[0]);
    assert!(audit_in(d, t1).is_empty());

    // QCD002 both ways: gw2 was set up with a secret of its own a day later;
    // the two findings' fixes together leave one shared active generation.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    inventory(d, HOT_STANDBY);
    qcd_in(d, t0, &["secret", "generate", "-k", "gw1.json"], b"");
    qcd_in(d, t1, &["secret", "generate", "-k", "gw2.json"], b"");
    let f = findings_in(d, t1);
    assert_eq!(audit_in(d, t1), ["QCD002", "QCD002"]);
    assert!(f
        .iter()
        .any(|f| f["fix"].as_str().unwrap().contains("--as previous")));
    for finding in &f {
        run_fix(d, t1, finding);
    }
    assert!(audit_in(d, t1).is_empty());

    // QCD003: gw2 took gw1's new secret only as previous (rotation drift).
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    standby_pair(d, t0);
    qcd_in(
        d,
        t1,
        &["secret", "rotate", "-k", "gw1.json", "--overlap", "48h"],
        b"",
    );
    let hex = qcd_in(
        d,
        t1,
        &["secret", "export", "-k", "gw1.json", "--format", "hex"],
        b"",
    );
    qcd_in(
        d,
        t1,
        &[
            "secret",
            "import",
            "-k",
            "gw2.json",
            "--format",
            "hex",
            "--as",
            "previous",
            "--overlap",
            "48h",
        ],
        &hex,
    );
    let f = findings_in(d, t1);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["id"], "QCD003");
    run_fix(d, t1, &f[0]);
    assert!(audit_in(d, t1).is_empty());

    // QCD005 and QCD010: a readable keyring keeping an expired generation.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    inventory(d, "[[cluster]]\nname = \"s\"\nmode = \"standalone\"\n[[cluster.member]]\nname = \"gw1\"\nkeyring = \"gw1.json\"\n");
    qcd_in(d, t0, &["secret", "generate", "-k", "gw1.json"], b"");
    qcd_in(
        d,
        t0,
        &["secret", "rotate", "-k", "gw1.json", "--overlap", "1h"],
        b"",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.join("gw1.json"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let f = findings_in(d, t1);
    assert_eq!(
        f.iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["QCD005", "QCD010"]
    );
    for finding in &f {
        run_fix(d, t1, finding);
    }
    assert!(audit_in(d, t1).is_empty());

    // QCD001: a cloned secret in a load-sharing pair; derive per member, prune after the overlap.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    inventory(
        d,
        "[[cluster]]\nname = \"lb\"\nmode = \"load-sharing\"\n\
         [[cluster.member]]\nname = \"lb1\"\nkeyring = \"lb1.json\"\n\
         [[cluster.member]]\nname = \"lb2\"\nkeyring = \"lb2.json\"\n",
    );
    qcd_in(d, t0, &["secret", "generate", "-k", "lb1.json"], b"");
    std::fs::copy(d.join("lb1.json"), d.join("lb2.json")).unwrap();
    let f = findings_in(d, t0);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["id"], "QCD001");
    // The fix names a root keyring the operator keeps off the gateways.
    qcd_in(d, t0, &["secret", "generate", "-k", "ROOT.json"], b"");
    let fix = f[0]["fix"].as_str().unwrap().replace("KEYRING", "lb1.json");
    let derive_only = serde_json::json!({ "fix": fix.split("; then").next().unwrap() });
    run_fix(d, t1, &derive_only);
    // The old shared secret stays a previous generation on both for the overlap.
    assert_eq!(audit_in(d, t1), ["QCD001"]);
    let t2 = "2026-11-03T00:00:01Z";
    assert_eq!(audit_in(d, t2), ["QCD001", "QCD010", "QCD010"]);
    for finding in findings_in(d, t2).iter().filter(|f| f["id"] == "QCD010") {
        run_fix(d, t2, finding);
    }
    assert!(audit_in(d, t2).is_empty());
}

/// The lines of `qcd audit` on the shipped example inventory at `width`
/// columns, split at the table's end: (table lines, lines after it).
fn check_fits(text: &str, width: usize) {
    let text = text.replace('\r', "");
    let end = text.find("\nWhy it matters:").expect("a why section");
    for line in text[..end].lines() {
        assert!(
            line.chars().count() <= width,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    // Every command of every finding is on a line of its own, whole.
    let inv = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/audit/inventory.toml");
    let json = qcd().arg("--json").arg("audit").arg(&inv).output().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut commands = 0;
    for f in String::from_utf8(json.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(f).unwrap();
        for c in v["commands"].as_array().unwrap() {
            let c = c.as_str().unwrap();
            assert!(
                lines.iter().any(|l| l.starts_with(&format!("{c}  # ["))),
                "{c} is not whole on a line:\n{text}"
            );
            commands += 1;
        }
    }
    assert!(commands >= 7, "{commands}");
}

/// Issue 15: the audit table of the shipped examples fits 80 columns, and
/// no fix command is split in a cell: they are printed below the table.
#[test]
fn audit_table_fits_80_columns_with_whole_commands() {
    let inv = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/audit/inventory.toml");
    for width in [80usize, 120] {
        let out = qcd()
            .env("COLUMNS", width.to_string())
            .arg("audit")
            .arg(&inv)
            .output()
            .unwrap();
        check_fits(&String::from_utf8(out.stdout).unwrap(), width);
    }
    for example in ["hot-standby.toml", "load-sharing.toml", "standalone.toml"] {
        let inv = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/audit")
            .join(example);
        let out = qcd()
            .env("COLUMNS", "80")
            .arg("audit")
            .arg(&inv)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for line in text.split("\nWhy it matters:").next().unwrap().lines() {
            assert!(line.chars().count() <= 80, "{example}: {line}");
        }
    }
}

/// The same in a real terminal of 80 columns (a pty made by `script`, from
/// util-linux): the width comes from the terminal.
#[test]
fn audit_fits_an_80_column_terminal() {
    let inv = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/audit/inventory.toml");
    let qcd_bin = env!("CARGO_BIN_EXE_qcd");
    let cmd = format!(
        "stty cols 80 rows 50; env -u COLUMNS QCD_NOW={NOW} {qcd_bin} --color=never audit {}",
        inv.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script (util-linux) runs: it gives the test a terminal");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("What is wrong"), "{text}");
    check_fits(&text, 80);
}
