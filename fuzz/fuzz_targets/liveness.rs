//! Fuzzes what `qcd probe` and `qcd respond` read from the network: the
//! maker's judgement of a request (`read_unknown_spi_request`, and
//! `respond::Maker::answer` on ports 500 and 4500), the probe's readers of
//! a QCD answer (`read_reply`) and of an IKE_SA_INIT answer
//! (`read_init_reply`), and probe target parsing (no name is resolved: only
//! literal addresses are tried). None may panic; every answer the maker
//! builds must read back with the request's SPIs, message ID and exchange,
//! INVALID_IKE_SPI and one token per generation.
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use qcd::respond::{Decision, Maker};
use qcd::secret::keyring::Origin;
use qcd::secret::Keyring;
use qcd::secretmem::SecretBytes;
use qcd::token::{Profile, TokenSpec};
use qcd::wire::{init_probe, liveness};

fn maker() -> &'static Maker {
    static MAKER: OnceLock<Maker> = OnceLock::new();
    MAKER.get_or_init(|| {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        let mut k = Keyring::new(
            SecretBytes::from_slice(&[7; 64]),
            TokenSpec::new(Profile::HmacSha512),
            t0,
            Origin::Imported,
        );
        k.rotate(
            SecretBytes::from_slice(&[9; 32]),
            TokenSpec::new(Profile::HmacSha256),
            t0,
            Duration::from_secs(3600),
            Origin::Imported,
        )
        .expect("rotate");
        Maker::new(&k, t0).expect("maker")
    })
}

fuzz_target!(|data: &[u8]| {
    let from: SocketAddr = "192.0.2.1:500".parse().unwrap();
    let _ = liveness::read_reply(data);
    let _ = init_probe::read_init_reply(data);
    let judged = liveness::read_unknown_spi_request(data);
    for nat_t in [false, true] {
        match maker().answer(data, from, nat_t) {
            Decision::Answer {
                request,
                datagram,
                generations,
            } => {
                let message = liveness::unframe(&datagram, nat_t).expect("framed");
                let r = liveness::read_reply(message).expect("the maker's answer reads back");
                assert_eq!(r.spis, request.spis);
                assert_eq!(r.message_id, request.message_id);
                assert_eq!(r.exchange, request.exchange);
                assert!(r.flags.response());
                assert!(r.invalid_ike_spi.is_some());
                assert_eq!(r.tokens.len(), generations.len());
                assert_eq!(generations.len(), 2);
                if !nat_t {
                    assert_eq!(judged.as_ref().ok(), Some(&request));
                }
            }
            Decision::Ignore(_) => {
                if !nat_t {
                    assert!(judged.is_err());
                }
            }
            Decision::NotIke => assert!(nat_t),
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let literal = text.parse::<std::net::IpAddr>().is_ok() || text.parse::<SocketAddr>().is_ok();
        if literal {
            let _ = qcd::probe::Target::resolve(text, 500);
        }
    }
});
