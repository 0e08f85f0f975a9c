//! qcd's IKEv2 initiator (`qcd::ikeinit`) against strongSwan's charon 5.9.8
//! as responder, in network namespaces made by the test
//! (tests/common/netns_charon.rs): it completes IKE_SA_INIT and IKE_AUTH
//! (charon checks qcd's PSK AUTH, qcd checks charon's), deletes the IKE SA,
//! and — charon being no QCD token maker — reports `no-token-in-auth`. The
//! key table qcd writes decrypts the capture in tshark with every ICV
//! `[correct]`.
//!
//! Skips with a message when root, iproute2, charon, swanctl or tcpdump are
//! missing; fails instead under CI=true (CI installs them).

#[path = "common/netns_charon.rs"]
mod netns_charon;

use std::net::SocketAddr;
use std::time::Duration;

use netns_charon::{available, tshark_with_table, CharonNet, GW_ID, PSK, QCD_ID};
use qcd::ikecrypto::keytable::wireshark_line;
use qcd::ikeinit::{e2e, parse_identity, ChildOutcome, Config, Options, UdpTransport, Verdict};
use qcd::secret::SecretBytes;
use qcd::wire::DhGroup;

struct Run {
    report: Result<qcd::ikeinit::E2eReport, String>,
    table: String,
}

fn probe(net: &CharonNet, group: DhGroup, peer_id: Option<&str>, psk: &str) -> Run {
    let (local, remote) = (net.qcd_addr, net.gw_addr);
    let peer_id = peer_id.map(str::to_string);
    let psk = psk.to_string();
    net.in_qcd_ns(move || {
        let target = SocketAddr::new(remote, 500);
        let mut transport = UdpTransport::connect(target).unwrap();
        let config = Config {
            psk: SecretBytes::from_slice(psk.as_bytes()),
            id: parse_identity(&format!("fqdn:{QCD_ID}")).unwrap(),
            peer_id: peer_id.map(|p| parse_identity(&p).unwrap()),
            group,
            local,
            remote,
        };
        let options = Options {
            retransmit: Duration::from_millis(500),
            tries: 4,
            deadline: Duration::from_secs(5),
            interval: Duration::from_secs(1),
        };
        let mut table = String::new();
        let report = e2e(config, &mut transport, &options, &mut |keys| {
            table.push_str(&wireshark_line(&keys.sa_keys()));
            table.push('\n');
        })
        .map_err(|e| e.to_string());
        Run { report, table }
    })
}

#[test]
fn charon_cbc_child_refused_no_token_in_auth_and_tshark_checks_every_icv() {
    if !available("charon_cbc") {
        return;
    }
    let mut net = CharonNet::start(
        "c",
        "proposals = aes256-sha256-x25519\n        childless = never",
    );
    let pcap = net.dir.path().join("probe.pcap");
    net.capture(&pcap);
    let run = probe(
        &net,
        DhGroup::CURVE_25519,
        Some(&format!("fqdn:{GW_ID}")),
        PSK,
    );
    net.stop_capture();
    let report = run.report.unwrap_or_else(|e| panic!("{e}\n{}", net.log()));
    assert_eq!(report.verdict, Verdict::NoTokenInAuth);
    assert!(report.outcome.token.is_none());
    assert!(report.delete_answered, "{}", net.log());
    assert_eq!(
        report.outcome.suite.describe(),
        "AES-CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519"
    );
    // this kernel has no XFRM ESP: charon refuses the Child SA, keeps the IKE SA
    assert!(
        matches!(report.outcome.child, ChildOutcome::Refused(_)),
        "{:?}",
        report.outcome.child
    );
    let log = net.log();
    assert!(
        log.contains("authentication of 'probe.qcd.test' with pre-shared key successful"),
        "{log}"
    );
    assert!(log.contains("received DELETE for IKE_SA"), "{log}");
    // 2 encrypted messages each way: IKE_AUTH and INFORMATIONAL (Delete)
    let text = tshark_with_table(&pcap, &run.table);
    assert_eq!(text.matches("[correct]").count(), 4, "{text}");
    assert_eq!(text.matches("[incorrect").count(), 0, "{text}");
    assert!(
        text.contains("Authentication Method: Shared Key Message Integrity Code (2)"),
        "{text}"
    );
    assert!(
        text.contains("Protocol ID: IKE (1)"),
        "the Delete of the IKE SA, decrypted: {text}"
    );
}

#[test]
fn charon_gcm_modp_after_invalid_ke_childless() {
    if !available("charon_gcm") {
        return;
    }
    // charon wants MODP-2048; qcd starts with Curve25519, so the first
    // answer is INVALID_KE_PAYLOAD; `childless = force` makes charon announce
    // CHILDLESS_IKEV2_SUPPORTED (RFC 6023) and refuse a Child SA
    let mut net = CharonNet::start(
        "g",
        "proposals = aes256gcm16-prfsha256-modp2048\n        childless = force",
    );
    let pcap = net.dir.path().join("probe.pcap");
    net.capture(&pcap);
    let run = probe(&net, DhGroup::CURVE_25519, None, PSK);
    net.stop_capture();
    let report = run.report.unwrap_or_else(|e| panic!("{e}\n{}", net.log()));
    assert_eq!(report.verdict, Verdict::NoTokenInAuth);
    assert_eq!(report.outcome.child, ChildOutcome::Childless);
    assert_eq!(report.outcome.suite.group, DhGroup::MODP_2048);
    assert_eq!(
        qcd::ikeinit::identity::identity_text(&report.outcome.peer_id),
        format!("fqdn:{GW_ID}")
    );
    let text = tshark_with_table(&pcap, &run.table);
    assert!(
        text.contains("Notify Message Type: INVALID_KE_PAYLOAD (17)"),
        "{text}"
    );
    // AES-GCM: tshark decrypts (its tag check has no [correct] line)
    assert!(
        text.contains("Authentication Method: Shared Key Message Integrity Code (2)"),
        "{text}"
    );
    assert_eq!(text.matches("[incorrect").count(), 0, "{text}");
}

#[test]
fn charon_wrong_psk_and_wrong_peer_id_are_named() {
    if !available("charon_auth") {
        return;
    }
    let net = CharonNet::start("a", "proposals = aes256-sha256-x25519");
    let run = probe(&net, DhGroup::CURVE_25519, None, "not-the-psk");
    let e = run.report.unwrap_err();
    assert!(e.contains("AUTHENTICATION_FAILED"), "{e}");
    let run = probe(&net, DhGroup::CURVE_25519, Some("fqdn:other.qcd.test"), PSK);
    let e = run.report.unwrap_err();
    // charon has no config for that IDr: it refuses authentication
    assert!(
        e.contains("AUTHENTICATION_FAILED") || e.contains("other.qcd.test"),
        "{e}"
    );
}
