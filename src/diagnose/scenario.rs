//! Synthetic captures of the QCD recovery story, one per way it can fail,
//! built with qcd's own emit code ([`crate::wire`] Reprs, [`crate::ikecrypto::seal`]
//! and [`crate::capture::write`]). Used by the tests, by `qcd
//! generate-scenarios`, and as the example data shipped in `tests/data/scenarios/`.
//!
//! Peer A (192.0.2.1, token taker, initiator) and gateway B (198.51.100.2,
//! token maker, responder) set up IKE SA 1 (AES-CBC-256 + HMAC-SHA2-256-128);
//! B gives A its QCD token inside IKE_AUTH; ESP flows both ways; B reboots at
//! 10.5 s. What follows depends on the [`Scenario`]. Everything is
//! deterministic (fixed keys, IVs, SPIs and times), so the files are
//! reproducible byte for byte.

use std::net::SocketAddr;

use crate::capture::write::{esp_body, ip_raw, ip_udp, CaptureWriter, Encap};
use crate::capture::{Precision, Timestamp};
use crate::ikecrypto::{seal, KeyTable, SaKeys, SealError, SealHeader};
use crate::secret::{Keyring, Origin};
use crate::secretmem::SecretBytes;
use crate::spi::{Spi, SpiPair};
use crate::token::{self, TokenInput, TokenSpec};
use crate::wire::{
    emit_proposals, ExchangeType, Flags, MessageRepr, NotifyRepr, NotifyType, PayloadRepr,
    PayloadType, ProposalRepr, ProtocolId,
};

/// The ways a crash detection can go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// No reboot at all.
    Healthy,
    /// B answers with the right token; A starts a new IKE SA 0.8 s later.
    Recovered,
    /// B answers INVALID_IKE_SPI without QCD_TOKEN; A retransmits and
    /// recovers by its own timeout.
    NoToken,
    /// B regenerated its QCD secret at boot: the token matches nothing, and
    /// A, rejecting it, retransmits its liveness check (drawing more token
    /// replies) until its own timeout.
    SecretChanged,
    /// After the reboot B puts SPI-R first when computing the token; A
    /// rejects it as in [`Scenario::SecretChanged`].
    SpisSwapped,
    /// B gave no QCD_TOKEN in IKE_AUTH (QCD off) and, rebooted, drops A's
    /// liveness checks as strongSwan does.
    QcdNotInUse,
    /// B gave its token but, rebooted, answers nothing at all: no INVALID_SPI,
    /// no INVALID_IKE_SPI.
    SilentMaker,
    /// A never sends a liveness check after INVALID_SPI.
    NoLivenessCheck,
    /// IKE SA 1 is rekeyed into IKE SA 3: B gives its new token in the
    /// CREATE_CHILD_SA response, A its own in a separate INFORMATIONAL (as
    /// Rockhopper does); after the reboot B answers with SA 3's token and A
    /// recovers.
    Rekeyed,
    /// The capture stops 0.1 s after A's first liveness check.
    CaptureEndsEarly,
    /// A closes IKE SA 1 with a Delete; nothing to detect.
    Deleted,
}

impl Scenario {
    pub const ALL: [Scenario; 11] = [
        Scenario::Healthy,
        Scenario::Recovered,
        Scenario::NoToken,
        Scenario::SecretChanged,
        Scenario::SpisSwapped,
        Scenario::QcdNotInUse,
        Scenario::SilentMaker,
        Scenario::NoLivenessCheck,
        Scenario::Rekeyed,
        Scenario::CaptureEndsEarly,
        Scenario::Deleted,
    ];

    /// File stem, e.g. `secret-changed`.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy",
            Scenario::Recovered => "recovered",
            Scenario::NoToken => "no-token",
            Scenario::SecretChanged => "secret-changed",
            Scenario::SpisSwapped => "spis-swapped",
            Scenario::QcdNotInUse => "qcd-not-in-use",
            Scenario::SilentMaker => "silent-maker",
            Scenario::NoLivenessCheck => "no-liveness-check",
            Scenario::Rekeyed => "rekeyed",
            Scenario::CaptureEndsEarly => "capture-ends-early",
            Scenario::Deleted => "deleted",
        }
    }

    /// SPI-I of the IKE SA in use when B reboots (the one [`Self::expected_verdict`] is about).
    pub fn live_spi_i(self) -> &'static str {
        match self {
            Scenario::Rekeyed => "a3a3a3a300000003",
            _ => "a1a1a1a100000001",
        }
    }

    /// The verdict `qcd diagnose` must give for the IKE SA in use at the
    /// reboot, with or without the key table (`--keys`) and B's keyring.
    pub fn expected_verdict(self, keys: bool, keyring: bool) -> &'static str {
        match self {
            Scenario::Healthy | Scenario::Deleted => "healthy",
            Scenario::Recovered | Scenario::Rekeyed => "recovered",
            Scenario::NoToken | Scenario::SilentMaker => "no-token",
            Scenario::SecretChanged | Scenario::SpisSwapped if keys || keyring => "token-mismatch",
            Scenario::SecretChanged | Scenario::SpisSwapped => "token-rejected",
            Scenario::QcdNotInUse if keys => "qcd-not-in-use",
            Scenario::QcdNotInUse => "no-token",
            Scenario::NoLivenessCheck => "no-liveness-check",
            Scenario::CaptureEndsEarly => "inconclusive",
        }
    }
}

const A: &str = "192.0.2.1:500";
const B: &str = "198.51.100.2:500";
/// 2026-11-01T12:00:00Z.
const BASE_SECS: i64 = 1_793_534_400;
const SA1: (u64, u64) = (0xa1a1_a1a1_0000_0001, 0xb1b1_b1b1_0000_0001);
const SA2: (u64, u64) = (0xa2a2_a2a2_0000_0002, 0xb2b2_b2b2_0000_0002);
const SA3: (u64, u64) = (0xa3a3_a3a3_0000_0003, 0xb3b3_b3b3_0000_0003);
const ESP_A_TO_B: u32 = 0xc100_0001;
const ESP_B_TO_A: u32 = 0xc200_0002;
const ESP2_A_TO_B: u32 = 0xc300_0003;
const ESP2_B_TO_A: u32 = 0xc400_0004;

/// The key table (Wireshark's ikev2_decryption_table format) of the IKE SAs.
pub const KEY_TABLE: &str = "\
# qcd diagnose scenarios: IKE SA 1 and 3 (AES-CBC-256 + HMAC-SHA2-256-128), IKE SA 2 (AES-GCM-256, 16-octet ICV)
a1a1a1a100000001,b1b1b1b100000001,1111111111111111111111111111111111111111111111111111111111111111,2222222222222222222222222222222222222222222222222222222222222222,\"AES-CBC-256 [RFC3602]\",3333333333333333333333333333333333333333333333333333333333333333,4444444444444444444444444444444444444444444444444444444444444444,\"HMAC_SHA2_256_128 [RFC4868]\"
a2a2a2a200000002,b2b2b2b200000002,555555555555555555555555555555555555555555555555555555555555555555555555,666666666666666666666666666666666666666666666666666666666666666666666666,\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"
a3a3a3a300000003,b3b3b3b300000003,7777777777777777777777777777777777777777777777777777777777777777,8888888888888888888888888888888888888888888888888888888888888888,\"AES-CBC-256 [RFC3602]\",9999999999999999999999999999999999999999999999999999999999999999,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,\"HMAC_SHA2_256_128 [RFC4868]\"
";

/// [`KEY_TABLE`] with a wrong SK_ai for IKE SA 1: its SK payloads from the
/// initiator fail the integrity check.
pub fn wrong_key_table() -> String {
    KEY_TABLE.replacen(
        "3333333333333333333333333333333333333333333333333333333333333333",
        "3434343434343434343434343434343434343434343434343434343434343434",
        1,
    )
}

/// B's QCD secret (32 bytes), as persisted in its keyring.
pub fn maker_secret() -> SecretBytes {
    SecretBytes::new(
        (0u8..32)
            .map(|i| i.wrapping_mul(37).wrapping_add(11))
            .collect(),
    )
}

/// A's own QCD secret (A makes tokens for B too, as Rockhopper does).
pub fn taker_secret() -> SecretBytes {
    SecretBytes::new(
        (0u8..32)
            .map(|i| i.wrapping_mul(29).wrapping_add(3))
            .collect(),
    )
}

/// The secret B made up at boot in [`Scenario::SecretChanged`].
fn rebooted_secret() -> SecretBytes {
    SecretBytes::new(
        (0u8..32)
            .map(|i| i.wrapping_mul(53).wrapping_add(7))
            .collect(),
    )
}

/// A keyring made from the secret on B's disk after the reboot of
/// [`Scenario::SecretChanged`] (the one regenerated at boot), dated `created`
/// and of `origin`: it matches the reply's token but not the token B gave in
/// IKE_AUTH (issue 21 item 1).
pub fn rebooted_keyring(created: std::time::SystemTime, origin: Origin) -> Keyring {
    Keyring::new(rebooted_secret(), TokenSpec::default(), created, origin)
}

/// B's keyring: generation 1 holds [`maker_secret`], hmac-sha256, 32-byte tokens.
pub fn maker_keyring() -> Keyring {
    Keyring::new(
        maker_secret(),
        TokenSpec::default(),
        std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(BASE_SECS as u64 - 86_400),
        Origin::Generated,
    )
}

fn spis((i, r): (u64, u64)) -> SpiPair {
    SpiPair::new(Spi(i.to_be_bytes()), Spi(r.to_be_bytes()))
}

fn qcd_token(secret: &SecretBytes, pair: SpiPair) -> Vec<u8> {
    token::derive(
        secret.expose(),
        TokenSpec::default(),
        &TokenInput::new(pair, None),
    )
    .expect("the default spec is valid")
    .expose()
    .to_vec()
}

/// Why a scenario could not be built (never expected: the inputs are fixed).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Wire(#[from] crate::wire::WireError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

struct Builder {
    writer: CaptureWriter<Vec<u8>>,
    table: KeyTable,
    iv: u8,
}

impl Builder {
    fn new() -> Result<Self, ScenarioError> {
        Ok(Builder {
            writer: CaptureWriter::pcap(
                Vec::new(),
                Encap::Ethernet.link_type(false),
                false,
                false,
            )?,
            table: KeyTable::parse(KEY_TABLE, "scenario key table")
                .expect("the scenario key table is valid"),
            iv: 0,
        })
    }

    fn at(ms: u64) -> Timestamp {
        Timestamp::new(
            BASE_SECS + (ms / 1000) as i64,
            (ms % 1000) * 1_000_000,
            Precision::Micro,
        )
    }

    fn udp(&mut self, ms: u64, from: &str, to: &str, msg: &[u8]) -> Result<(), ScenarioError> {
        let (src, dst): (SocketAddr, SocketAddr) =
            (from.parse().expect("fixed"), to.parse().expect("fixed"));
        let frame = Encap::Ethernet.frame(&ip_udp(src, dst, msg));
        self.writer.write_packet(0, Self::at(ms), &frame)?;
        Ok(())
    }

    fn esp(
        &mut self,
        ms: u64,
        from: &str,
        to: &str,
        spi: u32,
        seq: u32,
    ) -> Result<(), ScenarioError> {
        let (src, dst): (SocketAddr, SocketAddr) =
            (from.parse().expect("fixed"), to.parse().expect("fixed"));
        let ip = ip_raw(src.ip(), dst.ip(), 50, &esp_body(spi, seq, 120));
        self.writer
            .write_packet(0, Self::at(ms), &Encap::Ethernet.frame(&ip))?;
        Ok(())
    }

    fn keys(&self, pair: SpiPair) -> &SaKeys {
        self.table.get(&pair).expect("both SAs are in the table")
    }

    fn next_iv(&mut self, len: usize) -> Vec<u8> {
        self.iv = self.iv.wrapping_add(1);
        vec![self.iv; len]
    }

    #[allow(clippy::too_many_arguments)]
    fn sealed(
        &mut self,
        ms: u64,
        from: &str,
        to: &str,
        pair: SpiPair,
        exchange: ExchangeType,
        flags: Flags,
        message_id: u32,
        inner: &[PayloadRepr],
    ) -> Result<(), ScenarioError> {
        let iv_len = self.keys(pair).encr.iv_len();
        let iv = self.next_iv(iv_len);
        let msg = seal(
            SealHeader {
                spis: pair,
                exchange,
                flags,
                message_id,
            },
            inner,
            self.keys(pair),
            &iv,
        )?;
        self.udp(ms, from, to, &msg)
    }

    fn plain(
        &mut self,
        ms: u64,
        from: &str,
        to: &str,
        repr: MessageRepr,
    ) -> Result<(), ScenarioError> {
        let bytes = repr.to_bytes()?;
        self.udp(ms, from, to, &bytes)
    }

    /// IKE_SA_INIT, IKE_AUTH (each side gives its token when it has one,
    /// as Rockhopper does) and ESP both ways until `until_ms`.
    fn establish(
        &mut self,
        ms: u64,
        pair: SpiPair,
        tokens: (Option<&[u8]>, Option<&[u8]>),
        esp: (u32, u32),
        until_ms: u64,
    ) -> Result<(), ScenarioError> {
        let nonce = |b: u8| PayloadRepr::other(PayloadType::NONCE, vec![b; 32]);
        self.plain(
            ms,
            A,
            B,
            MessageRepr {
                spi_i: pair.initiator,
                spi_r: Spi::default(),
                exchange: ExchangeType::IKE_SA_INIT,
                flags: Flags::INITIATOR,
                message_id: 0,
                payloads: vec![nonce(0x0a)],
            },
        )?;
        self.plain(
            ms + 10,
            B,
            A,
            MessageRepr {
                spi_i: pair.initiator,
                spi_r: pair.responder,
                exchange: ExchangeType::IKE_SA_INIT,
                flags: Flags::RESPONSE,
                message_id: 0,
                payloads: vec![nonce(0x0b)],
            },
        )?;
        let id = |ip: [u8; 4]| vec![1, 0, 0, 0, ip[0], ip[1], ip[2], ip[3]];
        let auth = |b: u8| {
            let mut v = vec![2, 0, 0, 0];
            v.extend([b; 32]);
            v
        };
        let mut request = vec![
            PayloadRepr::other(PayloadType::IDI, id([192, 0, 2, 1])),
            PayloadRepr::other(PayloadType::AUTH, auth(0xa0)),
        ];
        request.extend(
            tokens
                .0
                .map(|t| PayloadRepr::notify(NotifyRepr::qcd_token(t))),
        );
        self.sealed(
            ms + 20,
            A,
            B,
            pair,
            ExchangeType::IKE_AUTH,
            Flags::INITIATOR,
            1,
            &request,
        )?;
        let mut response = vec![
            PayloadRepr::other(PayloadType::IDR, id([198, 51, 100, 2])),
            PayloadRepr::other(PayloadType::AUTH, auth(0xb0)),
        ];
        response.extend(
            tokens
                .1
                .map(|t| PayloadRepr::notify(NotifyRepr::qcd_token(t))),
        );
        self.sealed(
            ms + 30,
            B,
            A,
            pair,
            ExchangeType::IKE_AUTH,
            Flags::RESPONSE,
            1,
            &response,
        )?;
        self.esp_both(ms + 1000, until_ms, esp, 1)
    }

    /// ESP both ways once a second from `from_ms` to `until_ms`.
    fn esp_both(
        &mut self,
        from_ms: u64,
        until_ms: u64,
        esp: (u32, u32),
        first_seq: u32,
    ) -> Result<(), ScenarioError> {
        let (mut t, mut seq) = (from_ms, first_seq);
        while t <= until_ms {
            self.esp(t, A, B, esp.0, seq)?;
            self.esp(t + 5, B, A, esp.1, seq)?;
            t += 1000;
            seq += 1;
        }
        Ok(())
    }

    /// Rekeys IKE SA `old` into `new` (CREATE_CHILD_SA, message id 2): B
    /// gives its new token (over the new SPIs) in the response; A gives its
    /// own in an INFORMATIONAL on the new SA (message id 0), as Rockhopper does.
    fn rekey(
        &mut self,
        ms: u64,
        old: SpiPair,
        new: SpiPair,
        tokens: (&[u8], &[u8]),
    ) -> Result<(), ScenarioError> {
        let sa = |spi: Spi| -> Result<PayloadRepr, ScenarioError> {
            Ok(PayloadRepr::other(
                PayloadType::SA,
                emit_proposals(&[ProposalRepr::ike_rekey(spi.0)])?,
            ))
        };
        let nonce = |b: u8| PayloadRepr::other(PayloadType::NONCE, vec![b; 32]);
        let request = [sa(new.initiator)?, nonce(0x1a)];
        self.sealed(
            ms,
            A,
            B,
            old,
            ExchangeType::CREATE_CHILD_SA,
            Flags::INITIATOR,
            2,
            &request,
        )?;
        let response = [
            sa(new.responder)?,
            nonce(0x1b),
            PayloadRepr::notify(NotifyRepr::qcd_token(tokens.1)),
        ];
        self.sealed(
            ms + 10,
            B,
            A,
            old,
            ExchangeType::CREATE_CHILD_SA,
            Flags::RESPONSE,
            2,
            &response,
        )?;
        self.sealed(
            ms + 100,
            A,
            B,
            new,
            ExchangeType::INFORMATIONAL,
            Flags::INITIATOR,
            0,
            &[PayloadRepr::notify(NotifyRepr::qcd_token(tokens.0))],
        )?;
        self.sealed(
            ms + 110,
            B,
            A,
            new,
            ExchangeType::INFORMATIONAL,
            Flags::RESPONSE,
            0,
            &[],
        )
    }

    /// B, rebooted, answers A's ESP with an unprotected INVALID_SPI.
    fn invalid_spi(&mut self, ms: u64, seq: u32) -> Result<(), ScenarioError> {
        self.esp(ms, A, B, ESP_A_TO_B, seq)?;
        self.plain(
            ms + 1,
            B,
            A,
            MessageRepr {
                spi_i: Spi([0x5e; 8]),
                spi_r: Spi::default(),
                exchange: ExchangeType::INFORMATIONAL,
                flags: Flags(0),
                message_id: 0,
                payloads: vec![PayloadRepr::notify(NotifyRepr {
                    protocol_id: ProtocolId::ESP,
                    spi: ESP_A_TO_B.to_be_bytes().to_vec(),
                    notify_type: NotifyType::INVALID_SPI,
                    data: vec![],
                })],
            },
        )
    }

    /// A's liveness check on `sa` (an empty INFORMATIONAL request).
    fn check(&mut self, ms: u64, sa: SpiPair, message_id: u32) -> Result<(), ScenarioError> {
        self.sealed(
            ms,
            A,
            B,
            sa,
            ExchangeType::INFORMATIONAL,
            Flags::INITIATOR,
            message_id,
            &[],
        )
    }

    /// B's unprotected reply to a request for an IKE SA it lost:
    /// `N(INVALID_IKE_SPI)`, then `N(QCD_TOKEN)` when it has one, both with
    /// Protocol ID 0 (RFC 6290 erratum 3449, as Rockhopper sends them).
    fn lost_sa_reply(
        &mut self,
        ms: u64,
        sa: SpiPair,
        message_id: u32,
        token: Option<&[u8]>,
    ) -> Result<(), ScenarioError> {
        let mut payloads = vec![PayloadRepr::notify(NotifyRepr::new(
            0,
            NotifyType::INVALID_IKE_SPI,
            vec![],
        ))];
        payloads.extend(token.map(|t| PayloadRepr::notify(NotifyRepr::qcd_token(t))));
        self.plain(
            ms + 1,
            B,
            A,
            MessageRepr {
                spi_i: sa.initiator,
                spi_r: sa.responder,
                exchange: ExchangeType::INFORMATIONAL,
                flags: Flags::RESPONSE,
                message_id,
                payloads,
            },
        )
    }

    /// A's liveness check and, when `reply` is `Some`, B's answer to it.
    fn probe(
        &mut self,
        ms: u64,
        sa: SpiPair,
        message_id: u32,
        reply: Option<Option<&[u8]>>,
    ) -> Result<(), ScenarioError> {
        self.check(ms, sa, message_id)?;
        match reply {
            Some(token) => self.lost_sa_reply(ms, sa, message_id, token),
            None => Ok(()),
        }
    }

    /// A closes `sa` with a Delete of the IKE SA; B confirms.
    fn delete(&mut self, ms: u64, sa: SpiPair, message_id: u32) -> Result<(), ScenarioError> {
        // Delete payload: Protocol ID 1 (IKE), SPI size 0, no SPIs (RFC 7296 §3.11).
        let delete = PayloadRepr::other(PayloadType::DELETE, vec![1, 0, 0, 0]);
        self.sealed(
            ms,
            A,
            B,
            sa,
            ExchangeType::INFORMATIONAL,
            Flags::INITIATOR,
            message_id,
            &[delete],
        )?;
        self.sealed(
            ms + 10,
            B,
            A,
            sa,
            ExchangeType::INFORMATIONAL,
            Flags::RESPONSE,
            message_id,
            &[],
        )
    }
}

/// When a taker that gets no usable answer retransmits its liveness check
/// (exponential back-off from 11.5 s), and when its own timeout makes it
/// start over.
const RETRANSMITS: [u64; 4] = [11_500, 13_500, 17_500, 25_500];
const TIMEOUT_RESTART: u64 = 41_500;

/// The capture (classic pcap, Ethernet, microseconds) of `scenario`.
pub fn build(scenario: Scenario) -> Result<Vec<u8>, ScenarioError> {
    let mut b = Builder::new()?;
    let (sa1, sa2) = (spis(SA1), spis(SA2));
    let (secret, a_secret) = (maker_secret(), taker_secret());
    let token1 = qcd_token(&secret, sa1);
    let a_token1 = qcd_token(&a_secret, sa1);
    let esp1 = (ESP_A_TO_B, ESP_B_TO_A);
    let esp2 = (ESP2_A_TO_B, ESP2_B_TO_A);
    // A's restart after the outage: a new IKE SA 2 with fresh tokens.
    let restart = |b: &mut Builder, ms: u64| {
        b.establish(
            ms,
            sa2,
            (
                Some(&qcd_token(&a_secret, sa2)),
                Some(&qcd_token(&secret, sa2)),
            ),
            esp2,
            ms + 3_000,
        )
    };
    match scenario {
        Scenario::Rekeyed => {
            let sa3 = spis(SA3);
            let token3 = qcd_token(&secret, sa3);
            b.establish(0, sa1, (Some(&a_token1), Some(&token1)), esp1, 4_000)?;
            b.rekey(4_500, sa1, sa3, (&qcd_token(&a_secret, sa3), &token3))?;
            // The Child SAs move to the new IKE SA and keep their SPIs.
            b.esp_both(5_000, 10_000, esp1, 5)?;
            b.invalid_spi(11_000, 11)?;
            b.probe(11_500, sa3, 1, Some(Some(&token3)))?;
            return restart(&mut b, 12_300).map(|_| b.writer.into_inner());
        }
        Scenario::Deleted => {
            b.establish(0, sa1, (Some(&a_token1), Some(&token1)), esp1, 5_000)?;
            b.delete(6_000, sa1, 2)?;
            return Ok(b.writer.into_inner());
        }
        Scenario::QcdNotInUse => {
            b.establish(0, sa1, (None, None), esp1, 10_000)?;
        }
        _ => b.establish(0, sa1, (Some(&a_token1), Some(&token1)), esp1, 10_000)?,
    }
    if scenario == Scenario::Healthy {
        return Ok(b.writer.into_inner());
    }
    // B reboots at 10.5 s; A's next ESP draws INVALID_SPI (a silent B sends nothing).
    if matches!(scenario, Scenario::SilentMaker | Scenario::QcdNotInUse) {
        b.esp(11_000, A, B, ESP_A_TO_B, 11)?;
    } else {
        b.invalid_spi(11_000, 11)?;
    }
    let wrong = match scenario {
        Scenario::SecretChanged => Some(qcd_token(&rebooted_secret(), sa1)),
        Scenario::SpisSwapped => Some(qcd_token(&secret, sa1.swapped())),
        _ => None,
    };
    match scenario {
        Scenario::NoLivenessCheck => {
            for (i, t) in (12_000..=30_000).step_by(1000).enumerate() {
                b.esp(t, A, B, ESP_A_TO_B, 12 + i as u32)?;
            }
        }
        Scenario::Recovered => {
            b.probe(11_500, sa1, 2, Some(Some(&token1)))?;
            restart(&mut b, 12_300)?;
        }
        Scenario::CaptureEndsEarly => {
            b.check(11_500, sa1, 2)?;
            b.esp(11_600, A, B, ESP_A_TO_B, 12)?;
        }
        _ => {
            // A gets no answer it can use: it retransmits the same check
            // (message id 2), then its timeout makes it start over.
            let reply: Option<Option<&[u8]>> = match scenario {
                Scenario::NoToken => Some(None),
                Scenario::SecretChanged | Scenario::SpisSwapped => Some(wrong.as_deref()),
                _ => None,
            };
            for (i, t) in RETRANSMITS.into_iter().enumerate() {
                b.probe(t, sa1, 2, reply)?;
                b.esp(t + 200, A, B, ESP_A_TO_B, 12 + i as u32)?;
            }
            restart(&mut b, TIMEOUT_RESTART)?;
        }
    }
    Ok(b.writer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_message;

    #[test]
    fn scenarios_are_deterministic_and_read_back() {
        for s in Scenario::ALL {
            let a = build(s).unwrap();
            assert_eq!(a, build(s).unwrap(), "{}", s.name());
            let mut r = crate::capture::CaptureReader::new(
                std::io::Cursor::new(a),
                s.name(),
                crate::capture::ReadOptions::default(),
            )
            .unwrap();
            let table = KeyTable::parse(KEY_TABLE, "t").unwrap();
            let mut decrypted = 0;
            while let Some(e) = r.next_event() {
                if let crate::capture::Event::Ike(d) = e {
                    let m = test_message(&d.payload, Some(&table)).unwrap();
                    for p in &m.payloads {
                        if let Some(sk) = &p.encrypted {
                            assert_eq!(sk.decrypt_error, None, "{}", s.name());
                            decrypted += 1;
                        }
                    }
                }
            }
            assert!(!r.damaged());
            assert!(decrypted >= 2, "{}: {decrypted}", s.name());
        }
    }
}
