//! `qcd diagnose -` and `qcd diagnose --follow`: standard input, pipes from
//! tcpdump and tshark, FIFOs and growing files, verdicts while the stream is
//! open, and follow mode held to file mode on every capture of tests/data.
//!
//! Needs tcpdump and tshark (CI installs both): the pipe test FAILS when
//! either is missing. The "within a second" bounds are the issue's coarse
//! latency bounds, not benchmarks.

use crate::support;

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use qcd::diagnose::{self, Options, SaReport};

fn qcd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_qcd"));
    c.env_remove("QCD_KEYRING").env_remove("QCD_NOW");
    c
}

fn restart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rockhopper/restart_same_secret.pcap")
}

/// (SPI-I, SPI-R, verdict) of each report, sorted.
fn verdicts(reports: &[SaReport]) -> Vec<(String, String, &'static str)> {
    let mut v: Vec<_> = reports
        .iter()
        .map(|r| (r.spi_i.clone(), r.spi_r.clone(), r.verdict.name()))
        .collect();
    v.sort();
    v
}

#[test]
fn follow_mode_gives_file_modes_verdicts_on_every_capture() {
    let _heavy = support::heavy();
    let (mut captures, mut judged, mut early) = (0, 0, 0);
    for cap in support::data_captures() {
        for keys in [None, support::keys_beside(&cap)] {
            let opts = Options {
                keys_given: keys.is_some(),
                ..Default::default()
            };
            let Ok(file) = diagnose::diagnose_capture(
                &cap,
                diagnose::reader_options(vec![]),
                keys.as_ref(),
                &opts,
            ) else {
                continue;
            };
            let file: Vec<SaReport> = file.reports.collect();
            let reader =
                qcd::capture::CaptureReader::open(&cap, diagnose::reader_options(vec![])).unwrap();
            let mut followed = Vec::new();
            let done = diagnose::follow_reader(reader, keys.as_ref(), &opts, |r| {
                followed.push(r);
                Ok(())
            })
            .unwrap();
            assert_eq!(done.reports, followed.len());
            assert_eq!(
                verdicts(&followed),
                verdicts(&file),
                "{} (keys: {})",
                cap.display(),
                keys.is_some()
            );
            // Judged at the end, a report is file mode's word for word.
            let late: Vec<String> = followed[done.early..]
                .iter()
                .map(|r| serde_json::to_string(r).unwrap())
                .collect();
            let all: Vec<String> = file
                .iter()
                .map(|r| serde_json::to_string(r).unwrap())
                .collect();
            for r in &late {
                assert!(all.contains(r), "{}: {r}", cap.display());
            }
            captures += 1;
            judged += file.len();
            early += done.early;
        }
    }
    eprintln!("{captures} diagnoses, {judged} IKE SAs, {early} judged before the end");
    assert!(
        captures > 40 && judged > 50 && early > 5,
        "{captures} {judged} {early}"
    );
}

/// Runs qcd with `args` and standard input from `input`; (stdout, exit code).
fn run(args: &[&str], input: Stdio) -> (String, i32) {
    let out = qcd().args(args).stdin(input).output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn sorted_lines(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s.lines().collect();
    v.sort();
    v
}

#[test]
fn standard_input_gives_the_files_verdicts_for_every_capture() {
    let _heavy = support::heavy();
    let mut compared = 0;
    for cap in support::data_captures() {
        let path = cap.to_str().unwrap();
        let (file, code) = run(&["diagnose", "--json", path], Stdio::null());
        let (piped, piped_code) = run(
            &["diagnose", "--json", "-"],
            Stdio::from(File::open(&cap).unwrap()),
        );
        // Advice names the file given, and CAPTURE for standard input.
        let file_named = file.replace(&format!("qcd diagnose {path} "), "qcd diagnose CAPTURE ");
        assert_eq!((&piped, piped_code), (&file_named, code), "{path}");
        let (quiet, _) = run(&["diagnose", "-q", path], Stdio::null());
        let (followed, followed_code) = run(
            &["diagnose", "-q", "--follow", "-"],
            Stdio::from(File::open(&cap).unwrap()),
        );
        assert_eq!(followed_code, code, "{path}");
        assert_eq!(sorted_lines(&followed), sorted_lines(&quiet), "{path}");
        compared += 1;
    }
    assert!(compared > 30, "{compared}");
}

/// `tool args… | qcd diagnose -q -`: (stdout, exit code), or `None` when the
/// tool refused the file.
fn through(tool: &str, args: &[&str], qcd_args: &[&str]) -> Option<(String, i32)> {
    let mut t = Command::new(tool)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool} is needed (CI installs it): {e}"));
    let out = qcd()
        .args(qcd_args)
        .stdin(Stdio::from(t.stdout.take().unwrap()))
        .output()
        .unwrap();
    if !t.wait().unwrap().success() {
        return None;
    }
    Some((
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap_or(-1),
    ))
}

#[test]
fn tcpdump_and_tshark_pipes_give_the_files_verdicts() {
    let _heavy = support::heavy();
    let mut compared = 0;
    for cap in support::data_captures() {
        let path = cap.to_str().unwrap();
        let (file, code) = run(&["diagnose", "-q", path], Stdio::null());
        if code == 2 {
            // Damaged or empty: the tools rewrite what they could read.
            continue;
        }
        for (tool, args) in [
            ("tcpdump", vec!["-r", path, "-w", "-"]),
            ("tshark", vec!["-r", path, "-F", "pcapng", "-w", "-"]),
        ] {
            for follow in [false, true] {
                let mut qargs = vec!["diagnose", "-q", "-"];
                if follow {
                    qargs.push("--follow");
                }
                let Some((piped, piped_code)) = through(tool, &args, &qargs) else {
                    continue;
                };
                assert_eq!(piped_code, code, "{tool} {path} (follow: {follow})");
                assert_eq!(
                    sorted_lines(&piped),
                    sorted_lines(&file),
                    "{tool} {path} (follow: {follow})"
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 60, "{compared}");
}

#[test]
fn a_stream_cut_inside_a_packet_is_a_damaged_capture() {
    let bytes = std::fs::read(restart()).unwrap();
    let cut = &bytes[..bytes.len() - 10];
    let mut child = qcd()
        .args(["diagnose", "-q", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(cut).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("standard input is damaged"), "{err}");
    assert!(!err.contains("cannot open"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("recovered 3eb802c1b2266eca"));
}

/// The legacy pcap header and records of a capture.
fn records(bytes: &[u8]) -> (&[u8], Vec<&[u8]>) {
    assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "little-endian pcap");
    let mut at = 24;
    let mut out = Vec::new();
    while at < bytes.len() {
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        out.push(&bytes[at..at + 16 + caplen]);
        at += 16 + caplen;
    }
    (&bytes[..24], out)
}

/// Lines of a child's stdout, as they come.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

fn follow(args: &[&str], stdin: Stdio) -> Child {
    qcd()
        .args(["diagnose", "-q", "--follow"])
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

const RECOVERED: &str = "recovered 3eb802c1b2266eca 914935ddd6d4111c";
const NEW_SA: &str = "healthy 027ebbc2d0367d0a f1c392d72f2aef96";

/// The recovered verdict arrives within a second of the bytes, before the
/// end of the stream; the new SA (healthy) only at the end.
fn recovered_before_the_end(lines: &mpsc::Receiver<String>) {
    let first = lines
        .recv_timeout(Duration::from_secs(1))
        .expect("the recovered verdict within a second, while the stream is open");
    assert_eq!(first, RECOVERED);
    assert!(
        lines.recv_timeout(Duration::from_millis(300)).is_err(),
        "the healthy SA waits for the end"
    );
}

fn rest(lines: &mpsc::Receiver<String>) -> Vec<String> {
    let mut v = Vec::new();
    while let Ok(l) = lines.recv_timeout(Duration::from_secs(10)) {
        v.push(l);
    }
    v
}

#[test]
fn follow_prints_the_verdict_from_a_pipe_that_stays_open() {
    let _timed = support::timed();
    let bytes = std::fs::read(restart()).unwrap();
    let mut child = follow(&["-"], Stdio::piped());
    let lines = lines_of(&mut child);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&bytes).unwrap();
    stdin.flush().unwrap();
    recovered_before_the_end(&lines);
    drop(stdin);
    assert_eq!(rest(&lines), [NEW_SA]);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn follow_reads_a_fifo_as_data_arrives() {
    let _timed = support::timed();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("cap.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut child = follow(&[fifo.to_str().unwrap()], Stdio::null());
    let lines = lines_of(&mut child);
    // Opening blocks until qcd opened the other end.
    let mut writer = File::create(&fifo).unwrap();
    writer
        .write_all(&std::fs::read(restart()).unwrap())
        .unwrap();
    writer.flush().unwrap();
    recovered_before_the_end(&lines);
    drop(writer);
    assert_eq!(rest(&lines), [NEW_SA]);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn follow_reads_a_growing_file_until_sigterm() {
    let _timed = support::timed();
    let bytes = std::fs::read(restart()).unwrap();
    let (header, recs) = records(&bytes);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("growing.pcap");
    let mut file = File::create(&path).unwrap();
    // Up to the liveness check (frame 39): nothing is decided yet.
    file.write_all(header).unwrap();
    for r in &recs[..39] {
        file.write_all(r).unwrap();
    }
    file.flush().unwrap();
    let mut child = follow(&[path.to_str().unwrap()], Stdio::null());
    let lines = lines_of(&mut child);
    assert!(lines.recv_timeout(Duration::from_millis(500)).is_err());
    let start = Instant::now();
    for r in &recs[39..] {
        file.write_all(r).unwrap();
    }
    file.flush().unwrap();
    recovered_before_the_end(&lines);
    eprintln!("recovered printed {:?} after the append", start.elapsed());
    // The file does not end: qcd waits for more until it is told to stop.
    assert!(child.try_wait().unwrap().is_none());
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert_eq!(rest(&lines), [NEW_SA]);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn an_outage_then_silence_is_judged_by_the_wall_clock() {
    let _timed = support::timed();
    let bytes = std::fs::read(restart()).unwrap();
    let (header, recs) = records(&bytes);
    // The maker went silent; the taker's liveness check (frame 39) is the
    // last packet, and the writer pauses with the pipe open.
    let mut child = follow(&["--silence", "1s", "-"], Stdio::piped());
    let lines = lines_of(&mut child);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(header).unwrap();
    for r in &recs[..39] {
        stdin.write_all(r).unwrap();
    }
    stdin.flush().unwrap();
    let start = Instant::now();
    let line = lines
        .recv_timeout(Duration::from_secs(10))
        .expect("a verdict while the writer pauses");
    let waited = start.elapsed();
    assert_eq!(line, "no-token 3eb802c1b2266eca 914935ddd6d4111c");
    // Twice --silence after the last packet (the settle horizon), give or take.
    assert!(waited >= Duration::from_millis(1500), "{waited:?}");
    assert!(child.try_wait().unwrap().is_none(), "still following");
    drop(stdin);
    assert!(rest(&lines).is_empty());
    assert_eq!(child.wait().unwrap().code(), Some(1));
}
