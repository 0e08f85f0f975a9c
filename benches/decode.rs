//! Throughput of the IKEv2 decoder on the messages qcd sees most: the RFC 6290
//! reply (N(INVALID_IKE_SPI), N(QCD_TOKEN)), a liveness check (SK), and the
//! hex-text path `qcd decode` takes. Run: `cargo bench --bench decode`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use qcd::decode::{self, input};
use qcd::spi::Spi;
use qcd::wire::{
    EncryptedRepr, ExchangeType, Flags, MessageRepr, NotifyRepr, NotifyType, PayloadRepr,
    PayloadType,
};

fn qcd_reply() -> Vec<u8> {
    MessageRepr {
        spi_i: Spi([0xc0, 0xff, 0xee, 1, 0x23, 0x45, 0x67, 0x89]),
        spi_r: Spi([0x5a, 0x5a, 0x5a, 0x5a, 0, 0, 0, 1]),
        exchange: ExchangeType::INFORMATIONAL,
        flags: Flags::RESPONSE,
        message_id: 0,
        payloads: vec![
            PayloadRepr::notify(NotifyRepr::new(1, NotifyType::INVALID_IKE_SPI, vec![])),
            PayloadRepr::notify(NotifyRepr::qcd_token(&[0x42; 64])),
        ],
    }
    .to_bytes()
    .unwrap()
}

fn liveness() -> Vec<u8> {
    MessageRepr {
        spi_i: Spi([1; 8]),
        spi_r: Spi([2; 8]),
        exchange: ExchangeType::INFORMATIONAL,
        flags: Flags::INITIATOR,
        message_id: 5,
        payloads: vec![PayloadRepr::encrypted(EncryptedRepr {
            fragment: None,
            first_inner: PayloadType::NONE,
            body: vec![0; 44],
        })],
    }
    .to_bytes()
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let reply = qcd_reply();
    let live = liveness();
    let text = hex::encode(&reply);
    c.bench_function("walk payload chain (QCD reply, views only)", |b| {
        b.iter(|| {
            let h = qcd::wire::Header::new_checked(black_box(&reply[..])).unwrap();
            h.payloads()
                .map(|p| p.unwrap().length() as usize)
                .sum::<usize>()
        })
    });
    c.bench_function("MessageRepr::from_bytes (QCD reply)", |b| {
        b.iter(|| MessageRepr::from_bytes(black_box(&reply)).unwrap())
    });
    c.bench_function("decode_bytes (QCD reply)", |b| {
        b.iter(|| decode::decode_bytes(black_box(&reply), &Default::default()).unwrap())
    });
    c.bench_function("decode_bytes (liveness SK)", |b| {
        b.iter(|| decode::decode_bytes(black_box(&live), &Default::default()).unwrap())
    });
    c.bench_function("hex text -> decode -> JSON (QCD reply)", |b| {
        b.iter(|| {
            let (_, bytes) = input::parse_text(black_box(&text)).unwrap();
            let d = decode::decode_bytes(&bytes, &Default::default()).unwrap();
            serde_json::to_string(&d).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
