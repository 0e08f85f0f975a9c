//! Damaged captures: everything else is still yielded, each problem is
//! reported with frame and byte offset, the damage flag is set, and no input
//! makes the reader panic.

use crate::support;

use proptest::prelude::*;
use qcd::capture::{CaptureReader, Event, LinkType, ReadOptions, WarningKind};
use support::*;

fn conv_pcap() -> Vec<u8> {
    pcap(LinkType::ETHERNET, &eth(&conversation(false)))
}

/// Byte offsets of each record of a little-endian classic pcap.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut at = 24;
    let mut v = Vec::new();
    while at + 16 <= bytes.len() {
        v.push(at);
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + caplen;
    }
    v
}

#[test]
fn truncated_last_record() {
    let full = conv_pcap();
    let offs = record_offsets(&full);
    let cut = &full[..full.len() - 10];
    let r = read(cut);
    assert_eq!(r.ike.len(), 3, "the three complete IKE records");
    assert!(r.damaged);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    let w = &r.warnings[0];
    assert_eq!(w.kind, WarningKind::TruncatedRecord);
    assert_eq!(w.frame, Some(7));
    assert_eq!(w.offset, Some(offs[6] as u64));
    assert!(
        w.to_string()
            .starts_with(&format!("frame 7 (byte offset {})", offs[6])),
        "{w}"
    );
    // cut inside a record header too
    let r = read(&full[..offs[6] + 5]);
    assert!(r.damaged);
    assert_eq!(r.ike.len(), 3);
}

#[test]
fn pcap_record_with_absurd_length_is_skipped_by_resync() {
    let mut bytes = conv_pcap();
    let offs = record_offsets(&bytes);
    // frame 3 (the ESP packet) gets a 1 GB captured length
    bytes[offs[2] + 8..offs[2] + 12].copy_from_slice(&0x4000_0000u32.to_le_bytes());
    let r = read(&bytes);
    assert!(r.damaged);
    assert_eq!(
        r.ike.len(),
        4,
        "all IKE records still found: {:?}",
        r.warnings
    );
    let frames: Vec<_> = r.ike.iter().map(|e| e.frame).collect();
    assert_eq!(frames, vec![1, 2, 4, 7], "frame numbers of the file kept");
    let bad = r
        .warnings
        .iter()
        .find(|w| matches!(w.kind, WarningKind::BadRecord { .. }))
        .unwrap();
    assert_eq!(bad.offset, Some(offs[2] as u64));
    assert_eq!(bad.frame, Some(3));
    let skipped = r
        .warnings
        .iter()
        .find(|w| matches!(w.kind, WarningKind::SkippedBytes { .. }))
        .unwrap();
    assert_eq!(
        skipped.kind,
        WarningKind::SkippedBytes {
            len: (offs[3] - offs[2]) as u64
        }
    );
}

#[test]
fn pcapng_bad_block_is_skipped_by_its_length() {
    let bytes = two_interfaces();
    // Find the third EPB and break its trailing length copy.
    let mut at = 0;
    let mut epbs = Vec::new();
    while at + 8 <= bytes.len() {
        let t = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if t == 6 {
            epbs.push((at, len));
        }
        at += len;
    }
    let (off, len) = epbs[2];
    let mut damaged = bytes.clone();
    damaged[off + len - 4] ^= 0x40;
    let clean = read(&bytes);
    let r = read(&damaged);
    assert!(r.damaged);
    let bad: Vec<_> = r.warnings.iter().filter(|w| w.is_file_damage()).collect();
    assert_eq!(bad.len(), 1, "{:?}", r.warnings);
    assert_eq!(bad[0].offset, Some(off as u64));
    assert_eq!(bad[0].frame, Some(3));
    // Frame 3 (an IKE reply) is lost; every other event is identical,
    // frame numbers included.
    let frames = |v: &[Ike]| v.iter().map(|e| e.frame).collect::<Vec<_>>();
    assert_eq!(frames(&r.ike), vec![1, 2, 4, 7, 8, 13, 14]);
    let kept: Vec<_> = clean.ike.iter().filter(|e| e.frame != 3).cloned().collect();
    assert!(r.ike == kept);
    assert_eq!(r.counters.frames, clean.counters.frames - 1);

    // A block with an impossible length: resynchronise on the next block.
    let mut damaged = bytes.clone();
    damaged[off + 4..off + 8].copy_from_slice(&7u32.to_le_bytes());
    let r = read(&damaged);
    assert!(r.damaged);
    assert_eq!(
        frames(&r.ike),
        vec![1, 2, 4, 7, 8, 13, 14],
        "{:?}",
        r.warnings
    );
}

#[test]
fn unknown_interface_is_reported() {
    let mut bytes = two_interfaces();
    // First EPB starts after SHB (28) and the two IDBs; patch its if_id to 5.
    let mut at = 0;
    loop {
        let t = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if t == 6 {
            bytes[at + 8..at + 12].copy_from_slice(&5u32.to_le_bytes());
            break;
        }
        at += len;
    }
    let r = read(&bytes);
    assert!(r.damaged);
    assert_eq!(
        r.warnings[0].kind,
        WarningKind::UnknownInterface { if_id: 5 }
    );
    assert_eq!(r.warnings[0].frame, Some(1));
    assert_eq!(r.ike.len(), 7);
}

fn drain(bytes: &[u8]) {
    let opts = ReadOptions {
        esp_events: true,
        buffer_size: 64 * 1024,
        ..ReadOptions::default()
    };
    if let Ok(mut r) = CaptureReader::new(bytes, "fuzz", opts) {
        let mut n = 0;
        while let Some(ev) = r.next_event() {
            if let Event::Ike(d) = ev {
                n += d.payload.len();
            }
        }
        let _ = (n, r.damaged());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_mutated_captures(
        which in 0usize..3,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..12),
        cut in any::<usize>(),
    ) {
        let mut bytes = match which {
            0 => conv_pcap(),
            1 => two_interfaces(),
            _ => {
                let (f, _) = big_ike_fragments(true, 1);
                pcap(LinkType::ETHERNET, &eth(&f))
            }
        };
        for (at, x) in flips {
            let i = at % bytes.len();
            bytes[i] ^= x;
        }
        let keep = 4 + cut % bytes.len();
        bytes.truncate(keep.min(bytes.len()));
        drain(&bytes);
    }

    #[test]
    fn never_panics_on_random_bodies(magic in 0usize..3, body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut bytes = match magic {
            0 => vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0],
            1 => vec![0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 101],
            _ => vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0],
        };
        bytes.extend_from_slice(&body);
        drain(&bytes);
    }
}
