//! Key material on the command line: `qcd decode --keys` with Wireshark's own
//! test table and captures, with tcpdump/libreswan key lines and strongSwan
//! charon logs (detected per file), skipped lines as warnings that never show
//! keys, `--ignore-icv` against tshark, and `qcd keys convert`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use serde_json::Value;

fn qcd() -> Command {
    let mut c = Command::cargo_bin("qcd").unwrap();
    c.env("NO_COLOR", "1");
    c
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = qcd().args(args).output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn data(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(p)
        .to_str()
        .unwrap()
        .to_string()
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The SK payloads of `qcd --json decode FILE --keys KEYS [extra]`.
fn sk_payloads(file: &str, keys: &str, extra: &[&str]) -> (Vec<(u64, Value)>, String) {
    let mut args = vec!["--json", "decode", file, "--keys", keys];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let mut out = Vec::new();
    for m in json_lines(&r.stdout) {
        for p in m["payloads"].as_array().unwrap() {
            if !p["encrypted"].is_null() {
                out.push((m["frame"].as_u64().unwrap(), p["encrypted"].clone()));
            }
        }
    }
    (out, r.stderr)
}

const WS_TABLE: &str = "peer/wireshark/test/config/ikev2_decryption_table.tmpl";

/// Issue 11's done-when: Wireshark's own table loads whole and both of its
/// decryption captures decrypt, the AUTH data in IKE_AUTH starting as
/// Wireshark's tests expect (`isakmp.auth.data` e1a8d550 / fa2e74bd).
#[test]
fn wireshark_captures_decrypt_with_wiresharks_table() {
    for (capture, auth_data) in [("aes256cbc", "e1a8d550"), ("aes256ccm16", "fa2e74bd")] {
        let file = data(&format!(
            "peer/wireshark/test/captures/ikev2-decrypt-{capture}.pcapng"
        ));
        let (sks, stderr) = sk_payloads(&file, &data(WS_TABLE), &[]);
        assert_eq!(stderr, "", "all 9 lines of the table are usable");
        assert_eq!(sks.len(), 2, "{capture}: IKE_AUTH request and response");
        for (frame, sk) in &sks {
            assert_eq!(sk["integrity"], "verified", "{capture} frame {frame}: {sk}");
            assert!(sk["decrypt_error"].is_null(), "{sk}");
        }
        // the request's AUTH payload: method (1), reserved (3), then the data
        let inner = sks[0].1["payloads"].as_array().unwrap();
        let auth = inner.iter().find(|p| p["name"] == "AUTH").unwrap();
        let body = auth["body"].as_str().unwrap();
        assert!(
            body[8..].starts_with(auth_data),
            "{capture}: AUTH body {body}"
        );
    }
}

fn tshark_home(table: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".config/wireshark")).unwrap();
    std::fs::copy(
        table,
        home.path().join(".config/wireshark/ikev2_decryption_table"),
    )
    .unwrap();
    home
}

/// tcpdump's ikev2pI2.pcap has a bogus ICV and real content: by default qcd
/// shows no plaintext; with --ignore-icv it shows what tshark shows (which
/// marks the checksum incorrect), marked unauthenticated. Needs tshark.
#[test]
fn ignore_icv_shows_what_tshark_shows() {
    let pcap = data("peer/tcpdump/tests/ikev2pI2.pcap");
    let secrets = data("peer/tcpdump/tests/ikev2pI2-secrets.txt");
    // default: no plaintext, the SK_a/SK_e explanation
    let (sks, _) = sk_payloads(&pcap, &secrets, &[]);
    assert_eq!(sks.len(), 1);
    assert!(sks[0].1["payloads"].is_null());
    let err = sks[0].1["decrypt_error"].as_str().unwrap();
    assert!(
        err.contains("integrity check failed: wrong SK_a/SK_e"),
        "{err}"
    );

    let (sks, _) = sk_payloads(&pcap, &secrets, &["--ignore-icv"]);
    let sk = &sks[0].1;
    assert_eq!(sk["integrity"], "failed");
    let mut ours = Vec::new();
    for p in sk["payloads"].as_array().unwrap() {
        ours.push(p["next_payload"].as_u64().unwrap() as u8);
        ours.push(if p["critical"].as_bool().unwrap() {
            0x80
        } else {
            0
        });
        ours.extend_from_slice(&(p["length"].as_u64().unwrap() as u16).to_be_bytes());
        ours.extend(hex::decode(p["body"].as_str().unwrap()).unwrap());
    }
    let names: Vec<&str> = sk["payloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["IDi", "AUTH"]);

    let home = tshark_home(&data(
        "peer/tcpdump/tests/ikev2pI2.pcap.ikev2_decryption_table",
    ));
    let out = StdCommand::new("tshark")
        .env("HOME", home.path())
        .args(["-r", &pcap, "-V", "-x", "-Y", "frame.number==2"])
        .output()
        .expect("tshark is required for this test (apt-get install tshark)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[incorrect, should be"), "{text}");
    let mut theirs = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("Decrypted Data (") {
            inside = true;
        } else if inside {
            if line.len() > 6 && line.as_bytes()[4] == b' ' {
                for tok in line[6..].split(' ').take_while(|t| !t.is_empty()).take(16) {
                    theirs.push(u8::from_str_radix(tok, 16).unwrap());
                }
            } else {
                break;
            }
        }
    }
    assert!(theirs.len() >= ours.len(), "{text}");
    assert_eq!(hex::encode(&theirs[..ours.len()]), hex::encode(&ours));

    // human output says it plainly
    let r = run(&["decode", &pcap, "--keys", &secrets, "--ignore-icv"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("decrypted, UNAUTHENTICATED: ICV FAILED"),
        "{}",
        r.stdout
    );
}

/// "ANY n-bits of Authentication [No Checking]" decrypts without checking,
/// and says so.
#[test]
fn unchecked_icv_is_reported() {
    use qcd::ikecrypto::keys::wireshark_line;
    use qcd::ikecrypto::{seal, EncrAlg, IntegAlg, SaKeys, SealHeader};
    use qcd::secretmem::SecretBytes;
    use qcd::spi::{Spi, SpiPair};
    use qcd::wire::{ExchangeType, Flags, NotifyRepr, NotifyType, PayloadRepr};
    let keys = SaKeys::new(
        SpiPair::new(Spi([1; 8]), Spi([2; 8])),
        EncrAlg::AesCtr { key_len: 16 },
        IntegAlg::Unchecked { icv_len: 12 },
        SecretBytes::new(vec![3; 20]),
        SecretBytes::new(vec![4; 20]),
        SecretBytes::default(),
        SecretBytes::default(),
    )
    .unwrap();
    let msg = seal(
        SealHeader {
            spis: keys.spis,
            exchange: ExchangeType::IKE_AUTH,
            flags: Flags::RESPONSE,
            message_id: 1,
        },
        &[PayloadRepr::notify(NotifyRepr::new(
            0,
            NotifyType::QCD_TOKEN,
            vec![9; 32],
        ))],
        &keys,
        &[5; 8],
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("t.keys");
    std::fs::write(&table, format!("{}\n", wireshark_line(&keys).as_str())).unwrap();
    let r = run(&[
        "--json",
        "decode",
        "--hex",
        &hex::encode(&msg),
        "--keys",
        table.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    let sk = &v["payloads"][0]["encrypted"];
    assert_eq!(sk["integrity"], "not_checked");
    assert_eq!(sk["payloads"][0]["notify"]["data"], "09".repeat(32));
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("ICV NOT CHECKED")),
        "{v}"
    );
}

/// A table with lines qcd cannot use: each is a warning on stderr naming the
/// file and line, without any key; the usable lines still decrypt.
#[test]
fn skipped_lines_are_warnings_without_keys() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(data("strongswan/aes128-sha1.keys")).unwrap();
    let good = good.lines().find(|l| !l.starts_with('#')).unwrap();
    let key = good.split(',').nth(2).unwrap();
    // SK_ei moved into the encryption algorithm's column
    let shifted = format!("0102030405060708,1112131415161718,,00,{key},,,\"NONE [RFC4306]\"");
    let text = format!("# test\n{shifted}\n{good}\nnot a key line\n");
    let table = dir.path().join("mixed.keys");
    std::fs::write(&table, text).unwrap();
    let pcap = data("strongswan/aes128-sha1.pcap");
    for json in [false, true] {
        let mut args = vec!["decode", pcap.as_str(), "--keys", table.to_str().unwrap()];
        if json {
            args.insert(0, "--json");
        }
        let r = run(&args);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let warnings: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(warnings.len(), 2, "{}", r.stderr);
        let t = table.to_str().unwrap();
        assert!(
            warnings[0].starts_with(&format!(
                "qcd: warning: {t}:2: encryption algorithm: unknown algorithm 32 hex digits"
            )),
            "{}",
            warnings[0]
        );
        assert!(
            warnings[1].starts_with(&format!("qcd: warning: {t}:4: line: expected 8")),
            "{}",
            warnings[1]
        );
        assert!(!r.stderr.contains(&key[..8]), "{}", r.stderr);
        if json {
            let n = json_lines(&r.stdout)
                .iter()
                .filter(|m| m["payloads"][0]["encrypted"]["integrity"] == "verified")
                .count();
            assert!(n >= 2, "{}", r.stdout);
        } else {
            assert!(
                r.stdout.contains("decrypted (ICV verified)"),
                "{}",
                r.stdout
            );
        }
    }
    // a file with key lines none of which is usable is an error
    std::fs::write(&table, "a,b,c\n").unwrap();
    let r = run(&["decode", pcap.as_str(), "--keys", table.to_str().unwrap()]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("none of its 1 key line(s) is usable"),
        "{}",
        r.stderr
    );
}

/// The real charon logs of both peers, given to --keys as they are
/// (detected), decrypt every SK payload of the capture made with them.
#[test]
fn charon_logs_work_as_keys() {
    for name in ["aes256-sha256", "aes128gcm16"] {
        let pcap = data(&format!("strongswan/charon-log/{name}.pcap"));
        for side in ["i", "r"] {
            let log = data(&format!("strongswan/charon-log/{name}-{side}.charon.log"));
            let (sks, stderr) = sk_payloads(&pcap, &log, &[]);
            assert_eq!(stderr, "", "{name}-{side}");
            assert!(
                sks.len() >= 4,
                "{name}: IKE_AUTH and INFORMATIONAL both ways"
            );
            for (frame, sk) in sks {
                assert_eq!(
                    sk["integrity"], "verified",
                    "{name}-{side} frame {frame}: {sk}"
                );
            }
        }
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn convert_tcpdump_secrets_like_the_shared_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("table");
    let secrets = data("peer/tcpdump/tests/ikev2pI2-secrets.txt");
    let r = run(&[
        "--json",
        "keys",
        "convert",
        "--from",
        "tcpdump",
        &secrets,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["format"], "tcpdump");
    assert_eq!(v["sas"], 1);
    assert_eq!(v["skipped"], 0);
    assert_eq!(v["out"], out.to_str().unwrap());
    assert_eq!(mode(&out), 0o600);
    let written = std::fs::read_to_string(&out).unwrap();
    let want = std::fs::read_to_string(data(
        "peer/tcpdump/tests/ikev2pI2.pcap.ikev2_decryption_table",
    ))
    .unwrap();
    let line = |t: &str| t.lines().find(|l| !l.starts_with('#')).unwrap().to_string();
    assert_eq!(line(&written), line(&want));
    assert!(written.starts_with("# converted by qcd keys convert --from tcpdump"));
    // stdin to stdout
    let r = qcd()
        .args(["keys", "convert", "--from", "tcpdump", "-"])
        .write_stdin(std::fs::read(&secrets).unwrap())
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(line(&String::from_utf8_lossy(&r.stdout)), line(&want));
}

#[test]
fn convert_charon_log_and_decode_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("from-charon.table");
    let log = data("strongswan/charon-log/aes256-sha256-i.charon.log");
    let r = run(&[
        "keys",
        "convert",
        "--from",
        "charon",
        &log,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("wrote 1 IKE SA(s)"), "{}", r.stdout);
    let (sks, stderr) = sk_payloads(
        &data("strongswan/charon-log/aes256-sha256.pcap"),
        out.to_str().unwrap(),
        &[],
    );
    assert_eq!(stderr, "");
    assert!(sks.iter().all(|(_, sk)| sk["integrity"] == "verified"));
    // a tcpdump log read as charon holds no charon key line: exit 1
    let r = run(&[
        "keys",
        "convert",
        "--from",
        "charon",
        &data("peer/tcpdump/tests/ikev2pI2-secrets.txt"),
    ]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
}

#[test]
fn convert_refuses_fifos_devices_and_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = data("peer/tcpdump/tests/ikev2pI2-secrets.txt");
    let fifo = dir.path().join("fifo");
    assert!(StdCommand::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), &link).unwrap();
    for (target, what) in [
        (fifo.clone(), "a FIFO"),
        (PathBuf::from("/dev/null"), "a device"),
        (link.clone(), "a symbolic link"),
    ] {
        let r = run(&[
            "keys",
            "convert",
            "--from",
            "tcpdump",
            &secrets,
            "--out",
            target.to_str().unwrap(),
        ]);
        assert_eq!(r.code, Some(2), "{}", r.stderr);
        assert!(r.stderr.contains(&format!("it is {what}")), "{}", r.stderr);
    }
    assert!(!dir.path().join("elsewhere").exists());
    // a FIFO as input is refused at once, not read
    let r = run(&[
        "keys",
        "convert",
        "--from",
        "tcpdump",
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    // --json with the table on stdout would mix the two
    let r = run(&["--json", "keys", "convert", "--from", "tcpdump", &secrets]);
    assert_eq!(r.code, Some(2));
}
