//! The initiator's exchanges as a state machine, without sockets or clocks:
//! [`Initiator::new`] builds the IKE_SA_INIT request; each datagram from the
//! gateway goes to [`Initiator::handle`], which says whether it answered the
//! outstanding request and what to send next ([`Initiator::request`]).
//!
//! Exchanges (RFC 7296): IKE_SA_INIT (retried with the COOKIE or the group
//! of INVALID_KE_PAYLOAD the gateway asks for), IKE_AUTH with a PSK (the
//! gateway's AUTH verified, its QCD_TOKEN read), INFORMATIONAL with a
//! Delete of the IKE SA, and then the request of the live maker check
//! (`crate::wire::liveness`) with the deleted SA's SPIs, whose unprotected
//! answer [`Initiator::qcd_reply`] reads.
//!
//! Never sent: INITIAL_CONTACT (it would make the gateway drop other SAs
//! of the same identity), NAT detection (no move to UDP 4500).

use std::net::IpAddr;

use zeroize::Zeroizing;

use super::dh::KeyShare;
use super::identity::identity_text;
use super::keys::{psk_auth, IkeKeys};
use super::suite::{self, Suite};
use super::InitError;
use crate::ikecrypto::{open, seal, SealHeader};
use crate::secretmem::SecretBytes;
use crate::spi::{Spi, SpiPair};
use crate::wire::liveness;
use crate::wire::sa::{EncrId, IntegId};
use crate::wire::{
    AuthMethod, AuthRepr, DeleteRepr, DhGroup, ExchangeType, Flags, Header, IdRepr, Identification,
    IpProtocol, KeRepr, KeyExchange, MessageRepr, NotifyRepr, NotifyType, PayloadIter, PayloadRepr,
    PayloadType, ProposalRepr, ProtocolId, SaRepr, SelectorRepr, TransformRepr, TransformType,
    TsRepr, WireError,
};

/// Nonce length: 32 bytes (RFC 7296 §2.10: at least half the PRF key size, and 16).
pub const NONCE_LEN: usize = 32;
/// How often the gateway may send a COOKIE or INVALID_KE_PAYLOAD before qcd gives up.
const MAX_RETRIES: u32 = 3;

/// What the initiator needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub psk: SecretBytes,
    /// IDi.
    pub id: IdRepr,
    /// IDr: sent in IKE_AUTH, and the gateway must authenticate as it.
    pub peer_id: Option<IdRepr>,
    /// The group of the first KE payload.
    pub group: DhGroup,
    /// This host's and the gateway's addresses (the Child SA's traffic selectors).
    pub local: IpAddr,
    pub remote: IpAddr,
}

/// What became of the Child SA the IKE_AUTH request asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildOutcome {
    /// The gateway announced CHILDLESS_IKEV2_SUPPORTED: none was asked for.
    Childless,
    /// The gateway created it (it goes with the IKE SA's Delete).
    Created,
    /// The gateway refused it with this notify but kept the IKE SA.
    Refused(NotifyType),
}

/// The established IKE SA.
#[derive(Debug, Clone)]
pub struct AuthOutcome {
    pub spis: SpiPair,
    pub suite: Suite,
    /// The QCD_TOKEN of the gateway's IKE_AUTH response (the first, if several).
    pub token: Option<SecretBytes>,
    pub child: ChildOutcome,
    /// The identity the gateway authenticated as (verified).
    pub peer_id: IdRepr,
}

/// What a datagram from the gateway did.
#[derive(Debug)]
pub enum Progress {
    /// Not an answer to the outstanding request (other SPIs, message ID or
    /// exchange, a request, or undecodable): keep waiting.
    Ignored(String),
    /// A new request is ready (COOKIE, INVALID_KE_PAYLOAD, or the next exchange).
    Send,
    /// IKE_AUTH completed; [`Initiator::delete`] builds the Delete next.
    Established(Box<AuthOutcome>),
    /// The gateway answered the Delete; `delete_payload` says whether its
    /// response carried a Delete payload (RFC 7296 §1.4.1 expects none).
    Deleted { delete_payload: bool },
}

/// An answer to the liveness check after the delete.
#[derive(Debug, Clone)]
pub enum QcdReply {
    /// Unprotected `N(INVALID_IKE_SPI)` + `N(QCD_TOKEN)`: the token.
    Token(SecretBytes),
    /// Unprotected `N(INVALID_IKE_SPI)` without a token.
    NoToken,
    /// An encrypted answer: the gateway still holds the SA.
    StillKnown,
}

enum State {
    Init {
        share: KeyShare,
        cookie: Option<Vec<u8>>,
        retries: u32,
    },
    Auth {
        keys: Box<IkeKeys>,
        childless: bool,
        nonce_r: Zeroizing<Vec<u8>>,
    },
    Established {
        keys: Box<IkeKeys>,
    },
    Deleting {
        keys: Box<IkeKeys>,
    },
    Deleted {
        keys: Box<IkeKeys>,
    },
    /// Only while [`Initiator::take_state`] moves the keys.
    Taken,
}

/// One IKE SA set up from this side.
pub struct Initiator {
    config: Config,
    spi_i: Spi,
    nonce_i: Zeroizing<Vec<u8>>,
    init_request: Vec<u8>,
    init_response: Vec<u8>,
    request: Vec<u8>,
    exchange: ExchangeType,
    message_id: u32,
    state: State,
}

fn random(len: usize, what: &'static str) -> Result<Vec<u8>, InitError> {
    let mut v = vec![0u8; len];
    getrandom::getrandom(&mut v).map_err(|e| InitError::Random {
        what,
        cause: e.to_string(),
    })?;
    Ok(v)
}

fn wire(exchange: ExchangeType) -> impl Fn(WireError) -> InitError {
    move |source| InitError::Wire { exchange, source }
}

impl Initiator {
    /// A new IKE SA with random SPI, nonce and DH value.
    pub fn new(config: Config) -> Result<Initiator, InitError> {
        let mut spi = [0u8; 8];
        while spi == [0; 8] {
            spi.copy_from_slice(&random(8, "the IKE SPI")?);
        }
        let nonce = random(NONCE_LEN, "the nonce")?;
        let share = KeyShare::generate(config.group)?;
        Initiator::with_values(config, Spi(spi), nonce, share)
    }

    /// [`Initiator::new`] with given SPI, nonce and DH value (for tests).
    pub fn with_values(
        config: Config,
        spi_i: Spi,
        nonce_i: Vec<u8>,
        share: KeyShare,
    ) -> Result<Initiator, InitError> {
        let mut i = Initiator {
            config,
            spi_i,
            nonce_i: Zeroizing::new(nonce_i),
            init_request: Vec::new(),
            init_response: Vec::new(),
            request: Vec::new(),
            exchange: ExchangeType::IKE_SA_INIT,
            message_id: 0,
            state: State::Init {
                share,
                cookie: None,
                retries: 0,
            },
        };
        i.build_init()?;
        Ok(i)
    }

    /// The outstanding request (send it again to retransmit).
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// The exchange of the outstanding request.
    pub fn exchange(&self) -> ExchangeType {
        self.exchange
    }

    /// The SPIs: the responder's is zero until IKE_SA_INIT is answered.
    pub fn spis(&self) -> SpiPair {
        match &self.state {
            State::Init { .. } | State::Taken => SpiPair::new(self.spi_i, Spi([0; 8])),
            State::Auth { keys, .. }
            | State::Established { keys }
            | State::Deleting { keys }
            | State::Deleted { keys } => keys.spis,
        }
    }

    /// The IKE SA's keys, once IKE_SA_INIT is done.
    pub fn keys(&self) -> Option<&IkeKeys> {
        match &self.state {
            State::Init { .. } | State::Taken => None,
            State::Auth { keys, .. }
            | State::Established { keys }
            | State::Deleting { keys }
            | State::Deleted { keys } => Some(keys),
        }
    }

    fn build_init(&mut self) -> Result<(), InitError> {
        let State::Init { share, cookie, .. } = &self.state else {
            return Err(InitError::State("IKE_SA_INIT built outside its state"));
        };
        let exchange = ExchangeType::IKE_SA_INIT;
        let sa = suite::proposal(share.group())
            .to_bytes()
            .map_err(wire(exchange))?;
        let ke = KeRepr {
            group: share.group(),
            data: share.public_value(),
        };
        let mut payloads = Vec::new();
        if let Some(c) = cookie {
            payloads.push(PayloadRepr::notify(NotifyRepr::new(
                0,
                NotifyType::COOKIE,
                c.clone(),
            )));
        }
        payloads.push(PayloadRepr::other(PayloadType::SA, sa));
        payloads.push(PayloadRepr::other(PayloadType::KE, ke.to_bytes()));
        payloads.push(PayloadRepr::other(
            PayloadType::NONCE,
            self.nonce_i.to_vec(),
        ));
        let message = MessageRepr {
            spi_i: self.spi_i,
            spi_r: Spi([0; 8]),
            exchange,
            flags: Flags::INITIATOR,
            message_id: 0,
            payloads,
        }
        .to_bytes()
        .map_err(wire(exchange))?;
        self.init_request = message.clone();
        self.request = message;
        self.exchange = exchange;
        self.message_id = 0;
        Ok(())
    }

    /// Feeds one datagram (an IKE message, no non-ESP marker) from the gateway.
    pub fn handle(&mut self, datagram: &[u8]) -> Result<Progress, InitError> {
        let header = match Header::new_checked(datagram) {
            Ok(h) => h,
            Err(e) => return Ok(Progress::Ignored(format!("not an IKE message: {e}"))),
        };
        if header.spi_i() != self.spi_i
            || !header.flags().response()
            || header.flags().initiator()
            || header.exchange_type() != self.exchange
            || header.message_id() != self.message_id
        {
            return Ok(Progress::Ignored(format!(
                "not the answer to the {} request (SPI-I {}, {} {}, message ID {})",
                self.exchange,
                header.spi_i(),
                header.exchange_type(),
                if header.flags().response() {
                    "response"
                } else {
                    "request"
                },
                header.message_id()
            )));
        }
        if matches!(self.state, State::Init { .. }) {
            return self.handle_init(datagram);
        }
        if !matches!(self.state, State::Deleted { .. }) && header.spi_r() != self.spis().responder {
            return Ok(Progress::Ignored(format!(
                "SPI-R {} is not this IKE SA's",
                header.spi_r()
            )));
        }
        match self.state {
            State::Auth { .. } => self.handle_auth(datagram),
            State::Deleting { .. } => self.handle_delete(datagram),
            _ => Ok(Progress::Ignored("no request outstanding".into())),
        }
    }

    fn handle_init(&mut self, datagram: &[u8]) -> Result<Progress, InitError> {
        let exchange = ExchangeType::IKE_SA_INIT;
        let header = Header::new_checked(datagram).map_err(wire(exchange))?;
        header.check_message().map_err(wire(exchange))?;
        let mut sa = None;
        let mut ke = None;
        let mut nonce = None;
        let mut childless = false;
        for p in header.payloads() {
            let p = p.map_err(wire(exchange))?;
            match p.payload_type() {
                PayloadType::SA => {
                    sa = Some(SaRepr::parse(p.body(), p.body_offset()).map_err(wire(exchange))?)
                }
                PayloadType::KE => {
                    let k = KeyExchange::new_checked(p.body())
                        .map_err(|e| wire(exchange)(e.shifted(p.body_offset())))?;
                    ke = Some(KeRepr::parse(&k));
                }
                PayloadType::NONCE => nonce = Some(p.body().to_vec()),
                PayloadType::NOTIFY => {
                    let n = p.notify().map_err(wire(exchange))?;
                    match n.notify_type() {
                        NotifyType::COOKIE => {
                            return self.retry_init(Some(n.data().to_vec()), None)
                        }
                        NotifyType::INVALID_KE_PAYLOAD => {
                            let d = n.data();
                            if d.len() != 2 {
                                return Err(wire(exchange)(WireError::Malformed {
                                    offset: n_data_offset(&p),
                                    field: "INVALID_KE_PAYLOAD data",
                                    reason: format!("{} bytes, not a 2-byte group number", d.len()),
                                }));
                            }
                            let group = DhGroup(u16::from_be_bytes([d[0], d[1]]));
                            return self.retry_init(None, Some(group));
                        }
                        NotifyType::NO_PROPOSAL_CHOSEN => {
                            return Err(InitError::NoProposalChosen { exchange })
                        }
                        NotifyType::CHILDLESS_IKEV2_SUPPORTED => childless = true,
                        t if t.is_error() => {
                            return Err(InitError::Refused {
                                exchange,
                                notify: t,
                            })
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        let missing = |payload| InitError::MissingPayload { exchange, payload };
        let sa = sa.ok_or_else(|| missing("SA"))?;
        let ke = ke.ok_or_else(|| missing("KE"))?;
        let nonce_r = nonce.ok_or_else(|| missing("Nonce"))?;
        if !(16..=256).contains(&nonce_r.len()) {
            return Err(wire(exchange)(WireError::Malformed {
                offset: 0,
                field: "Nonce",
                reason: format!("{} bytes, RFC 7296 §3.9 wants 16 to 256", nonce_r.len()),
            }));
        }
        let suite = Suite::from_response(&sa)?;
        let State::Init { share, .. } = &self.state else {
            return Err(InitError::State("IKE_SA_INIT answered outside its state"));
        };
        if suite.group != share.group() || ke.group != share.group() {
            return Err(InitError::BadProposal {
                reason: format!(
                    "it chose group {} with a KE payload of group {}, but qcd's KE payload was {}",
                    suite.group,
                    ke.group,
                    share.group()
                ),
            });
        }
        let spi_r = header.spi_r();
        if spi_r.is_zero() {
            return Err(wire(exchange)(WireError::Malformed {
                offset: 8,
                field: "SPI-R",
                reason: "zero in an IKE_SA_INIT response".into(),
            }));
        }
        let shared = share.shared_secret(&ke.data)?;
        let keys = IkeKeys::derive(
            suite,
            SpiPair::new(self.spi_i, spi_r),
            &self.nonce_i,
            &nonce_r,
            shared.expose(),
        );
        self.init_response = datagram.to_vec();
        self.state = State::Auth {
            keys: Box::new(keys),
            childless,
            nonce_r: Zeroizing::new(nonce_r),
        };
        self.build_auth()?;
        Ok(Progress::Send)
    }

    fn retry_init(
        &mut self,
        cookie: Option<Vec<u8>>,
        group: Option<DhGroup>,
    ) -> Result<Progress, InitError> {
        let State::Init {
            share,
            cookie: c,
            retries,
        } = &mut self.state
        else {
            return Err(InitError::State("IKE_SA_INIT retried outside its state"));
        };
        *retries += 1;
        if *retries > MAX_RETRIES {
            return Err(InitError::Loop {
                what: if cookie.is_some() {
                    "a COOKIE"
                } else {
                    "another Diffie-Hellman group"
                },
                tries: *retries,
            });
        }
        if let Some(cookie) = cookie {
            *c = Some(cookie);
        }
        if let Some(group) = group {
            if group == share.group() {
                return Err(InitError::BadProposal {
                    reason: format!(
                        "it sent INVALID_KE_PAYLOAD naming {group}, the group qcd used"
                    ),
                });
            }
            if !super::dh::supported(group) {
                return Err(InitError::UnsupportedGroup { group });
            }
            *share = KeyShare::generate(group)?;
        }
        self.build_init()?;
        Ok(Progress::Send)
    }
}

impl Initiator {
    fn seal(
        &mut self,
        exchange: ExchangeType,
        message_id: u32,
        inner: &[PayloadRepr],
    ) -> Result<(), InitError> {
        let keys = self
            .keys()
            .ok_or(InitError::State("no keys yet"))?
            .sa_keys();
        let iv = random(keys.encr.iv_len(), "the SK payload IV")?;
        let message = seal(
            SealHeader {
                spis: keys.spis,
                exchange,
                flags: Flags::INITIATOR,
                message_id,
            },
            inner,
            &keys,
            &iv,
        )
        .map_err(|source| InitError::Build { exchange, source })?;
        self.request = message;
        self.exchange = exchange;
        self.message_id = message_id;
        Ok(())
    }

    fn build_auth(&mut self) -> Result<(), InitError> {
        let exchange = ExchangeType::IKE_AUTH;
        let State::Auth {
            keys,
            childless,
            nonce_r,
        } = &self.state
        else {
            return Err(InitError::State("IKE_AUTH built outside its state"));
        };
        let id_body = self.config.id.to_bytes();
        let auth = psk_auth(
            keys.suite.prf,
            self.config.psk.expose(),
            &self.init_request,
            nonce_r,
            keys.sk_pi.expose(),
            &id_body,
        );
        let mut inner = vec![PayloadRepr::other(PayloadType::IDI, id_body)];
        if let Some(peer) = &self.config.peer_id {
            inner.push(PayloadRepr::other(PayloadType::IDR, peer.to_bytes()));
        }
        inner.push(PayloadRepr::other(
            PayloadType::AUTH,
            AuthRepr {
                method: AuthMethod::SHARED_KEY,
                data: auth.expose().to_vec(),
            }
            .to_bytes(),
        ));
        if !*childless {
            let spi = random(4, "the Child SA's SPI")?;
            let sa = child_proposal(&spi).to_bytes().map_err(wire(exchange))?;
            inner.push(PayloadRepr::other(PayloadType::SA, sa));
            let tsi = narrow_selector(self.config.local)
                .to_bytes()
                .map_err(wire(exchange))?;
            let tsr = narrow_selector(self.config.remote)
                .to_bytes()
                .map_err(wire(exchange))?;
            inner.push(PayloadRepr::other(PayloadType::TSI, tsi));
            inner.push(PayloadRepr::other(PayloadType::TSR, tsr));
        }
        self.seal(exchange, 1, &inner)
    }

    /// The decrypted inner payloads of a response to the outstanding request.
    fn open_response(&self, datagram: &[u8]) -> Result<(SecretBytes, PayloadType), InitError> {
        let exchange = self.exchange;
        let header = Header::new_checked(datagram).map_err(wire(exchange))?;
        header.check_message().map_err(wire(exchange))?;
        let mut sk = None;
        for p in header.payloads() {
            let p = p.map_err(wire(exchange))?;
            match p.payload_type() {
                PayloadType::SK => {
                    let e = p.encrypted().map_err(wire(exchange))?;
                    sk = Some((e.body_offset(), e.first_inner_payload()));
                }
                PayloadType::NOTIFY => {
                    // an unprotected error (e.g. INVALID_SYNTAX before keys)
                    let n = p.notify().map_err(wire(exchange))?;
                    if n.notify_type().is_error() {
                        return Err(InitError::Refused {
                            exchange,
                            notify: n.notify_type(),
                        });
                    }
                }
                _ => {}
            }
        }
        let (body, first) = sk.ok_or(InitError::MissingPayload {
            exchange,
            payload: "Encrypted (SK)",
        })?;
        let keys = self
            .keys()
            .ok_or(InitError::State("no keys yet"))?
            .sa_keys();
        let plain = open(&keys, false, datagram, body, false)
            .map_err(|source| InitError::Crypto { exchange, source })?;
        Ok((plain.plaintext, first))
    }

    fn handle_auth(&mut self, datagram: &[u8]) -> Result<Progress, InitError> {
        let exchange = ExchangeType::IKE_AUTH;
        let (plain, first) = self.open_response(datagram)?;
        let mut idr = None;
        let mut auth = None;
        let mut token = None;
        let mut child_error = None;
        let mut child_sa = false;
        for p in PayloadIter::new(plain.expose(), first, 0) {
            let p = p.map_err(wire(exchange))?;
            match p.payload_type() {
                PayloadType::IDR => {
                    let v = Identification::new_checked(p.body()).map_err(wire(exchange))?;
                    idr = Some(IdRepr::parse(&v));
                }
                PayloadType::AUTH => {
                    let a = crate::wire::Authentication::new_checked(p.body())
                        .map_err(wire(exchange))?;
                    auth = Some(AuthRepr::parse(&a));
                }
                PayloadType::SA => child_sa = true,
                PayloadType::NOTIFY => {
                    let n = p.notify().map_err(wire(exchange))?;
                    match n.notify_type() {
                        NotifyType::QCD_TOKEN if token.is_none() => {
                            token = Some(SecretBytes::from_slice(n.data()));
                        }
                        NotifyType::QCD_TOKEN => {}
                        NotifyType::AUTHENTICATION_FAILED => {
                            return Err(InitError::AuthenticationFailed)
                        }
                        t if t.is_error() => child_error = Some(t),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        let (Some(idr), Some(auth)) = (idr, auth) else {
            return Err(match child_error {
                Some(NotifyType::NO_PROPOSAL_CHOSEN) => InitError::NoProposalChosen { exchange },
                Some(notify) => InitError::Refused { exchange, notify },
                None => InitError::MissingPayload {
                    exchange,
                    payload: "IDr and AUTH",
                },
            });
        };
        let State::Auth {
            keys, childless, ..
        } = &self.state
        else {
            return Err(InitError::State("IKE_AUTH answered outside its state"));
        };
        if auth.method != AuthMethod::SHARED_KEY {
            return Err(InitError::UnsupportedAuthMethod {
                method: auth.method.to_string(),
            });
        }
        let expected = psk_auth(
            keys.suite.prf,
            self.config.psk.expose(),
            &self.init_response,
            &self.nonce_i,
            keys.sk_pr.expose(),
            &idr.to_bytes(),
        );
        if !expected.ct_eq(&auth.data) {
            return Err(InitError::PeerAuthInvalid {
                peer_id: identity_text(&idr),
            });
        }
        if let Some(want) = &self.config.peer_id {
            if *want != idr {
                return Err(InitError::WrongPeerId {
                    expected: identity_text(want),
                    got: identity_text(&idr),
                });
            }
        }
        let child = if *childless {
            ChildOutcome::Childless
        } else if let Some(t) = child_error {
            ChildOutcome::Refused(t)
        } else if child_sa {
            ChildOutcome::Created
        } else {
            ChildOutcome::Refused(NotifyType::NO_PROPOSAL_CHOSEN)
        };
        let outcome = AuthOutcome {
            spis: keys.spis,
            suite: keys.suite,
            token,
            child,
            peer_id: idr,
        };
        self.take_state(|keys| State::Established { keys });
        Ok(Progress::Established(Box::new(outcome)))
    }

    /// Builds the INFORMATIONAL request that deletes the IKE SA (and with it
    /// any Child SA): `HDR, SK { D(IKE) }`, message ID 2.
    pub fn delete(&mut self) -> Result<(), InitError> {
        let State::Established { .. } = &self.state else {
            return Err(InitError::State("the IKE SA is not established"));
        };
        let d = DeleteRepr {
            protocol_id: ProtocolId::IKE,
            spi_size: 0,
            spis: Vec::new(),
        };
        let exchange = ExchangeType::INFORMATIONAL;
        let body = d.to_bytes().map_err(wire(exchange))?;
        self.seal(
            exchange,
            2,
            &[PayloadRepr::other(PayloadType::DELETE, body)],
        )?;
        self.take_state(|keys| State::Deleting { keys });
        Ok(())
    }

    fn take_state(&mut self, f: impl FnOnce(Box<IkeKeys>) -> State) {
        match std::mem::replace(&mut self.state, State::Taken) {
            State::Auth { keys, .. }
            | State::Established { keys }
            | State::Deleting { keys }
            | State::Deleted { keys } => self.state = f(keys),
            s => self.state = s,
        }
    }

    /// Treats the IKE SA as deleted although the Delete went unanswered.
    pub fn assume_deleted(&mut self) {
        if matches!(
            self.state,
            State::Deleting { .. } | State::Established { .. }
        ) {
            self.take_state(|keys| State::Deleted { keys });
        }
    }

    fn handle_delete(&mut self, datagram: &[u8]) -> Result<Progress, InitError> {
        let exchange = ExchangeType::INFORMATIONAL;
        let (plain, first) = self.open_response(datagram)?;
        let mut delete_payload = false;
        for p in PayloadIter::new(plain.expose(), first, 0) {
            let p = p.map_err(wire(exchange))?;
            if p.payload_type() == PayloadType::DELETE {
                delete_payload = true;
            }
        }
        self.take_state(|keys| State::Deleted { keys });
        Ok(Progress::Deleted { delete_payload })
    }

    /// After the Delete: the request of the live maker check (`qcd probe`,
    /// `crate::wire::liveness`) for the deleted SA's SPIs: an unprotected
    /// INFORMATIONAL request with an SK payload of random bytes, message ID
    /// 3. A maker that has forgotten the SA answers it with its token.
    /// Resend [`Initiator::request`] to ask again (the same bytes).
    pub fn liveness_check(&mut self) -> Result<(), InitError> {
        let State::Deleted { keys } = &self.state else {
            return Err(InitError::State("the IKE SA is not deleted yet"));
        };
        let exchange = ExchangeType::INFORMATIONAL;
        let body = random(liveness::PROBE_SK_BODY_LEN, "the liveness request")?;
        self.request = liveness::liveness_request(keys.spis, 3, body)
            .to_bytes()
            .map_err(wire(exchange))?;
        self.exchange = exchange;
        self.message_id = 3;
        Ok(())
    }

    /// Reads an answer to the liveness check: `None` if it is not one (other
    /// SPIs or message ID, a request, or neither INVALID_IKE_SPI nor a token).
    pub fn qcd_reply(&self, datagram: &[u8]) -> Option<QcdReply> {
        let State::Deleted { keys } = &self.state else {
            return None;
        };
        let reply = liveness::read_reply(datagram).ok()?;
        if reply.spis != keys.spis || reply.message_id != self.message_id || !reply.flags.response()
        {
            return None;
        }
        if reply.encrypted {
            return Some(QcdReply::StillKnown);
        }
        match (
            reply.invalid_ike_spi.is_some(),
            reply.tokens.into_iter().next(),
        ) {
            (_, Some(t)) => Some(QcdReply::Token(SecretBytes::new(t.data))),
            (true, None) => Some(QcdReply::NoToken),
            (false, None) => None,
        }
    }
}

/// The Child SA proposals: ESP with AES-GCM-16 (256/128), or AES-CBC
/// (256/128) with HMAC-SHA2-256-128; no ESN.
fn child_proposal(spi: &[u8]) -> SaRepr {
    let esn = TransformRepr::new(TransformType::ESN, 0);
    let gcm = ProposalRepr {
        number: 1,
        protocol_id: ProtocolId::ESP,
        spi: spi.to_vec(),
        transforms: vec![
            TransformRepr::with_key_length(TransformType::ENCR, EncrId::AES_GCM_16.0, 256),
            TransformRepr::with_key_length(TransformType::ENCR, EncrId::AES_GCM_16.0, 128),
            esn.clone(),
        ],
    };
    let cbc = ProposalRepr {
        number: 2,
        protocol_id: ProtocolId::ESP,
        spi: spi.to_vec(),
        transforms: vec![
            TransformRepr::with_key_length(TransformType::ENCR, EncrId::AES_CBC.0, 256),
            TransformRepr::with_key_length(TransformType::ENCR, EncrId::AES_CBC.0, 128),
            TransformRepr::new(TransformType::INTEG, IntegId::HMAC_SHA2_256_128.0),
            esn,
        ],
    };
    SaRepr {
        proposals: vec![gcm, cbc],
    }
}

/// A traffic selector that matches nothing real: one address, IP protocol
/// 253 (RFC 3692, experiments), every "port" (the protocol has none).
pub fn narrow_selector(addr: IpAddr) -> TsRepr {
    TsRepr {
        selectors: vec![SelectorRepr::Range {
            ip_protocol: IpProtocol::EXPERIMENTAL,
            start_port: 0,
            end_port: u16::MAX,
            start: addr,
            end: addr,
        }],
    }
}

fn n_data_offset(p: &crate::wire::Payload<'_>) -> usize {
    p.body_offset() + 4
}
