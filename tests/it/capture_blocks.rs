//! pcapng blocks qcd does not read are skipped by their length, whatever
//! their type and body (issue 12, item 14: an unknown block with an empty
//! body used to stop decoding with exit 2, where tshark reads on), and the
//! obsolete Packet Block (type 2) is read as a frame, as tshark does.
//!
//! The files are crafted block by block here, in both byte orders; the
//! differential test against tshark FAILS when tshark is not installed
//! (`.ci/run` installs it).

use crate::support;

use qcd::capture::write::ip_udp;
use std::process::Command;
use support::*;

/// One pcapng block: type, total length, body (padded to 4), total length.
fn block(be: bool, kind: u32, body: &[u8]) -> Vec<u8> {
    let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(&u32b(kind));
    b.extend_from_slice(&u32b(len));
    b.extend_from_slice(body);
    b.extend(std::iter::repeat_n(0u8, pad));
    b.extend_from_slice(&u32b(len));
    b
}

fn u16b(be: bool, v: u16) -> [u8; 2] {
    if be {
        v.to_be_bytes()
    } else {
        v.to_le_bytes()
    }
}

fn u32b(be: bool, v: u32) -> [u8; 4] {
    if be {
        v.to_be_bytes()
    } else {
        v.to_le_bytes()
    }
}

fn shb(be: bool) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&u32b(be, 0x1a2b_3c4d));
    body.extend_from_slice(&u16b(be, 1));
    body.extend_from_slice(&u16b(be, 0));
    body.extend_from_slice(&[0xff; 8]); // section length unknown
    block(be, 0x0a0d_0d0a, &body)
}

/// An interface of link type RAW (101): packets are IP datagrams.
fn idb(be: bool) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&u16b(be, 101));
    body.extend_from_slice(&u16b(be, 0));
    body.extend_from_slice(&u32b(be, 65535));
    block(be, 1, &body)
}

/// Timestamps in microseconds (the default resolution).
fn ts(i: u32) -> u64 {
    (T0 as u64 + u64::from(i)) * 1_000_000
}

fn epb(be: bool, i: u32, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&u32b(be, 0));
    body.extend_from_slice(&u32b(be, (ts(i) >> 32) as u32));
    body.extend_from_slice(&u32b(be, ts(i) as u32));
    body.extend_from_slice(&u32b(be, data.len() as u32));
    body.extend_from_slice(&u32b(be, data.len() as u32));
    body.extend_from_slice(data);
    block(be, 6, &body)
}

/// The obsolete Packet Block (pcapng draft): interface and drops are 16 bits.
fn pb(be: bool, i: u32, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&u16b(be, 0));
    body.extend_from_slice(&u16b(be, 0));
    body.extend_from_slice(&u32b(be, (ts(i) >> 32) as u32));
    body.extend_from_slice(&u32b(be, ts(i) as u32));
    body.extend_from_slice(&u32b(be, data.len() as u32));
    body.extend_from_slice(&u32b(be, data.len() as u32));
    body.extend_from_slice(data);
    block(be, 2, &body)
}

/// IKE datagram number `i` (its message ID says which).
fn ike(i: u32) -> Vec<u8> {
    let mut m = ike_samples::qcd_reply();
    m[20..24].copy_from_slice(&i.to_be_bytes());
    ip_udp(sa("192.0.2.1:500"), sa("198.51.100.2:500"), &m)
}

/// Block types no reader knows (Wireshark skips them): empty, short and
/// longer than qcd's 64 KiB read buffer (skipped as a stream).
fn unknown_blocks(be: bool) -> Vec<Vec<u8>> {
    vec![
        block(be, 0x0000_0099, &[]),
        block(be, 0x8000_0001, &[]),
        block(be, 0x1234_5678, b"abcdefgh"),
        block(be, 0x7fff_0001, &vec![0x5a; 200 * 1024]),
        block(be, 0x0000_0099, &[1, 2, 3]),
    ]
}

/// A capture whose every other block is one qcd does not read; returns it
/// and the number of IKE frames (in order, frame numbers from 1).
fn capture(be: bool, extra: &[Vec<u8>]) -> (Vec<u8>, u32) {
    let mut f = shb(be);
    f.extend(idb(be));
    let mut frame = 0;
    for (k, b) in extra.iter().enumerate() {
        frame += 1;
        if k % 2 == 0 {
            f.extend(epb(be, frame, &ike(frame)));
        } else {
            f.extend(pb(be, frame, &ike(frame)));
        }
        f.extend_from_slice(b);
    }
    frame += 1;
    f.extend(epb(be, frame, &ike(frame)));
    (f, frame)
}

/// (frame, message ID) of every IKE message qcd reads, and whether the
/// file was judged damaged.
fn qcd_frames(bytes: &[u8]) -> (Vec<(u64, u32)>, bool, u64) {
    let r = read(bytes);
    let frames = r
        .ike
        .iter()
        .map(|m| {
            (
                m.frame,
                u32::from_be_bytes(m.payload[20..24].try_into().unwrap()),
            )
        })
        .collect();
    (frames, r.damaged, r.counters.skipped_blocks)
}

fn want(n: u32) -> Vec<(u64, u32)> {
    (1..=n).map(|i| (u64::from(i), i)).collect()
}

#[test]
fn unknown_blocks_of_any_length_are_skipped() {
    for be in [false, true] {
        let blocks = unknown_blocks(be);
        let (bytes, n) = capture(be, &blocks);
        let (frames, damaged, skipped) = qcd_frames(&bytes);
        assert_eq!(frames, want(n), "big endian: {be}");
        assert!(!damaged, "big endian: {be}");
        assert_eq!(skipped, blocks.len() as u64);
    }
}

/// Types other readers know, with bodies their parsers refuse (pcap-parser
/// wants a process information block to hold options, a custom block a
/// PEN…): qcd does not read them, so it skips them too.
#[test]
fn blocks_qcd_does_not_read_are_not_parsed() {
    for be in [false, true] {
        let blocks: Vec<Vec<u8>> = [4u32, 5, 9, 0xa, 0xbad, 0x4000_0bad, 0x8000_0001]
            .iter()
            .map(|&t| block(be, t, &[]))
            .collect();
        let (bytes, n) = capture(be, &blocks);
        let (frames, damaged, _) = qcd_frames(&bytes);
        assert_eq!(frames, want(n), "big endian: {be}");
        assert!(!damaged);
    }
}

/// A block whose length is invalid, or whose trailing length differs, is
/// still damage (reported, the rest read, exit 2 in the CLI).
#[test]
fn invalid_lengths_are_still_damage() {
    let mut bad_len = block(false, 0x99, &[0; 8]);
    bad_len[4..8].copy_from_slice(&13u32.to_le_bytes());
    let mut bad_trailer = block(false, 0x99, &[0; 8]);
    let n = bad_trailer.len();
    bad_trailer[n - 4..].copy_from_slice(&24u32.to_le_bytes());
    for b in [bad_len, bad_trailer] {
        let (bytes, _) = capture(false, &[b]);
        let r = read(&bytes);
        assert!(r.damaged);
        assert!(
            r.warnings
                .iter()
                .any(|w| w.to_string().contains("block of type 0x99")),
            "{:?}",
            r.warnings
        );
    }
}

/// tshark reads the same frames, numbered the same (Packet Blocks count,
/// skipped blocks do not). Skips without tshark; fails so under CI=true.
#[test]
fn tshark_agrees() {
    if !support::tools::available_or_skip("tshark", "-v", "capture_blocks::tshark_agrees") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for be in [false, true] {
        let (bytes, n) = capture(be, &unknown_blocks(be));
        let path = dir.path().join(format!("unknown-{be}.pcapng"));
        std::fs::write(&path, &bytes).unwrap();
        let out = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&path)
            .args([
                "-T",
                "fields",
                "-e",
                "frame.number",
                "-e",
                "isakmp.messageid",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tshark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<(u64, u32)> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let (f, id) = l.split_once('\t').unwrap();
                let id = id.trim_start_matches("0x");
                (f.parse().unwrap(), u32::from_str_radix(id, 16).unwrap())
            })
            .collect();
        assert_eq!(theirs, want(n), "tshark, big endian: {be}");
        assert_eq!(qcd_frames(&bytes).0, theirs, "big endian: {be}");
    }
}
