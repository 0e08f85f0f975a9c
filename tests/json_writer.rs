//! qcd's JSON writer (`qcd::report::json`, which every `--json` line goes
//! through) against serde_json, byte for byte, on every message of every
//! capture in `tests/data`: Rockhopper's real QCD recovery, strongSwan's
//! captures (decrypted with their key tables), tcpdump's and Wireshark's test
//! captures and the scenarios. Each message is written as `decode --json`
//! writes it: the decoded tree flattened beside the frame's fields.

use std::path::{Path, PathBuf};

use qcd::capture::{CaptureReader, Event, Options};
use qcd::decode::{dissect_message, DecodeOptions, Decoded, Decoder};
use qcd::ikecrypto::KeyTable;
use serde::Serialize;

#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    decoded: &'a Decoded,
    frame: u64,
    src: String,
    reassembled: bool,
}

fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("tests/data is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            captures(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "pcap" || e == "pcapng" || e == "cap")
        {
            out.push(path);
        }
    }
}

/// The key table beside a capture (`NAME.keys`), or the scenarios' shared one.
fn keys_for(capture: &Path) -> Option<KeyTable> {
    let own = capture.with_extension("keys");
    let shared = capture.with_file_name("scenarios.keys");
    [own, shared]
        .iter()
        .find(|p| p.is_file())
        .and_then(|p| KeyTable::load(p).ok())
}

fn same(value: &impl Serialize, what: &str) {
    let theirs = serde_json::to_vec(value).expect("serde_json writes it");
    let mut ours = b"{\"earlier\":1}\n".to_vec();
    qcd::report::json::write_line(&mut ours, value).expect("qcd writes it");
    assert_eq!(
        String::from_utf8_lossy(&ours[14..]),
        String::from_utf8_lossy(&theirs),
        "{what}"
    );
}

#[test]
fn every_message_of_every_capture_is_written_as_serde_json_writes_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files = Vec::new();
    captures(&root, &mut files);
    files.sort();
    assert!(
        files.len() >= 30,
        "only {} captures under tests/data",
        files.len()
    );

    let (mut messages, mut decrypted) = (0, 0);
    for file in &files {
        let keys = keys_for(file);
        let input = std::fs::File::open(file).expect("capture opens");
        let Ok(mut reader) =
            CaptureReader::new(input, &file.display().to_string(), Options::default())
        else {
            continue; // deliberately damaged headers: not captures
        };
        let mut decoder = Decoder::new(DecodeOptions {
            keys: keys.as_ref(),
            ignore_icv: false,
            dissect: false,
        });
        while let Some(event) = reader.next_event() {
            let Event::Ike {
                payload,
                frame,
                src,
                ..
            } = event
            else {
                continue;
            };
            let Ok(mut m) = decoder.decode(&payload, None) else {
                continue;
            };
            dissect_message(&mut m, &payload);
            decrypted += m
                .payloads
                .iter()
                .filter(|p| p.encrypted.as_ref().is_some_and(|e| e.payloads.is_some()))
                .count();
            let decoded = Decoded::Message(m);
            let what = format!("{} frame {frame}", file.display());
            same(&decoded, &what);
            same(
                &Line {
                    decoded: &decoded,
                    frame,
                    src: src.to_string(),
                    reassembled: false,
                },
                &what,
            );
            messages += 1;
        }
    }
    // Enough to mean something: the strongSwan and scenario SK payloads
    // decrypt, so inner payloads (IDs, AUTH, TS, CP, notifies) are written too.
    assert!(messages >= 240, "only {messages} messages");
    eprintln!(
        "{messages} messages, {decrypted} SK payloads decrypted, {} captures",
        files.len()
    );
    assert!(decrypted >= 100, "only {decrypted} SK payloads decrypted");
}
