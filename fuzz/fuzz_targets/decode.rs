//! Fuzzes everything `qcd decode` does with untrusted input: text parsing
//! (hex, xxd, hexdump -C), detection and decoding in every `--as` mode with
//! the full payload dissection, both renderings, the capture decoder that
//! keeps state across messages, every payload-body parser of `wire` on its
//! own (SA, KE, ID, CERT/CERTREQ, AUTH, notify data, Delete, Vendor ID, TS,
//! CP, EAP, DER names), and the wire Reprs (parse → emit → parse must be
//! stable). qcd's JSON writer is held to serde_json's output on every
//! decoded value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qcd::decode::{self, input, text, As, BytesRequest, DecodeOptions, Decoder};
use qcd::wire::{
    der, vendor, Authentication, Certificate, Configuration, CpRepr, Delete, DeleteRepr, Eap,
    EapRepr, IdValue, Identification, KeyExchange, MessageRepr, NotifyData, NotifyType, SaRepr,
    TrafficSelectors, TsRepr,
};

fuzz_target!(|data: &[u8]| {
    // As text: a user's file or stdin.
    if let Ok((_, bytes)) = input::bytes_from_contents(data) {
        let _ = decode::decode_bytes(&bytes, &BytesRequest::default());
    }
    // As the bytes themselves, in every mode (fully dissected).
    for forced in [None, Some(As::Message), Some(As::Payload)] {
        let request = BytesRequest {
            kind: forced,
            ..BytesRequest::default()
        };
        if let Ok(d) = decode::decode_bytes(data, &request) {
            let _ = serde_json::to_vec(&d).expect("serializable");
            let _ = text::tree(&d, text::TreeOptions { offsets: true });
        }
    }
    // As a capture's messages: light decode, then the lazy dissection.
    let mut decoder = Decoder::new(DecodeOptions {
        keys: None,
        ignore_icv: false,
        dissect: false,
    });
    for chunk in data.chunks(97) {
        if let Ok(mut m) = decoder.decode(chunk, None) {
            m.dissect(chunk);
            m.dissect(chunk);
        }
    }
    let _ = decoder.finish();

    // Each payload-body parser on its own.
    if let Ok(sa) = SaRepr::parse(data, 0) {
        let bytes = sa.to_bytes().expect("a parsed SA re-emits");
        assert_eq!(SaRepr::parse(&bytes, 0).expect("re-parses"), sa);
    }
    if let Ok(k) = KeyExchange::new_checked(data) {
        let _ = (k.group().to_string(), k.group().public_value_len(), k.data());
    }
    if let Ok(id) = Identification::new_checked(data) {
        let _ = id.value().map(|v| v.to_string());
    }
    if let Ok(c) = Certificate::new_checked(data) {
        let _ = c.hash_and_url();
        let _ = c.ca_hashes().map(|h| h.count());
    }
    if let Ok(a) = Authentication::new_checked(data) {
        let _ = a.digital_signature();
    }
    if let Ok(d) = Delete::new_checked(data) {
        let r = DeleteRepr::parse(&d);
        let bytes = r.to_bytes().expect("a parsed Delete re-emits");
        assert_eq!(bytes.len(), data.len());
    }
    if let Ok(ts) = TrafficSelectors::new_checked(data) {
        if let Ok(r) = TsRepr::parse(&ts) {
            let bytes = r.to_bytes().expect("parsed selectors re-emit");
            let again = TsRepr::parse(&TrafficSelectors::new_checked(&bytes[..]).unwrap());
            assert_eq!(again.expect("re-parses"), r);
        }
    }
    if let Ok(c) = Configuration::new_checked(data) {
        if let Ok(r) = CpRepr::parse(&c) {
            let bytes = r.to_bytes().expect("a parsed CP re-emits");
            assert_eq!(bytes.len(), data.len());
        }
    }
    if let Ok(e) = Eap::new_checked(data) {
        let r = EapRepr::parse(&e);
        assert_eq!(r.to_bytes().expect("a parsed EAP re-emits").len(), data.len());
    }
    if let Some((&hi, rest)) = data.split_first() {
        let t = NotifyType(u16::from(hi) | 0x4000);
        for t in [t, NotifyType(u16::from(hi) % 64)] {
            let _ = NotifyData::parse(t, rest, 0);
        }
        let _ = IdValue::parse(qcd::wire::IdType(hi), rest, 0);
    }
    let _ = der::name_to_string(data);
    let _ = der::algorithm_identifier(data);
    let _ = vendor::vendor_name(data);

    // Reprs: whatever parses must emit and parse back to the same thing.
    if let Ok(m) = MessageRepr::from_bytes(data) {
        let bytes = m.to_bytes().expect("a parsed message re-emits");
        assert_eq!(bytes.len(), data.len());
        assert_eq!(MessageRepr::from_bytes(&bytes).expect("re-parses"), m);
    }
});
