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

        let full = decode::DecodeOptions { keys: None, ignore_icv: false, dissect: true };
        let d = decode::Decoder::new(full).decode(&bytes, None).unwrap().well_formed().unwrap();
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
        match decode::decode_bytes(&marked, &Default::default()).unwrap() {
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
        let _ = decode::decode_bytes(&bytes[..cut], &Default::default());
    }
}

// ---------------------------------------------------------------------------
// The payload-body Reprs: emit -> view -> parse gives the same Repr, and the
// decoder dissects the emitted payload without finding a problem.

mod bodies {
    use proptest::prelude::*;
    use qcd::decode;
    use qcd::spi::Spi;
    use qcd::wire::cp::CfgAttributeRepr;
    use qcd::wire::sa::{AttributeRepr, AttributeType, AttributeValue};
    use qcd::wire::{
        AuthMethod, AuthRepr, Authentication, CertEncoding, CertRepr, Certificate, CfgAttrType,
        CfgType, Configuration, CpRepr, Delete, DeleteRepr, DhGroup, Eap, EapCode, EapRepr,
        EapType, ExchangeType, Flags, IdRepr, IdType, Identification, IpProtocol, KeRepr,
        KeyExchange, MessageRepr, PayloadRepr, PayloadType, ProposalRepr, ProtocolId, SaRepr,
        SelectorRepr, TrafficSelectors, TransformRepr, TransformType, TsRepr,
    };
    use std::net::IpAddr;

    fn attribute() -> impl Strategy<Value = AttributeRepr> {
        prop_oneof![
            any::<u16>().prop_map(AttributeRepr::key_length),
            (0u16..0x7fff, prop::collection::vec(any::<u8>(), 0..8)).prop_map(|(t, v)| {
                AttributeRepr {
                    attr_type: AttributeType(t),
                    value: AttributeValue::Tlv(v),
                }
            }),
        ]
    }

    fn transform() -> impl Strategy<Value = TransformRepr> {
        (
            any::<u8>(),
            any::<u16>(),
            prop::collection::vec(attribute(), 0..3),
        )
            .prop_map(|(t, id, attributes)| TransformRepr {
                transform_type: TransformType(t),
                id,
                attributes,
            })
    }

    pub fn sa() -> impl Strategy<Value = SaRepr> {
        prop::collection::vec(
            (
                any::<u8>(),
                any::<u8>(),
                prop::collection::vec(any::<u8>(), 0..9),
                prop::collection::vec(transform(), 0..5),
            )
                .prop_map(|(number, proto, spi, transforms)| ProposalRepr {
                    number,
                    protocol_id: ProtocolId(proto),
                    spi,
                    transforms,
                }),
            1..4,
        )
        .prop_map(|proposals| SaRepr { proposals })
    }

    fn ip() -> impl Strategy<Value = (IpAddr, IpAddr)> {
        prop_oneof![
            (any::<[u8; 4]>(), any::<[u8; 4]>())
                .prop_map(|(a, b)| (IpAddr::from(a), IpAddr::from(b))),
            (any::<[u8; 16]>(), any::<[u8; 16]>())
                .prop_map(|(a, b)| (IpAddr::from(a), IpAddr::from(b))),
        ]
    }

    pub fn ts() -> impl Strategy<Value = TsRepr> {
        prop::collection::vec(
            prop_oneof![
                (any::<u8>(), any::<u16>(), any::<u16>(), ip()).prop_map(
                    |(p, s, e, (start, end))| SelectorRepr::Range {
                        ip_protocol: IpProtocol(p),
                        start_port: s,
                        end_port: e,
                        start,
                        end,
                    }
                ),
                (
                    9u8..=12,
                    any::<u8>(),
                    prop::collection::vec(any::<u8>(), 0..12)
                )
                    .prop_map(|(t, second, data)| SelectorRepr::Other {
                        ts_type: qcd::wire::TsType(t),
                        second,
                        data,
                    }),
            ],
            0..4,
        )
        .prop_map(|selectors| TsRepr { selectors })
    }

    pub fn cp() -> impl Strategy<Value = CpRepr> {
        (
            any::<u8>(),
            prop::collection::vec(
                (0u16..0x7fff, prop::collection::vec(any::<u8>(), 0..20)).prop_map(|(t, v)| {
                    CfgAttributeRepr {
                        attr_type: CfgAttrType(t),
                        value: v,
                    }
                }),
                0..5,
            ),
        )
            .prop_map(|(t, attributes)| CpRepr {
                cfg_type: CfgType(t),
                attributes,
            })
    }

    pub fn eap() -> impl Strategy<Value = EapRepr> {
        (
            1u8..=6,
            any::<u8>(),
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..20),
        )
            .prop_map(|(code, identifier, t, data)| {
                let code = EapCode(code);
                EapRepr {
                    code,
                    identifier,
                    eap_type: code.has_type().then_some(EapType(t)),
                    data,
                }
            })
    }

    pub fn delete() -> impl Strategy<Value = DeleteRepr> {
        (any::<u8>(), 0u8..9, 0usize..5).prop_flat_map(|(proto, size, count)| {
            prop::collection::vec(
                prop::collection::vec(any::<u8>(), size as usize),
                if size == 0 { 0..1 } else { count..count + 1 },
            )
            .prop_map(move |spis| DeleteRepr {
                protocol_id: ProtocolId(proto),
                spi_size: size,
                spis,
            })
        })
    }

    fn message_with(t: PayloadType, body: Vec<u8>) -> Vec<u8> {
        MessageRepr {
            spi_i: Spi([1; 8]),
            spi_r: Spi([2; 8]),
            exchange: ExchangeType::IKE_AUTH,
            flags: Flags::INITIATOR,
            message_id: 1,
            payloads: vec![PayloadRepr::other(t, body)],
        }
        .to_bytes()
        .unwrap()
    }

    fn decoded_payload(t: PayloadType, body: Vec<u8>) -> decode::DecodedPayload {
        let bytes = message_with(t, body);
        let m = decode::Decoder::new(decode::DecodeOptions {
            keys: None,
            ignore_icv: false,
            dissect: true,
        })
        .decode(&bytes, None)
        .unwrap();
        assert!(m.malformed.is_none(), "{:?}", m.malformed);
        m.payloads.into_iter().next().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn sa_round_trip(sa in sa()) {
            let body = sa.to_bytes().unwrap();
            prop_assert_eq!(body.len(), sa.buffer_len());
            prop_assert_eq!(SaRepr::parse(&body, 0).unwrap(), sa.clone());
            let d = decoded_payload(PayloadType::SA, body);
            prop_assert!(d.malformed.is_none(), "{:?}", d.malformed);
            let props = d.proposals.unwrap();
            prop_assert_eq!(props.len(), sa.proposals.len());
            for (dp, p) in props.iter().zip(&sa.proposals) {
                prop_assert_eq!(dp.transform_list.as_ref().unwrap().len(), p.transforms.len());
                prop_assert_eq!(&dp.spi, &hex::encode(&p.spi));
            }
        }

        #[test]
        fn ke_id_cert_auth_round_trip(
            g in any::<u16>(),
            t in any::<u8>(),
            data in prop::collection::vec(any::<u8>(), 0..80),
        ) {
            let ke = KeRepr { group: DhGroup(g), data: data.clone() };
            let b = ke.to_bytes();
            prop_assert_eq!(b.len(), ke.buffer_len());
            prop_assert_eq!(KeRepr::parse(&KeyExchange::new_checked(&b[..]).unwrap()), ke);
            let id = IdRepr { id_type: IdType(t), data: data.clone() };
            let b = id.to_bytes();
            prop_assert_eq!(IdRepr::parse(&Identification::new_checked(&b[..]).unwrap()), id);
            let c = CertRepr { encoding: CertEncoding(t), data: data.clone() };
            let b = c.to_bytes();
            prop_assert_eq!(CertRepr::parse(&Certificate::new_checked(&b[..]).unwrap()), c);
            let a = AuthRepr { method: AuthMethod(t), data };
            let b = a.to_bytes();
            prop_assert_eq!(AuthRepr::parse(&Authentication::new_checked(&b[..]).unwrap()), a);
        }

        #[test]
        fn ts_cp_eap_delete_round_trip(ts in ts(), cp in cp(), eap in eap(), del in delete()) {
            let b = ts.to_bytes().unwrap();
            prop_assert_eq!(b.len(), ts.buffer_len());
            prop_assert_eq!(TsRepr::parse(&TrafficSelectors::new_checked(&b[..]).unwrap()).unwrap(), ts.clone());
            let d = decoded_payload(PayloadType::TSI, b);
            prop_assert_eq!(d.ts.unwrap().selectors.len(), ts.selectors.len());

            let b = cp.to_bytes().unwrap();
            prop_assert_eq!(b.len(), cp.buffer_len());
            prop_assert_eq!(CpRepr::parse(&Configuration::new_checked(&b[..]).unwrap()).unwrap(), cp.clone());
            let d = decoded_payload(PayloadType::CP, b);
            prop_assert_eq!(d.cp.unwrap().attributes.len(), cp.attributes.len());

            let b = eap.to_bytes().unwrap();
            prop_assert_eq!(b.len(), eap.buffer_len());
            prop_assert_eq!(EapRepr::parse(&Eap::new_checked(&b[..]).unwrap()), eap.clone());
            let d = decoded_payload(PayloadType::EAP, b);
            prop_assert_eq!(d.eap.unwrap().code, eap.code.0);

            let b = del.to_bytes().unwrap();
            prop_assert_eq!(b.len(), del.buffer_len());
            prop_assert_eq!(DeleteRepr::parse(&Delete::new_checked(&b[..]).unwrap()), del.clone());
            let d = decoded_payload(PayloadType::DELETE, b);
            prop_assert_eq!(d.delete.unwrap().spis.len(), del.spis.len());
        }

        /// Any body under any payload type: the dissection never panics,
        /// and a problem it finds names an offset inside the payload.
        #[test]
        fn arbitrary_bodies_dissect_without_panic(
            t in 33u8..=54,
            body in prop::collection::vec(any::<u8>(), 0..120),
        ) {
            let t = PayloadType(t);
            let bytes = message_with(t, body);
            let m = decode::Decoder::new(
                decode::DecodeOptions { keys: None, ignore_icv: false, dissect: true },
            ).decode(&bytes, None).unwrap();
            let _ = serde_json::to_string(&m).unwrap();
            for p in &m.payloads {
                if let Some(bad) = &p.malformed {
                    prop_assert!(bad.offset >= p.offset && bad.offset <= bytes.len(), "{:?}", bad);
                }
            }
        }
    }
}
