//! `qcd secret …` as a user runs it.

use crate::support;

use std::os::unix::fs::PermissionsExt;

use support::{mode_of, Dir};

fn gen(d: &Dir, name: &str) {
    d.run(&["secret", "generate", "-k", name]).ok();
}

fn export_hex(d: &Dir, name: &str, generation: Option<&str>) -> String {
    let mut args = vec!["secret", "export", "-k", name, "--format", "hex"];
    if let Some(g) = generation {
        args.extend(["-g", g]);
    }
    d.run(&args).ok().stdout.trim().to_string()
}

fn list(d: &Dir, name: &str) -> serde_json::Value {
    d.run(&["secret", "list", "-k", name, "--json"]).ok().json()
}

fn states(d: &Dir, name: &str) -> Vec<(u64, String)> {
    list(d, name)["generations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_u64().unwrap(),
                g["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn generate_creates_a_private_keyring_and_refuses_to_overwrite() {
    let d = Dir::new();
    let r = d
        .run(&["secret", "generate", "-k", "k.json", "--json"])
        .ok();
    let j = r.json();
    assert_eq!(j["action"], "generated");
    assert_eq!(j["generation"]["id"], 1);
    assert_eq!(j["generation"]["secret_bytes"], 32);
    assert_eq!(j["generation"]["profile"], "hmac-sha256");
    assert_eq!(mode_of(&d.path("k.json")), 0o600);
    let before = d.read("k.json");
    d.run(&["secret", "generate", "-k", "k.json"])
        .code(2)
        .stderr_has("already exists")
        .stderr_has("--force");
    assert_eq!(d.read("k.json"), before);
    d.run(&[
        "secret", "generate", "-k", "k.json", "--force", "--bytes", "64",
    ])
    .ok();
    assert_eq!(list(&d, "k.json")["generations"][0]["secret_bytes"], 64);
    assert_eq!(export_hex(&d, "k.json", None).len(), 128);
}

#[test]
fn keyring_path_comes_from_the_environment() {
    let d = Dir::new();
    let r = d
        .cmd(&["secret", "generate"])
        .env("QCD_KEYRING", d.path("env.json"))
        .output()
        .unwrap();
    assert!(r.status.success());
    assert!(d.path("env.json").exists());
    let r = d.run(&["secret", "list"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("--keyring"), "{}", r.stderr);
}

#[test]
fn generate_checks_sizes_and_profiles() {
    let d = Dir::new();
    d.run(&["secret", "generate", "-k", "a.json", "--bytes", "15"])
        .code(2)
        .stderr_has("16 to 1024");
    d.run(&["secret", "generate", "-k", "a.json", "--bytes", "1025"])
        .code(2)
        .stderr_has("16 to 1024");
    assert!(!d.path("a.json").exists());
    d.run(&["secret", "generate", "-k", "a.json", "--bytes", "16"])
        .ok();
    d.run(&[
        "secret",
        "generate",
        "-k",
        "b.json",
        "--profile",
        "hmac-sha1",
        "--length",
        "21",
    ])
    .code(2)
    .stderr_has("16 to 20");
    // clap lists the profiles (the same list --help and completions offer).
    d.run(&["secret", "generate", "-k", "b.json", "--profile", "md5"])
        .code(2)
        .stderr_has("invalid value 'md5' for '--profile <PROFILE>'")
        .stderr_has("[possible values: hmac-sha256, hmac-sha512, hmac-sha1, sha256-concat]");
    d.run(&[
        "secret",
        "generate",
        "-k",
        "b.json",
        "--profile",
        "hmac-sha512",
        "--bind-taker-addr",
    ])
    .ok();
    let g = &list(&d, "b.json")["generations"][0];
    assert_eq!(g["profile"], "hmac-sha512");
    assert_eq!(g["token_length"], 64);
    assert_eq!(g["taker_addr"], true);
}

#[test]
fn rotate_keeps_the_old_generation_as_previous_until_the_overlap_ends() {
    let d = Dir::new();
    gen(&d, "k.json");
    let first = export_hex(&d, "k.json", None);
    let r = d
        .cmd(&[
            "secret",
            "rotate",
            "-k",
            "k.json",
            "--overlap",
            "90m",
            "--json",
        ])
        .env("QCD_NOW", "2030-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(r.status.success());
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(j["action"], "rotated");
    assert_eq!(j["generation"]["id"], 2);
    assert_eq!(j["previous"]["id"], 1);
    assert_eq!(j["previous"]["expires"], "2030-01-01T01:30:00Z");
    assert_ne!(export_hex(&d, "k.json", None), first);
    assert_eq!(export_hex(&d, "k.json", Some("1")), first);
    let at = |t: &str| {
        let o = d
            .cmd(&["secret", "list", "-k", "k.json", "--json"])
            .env("QCD_NOW", t)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["generations"][0]["state"].as_str().unwrap().to_string()
    };
    assert_eq!(at("2030-01-01T01:29:59Z"), "previous");
    assert_eq!(at("2030-01-01T01:30:00Z"), "expired");
}

#[test]
fn rotate_if_older_than_is_idempotent_for_timers() {
    let d = Dir::new();
    d.cmd(&["secret", "generate", "-k", "k.json"])
        .env("QCD_NOW", "2030-01-01T00:00:00Z")
        .output()
        .unwrap();
    let before = d.read("k.json");
    let r = d
        .cmd(&["secret", "rotate", "-k", "k.json", "--if-older-than", "30d"])
        .env("QCD_NOW", "2030-01-20T00:00:00Z")
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&r.stdout).contains("not rotated"));
    assert_eq!(
        d.read("k.json"),
        before,
        "a no-op rotate must not rewrite the file"
    );
    let r = d
        .cmd(&[
            "secret",
            "rotate",
            "-k",
            "k.json",
            "--if-older-than",
            "30d",
            "--json",
        ])
        .env("QCD_NOW", "2030-02-01T00:00:00Z")
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(j["action"], "rotated");
    assert_eq!(j["generation"]["id"], 2);
}

#[test]
fn rotate_dry_run_changes_nothing() {
    let d = Dir::new();
    gen(&d, "k.json");
    let before = d.read("k.json");
    let r = d
        .run(&["secret", "rotate", "-k", "k.json", "--dry-run", "--json"])
        .ok();
    let j = r.json();
    assert_eq!(j["dry_run"], true);
    assert_eq!(j["changed"], true);
    assert_eq!(d.read("k.json"), before);
}

#[test]
fn list_never_shows_secrets_and_reports_file_mode() {
    let d = Dir::new();
    gen(&d, "k.json");
    d.run(&["secret", "rotate", "-k", "k.json"]).ok();
    let secrets = [
        export_hex(&d, "k.json", Some("1")),
        export_hex(&d, "k.json", Some("2")),
    ];
    let b64: Vec<String> = secrets
        .iter()
        .map(|h| {
            let bytes = hex::decode(h).unwrap();
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(bytes)
        })
        .collect();
    for args in [
        vec!["secret", "list", "-k", "k.json"],
        vec!["secret", "list", "-k", "k.json", "--json"],
        vec!["secret", "rotate", "-k", "k.json", "--json"],
        vec!["secret", "prune", "-k", "k.json", "--json"],
    ] {
        let r = d.run(&args).ok();
        for s in secrets.iter().chain(&b64) {
            assert!(
                !r.stdout.contains(s.as_str()) && !r.stderr.contains(s.as_str()),
                "{args:?} leaked a secret"
            );
        }
    }
    let j = list(&d, "k.json");
    assert_eq!(j["format"], "qcd-manifest");
    assert_eq!(j["file"]["mode"], "0600");
    assert!(j["file"]["uid"].is_number());
    let g = &j["generations"][0];
    for key in [
        "id",
        "state",
        "created",
        "expires",
        "fingerprint",
        "secret_bytes",
        "profile",
        "token_length",
        "taker_addr",
        "origin",
        "weak",
    ] {
        assert!(g.get(key).is_some(), "manifest generation lacks {key}");
    }
}

#[test]
fn insecure_permissions_are_refused_with_the_fix() {
    let d = Dir::new();
    gen(&d, "k.json");
    std::fs::set_permissions(d.path("k.json"), std::fs::Permissions::from_mode(0o644)).unwrap();
    d.run(&["secret", "list", "-k", "k.json"])
        .code(2)
        .stderr_has("mode 0644")
        .stderr_has("chmod 600");
    d.run(&["secret", "rotate", "-k", "k.json"])
        .code(2)
        .stderr_has("chmod 600");
    d.run(&[
        "secret",
        "list",
        "-k",
        "k.json",
        "--allow-insecure-permissions",
    ])
    .ok();
}

#[test]
fn malformed_keyrings_give_clear_errors_and_stay_untouched() {
    let d = Dir::new();
    gen(&d, "k.json");
    let good: serde_json::Value = serde_json::from_slice(&d.read("k.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "bad json",
            b"{\"format\": \"qcd-keyring\",\n  \"version\": 1,\n  oops".to_vec(),
            "line 3",
        ),
        (
            "version",
            {
                let mut v = good.clone();
                v["version"] = 9.into();
                v.to_string().into_bytes()
            },
            "version 9 is not supported",
        ),
        (
            "two active",
            {
                let mut v = good.clone();
                let g = v["generations"][0].clone();
                let mut g2 = g.clone();
                g2["id"] = 2.into();
                v["generations"] = serde_json::json!([g, g2]);
                v.to_string().into_bytes()
            },
            "both active",
        ),
        (
            "duplicate",
            {
                let mut v = good.clone();
                let g = v["generations"][0].clone();
                let mut g2 = g.clone();
                g2["state"] = "previous".into();
                g2["expires"] = "2030-01-01T00:00:00Z".into();
                v["generations"] = serde_json::json!([g, g2]);
                v.to_string().into_bytes()
            },
            "id 1 appears more than once",
        ),
        (
            "encoding",
            {
                let mut v = good.clone();
                v["generations"][0]["secret"] = "%%%".into();
                v.to_string().into_bytes()
            },
            "not valid base64",
        ),
    ];
    for (what, bytes, needle) in cases {
        std::fs::write(d.path("k.json"), &bytes).unwrap();
        for args in [
            vec!["secret", "list", "-k", "k.json"],
            vec!["secret", "rotate", "-k", "k.json"],
            vec!["secret", "prune", "-k", "k.json"],
        ] {
            let r = d.run(&args).code(2);
            assert!(
                r.stderr.contains("k.json") && r.stderr.contains(needle),
                "{what}: {}",
                r.stderr
            );
            assert_eq!(
                d.read("k.json"),
                bytes,
                "{what}: a failed command modified the file"
            );
        }
    }
}

#[test]
fn export_formats_and_files() {
    let d = Dir::new();
    gen(&d, "k.json");
    let hex_text = export_hex(&d, "k.json", None);
    let bytes = hex::decode(&hex_text).unwrap();
    let b64 = d
        .run(&["secret", "export", "-k", "k.json", "--format", "base64"])
        .ok()
        .stdout;
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .unwrap(),
        bytes
    );
    let raw = d
        .run(&["secret", "export", "-k", "k.json", "--format", "raw"])
        .ok()
        .raw_stdout;
    assert_eq!(raw, bytes);
    d.run(&[
        "secret",
        "export",
        "-k",
        "k.json",
        "--format",
        "raw",
        "--out",
        "daemon.key",
    ])
    .ok();
    assert_eq!(d.read("daemon.key"), bytes);
    assert_eq!(mode_of(&d.path("daemon.key")), 0o600);
    let j = d
        .run(&[
            "secret",
            "export",
            "-k",
            "k.json",
            "--format",
            "raw",
            "--out",
            "daemon.key",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(j["changed"], false);
    d.run(&["secret", "rotate", "-k", "k.json"]).ok();
    // The file holds this keyring's previous generation: a normal update.
    let j = d
        .run(&[
            "secret",
            "export",
            "-k",
            "k.json",
            "--format",
            "raw",
            "--out",
            "daemon.key",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(j["changed"], true);
    assert_eq!(j["replaced"], "generation");
    assert_eq!(j["replaced_generation"], 1);
    assert_ne!(d.read("daemon.key"), bytes);
    // Foreign content (no generation of the keyring) needs --force.
    let foreign = [0x42u8; 32];
    std::fs::write(d.path("daemon.key"), foreign).unwrap();
    d.run(&[
        "secret",
        "export",
        "-k",
        "k.json",
        "--format",
        "raw",
        "--out",
        "daemon.key",
    ])
    .code(2)
    .stderr_has("no generation of this keyring")
    .stderr_has("--force");
    assert_eq!(d.read("daemon.key"), foreign);
    let j = d
        .run(&[
            "secret",
            "export",
            "-k",
            "k.json",
            "--format",
            "raw",
            "--out",
            "daemon.key",
            "--force",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(j["replaced"], "foreign");
    assert_ne!(d.read("daemon.key"), foreign);
    d.run(&[
        "secret", "export", "-k", "k.json", "--format", "raw", "--json",
    ])
    .code(2)
    .stderr_has("--format hex");
    d.run(&[
        "secret", "export", "-k", "k.json", "--format", "hex", "-g", "7",
    ])
    .code(2)
    .stderr_has("no generation 7");
}

#[test]
fn import_accepts_every_hex_spelling_and_is_idempotent() {
    let d = Dir::new();
    gen(&d, "src.json");
    let hex_text = export_hex(&d, "src.json", None);
    let fp = list(&d, "src.json")["generations"][0]["fingerprint"].clone();
    let upper = hex_text.to_uppercase();
    let colons: Vec<String> = hex_text
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let spellings = [
        hex_text.clone(),
        format!("0x{upper}\n"),
        colons.join(":"),
        format!("  {}\n", colons.join(" ")),
    ];
    for (i, s) in spellings.iter().enumerate() {
        let name = format!("dst{i}.json");
        d.run_stdin(
            &["secret", "import", "-k", &name, "--format", "hex"],
            s.as_bytes(),
        )
        .ok();
        assert_eq!(
            list(&d, &name)["generations"][0]["fingerprint"],
            fp,
            "{s:?}"
        );
        assert_eq!(mode_of(&d.path(&name)), 0o600);
        let again = d
            .run_stdin(
                &["secret", "import", "-k", &name, "--format", "hex", "--json"],
                s.as_bytes(),
            )
            .ok();
        assert_eq!(again.json()["action"], "already-present");
    }
    std::fs::write(d.path("peer.hex"), &hex_text).unwrap();
    gen(&d, "standby.json");
    let import_peer = [
        "secret",
        "import",
        "-k",
        "standby.json",
        "--format",
        "hex",
        "--in",
        "peer.hex",
    ];
    // a secret file others can read is refused, like a keyring
    std::fs::set_permissions(d.path("peer.hex"), std::fs::Permissions::from_mode(0o644)).unwrap();
    d.run(&import_peer)
        .code(2)
        .stderr_has("mode 0644")
        .stderr_has("chmod 600 peer.hex");
    std::fs::set_permissions(d.path("peer.hex"), std::fs::Permissions::from_mode(0o600)).unwrap();
    d.run(&[
        "secret",
        "import",
        "-k",
        "standby.json",
        "--format",
        "hex",
        "--in",
        "peer.hex",
        "--as",
        "previous",
        "--overlap",
        "7d",
    ])
    .ok();
    assert_eq!(
        states(&d, "standby.json"),
        vec![(1, "active".into()), (2, "previous".into())]
    );
}

#[test]
fn import_rejects_bad_input_and_warns_on_weak_secrets() {
    let d = Dir::new();
    d.run_stdin(
        &["secret", "import", "-k", "k.json", "--format", "hex"],
        b"abcd",
    )
    .code(2)
    .stderr_has("16 to 1024");
    d.run_stdin(
        &["secret", "import", "-k", "k.json", "--format", "hex"],
        b"zz",
    )
    .code(2)
    .stderr_has("not a hex digit");
    d.run_stdin(
        &["secret", "import", "-k", "k.json", "--format", "base64"],
        b"***",
    )
    .code(2)
    .stderr_has("invalid base64");
    assert!(!d.path("k.json").exists());
    // A visibly weak secret is refused unless --allow-weak (with a warning then).
    d.run_stdin(
        &["secret", "import", "-k", "k.json", "--format", "raw"],
        &[0u8; 32],
    )
    .code(2)
    .stderr_has("the secret from stdin looks weak (every byte has the same value)")
    .stderr_has("--allow-weak");
    assert!(!d.path("k.json").exists());
    d.run_stdin(
        &[
            "secret",
            "import",
            "-k",
            "k.json",
            "--format",
            "raw",
            "--allow-weak",
        ],
        &[0u8; 32],
    )
    .ok()
    .stderr_has("looks weak");
    d.run_stdin(
        &[
            "secret", "import", "-k", "new.json", "--format", "raw", "--as", "previous",
        ],
        &(0u8..32)
            .map(|i| i.wrapping_mul(37) ^ 0x5a)
            .collect::<Vec<u8>>(),
    )
    .code(2)
    .stderr_has("--as active");
}

#[test]
fn prune_wipes_expired_secrets_but_keeps_metadata_and_ids() {
    let d = Dir::new();
    gen(&d, "k.json");
    d.run(&["secret", "rotate", "-k", "k.json", "--overlap", "1h"])
        .ok();
    let j = d
        .run(&["secret", "prune", "-k", "k.json", "--json"])
        .ok()
        .json();
    assert_eq!(j["destroyed"], serde_json::json!([]));
    let later = |args: &[&str]| {
        let o = d
            .cmd(args)
            .env("QCD_NOW", "2099-01-01T00:00:00Z")
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let before = d.read("k.json");
    let (code, out) = later(&["secret", "prune", "-k", "k.json", "--dry-run", "--json"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("\"destroyed\":[1]"), "{out}");
    assert_eq!(d.read("k.json"), before);
    let (code, _) = later(&["secret", "prune", "-k", "k.json"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        states(&d, "k.json"),
        vec![(1, "destroyed".into()), (2, "active".into())]
    );
    d.run(&[
        "secret", "export", "-k", "k.json", "--format", "hex", "-g", "1",
    ])
    .code(2)
    .stderr_has("destroyed");
    d.run(&["secret", "rotate", "-k", "k.json"]).ok();
    assert_eq!(
        states(&d, "k.json").last().unwrap().0,
        3,
        "ids are never reused"
    );
}

#[test]
fn derive_gives_each_member_its_own_reproducible_secret() {
    let d = Dir::new();
    // Root secret = bytes 0..31, so the result can be checked against tests/data/derive_vectors.py.
    d.run_stdin(
        &["secret", "import", "-k", "root.json", "--format", "raw"],
        &(0u8..32).collect::<Vec<_>>(),
    )
    .ok();
    d.run(&[
        "secret",
        "derive",
        "--root",
        "root.json",
        "--member",
        "gw1",
        "-k",
        "gw1.json",
    ])
    .ok();
    d.run(&[
        "secret",
        "derive",
        "--root",
        "root.json",
        "--member",
        "gw2",
        "-k",
        "gw2.json",
    ])
    .ok();
    let want = include_str!("../data/derive_gw1_g1.hex").trim();
    assert_eq!(export_hex(&d, "gw1.json", None), want);
    assert_ne!(export_hex(&d, "gw2.json", None), want);
    let origin = &list(&d, "gw1.json")["generations"][0]["origin"];
    assert_eq!(origin["kind"], "derived");
    assert_eq!(origin["member"], "gw1");
    assert_eq!(origin["root_generation"], 1);
    // Re-running is a no-op; after the root rotates, the member rotates too.
    let before = d.read("gw1.json");
    let j = d
        .run(&[
            "secret",
            "derive",
            "--root",
            "root.json",
            "--member",
            "gw1",
            "-k",
            "gw1.json",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(j["action"], "up-to-date");
    assert_eq!(d.read("gw1.json"), before);
    d.run(&["secret", "rotate", "-k", "root.json"]).ok();
    let j = d
        .run(&[
            "secret",
            "derive",
            "--root",
            "root.json",
            "--member",
            "gw1",
            "-k",
            "gw1.json",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(j["action"], "derived");
    assert_eq!(j["generation"]["id"], 2);
    assert_eq!(j["previous"]["id"], 1);
    d.run(&[
        "secret",
        "derive",
        "--root",
        "root.json",
        "--member",
        "bad name",
        "-k",
        "x.json",
    ])
    .code(2)
    .stderr_has("member name");
}

#[test]
fn parallel_rotations_are_serialized_and_none_is_lost() {
    let d = Dir::new();
    gen(&d, "k.json");
    let children: Vec<_> = (0..8)
        .map(|_| {
            d.cmd(&["secret", "rotate", "-k", "k.json", "--overlap", "1h"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let s = states(&d, "k.json");
    assert_eq!(s.len(), 9, "{s:?}");
    assert_eq!(
        s.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        (1..=9).collect::<Vec<_>>()
    );
    assert_eq!(s.iter().filter(|(_, st)| st == "active").count(), 1);
    assert_eq!(s.last().unwrap().1, "active");
}
