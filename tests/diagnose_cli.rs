//! `qcd diagnose` on the scenario captures (built by qcd's own emit code and
//! cross-checked with tshark) and on real strongSwan captures.

mod util;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use util::Dir;

/// (file stem, verdict for the IKE SA in use at the reboot, its SPI-I).
const SCENARIOS: [(&str, &str); 8] = [
    ("healthy", "healthy"),
    ("recovered", "recovered"),
    ("no-token", "no-token"),
    ("secret-changed", "token-mismatch"),
    ("spis-swapped", "token-mismatch"),
    ("protocol-id-zero", "not-rekeyed"),
    ("no-liveness-check", "no-liveness-check"),
    ("rekeyed", "recovered"),
];

/// The IKE SA in use when B reboots: SA 3 after the rekey, else SA 1.
fn live_spi(name: &str) -> &'static str {
    if name == "rekeyed" {
        "a3a3a3a300000003"
    } else {
        "a1a1a1a100000001"
    }
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/scenarios")
        .join(name)
}

fn pcap(name: &str) -> String {
    data(&format!("{name}.pcap")).display().to_string()
}

/// The committed keyring loses its 0600 mode in git: use a private copy.
fn keyring(d: &Dir) -> String {
    let p = d.path("maker.keyring.json");
    std::fs::copy(data("maker.keyring.json"), &p).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.display().to_string()
}

fn reports(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_scenario_gets_its_verdict_and_exit_code() {
    let d = Dir::new();
    let k = keyring(&d);
    let keys = data("scenarios.keys").display().to_string();
    for (name, verdict) in SCENARIOS {
        let r = d.run(&["diagnose", &pcap(name), "--keys", &keys, "-k", &k, "--json"]);
        let want_code = if matches!(verdict, "healthy" | "recovered") {
            0
        } else {
            1
        };
        assert_eq!(r.code, Some(want_code), "{name}: {}", r.stderr);
        let reps = reports(&r.stdout);
        let live = reps
            .iter()
            .find(|r| r["spi_i"] == live_spi(name))
            .unwrap_or_else(|| panic!("{name}: no report for {}", live_spi(name)));
        assert_eq!(live["verdict"], verdict, "{name}: {}", live["reason"]);
        for key in ["spi_i", "spi_r", "verdict", "reason", "events", "notes"] {
            assert!(live.get(key).is_some(), "{name}: no {key}");
        }
        assert_eq!(live["spi_r"].as_str().unwrap().len(), 16);
        let events = live["events"].as_array().unwrap();
        let frames: Vec<u64> = events
            .iter()
            .map(|e| e["frame"].as_u64().unwrap())
            .collect();
        assert!(
            frames.windows(2).all(|w| w[0] <= w[1]),
            "{name}: events out of order"
        );
        assert!(events
            .iter()
            .all(|e| e["time"].as_str().unwrap().ends_with('Z')));
    }
}

#[test]
fn reasons_name_the_failed_step() {
    let d = Dir::new();
    let k = keyring(&d);
    let keys = data("scenarios.keys").display().to_string();
    let reason = |name: &str| {
        let r = d.run(&["diagnose", &pcap(name), "--keys", &keys, "-k", &k, "--json"]);
        reports(&r.stdout)[0]["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(reason("recovered").contains("recovered 0.8 s after the first INVALID_IKE_SPI"));
    assert!(reason("no-token").contains("carries no QCD_TOKEN"));
    assert!(reason("secret-changed").contains("QCD secret changed at the reboot"));
    assert!(reason("spis-swapped").contains("SPIs swapped"));
    assert!(!reason("spis-swapped").contains("taker address"));
    assert!(reason("protocol-id-zero").contains("protocol id 0"));
    assert!(reason("no-liveness-check").contains("never sent a liveness check"));
}

#[test]
fn a_rekeyed_sa_is_checked_against_the_token_given_in_the_rekey() {
    let d = Dir::new();
    let keys = data("scenarios.keys").display().to_string();
    let r = d
        .run(&["diagnose", &pcap("rekeyed"), "--keys", &keys, "--json"])
        .ok();
    let reps = reports(&r.stdout);
    assert_eq!(reps.len(), 3);
    assert_eq!(reps[0]["spi_i"], "a1a1a1a100000001");
    assert_eq!(reps[0]["verdict"], "healthy");
    assert!(reps[0]["reason"]
        .as_str()
        .unwrap()
        .contains("rekeyed into IKE SA a3a3a3a300000003"));
    let sa3 = reps[1].to_string();
    assert!(sa3.contains("replaces IKE SA a1a1a1a100000001"), "{sa3}");
    assert!(
        sa3.contains("byte for byte the token given in the IKE SA rekey"),
        "{sa3}"
    );
    // With a wrong key for SA 1 the rekey cannot be read, and the keyring decides instead.
    let table = std::fs::read_to_string(data("scenarios.keys"))
        .unwrap()
        .replace("4444", "4545");
    std::fs::write(d.path("wrong.keys"), table).unwrap();
    let k = keyring(&d);
    let r = d.run(&[
        "diagnose",
        &pcap("rekeyed"),
        "--keys",
        "wrong.keys",
        "-k",
        &k,
        "--json",
    ]);
    let reps = reports(&r.stdout);
    let sa3 = reps
        .iter()
        .find(|r| r["spi_i"] == "a3a3a3a300000003")
        .unwrap();
    assert_eq!(sa3["verdict"], "recovered");
    assert!(
        sa3.to_string().contains("matches keyring generation 1"),
        "{sa3}"
    );
    // SA 1's rekey is unreadable, so SA 1 looks abandoned; the timeline says why.
    assert_eq!(r.code, Some(1));
    assert!(reps[0]
        .to_string()
        .contains("SK not decrypted: integrity check failed"));
}

#[test]
fn each_source_of_evidence_works_alone() {
    let d = Dir::new();
    let k = keyring(&d);
    let keys = data("scenarios.keys").display().to_string();
    let first = |args: &[&str]| {
        let r = d.run(args);
        reports(&r.stdout).remove(0)
    };
    // Keyring only: the IKE_AUTH token is unknown, the keyring explains.
    let r = first(&["diagnose", &pcap("spis-swapped"), "-k", &k, "--json"]);
    assert_eq!(r["verdict"], "token-mismatch");
    assert!(
        r["reason"].as_str().unwrap().contains("SPIs swapped"),
        "{}",
        r["reason"]
    );
    let r = first(&["diagnose", &pcap("secret-changed"), "-k", &k, "--json"]);
    assert!(
        r["reason"].as_str().unwrap().contains("not persisted"),
        "{}",
        r["reason"]
    );
    // Key table only: the byte-for-byte comparison with the IKE_AUTH token decides.
    let r = first(&[
        "diagnose",
        &pcap("secret-changed"),
        "--keys",
        &keys,
        "--json",
    ]);
    assert_eq!(r["verdict"], "token-mismatch");
    // Neither: the token cannot be judged; recovery still shows.
    let r = first(&["diagnose", &pcap("secret-changed"), "--json"]);
    assert_eq!(r["verdict"], "not-rekeyed");
    assert!(r["reason"]
        .as_str()
        .unwrap()
        .contains("could not be checked"));
    let r = first(&["diagnose", &pcap("recovered"), "--json"]);
    assert_eq!(r["verdict"], "recovered");
    assert!(r["notes"].to_string().contains("not checked"));
}

#[test]
fn human_output_has_a_timeline_and_summary() {
    let d = Dir::new();
    let keys = data("scenarios.keys").display().to_string();
    let r = d
        .run(&["diagnose", &pcap("recovered"), "--keys", &keys])
        .ok();
    assert!(
        r.stdout.contains(
            "IKE SA a1a1a1a100000001 b1b1b1b100000001  192.0.2.1:500 → 198.51.100.2:500: recovered"
        ),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("gives QCD_TOKEN 17a67aadde0eaf8f… (32 bytes)"));
    assert!(r
        .stdout
        .contains("byte for byte the token given in IKE_AUTH"));
    assert!(r.stdout.contains("2 IKE SAs: 1 recovered, 1 healthy"));
}

#[test]
fn wrong_keys_are_reported_in_the_timeline() {
    let d = Dir::new();
    let table = std::fs::read_to_string(data("scenarios.keys"))
        .unwrap()
        .replace("4444", "4545");
    std::fs::write(d.path("wrong.keys"), table).unwrap();
    let r = d.run(&[
        "diagnose",
        &pcap("recovered"),
        "--keys",
        "wrong.keys",
        "--json",
    ]);
    let rep = &reports(&r.stdout)[0];
    assert!(
        rep["events"]
            .to_string()
            .contains("SK not decrypted: integrity check failed"),
        "{rep}"
    );
    d.run(&["diagnose", &pcap("recovered"), "--keys", "missing.keys"])
        .code(2)
        .stderr_has("missing.keys");
}

#[test]
fn damaged_and_foreign_files_are_errors() {
    let d = Dir::new();
    let mut bytes = std::fs::read(data("recovered.pcap")).unwrap();
    bytes.truncate(bytes.len() - 30);
    std::fs::write(d.path("cut.pcap"), &bytes).unwrap();
    let r = d.run(&["diagnose", "cut.pcap", "--json"]).code(2);
    assert!(r.stderr.contains("damaged"), "{}", r.stderr);
    assert!(
        !r.stdout.is_empty(),
        "what could be read is still diagnosed"
    );
    std::fs::write(d.path("notes.txt"), "hello").unwrap();
    d.run(&["diagnose", "notes.txt"])
        .code(2)
        .stderr_has("notes.txt");
}

#[test]
fn real_strongswan_reboot_is_diagnosed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/strongswan");
    let d = Dir::new();
    let r = d.run(&[
        "diagnose",
        &root.join("reboot.pcap").display().to_string(),
        "--keys",
        &root.join("reboot.keys").display().to_string(),
        "--json",
    ]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let rep = &reports(&r.stdout)[0];
    assert_eq!(rep["verdict"], "no-token");
    assert!(
        rep["reason"].as_str().unwrap().contains("never answered"),
        "{}",
        rep["reason"]
    );
    // The other strongSwan captures hold healthy IKE SAs.
    for entry in std::fs::read_dir(&root).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "pcap") && !p.ends_with("reboot.pcap") {
            let keys = p.with_extension("keys");
            let r = d.run(&[
                "diagnose",
                &p.display().to_string(),
                "--keys",
                &keys.display().to_string(),
                "--json",
            ]);
            assert_eq!(r.code, Some(0), "{}: {}", p.display(), r.stdout);
            assert!(!r.stdout.contains("SK not decrypted"), "{}", p.display());
        }
    }
}

#[test]
fn committed_scenarios_are_fresh() {
    let d = Dir::new();
    d.run(&["generate-scenarios", "--out", "."]).ok();
    for (name, _) in SCENARIOS {
        let f = format!("{name}.pcap");
        assert_eq!(
            d.read(&f),
            std::fs::read(data(&f)).unwrap(),
            "{f} is stale: run `cargo run -- generate-scenarios`"
        );
    }
    assert_eq!(
        d.read("scenarios.keys"),
        std::fs::read(data("scenarios.keys")).unwrap()
    );
}

#[test]
fn tshark_decrypts_the_scenarios_and_sees_the_same_tokens() {
    if Command::new("tshark").arg("--version").output().is_err() {
        eprintln!("note: tshark not installed; skipping");
        return;
    }
    let d = Dir::new();
    let home = d.path("home");
    std::fs::create_dir_all(home.join(".config/wireshark")).unwrap();
    std::fs::copy(
        data("scenarios.keys"),
        home.join(".config/wireshark/ikev2_decryption_table"),
    )
    .unwrap();
    for (name, _) in SCENARIOS {
        let out = Command::new("tshark")
            .env("HOME", &home)
            .args(["-r", &pcap(name), "-V"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        let sk = text
            .matches("Payload: Encrypted and Authenticated (46)")
            .count();
        assert!(sk >= 2, "{name}");
        assert_eq!(
            text.matches("[correct]").count(),
            sk,
            "{name}: tshark's integrity checks"
        );
        assert_eq!(text.matches("[incorrect").count(), 0, "{name}");
        // The token B gave in IKE_AUTH: HMAC-SHA-256(maker secret, SPI-I ‖ SPI-R), as
        // python3 -c 'import hmac,hashlib; s=bytes((i*37+11)&255 for i in range(32));
        //   print(hmac.new(s,bytes.fromhex("a1a1a1a100000001b1b1b1b100000001"),hashlib.sha256).hexdigest())'
        // prints it.
        assert!(text.contains("Token Secret Data: 17a67aadde0eaf8fb550af6f128ef75bac79f4a7d4b27e68bdbd8520c3d5892d"), "{name}");
    }
}
