//! Token derivation speed: one token per profile (keyed state prepared once),
//! keying cost, and the batch path (parse + derive + hex) over in-memory lines.
//! Run with `cargo bench --bench token`; the end-to-end figure with I/O comes
//! from `benches/token_rate.sh`.

use std::hint::black_box;
use std::io::Write;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use qcd::spi::{Spi, SpiPair};
use qcd::token::batch::derive_text;
use qcd::token::derive::MAX_DIGEST_LEN;
use qcd::token::{Deriver, Profile, TokenInput, TokenSpec};

fn input() -> TokenInput {
    TokenInput::new(
        SpiPair::new(
            Spi([1, 2, 3, 4, 5, 6, 7, 8]),
            Spi([9, 10, 11, 12, 13, 14, 15, 16]),
        ),
        None,
    )
}

fn per_token(c: &mut Criterion) {
    let mut g = c.benchmark_group("derive_one");
    g.throughput(Throughput::Elements(1));
    for p in Profile::ALL {
        let d = Deriver::new(&[0x5a; 32], TokenSpec::new(p)).unwrap();
        let mut buf = [0u8; MAX_DIGEST_LEN];
        let i = input();
        g.bench_function(p.name(), |b| {
            b.iter(|| {
                let t = d.derive_into(black_box(&i), &mut buf).unwrap();
                black_box(t[0]);
            })
        });
    }
    g.finish();
    c.bench_function("key_hmac_sha256", |b| {
        b.iter(|| Deriver::new(black_box(&[0x5a; 32]), TokenSpec::default()).unwrap())
    });
}

fn batch(c: &mut Criterion) {
    const N: u64 = 100_000;
    let mut lines = Vec::with_capacity(34 * N as usize);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..N {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let y = x.rotate_left(29) ^ 0xdead_beef;
        writeln!(lines, "{x:016x} {y:016x}").unwrap();
    }
    let d = Deriver::new(&[0x5a; 32], TokenSpec::default()).unwrap();
    let mut out = Vec::with_capacity(65 * N as usize);
    let mut g = c.benchmark_group("derive_batch");
    g.throughput(Throughput::Elements(N));
    g.sample_size(20);
    g.bench_function("hmac-sha256_100k_lines", |b| {
        b.iter(|| {
            out.clear();
            let s = derive_text(&d, &lines[..], &mut out, |_| {}).unwrap();
            assert_eq!(s.lines, N);
        })
    });
    g.finish();
}

criterion_group!(benches, per_token, batch);
criterion_main!(benches);
