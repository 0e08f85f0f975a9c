//! qcd's JSON writer (`qcd::report::json`, which every `--json` line goes
//! through) against serde_json, byte for byte, on every message of every
//! capture in `tests/data`: Rockhopper's real QCD recovery, strongSwan's
//! captures (decrypted with their key tables), tcpdump's and Wireshark's test
//! captures and the scenarios. Each message is written as `decode --json`
//! writes it: the decoded tree flattened beside the frame's fields.

mod common;

use qcd::capture::{CaptureReader, Event, IkeDatagram, Options};
use qcd::decode::{dissect_message, DecodeOptions, Decoded, Decoder};
use serde::Serialize;

#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    decoded: &'a Decoded,
    frame: u64,
    src: String,
    reassembled: bool,
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
    let files = common::data_captures();
    assert!(
        files.len() >= 30,
        "only {} captures under tests/data",
        files.len()
    );

    let (mut messages, mut decrypted) = (0, 0);
    for file in &files {
        let keys = common::keys_beside(file);
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
            let Event::Ike(IkeDatagram {
                payload,
                frame,
                src,
                ..
            }) = event
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
