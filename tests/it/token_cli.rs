//! `qcd token derive` and `qcd token verify` as a user runs them: keyrings made
//! with `qcd secret generate/rotate/import`, tokens checked against the Python
//! known-answer vectors, exit codes, diagnoses, bad input and batch mode.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const SPI_I: &str = "0123456789abcdef";
const SPI_R: &str = "fedcba9876543210";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn k(&self) -> String {
        self.path("k.json").display().to_string()
    }

    /// `qcd ARGS` at a fixed "now", without inherited QCD_* variables.
    fn qcd(&self, now: &str, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("qcd").unwrap();
        c.args(args)
            .current_dir(self.dir.path())
            .env_remove("QCD_KEYRING")
            .env("QCD_NOW", now)
            .env("NO_COLOR", "1");
        c
    }

    fn write_private(&self, name: &str, bytes: &[u8]) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    }

    /// Generations 1 (expired), 2 (previous) and 3 (active) as of NOW.
    fn rotated_keyring(&self) {
        let k = self.k();
        self.qcd("2026-11-01T00:00:00Z", &["secret", "generate", "-k", &k])
            .assert()
            .success();
        for day in ["2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z"] {
            self.qcd(day, &["secret", "rotate", "-k", &k, "--overlap", "48h"])
                .assert()
                .success();
        }
    }

    /// A keyring whose active generation is `secret_hex`, imported with `spec_flags`.
    fn imported_keyring(&self, secret_hex: &str, spec_flags: &[&str]) {
        let f = self.write_private("secret.hex", secret_hex.as_bytes());
        let k = self.k();
        let mut args = vec![
            "secret",
            "import",
            "-k",
            &k,
            "--format",
            "hex",
            "--in",
            f.to_str().unwrap(),
        ];
        args.extend_from_slice(spec_flags);
        self.qcd(NOW, &args).assert().success();
    }

    fn derive(&self, extra: &[&str]) -> String {
        let k = self.k();
        let mut args = vec![
            "token", "derive", "-k", &k, "--spi-i", SPI_I, "--spi-r", SPI_R,
        ];
        args.extend_from_slice(extra);
        let out = self.qcd(NOW, &args).assert().success().get_output().clone();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

const NOW: &str = "2026-11-04T12:00:00Z";

fn vectors() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/token_vectors.json");
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let list = v["vectors"].as_array().unwrap().clone();
    assert!(!list.is_empty(), "the vector file is empty");
    list
}

/// The vector for the first test secret (bytes 0..32) and SPI_I/SPI_R.
fn vector(profile: &str, taker: Option<&str>, length: u64) -> String {
    let secret: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
    vectors()
        .into_iter()
        .find(|v| {
            v["profile"] == profile
                && v["secret"] == secret.as_str()
                && v["spi_i"] == SPI_I
                && v["spi_r"] == SPI_R
                && v["taker_addr"].as_str() == taker
                && v["length"] == length
        })
        .unwrap_or_else(|| panic!("no vector {profile} {taker:?} {length}"))["token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn secret32() -> String {
    (0u8..32).map(|b| format!("{b:02x}")).collect()
}

#[test]
fn derive_matches_python_vectors_for_every_profile() {
    let e = Env::new();
    e.imported_keyring(&secret32(), &[]);
    assert_eq!(e.derive(&[]), vector("hmac-sha256", None, 32));
    assert_eq!(
        e.derive(&["--taker-addr", "192.0.2.7"]),
        vector("hmac-sha256", Some("192.0.2.7"), 32)
    );
    assert_eq!(
        e.derive(&["--taker-addr", "2001:db8::42", "--length", "20"]),
        vector("hmac-sha256", Some("2001:db8::42"), 20)
    );
    assert_eq!(
        e.derive(&["--profile", "hmac-sha512"]),
        vector("hmac-sha512", None, 64)
    );
    assert_eq!(
        e.derive(&["--profile", "hmac-sha1"]),
        vector("hmac-sha1", None, 16)
    );
    assert_eq!(
        e.derive(&["--profile", "sha256-concat", "--length", "16"]),
        vector("sha256-concat", None, 16)
    );
    // SPIs in Wireshark's form and upper case give the same token
    let k = e.k();
    e.qcd(
        NOW,
        &[
            "token",
            "derive",
            "-k",
            &k,
            "--spi-i",
            "01:23:45:67:89:AB:CD:EF",
            "--spi-r",
            "0xFEDCBA9876543210",
        ],
    )
    .assert()
    .success()
    .stdout(format!("{}\n", vector("hmac-sha256", None, 32)));
}

#[test]
fn the_generations_profile_is_used() {
    let e = Env::new();
    e.imported_keyring(&secret32(), &["--profile", "hmac-sha512", "--length", "48"]);
    assert_eq!(e.derive(&[]), vector("hmac-sha512", None, 48));
    let e = Env::new();
    e.imported_keyring(&secret32(), &["--bind-taker-addr"]);
    let k = e.k();
    e.qcd(
        NOW,
        &[
            "token", "derive", "-k", &k, "--spi-i", SPI_I, "--spi-r", SPI_R,
        ],
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains("--taker-addr"));
    assert_eq!(
        e.derive(&["--taker-addr", "192.0.2.7"]),
        vector("hmac-sha256", Some("192.0.2.7"), 32)
    );
}

#[test]
fn secret_file_in_every_format_and_on_stdin() {
    let e = Env::new();
    let bytes: Vec<u8> = (0u8..32).collect();
    let want = vector("hmac-sha1", None, 20);
    let raw = e.write_private("raw.key", &bytes);
    let hexf = e.write_private("hex.key", format!("{}\n", secret32()).as_bytes());
    let b64 = e.write_private("b64.key", b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
    for (f, fmt) in [(&raw, "raw"), (&hexf, "hex"), (&b64, "base64")] {
        e.qcd(
            NOW,
            &[
                "token",
                "derive",
                "--secret-file",
                f.to_str().unwrap(),
                "--secret-format",
                fmt,
                "--profile",
                "hmac-sha1",
                "--length",
                "20",
                "--spi-i",
                SPI_I,
                "--spi-r",
                SPI_R,
            ],
        )
        .assert()
        .success()
        .stdout(format!("{want}\n"));
    }
    e.qcd(
        NOW,
        &[
            "token",
            "derive",
            "--secret-file",
            "-",
            "--secret-format",
            "raw",
            "--profile",
            "hmac-sha1",
            "--length",
            "20",
            "--spi-i",
            SPI_I,
            "--spi-r",
            SPI_R,
        ],
    )
    .write_stdin(bytes.clone())
    .assert()
    .success()
    .stdout(format!("{want}\n"));
    // verify against a secret file
    e.qcd(
        NOW,
        &[
            "token",
            "verify",
            "--secret-file",
            raw.to_str().unwrap(),
            "--secret-format",
            "raw",
            "--profile",
            "hmac-sha1",
            "--length",
            "20",
            "--spi-i",
            SPI_I,
            "--spi-r",
            SPI_R,
            "--token",
            &want,
        ],
    )
    .assert()
    .success()
    .stdout(predicate::str::starts_with("match: the secret file"));
    // a format is required; a world-readable file is refused
    e.qcd(
        NOW,
        &[
            "token",
            "derive",
            "--secret-file",
            raw.to_str().unwrap(),
            "--spi-i",
            SPI_I,
            "--spi-r",
            SPI_R,
        ],
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains("--secret-format"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&raw, std::fs::Permissions::from_mode(0o644)).unwrap();
    e.qcd(
        NOW,
        &[
            "token",
            "derive",
            "--secret-file",
            raw.to_str().unwrap(),
            "--secret-format",
            "raw",
            "--spi-i",
            SPI_I,
            "--spi-r",
            SPI_R,
        ],
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains("chmod 600"));
}

#[test]
fn all_lists_active_and_previous_with_ids() {
    let e = Env::new();
    e.rotated_keyring();
    let out = e.derive(&["--all"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("3 active "), "{out}");
    assert!(lines[1].starts_with("2 previous "), "{out}");
    let t3 = lines[0].rsplit(' ').next().unwrap();
    assert_eq!(t3, e.derive(&[]));
    assert_eq!(t3.len(), 64);
    assert_eq!(lines[1].rsplit(' ').next().unwrap(), e.derive(&["-g", "2"]));
    let json = e.derive(&["--all", "--json"]);
    let objs: Vec<Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs[0]["generation"], 3);
    assert_eq!(objs[1]["state"], "previous");
    assert_eq!(objs[0]["token"], t3);
}

fn verify(e: &Env, token: &str, extra: &[&str]) -> (i32, String, String) {
    let k = e.k();
    let mut args = vec![
        "token", "verify", "-k", &k, "--spi-i", SPI_I, "--spi-r", SPI_R, "--token", token,
    ];
    args.extend_from_slice(extra);
    let o = e.qcd(NOW, &args).output().unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

#[test]
fn verify_matches_in_use_generations() {
    let e = Env::new();
    e.rotated_keyring();
    let t2 = e.derive(&["-g", "2"]);
    let (code, out, _) = verify(&e, &t2, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "match: generation 2 (previous), hmac-sha256 32 bytes\n"
    );
    let (code, out, _) = verify(&e, &t2.to_uppercase(), &["--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["match"], true);
    assert_eq!(v["generation"], 2);
    assert_eq!(v["state"], "previous");
    assert_eq!(v["explanations"], serde_json::json!([]));
}

#[test]
fn verify_diagnoses_swapped_expired_truncated_and_wrong_generation() {
    let e = Env::new();
    e.rotated_keyring();
    let k = e.k();
    // swapped SPIs
    let o = e
        .qcd(
            NOW,
            &[
                "token", "derive", "-k", &k, "--spi-i", SPI_R, "--spi-r", SPI_I,
            ],
        )
        .output()
        .unwrap();
    let swapped = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let (code, out, _) = verify(&e, &swapped, &[]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("no match: the token matches no active or previous generation\n"),
        "{out}"
    );
    assert!(
        out.contains("spis-swapped: matches generation 3 (active) with SPIs swapped: the maker puts SPI-R first"),
        "{out}"
    );
    let (code, out, _) = verify(&e, &swapped, &["--json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["match"], false);
    assert_eq!(v["generation"], Value::Null);
    assert_eq!(v["explanations"][0]["code"], "spis-swapped");
    assert_eq!(v["explanations"][0]["generation"], 3);
    assert_eq!(v["explanations"][0]["spis_swapped"], true);
    assert!(v["explanations"][0]["message"]
        .as_str()
        .unwrap()
        .contains("SPI-R first"));
    // expired generation 1
    let t1 = e.derive(&["-g", "1"]);
    let (code, out, _) = verify(&e, &t1, &["--json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["explanations"][0]["code"], "expired-generation");
    assert_eq!(v["explanations"][0]["state"], "expired");
    // truncated: the first 16 bytes of generation 3's token
    let t3 = e.derive(&[]);
    let (code, out, _) = verify(&e, &t3[..32], &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "truncated: matches generation 3 (active) as the first 16 of its 32 token bytes"
        ),
        "{out}"
    );
    // wrong generation asked for
    let (code, out, _) = verify(&e, &t3, &["-g", "2"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("other-generation: matches generation 3"),
        "{out}"
    );
    // another profile (Rockhopper's HMAC-SHA-512)
    let t512 = e.derive(&["--profile", "hmac-sha512"]);
    let (code, out, _) = verify(&e, &t512, &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("other-profile: matches generation 3 (active) under profile hmac-sha512"),
        "{out}"
    );
    // taker address given, maker does not use it
    let (code, out, _) = verify(&e, &t3, &["--taker-addr", "198.51.100.9"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "taker-addr: matches generation 3 (active) without the taker address 198.51.100.9"
        ),
        "{out}"
    );
    // a token from another keyring: no explanation
    let other = Env::new();
    other.rotated_keyring();
    let foreign = other.derive(&[]);
    let (code, out, _) = verify(&e, &foreign, &["--json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["explanations"], serde_json::json!([]));
    // no output mentions the token itself
    let (_, out, err) = verify(&e, &swapped, &[]);
    assert!(!out.contains(&swapped) && !err.contains(&swapped));
}

#[test]
fn bad_arguments_are_named() {
    let e = Env::new();
    e.rotated_keyring();
    let k = e.k();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "token", "derive", "-k", &k, "--spi-i", "0123", "--spi-r", SPI_R,
            ],
            "qcd: error: --spi-i: 4 hex digits, expected an SPI: 16 hex digits",
        ),
        (
            vec![
                "token", "derive", "-k", &k, "--spi-i", SPI_I, "--spi-r", "xyz",
            ],
            "qcd: error: --spi-r: 3 bytes starting \"xyz\"",
        ),
        (
            vec![
                "token",
                "derive",
                "-k",
                &k,
                "--spi-i",
                SPI_I,
                "--spi-r",
                SPI_R,
                "--taker-addr",
                "300.1.2.3",
            ],
            "qcd: error: --taker-addr: \"300.1.2.3\", expected an IPv4 or IPv6 address",
        ),
        (
            vec![
                "token", "derive", "-k", &k, "--spi-i", SPI_I, "--spi-r", SPI_R, "--length", "33",
            ],
            "16 to 32",
        ),
        (
            vec![
                "token",
                "derive",
                "-k",
                &k,
                "--spi-i",
                SPI_I,
                "--spi-r",
                SPI_R,
                "--profile",
                "md5",
            ],
            "[possible values: hmac-sha256, hmac-sha512, hmac-sha1, sha256-concat]",
        ),
        (
            vec![
                "token", "derive", "-k", &k, "--spi-i", SPI_I, "--spi-r", SPI_R, "-g", "9",
            ],
            "no generation 9 (it has 1, 2, 3)",
        ),
        (
            vec![
                "token",
                "derive",
                "-k",
                "missing.json",
                "--spi-i",
                SPI_I,
                "--spi-r",
                SPI_R,
            ],
            "no keyring at missing.json",
        ),
        (
            vec!["token", "derive", "--spi-i", SPI_I, "--spi-r", SPI_R],
            "<--keyring <PATH>|--secret-file <FILE>>\n\nUsage: qcd token derive --spi-i <SPI> --spi-r <SPI> <--keyring <PATH>|--secret-file <FILE>>\n\nFor more information, try '--help'.\nhint: the keyring may also be named by the QCD_KEYRING environment variable",
        ),
        (
            vec!["token", "derive", "-k", &k, "--spi-i", SPI_I],
            "--spi-r <SPI>",
        ),
        (
            vec![
                "token", "verify", "-k", &k, "--spi-i", SPI_I, "--spi-r", SPI_R, "--token", "abcz",
            ],
            "qcd: error: --token: invalid hex: the character 'z' at position 4",
        ),
        (
            vec![
                "token", "verify", "-k", &k, "--spi-i", SPI_I, "--spi-r", SPI_R, "--token", "abc",
            ],
            "odd number",
        ),
        (
            vec![
                "token", "derive", "-k", &k, "--batch", "-", "--spi-i", SPI_I,
            ],
            "cannot be used with",
        ),
    ];
    for (args, want) in cases {
        e.qcd(NOW, &args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want));
    }
    // a malformed token is not echoed
    let secretish = "5f1c0a9e3b7d2c4e6f8a1b3c5d7e9f00zz";
    e.qcd(
        NOW,
        &[
            "token", "verify", "-k", &k, "--spi-i", SPI_I, "--spi-r", SPI_R, "--token", secretish,
        ],
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains("--token: invalid hex"))
    .stderr(predicate::str::contains("5f1c0a9e").not());
    // a destroyed generation cannot be derived
    e.qcd(NOW, &["secret", "prune", "-k", &k])
        .assert()
        .success();
    e.qcd(
        NOW,
        &[
            "token", "derive", "-k", &k, "--spi-i", SPI_I, "--spi-r", SPI_R, "-g", "1",
        ],
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains("generation 1 is destroyed"));
}

#[test]
fn batch_derive_streams_aligned_output_and_reports_bad_lines() {
    let e = Env::new();
    e.rotated_keyring();
    let k = e.k();
    let t = e.derive(&[]);
    let t_addr = e.derive(&["--taker-addr", "192.0.2.7"]);
    let input = format!(
        "# SPI-I SPI-R [TAKER-ADDR]\n{SPI_I} {SPI_R}\n\n{SPI_I} 0123\n{SPI_I}\t{SPI_R}  192.0.2.7 # with address\n{SPI_I} {SPI_R} 192.0.2.7 extra\n{SPI_I} {SPI_R}"
    );
    let o = e
        .qcd(NOW, &["token", "derive", "-k", &k, "--batch", "-"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        format!("{t}\nerror\n{t_addr}\nerror\n{t}\n")
    );
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("-: line 4: SPI-R: 4 hex digits, expected an SPI"),
        "{err}"
    );
    assert!(
        err.contains("-: line 6: expected `SPI-I SPI-R [TAKER-ADDR]`, found 4 fields"),
        "{err}"
    );
    assert!(err.contains("2 of 5 data lines were malformed"), "{err}");
    // from a file, JSON
    let f = e.path("spis.txt");
    std::fs::write(&f, &input).unwrap();
    let o = e
        .qcd(
            NOW,
            &[
                "token",
                "derive",
                "-k",
                &k,
                "--batch",
                f.to_str().unwrap(),
                "--json",
            ],
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let objs: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 5);
    assert_eq!(objs[0]["line"], 2);
    assert_eq!(objs[0]["token"], t.as_str());
    assert_eq!(objs[0]["generation"], 3);
    assert_eq!(objs[1]["line"], 4);
    assert!(objs[1]["error"]
        .as_str()
        .unwrap()
        .starts_with("line 4: SPI-R"));
    // all good → exit 0; generation 2 via -g
    e.qcd(
        NOW,
        &["token", "derive", "-k", &k, "-g", "2", "--batch", "-"],
    )
    .write_stdin(format!("{SPI_I} {SPI_R}\n"))
    .assert()
    .success()
    .stdout(format!("{}\n", e.derive(&["-g", "2"])));
    // a missing batch file
    e.qcd(NOW, &["token", "derive", "-k", &k, "--batch", "nope.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot open the batch file nope.txt",
        ));
}

#[test]
fn batch_verify_gives_a_verdict_per_line() {
    let e = Env::new();
    e.rotated_keyring();
    let k = e.k();
    let t3 = e.derive(&[]);
    let t2 = e.derive(&["-g", "2"]);
    let t1 = e.derive(&["-g", "1"]);
    let good = format!("{SPI_I} {SPI_R} {t3}\n{SPI_I} {SPI_R} 0x{t2}\n");
    e.qcd(NOW, &["token", "verify", "-k", &k, "--batch", "-"])
        .write_stdin(good.clone())
        .assert()
        .success()
        .stdout("match 3\nmatch 2\n");
    let mixed = format!("{good}# comment\n{SPI_R} {SPI_I} {t3}\n{SPI_I} {SPI_R} {t1}\n");
    e.qcd(NOW, &["token", "verify", "-k", &k, "--batch", "-"])
        .write_stdin(mixed.clone())
        .assert()
        .code(1)
        .stdout("match 3\nmatch 2\nno-match spis-swapped@3\nno-match expired-generation@1\n");
    let bad = format!("{mixed}{SPI_I} {SPI_R} {}zz\n{SPI_I} {SPI_R}\n", &t3[..10]);
    let o = e
        .qcd(
            NOW,
            &["token", "verify", "-k", &k, "--batch", "-", "--json"],
        )
        .write_stdin(bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(
        stderr.contains("line 6: TOKEN is not hex: the character at position 11"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 7: expected `SPI-I SPI-R TOKEN [TAKER-ADDR]`, found 2 fields"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&t3[..10]),
        "a token leaked into an error: {stderr}"
    );
    let objs: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 6);
    assert_eq!(
        (objs[0]["line"].clone(), objs[0]["match"].clone()),
        (1.into(), true.into())
    );
    assert_eq!(objs[2]["explanations"][0]["code"], "spis-swapped");
    assert_eq!(objs[4]["line"], 6);
    assert!(objs[4]["error"].is_string());
}

/// Issue 12, item 3: no `qcd token` error echoes a token or a long field,
/// whether it comes from a batch line or the command line.
#[test]
fn errors_never_echo_tokens() {
    let e = Env::new();
    e.rotated_keyring();
    let k = e.k();
    let t = e.derive(&[]);
    let long = "q".repeat(1 << 20);
    // Shifted columns and a 1 MB field, in derive and verify batches.
    let derive_input = format!(
        "{t} {SPI_R}\n{SPI_I} {t}\n{SPI_I} {SPI_R} {t}\n{SPI_I} {long}\n{SPI_I} {}\n",
        &long[..3000]
    );
    let verify_input =
        format!("{t} {SPI_I} {SPI_R}\n{SPI_I} {SPI_R} {t} {t}\n{SPI_I} {long} {t}\n");
    for (cmd, input) in [("derive", &derive_input), ("verify", &verify_input)] {
        let o = e
            .qcd(NOW, &["token", cmd, "-k", &k, "--batch", "-"])
            .write_stdin(input.clone())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(!err.contains(&t), "{cmd} echoed the token: {err}");
        assert!(
            !err.contains(&t[..16]),
            "{cmd} echoed part of the token: {err}"
        );
        assert!(err.len() < 2000, "{cmd}: {} bytes of errors", err.len());
        assert!(
            err.contains("-: line 1: SPI-I: 64 hex digits, expected an SPI"),
            "{err}"
        );
        if cmd == "derive" {
            assert!(err.contains("line 2: SPI-R: 64 hex digits"), "{err}");
            assert!(
                err.contains("line 3: TAKER-ADDR: 64 hex digits, expected an IPv4 or IPv6 address"),
                "{err}"
            );
            assert!(err.contains("line 4: longer than 4096 bytes"), "{err}");
            assert!(
                err.contains("line 5: SPI-R: 3000 bytes starting \"qqqqqqqqqqqq\" with"),
                "{err}"
            );
        } else {
            assert!(err.contains("line 2: TAKER-ADDR: 64 hex digits"), "{err}");
            assert!(err.contains("line 3: longer than 4096 bytes"), "{err}");
        }
        // JSON errors say the same.
        let o = e
            .qcd(NOW, &["token", cmd, "-k", &k, "--batch", "-", "--json"])
            .write_stdin(input.clone())
            .output()
            .unwrap();
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(
            !out.contains(&t[..16]),
            "{cmd} --json echoed the token: {out}"
        );
    }
    // On the command line: a token in --spi-i, --spi-r or --taker-addr.
    for args in [
        vec!["token", "derive", "-k", &k, "--spi-i", &t, "--spi-r", SPI_R],
        vec!["token", "derive", "-k", &k, "--spi-i", SPI_I, "--spi-r", &t],
        vec![
            "token",
            "derive",
            "-k",
            &k,
            "--spi-i",
            SPI_I,
            "--spi-r",
            SPI_R,
            "--taker-addr",
            &t,
        ],
        vec![
            "token", "verify", "-k", &k, "--spi-i", &t, "--spi-r", SPI_R, "--token", &t,
        ],
        vec![
            "token",
            "verify",
            "-k",
            &k,
            "--spi-i",
            SPI_I,
            "--spi-r",
            SPI_R,
            "--token",
            &t,
            "--taker-addr",
            &t,
        ],
    ] {
        let o = e.qcd(NOW, &args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(err.contains("64 hex digits"), "{err}");
        assert!(!err.contains(&t[..16]), "echoed: {err}");
    }
}

/// Issue 12, item 8: a short prefix of the right token and of a wrong one
/// get the same answer; no per-byte diagnosis.
#[test]
fn verify_of_a_short_token_is_no_oracle() {
    let e = Env::new();
    e.rotated_keyring();
    let t = e.derive(&[]);
    let mut answers = Vec::new();
    for prefix in [
        t[..2].to_string(),
        format!("{:02x}", u8::from_str_radix(&t[..2], 16).unwrap() ^ 1),
        t[..30].to_string(),
    ] {
        let (code, out, err) = verify(&e, &prefix, &[]);
        assert_eq!(code, 1);
        assert!(err.is_empty(), "{err}");
        assert!(
            out.contains("too short: QCD tokens are 16 to 128 octets"),
            "{out}"
        );
        assert!(!out.contains("truncated"), "{out}");
        answers.push(out.replace(
            &format!("this one has {}", prefix.len() / 2),
            "this one has N",
        ));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    let (_, out, _) = verify(&e, &t[..2], &["--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["explanations"], serde_json::json!([]));
    assert_eq!(v["notes"][0]["code"], "token-length");
    // Batch: the same.
    let k = e.k();
    let o = e
        .qcd(NOW, &["token", "verify", "-k", &k, "--batch", "-"])
        .write_stdin(format!(
            "{SPI_I} {SPI_R} {}\n{SPI_I} {SPI_R} {}\n",
            &t[..2],
            &t[..32]
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "no-match\nno-match truncated@3\n"
    );
}

/// Issue 15: SPIs as swanctl --list-sas prints them, and a swapped order said.
#[test]
fn spis_as_operators_copy_them() {
    let e = Env::new();
    e.rotated_keyring();
    let k = e.k();
    let t = e.derive(&[]);
    let forms: [(String, String); 4] = [
        (format!("{SPI_I}_i*"), format!("{SPI_R}_r")),
        (
            format!("0x{}", SPI_I.to_uppercase()),
            "fe:dc:ba:98:76:54:32:10".to_string(),
        ),
        (format!("{SPI_R}_r"), format!("{SPI_I}_i")),
        (format!("{SPI_R}_r*"), SPI_I.to_string()),
    ];
    for (i, (a, b)) in forms.iter().enumerate() {
        let o = e
            .qcd(
                NOW,
                &["token", "derive", "-k", &k, "--spi-i", a, "--spi-r", b],
            )
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{a} {b}");
        assert_eq!(String::from_utf8(o.stdout).unwrap().trim(), t, "{a} {b}");
        let err = String::from_utf8(o.stderr).unwrap();
        if i >= 2 {
            assert!(
                err.contains(&format!("qcd: warning: the SPIs were given responder first: SPI-I (the initiator's, _i) is {SPI_I} and SPI-R (the responder's, _r) is {SPI_R}")),
                "{err}"
            );
        } else {
            assert!(err.is_empty(), "{err}");
        }
    }
    let o = e
        .qcd(
            NOW,
            &[
                "token",
                "verify",
                "-k",
                &k,
                "--spi-i",
                &format!("{SPI_R}_r"),
                "--spi-r",
                &format!("{SPI_I}_i"),
                "--token",
                &t,
            ],
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let o = e
        .qcd(
            NOW,
            &[
                "token",
                "derive",
                "-k",
                &k,
                "--spi-i",
                &format!("{SPI_R}_i"),
                "--spi-r",
                &format!("{SPI_I}_i"),
            ],
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8(o.stderr)
        .unwrap()
        .contains("both SPIs are marked _i"));
    // A zero SPI-I first looks swapped: said, not changed.
    let o = e
        .qcd(
            NOW,
            &[
                "token",
                "derive",
                "-k",
                &k,
                "--spi-i",
                "0000000000000000",
                "--spi-r",
                SPI_R,
            ],
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains(&format!("so the two look swapped; if so, SPI-I is {SPI_R}")),
        "{err}"
    );
    // Batch lines: tallied once.
    let o = e
        .qcd(NOW, &["token", "derive", "-k", &k, "--batch", "-"])
        .write_stdin(format!(
            "{SPI_I}_i* {SPI_R}_r\n{SPI_R}_r {SPI_I}_i\n{SPI_R}_r {SPI_I}_i*\n"
        ))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        format!("{t}\n{t}\n{t}\n")
    );
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(
        err,
        "qcd: warning: -: 2 line(s) (the first is line 2) gave the responder's SPI (_r) first: their SPIs were used as labelled, the initiator's (_i) as SPI-I\n"
    );
}

/// Issue 12, item 19: a gateway's secret is bounded (1024 bytes decoded,
/// 16 KiB of text) on stdin and in a file. Issue 24: by the keyring's one
/// policy, 16 to 1024 bytes, so a 15-byte secret file is refused too.
#[test]
fn secret_files_are_bounded() {
    let e = Env::new();
    let args = |f: &str, fmt: &'static str| {
        vec![
            "token".to_string(),
            "derive".into(),
            "--secret-file".into(),
            f.to_string(),
            "--secret-format".into(),
            fmt.into(),
            "--spi-i".into(),
            SPI_I.into(),
            "--spi-r".into(),
            SPI_R.into(),
        ]
    };
    let big = e.write_private("big.key", &[7u8; 1025]);
    let o = e
        .qcd(
            NOW,
            &args(big.to_str().unwrap(), "raw")
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("is 1025 bytes: QCD secrets must be 16 to 1024 bytes"),
        "{err}"
    );
    let short = e.write_private("short.key", &[7u8; 15]);
    let o = e
        .qcd(
            NOW,
            &args(short.to_str().unwrap(), "raw")
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("is 15 bytes: QCD secrets must be 16 to 1024 bytes"),
        "{err}"
    );
    let ok = e.write_private("ok.key", &[7u8; 1024]);
    e.qcd(
        NOW,
        &args(ok.to_str().unwrap(), "raw")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .assert()
    .success();
    let o = e
        .qcd(
            NOW,
            &args("-", "hex")
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .write_stdin(" ".repeat(1 << 20))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("stdin is 16385 bytes, over the 16 KiB limit for a secret file"),
        "{err}"
    );
}
