//! Every known-answer vector in tests/data/token_vectors.json (computed by
//! tests/data/token_vectors.py with Python's hmac/hashlib, independently of
//! qcd) is reproduced by qcd's derivation, and verified.

use std::net::IpAddr;

use qcd::secret::State;
use qcd::secretmem::SecretBytes;
use qcd::spi::{Spi, SpiPair};
use qcd::token::{derive, verify, Candidate, Profile, TokenInput, TokenSpec};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    profile: String,
    secret: String,
    spi_i: String,
    spi_r: String,
    taker_addr: Option<String>,
    length: usize,
    token: String,
}

fn load() -> Vec<Vector> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/token_vectors.json");
    let text = std::fs::read_to_string(path).expect("tests/data/token_vectors.json is readable");
    let file: File = serde_json::from_str(&text).expect("valid vector file");
    file.vectors
}

#[test]
fn vectors_cover_every_profile_and_address_family() {
    let v = load();
    assert!(v.len() >= 100, "only {} vectors", v.len());
    for p in Profile::ALL {
        for fam in [None, Some(false), Some(true)] {
            assert!(
                v.iter().any(|x| x.profile == p.name()
                    && x.taker_addr.as_ref().map(|a| a.contains(':')) == fam),
                "no vector for {p} with taker {fam:?}"
            );
        }
    }
}

#[test]
fn qcd_reproduces_every_vector() {
    let vectors = load();
    assert!(!vectors.is_empty());
    for (i, v) in vectors.iter().enumerate() {
        let profile: Profile = v.profile.parse().unwrap();
        let mut spec = TokenSpec::with_length(profile, v.length).unwrap();
        let taker: Option<IpAddr> = v.taker_addr.as_ref().map(|a| a.parse().unwrap());
        spec.taker_addr = taker.is_some();
        let spis = SpiPair::new(Spi::parse(&v.spi_i).unwrap(), Spi::parse(&v.spi_r).unwrap());
        let input = TokenInput::new(spis, taker);
        let secret = SecretBytes::new(hex::decode(&v.secret).unwrap());
        let got = derive(secret.expose(), spec, &input).unwrap();
        assert_eq!(
            hex::encode(got.expose()),
            v.token,
            "vector {i} ({} L={})",
            v.profile,
            v.length
        );

        let want = hex::decode(&v.token).unwrap();
        let cands = [Candidate {
            generation: 1,
            state: State::Active,
            secret: Some(&secret),
            spec,
        }];
        let verdict = verify(&cands, &input, &want, None);
        assert_eq!(verdict.matched.map(|m| m.generation), Some(1), "vector {i}");
        // one flipped bit never verifies
        let mut bad = want.clone();
        bad[0] ^= 1;
        assert!(
            verify(&cands, &input, &bad, None).matched.is_none(),
            "vector {i}"
        );
    }
}
