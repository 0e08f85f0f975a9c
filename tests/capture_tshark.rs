//! Differential test against Wireshark's tshark: over every fixture capture
//! (link types, encapsulations, byte orders, pcapng interfaces, fragments),
//! qcd and tshark must agree on which frames carry IKE, their ports and
//! UDP payloads, and on which frames carry ESP with which SPI and sequence
//! number. Fails when tshark is not installed (CI installs it).

mod common;

use common::*;
use std::collections::BTreeSet;
use std::process::Command;

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("-v")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn tshark(path: &std::path::Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n")
        .arg("-r")
        .arg(path)
        // tshark reassembles IP by default; say so, so a changed profile does not matter.
        .args(["-o", "ip.defragment:TRUE", "-o", "ipv6.defragment:TRUE"])
        .args(["-Y", filter, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

#[test]
fn qcd_and_tshark_agree_on_every_fixture() {
    assert!(
        tshark_available(),
        "tshark is not installed: this differential test needs it (apt-get install tshark)"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let fixtures = differential_fixtures();
    let total = fixtures.len();
    for (name, bytes) in fixtures {
        let path = dir.path().join(&name);
        std::fs::write(&path, &bytes).unwrap();
        let ours = read(&bytes);
        assert!(ours.warnings.iter().all(|w| !w.is_file_damage()), "{name}");

        // IKE: tshark's UDP payloads on 500/4500, classified by RFC 3948.
        let rows = tshark(
            &path,
            "udp.port == 500 || udp.port == 4500",
            &["frame.number", "udp.srcport", "udp.dstport", "udp.payload"],
        );
        let mut theirs = BTreeSet::new();
        for r in &rows {
            let (frame, sport, dport, payload) = (&r[0], &r[1], &r[2], r[3].replace(':', ""));
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
        let rows = tshark(&path, "esp", &["frame.number", "esp.spi", "esp.sequence"]);
        let theirs: BTreeSet<_> = rows
            .iter()
            .map(|r| {
                let spi = u32::from_str_radix(r[1].trim_start_matches("0x"), 16).unwrap();
                (
                    r[0].parse::<u64>().unwrap(),
                    spi,
                    r[2].parse::<u32>().unwrap(),
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
    use qcd::capture::{synth_ike, CaptureReader, Options};
    use qcd::decode::summary::{Summary, SummaryFilter, SummaryNote};
    use std::collections::BTreeMap;

    assert!(
        tshark_available(),
        "tshark is not installed: this differential test needs it (apt-get install tshark)"
    );
    let dir = tempfile::tempdir().unwrap();
    let heavy = dir.path().join("ike-heavy.pcap");
    let mut buf = Vec::new();
    synth_ike::ike_heavy(
        &mut buf,
        &synth_ike::IkeHeavySpec {
            sas: 40,
            ..Default::default()
        },
    )
    .unwrap();
    std::fs::write(&heavy, buf).unwrap();
    let mut files = data_captures();
    assert!(files.len() >= 30, "the captures of tests/data: {files:?}");
    files.push(heavy);
    let mut flows_seen = 0;
    for path in &files {
        let name = path.display();
        let mut reader = CaptureReader::open(path, Options::default()).unwrap();
        let mut undecoded = 0;
        let summary = Summary::from_capture(&mut reader, None, SummaryFilter::default(), |n| {
            if let SummaryNote::Undecoded(_) = n {
                undecoded += 1;
            }
        });
        let rows: Vec<_> = summary.rows().collect();

        // ESP: (SPI, src, dst) -> (packets, first frame, last frame).
        let mut mine = BTreeMap::new();
        for e in rows.iter().flat_map(|r| &r.esp) {
            let spi = u32::from_str_radix(&e.spi, 16).unwrap();
            mine.insert(
                (spi, e.src.clone(), e.dst.clone()),
                (e.packets, e.first_frame, e.last_frame),
            );
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
        let fields = [
            "frame.number",
            "esp.spi",
            "ip.src",
            "ip.dst",
            "ipv6.src",
            "ipv6.dst",
            "udp.srcport",
            "udp.dstport",
        ];
        for r in tshark(path, "esp", &fields) {
            let frame: u64 = r[0].parse().unwrap();
            let spi = u32::from_str_radix(r[1].trim_start_matches("0x"), 16).unwrap();
            let src = if r[2].is_empty() { &r[4] } else { &r[2] };
            let dst = if r[3].is_empty() { &r[5] } else { &r[3] };
            let key = (spi, endpoint(src, &r[6]), endpoint(dst, &r[7]));
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
        let isakmp = tshark(path, "isakmp", &["isakmp.ispi"]);
        let mut theirs: BTreeMap<String, u64> = BTreeMap::new();
        for r in &isakmp {
            // One value per IKE header in the frame; the first is the message's.
            let spi = r[0].split(',').next().unwrap().to_string();
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
