//! The benchmark captures of the hidden `qcd generate-capture`, written to a
//! file: the ESP-heavy one ([`super::synth`]) with its IKE message mix
//! ([`sample_messages`]), the IKE-heavy one ([`super::synth_ike`]) and the
//! rekey stream ([`super::synth_rekey`]), and what was written ([`Written`]).
//! The command only parses its arguments into a spec and prints the record.
//! Not evidence of real behaviour: the messages are built with the wire
//! Reprs, and SK and ESP bodies are filler.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::synth::{synth, SynthSpec, SynthSummary};
use super::synth_ike::{ike_heavy, IkeHeavySpec, IkeHeavySummary};
use super::synth_rekey::{rekey_stream, RekeySpec, RekeySummary};
use crate::spi::Spi;
use crate::wire::{
    EncryptedRepr, ExchangeType, Flags, MessageRepr, NotifyRepr, NotifyType, PayloadRepr,
    PayloadType, WireError,
};

/// The ESP packet sizes the ESP-heavy capture accepts (IP header included).
pub const ESP_SIZES: std::ops::RangeInclusive<usize> = 60..=65_000;

/// Why a benchmark capture was not written (completely).
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("--esp-size must be between 60 and 65000 bytes")]
    EspSize { size: usize },
    #[error("cannot build a sample IKE message")]
    Message(#[source] WireError),
    #[error("cannot create {}", path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The SA payload body of the sample IKE_SA_INIT messages: one IKE proposal
/// (ENCR_AES_CBC-256, PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128, group 19).
const SA_BODY: [u8; 44] = [
    0x00, 0x00, 0x00, 0x2c, 0x01, 0x01, 0x00, 0x04, 0x03, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x0c,
    0x80, 0x0e, 0x01, 0x00, 0x03, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x05, 0x03, 0x00, 0x00, 0x08,
    0x03, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x04, 0x00, 0x00, 0x13,
];

/// A realistic exchange mix between the generator's two gateways: IKE_SA_INIT
/// request and response, IKE_AUTH request and response (SK, opaque), a DPD
/// INFORMATIONAL (empty SK) and, after a reboot of the responder, the
/// unprotected reply INVALID_IKE_SPI + QCD_TOKEN.
pub fn sample_messages() -> Result<Vec<Vec<u8>>, SynthError> {
    let spi_i = Spi([0x5a, 0x1e, 0x0c, 0x7f, 0x3b, 0x92, 0x40, 0x11]);
    let spi_r = Spi([0xc3, 0x08, 0x66, 0x2d, 0x91, 0xe4, 0x7a, 0x05]);
    let filler = |n: usize, seed: u8| -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    };
    let sk = |first: PayloadType, n: usize, seed: u8| {
        PayloadRepr::encrypted(EncryptedRepr {
            fragment: None,
            first_inner: first,
            body: filler(n, seed),
        })
    };
    let msg = |spi_r: Spi, exchange, flags, message_id, payloads| MessageRepr {
        spi_i,
        spi_r,
        exchange,
        flags,
        message_id,
        payloads,
    };
    let token: Vec<u8> = filler(32, 0x42);
    let mut ke = vec![0, 19, 0, 0];
    ke.extend(filler(32, 7));
    let init = |nonce_seed: u8, extra: Vec<PayloadRepr>| {
        let mut p = vec![
            PayloadRepr::other(PayloadType::SA, SA_BODY.to_vec()),
            PayloadRepr::other(PayloadType::KE, ke.clone()),
            PayloadRepr::other(PayloadType::NONCE, filler(32, nonce_seed)),
        ];
        p.extend(extra);
        p
    };
    let messages = [
        msg(
            Spi([0; 8]),
            ExchangeType::IKE_SA_INIT,
            Flags::INITIATOR,
            0,
            init(
                1,
                vec![PayloadRepr::notify(NotifyRepr::new(
                    0,
                    NotifyType::NAT_DETECTION_SOURCE_IP,
                    filler(20, 2),
                ))],
            ),
        ),
        msg(
            spi_r,
            ExchangeType::IKE_SA_INIT,
            Flags::RESPONSE,
            0,
            init(3, vec![]),
        ),
        msg(
            spi_r,
            ExchangeType::IKE_AUTH,
            Flags::INITIATOR,
            1,
            vec![sk(PayloadType::IDI, 240, 4)],
        ),
        msg(
            spi_r,
            ExchangeType::IKE_AUTH,
            Flags::RESPONSE,
            1,
            vec![sk(PayloadType::IDR, 208, 5)],
        ),
        msg(
            spi_r,
            ExchangeType::INFORMATIONAL,
            Flags::INITIATOR,
            2,
            vec![sk(PayloadType::NONE, 32, 6)],
        ),
        msg(
            spi_r,
            ExchangeType::INFORMATIONAL,
            Flags::RESPONSE,
            2,
            vec![
                PayloadRepr::notify(NotifyRepr::new(0, NotifyType::INVALID_IKE_SPI, vec![])),
                PayloadRepr::notify(NotifyRepr::qcd_token(&token)),
            ],
        ),
    ];
    messages
        .iter()
        .map(|m| m.to_bytes().map_err(SynthError::Message))
        .collect()
}

fn create(path: &Path) -> Result<BufWriter<File>, SynthError> {
    let file = File::create(path).map_err(|source| SynthError::Create {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(BufWriter::with_capacity(1 << 20, file))
}

fn write_error(path: &Path) -> impl FnOnce(io::Error) -> SynthError + '_ {
    move |source| SynthError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the ESP-heavy capture of `spec`, with [`sample_messages`], to `path`.
pub fn write_esp_heavy(path: &Path, spec: &SynthSpec) -> Result<SynthSummary, SynthError> {
    if !ESP_SIZES.contains(&spec.esp_size) {
        return Err(SynthError::EspSize {
            size: spec.esp_size,
        });
    }
    let ike = sample_messages()?;
    synth(create(path)?, spec, &ike).map_err(write_error(path))
}

/// Writes the IKE-heavy capture of `spec` to `path`.
pub fn write_ike_heavy(path: &Path, spec: &IkeHeavySpec) -> Result<IkeHeavySummary, SynthError> {
    ike_heavy(create(path)?, spec).map_err(write_error(path))
}

/// Writes the rekey stream of `spec` to `path`.
pub fn write_rekey(path: &Path, spec: &RekeySpec) -> Result<RekeySummary, SynthError> {
    rekey_stream(create(path)?, spec).map_err(write_error(path))
}

/// What `generate-capture` wrote, as it reports it: `--json` prints the
/// record (keys in alphabetical order; a kind's absent counts left out),
/// text the one line of [`Written`]'s `Display`.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub bytes: u64,
    pub esp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub esp_udp: Option<u64>,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragments: Option<u64>,
    pub frames: u64,
    pub ike: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ike_sas: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qcd_replies: Option<u64>,
    /// The text's parenthesis: what the capture holds.
    #[serde(skip)]
    holds: String,
}

impl Written {
    /// The ESP-heavy capture written to `path`.
    pub fn esp_heavy(path: &Path, s: &SynthSummary) -> Written {
        Written {
            esp_udp: Some(s.esp_udp),
            holds: format!("{} IKE, {} ESP, {} ESP in UDP", s.ike, s.esp, s.esp_udp),
            ..Written::new(path, s.bytes, s.frames, s.ike, s.esp)
        }
    }

    /// The IKE-heavy capture of `sas` IKE SAs written to `path`.
    pub fn ike_heavy(path: &Path, sas: u64, s: &IkeHeavySummary) -> Written {
        Written {
            fragments: Some(s.fragments),
            ike_sas: Some(sas),
            qcd_replies: Some(s.qcd_replies),
            holds: format!(
                "{sas} IKE SAs, {} IKE messages, {} ESP, {} QCD replies, {} IP fragments",
                s.ike, s.esp, s.qcd_replies, s.fragments
            ),
            ..Written::new(path, s.bytes, s.frames, s.ike, s.esp)
        }
    }

    /// The rekey stream of `spec` written to `path`.
    pub fn rekey(path: &Path, spec: &RekeySpec, s: &RekeySummary) -> Written {
        Written {
            ike_sas: Some(s.ike_sas),
            holds: format!(
                "{} peers over {} h, {} IKE SAs, {} IKE messages, {} ESP",
                spec.peers,
                spec.duration.as_secs() / 3600,
                s.ike_sas,
                s.ike,
                s.esp
            ),
            ..Written::new(path, s.bytes, s.frames, s.ike, s.esp)
        }
    }

    fn new(path: &Path, bytes: u64, frames: u64, ike: u64, esp: u64) -> Written {
        Written {
            bytes,
            esp,
            esp_udp: None,
            file: path.display().to_string(),
            fragments: None,
            frames,
            ike,
            ike_sas: None,
            qcd_replies: None,
            holds: String::new(),
        }
    }
}

/// `FILE: N bytes, N frames (what it holds)`.
impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} bytes, {} frames ({})",
            self.file, self.bytes, self.frames, self.holds
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record keeps the keys of the JSON object the command printed
    /// before it had a type (serde_json's map: alphabetical).
    #[test]
    fn written_records() {
        let s = IkeHeavySummary {
            bytes: 10,
            frames: 4,
            ike: 3,
            esp: 1,
            qcd_replies: 1,
            fragments: 0,
        };
        let w = Written::ike_heavy(Path::new("x.pcap"), 2, &s);
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"bytes":10,"esp":1,"file":"x.pcap","fragments":0,"frames":4,"ike":3,"ike_sas":2,"qcd_replies":1}"#
        );
        assert_eq!(
            w.to_string(),
            "x.pcap: 10 bytes, 4 frames (2 IKE SAs, 3 IKE messages, 1 ESP, 1 QCD replies, 0 IP fragments)"
        );
        let s = SynthSummary {
            bytes: 9,
            frames: 3,
            ike: 1,
            esp: 1,
            esp_udp: 1,
        };
        let w = Written::esp_heavy(Path::new("y.pcap"), &s);
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"bytes":9,"esp":1,"esp_udp":1,"file":"y.pcap","frames":3,"ike":1}"#
        );
        assert_eq!(
            w.to_string(),
            "y.pcap: 9 bytes, 3 frames (1 IKE, 1 ESP, 1 ESP in UDP)"
        );
    }

    #[test]
    fn samples_decode_as_the_exchanges_they_claim() {
        let m = sample_messages().unwrap();
        assert_eq!(m.len(), 6);
        for bytes in &m {
            crate::decode::test_message(bytes, None).unwrap();
        }
        let sa = crate::wire::Header::new_checked(&m[0][..]).unwrap();
        assert_eq!(sa.exchange_type(), ExchangeType::IKE_SA_INIT);
        let last =
            MessageRepr::parse(&crate::wire::Header::new_checked(&m[5][..]).unwrap()).unwrap();
        assert_eq!(last.payloads.len(), 2);
    }

    #[test]
    fn esp_sizes_are_checked_before_the_file_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.pcap");
        for size in [59, 65_001] {
            let spec = SynthSpec {
                esp_size: size,
                ..SynthSpec::default()
            };
            assert!(matches!(
                write_esp_heavy(&path, &spec),
                Err(SynthError::EspSize { .. })
            ));
        }
        assert!(!path.exists());
        let spec = SynthSpec {
            size: 500_000,
            ike_count: 10,
            ..SynthSpec::default()
        };
        let s = write_esp_heavy(&path, &spec).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), s.bytes);
        assert!(s.ike > 0 && s.esp > 0);
    }
}
