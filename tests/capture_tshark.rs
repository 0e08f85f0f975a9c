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
