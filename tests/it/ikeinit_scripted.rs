//! `qcd::ikeinit::e2e` against a scripted responder on loopback
//! (tests/it/support/ike_responder.rs): the verdicts `match`, `mismatch`,
//! `no-token-in-auth` and `no-reply`, and the wait for a gateway that keeps
//! a deleted IKE SA for 30 s (Rockhopper's default) and drops the requests
//! until then: the probes stay paced, and the verdict waits for the answer
//! instead of saying `no-reply` before the deadline.

use crate::support::{self, ike_responder};

use std::net::SocketAddr;
use std::time::Duration;

use ike_responder::{Responder, Script};
use qcd::ikeinit::{
    e2e, parse_identity, ChildOutcome, Config, E2eOptions, E2eReport, InitError, Verdict,
};
use qcd::probe::UdpTransport;
use qcd::secretmem::SecretBytes;
use qcd::wire::DhGroup;

const PSK: &[u8] = b"scripted-psk";

fn script(auth_token: Option<&[u8]>, after: Option<&[u8]>, silence: Duration) -> Script {
    Script {
        psk: PSK.to_vec(),
        id: parse_identity("fqdn:gw.scripted.test").unwrap(),
        auth_token: auth_token.map(<[u8]>::to_vec),
        token_after_delete: after.map(<[u8]>::to_vec),
        silence,
        cookie: false,
    }
}

fn check(
    r: &Responder,
    psk: &[u8],
    group: DhGroup,
    options: E2eOptions,
) -> Result<E2eReport, InitError> {
    check_peer(r, psk, group, options, "fqdn:gw.scripted.test")
}

fn check_peer(
    r: &Responder,
    psk: &[u8],
    group: DhGroup,
    options: E2eOptions,
    peer_id: &str,
) -> Result<E2eReport, InitError> {
    let config = Config {
        psk: SecretBytes::from_slice(psk),
        id: parse_identity("email:probe@scripted.test").unwrap(),
        peer_id: Some(parse_identity(peer_id).unwrap()),
        group,
        local: "127.0.0.1".parse().unwrap(),
        remote: r.addr.ip(),
    };
    let target: SocketAddr = r.addr;
    let mut t = UdpTransport::connect(target, 0).unwrap();
    e2e(config, target, &mut t, &options, &mut |_| {})
}

fn quick() -> E2eOptions {
    E2eOptions {
        retransmit: Duration::from_millis(300),
        tries: 3,
        deadline: Duration::from_secs(3),
        interval: Duration::from_millis(500),
    }
}

#[test]
fn match_mismatch_and_no_token_in_auth() {
    let _timed = support::timed();
    let token = [0x42u8; 64];
    let r = Responder::start(script(Some(&token), Some(&token), Duration::ZERO));
    let report = check(&r, PSK, DhGroup::CURVE_25519, quick()).unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(report.outcome.token.as_ref().unwrap().expose(), &token);
    assert_eq!(report.token_after_delete.as_ref().unwrap().expose(), &token);
    assert!(report.delete_answered && report.delete_payload);
    assert_eq!(report.outcome.child, ChildOutcome::Childless);
    let seen = r.seen();
    assert_eq!(seen.initiator_auth_ok, Some(true));
    assert!(!seen.child_sa_proposed);

    let r = Responder::start(script(Some(&token), Some(&[0x43; 64]), Duration::ZERO));
    let report = check(&r, PSK, DhGroup::MODP_2048, quick()).unwrap();
    assert_eq!(report.verdict, Verdict::Mismatch);
    assert_eq!(report.outcome.suite.group, DhGroup::MODP_2048);

    let r = Responder::start(script(None, Some(&token), Duration::ZERO));
    let report = check(&r, PSK, DhGroup::CURVE_25519, quick()).unwrap();
    assert_eq!(report.verdict, Verdict::NoTokenInAuth);
    assert_eq!(report.probes, 0, "nothing to compare: no liveness requests");
    assert!(r.seen().liveness.is_empty());
}

/// A gateway that authenticates (with the right PSK) as another identity
/// than --peer-id: a clear error naming both.
#[test]
fn another_peer_identity_is_refused() {
    let _timed = support::timed();
    let r = Responder::start(script(Some(&[1; 32]), None, Duration::ZERO));
    let e = check_peer(
        &r,
        PSK,
        DhGroup::CURVE_25519,
        quick(),
        "fqdn:other.scripted.test",
    )
    .unwrap_err();
    assert!(matches!(e, InitError::WrongPeerId { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("fqdn:gw.scripted.test") && text.contains("fqdn:other.scripted.test"),
        "{text}"
    );
}

#[test]
fn cookie_is_sent_back() {
    let _timed = support::timed();
    let token = [0x42u8; 16];
    let mut s = script(Some(&token), Some(&token), Duration::ZERO);
    s.cookie = true;
    let r = Responder::start(s);
    let report = check(&r, PSK, DhGroup::CURVE_25519, quick()).unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    // the first request without, the second with the COOKIE as first payload
    assert_eq!(r.seen().init_requests, vec![false, true]);
}

#[test]
fn no_reply_only_at_the_deadline() {
    let _timed = support::timed();
    let r = Responder::start(script(Some(&[1; 32]), None, Duration::ZERO));
    let started = std::time::Instant::now();
    let report = check(&r, PSK, DhGroup::CURVE_25519, quick()).unwrap();
    assert_eq!(report.verdict, Verdict::NoReply);
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(report.token_after_delete.is_none() && report.wait.is_none());
    // paced: one request per 500 ms over the 3 s deadline
    assert!((5..=7).contains(&report.probes), "{}", report.probes);
}

#[test]
fn wrong_psk_is_authentication_failed() {
    let _timed = support::timed();
    let r = Responder::start(script(Some(&[1; 32]), None, Duration::ZERO));
    let e = check(&r, b"wrong", DhGroup::CURVE_25519, quick()).unwrap_err();
    assert!(matches!(e, InitError::AuthenticationFailed), "{e}");
    assert_eq!(r.seen().initiator_auth_ok, Some(false));
}

/// A responder silent for a while after the delete (as Rockhopper is for
/// 30 s; tests/it/probe_auth_cli.rs runs that one through `qcd probe --auth`):
/// qcd keeps asking at its pace and reports `match` once the answer comes,
/// never `no-reply` before the deadline.
#[test]
fn a_gateway_silent_after_the_delete_still_gives_match() {
    let _timed = support::timed();
    let token = [0x77u8; 64];
    let r = Responder::start(script(Some(&token), Some(&token), Duration::from_secs(5)));
    let options = E2eOptions {
        interval: Duration::from_millis(500),
        deadline: Duration::from_secs(20),
        ..E2eOptions::default()
    };
    let report = check(&r, PSK, DhGroup::CURVE_25519, options).unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    let wait = report.wait.unwrap();
    assert!(
        wait >= Duration::from_secs(5) && wait < Duration::from_secs(7),
        "{wait:?}"
    );
    let seen = r.seen();
    let times = &seen.liveness;
    // ~11 requests over 5 s: paced every 500 ms, no burst
    assert!((10..=13).contains(&times.len()), "{}", times.len());
    for pair in times.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(gap >= Duration::from_millis(450), "{gap:?}");
    }
}
