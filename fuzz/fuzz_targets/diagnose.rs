//! Fuzzes the diagnosis engine, two ways (the first byte chooses):
//!
//! - even: the rest is a capture, read and diagnosed as `qcd diagnose
//!   --keys` does with the scenario key table (so SK payloads of the seed
//!   scenarios decrypt, and mutated ones fail integrity or decrypt to junk);
//! - odd: the rest is a script of packets (IKE message digests built from a
//!   few bytes each, and ESP sightings) fed straight to the engine, which
//!   reaches timelines no capture writer would produce.
//!
//! On any input: no panic, every IKE SA gets one report, each report's
//! timeline is in time order and bounded, and the consistency check runs.
#![no_main]

use std::io::Cursor;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use qcd::capture::CaptureReader;
use qcd::diagnose::engine::{HEAD, PINNED, TAIL};
use qcd::diagnose::scenario::KEY_TABLE;
use qcd::diagnose::{
    consistency, diagnose_reader, reader_options, Engine, IkeSummary, NotifySummary, Options,
    SaReport,
};
use qcd::ikecrypto::KeyTable;
use qcd::spi::{Spi, SpiPair};
use qcd::wire::{ExchangeType, NotifyType, PayloadType, ProtocolId};

fn check(reports: &[SaReport]) {
    for r in reports {
        assert!(r.events.windows(2).all(|w| (w[0].at, w[0].frame) <= (w[1].at, w[1].frame)));
        assert!(r.events.len() <= HEAD + PINNED + TAIL + 8, "{}", r.events.len());
        assert!(!r.reason.is_empty());
    }
    let _ = consistency::check(reports);
}

const HOSTS: [&str; 4] = ["192.0.2.1:500", "198.51.100.2:500", "192.0.2.1:4500", "[2001:db8::1]:500"];

/// A packet script: 6 bytes per packet.
fn script(data: &[u8]) {
    let opts = Options::default();
    let mut engine = Engine::new(&opts);
    let mut t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    for (i, c) in data.chunks_exact(6).enumerate() {
        let frame = i as u64 + 1;
        t += Duration::from_millis(u64::from(c[0]) * 97);
        let src: SocketAddr = HOSTS[usize::from(c[1] & 3)].parse().unwrap();
        let dst: SocketAddr = HOSTS[usize::from((c[1] >> 2) & 3)].parse().unwrap();
        if c[1] & 0x80 != 0 {
            engine.esp(frame, t, src, dst, u32::from(c[2] & 7));
            continue;
        }
        let spi = |b: u8| Spi(u64::from(b & 3).to_be_bytes());
        let mut m = IkeSummary {
            spis: SpiPair::new(spi(c[2]), spi(c[2] >> 2)),
            exchange: [
                ExchangeType::IKE_SA_INIT,
                ExchangeType::IKE_AUTH,
                ExchangeType::CREATE_CHILD_SA,
                ExchangeType::INFORMATIONAL,
            ][usize::from(c[3] & 3)],
            initiator: c[3] & 4 != 0,
            response: c[3] & 8 != 0,
            message_id: u32::from(c[4] & 7),
            encrypted: c[3] & 16 != 0,
            sk_body_len: (c[3] & 16 != 0).then_some(u32::from(c[5])),
            first_payload: if c[3] & 32 != 0 {
                PayloadType::NOTIFY
            } else {
                PayloadType::SK
            },
            ..IkeSummary::default()
        };
        let token = vec![c[5]; 16 + usize::from(c[5] & 0x3f)];
        let n = |t: NotifyType, data: Vec<u8>| NotifySummary {
            notify_type: t,
            protocol_id: ProtocolId(c[4] >> 6),
            spi: if t == NotifyType::INVALID_SPI {
                vec![0, 0, 0, c[5] & 7]
            } else {
                vec![]
            },
            data,
        };
        match c[4] >> 3 & 7 {
            1 => m.notifies.push(n(NotifyType::INVALID_SPI, vec![])),
            2 => m.notifies.push(n(NotifyType::INVALID_IKE_SPI, vec![])),
            3 => m.notifies.extend([
                n(NotifyType::INVALID_IKE_SPI, vec![]),
                n(NotifyType::QCD_TOKEN, token),
            ]),
            4 => m.inner_notifies = Some(vec![n(NotifyType::QCD_TOKEN, token)].into()),
            5 => m.inner_notifies = Some(Default::default()),
            6 => m.rare_mut().new_ike_spi = Some(spi(c[5])),
            7 => {
                m.rare_mut().decrypt_error = Some(qcd::diagnose::DecryptFailure {
                    wrong_keys: c[5] & 1 == 0,
                    text: "fuzz".into(),
                })
            }
            _ => {}
        }
        engine.ike(frame, t, src, dst, m);
    }
    let reports: Vec<SaReport> = engine.finish(None).collect();
    check(&reports);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 1 {
        script(rest);
        return;
    }
    static TABLE: std::sync::OnceLock<KeyTable> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| KeyTable::parse(KEY_TABLE, "scenario key table").expect("valid"));
    let opts = Options {
        keys_given: true,
        ..Options::default()
    };
    // A small read buffer: the reader's default (4 MiB) would dominate each run.
    let ropts = qcd::capture::ReadOptions {
        buffer_size: 64 << 10,
        ..reader_options(vec![])
    };
    let Ok(reader) = CaptureReader::new(Cursor::new(rest), "fuzz", ropts) else {
        return;
    };
    let result = diagnose_reader(reader, Some(table), &opts);
    let n = result.reports.len();
    let reports: Vec<SaReport> = result.reports.collect();
    assert_eq!(reports.len(), n);
    check(&reports);
});
