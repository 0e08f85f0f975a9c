//! SK payload decryption cost per message: a 300-byte IKE_AUTH-sized
//! plaintext, for AES-CBC-256/HMAC-SHA2-256-128 and AES-GCM-256-16
//! (`cargo bench --bench ikecrypto`).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use qcd::ikecrypto::{body_len, decrypt, encrypt, EncrAlg, IntegAlg, SaKeys};
use qcd::secretmem::SecretBytes;
use qcd::spi::SpiPair;

fn keys(encr: EncrAlg, integ: IntegAlg) -> SaKeys {
    let k = |n: usize| SecretBytes::new(vec![0x42; n]);
    SaKeys::new(
        SpiPair::default(),
        encr,
        integ,
        k(encr.sk_e_len()),
        k(encr.sk_e_len()),
        k(integ.sk_a_len()),
        k(integ.sk_a_len()),
    )
    .expect("valid key lengths")
}

fn bench(c: &mut Criterion) {
    let plain = vec![0x29u8; 300];
    for (name, encr, integ) in [
        (
            "aes256cbc-sha256",
            EncrAlg::AesCbc { key_len: 32 },
            IntegAlg::HmacSha2_256_128,
        ),
        (
            "aes256gcm16",
            EncrAlg::AesGcm {
                key_len: 32,
                icv_len: 16,
            },
            IntegAlg::None,
        ),
        (
            "aes256ccm16",
            EncrAlg::AesCcm {
                key_len: 32,
                icv_len: 16,
            },
            IntegAlg::None,
        ),
        (
            "aes256ctr-sha512",
            EncrAlg::AesCtr { key_len: 32 },
            IntegAlg::HmacSha2_512_256,
        ),
        ("3des-md5", EncrAlg::TripleDes, IntegAlg::HmacMd5_96),
        (
            "chacha20poly1305",
            EncrAlg::ChaCha20Poly1305,
            IntegAlg::None,
        ),
    ] {
        let keys = keys(encr, integ);
        let prefix = vec![0u8; 32];
        let iv = vec![1u8; encr.iv_len()];
        let body = encrypt(&keys, true, &prefix, &plain, &iv).expect("encrypt");
        assert_eq!(body.len(), body_len(encr, integ, plain.len()));
        let mut msg = prefix.clone();
        msg.extend_from_slice(&body);
        c.bench_function(&format!("decrypt_300B_{name}"), |b| {
            b.iter(|| decrypt(&keys, true, black_box(&msg), 32).expect("decrypt"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
