//! Property tests: any message or payload chain built with the wire `Repr`s
//! emits bytes that parse back to the same `Repr`, whose lengths agree with
//! `buffer_len`, and which the decoder reads with the same fields.

use proptest::prelude::*;
use qcd::decode;
use qcd::spi::Spi;
use qcd::wire::payload::emit_chain;
use qcd::wire::{
    EncryptedRepr, ExchangeType, Flags, Fragment, MessageRepr, NotifyRepr, NotifyType,
    PayloadContent, PayloadIter, PayloadRepr, PayloadType, ProtocolId,
};

fn notify() -> impl Strategy<Value = PayloadRepr> {
    (
        any::<bool>(),
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..12),
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..160),
    )
        .prop_map(|(critical, proto, spi, t, data)| PayloadRepr {
            critical,
            content: PayloadContent::Notify(NotifyRepr {
                protocol_id: ProtocolId(proto),
                spi,
                notify_type: NotifyType(t),
                data,
            }),
        })
}

fn other() -> impl Strategy<Value = PayloadRepr> {
    (
        any::<u8>().prop_filter("not N, SK, SKF or NONE", |t| ![0, 41, 46, 53].contains(t)),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..120),
    )
        .prop_map(|(t, critical, body)| PayloadRepr {
            // An unknown type may not be critical: receivers reject it.
            critical: critical && PayloadType(t).is_assigned(),
            content: PayloadContent::Other {
                payload_type: PayloadType(t),
                body,
            },
        })
}

fn encrypted() -> impl Strategy<Value = PayloadRepr> {
    (
        any::<bool>(),
        prop::option::of((any::<u16>(), any::<u16>())),
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(critical, frag, first, body)| PayloadRepr {
            critical,
            content: PayloadContent::Encrypted(EncryptedRepr {
                fragment: frag.map(|(number, total)| Fragment { number, total }),
                first_inner: PayloadType(first),
                body,
            }),
        })
}

fn chain() -> impl Strategy<Value = Vec<PayloadRepr>> {
    (
        prop::collection::vec(prop_oneof![notify(), other()], 0..6),
        prop::option::of(encrypted()),
    )
        .prop_map(|(mut v, sk)| {
            // SK/SKF ends a chain.
            v.extend(sk);
            v
        })
}

fn message() -> impl Strategy<Value = MessageRepr> {
    (
        any::<[u8; 8]>(),
        any::<[u8; 8]>(),
        any::<u8>(),
        any::<u8>(),
        any::<u32>(),
        chain(),
    )
        .prop_map(|(i, r, e, f, id, payloads)| MessageRepr {
            spi_i: Spi(i),
            spi_r: Spi(r),
            exchange: ExchangeType(e),
            flags: Flags(f),
            message_id: id,
            payloads,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn message_emit_parse_round_trip(m in message()) {
        let bytes = m.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), m.buffer_len());
        prop_assert_eq!(MessageRepr::from_bytes(&bytes).unwrap(), m.clone());

        let d = decode::decode_message(&bytes).unwrap();
        prop_assert_eq!(d.spi_i, hex::encode(m.spi_i.0));
        prop_assert_eq!(d.spi_r, hex::encode(m.spi_r.0));
        prop_assert_eq!(d.exchange_type, m.exchange.0);
        prop_assert_eq!(d.flags, m.flags.0);
        prop_assert_eq!(d.message_id, m.message_id);
        prop_assert_eq!(d.length as usize, bytes.len());
        prop_assert_eq!(d.payloads.len(), m.payloads.len());
        for (dp, mp) in d.payloads.iter().zip(&m.payloads) {
            prop_assert_eq!(dp.payload_type, mp.payload_type().0);
            prop_assert_eq!(dp.length as usize, mp.buffer_len());
            if let PayloadContent::Notify(n) = &mp.content {
                let dn = dp.notify.as_ref().unwrap();
                prop_assert_eq!(dn.notify_type, n.notify_type.0);
                prop_assert_eq!(&dn.data, &hex::encode(&n.data));
                prop_assert_eq!(&dn.spi, &hex::encode(&n.spi));
            }
        }
        // Behind the non-ESP marker, detection finds the same message.
        let mut marked = vec![0u8; 4];
        marked.extend(&bytes);
        match decode::decode_bytes(&marked, None).unwrap() {
            decode::Decoded::Message(dm) => prop_assert!(dm.non_esp_marker),
            other => prop_assert!(false, "detected {:?}", other),
        }
    }

    #[test]
    fn chain_emit_walk_round_trip(ps in chain(), first_offset in 0usize..1000) {
        let len: usize = ps.iter().map(PayloadRepr::buffer_len).sum();
        let mut buf = vec![0u8; len];
        emit_chain(&ps, &mut buf).unwrap();
        let first = ps.first().map_or(PayloadType::NONE, PayloadRepr::payload_type);
        let walked: Vec<_> = PayloadIter::new(&buf, first, first_offset)
            .map(|p| PayloadRepr::parse(&p.unwrap()).unwrap())
            .collect();
        prop_assert_eq!(walked, ps);
    }

    #[test]
    fn truncating_a_message_is_an_error_never_a_panic(m in message(), cut in any::<prop::sample::Index>()) {
        let bytes = m.to_bytes().unwrap();
        let cut = cut.index(bytes.len());
        prop_assert!(MessageRepr::from_bytes(&bytes[..cut]).is_err());
        let _ = decode::decode_bytes(&bytes[..cut], None);
    }
}
