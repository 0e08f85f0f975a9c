//! `qcd decode` as a user runs it: hex, xxd and hexdump -C input, stdin,
//! `--as`, `--offsets`, `--json`, QCD warnings, and every malformed case
//! (exit 2 with the byte offset and the field). Fixtures in
//! tests/data/decode were built by make.py there (Python struct, real xxd and
//! hexdump), independently of qcd's own emit code.

use assert_cmd::Command;

fn data(name: &str) -> String {
    format!("{}/tests/data/decode/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(data(name)).unwrap();
    hex::decode(text.trim()).unwrap()
}

fn qcd() -> Command {
    let mut c = Command::cargo_bin("qcd").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn run_ok(args: &[&str]) -> String {
    let out = qcd().args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs on patched bytes and returns stderr, asserting exit 2 and empty stdout.
fn run_err(args: &[&str]) -> String {
    let out = qcd().args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

const QCD_REPLY: &str = "\
IKEv2 message, 76 bytes: INFORMATIONAL (37) response, message ID 0
  SPI-I c0ffee0123456789  SPI-R 5a5a5a5a00000001
  version 2.0, flags 0x20 (response)
  N (Notify), 8 bytes
    INVALID_IKE_SPI (4), error type
    protocol ID 1 (IKE), SPI size 0
    no data
  N (Notify), 40 bytes
    QCD_TOKEN (16419), status type
    protocol ID 1 (IKE), SPI size 0
    data, 32 bytes:
      101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
";

const ROCKHOPPER_REPLY: &str = "\
IKEv2 message, 108 bytes: INFORMATIONAL (37) response, message ID 0
  SPI-I c0ffee0123456789  SPI-R 5a5a5a5a00000001
  version 2.0, flags 0x20 (response)
  N (Notify), 8 bytes
    INVALID_IKE_SPI (4), error type
    protocol ID 0 (none), SPI size 0
    no data
  N (Notify), 72 bytes
    QCD_TOKEN (16419), status type
    protocol ID 0 (none), SPI size 0
    data, 64 bytes:
      000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
      202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
";

#[test]
fn hex_file_xxd_and_hexdump_give_the_same_tree() {
    for f in ["qcd-reply.hex", "qcd-reply.xxd", "qcd-reply.hexdump"] {
        assert_eq!(run_ok(&["decode", &data(f)]), QCD_REPLY, "{f}");
    }
    for f in [
        "rockhopper-reply.hex",
        "rockhopper-reply.xxd",
        "rockhopper-reply.hexdump",
    ] {
        assert_eq!(run_ok(&["decode", &data(f)]), ROCKHOPPER_REPLY, "{f}");
    }
}

#[test]
fn hex_on_the_command_line_with_separators_and_prefixes() {
    let b = fixture_bytes("qcd-reply.hex");
    let colons: Vec<String> = b.iter().map(|x| format!("{x:02X}")).collect();
    assert_eq!(run_ok(&["decode", "--hex", &colons.join(":")]), QCD_REPLY);
    let spaced: Vec<String> = b
        .chunks(4)
        .map(|c| format!("0x{}", hex::encode(c)))
        .collect();
    assert_eq!(run_ok(&["decode", "--hex", &spaced.join("\n")]), QCD_REPLY);
}

#[test]
fn stdin_takes_an_xxd_dump() {
    let dump = std::fs::read_to_string(data("rockhopper-reply.xxd")).unwrap();
    let out = qcd()
        .args(["decode", "-"])
        .write_stdin(dump)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), ROCKHOPPER_REPLY);
}

#[test]
fn non_esp_marker_and_offsets() {
    let want = "\
IKEv2 message after non-ESP marker, 76 bytes: INFORMATIONAL (37) response, message ID 0
  SPI-I c0ffee0123456789  SPI-R 5a5a5a5a00000001
  version 2.0, flags 0x20 (response)
  [  32] N (Notify), 8 bytes
    INVALID_IKE_SPI (4), error type
    protocol ID 1 (IKE), SPI size 0
    no data
  [  40] N (Notify), 40 bytes
    QCD_TOKEN (16419), status type
    protocol ID 1 (IKE), SPI size 0
    data, 32 bytes:
      101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
";
    assert_eq!(
        run_ok(&["decode", "--offsets", &data("qcd-reply-4500.hex")]),
        want
    );
    assert_eq!(
        run_ok(&["decode", "--as", "message", &data("qcd-reply-4500.hex")]),
        want.replace("[  32] ", "").replace("[  40] ", "")
    );
}

#[test]
fn sk_payload_shows_its_length() {
    let want = "\
IKEv2 message, 76 bytes: INFORMATIONAL (37) request, message ID 5
  SPI-I c0ffee0123456789  SPI-R 5a5a5a5a00000001
  version 2.0, flags 0x08 (initiator)
  SK (Encrypted and Authenticated), 48 bytes
    first inner payload NONE (0)
    IV, ciphertext and ICV: 44 bytes at byte 32 (content needs keys)
";
    assert_eq!(run_ok(&["decode", &data("liveness-sk.hex")]), want);
}

#[test]
fn json_contract() {
    let out = run_ok(&["--json", "decode", &data("rockhopper-reply.hex")]);
    assert_eq!(out.lines().count(), 1, "one object per line");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "message");
    assert_eq!(v["spi_i"], "c0ffee0123456789");
    assert_eq!(v["spi_r"], "5a5a5a5a00000001");
    assert_eq!(v["exchange_type"], 37);
    assert_eq!(v["exchange"], "INFORMATIONAL");
    assert_eq!(v["initiator"], false);
    assert_eq!(v["response"], true);
    assert_eq!(v["message_id"], 0);
    assert_eq!(v["length"], 108);
    let p = &v["payloads"];
    assert_eq!(p.as_array().unwrap().len(), 2);
    assert_eq!(p[0]["type"], 41);
    assert_eq!(p[0]["name"], "N");
    assert_eq!(p[0]["critical"], false);
    assert_eq!(p[0]["length"], 8);
    assert_eq!(p[0]["notify"]["type"], 4);
    assert_eq!(p[0]["notify"]["name"], "INVALID_IKE_SPI");
    assert_eq!(p[1]["notify"]["protocol_id"], 0);
    assert_eq!(p[1]["notify"]["spi_size"], 0);
    assert_eq!(p[1]["notify"]["spi"], "");
    assert_eq!(p[1]["notify"]["type"], 16419);
    assert_eq!(p[1]["notify"]["name"], "QCD_TOKEN");
    let token: String = (0u8..64).map(|b| format!("{b:02x}")).collect();
    assert_eq!(p[1]["notify"]["data"], token);
    // Protocol ID 0 is what RFC 6290 erratum 3449 requires: no warning.
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0);

    let out = run_ok(&["--json", "decode", &data("liveness-sk.hex")]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["payloads"][0]["name"], "SK");
    assert_eq!(v["payloads"][0]["length"], 48);
    assert_eq!(v["payloads"][0]["encrypted"]["body_offset"], 32);
    assert!(v["payloads"][0]["encrypted"].get("payloads").is_none());
    assert_eq!(v["warnings"], serde_json::json!([]));
}

#[test]
fn lone_notify_payload_and_as_payload() {
    let notify = "0000002801004023101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";
    let want = "\
payload, 40 bytes (next payload NONE)
  N (Notify), 40 bytes
    QCD_TOKEN (16419), status type
    protocol ID 1 (IKE), SPI size 0
    data, 32 bytes:
      101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
";
    assert_eq!(run_ok(&["decode", "--hex", notify]), want);
    assert_eq!(
        run_ok(&["decode", "--as", "payload", "--hex", notify]),
        want
    );
    let v: serde_json::Value =
        serde_json::from_str(&run_ok(&["--json", "decode", "--hex", notify])).unwrap();
    assert_eq!(v["kind"], "payload");
    assert_eq!(v["type"], 41);
    assert_eq!(v["notify"]["name"], "QCD_TOKEN");
    // A whole message forced to be a payload is one payload plus extra bytes.
    let err = run_err(&["decode", "--as", "payload", &data("qcd-reply.hex")]);
    assert!(
        err.contains("byte offset 2, field `payload length`"),
        "{err}"
    );
}

#[test]
fn qcd_warnings() {
    // protocol ID 0 is in the Rockhopper fixture above; here SPI size and short token.
    let notify = "000000180104402301020304aabbccddeeff001122334455";
    let out = run_ok(&["decode", "--hex", notify]);
    assert!(
        out.contains("warning: QCD_TOKEN at byte 0 has SPI size 4; RFC 6290 requires 0"),
        "{out}"
    );
    assert!(out.contains("warning: QCD_TOKEN at byte 0 carries 12 octets of token data; RFC 6290 requires 16 to 128"), "{out}");
    let long = format!("000000{:02x}01004023{}", 8 + 129, "ab".repeat(129));
    let out = run_ok(&["decode", "--hex", &long]);
    assert!(out.contains("carries 129 octets"), "{out}");
    let out = run_ok(&["decode", &data("no-token.hex")]);
    assert!(out.ends_with("warning: INVALID_IKE_SPI without QCD_TOKEN: the sender offers no proof that it lost the IKE SA (it does not do QCD, or has no token for these SPIs), so the peer must wait for liveness checks to time out\n"), "{out}");
    assert!(!run_ok(&["decode", &data("qcd-reply.hex")]).contains("warning"));
}

fn patched(f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut b = fixture_bytes("qcd-reply.hex");
    f(&mut b);
    hex::encode(b)
}

/// Runs on bytes that are not a well-formed message: exit 2, and returns
/// (stdout, stderr).
fn run_bad(args: &[&str]) -> (String, String) {
    let out = qcd().args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Bytes, extra arguments, the error, and what the partial tree shows: the
/// payloads decoded before the problem (`None` when nothing can be decoded).
type MalformedCase<'a> = (String, Vec<&'a str>, &'a str, Option<&'a [&'a str]>);

#[test]
fn malformed_inputs_name_offset_and_field() {
    let cases: Vec<MalformedCase> = vec![
        (
            patched(|b| b.truncate(20)),
            vec!["--as", "message"],
            "truncated at byte offset 0, field `IKE header`: needs 28 bytes, only 20 present",
            None,
        ),
        (
            patched(|b| b.truncate(27)),
            vec![],
            "truncated at byte offset 0, field `IKE header`: needs 28 bytes, only 27 present",
            None,
        ),
        (
            patched(|b| b[27] = 0x4d),
            vec![],
            "malformed at byte offset 24, field `length`: the header says the message is 77 bytes but 76 bytes were given",
            Some(&["INVALID_IKE_SPI (4)", "QCD_TOKEN (16419)"]),
        ),
        (
            patched(|b| b[39] = 0x29),
            vec![],
            "malformed at byte offset 38, field `payload length`: N payload length 41 runs past the end of the data (40 bytes left from offset 36)",
            Some(&["INVALID_IKE_SPI (4)"]),
        ),
        (
            patched(|b| b[31] = 0x03),
            vec![],
            "malformed at byte offset 30, field `payload length`: N payload length 3 is below the 4-byte generic header",
            Some(&[]),
        ),
        (
            patched(|b| {
                b[16] = 200; // first payload: private-use type
                b[29] = 0x80; // marked critical
            }),
            vec![],
            "malformed at byte offset 29, field `critical`: private-use payload type 200 is not a known payload type and is marked critical",
            Some(&[]),
        ),
        (
            patched(|b| {
                b.extend([0xde, 0xad]);
                b[27] += 2;
            }),
            vec![],
            "malformed at byte offset 76, field `next payload`: 2 bytes after the last payload",
            Some(&["INVALID_IKE_SPI (4)", "QCD_TOKEN (16419)"]),
        ),
        (
            patched(|b| b[17] = 0x10),
            vec!["--as", "message"],
            "malformed at byte offset 17, field `version`: major version 1",
            None,
        ),
        (
            patched(|b| b[41] = 0x30), // notify SPI size 48 > body
            vec![],
            "malformed at byte offset 41, field `SPI size`",
            Some(&["INVALID_IKE_SPI (4)", "N (Notify), 40 bytes\n    malformed: "]),
        ),
        (
            patched(|b| b[36] = 0x29), // Next Payload N after the last payload
            vec![],
            "malformed at byte offset 76, field `next payload`: the previous Next Payload field names N (41) but the data ends at byte 76",
            Some(&["INVALID_IKE_SPI (4)", "QCD_TOKEN (16419)"]),
        ),
    ];
    for (hex, extra, want, shown) in cases {
        let mut args = vec!["decode", "--hex", hex.as_str()];
        args.extend(extra.iter());
        let (out, err) = run_bad(&args);
        assert!(
            err.starts_with("qcd: error: cannot decode --hex: "),
            "{err}"
        );
        assert!(err.contains(want), "want {want:?} in {err:?}");
        match shown {
            None => assert!(out.is_empty(), "{out}"),
            Some(lines) => {
                assert!(out.starts_with("IKEv2 message, "), "{out}");
                assert!(out.contains(&format!("warning: {want}")), "{out}");
                let payloads = out.matches("N (Notify)").count();
                assert_eq!(payloads, lines.len(), "{out}");
                for l in lines {
                    assert!(out.contains(l), "want {l:?} in {out}");
                }
            }
        }
        // --json says the same with the offset and field
        if shown.is_some() {
            let mut args = vec!["--json", "decode", "--hex", hex.as_str()];
            args.extend(extra.iter());
            let (out, _) = run_bad(&args);
            let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
            assert!(
                v["malformed"]["message"].as_str().unwrap().contains(want),
                "{v}"
            );
        }
    }
}

#[test]
fn bad_text_and_bad_captures_are_errors_not_panics() {
    let err = run_err(&["decode", "--hex", "29 0g"]);
    assert!(err.contains("not a hex digit"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("x.pcap");
    std::fs::write(&pcap, [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]).unwrap();
    let err = run_err(&["decode", pcap.to_str().unwrap()]);
    assert!(
        err.contains("capture header at byte 0 is cut short"),
        "{err}"
    );
    let err = run_err(&["decode", "/nonexistent/file.hex"]);
    assert!(err.contains("cannot read /nonexistent/file.hex"), "{err}");
}

/// Issue 12, item 19: hex on stdin is decoded as it streams and bounded by
/// the size of one IKE message: 16 MB of hex fails at once (reading little
/// of it), and a message inside megabytes of blank space decodes.
#[test]
fn hex_input_streams_within_the_bound_of_one_message() {
    let line = format!("{}\n", "ab".repeat(32));
    let huge = line.repeat((16 << 20) / line.len());
    let out = qcd()
        .args(["decode", "-"])
        .write_stdin(huge)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cannot read stdin: the input decodes to more than 65539 bytes: an IKE message is at most 65,535 bytes"),
        "{err}"
    );
    let mut spaced = " \n".repeat(4 << 20);
    spaced.push_str(&std::fs::read_to_string(data("qcd-reply.hex")).unwrap());
    spaced.push_str(&"\n".repeat(4 << 20));
    let out = qcd()
        .args(["decode", "-"])
        .write_stdin(spaced)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout).unwrap().contains("QCD_TOKEN"));
}
