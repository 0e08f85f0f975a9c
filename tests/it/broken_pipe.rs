//! `qcd … | head`: when the reader closes stdout early, every command that
//! streams output ends quietly with exit 0 (no "Broken pipe" error).

use crate::support;

use std::io::{Read, Write};
use std::process::Stdio;

use support::Dir;

/// Runs `qcd ARGS`, reads one byte of its stdout, closes the pipe and
/// returns (exit code, stderr).
fn close_early(d: &Dir, args: &[&str], stdin: Option<Vec<u8>>) -> (Option<i32>, String) {
    let mut child = d
        .cmd(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let feeder = stdin.map(|bytes| {
        let mut input = child.stdin.take().unwrap();
        // The child may stop reading once its stdout is gone: ignore EPIPE here.
        std::thread::spawn(move || {
            let _ = input.write_all(&bytes);
        })
    });
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    out.read_exact(&mut one).unwrap();
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    if let Some(f) = feeder {
        f.join().unwrap();
    }
    (status.code(), err)
}

#[test]
fn streaming_commands_end_quietly_when_the_reader_leaves() {
    let d = Dir::new();
    // Thousands of IKE SAs: every command below writes far more than a
    // pipe buffer holds, so it is still writing when the reader leaves.
    d.run(&["generate-capture", "--out", "big.pcap", "--ike-sas", "3000"])
        .ok();
    d.run(&["secret", "generate", "-k", "k.json"]).ok();
    let spis: String = (0..200_000u64)
        .map(|i| format!("{:016x} {:016x}\n", i + 1, i + 2))
        .collect();
    let cases: Vec<(Vec<&str>, Option<Vec<u8>>)> = vec![
        (vec!["decode", "big.pcap"], None),
        (vec!["--json", "decode", "big.pcap"], None),
        (vec!["decode", "--summary", "big.pcap"], None),
        (vec!["--json", "diagnose", "big.pcap"], None),
        (vec!["diagnose", "big.pcap"], None),
        (
            vec!["token", "derive", "-k", "k.json", "--batch", "-"],
            Some(spis.clone().into_bytes()),
        ),
        (
            vec!["--json", "token", "derive", "-k", "k.json", "--batch", "-"],
            Some(spis.into_bytes()),
        ),
    ];
    for (args, stdin) in cases {
        let (code, err) = close_early(&d, &args, stdin);
        assert_eq!(code, Some(0), "qcd {}: {err}", args.join(" "));
        assert!(
            !err.contains("Broken pipe") && !err.contains("error"),
            "qcd {}: {err}",
            args.join(" ")
        );
    }
}
