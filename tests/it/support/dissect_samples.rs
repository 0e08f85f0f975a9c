//! IKEv2 messages that carry every payload kind `qcd decode` dissects (SA
//! with transforms, KE, IDs of each type, CERT, CERTREQ, AUTH, Nonce, the
//! notifications with structured data, Delete, Vendor IDs, TS, CP, EAP),
//! and an IKE_AUTH request split into encrypted fragments (SKF, RFC 7383),
//! all built with qcd's own `wire` Reprs and written with its capture
//! writer, for tests that compare the decode with tshark's.

use std::net::SocketAddr;

use qcd::capture::write::{ip_udp, CaptureWriter};
use qcd::capture::{LinkType, Precision, Timestamp};
use qcd::ikecrypto::{body_len, encrypt, KeyTable, SaKeys};
use qcd::spi::{Spi, SpiPair};
use qcd::wire::cp::CfgAttributeRepr;
use qcd::wire::payload::emit_chain;
use qcd::wire::sa::AttributeRepr;
use qcd::wire::{
    AuthMethod, AuthRepr, CertEncoding, CertRepr, CfgAttrType, CfgType, CpRepr, DeleteRepr,
    DhGroup, EapCode, EapRepr, EapType, EncryptedRepr, ExchangeType, Flags, Fragment, IdRepr,
    IdType, IpProtocol, KeRepr, MessageRepr, NotifyRepr, NotifyType, PayloadRepr, PayloadType,
    ProposalRepr, ProtocolId, SaRepr, SelectorRepr, TransformRepr, TransformType, TsRepr,
};

fn other(t: PayloadType, body: Vec<u8>) -> PayloadRepr {
    PayloadRepr::other(t, body)
}

fn notify(proto: u8, t: NotifyType, spi: Vec<u8>, data: Vec<u8>) -> PayloadRepr {
    PayloadRepr::notify(NotifyRepr {
        protocol_id: ProtocolId(proto),
        spi,
        notify_type: t,
        data,
    })
}

fn message(i: u32, exchange: ExchangeType, flags: Flags, payloads: Vec<PayloadRepr>) -> Vec<u8> {
    MessageRepr {
        spi_i: Spi([0x10, 0, 0, 0, 0, 0, 0, i as u8]),
        spi_r: Spi([0x20, 0, 0, 0, 0, 0, 0, i as u8]),
        exchange,
        flags,
        message_id: i,
        payloads,
    }
    .to_bytes()
    .unwrap()
}

/// A DER Name: C=CH, O=qcd, CN=gw.example.
pub fn der_name() -> Vec<u8> {
    fn tlv(tag: u8, c: &[u8]) -> Vec<u8> {
        let mut v = vec![tag, c.len() as u8];
        v.extend(c);
        v
    }
    let atv = |oid: &[u8], tag: u8, s: &str| {
        let mut c = tlv(6, oid);
        c.extend(tlv(tag, s.as_bytes()));
        tlv(0x31, &tlv(0x30, &c))
    };
    let mut rdns = atv(&[0x55, 4, 6], 0x13, "CH");
    rdns.extend(atv(&[0x55, 4, 10], 0x0c, "qcd"));
    rdns.extend(atv(&[0x55, 4, 3], 0x0c, "gw.example"));
    tlv(0x30, &rdns)
}

fn sa() -> SaRepr {
    SaRepr {
        proposals: vec![
            ProposalRepr {
                number: 1,
                protocol_id: ProtocolId::IKE,
                spi: vec![],
                transforms: vec![
                    TransformRepr::with_key_length(TransformType::ENCR, 12, 256),
                    TransformRepr::with_key_length(TransformType::ENCR, 20, 128),
                    TransformRepr::new(TransformType::PRF, 7),
                    TransformRepr::new(TransformType::INTEG, 14),
                    TransformRepr::new(TransformType::DH, 19),
                    TransformRepr::new(TransformType::DH, 31),
                ],
            },
            ProposalRepr {
                number: 2,
                protocol_id: ProtocolId::IKE,
                spi: vec![],
                transforms: vec![
                    TransformRepr::new(TransformType::ENCR, 28),
                    TransformRepr::new(TransformType::PRF, 5),
                    TransformRepr::new(TransformType::DH, 14),
                ],
            },
        ],
    }
}

fn child_sa(spi: [u8; 4]) -> SaRepr {
    SaRepr {
        proposals: vec![ProposalRepr {
            number: 1,
            protocol_id: ProtocolId::ESP,
            spi: spi.to_vec(),
            transforms: vec![
                TransformRepr {
                    transform_type: TransformType::ENCR,
                    id: 12,
                    attributes: vec![AttributeRepr::key_length(128)],
                },
                TransformRepr::new(TransformType::INTEG, 12),
                TransformRepr::new(TransformType::ESN, 0),
            ],
        }],
    }
}

fn ts() -> TsRepr {
    TsRepr {
        selectors: vec![
            SelectorRepr::Range {
                ip_protocol: IpProtocol(0),
                start_port: 0,
                end_port: 65535,
                start: "10.1.0.0".parse().unwrap(),
                end: "10.1.255.255".parse().unwrap(),
            },
            SelectorRepr::Range {
                ip_protocol: IpProtocol(6),
                start_port: 443,
                end_port: 443,
                start: "2001:db8::".parse().unwrap(),
                end: "2001:db8::ffff".parse().unwrap(),
            },
        ],
    }
}

fn id(t: IdType, data: &[u8]) -> IdRepr {
    IdRepr {
        id_type: t,
        data: data.to_vec(),
    }
}

/// RFC 7427 AUTH: sha256WithRSAEncryption and a 16-byte "signature".
fn digital_signature() -> AuthRepr {
    let alg = hex::decode("300d06092a864886f70d01010b0500").unwrap();
    let mut data = vec![alg.len() as u8];
    data.extend(alg);
    data.extend([0x5a; 16]);
    AuthRepr {
        method: AuthMethod::DIGITAL_SIGNATURE,
        data,
    }
}

/// Unencrypted messages, one or more of every payload kind.
pub fn dissection_messages() -> Vec<Vec<u8>> {
    let ke = |g: DhGroup, n: usize| KeRepr {
        group: g,
        data: vec![0x42; n],
    };
    let mut redirect = vec![3, 11];
    redirect.extend(b"gw2.example");
    redirect.extend([0x77; 16]);
    let mut redirect_v4 = vec![1, 4, 192, 0, 2, 7];
    redirect_v4.extend([0x66; 8]);
    let redirected_from = vec![
        2, 16, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9,
    ];
    let init = Flags::INITIATOR;
    let resp = Flags::RESPONSE;
    vec![
        // IKE_SA_INIT request: SA, KE, Nonce, NAT detection, SIGNATURE_HASH_ALGORITHMS,
        // IKEV2_FRAGMENTATION_SUPPORTED, vendor IDs (strongSwan, Rockhopper, unknown).
        message(
            1,
            ExchangeType::IKE_SA_INIT,
            init,
            vec![
                other(PayloadType::SA, sa().to_bytes().unwrap()),
                other(PayloadType::KE, ke(DhGroup::ECP_256, 64).to_bytes()),
                other(PayloadType::NONCE, vec![0x31; 32]),
                notify(
                    0,
                    NotifyType::NAT_DETECTION_SOURCE_IP,
                    vec![],
                    vec![0xa1; 20],
                ),
                notify(
                    0,
                    NotifyType::NAT_DETECTION_DESTINATION_IP,
                    vec![],
                    vec![0xa2; 20],
                ),
                notify(
                    0,
                    NotifyType::SIGNATURE_HASH_ALGORITHMS,
                    vec![],
                    vec![0, 2, 0, 3, 0, 4, 0, 5],
                ),
                notify(0, NotifyType::IKEV2_FRAGMENTATION_SUPPORTED, vec![], vec![]),
                other(
                    PayloadType::VENDOR_ID,
                    hex::decode("882fe56d6fd20dbc2251613b2ebe5beb").unwrap(),
                ),
                other(
                    PayloadType::VENDOR_ID,
                    hex::decode("01a9f0f0ca1d92d2edda8fb44d438936552282ed8f").unwrap(),
                ),
                other(PayloadType::VENDOR_ID, b"FLEXVPN-SUPPORTED".to_vec()),
                other(PayloadType::VENDOR_ID, vec![0xde, 0xad, 0xbe, 0xef]),
            ],
        ),
        // INVALID_KE_PAYLOAD, COOKIE, REDIRECT (FQDN and IPv4 with nonces).
        message(
            2,
            ExchangeType::IKE_SA_INIT,
            resp,
            vec![notify(
                0,
                NotifyType::INVALID_KE_PAYLOAD,
                vec![],
                vec![0, 31],
            )],
        ),
        message(
            3,
            ExchangeType::IKE_SA_INIT,
            resp,
            vec![notify(0, NotifyType::COOKIE, vec![], vec![0xc0; 24])],
        ),
        message(
            4,
            ExchangeType::IKE_SA_INIT,
            resp,
            vec![
                notify(0, NotifyType::REDIRECT, vec![], redirect),
                notify(0, NotifyType::REDIRECT, vec![], redirect_v4),
            ],
        ),
        // IKE_AUTH contents in the clear: IDs of every textual type, CERT,
        // CERTREQ with two CA hashes, AUTH (PSK and RFC 7427), CP, SA, TS,
        // REDIRECTED_FROM.
        message(
            5,
            ExchangeType::IKE_AUTH,
            init,
            vec![
                other(
                    PayloadType::IDI,
                    id(IdType::FQDN, b"client.example").to_bytes(),
                ),
                other(
                    PayloadType::IDR,
                    id(IdType::IPV4_ADDR, &[192, 0, 2, 1]).to_bytes(),
                ),
                other(
                    PayloadType::CERT,
                    CertRepr {
                        encoding: CertEncoding::HASH_URL_X509,
                        data: [&[0x33; 20][..], b"http://ca.example/gw.crt"].concat(),
                    }
                    .to_bytes(),
                ),
                other(
                    PayloadType::CERTREQ,
                    CertRepr {
                        encoding: CertEncoding::X509_SIGNATURE,
                        data: [[0x11; 20], [0x22; 20]].concat(),
                    }
                    .to_bytes(),
                ),
                other(
                    PayloadType::AUTH,
                    AuthRepr {
                        method: AuthMethod::SHARED_KEY,
                        data: vec![0xab; 32],
                    }
                    .to_bytes(),
                ),
                other(
                    PayloadType::CP,
                    CpRepr {
                        cfg_type: CfgType::REQUEST,
                        attributes: vec![
                            CfgAttributeRepr {
                                attr_type: CfgAttrType::INTERNAL_IP4_ADDRESS,
                                value: vec![],
                            },
                            CfgAttributeRepr {
                                attr_type: CfgAttrType::INTERNAL_IP4_DNS,
                                value: vec![],
                            },
                        ],
                    }
                    .to_bytes()
                    .unwrap(),
                ),
                other(
                    PayloadType::SA,
                    child_sa([0xc1, 0, 0, 5]).to_bytes().unwrap(),
                ),
                other(PayloadType::TSI, ts().to_bytes().unwrap()),
                other(PayloadType::TSR, ts().to_bytes().unwrap()),
                notify(0, NotifyType::REDIRECTED_FROM, vec![], redirected_from),
            ],
        ),
        message(
            6,
            ExchangeType::IKE_AUTH,
            resp,
            vec![
                other(
                    PayloadType::IDR,
                    id(IdType::RFC822_ADDR, b"gw@example.net").to_bytes(),
                ),
                other(
                    PayloadType::IDI,
                    id(
                        IdType::IPV6_ADDR,
                        &[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                    )
                    .to_bytes(),
                ),
                other(PayloadType::AUTH, digital_signature().to_bytes()),
                other(
                    PayloadType::CP,
                    CpRepr {
                        cfg_type: CfgType::REPLY,
                        attributes: vec![
                            CfgAttributeRepr {
                                attr_type: CfgAttrType::INTERNAL_IP4_ADDRESS,
                                value: vec![10, 1, 0, 7],
                            },
                            CfgAttributeRepr {
                                attr_type: CfgAttrType::INTERNAL_IP4_DNS,
                                value: vec![10, 1, 0, 1, 10, 1, 0, 2],
                            },
                            CfgAttributeRepr {
                                attr_type: CfgAttrType::APPLICATION_VERSION,
                                value: b"qcd test".to_vec(),
                            },
                        ],
                    }
                    .to_bytes()
                    .unwrap(),
                ),
            ],
        ),
        message(
            7,
            ExchangeType::IKE_AUTH,
            init,
            vec![
                other(
                    PayloadType::IDI,
                    id(IdType::KEY_ID, &[1, 2, 3, 4, 5]).to_bytes(),
                ),
                other(
                    PayloadType::IDR,
                    id(IdType::DER_ASN1_DN, &der_name()).to_bytes(),
                ),
            ],
        ),
        // EAP request and response (identity), success.
        message(
            8,
            ExchangeType::IKE_AUTH,
            resp,
            vec![other(
                PayloadType::EAP,
                EapRepr {
                    code: EapCode::REQUEST,
                    identifier: 1,
                    eap_type: Some(EapType::IDENTITY),
                    data: vec![],
                }
                .to_bytes()
                .unwrap(),
            )],
        ),
        message(
            9,
            ExchangeType::IKE_AUTH,
            init,
            vec![other(
                PayloadType::EAP,
                EapRepr {
                    code: EapCode::RESPONSE,
                    identifier: 1,
                    eap_type: Some(EapType::IDENTITY),
                    data: b"alice".to_vec(),
                }
                .to_bytes()
                .unwrap(),
            )],
        ),
        message(
            10,
            ExchangeType::IKE_AUTH,
            resp,
            vec![other(
                PayloadType::EAP,
                EapRepr {
                    code: EapCode::SUCCESS,
                    identifier: 2,
                    eap_type: None,
                    data: vec![],
                }
                .to_bytes()
                .unwrap(),
            )],
        ),
        // CREATE_CHILD_SA rekeying a Child SA: REKEY_SA with the ESP SPI, KE, Nonce.
        message(
            11,
            ExchangeType::CREATE_CHILD_SA,
            init,
            vec![
                notify(3, NotifyType::REKEY_SA, vec![0xc1, 0, 0, 5], vec![]),
                other(
                    PayloadType::SA,
                    child_sa([0xc1, 0, 0, 6]).to_bytes().unwrap(),
                ),
                other(PayloadType::NONCE, vec![0x32; 24]),
                other(PayloadType::KE, ke(DhGroup::CURVE_25519, 32).to_bytes()),
            ],
        ),
        // Deletes: Child SAs (two ESP SPIs) and the IKE SA; INVALID_SPI with an ESP SPI.
        message(
            12,
            ExchangeType::INFORMATIONAL,
            init,
            vec![other(
                PayloadType::DELETE,
                DeleteRepr {
                    protocol_id: ProtocolId::ESP,
                    spi_size: 4,
                    spis: vec![vec![0xc1, 0, 0, 5], vec![0xc1, 0, 0, 6]],
                }
                .to_bytes()
                .unwrap(),
            )],
        ),
        message(
            13,
            ExchangeType::INFORMATIONAL,
            resp,
            vec![other(
                PayloadType::DELETE,
                DeleteRepr {
                    protocol_id: ProtocolId::IKE,
                    spi_size: 0,
                    spis: vec![],
                }
                .to_bytes()
                .unwrap(),
            )],
        ),
        message(
            14,
            ExchangeType::INFORMATIONAL,
            init,
            vec![notify(
                3,
                NotifyType::INVALID_SPI,
                vec![0xc1, 0, 0, 9],
                vec![],
            )],
        ),
    ]
}

/// The IKE SA of the fragmented message and its key table line
/// (AES-CBC-128, HMAC_SHA2_256_128: both qcd and tshark decrypt it).
pub const FRAG_SPI_I: &str = "f1f1f1f1f1f1f1f1";
pub const FRAG_SPI_R: &str = "f2f2f2f2f2f2f2f2";

pub fn fragment_key_table() -> String {
    format!(
        "{FRAG_SPI_I},{FRAG_SPI_R},{},{},\"AES-CBC-128 [RFC3602]\",{},{},\"HMAC_SHA2_256_128 [RFC4868]\"\n",
        "0a".repeat(16),
        "0b".repeat(16),
        "0c".repeat(32),
        "0d".repeat(32)
    )
}

/// The inner payloads of the fragmented IKE_AUTH request.
pub fn fragmented_inner() -> Vec<PayloadRepr> {
    vec![
        other(
            PayloadType::IDI,
            IdRepr::fqdn("fragmented.example").to_bytes(),
        ),
        other(
            PayloadType::AUTH,
            AuthRepr {
                method: AuthMethod::SHARED_KEY,
                data: vec![0xee; 32],
            }
            .to_bytes(),
        ),
        other(
            PayloadType::SA,
            child_sa([0xc2, 0, 0, 1]).to_bytes().unwrap(),
        ),
        other(PayloadType::TSI, ts().to_bytes().unwrap()),
        other(PayloadType::TSR, ts().to_bytes().unwrap()),
        PayloadRepr::notify(NotifyRepr::new(0, NotifyType::QCD_TOKEN, vec![0x5c; 32])),
    ]
}

/// An IKE_AUTH request (message ID `id`) split into `n` SKF fragments, each
/// encrypted and integrity-protected on its own (RFC 7383 §2.5).
pub fn fragmented_ike_auth(id: u32, n: usize) -> Vec<Vec<u8>> {
    let table = KeyTable::parse(&fragment_key_table(), "fragments.keys").unwrap();
    let spis = SpiPair::new(
        Spi::parse(FRAG_SPI_I).unwrap(),
        Spi::parse(FRAG_SPI_R).unwrap(),
    );
    let keys: &SaKeys = table.get(&spis).unwrap();
    let inner = fragmented_inner();
    let len: usize = inner.iter().map(PayloadRepr::buffer_len).sum();
    let mut plain = vec![0u8; len];
    emit_chain(&inner, &mut plain).unwrap();
    let chunk = len.div_ceil(n);
    plain
        .chunks(chunk)
        .enumerate()
        .map(|(i, part)| {
            let number = i as u16 + 1;
            let body = body_len(keys.encr, keys.integ, part.len());
            let mut m = MessageRepr {
                spi_i: spis.initiator,
                spi_r: spis.responder,
                exchange: ExchangeType::IKE_AUTH,
                flags: Flags::INITIATOR,
                message_id: id,
                payloads: vec![PayloadRepr::encrypted(EncryptedRepr {
                    fragment: Some(Fragment {
                        number,
                        total: n as u16,
                    }),
                    first_inner: if number == 1 {
                        PayloadType::IDI
                    } else {
                        PayloadType::NONE
                    },
                    body: vec![0; body],
                })],
            }
            .to_bytes()
            .unwrap();
            let start = 28 + 4 + 4;
            let iv = [number as u8; 16];
            let sealed = encrypt(keys, true, &m[..start], part, &iv).unwrap();
            m[start..].copy_from_slice(&sealed);
            m
        })
        .collect()
}

/// A pcap (LINKTYPE_RAW) with one UDP 500 datagram per message, written
/// with qcd's capture writer, one second apart; messages with the Initiator
/// flag go from 192.0.2.1 to 192.0.2.2, the others back.
pub fn capture(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut w = CaptureWriter::pcap(Vec::new(), LinkType::RAW, false, false).unwrap();
    let a: SocketAddr = "192.0.2.1:500".parse().unwrap();
    let b: SocketAddr = "192.0.2.2:500".parse().unwrap();
    for (i, m) in messages.iter().enumerate() {
        let (src, dst) = if m.get(19).is_some_and(|f| f & 0x08 != 0) {
            (a, b)
        } else {
            (b, a)
        };
        w.write_packet(
            0,
            Timestamp::new(1_700_000_000 + i as i64, 0, Precision::Micro),
            &ip_udp(src, dst, m),
        )
        .unwrap();
    }
    w.into_inner()
}
