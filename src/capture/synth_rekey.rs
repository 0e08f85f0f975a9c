//! A synthetic long stream, as a gateway's capture of a day looks: many
//! peers, each with one IKE SA at a time that it rekeys every hour
//! (CREATE_CHILD_SA on the old SA, a Delete of the old SA, then the new SA in
//! use), and a little ESP both ways every few minutes. For the follow-mode
//! memory benchmark (`qcd diagnose --follow` must hold only the IKE SAs alive,
//! not every SA of the day); SK bodies are filler, never evidence of real
//! behaviour.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::synth::Counting;
use super::write::{esp_body, ip_raw, ip_udp, CaptureWriter, Encap};
use super::{Precision, Timestamp, IKE_PORT};
use crate::spi::Spi;
use crate::wire::{EncryptedRepr, ExchangeType, Flags, MessageRepr, PayloadRepr, PayloadType};

/// What to generate.
#[derive(Debug, Clone)]
pub struct RekeySpec {
    /// Peers, each with its own address and one IKE SA at a time.
    pub peers: u32,
    /// Length of the stream.
    pub duration: Duration,
    /// How often each peer rekeys its IKE SA.
    pub rekey_every: Duration,
    /// How often each peer and the gateway send one ESP packet each.
    pub esp_every: Duration,
}

impl Default for RekeySpec {
    fn default() -> Self {
        RekeySpec {
            peers: 1_000,
            duration: Duration::from_secs(24 * 3600),
            rekey_every: Duration::from_secs(3600),
            esp_every: Duration::from_secs(300),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RekeySummary {
    pub bytes: u64,
    pub frames: u64,
    pub ike: u64,
    pub esp: u64,
    /// IKE SAs in the stream (every peer's first one and every rekey).
    pub ike_sas: u64,
}

fn filler(n: usize, seed: u64) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed as u8))
        .collect()
}

/// The SPIs of peer `p`'s `g`-th IKE SA.
fn spis(p: u32, g: u64) -> (Spi, Spi) {
    let x = (u64::from(p) << 24) | g;
    (
        Spi((0x3000_0000_0000_0000 | x).to_be_bytes()),
        Spi((0x4000_0000_0000_0000 | x).to_be_bytes()),
    )
}

struct Out<W: Write> {
    w: CaptureWriter<Counting<W>>,
    sum: RekeySummary,
    start: i64,
}

impl<W: Write> Out<W> {
    fn packet(&mut self, at: Duration, ip: &[u8], ike: bool) -> io::Result<()> {
        let t = Timestamp::new(
            self.start + at.as_secs() as i64,
            u64::from(at.subsec_nanos()),
            Precision::Nano,
        );
        self.w.write_packet(0, t, &Encap::Ethernet.frame(ip))?;
        self.sum.frames += 1;
        if ike {
            self.sum.ike += 1;
        } else {
            self.sum.esp += 1;
        }
        Ok(())
    }
}

/// Writes the stream (Ethernet, pcap with nanoseconds, from
/// 2023-11-14T22:13:20Z): peer `p` (10.x.y.z) talks to the gateway
/// 198.51.100.1, its packets offset by `p / peers` of `esp_every`; at
/// each rekey the old SA's CREATE_CHILD_SA and Delete exchanges, then a
/// liveness check on the new SA, then ESP on the new Child SA.
pub fn rekey_stream<W: Write>(out: W, spec: &RekeySpec) -> io::Result<RekeySummary> {
    let encap = Encap::Ethernet;
    let counting = Counting { inner: out, n: 0 };
    let w = CaptureWriter::pcap(counting, encap.link_type(false), false, true)?;
    let mut o = Out {
        w,
        sum: RekeySummary::default(),
        start: 1_700_000_000,
    };
    let gw = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
    let step = spec.esp_every.max(Duration::from_millis(10));
    let peers = spec.peers.max(1);
    let per_rekey = (spec.rekey_every.as_nanos() / step.as_nanos()).max(1) as u64;
    let ticks = (spec.duration.as_nanos() / step.as_nanos()) as u64;
    let ms = Duration::from_millis(1);
    let ike = |m: &MessageRepr, from: IpAddr, to: IpAddr| {
        ip_udp(
            SocketAddr::new(from, IKE_PORT),
            SocketAddr::new(to, IKE_PORT),
            &m.to_bytes().unwrap_or_default(),
        )
    };
    let sk = |n: usize, seed: u64| {
        vec![PayloadRepr::encrypted(EncryptedRepr {
            fragment: None,
            first_inner: PayloadType::NONE,
            body: filler(n, seed),
        })]
    };
    for k in 0..ticks {
        for p in 0..peers {
            let peer = IpAddr::V4(Ipv4Addr::new(10, (p >> 16) as u8, (p >> 8) as u8, p as u8));
            let mut at = step * k as u32 + step / peers * p;
            let g = k / per_rekey;
            let (spi_i, spi_r) = spis(p, g);
            let msg = |spi_i, spi_r, exchange, flags, id, payloads| MessageRepr {
                spi_i,
                spi_r,
                exchange,
                flags,
                message_id: id,
                payloads,
            };
            if k == 0 {
                // IKE_SA_INIT and IKE_AUTH of the peer's first IKE SA.
                let init = |flags, spi_r| {
                    msg(
                        spi_i,
                        spi_r,
                        ExchangeType::IKE_SA_INIT,
                        flags,
                        0,
                        vec![PayloadRepr::other(PayloadType::NONCE, filler(32, 1))],
                    )
                };
                o.packet(
                    at,
                    &ike(&init(Flags::INITIATOR, Spi([0; 8])), peer, gw),
                    true,
                )?;
                o.packet(at + ms, &ike(&init(Flags::RESPONSE, spi_r), gw, peer), true)?;
                let auth = |flags| msg(spi_i, spi_r, ExchangeType::IKE_AUTH, flags, 1, sk(192, 2));
                o.packet(at + ms * 2, &ike(&auth(Flags::INITIATOR), peer, gw), true)?;
                o.packet(at + ms * 3, &ike(&auth(Flags::RESPONSE), gw, peer), true)?;
                o.sum.ike_sas += 1;
                at += ms * 4;
            } else if k % per_rekey == 0 {
                // Rekey the previous IKE SA (undecryptable filler), delete
                // it, then the new one carries a liveness check.
                let (old_i, old_r) = spis(p, g - 1);
                let old = |exchange, flags, id| msg(old_i, old_r, exchange, flags, id, sk(96, 3));
                let id = 2 + 2 * (per_rekey as u32);
                let steps = [
                    (
                        old(ExchangeType::CREATE_CHILD_SA, Flags::INITIATOR, id),
                        peer,
                        gw,
                    ),
                    (
                        old(ExchangeType::CREATE_CHILD_SA, Flags::RESPONSE, id),
                        gw,
                        peer,
                    ),
                    (
                        old(ExchangeType::INFORMATIONAL, Flags::INITIATOR, id + 1),
                        peer,
                        gw,
                    ),
                    (
                        old(ExchangeType::INFORMATIONAL, Flags::RESPONSE, id + 1),
                        gw,
                        peer,
                    ),
                    (
                        msg(
                            spi_i,
                            spi_r,
                            ExchangeType::INFORMATIONAL,
                            Flags::INITIATOR,
                            0,
                            sk(32, 4),
                        ),
                        peer,
                        gw,
                    ),
                    (
                        msg(
                            spi_i,
                            spi_r,
                            ExchangeType::INFORMATIONAL,
                            Flags::RESPONSE,
                            0,
                            sk(32, 5),
                        ),
                        gw,
                        peer,
                    ),
                ];
                for (m, from, to) in &steps {
                    o.packet(at, &ike(m, *from, *to), true)?;
                    at += ms;
                }
                o.sum.ike_sas += 1;
            }
            // ESP both ways on the current Child SA.
            let child = (p << 8) | (g as u32 & 0xff);
            let seq = (k % per_rekey) as u32 + 1;
            o.packet(
                at,
                &ip_raw(peer, gw, 50, &esp_body(0xa000_0000 | child, seq, 32)),
                false,
            )?;
            o.packet(
                at + ms,
                &ip_raw(gw, peer, 50, &esp_body(0xb000_0000 | child, seq, 32)),
                false,
            )?;
        }
    }
    o.sum.bytes = o.w.get_ref().n;
    let mut counting = o.w.into_inner();
    counting.flush()?;
    Ok(o.sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::{self, Options, Verdict};

    #[test]
    fn every_rekeyed_sa_is_healthy_and_released_before_the_end() {
        let spec = RekeySpec {
            peers: 5,
            duration: Duration::from_secs(4 * 3600),
            ..RekeySpec::default()
        };
        let mut buf = Vec::new();
        let sum = rekey_stream(&mut buf, &spec).unwrap();
        assert_eq!(sum.ike_sas, 5 * 4);
        let opts = Options::default();
        let reader = crate::capture::CaptureReader::new(
            std::io::Cursor::new(buf),
            "rekey",
            diagnose::reader_options(vec![]),
        )
        .unwrap();
        let mut reports = Vec::new();
        let done = diagnose::follow_reader(reader, None, &opts, |r| {
            reports.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(reports.len(), 20);
        assert!(reports.iter().all(|r| r.verdict == Verdict::Healthy));
        // All but each peer's last IKE SA are out before the end.
        assert_eq!(done.early, 15, "{done:?}");
        assert_eq!(done.after_verdict, 0);
    }
}
