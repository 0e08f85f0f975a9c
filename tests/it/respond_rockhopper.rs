//! `qcd respond`'s maker against a real one: every request of
//! tests/data/rockhopper/probe_replies.pcap (hand-built requests to a
//! Rockhopper VPN maker with no IKE SA) is fed to `respond::Maker::answer`
//! with the maker's secret (probe.secrets); the answer must be the recorded
//! reply byte for byte, and a request Rockhopper left unanswered must be
//! ignored. probe_qcd_disabled.pcap holds the same kinds of requests and no
//! reply at all.

use std::net::SocketAddr;
use std::path::Path;
use std::time::SystemTime;

use qcd::capture::{CaptureReader, Event, ReadOptions};
use qcd::respond::{Decision, Maker};
use qcd::secret::keyring::Origin;
use qcd::secret::Keyring;
use qcd::secretmem::SecretBytes;
use qcd::token::{Profile, TokenSpec};
use qcd::wire::liveness;

const MAKER: &str = "10.99.0.2";

fn secret() -> SecretBytes {
    let text = std::fs::read_to_string("tests/data/rockhopper/probe.secrets").unwrap();
    let hex = text
        .lines()
        .find_map(|l| l.strip_prefix("B="))
        .expect("B= line");
    SecretBytes::new(hex::decode(hex.trim()).unwrap())
}

fn maker() -> Maker {
    let spec = TokenSpec::with_length(Profile::HmacSha512, 64).unwrap();
    let now = SystemTime::now();
    let keyring = Keyring::new(secret(), spec, now, Origin::Imported);
    Maker::new(&keyring, now).unwrap()
}

struct Datagram {
    frame: u64,
    src: SocketAddr,
    dst: SocketAddr,
    payload: Vec<u8>,
}

fn ike(path: &str) -> Vec<Datagram> {
    let mut r = CaptureReader::open(Path::new(path), ReadOptions::default()).unwrap();
    let mut out = Vec::new();
    while let Some(e) = r.next_event() {
        if let Event::Ike(d) = e {
            out.push(Datagram {
                frame: d.frame,
                src: d.src,
                dst: d.dst,
                payload: d.payload.to_vec(),
            });
        }
    }
    out
}

fn is_request(d: &Datagram) -> bool {
    d.dst.ip().to_string() == MAKER
}

#[test]
fn answers_byte_for_byte_like_rockhopper() {
    let maker = maker();
    let all = ike("tests/data/rockhopper/probe_replies.pcap");
    let (mut answered, mut ignored) = (0, 0);
    for (i, req) in all.iter().enumerate() {
        if !is_request(req) {
            continue;
        }
        let nat_t = req.dst.port() == liveness::NAT_T_PORT;
        // The recorded reply: the next datagram, from the maker to this sender.
        let recorded = all.get(i + 1).filter(|r| {
            r.src == req.dst && r.dst == req.src && r.payload[..16] == req.payload[..16]
        });
        let decision = maker.answer(&liveness::frame(&req.payload, nat_t), req.src, nat_t);
        match (recorded, decision) {
            (
                Some(r),
                Decision::Answer {
                    datagram,
                    generations,
                    ..
                },
            ) => {
                assert_eq!(
                    hex::encode(&datagram),
                    hex::encode(liveness::frame(&r.payload, nat_t)),
                    "frame {}: the answer differs from Rockhopper's (frame {})",
                    req.frame,
                    r.frame
                );
                assert_eq!(generations, vec![1]);
                answered += 1;
            }
            (None, Decision::Ignore(_)) => ignored += 1,
            (Some(r), other) => panic!(
                "frame {}: Rockhopper answered (frame {}), respond decided {other:?}",
                req.frame, r.frame
            ),
            (None, Decision::Answer { .. }) => {
                panic!(
                    "frame {}: Rockhopper left it unanswered, respond answers",
                    req.frame
                )
            }
            (None, Decision::NotIke) => panic!("frame {}: read as not IKE", req.frame),
        }
    }
    // 16 answers (INFORMATIONAL and CREATE_CHILD_SA, ports 500/4500/40000,
    // flags 0x08 and 0x00, 32..1232 bytes) and 14 requests left alone.
    assert_eq!((answered, ignored), (16, 14), "answered, ignored");
}

#[test]
fn every_reply_carries_the_token_of_the_request_spis() {
    // Independent of respond: the recorded tokens are HMAC-SHA-512(secret, SPI-I || SPI-R).
    use hmac::{Hmac, Mac};
    let secret = secret();
    let mut n = 0;
    for d in ike("tests/data/rockhopper/probe_replies.pcap") {
        if is_request(&d) {
            continue;
        }
        let r = liveness::read_reply(&d.payload).unwrap();
        assert_eq!(r.tokens.len(), 1);
        let mut mac = Hmac::<sha2::Sha512>::new_from_slice(secret.expose()).unwrap();
        mac.update(&r.spis.to_bytes());
        assert_eq!(
            r.tokens[0].data,
            mac.finalize().into_bytes().to_vec(),
            "frame {}",
            d.frame
        );
        assert_eq!(r.tokens[0].protocol_id.0, 0);
        assert_eq!(r.invalid_ike_spi.map(|p| p.0), Some(0));
        n += 1;
    }
    assert_eq!(n, 16);
}

#[test]
fn qcd_disabled_capture_has_requests_and_no_reply() {
    let all = ike("tests/data/rockhopper/probe_qcd_disabled.pcap");
    let maker = maker();
    let requests: Vec<_> = all.iter().filter(|d| is_request(d)).collect();
    assert!(requests.len() >= 20, "{} requests", requests.len());
    assert!(all.iter().all(is_request), "a disabled maker sends nothing");
    // The requests a QCD-enabled maker would answer are there too.
    let answerable = requests
        .iter()
        .filter(|d| {
            let nat_t = d.dst.port() == liveness::NAT_T_PORT;
            matches!(
                maker.answer(&liveness::frame(&d.payload, nat_t), d.src, nat_t),
                Decision::Answer { .. }
            )
        })
        .count();
    assert!(answerable >= 10, "{answerable}");
}
