//! A scripted IKEv2 PSK responder on a loopback UDP socket, for tests of
//! `qcd probe --auth` (`qcd::ikeinit`): it answers IKE_SA_INIT (AES-CBC-256,
//! HMAC-SHA2-256-128, PRF-HMAC-SHA2-256 and the initiator's group),
//! checks the initiator's PSK AUTH in IKE_AUTH and answers with its own AUTH
//! and, if scripted, a QCD_TOKEN; answers the Delete with a Delete payload
//! (as Rockhopper does); then, like a maker that keeps a deleted SA for a
//! while, drops the live maker check's requests for `silence` and after that
//! answers them unprotected with `N(INVALID_IKE_SPI)` + `N(QCD_TOKEN)`.
//!
//! It is built from qcd's own pieces (wire Reprs, ikecrypto::seal,
//! ikeinit::keys), so it checks the exchanges' logic, not the cryptography:
//! that has known answers of its own (tests/it/ikeinit_vectors.rs) and runs
//! against strongSwan (tests/it/ikeinit_charon.rs).
#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use qcd::ikecrypto::{open, seal, SealHeader};
use qcd::ikeinit::dh::KeyShare;
use qcd::ikeinit::keys::{psk_auth, IkeKeys};
use qcd::ikeinit::{Prf, Suite};
use qcd::spi::{Spi, SpiPair};
use qcd::wire::liveness::{qcd_reply, read_unknown_spi_request};
use qcd::wire::sa::{EncrId, IntegId};
use qcd::wire::{
    AuthMethod, AuthRepr, DeleteRepr, ExchangeType, Flags, Header, IdRepr, KeRepr, KeyExchange,
    MessageRepr, NotifyRepr, NotifyType, PayloadIter, PayloadRepr, PayloadType, ProposalRepr,
    ProtocolId, SaRepr, TransformRepr, TransformType,
};

/// What the responder does.
#[derive(Clone)]
pub struct Script {
    pub psk: Vec<u8>,
    pub id: IdRepr,
    /// The QCD_TOKEN of the IKE_AUTH response (none: not a maker).
    pub auth_token: Option<Vec<u8>>,
    /// The token after the delete (none: never answers).
    pub token_after_delete: Option<Vec<u8>>,
    /// How long after the Delete the liveness requests go unanswered.
    pub silence: Duration,
    /// Ask for a COOKIE (RFC 7296 §2.6) before answering IKE_SA_INIT.
    pub cookie: bool,
}

/// What the responder saw.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// IKE_SA_INIT requests, and whether each began with the COOKIE asked for.
    pub init_requests: Vec<bool>,
    pub initiator_auth_ok: Option<bool>,
    pub idi: Option<IdRepr>,
    pub child_sa_proposed: bool,
    pub delete_at: Option<Instant>,
    /// Arrival times of the liveness requests after the delete.
    pub liveness: Vec<Instant>,
    pub answered_at: Option<Instant>,
}

pub struct Responder {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Seen>>,
    handle: Option<JoinHandle<()>>,
    stop: Arc<Mutex<bool>>,
}

impl Drop for Responder {
    fn drop(&mut self) {
        *self.stop.lock().unwrap() = true;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

struct Sa {
    keys: IkeKeys,
    init_request: Vec<u8>,
    init_response: Vec<u8>,
    nonce_i: Vec<u8>,
    nonce_r: Vec<u8>,
}

const SUITE_ENCR_BITS: u16 = 256;
const COOKIE: [u8; 16] = [0xc0; 16];

fn cookie_please(msg: &[u8]) -> Vec<u8> {
    let h = Header::new_checked(msg).unwrap();
    MessageRepr {
        spi_i: h.spi_i(),
        spi_r: Spi([0; 8]),
        exchange: ExchangeType::IKE_SA_INIT,
        flags: Flags::RESPONSE,
        message_id: 0,
        payloads: vec![PayloadRepr::notify(NotifyRepr::new(
            0,
            NotifyType::COOKIE,
            COOKIE.to_vec(),
        ))],
    }
    .to_bytes()
    .unwrap()
}

impl Responder {
    pub fn start(script: Script) -> Responder {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(Mutex::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let handle = std::thread::spawn(move || serve(socket, script, seen2, stop2));
        Responder {
            addr,
            seen,
            handle: Some(handle),
            stop,
        }
    }

    pub fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(socket: UdpSocket, script: Script, seen: Arc<Mutex<Seen>>, stop: Arc<Mutex<bool>>) {
    let mut sa: Option<Sa> = None;
    let mut buf = vec![0u8; 65536];
    let started = Instant::now();
    while !*stop.lock().unwrap() && started.elapsed() < Duration::from_secs(180) {
        let (n, from) = match socket.recv_from(&mut buf) {
            Ok(x) => x,
            Err(_) => continue,
        };
        let msg = buf[..n].to_vec();
        let Ok(h) = Header::new_checked(&msg[..]) else {
            continue;
        };
        if h.flags().response() {
            continue;
        }
        let reply = match (h.exchange_type(), h.message_id()) {
            (ExchangeType::IKE_SA_INIT, 0) => {
                let list = payloads(&msg);
                let with_cookie = list.first().is_some_and(|(t, b)| {
                    *t == PayloadType::NOTIFY
                        && b[2..4] == NotifyType::COOKIE.0.to_be_bytes()
                        && b[4..] == COOKIE
                });
                seen.lock().unwrap().init_requests.push(with_cookie);
                if script.cookie && !with_cookie {
                    Some(cookie_please(&msg))
                } else {
                    let (s, reply) = init(&msg);
                    sa = Some(s);
                    Some(reply)
                }
            }
            (ExchangeType::IKE_AUTH, 1) => sa.as_ref().map(|s| auth(&script, s, &msg, &seen)),
            (ExchangeType::INFORMATIONAL, 2) => sa.as_ref().map(|s| {
                seen.lock().unwrap().delete_at = Some(Instant::now());
                delete(s, &msg)
            }),
            (ExchangeType::INFORMATIONAL, _)
                if sa
                    .as_ref()
                    .is_some_and(|s| s.keys.spis == SpiPair::new(h.spi_i(), h.spi_r())) =>
            {
                let now = Instant::now();
                let mut seen = seen.lock().unwrap();
                seen.liveness.push(now);
                let quiet = seen
                    .delete_at
                    .is_none_or(|d| now.duration_since(d) < script.silence);
                match (&script.token_after_delete, quiet) {
                    (Some(token), false) => {
                        seen.answered_at.get_or_insert(now);
                        let req =
                            read_unknown_spi_request(&msg).expect("the live maker check's request");
                        Some(qcd_reply(&req, &[token]).to_bytes().unwrap())
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(r) = reply {
            socket.send_to(&r, from).unwrap();
        }
    }
}

fn payloads(msg: &[u8]) -> Vec<(PayloadType, Vec<u8>)> {
    let h = Header::new_checked(msg).unwrap();
    h.payloads()
        .map(|p| p.unwrap())
        .map(|p| (p.payload_type(), p.body().to_vec()))
        .collect()
}

fn find(list: &[(PayloadType, Vec<u8>)], t: PayloadType) -> Vec<u8> {
    list.iter()
        .find(|(pt, _)| *pt == t)
        .map(|(_, b)| b.clone())
        .unwrap()
}

fn init(msg: &[u8]) -> (Sa, Vec<u8>) {
    let h = Header::new_checked(msg).unwrap();
    let list = payloads(msg);
    let ke = KeRepr::parse(&KeyExchange::new_checked(&find(&list, PayloadType::KE)[..]).unwrap());
    let nonce_i = find(&list, PayloadType::NONCE);
    let suite = Suite {
        encr: EncrId::AES_CBC,
        key_bits: SUITE_ENCR_BITS,
        integ: IntegId::HMAC_SHA2_256_128,
        prf: Prf::HmacSha256,
        group: ke.group,
    };
    let share = KeyShare::generate(ke.group).unwrap();
    let shared = share.shared_secret(&ke.data).unwrap();
    let nonce_r = vec![0x5a; 32];
    let spis = SpiPair::new(h.spi_i(), Spi([0x72; 8]));
    let keys = IkeKeys::derive(suite, spis, &nonce_i, &nonce_r, shared.expose());
    let sa = SaRepr {
        proposals: vec![ProposalRepr {
            number: 1,
            protocol_id: ProtocolId::IKE,
            spi: Vec::new(),
            transforms: vec![
                TransformRepr::with_key_length(
                    TransformType::ENCR,
                    EncrId::AES_CBC.0,
                    SUITE_ENCR_BITS,
                ),
                TransformRepr::new(TransformType::PRF, Prf::HmacSha256.id().0),
                TransformRepr::new(TransformType::INTEG, IntegId::HMAC_SHA2_256_128.0),
                TransformRepr::new(TransformType::DH, ke.group.0),
            ],
        }],
    };
    let response = MessageRepr {
        spi_i: spis.initiator,
        spi_r: spis.responder,
        exchange: ExchangeType::IKE_SA_INIT,
        flags: Flags::RESPONSE,
        message_id: 0,
        payloads: vec![
            PayloadRepr::other(PayloadType::SA, sa.to_bytes().unwrap()),
            PayloadRepr::other(
                PayloadType::KE,
                KeRepr {
                    group: ke.group,
                    data: share.public_value(),
                }
                .to_bytes(),
            ),
            PayloadRepr::other(PayloadType::NONCE, nonce_r.clone()),
            PayloadRepr::notify(NotifyRepr::new(
                0,
                NotifyType::CHILDLESS_IKEV2_SUPPORTED,
                Vec::new(),
            )),
        ],
    }
    .to_bytes()
    .unwrap();
    (
        Sa {
            keys,
            init_request: msg.to_vec(),
            init_response: response.clone(),
            nonce_i,
            nonce_r,
        },
        response,
    )
}

fn sealed(sa: &Sa, exchange: ExchangeType, message_id: u32, inner: &[PayloadRepr]) -> Vec<u8> {
    seal(
        SealHeader {
            spis: sa.keys.spis,
            exchange,
            flags: Flags::RESPONSE,
            message_id,
        },
        inner,
        &sa.keys.sa_keys(),
        &[7u8; 16],
    )
    .unwrap()
}

fn inner(sa: &Sa, msg: &[u8]) -> Vec<(PayloadType, Vec<u8>)> {
    let h = Header::new_checked(msg).unwrap();
    let sk = h
        .payloads()
        .map(|p| p.unwrap())
        .find(|p| p.payload_type() == PayloadType::SK)
        .unwrap();
    let e = sk.encrypted().unwrap();
    let plain = open(&sa.keys.sa_keys(), true, msg, e.body_offset(), false).unwrap();
    PayloadIter::new(plain.plaintext.expose(), e.first_inner_payload(), 0)
        .map(|p| p.unwrap())
        .map(|p| (p.payload_type(), p.body().to_vec()))
        .collect()
}

fn auth(script: &Script, sa: &Sa, msg: &[u8], seen: &Mutex<Seen>) -> Vec<u8> {
    let list = inner(sa, msg);
    let idi = find(&list, PayloadType::IDI);
    let auth_i = find(&list, PayloadType::AUTH);
    let prf = sa.keys.suite.prf;
    let expected = psk_auth(
        prf,
        &script.psk,
        &sa.init_request,
        &sa.nonce_r,
        sa.keys.sk_pi.expose(),
        &idi,
    );
    let ok = auth_i[0] == AuthMethod::SHARED_KEY.0 && expected.expose() == &auth_i[4..];
    {
        let mut s = seen.lock().unwrap();
        s.initiator_auth_ok = Some(ok);
        s.idi = Some(IdRepr {
            id_type: qcd::wire::IdType(idi[0]),
            data: idi[4..].to_vec(),
        });
        s.child_sa_proposed = list.iter().any(|(t, _)| *t == PayloadType::SA);
    }
    if !ok {
        return sealed(
            sa,
            ExchangeType::IKE_AUTH,
            1,
            &[PayloadRepr::notify(NotifyRepr::new(
                0,
                NotifyType::AUTHENTICATION_FAILED,
                Vec::new(),
            ))],
        );
    }
    let idr = script.id.to_bytes();
    let auth_r = psk_auth(
        prf,
        &script.psk,
        &sa.init_response,
        &sa.nonce_i,
        sa.keys.sk_pr.expose(),
        &idr,
    );
    let mut out = vec![
        PayloadRepr::other(PayloadType::IDR, idr),
        PayloadRepr::other(
            PayloadType::AUTH,
            AuthRepr {
                method: AuthMethod::SHARED_KEY,
                data: auth_r.expose().to_vec(),
            }
            .to_bytes(),
        ),
    ];
    if let Some(t) = &script.auth_token {
        out.push(PayloadRepr::notify(NotifyRepr::qcd_token(t)));
    }
    sealed(sa, ExchangeType::IKE_AUTH, 1, &out)
}

fn delete(sa: &Sa, msg: &[u8]) -> Vec<u8> {
    let list = inner(sa, msg);
    assert!(
        list.iter().any(|(t, _)| *t == PayloadType::DELETE),
        "a Delete"
    );
    let d = DeleteRepr {
        protocol_id: ProtocolId::IKE,
        spi_size: 0,
        spis: Vec::new(),
    };
    sealed(
        sa,
        ExchangeType::INFORMATIONAL,
        2,
        &[PayloadRepr::other(
            PayloadType::DELETE,
            d.to_bytes().unwrap(),
        )],
    )
}
