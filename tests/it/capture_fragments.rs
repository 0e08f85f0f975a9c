//! IPv4 and IPv6 reassembly: in order, out of order, duplicate, overlapping,
//! missing, expiry and bounds.

use crate::support;

use qcd::capture::write::{fragment, Encap};
use qcd::capture::{DefragLimits, LinkType, ReadOptions, WarningKind};
use std::time::Duration;
use support::*;

#[test]
fn in_order_and_out_of_order() {
    for v6 in [false, true] {
        let (frags, msg) = big_ike_fragments(v6, 0x1234);
        assert_eq!(frags.len(), 3);
        for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
            let frames: Vec<_> = order.iter().map(|&i| frags[i].clone()).collect();
            let r = read(&pcap(LinkType::ETHERNET, &eth(&frames)));
            assert!(r.warnings.is_empty(), "v6={v6} {order:?}: {:?}", r.warnings);
            assert_eq!(r.ike.len(), 1, "v6={v6} {order:?}");
            let e = &r.ike[0];
            assert_eq!(e.payload, msg);
            assert_eq!(e.frame, 3, "reported on the completing fragment");
            assert!(e.reassembled);
            assert_eq!(e.dst.port(), 500);
            assert_eq!(r.counters.fragments, 3);
            assert_eq!(r.counters.reassembled, 1);
        }
    }
}

#[test]
fn two_datagrams_interleaved() {
    let (a, msg) = big_ike_fragments(false, 1);
    let (b, _) = big_ike_fragments(false, 2);
    let frames = vec![
        a[0].clone(),
        b[0].clone(),
        b[1].clone(),
        a[1].clone(),
        b[2].clone(),
        a[2].clone(),
    ];
    let r = read(&pcap(LinkType::ETHERNET, &eth(&frames)));
    assert_eq!(
        r.ike.iter().map(|e| e.frame).collect::<Vec<_>>(),
        vec![5, 6]
    );
    assert!(r.ike.iter().all(|e| e.payload == msg));
}

#[test]
fn duplicate_fragment_is_ignored() {
    for v6 in [false, true] {
        let (p, msg) = big_ike_packet(v6, 7);
        let big = fragment(&p, 1200, 7);
        let small = fragment(&p, 600, 7);
        // bytes 600..1200 again, identical
        let frames = vec![
            big[0].clone(),
            small[1].clone(),
            big[1].clone(),
            big[2].clone(),
        ];
        let r = read(&pcap(LinkType::ETHERNET, &eth(&frames)));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.ike.len(), 1);
        assert_eq!(r.ike[0].payload, msg);
    }
}

#[test]
fn overlap_with_different_bytes_discards_the_datagram() {
    for v6 in [false, true] {
        let (p, _) = big_ike_packet(v6, 9);
        let big = fragment(&p, 1200, 9);
        let mut evil = fragment(&p, 600, 9)[1].clone();
        let last = evil.len() - 1;
        evil[last] ^= 0xff;
        let frames = vec![big[0].clone(), evil, big[1].clone(), big[2].clone()];
        let r = read(&pcap(LinkType::ETHERNET, &eth(&frames)));
        assert!(r.ike.is_empty(), "v6={v6}");
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        let w = &r.warnings[0];
        assert_eq!(w.frame, Some(2));
        assert!(
            matches!(
                w.kind,
                WarningKind::FragmentOverlap {
                    start: 600,
                    end: 1200,
                    first_frame: 1,
                    ..
                }
            ),
            "{w}"
        );
        assert!(w.to_string().contains("RFC 5722"));
        assert!(!r.damaged, "a packet problem, not file damage");
    }
}

#[test]
fn missing_fragment_warns_at_end_of_capture() {
    for v6 in [false, true] {
        let (frags, _) = big_ike_fragments(v6, 0x55);
        let frames = vec![frags[0].clone(), frags[2].clone()];
        let r = read(&pcap(LinkType::ETHERNET, &eth(&frames)));
        assert!(r.ike.is_empty());
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        let w = &r.warnings[0];
        assert_eq!(w.frame, Some(1));
        match &w.kind {
            WarningKind::FragmentsIncomplete {
                last_frame,
                received,
                why,
                id,
                ..
            } => {
                assert_eq!(*last_frame, 2);
                assert_eq!(*id, 0x55);
                assert!(*received > 1200);
                assert!(why.contains("ended"));
            }
            k => panic!("{k:?}"),
        }
    }
}

#[test]
fn expiry_by_capture_time_and_bounds() {
    let (a, msg) = big_ike_fragments(false, 1);
    // frames are 1 ms apart; a 1 ms timeout expires `a` before its end.
    let filler = Encap::Ethernet.frame(&qcd::capture::write::ip_udp(
        sa("192.0.2.9:53"),
        sa("192.0.2.8:53"),
        b"x",
    ));
    let frames = vec![
        a[0].clone(),
        filler.clone(),
        filler.clone(),
        a[1].clone(),
        a[2].clone(),
    ];
    let bytes = pcap(LinkType::ETHERNET, &eth_frames(&frames));
    let opts = |limits| ReadOptions {
        defrag: limits,
        ..ReadOptions::default()
    };
    let r = read_with(
        &bytes,
        opts(DefragLimits {
            timeout: Duration::from_millis(1),
            ..DefragLimits::default()
        }),
    );
    assert!(r.ike.is_empty());
    let why: Vec<_> = r
        .warnings
        .iter()
        .filter_map(|w| match &w.kind {
            WarningKind::FragmentsIncomplete { why, .. } => Some(*why),
            _ => None,
        })
        .collect();
    assert_eq!(why.len(), 2, "{:?}", r.warnings);
    assert!(why[0].contains("timeout"));
    let r = read_with(&bytes, opts(DefragLimits::default()));
    assert_eq!(r.ike.len(), 1);
    assert_eq!(r.ike[0].payload, msg);

    // Bound on pending datagrams: with room for one, interleaving two loses the first.
    let (b, msg_b) = big_ike_fragments(false, 2);
    let frames = vec![a[0].clone(), b[0].clone(), b[1].clone(), b[2].clone()];
    let r = read_with(
        &pcap(LinkType::ETHERNET, &eth(&frames)),
        opts(DefragLimits {
            max_datagrams: 1,
            ..DefragLimits::default()
        }),
    );
    assert_eq!(r.ike.len(), 1);
    assert_eq!(r.ike[0].payload, msg_b);
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0].to_string().contains("too many"),
        "{}",
        r.warnings[0]
    );
}

/// Frames already framed stay as they are; IP packets get Ethernet.
fn eth_frames(frames: &[Vec<u8>]) -> Vec<Vec<u8>> {
    frames
        .iter()
        .map(|f| {
            if f.first().is_some_and(|b| b >> 4 == 4 || b >> 4 == 6) {
                Encap::Ethernet.frame(f)
            } else {
                f.clone()
            }
        })
        .collect()
}

#[test]
fn snaplen_cut_fragment_warns_once() {
    let (frags, _) = big_ike_fragments(false, 3);
    let mut frames = eth(&frags);
    for f in &mut frames {
        f.truncate(200);
    }
    let r = read(&pcap(LinkType::ETHERNET, &frames));
    assert!(r.ike.is_empty());
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert_eq!(r.warnings[0].kind, WarningKind::TruncatedFragment);
}

#[test]
fn memory_bound_evicts_oldest() {
    // Two datagrams of ~3 KB each with a 4 KB bound: the second's growth evicts the first.
    let (a, _) = big_ike_fragments(false, 1);
    let (b, msg_b) = big_ike_fragments(false, 2);
    let frames = vec![
        a[0].clone(),
        a[1].clone(),
        b[0].clone(),
        b[1].clone(),
        b[2].clone(),
        a[2].clone(),
    ];
    let r = read_with(
        &pcap(LinkType::ETHERNET, &eth(&frames)),
        ReadOptions {
            defrag: DefragLimits {
                max_bytes: 4000,
                ..DefragLimits::default()
            },
            ..ReadOptions::default()
        },
    );
    assert_eq!(r.ike.len(), 1, "{:?}", r.warnings);
    assert_eq!(r.ike[0].payload, msg_b);
    let msgs: Vec<_> = r.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        msgs[0].contains("memory bound") || msgs[0].contains("too many"),
        "{msgs:?}"
    );
    // a[2] then opens a new datagram that never completes.
    assert_eq!(msgs.len(), 2, "{msgs:?}");
}

/// Issue 12, item 15: fragments that never touch until the last ones fill
/// the gaps (every other 8-byte piece first, then the rest in reverse) are
/// reassembled byte for byte. Their cost, linear where a scanned list of
/// ranges made it quadratic, is measured by `benches/defrag.sh`.
#[test]
fn many_non_adjacent_fragments() {
    for v6 in [false, true] {
        let (p, msg) = big_ike_packet(v6, 0x4242);
        let pieces = fragment(&p, 8, 0x4242);
        assert!(pieces.len() > 370, "{}", pieces.len());
        let mut order: Vec<usize> = (0..pieces.len()).step_by(2).collect();
        order.extend((1..pieces.len()).step_by(2).rev());
        let frames: Vec<_> = order.iter().map(|&i| pieces[i].clone()).collect();
        let r = read(&pcap(LinkType::ETHERNET, &eth(&frames)));
        assert!(r.warnings.is_empty(), "v6={v6}: {:?}", r.warnings);
        assert_eq!(r.ike.len(), 1, "v6={v6}");
        assert_eq!(r.ike[0].payload, msg);
        assert_eq!(r.ike[0].frame, pieces.len() as u64);
    }
}
