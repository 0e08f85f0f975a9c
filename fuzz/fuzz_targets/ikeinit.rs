//! Fuzzes what `qcd probe --auth` (`qcd::ikeinit`) reads from a gateway and
//! from the user: an IKE_SA_INIT response (the header made to match the
//! request, so the payload parsers, COOKIE, INVALID_KE_PAYLOAD and the
//! proposal check are reached), the decrypted inner payloads of an IKE_AUTH
//! response (encrypted with the real keys of an IKE SA set up with a fixed
//! responder, so IDr, AUTH, notifies and the AUTH check are reached), the
//! responder's SA payload on its own, identities (`--id`) and PSK files.
//! None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qcd::ikecrypto::{body_len, encrypt};
use qcd::ikeinit::dh::KeyShare;
use qcd::ikeinit::keys::IkeKeys;
use qcd::ikeinit::psk::parse_psk;
use qcd::ikeinit::{parse_identity, Config, Initiator, Prf, Progress, Suite};
use qcd::secretmem::SecretBytes;
use qcd::spi::{Spi, SpiPair};
use qcd::wire::sa::{EncrId, IntegId};
use qcd::wire::{
    DhGroup, ExchangeType, Flags, KeRepr, MessageRepr, PayloadRepr, PayloadType, ProposalRepr,
    ProtocolId, SaRepr, TransformRepr, TransformType, GENERIC_HEADER_LEN, HEADER_LEN,
};

const SPI_I: Spi = Spi([0x11; 8]);
const SPI_R: Spi = Spi([0x22; 8]);

fn initiator() -> Initiator {
    let config = Config {
        psk: SecretBytes::from_slice(b"fuzz"),
        id: parse_identity("fqdn:fuzz.test").unwrap(),
        peer_id: None,
        group: DhGroup::CURVE_25519,
        local: "192.0.2.1".parse().unwrap(),
        remote: "192.0.2.2".parse().unwrap(),
    };
    let share = KeyShare::from_private(DhGroup::CURVE_25519, &[3; 32]).unwrap();
    Initiator::with_values(config, SPI_I, vec![4; 32], share).unwrap()
}

/// A valid IKE_SA_INIT response (AES-CBC-256, SHA2-256, Curve25519) and the
/// responder's keys.
fn init_response(init: &Initiator) -> (Vec<u8>, IkeKeys) {
    let suite = Suite {
        encr: EncrId::AES_CBC,
        key_bits: 256,
        integ: IntegId::HMAC_SHA2_256_128,
        prf: Prf::HmacSha256,
        group: DhGroup::CURVE_25519,
    };
    let responder = KeyShare::from_private(DhGroup::CURVE_25519, &[5; 32]).unwrap();
    let initiator_public = KeyShare::from_private(DhGroup::CURVE_25519, &[3; 32])
        .unwrap()
        .public_value();
    let shared = responder.shared_secret(&initiator_public).unwrap();
    let _ = init;
    let keys = IkeKeys::derive(
        suite,
        SpiPair::new(SPI_I, SPI_R),
        &[4; 32],
        &[6; 32],
        shared.expose(),
    );
    let sa = SaRepr {
        proposals: vec![ProposalRepr {
            number: 1,
            protocol_id: ProtocolId::IKE,
            spi: Vec::new(),
            transforms: vec![
                TransformRepr::with_key_length(TransformType::ENCR, EncrId::AES_CBC.0, 256),
                TransformRepr::new(TransformType::PRF, Prf::HmacSha256.id().0),
                TransformRepr::new(TransformType::INTEG, IntegId::HMAC_SHA2_256_128.0),
                TransformRepr::new(TransformType::DH, DhGroup::CURVE_25519.0),
            ],
        }],
    };
    let message = MessageRepr {
        spi_i: SPI_I,
        spi_r: SPI_R,
        exchange: ExchangeType::IKE_SA_INIT,
        flags: Flags::RESPONSE,
        message_id: 0,
        payloads: vec![
            PayloadRepr::other(PayloadType::SA, sa.to_bytes().unwrap()),
            PayloadRepr::other(
                PayloadType::KE,
                KeRepr {
                    group: DhGroup::CURVE_25519,
                    data: responder.public_value(),
                }
                .to_bytes(),
            ),
            PayloadRepr::other(PayloadType::NONCE, vec![6; 32]),
        ],
    }
    .to_bytes()
    .unwrap();
    (message, keys)
}

fuzz_target!(|data: &[u8]| {
    // 1. anything as the IKE_SA_INIT response, its header made to match
    if data.len() >= HEADER_LEN {
        let mut m = data.to_vec();
        m[..8].copy_from_slice(&SPI_I.0);
        m[17] = 0x20;
        m[18] = ExchangeType::IKE_SA_INIT.0;
        m[19] = Flags::RESPONSE.0;
        m[20..24].copy_from_slice(&0u32.to_be_bytes());
        let len = m.len() as u32;
        m[24..28].copy_from_slice(&len.to_be_bytes());
        let mut i = initiator();
        let _ = i.handle(&m);
        let _ = i.request();
    }
    // 2. anything as the decrypted inner payloads of the IKE_AUTH response
    if let Some((&first, inner)) = data.split_first() {
        let mut i = initiator();
        let (response, keys) = init_response(&i);
        assert!(
            matches!(i.handle(&response), Ok(Progress::Send)),
            "a valid IKE_SA_INIT response"
        );
        let sa = keys.sa_keys();
        let body = body_len(sa.encr, sa.integ, inner.len());
        let total = HEADER_LEN + GENERIC_HEADER_LEN + body;
        let mut prefix = Vec::with_capacity(HEADER_LEN + GENERIC_HEADER_LEN);
        prefix.extend_from_slice(&SPI_I.0);
        prefix.extend_from_slice(&SPI_R.0);
        prefix.extend_from_slice(&[
            PayloadType::SK.0,
            0x20,
            ExchangeType::IKE_AUTH.0,
            Flags::RESPONSE.0,
        ]);
        prefix.extend_from_slice(&1u32.to_be_bytes());
        prefix.extend_from_slice(&(total as u32).to_be_bytes());
        prefix.extend_from_slice(&[first, 0]);
        prefix.extend_from_slice(&((GENERIC_HEADER_LEN + body) as u16).to_be_bytes());
        if let Ok(sealed) = encrypt(&sa, false, &prefix, inner, &[9; 16]) {
            let mut message = prefix;
            message.extend_from_slice(&sealed);
            let _ = i.handle(&message);
        }
    }
    // 3. the responder's SA payload alone, identities, PSK files
    if let Ok(sa) = SaRepr::parse(data, 0) {
        let _ = Suite::from_response(&sa);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(id) = parse_identity(text) {
            let back = qcd::ikeinit::identity::identity_text(&id);
            assert_eq!(parse_identity(&back).ok(), Some(id), "{text:?} -> {back:?}");
        }
    }
    let _ = parse_psk(data, "fuzz");
});
