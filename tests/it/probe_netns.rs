//! `qcd probe` in network namespaces against real responders: Debian's
//! strongSwan charon (which drops requests for unknown SPIs but answers
//! IKE_SA_INIT) must be reported as "IKE here, no QCD reply", and `qcd
//! respond` in the other namespace as a maker; the packets on the wire are
//! read back with tshark. Root only (network namespaces); skipped with a
//! message elsewhere, required when CI=true.

use crate::support::{self, netns};

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netns::{NetnsPair, Side};
use serde_json::Value;

const QCD: &str = env!("CARGO_BIN_EXE_qcd");

fn skipped(test: &str) -> bool {
    netns::skip_unless_root(test)
        || netns::skip_unless_tool(test, "ip")
        || netns::skip_unless_tool(test, netns::CHARON)
        || netns::skip_unless_tool(test, "swanctl")
        || netns::skip_unless_tool(test, "tcpdump")
        || netns::skip_unless_tool(test, "tshark")
}

/// `qcd --json probe ARGS` run inside A: exit status and JSON lines.
fn probe_from_a(pair: &NetnsPair, args: &[&str]) -> (i32, Vec<Value>) {
    let out = pair
        .command(Side::A, QCD)
        .env_remove("QCD_KEYRING")
        .args(["--json", "probe"])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.code() != Some(2),
        "probe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out.status.code().unwrap(), lines)
}

/// tshark's fields of every ISAKMP packet of `pcap`.
fn tshark(pcap: &Path, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(pcap)
        .args(["-Y", "isakmp", "-T", "fields", "-E", "separator=|"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

const CHARON_CONF: &str = "connections {
    gw {
        version = 2
        local_addrs = 10.99.0.2
        remote_addrs = %any
        proposals = aes256-sha256-modp2048
        local {
            auth = psk
            id = gw.qcd.test
        }
        remote {
            auth = psk
        }
    }
}
";

#[test]
fn strongswan_is_ike_without_qcd_and_respond_is_a_maker() {
    let _timed = support::timed();
    let test = "probe_netns::strongswan_is_ike_without_qcd_and_respond_is_a_maker";
    if skipped(test) {
        return;
    }
    let mut pair = NetnsPair::new("probe").expect("namespaces");
    let capture = pair.capture(Side::A, "udp").expect("tcpdump");

    // 1. strongSwan: no answer to the liveness request, an answer to IKE_SA_INIT.
    let charon = pair
        .start_charon(Side::B, CHARON_CONF, "send_vendor_id = yes")
        .expect("charon");
    let t0 = Instant::now();
    let (code, lines) = probe_from_a(&pair, &["10.99.0.2"]);
    let took = t0.elapsed();
    assert_eq!(code, 1, "{lines:?}");
    let t = &lines[0];
    assert_eq!(t["verdict"], "ike-no-qcd", "{t}\n{}", charon.log());
    assert_eq!(t["qcd"], false);
    // charon wants MODP_2048 for the X25519 share the probe offers first.
    assert_eq!(t["ike"]["kind"], "invalid-ke", "{t}");
    assert_eq!(t["ike"]["wanted_group"], "MODP_2048");
    let vids = t["ike"]["vendor_ids"].to_string();
    assert!(vids.contains("strongSwan"), "{vids}");
    assert!(t["advice"][0]
        .as_str()
        .unwrap()
        .contains("cannot be a QCD token maker"));
    // 3 unanswered liveness sends, 1 answered IKE_SA_INIT.
    assert_eq!(t["packets_sent"], 4);
    assert!(took < Duration::from_secs(6), "{took:?}");
    pair.stop(charon.pid).unwrap();

    // 2. qcd respond in B, a maker; probe with the keyring it runs, over IPv4 and IPv6.
    let keyring = pair.dir().join("keyring.json");
    let status = Command::new(QCD)
        .args(["secret", "generate", "--for", "rockhopper", "--keyring"])
        .arg(&keyring)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut respond = pair.command(Side::B, QCD);
    respond
        .args(["--json", "respond", "--keyring"])
        .arg(&keyring)
        .args(["--listen", "10.99.0.2", "--listen", "[fd99::2]:500"])
        .stdout(Stdio::null());
    let respond_pid = pair.spawn(&mut respond).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let k = keyring.to_str().unwrap();
    let (code, lines) = probe_from_a(
        &pair,
        &[
            "10.99.0.2",
            "[fd99::2]",
            "--keyring",
            k,
            "--expect",
            "shared",
        ],
    );
    assert_eq!(code, 0, "{lines:?}");
    for t in &lines[..2] {
        assert_eq!(t["verdict"], "qcd-token", "{t}");
        assert_eq!(t["token_len"], 64);
        assert_eq!(t["generation"], 1);
        assert_eq!(t["keyring_match"], true);
        assert!(t["implementation"].as_str().unwrap().contains("Rockhopper"));
    }
    assert_eq!(lines[2]["same_secret"], true);
    pair.stop(respond_pid).unwrap();
    let pcap = capture.finish(&mut pair).unwrap();

    // 3. The wire, as tshark reads it.
    let rows = tshark(
        &pcap,
        &[
            "ip.src",
            "ipv6.src",
            "isakmp.exchangetype",
            "isakmp.flags",
            "isakmp.rspi",
            "isakmp.notify.msgtype",
            "udp.dstport",
        ],
    );
    let from_a: Vec<_> = rows
        .iter()
        .filter(|r| r[0] == "10.99.0.1" || r[1] == "fd99::1")
        .collect();
    let from_b: Vec<_> = rows
        .iter()
        .filter(|r| r[0] == "10.99.0.2" || r[1] == "fd99::2")
        .collect();
    // Probe of charon (4) + two probes of respond (5 each: the maker leaves IKE_SA_INIT alone).
    assert_eq!(from_a.len(), 4 + 5 + 5, "{rows:?}");
    assert!(from_a.iter().all(|r| r[6] == "500"));
    let informational: Vec<_> = from_a.iter().filter(|r| r[2] == "37").collect();
    assert_eq!(informational.len(), 3 + 3 + 3);
    assert!(informational
        .iter()
        .all(|r| r[3] == "0x08" && r[4] != "0000000000000000"));
    assert_eq!(from_a.iter().filter(|r| r[2] == "34").count(), 1 + 2 + 2);
    // charon answered once (IKE_SA_INIT, INVALID_KE_PAYLOAD = 17), respond six times with 4 + 16419.
    let charon_answers: Vec<_> = from_b.iter().filter(|r| r[2] == "34").collect();
    assert_eq!(charon_answers.len(), 1, "{from_b:?}");
    assert!(charon_answers[0][5].split(',').any(|t| t == "17"));
    let qcd_answers: Vec<_> = from_b.iter().filter(|r| r[2] == "37").collect();
    assert_eq!(qcd_answers.len(), 6, "{from_b:?}");
    assert!(qcd_answers
        .iter()
        .all(|r| r[5] == "4,16419" && r[3] == "0x20"));
}
