//! `qcd decode FILE` on pcap and pcapng captures: frame, time and endpoints
//! of every IKE message, `--qcd`, `--spi`, `--summary`, `--port`, damaged
//! captures (exit 2, warnings with frame and offset), `--keys` on the real
//! strongSwan captures (checked against tshark with the same key table) and
//! on hex input, and a differential test against tshark over every test
//! capture. Captures are built here with `qcd::capture::write` and the wire
//! Reprs (tests/it/support), or are the strongSwan captures of tests/data.

use crate::support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use qcd::capture::write::{esp_body, ip_raw, ip_udp};
use qcd::capture::LinkType;
use qcd::spi::Spi;
use qcd::wire::{ExchangeType, Flags, MessageRepr, NotifyRepr, NotifyType, PayloadRepr};
use serde_json::Value;
use support::*;

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

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn run_json(args: &[&str]) -> Vec<Value> {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let r = run(&a);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    json_lines(&r.stdout)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

fn strongswan(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/strongswan")
        .join(name)
}

fn strongswan_names() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(strongswan(""))
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.strip_suffix(".pcap").map(str::to_string)
        })
        .collect();
    v.sort();
    assert!(v.len() >= 10, "{v:?}");
    v
}

fn frames(v: &[Value]) -> Vec<u64> {
    v.iter().map(|m| m["frame"].as_u64().unwrap()).collect()
}

/// `T0 + i ms` at microsecond precision (tests/it/support's time_of).
fn time_str(i: usize) -> String {
    format!("2023-11-14T22:13:20.{:06}Z", i * 1000)
}

#[test]
fn every_message_with_frame_time_and_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    for v6 in [false, true] {
        let bytes = pcap(LinkType::ETHERNET, &eth(&conversation(v6)));
        let f = write(dir.path(), "conv.pcap", &bytes);
        let got = run_json(&["decode", &f]);
        let want = conversation_ike(v6);
        assert_eq!(got.len(), want.len());
        for (m, (frame, src, dst, payload)) in got.iter().zip(&want) {
            assert_eq!(m["kind"], "message");
            assert_eq!(m["frame"], *frame);
            assert_eq!(m["time"], time_str(*frame as usize - 1));
            let (s, d) = (m["src"].as_str().unwrap(), m["dst"].as_str().unwrap());
            assert_eq!(s, src.to_string());
            assert_eq!(d, dst.to_string());
            if v6 {
                assert!(s.starts_with("[2001:db8::") && s.contains("]:"), "{s}");
            }
            assert_eq!(m["length"], payload.len());
            // The existing hex contract is all there.
            let hex_json = run_json(&["decode", "--hex", &hex::encode(payload)]);
            for (k, v) in hex_json[0].as_object().unwrap() {
                assert_eq!(&m[k], v, "key {k}");
            }
            assert_eq!(m["reassembled"], false);
        }
    }
    // pcapng, two interfaces (Ethernet µs and raw IPv6 ns): same keys, ns time.
    let f = write(dir.path(), "two.pcapng", &two_interfaces());
    let got = run_json(&["decode", &f]);
    assert!(!got.is_empty());
    assert!(got
        .iter()
        .any(|m| m["time"].as_str().unwrap().len() == "2023-11-14T22:13:20.000000000Z".len()));
    // Human form: a header line per message.
    let f = write(
        dir.path(),
        "conv.pcap",
        &pcap(LinkType::ETHERNET, &eth(&conversation(false))),
    );
    let r = run(&["decode", &f]);
    assert_eq!(r.code, Some(0));
    assert!(
        r.stdout.starts_with(&format!(
            "frame 1  {}  192.0.2.1:500 -> 198.51.100.2:500\nIKEv2 message, ",
            time_str(0)
        )),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(&format!(
        "frame 7  {}  198.51.100.2:4500 -> 192.0.2.1:4500\n",
        time_str(6)
    )));
    // Captures on stdin too.
    let out = qcd()
        .args(["--json", "decode", "-"])
        .write_stdin(std::fs::read(&f).unwrap())
        .output()
        .unwrap();
    assert_eq!(
        frames(&json_lines(&String::from_utf8_lossy(&out.stdout))),
        [1, 2, 4, 7]
    );
}

#[test]
fn reassembled_messages_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let (frags, msg) = big_ike_fragments(false, 0x77);
    let f = write(
        dir.path(),
        "frag.pcap",
        &pcap(LinkType::ETHERNET, &eth(&frags)),
    );
    let got = run_json(&["decode", &f]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["frame"], frags.len());
    assert_eq!(got[0]["reassembled"], true);
    assert_eq!(got[0]["length"], msg.len());
}

fn message(
    spi_i: u8,
    spi_r: u8,
    exchange: ExchangeType,
    flags: Flags,
    payloads: Vec<PayloadRepr>,
) -> Vec<u8> {
    MessageRepr {
        spi_i: Spi([spi_i; 8]),
        spi_r: Spi([spi_r; 8]),
        exchange,
        flags,
        message_id: 0,
        payloads,
    }
    .to_bytes()
    .unwrap()
}

/// Two IKE SAs between the same hosts (0x11/0x22 then, after a reboot,
/// 0x33/0x44), a QCD reply for the first, INVALID_SPI in the second, ESP.
fn two_sas() -> Vec<Vec<u8>> {
    let a = sa("192.0.2.1:500");
    let b = sa("198.51.100.2:500");
    let notify = |t: NotifyType, data: Vec<u8>| PayloadRepr::notify(NotifyRepr::new(1, t, data));
    let ike = |s, d, m: Vec<u8>| ip_udp(s, d, &m);
    let token = vec![0xabu8; 32];
    vec![
        ike(
            a,
            b,
            message(0x11, 0, ExchangeType::IKE_SA_INIT, Flags::INITIATOR, vec![]),
        ),
        ike(
            b,
            a,
            message(
                0x11,
                0x22,
                ExchangeType::IKE_SA_INIT,
                Flags::RESPONSE,
                vec![],
            ),
        ),
        ip_raw(
            ip("192.0.2.1"),
            ip("198.51.100.2"),
            50,
            &esp_body(0xaaaa_0001, 1, 64),
        ),
        ike(
            a,
            b,
            message(
                0x11,
                0x22,
                ExchangeType::INFORMATIONAL,
                Flags::INITIATOR,
                vec![],
            ),
        ),
        ike(
            b,
            a,
            message(
                0x11,
                0x22,
                ExchangeType::INFORMATIONAL,
                Flags::RESPONSE,
                vec![
                    notify(NotifyType::INVALID_IKE_SPI, vec![]),
                    PayloadRepr::notify(NotifyRepr::qcd_token(&token)),
                ],
            ),
        ),
        ike(
            a,
            b,
            message(0x33, 0, ExchangeType::IKE_SA_INIT, Flags::INITIATOR, vec![]),
        ),
        ike(
            b,
            a,
            message(
                0x33,
                0x44,
                ExchangeType::IKE_SA_INIT,
                Flags::RESPONSE,
                vec![],
            ),
        ),
        ip_raw(
            ip("198.51.100.2"),
            ip("192.0.2.1"),
            50,
            &esp_body(0xbbbb_0002, 1, 64),
        ),
        ike(
            b,
            a,
            message(
                0x33,
                0x44,
                ExchangeType::INFORMATIONAL,
                Flags::RESPONSE,
                vec![notify(NotifyType::INVALID_SPI, vec![1, 2, 3, 4])],
            ),
        ),
    ]
}

#[test]
fn qcd_and_spi_filters() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "two.pcap",
        &pcap(LinkType::ETHERNET, &eth(&two_sas())),
    );
    assert_eq!(frames(&run_json(&["decode", &f])), [1, 2, 4, 5, 6, 7, 9]);
    assert_eq!(frames(&run_json(&["decode", "--qcd", &f])), [5, 9]);
    assert_eq!(
        frames(&run_json(&["decode", "--spi", "1111111111111111", &f])),
        [1, 2, 4, 5]
    );
    // SPI-R matches too, in any accepted spelling.
    assert_eq!(
        frames(&run_json(&["decode", "--spi", "0x4444444444444444", &f])),
        [7, 9]
    );
    assert_eq!(
        frames(&run_json(&[
            "decode",
            "--spi",
            "3333333333333333",
            "--qcd",
            &f
        ])),
        [9]
    );
    // A filter that matches nothing: no output, exit 1 (a negative
    // answer), and in human mode a line on stderr that says so.
    let r = run(&["--json", "decode", "--spi", "5555555555555555", &f]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (Some(1), "", "")
    );
    let r = run(&["decode", "--qcd", "--spi", "5555555555555555", &f]);
    assert_eq!((r.code, r.stdout.as_str()), (Some(1), ""));
    assert!(
        r.stderr.contains("no IKE message in ")
            && r.stderr.contains("matched --qcd --spi 5555555555555555"),
        "{}",
        r.stderr
    );
    let r = run(&["-q", "decode", "--summary", "--spi", "5555555555555555", &f]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (Some(1), "", "")
    );
    let r = run(&["decode", "--spi", "xyz", &f]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("--spi"), "{}", r.stderr);
    // Hex input has no frames to filter.
    let r = run(&["decode", "--qcd", "--hex", "0000000801000004"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("apply to capture files"), "{}", r.stderr);
}

#[test]
fn summary_per_ike_sa() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "two.pcap",
        &pcap(LinkType::ETHERNET, &eth(&two_sas())),
    );
    let rows = run_json(&["decode", "--summary", &f]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let (first, second) = (&rows[0], &rows[1]);
    assert_eq!(first["kind"], "ike_sa");
    assert_eq!(first["spi_i"], "1111111111111111");
    assert_eq!(first["spi_r"], "2222222222222222");
    assert_eq!(first["initiator"], "192.0.2.1:500");
    assert_eq!(first["responder"], "198.51.100.2:500");
    assert_eq!(first["messages"], 4);
    assert_eq!(first["first_frame"], 1);
    assert_eq!(first["last_frame"], 5);
    assert_eq!(first["first_time"], time_str(0));
    assert_eq!(first["last_time"], time_str(4));
    assert_eq!(first["exchanges"]["IKE_SA_INIT"], 2);
    assert_eq!(first["exchanges"]["INFORMATIONAL"], 2);
    assert_eq!(
        first["notifies"],
        serde_json::json!(["INVALID_IKE_SPI", "QCD_TOKEN"])
    );
    assert_eq!(first["qcd_tokens"], serde_json::json!(["ab".repeat(32)]));
    // ESP goes to the SA of the same hosts that started last before it.
    let esp = first["esp"].as_array().unwrap();
    assert_eq!(esp.len(), 1);
    assert_eq!(esp[0]["spi"], "aaaa0001");
    assert_eq!(esp[0]["src"], "192.0.2.1:0");
    assert_eq!(esp[0]["packets"], 1);
    assert_eq!(esp[0]["first_frame"], 3);
    assert_eq!(esp[0]["first_time"], time_str(2));
    assert_eq!(second["spi_i"], "3333333333333333");
    assert_eq!(second["notifies"], serde_json::json!(["INVALID_SPI"]));
    assert_eq!(second["qcd_tokens"], serde_json::json!([]));
    assert_eq!(second["esp"][0]["spi"], "bbbb0002");
    // Filters apply before summarising.
    let rows = run_json(&["decode", "--summary", "--spi", "3333333333333333", &f]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["messages"], 3);
    // Text: a table.
    let r = run(&["decode", "--summary", &f]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for want in [
        "1111111111111111",
        "3333333333333333",
        "IKE_SA_INIT ×2",
        "INVALID_IKE_SPI",
        "abababababababab… (32 bytes)",
        "aaaa0001 192.0.2.1 → 198.51.100.2: 1 packet",
    ] {
        assert!(r.stdout.contains(want), "want {want:?} in\n{}", r.stdout);
    }
    // ESP with no IKE message between its hosts still shows up.
    let lone = vec![ip_raw(
        ip("10.0.0.1"),
        ip("10.0.0.2"),
        50,
        &esp_body(0x1234_5678, 9, 64),
    )];
    let f = write(
        dir.path(),
        "esp.pcap",
        &pcap(LinkType::ETHERNET, &eth(&lone)),
    );
    let rows = run_json(&["decode", "--summary", &f]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["kind"], "esp_without_ike_sa");
    assert_eq!(rows[0]["esp"][0]["spi"], "12345678");
}

#[test]
fn summary_of_a_generated_capture() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("gen.pcapng");
    let f = f.to_str().unwrap();
    let r = run(&[
        "generate-capture",
        "--out",
        f,
        "--size",
        "300k",
        "--ike-count",
        "12",
        "--format",
        "pcapng",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let rows = run_json(&["decode", "--summary", f]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["messages"], 12);
    assert_eq!(rows[0]["exchanges"]["IKE_SA_INIT"], 4);
    assert_eq!(rows[0]["exchanges"]["IKE_AUTH"], 4);
    assert_eq!(rows[0]["exchanges"]["INFORMATIONAL"], 4);
    assert_eq!(rows[0]["qcd_tokens"].as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["esp"].as_array().unwrap().len(), 4);
    assert_eq!(run_json(&["decode", "--qcd", f]).len(), 2);
}

#[test]
fn extra_ports() {
    let dir = tempfile::tempdir().unwrap();
    let reply = ike_samples::qcd_reply();
    let pkts = vec![
        ip_udp(sa("192.0.2.1:4501"), sa("198.51.100.2:4501"), &reply),
        ip_udp(sa("192.0.2.1:500"), sa("198.51.100.2:500"), &reply),
    ];
    let f = write(dir.path(), "p.pcap", &pcap(LinkType::ETHERNET, &eth(&pkts)));
    assert_eq!(frames(&run_json(&["decode", &f])), [2]);
    let got = run_json(&["decode", "--port", "4501", &f]);
    assert_eq!(frames(&got), [1, 2]);
    assert_eq!(got[0]["src"], "192.0.2.1:4501");
    assert_eq!(got[0]["spi_i"], "1122334455667788");
}

#[test]
fn damaged_capture_exits_2_after_decoding_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let full = pcap(LinkType::ETHERNET, &eth(&conversation(false)));
    // Offset of the last (7th) record.
    let mut at = 24;
    let mut offs = Vec::new();
    while at < full.len() {
        offs.push(at);
        at += 16 + u32::from_le_bytes(full[at + 8..at + 12].try_into().unwrap()) as usize;
    }
    let f = write(dir.path(), "cut.pcap", &full[..full.len() - 10]);
    for json in [true, false] {
        let mut args = vec!["decode", f.as_str()];
        if json {
            args.insert(0, "--json");
        }
        let r = run(&args);
        assert_eq!(r.code, Some(2), "{}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("frame 7 (byte offset {})", offs[6])),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("is damaged"), "{}", r.stderr);
        if json {
            assert_eq!(frames(&json_lines(&r.stdout)), [1, 2, 4]);
        } else {
            assert!(r.stdout.contains("frame 4  "), "{}", r.stdout);
        }
    }
}

#[test]
fn unparsable_ike_payload_is_a_warning_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let reply = ike_samples::qcd_reply();
    let mut bad = reply.clone();
    bad[27] += 5; // length field beyond the datagram
    let mut v1 = reply.clone();
    v1[17] = 0x10; // IKEv1: not decoded at all
    let pkts = vec![
        ip_udp(sa("192.0.2.1:500"), sa("198.51.100.2:500"), &bad),
        ip_udp(sa("192.0.2.1:500"), sa("198.51.100.2:500"), &reply),
        ip_udp(sa("192.0.2.1:500"), sa("198.51.100.2:500"), &v1),
    ];
    let f = write(
        dir.path(),
        "bad.pcap",
        &pcap(LinkType::ETHERNET, &eth(&pkts)),
    );
    let r = run(&["--json", "decode", &f]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // The malformed message is decoded as far as it goes, and says what is wrong.
    let got = json_lines(&r.stdout);
    assert_eq!(frames(&got), [1, 2]);
    assert_eq!(got[0]["malformed"]["field"], "length", "{}", got[0]);
    assert_eq!(got[0]["malformed"]["offset"], 24);
    assert_eq!(got[0]["payloads"].as_array().unwrap().len(), 2);
    assert!(got[1]["malformed"].is_null());
    assert!(
        r.stderr.contains(
            "frame 1 (192.0.2.1:500 -> 198.51.100.2:500): IKE message malformed, decoded up to the problem: malformed at byte offset 24, field `length`"
        ) && r
            .stderr
            .contains("frame 3 (192.0.2.1:500 -> 198.51.100.2:500): IKE message not decoded")
            && r.stderr.contains("major version 1"),
        "{}",
        r.stderr
    );
}

#[test]
fn garbage_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.pcapng", &[0x0a, 0x0d, 0x0d, 0x0a, 1, 2]);
    let r = run(&["decode", &f]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.starts_with("qcd: error: "), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"));
}

/// Every strongSwan capture decrypts with its key table (the payloads
/// inside are compared with tshark's in `tests/it/decode_tshark.rs`).
#[test]
fn keys_decrypt_every_strongswan_capture() {
    for name in strongswan_names() {
        let pcap = strongswan(&format!("{name}.pcap"));
        let keys = strongswan(&format!("{name}.keys"));
        let got = run_json(&[
            "decode",
            "--keys",
            keys.to_str().unwrap(),
            pcap.to_str().unwrap(),
        ]);
        let mut opened = 0;
        for m in &got {
            for p in m["payloads"].as_array().unwrap() {
                if !p["encrypted"].is_null() {
                    assert!(p["encrypted"]["decrypt_error"].is_null(), "{name}: {p}");
                    assert!(p["encrypted"]["payloads"].is_array(), "{name}: {p}");
                    opened += 1;
                }
            }
        }
        assert!(opened >= 2, "{name}: {opened} SK payloads opened");
    }
}

#[test]
fn keys_reboot_capture_tree_shows_inner_payloads() {
    let pcap = strongswan("aes128-sha1.pcap");
    let keys = strongswan("aes128-sha1.keys");
    let r = run(&[
        "decode",
        "--keys",
        keys.to_str().unwrap(),
        pcap.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "    decrypted (ICV verified):\n      IDr (Identification - Responder), 21 bytes\n"
        ),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("        NO_PROPOSAL_CHOSEN (14), error type\n"));
}

#[test]
fn keys_with_a_wrong_key_say_integrity_check_failed() {
    let dir = tempfile::tempdir().unwrap();
    let line = std::fs::read_to_string(strongswan("aes128-sha1.keys")).unwrap();
    let mut fields: Vec<String> = line.trim().split(',').map(str::to_string).collect();
    // SK_ai and SK_ar: flip the first digit.
    for i in [5, 6] {
        let first = if fields[i].starts_with('0') { "1" } else { "0" };
        fields[i] = format!("{first}{}", &fields[i][1..]);
    }
    let keys = write(dir.path(), "wrong.keys", fields.join(",").as_bytes());
    let pcap = strongswan("aes128-sha1.pcap");
    let got = run_json(&["decode", "--keys", &keys, pcap.to_str().unwrap()]);
    let errors: Vec<&str> = got
        .iter()
        .flat_map(|m| m["payloads"].as_array().unwrap())
        .filter_map(|p| p["encrypted"]["decrypt_error"].as_str())
        .collect();
    assert!(errors.len() >= 2);
    assert!(
        errors.iter().all(|e| e.contains("integrity check failed")),
        "{errors:?}"
    );
    let r = run(&["decode", "--keys", &keys, pcap.to_str().unwrap()]);
    assert!(r.stdout.contains("    not decrypted: "), "{}", r.stdout);
    // A table that does not parse is an error.
    let bad = write(dir.path(), "bad.keys", b"nonsense\n");
    let r = run(&["decode", "--keys", &bad, pcap.to_str().unwrap()]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("cannot load --keys"), "{}", r.stderr);
}

#[test]
fn keys_with_hex_input() {
    let pcap = strongswan("aes128-sha1.pcap");
    let keys = strongswan("aes128-sha1.keys");
    let bytes = std::fs::read(&pcap).unwrap();
    let msg = read(&bytes).ike[3].payload.clone(); // IKE_AUTH response
    let h = hex::encode(&msg);
    let got = run_json(&["decode", "--keys", keys.to_str().unwrap(), "--hex", &h]);
    let sk = &got[0]["payloads"][0]["encrypted"];
    assert!(sk["decrypt_error"].is_null(), "{sk}");
    let inner: Vec<&str> = sk["payloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(inner, ["IDr", "AUTH", "N"]);
    assert_eq!(sk["payloads"][2]["notify"]["name"], "NO_PROPOSAL_CHOSEN");
    // Without --keys the SK payload stays opaque.
    let got = run_json(&["decode", "--hex", &h]);
    assert!(got[0]["payloads"][0]["encrypted"]["payloads"].is_null());
}

/// The framing captures compared with tshark's fields: the differential
/// fixtures (whose golden files `tests/it/capture_tshark.rs` keeps live), two
/// SAs, and a generated capture: (golden name, path).
fn field_captures(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = differential_fixtures()
        .into_iter()
        .map(|(name, bytes)| {
            let path = PathBuf::from(write(dir, &name, &bytes));
            (format!("fixtures/{name}"), path)
        })
        .collect();
    files.push((
        "decode/two-sas.pcap".into(),
        PathBuf::from(write(
            dir,
            "two-sas.pcap",
            &pcap(LinkType::ETHERNET, &eth(&two_sas())),
        )),
    ));
    let gen = dir.join("gen.pcap");
    let r = run(&[
        "generate-capture",
        "--out",
        gen.to_str().unwrap(),
        "--size",
        "200k",
        "--ike-count",
        "6",
    ]);
    assert_eq!(r.code, Some(0));
    files.push(("decode/gen.pcap".into(), gen));
    files
}

/// Live tshark against the golden files of this test's own captures (the
/// fixtures' are checked by `tests/it/capture_tshark.rs`). Skips with a
/// message when tshark is missing; FAILS so under CI=true.
#[test]
fn live_tshark_matches_golden_files() {
    let _heavy = support::heavy();
    use support::golden::{check_live, fields_command, golden_path, live_tshark, tshark_fields};
    let Some(version) = live_tshark("decode_capture::live_tshark_matches_golden_files") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (name, path) in field_captures(dir.path()) {
        if !name.starts_with("decode/") {
            continue;
        }
        let live = tshark_fields(&path);
        let bytes = std::fs::read(&path).unwrap();
        let golden = golden_path("fields", &name, "tsv");
        if let Some(d) = check_live(&golden, &version, &bytes, &fields_command(), &live) {
            panic!("{d}");
        }
        checked += 1;
    }
    assert_eq!(checked, 2);
}

/// `qcd --json decode` against tshark's fields (golden files made with
/// `support::golden::FIELDS`; the rows of frames with `isakmp`).
#[test]
fn qcd_decode_json_agrees_with_tshark_on_every_capture() {
    let _heavy = support::heavy();
    let dir = tempfile::tempdir().unwrap();
    let files = field_captures(dir.path());
    // The captures under tests/data are compared payload by payload in
    // tests/it/decode_tshark.rs; these are the link-layer and framing fixtures.
    // Columns of FIELDS: frame.number, isakmp.ispi, isakmp.rspi,
    // isakmp.exchangetype, isakmp.messageid, isakmp.notify.msgtype,
    // isakmp.notify.data.
    let columns = [0, 11, 12, 13, 14, 15, 16];
    let tshark_rows = |name: &str, f: &Path| -> Vec<Vec<String>> {
        let bytes = std::fs::read(f).unwrap();
        let golden = support::golden::golden_path("fields", name, "tsv");
        support::golden::read_golden(&golden, &bytes)
            .lines()
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|r| r[1].split(':').any(|p| p == "isakmp"))
            .map(|r| columns.iter().map(|&i| r[i].to_string()).collect())
            .collect()
    };
    let mut messages = 0;
    for (name, f) in &files {
        let r = run(&["--json", "decode", f.to_str().unwrap()]);
        assert!(matches!(r.code, Some(0) | Some(2)), "{}", r.stderr);
        let ours = json_lines(&r.stdout);
        let theirs = tshark_rows(name, f);
        assert_eq!(frames(&ours).len(), theirs.len(), "{name}: {}", r.stdout);
        for (m, t) in ours.iter().zip(&theirs) {
            assert_eq!(m["frame"].as_u64().unwrap().to_string(), t[0], "{name}");
            assert_eq!(m["spi_i"], t[1], "{name}");
            assert_eq!(m["spi_r"], t[2], "{name}");
            assert_eq!(
                m["exchange_type"].as_u64().unwrap().to_string(),
                t[3],
                "{name}"
            );
            assert_eq!(
                m["message_id"].as_u64().unwrap(),
                u64::from_str_radix(t[4].trim_start_matches("0x"), 16).unwrap(),
                "{name}"
            );
            let notes: Vec<&Value> = m["payloads"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| !p["notify"].is_null())
                .map(|p| &p["notify"])
                .collect();
            let types: Vec<String> = notes.iter().map(|n| n["type"].to_string()).collect();
            assert_eq!(types.join(","), t[5], "{name} frame {}", t[0]);
            let data: Vec<String> = notes
                .iter()
                .map(|n| match n["data"].as_str().unwrap() {
                    "" => "<MISSING>".to_string(),
                    d => d.to_string(),
                })
                .collect();
            let their_data = if t[6].is_empty() {
                String::new()
            } else {
                t[6].clone()
            };
            assert_eq!(data.join(","), their_data, "{name} frame {}", t[0]);
            messages += 1;
        }
    }
    assert!(messages > 50, "{messages}");
    println!(
        "{} captures, {messages} IKE messages agree with tshark",
        files.len()
    );
}

#[test]
fn offsets_apply_to_captures_and_as_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "conv.pcap",
        &pcap(LinkType::ETHERNET, &eth(&conversation(false))),
    );
    let r = run(&["decode", "--offsets", &f]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // Offsets count from the IKE header, also on UDP 4500 (marker removed).
    assert!(
        r.stdout.contains("  [  28] N (Notify), 8 bytes\n"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("[  32]"), "{}", r.stdout);
    let r = run(&["decode", "--as", "message", &f]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("--as applies to hex input"),
        "{}",
        r.stderr
    );
}

/// IKE fragments (RFC 7383) built with qcd's Reprs and capture writer: each
/// is decrypted on its own, the plaintexts are joined in fragment order
/// whatever the arrival order, and the message's payloads appear on the
/// fragment that completes it. A set that never completes is a warning at
/// the end. (tests/it/decode_tshark.rs checks the same against tshark.)
#[test]
fn skf_fragments_are_reassembled_in_a_capture() {
    use support::dissect_samples::{capture, fragment_key_table, fragmented_ike_auth};
    let dir = tempfile::tempdir().unwrap();
    let keys = write(dir.path(), "f.keys", fragment_key_table().as_bytes());
    let a = fragmented_ike_auth(1, 3);
    let b = fragmented_ike_auth(2, 4);
    // message 1 in order; message 2 out of order; message 3 loses a fragment
    let c = fragmented_ike_auth(3, 2);
    let datagrams = vec![
        a[0].clone(),
        b[2].clone(),
        a[1].clone(),
        b[0].clone(),
        a[2].clone(),
        b[3].clone(),
        c[0].clone(),
        b[1].clone(),
    ];
    let f = write(dir.path(), "frag.pcap", &capture(&datagrams));
    let r = run(&["--json", "decode", "--keys", &keys, &f]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let got = json_lines(&r.stdout);
    assert_eq!(got.len(), 8);
    let inner_names = |m: &Value| -> Option<Vec<String>> {
        let e = &m["payloads"][0]["encrypted"];
        e["payloads"].as_array().map(|ps| {
            ps.iter()
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect()
        })
    };
    let want = ["IDi", "AUTH", "SA", "TSi", "TSr", "N"].map(String::from);
    // frame 5 completes message 1, frame 8 message 2 (out of order)
    for (i, m) in got.iter().enumerate() {
        let e = &m["payloads"][0]["encrypted"];
        assert!(e["decrypt_error"].is_null(), "{m}");
        assert!(e["decrypted_length"].as_u64().unwrap() > 0);
        match i + 1 {
            5 | 8 => {
                assert_eq!(inner_names(m).unwrap(), want, "frame {}", i + 1);
                assert_eq!(
                    e["reassembled"]["fragments"],
                    if i + 1 == 5 { 3 } else { 4 }
                );
                let token = &e["payloads"][5]["notify"];
                assert_eq!(token["name"], "QCD_TOKEN");
                assert_eq!(token["data"], "5c".repeat(32));
            }
            _ => assert!(inner_names(m).is_none(), "frame {}: {m}", i + 1),
        }
    }
    assert!(
        r.stderr.contains("IKE fragments of message ID 3")
            && r.stderr
                .contains("never completed (1 of 2 received): the capture ends"),
        "{}",
        r.stderr
    );
    // The tree says what waits and what was joined; --qcd sees the token
    // inside the reassembled message.
    let r = run(&["decode", "--keys", &keys, &f]);
    assert!(r.stdout.contains("fragment 1 of 3"), "{}", r.stdout);
    assert!(r
        .stdout
        .contains("the message's payloads are shown once all its fragments are decrypted"));
    assert!(
        r.stdout.contains("reassembled from 3 fragments: 278 bytes"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("ID_FQDN (2): fragmented.example"));
    let q = run_json(&["decode", "--qcd", "--keys", &keys, &f]);
    assert_eq!(frames(&q), [5, 8]);
    // Without keys nothing is decrypted and nothing waits.
    let r = run(&["--json", "decode", &f]);
    assert_eq!(r.code, Some(0));
    assert!(!r.stderr.contains("never completed"), "{}", r.stderr);
}
