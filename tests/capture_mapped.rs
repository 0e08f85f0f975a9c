//! The memory-mapped read path (`CaptureReader::open` on a regular file)
//! yields exactly the events of the `read` path (`CaptureReader::new` on
//! the same bytes): every fixture, damaged files (truncation, absurd
//! lengths, bad pcapng blocks), records larger than the window and many
//! window changes (64 KiB windows), and mutated captures (proptest).

mod common;

use common::*;
use proptest::prelude::*;
use qcd::capture::write::ip_udp;
use qcd::capture::{CaptureReader, Event, IkeDatagram, LinkType, Options};

#[derive(Debug, PartialEq, Eq)]
struct Seen {
    events: Vec<String>,
    damaged: bool,
    frames: u64,
    esp_flows: usize,
}

fn opts() -> Options {
    Options {
        esp_events: true,
        buffer_size: 64 * 1024,
        map: true,
        ..Options::default()
    }
}

/// Plain reads unless mapping is asked for (`Options::map`, `QCD_MMAP=1`).
#[test]
fn files_are_read_unless_mapping_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pcap");
    std::fs::write(&path, conv_pcap()).unwrap();
    assert!(!CaptureReader::open(&path, Options::default())
        .unwrap()
        .is_mapped());
    assert!(CaptureReader::open(&path, opts()).unwrap().is_mapped());
}

fn collect(mut r: CaptureReader<'_>) -> Seen {
    let mut events = Vec::new();
    while let Some(ev) = r.next_event() {
        events.push(match ev {
            Event::Ike(IkeDatagram {
                frame,
                time,
                src,
                dst,
                payload,
                truncated,
                reassembled,
            }) => format!(
                "ike {frame} {time:?} {src} {dst} {} {truncated} {reassembled}",
                hex::encode(payload)
            ),
            e => format!("{e:?}"),
        });
    }
    Seen {
        events,
        damaged: r.damaged(),
        frames: r.counters().frames,
        esp_flows: r.esp_stats().len(),
    }
}

/// Both paths agree; returns whether the mapped one was used.
fn same_both_ways(bytes: &[u8]) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pcap");
    std::fs::write(&path, bytes).unwrap();
    let by_read = CaptureReader::new(bytes, &path.display().to_string(), opts());
    let by_map = CaptureReader::open(&path, opts());
    match (by_read, by_map) {
        (Ok(a), Ok(b)) => {
            let mapped = b.is_mapped();
            assert_eq!(collect(a), collect(b));
            mapped
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string());
            false
        }
        (a, b) => panic!("read: {:?}, mapped: {:?}", a.is_ok(), b.is_ok()),
    }
}

fn conv_pcap() -> Vec<u8> {
    pcap(LinkType::ETHERNET, &eth(&conversation(false)))
}

#[test]
fn fixtures_read_the_same_mapped() {
    for (name, bytes) in differential_fixtures() {
        assert!(same_both_ways(&bytes), "{name}: not mapped");
    }
}

#[test]
fn damaged_files_read_the_same_mapped() {
    let full = conv_pcap();
    assert!(same_both_ways(&full[..full.len() - 10]));
    let mut absurd = full.clone();
    let at = 24 + 16 + u32::from_le_bytes(full[32..36].try_into().unwrap()) as usize;
    absurd[at + 8..at + 12].copy_from_slice(&0x4000_0000u32.to_le_bytes());
    assert!(same_both_ways(&absurd));
    let ng = two_interfaces();
    let mut bad = ng.clone();
    let n = bad.len();
    bad[n - 4] ^= 0x40;
    assert!(same_both_ways(&bad));
    let mut bad = ng.clone();
    bad[ng.len() / 2] ^= 0xff;
    assert!(same_both_ways(&bad));
    // Header only, and a header cut short.
    assert!(same_both_ways(&full[..24]));
    assert!(!same_both_ways(&full[..10]));
}

#[test]
fn records_larger_than_the_window_and_many_windows() {
    // A 200 KiB UDP datagram (not IKE) between IKE messages: larger than
    // the 64 KiB window, which must grow.
    let big = ip_udp(sa("192.0.2.1:9"), sa("198.51.100.2:9"), &vec![7u8; 60_000]);
    let mut pkts = conversation(false);
    pkts.insert(2, big);
    let bytes = pcap(LinkType::ETHERNET, &eth(&pkts));
    assert!(same_both_ways(&bytes));
    // A few MiB of generated capture: dozens of window changes, records
    // straddling window boundaries.
    for format in [
        qcd::capture::write::Format::Pcap {
            big_endian: false,
            nanos: false,
        },
        qcd::capture::write::Format::PcapNg,
    ] {
        let spec = qcd::capture::synth::SynthSpec {
            size: 3 << 20,
            esp_size: 1337,
            ike_count: 40,
            format,
            ..Default::default()
        };
        let mut out = Vec::new();
        qcd::capture::synth::synth(
            &mut out,
            &spec,
            &[ike_samples::qcd_reply(), ike_samples::ike_auth(700)],
        )
        .unwrap();
        assert!(same_both_ways(&out));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_captures_read_the_same_mapped(
        which in 0usize..2,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let mut bytes = if which == 0 { conv_pcap() } else { two_interfaces() };
        for (at, x) in flips {
            let i = at % bytes.len();
            bytes[i] ^= x;
        }
        let keep = 4 + cut % bytes.len();
        bytes.truncate(keep.min(bytes.len()));
        same_both_ways(&bytes);
    }
}
