//! Differential test against Wireshark's tshark: over every fixture capture
//! (link types, encapsulations, byte orders, pcapng interfaces, fragments),
//! qcd and tshark must agree on which frames carry IKE, their ports and
//! UDP payloads, and on which frames carry ESP with which SPI and sequence
//! number; and `decode --summary` must agree with tshark on the captures of
//! `tests/data`.
//!
//! tshark's output is kept as golden files (`tests/data/tshark/fields/`,
//! one per capture: tshark's version, the capture's SHA-256 and the command
//! in their header); qcd is compared to them in every run.
//! [`live_tshark_matches_golden_files`] runs tshark once per capture with
//! every field at once and compares it to the golden files; it skips with a
//! message when tshark is missing and FAILS when it is missing under
//! `CI=true` (CI installs tshark). See `tests/it/support/golden.rs`.

use crate::support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use support::golden::{
    check_live, fields_command, golden_path, live_tshark, read_golden, tshark_fields,
};
use support::parallel::parallel;
use support::*;

// Columns of `support::golden::FIELDS`.
const FRAME: usize = 0;
const PROTOCOLS: usize = 1;
const SPORT: usize = 2;
const DPORT: usize = 3;
const PAYLOAD: usize = 4;
const ESP_SPI: usize = 5;
const ESP_SEQ: usize = 6;
const IP_SRC: usize = 7;
const IP_DST: usize = 8;
const IP6_SRC: usize = 9;
const IP6_DST: usize = 10;
const ISPI: usize = 11;

/// A capture compared with tshark: its golden file's name and its bytes.
struct Compared {
    name: String,
    bytes: Vec<u8>,
}

/// The in-memory fixtures (`support::differential_fixtures`).
fn fixtures() -> Vec<Compared> {
    differential_fixtures()
        .into_iter()
        .map(|(name, bytes)| Compared {
            name: format!("fixtures/{name}"),
            bytes,
        })
        .collect()
}

/// The captures of `tests/data` and a generated IKE-heavy one (IPv6, NAT-T,
/// IP fragments, QCD replies), with the path each is read from.
fn summary_captures(tmp: &std::path::Path) -> Vec<(Compared, PathBuf)> {
    use qcd::capture::synth_ike;
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut out: Vec<_> = data_captures()
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&data).unwrap().display().to_string();
            let bytes = std::fs::read(&p).unwrap();
            (
                Compared {
                    name: format!("data/{rel}"),
                    bytes,
                },
                p,
            )
        })
        .collect();
    assert!(out.len() >= 30, "the captures of tests/data: {}", out.len());
    let heavy = tmp.join("ike-heavy.pcap");
    let mut buf = Vec::new();
    synth_ike::ike_heavy(
        &mut buf,
        &synth_ike::IkeHeavySpec {
            sas: 40,
            ..Default::default()
        },
    )
    .unwrap();
    std::fs::write(&heavy, &buf).unwrap();
    out.push((
        Compared {
            name: "synth/ike-heavy.pcap".into(),
            bytes: buf,
        },
        heavy,
    ));
    out
}

fn golden_file(name: &str) -> PathBuf {
    golden_path("fields", name, "tsv")
}

/// tshark's rows for a capture, from its golden file.
fn golden_rows(c: &Compared) -> Vec<Vec<String>> {
    read_golden(&golden_file(&c.name), &c.bytes)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn has_protocol(r: &[String], proto: &str) -> bool {
    r[PROTOCOLS].split(':').any(|p| p == proto)
}

/// The rows the filter `udp.port == 500 || udp.port == 4500` keeps.
fn ike_port_rows(rows: &[Vec<String>]) -> impl Iterator<Item = &Vec<String>> {
    rows.iter().filter(|r| {
        r[SPORT]
            .split(',')
            .chain(r[DPORT].split(','))
            .any(|p| p == "500" || p == "4500")
    })
}

#[test]
fn live_tshark_matches_golden_files() {
    let _heavy = support::heavy();
    let Some(version) = live_tshark("live_tshark_matches_golden_files") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut all: Vec<(Compared, PathBuf)> = Vec::new();
    for c in fixtures() {
        let path = tmp.path().join(c.name.replace('/', "_"));
        std::fs::write(&path, &c.bytes).unwrap();
        all.push((c, path));
    }
    all.extend(summary_captures(tmp.path()));
    let command = fields_command();
    let diffs: Vec<String> = parallel(&all, |(c, path)| {
        let live = tshark_fields(path);
        check_live(&golden_file(&c.name), &version, &c.bytes, &command, &live)
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    assert!(all.len() >= 60, "{} captures", all.len());
}

#[test]
fn qcd_and_tshark_agree_on_every_fixture() {
    let _heavy = support::heavy();
    let mut checked = 0;
    let fixtures = fixtures();
    let total = fixtures.len();
    for c in &fixtures {
        let (name, bytes) = (&c.name, &c.bytes);
        let all_rows = golden_rows(c);
        let ours = read(bytes);
        assert!(ours.warnings.iter().all(|w| !w.is_file_damage()), "{name}");

        // IKE: tshark's UDP payloads on 500/4500, classified by RFC 3948.
        let mut theirs = BTreeSet::new();
        for r in ike_port_rows(&all_rows) {
            let (frame, sport, dport, payload) =
                (&r[FRAME], &r[SPORT], &r[DPORT], r[PAYLOAD].replace(':', ""));
            let natt = sport == "4500" || dport == "4500";
            let ike = if natt {
                match payload.strip_prefix("00000000") {
                    Some(rest) => rest.to_string(),
                    None => continue, // keepalive or ESP-in-UDP
                }
            } else {
                payload
            };
            theirs.insert((
                frame.parse::<u64>().unwrap(),
                sport.parse::<u16>().unwrap(),
                dport.parse::<u16>().unwrap(),
                ike,
            ));
        }
        let mine: BTreeSet<_> = ours
            .ike
            .iter()
            .map(|e| (e.frame, e.src.port(), e.dst.port(), hex::encode(&e.payload)))
            .collect();
        assert_eq!(mine, theirs, "{name}: IKE frames differ from tshark");

        // ESP: frame, SPI and sequence number.
        let theirs: BTreeSet<_> = all_rows
            .iter()
            .filter(|r| has_protocol(r, "esp"))
            .map(|r| {
                let spi = u32::from_str_radix(r[ESP_SPI].trim_start_matches("0x"), 16).unwrap();
                (
                    r[FRAME].parse::<u64>().unwrap(),
                    spi,
                    r[ESP_SEQ].parse::<u32>().unwrap(),
                )
            })
            .collect();
        let mine: BTreeSet<_> = ours.esp.iter().map(|e| (e.0, e.3, e.4)).collect();
        assert_eq!(mine, theirs, "{name}: ESP frames differ from tshark");
        checked += 1;
    }
    assert_eq!(checked, total);
    assert!(
        total >= 29,
        "every link type, encapsulation and fragment case"
    );
}

/// `decode --summary` against tshark, on the real captures of `tests/data`
/// (Rockhopper's QCD recovery, strongSwan, tcpdump's and Wireshark's test
/// captures, the scenarios) and a generated IKE-heavy one (IPv6, NAT-T, IP
/// fragments, QCD replies): each ESP flow (SPI, endpoints) has tshark's
/// packet count and first and last frame; the IKE messages of the rows
/// whose SPI-I is the same are tshark's `isakmp` frames with that SPI-I,
/// and every `isakmp` frame is counted or reported as not decoded.
#[test]
fn summary_agrees_with_tshark() {
    let _heavy = support::heavy();
    use qcd::capture::{CaptureReader, ReadOptions};
    use qcd::decode::summary::{Summary, SummaryFilter, SummaryNote};
    use std::collections::BTreeMap;

    let dir = tempfile::tempdir().unwrap();
    let files = summary_captures(dir.path());
    let mut flows_seen = 0;
    for (c, path) in &files {
        let name = &c.name;
        let all_rows = golden_rows(c);
        let mut reader = CaptureReader::open(path, ReadOptions::default()).unwrap();
        let mut undecoded = 0;
        let summary = Summary::from_capture(&mut reader, None, SummaryFilter::default(), |n| {
            if let SummaryNote::Undecoded(_) = n {
                undecoded += 1;
            }
        });
        let rows: Vec<_> = summary.rows().collect();

        // ESP: (SPI, src, dst) -> (packets, first frame, last frame), over
        // all IKE SAs (a flow that outlives an IKE SA rekey is listed under
        // both, with the packets of each).
        let mut mine: BTreeMap<(u32, String, String), (u64, u64, u64)> = BTreeMap::new();
        for e in rows.iter().flat_map(|r| &r.esp) {
            let spi = u32::from_str_radix(&e.spi, 16).unwrap();
            let m = mine.entry((spi, e.src.clone(), e.dst.clone())).or_insert((
                0,
                e.first_frame,
                e.last_frame,
            ));
            m.0 += e.packets;
            m.1 = m.1.min(e.first_frame);
            m.2 = m.2.max(e.last_frame);
        }
        let endpoint = |ip: &str, port: &str| {
            let port = if port.is_empty() { "0" } else { port };
            if ip.contains(':') {
                format!("[{ip}]:{port}")
            } else {
                format!("{ip}:{port}")
            }
        };
        let mut theirs: BTreeMap<(u32, String, String), (u64, u64, u64)> = BTreeMap::new();
        for r in all_rows.iter().filter(|r| has_protocol(r, "esp")) {
            let frame: u64 = r[FRAME].parse().unwrap();
            let spi = u32::from_str_radix(r[ESP_SPI].trim_start_matches("0x"), 16).unwrap();
            let src = if r[IP_SRC].is_empty() {
                &r[IP6_SRC]
            } else {
                &r[IP_SRC]
            };
            let dst = if r[IP_DST].is_empty() {
                &r[IP6_DST]
            } else {
                &r[IP_DST]
            };
            let key = (spi, endpoint(src, &r[SPORT]), endpoint(dst, &r[DPORT]));
            let e = theirs.entry(key).or_insert((0, frame, frame));
            e.0 += 1;
            e.1 = e.1.min(frame);
            e.2 = e.2.max(frame);
        }
        assert_eq!(mine, theirs, "{name}: ESP flows differ from tshark");
        flows_seen += mine.len();

        // IKE messages per SPI-I.
        let mut mine: BTreeMap<String, u64> = BTreeMap::new();
        for r in &rows {
            if let Some(spi) = &r.spi_i {
                *mine.entry(spi.clone()).or_default() += r.messages;
            }
        }
        let isakmp: Vec<_> = all_rows
            .iter()
            .filter(|r| has_protocol(r, "isakmp"))
            .collect();
        let mut theirs: BTreeMap<String, u64> = BTreeMap::new();
        for r in &isakmp {
            // One value per IKE header in the frame; the first is the message's.
            let spi = r[ISPI].split(',').next().unwrap().to_string();
            *theirs.entry(spi).or_default() += 1;
        }
        let counted: u64 = mine.values().sum();
        assert_eq!(
            counted + undecoded,
            isakmp.len() as u64,
            "{name}: IKE messages counted + not decoded differ from tshark's isakmp frames"
        );
        if undecoded == 0 {
            assert_eq!(
                mine, theirs,
                "{name}: IKE messages per SPI-I differ from tshark"
            );
        }
    }
    assert!(flows_seen >= 100, "ESP flows compared: {flows_seen}");
}
