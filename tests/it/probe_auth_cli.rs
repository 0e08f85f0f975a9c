//! `qcd probe --auth` as a user runs it, against a scripted IKEv2 PSK
//! responder on loopback (tests/it/support/ike_responder.rs): the JSON fields on
//! the target object, the text, exit statuses, the PSK only from a private
//! file, and the "done when": a gateway that stays silent for 30 s
//! after the delete (Rockhopper keeps a deleted SA that long) still gives
//! `match` with the default 60 s deadline, the requests paced (every 3 s),
//! no `no-reply` before the deadline. Only loopback; every socket is the
//! test's own.

use crate::support::{self, ike_responder};

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use ike_responder::{Responder, Script};
use qcd::ikeinit::parse_identity;
use serde_json::Value;

const PSK: &[u8] = b"probe-auth-cli-psk";

fn qcd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_qcd"));
    c.env_remove("QCD_KEYRING").env_remove("QCD_NOW");
    c
}

fn psk_file(dir: &Path, bytes: &[u8], mode: u32) -> PathBuf {
    let p = dir.join("gw.psk");
    std::fs::write(&p, bytes).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

fn responder(auth: Option<&[u8]>, after: Option<&[u8]>, silence: Duration) -> Responder {
    Responder::start(Script {
        psk: PSK.to_vec(),
        id: parse_identity("fqdn:gw.scripted.test").unwrap(),
        auth_token: auth.map(<[u8]>::to_vec),
        token_after_delete: after.map(<[u8]>::to_vec),
        silence,
        cookie: false,
    })
}

fn probe(r: &Responder, psk: &Path, extra: &[&str]) -> Output {
    qcd()
        .args(["--json", "probe"])
        .arg(r.addr.to_string())
        .arg(format!("--auth=psk:{}", psk.display()))
        .args(["--id", "email:probe@scripted.test"])
        .args(extra)
        .output()
        .unwrap()
}

fn target_json(out: &Output) -> Value {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let first = text.lines().next().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    serde_json::from_str(first).unwrap()
}

#[test]
fn silent_for_30_s_after_the_delete_then_match() {
    let _timed = support::timed();
    let dir = tempfile::tempdir().unwrap();
    let psk = psk_file(dir.path(), PSK, 0o600);
    let token = [0xabu8; 64];
    let r = responder(Some(&token), Some(&token), Duration::from_secs(30));
    let keys = dir.path().join("probe.keys");
    let started = Instant::now();
    let out = probe(
        &r,
        &psk,
        &[
            "--peer-id",
            "fqdn:gw.scripted.test",
            "--keys-out",
            keys.to_str().unwrap(),
        ],
    );
    let took = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the live check finds no token for random SPIs: {out:?}"
    );
    let j = target_json(&out);
    assert_eq!(j["e2e"], "match", "{j}");
    assert_eq!(j["auth_token"], hex::encode(token));
    assert_eq!(j["token_after_delete"], hex::encode(token));
    let wait = j["wait_s"].as_f64().unwrap();
    assert!((30.0..34.0).contains(&wait), "{wait}");
    assert_eq!(j["spi_r"], "7272727272727272");
    assert_eq!(j["spi_i"].as_str().unwrap().len(), 16);
    assert_eq!(j["peer_id"], "fqdn:gw.scripted.test");
    assert!(j["delete_answered"].as_bool().unwrap());
    assert_eq!(
        j["suite"],
        "AES-CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519"
    );
    // the live check's own fields are still there
    assert!(
        j.get("verdict").is_some() && j.get("probe_spi_i").is_some(),
        "{j}"
    );
    assert!(took < Duration::from_secs(50), "{took:?}");
    // paced: 3 s apart, ~11 requests before the answer
    let seen = r.seen();
    assert!(
        (10..=13).contains(&seen.liveness.len()),
        "{}",
        seen.liveness.len()
    );
    for w in seen.liveness.windows(2) {
        assert!(w[1].duration_since(w[0]) >= Duration::from_millis(2900));
    }
    // the key table is private and names the SA
    let table = std::fs::read_to_string(&keys).unwrap();
    assert!(table.starts_with(j["spi_i"].as_str().unwrap()), "{table}");
    assert!(table.contains("\"AES-CBC-256 [RFC3602]\""), "{table}");
    assert_eq!(
        std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn mismatch_no_token_and_no_reply_with_text() {
    let _timed = support::timed();
    let dir = tempfile::tempdir().unwrap();
    let psk = psk_file(dir.path(), PSK, 0o600);
    let r = responder(Some(&[1; 32]), Some(&[2; 32]), Duration::ZERO);
    let j = target_json(&probe(&r, &psk, &[]));
    assert_eq!(j["e2e"], "mismatch");
    assert!(
        j["e2e_advice"].as_str().unwrap().contains("another token"),
        "{j}"
    );

    let r = responder(None, None, Duration::ZERO);
    let j = target_json(&probe(&r, &psk, &[]));
    assert_eq!(j["e2e"], "no-token-in-auth");
    assert_eq!(j["auth_token"], Value::Null);
    assert_eq!(j["wait_s"], Value::Null);

    let r = responder(Some(&[1; 32]), None, Duration::ZERO);
    let started = Instant::now();
    let out = qcd()
        .args(["probe", &r.addr.to_string()])
        .arg(format!("--auth=psk:{}", psk.display()))
        .args([
            "--id",
            "fqdn:probe.scripted.test",
            "--deadline",
            "4s",
            "--color",
            "never",
        ])
        .output()
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(4));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "  e2e         no-reply: no token for the deleted IKE SA before the deadline"
        ),
        "{text}"
    );
    assert!(text.contains("  auth token  0101"), "{text}");
    assert!(
        text.contains("  what to do: the gateway gave a token in IKE_AUTH but did not answer"),
        "{text}"
    );
}

#[test]
fn the_psk_never_comes_from_argv_and_errors_name_the_cause() {
    let _timed = support::timed();
    let dir = tempfile::tempdir().unwrap();
    let r = responder(Some(&[1; 32]), None, Duration::ZERO);
    let addr = r.addr.to_string();
    let run = |args: &[&str]| {
        let out = qcd().arg("probe").arg(&addr).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["--auth", "probe-auth-cli-psk", "--id", "fqdn:x"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("never takes the key itself"), "{err}");
    assert!(
        !err.contains("probe-auth-cli-psk\""),
        "the key is not echoed: {err}"
    );
    let psk = psk_file(dir.path(), PSK, 0o644);
    let (code, err) = run(&[&format!("--auth=psk:{}", psk.display()), "--id", "fqdn:x"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("permission") || err.contains("0644") || err.contains("644"),
        "{err}"
    );
    let psk = psk_file(dir.path(), PSK, 0o600);
    let (code, err) = run(&[&format!("--auth=psk:{}", psk.display())]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--auth needs --id"), "{err}");
    let (code, err) = run(&[&format!("--auth=psk:{}", psk.display()), "--id", "host:x"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("TYPE:VALUE"), "{err}");
    let bad = psk_file(dir.path(), b"wrong-psk\n", 0o600);
    let (code, err) = run(&[&format!("--auth=psk:{}", bad.display()), "--id", "fqdn:x"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("AUTHENTICATION_FAILED") && err.contains("PSK"),
        "{err}"
    );
    // with stdin not a terminal, `psk` alone cannot prompt
    let (code, err) = run(&["--auth", "psk", "--id", "fqdn:x"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no terminal"), "{err}");
}
