//! pcap records and pcapng blocks: the file's format and byte order, its
//! interfaces (link type, time resolution and offset), each packet record
//! handed on with its time, and the pcapng blocks qcd skips unread.

use super::{CaptureReader, Format, Iface, State, Step, MAX_RECORD};
use crate::capture::link::LinkType;
use crate::capture::warnings::WarningKind;
use crate::capture::{Precision, Timestamp};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{PcapBlockOwned, PcapError};

/// Classic pcap records larger than this and than the snaplen are damage.
const MAX_PLAUSIBLE_CAPLEN: u32 = 256 * 1024;

/// pcapng block types qcd reads.
pub(super) const NG_SHB: u32 = 0x0a0d_0d0a;
const NG_IDB: u32 = 1;
/// The obsolete Packet Block (pcapng draft), still written by old tools.
pub(super) const NG_PB: u32 = 2;
pub(super) const NG_SPB: u32 = 3;
pub(super) const NG_EPB: u32 = 6;

/// The 32-bit field at `at`, in the file's byte order; `None` past the end.
pub(super) fn read_u32(data: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

/// A pcap-parser error in words, for warnings and errors.
pub(super) fn describe<I>(e: &PcapError<I>) -> String {
    match e {
        PcapError::Eof => "end of file".into(),
        PcapError::BufferTooSmall => "record larger than the read buffer".into(),
        PcapError::UnexpectedEof => "file ends inside a record".into(),
        PcapError::ReadError => "read error".into(),
        PcapError::Incomplete(_) => "file too short".into(),
        PcapError::HeaderNotRecognized => "header not recognised".into(),
        PcapError::NomError(_, k) | PcapError::OwnedNomError(_, k) => {
            format!("block does not parse ({k:?})")
        }
    }
}

impl CaptureReader<'_> {
    /// A pcapng block of a type qcd does not read (anything but section
    /// header, interface description, enhanced, simple and obsolete packet
    /// blocks) is skipped by its length, without parsing its body, as
    /// Wireshark does: an unknown type with an empty body, a known-to-others
    /// type (name resolution, statistics, custom, decryption secrets…) with a
    /// body its parser would refuse, or a block larger than the read buffer
    /// (skipped as a stream). The trailing copy of the length is checked when
    /// the block is in view. `None` when the block is one qcd reads, or when
    /// its header is not yet in the buffer.
    pub(super) fn skip_unread_block(&mut self) -> Option<Step> {
        let Format::Ng { big_endian } = self.st.format else {
            return None;
        };
        let data = self.reader.data();
        let kind = read_u32(data, 0, big_endian)?;
        if matches!(kind, NG_SHB | NG_IDB | NG_PB | NG_SPB | NG_EPB) {
            return None;
        }
        let len = read_u32(data, 4, big_endian)?;
        if len < 12 || !len.is_multiple_of(4) {
            return Some(Step::Bad(format!(
                "block of type {kind:#x} has an invalid length {len} (at least 12, a multiple of 4)"
            )));
        }
        let len = len as usize;
        if len <= data.len() {
            let trailer = read_u32(data, len - 4, big_endian)?;
            if trailer as usize != len {
                return Some(Step::Bad(format!(
                    "block of type {kind:#x}: its trailing length {trailer} differs from its length {len}"
                )));
            }
            self.to_consume = len;
        } else {
            self.to_skip = len as u64;
        }
        self.st.counters.skipped_blocks += 1;
        Some(Step::Continue)
    }
}

impl State {
    /// Why the header at the start of `data`, not yet complete, cannot be
    /// believed (so the reader does not wait for bytes that will not come).
    pub(super) fn implausible_header(&self, data: &[u8]) -> Option<String> {
        match self.format {
            Format::Legacy {
                big_endian,
                max_caplen,
                ..
            } => {
                let caplen = read_u32(data, 8, big_endian)?;
                (caplen > max_caplen)
                    .then(|| format!("captured length {caplen} is larger than any packet"))
            }
            Format::Ng { big_endian } => {
                let len = read_u32(data, 4, big_endian)?;
                (len < 12 || !len.is_multiple_of(4))
                    .then(|| format!("block length {len} is invalid"))
            }
            Format::Unknown => None,
        }
    }

    /// The whole length of the record at the start of `data`, from its header.
    pub(super) fn record_len(&self, data: &[u8]) -> Option<usize> {
        match self.format {
            Format::Legacy { big_endian, .. } => {
                read_u32(data, 8, big_endian).map(|c| c as usize + 16)
            }
            Format::Ng { big_endian } => {
                let len = read_u32(data, 4, big_endian)? as usize;
                (len >= 12 && len.is_multiple_of(4)).then_some(len)
            }
            Format::Unknown => None,
        }
    }

    pub(super) fn block(&mut self, block: PcapBlockOwned<'_>, offset: u64, base: usize) -> Step {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                let precision = if h.is_nanosecond_precision() {
                    Precision::Nano
                } else {
                    Precision::Micro
                };
                self.format = Format::Legacy {
                    big_endian: h.is_bigendian(),
                    precision,
                    max_caplen: h.snaplen.clamp(MAX_PLAUSIBLE_CAPLEN, MAX_RECORD as u32),
                };
                self.legacy_link = Some(Iface {
                    link: LinkType(h.network.0 as u32),
                    resolution: 0,
                    offset: 0,
                    precision,
                    warned: false,
                });
                Step::Continue
            }
            PcapBlockOwned::Legacy(b) => {
                self.frame += 1;
                let Some(mut iface) = self.legacy_link else {
                    return Step::Continue;
                };
                if let Format::Legacy { max_caplen, .. } = self.format {
                    if b.caplen > max_caplen {
                        self.frame -= 1;
                        return Step::Bad(format!(
                            "captured length {} is larger than any packet",
                            b.caplen
                        ));
                    }
                }
                let secs = i64::from(b.ts_sec);
                self.last_secs = Some(secs);
                let nanos = match iface.precision {
                    Precision::Nano => u64::from(b.ts_usec),
                    Precision::Micro => u64::from(b.ts_usec) * 1000,
                };
                let time = Timestamp::new(secs, nanos, iface.precision);
                let step = self.packet(&mut iface, b.data, Some(time), offset, base);
                self.legacy_link = Some(iface);
                step
            }
            PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                self.format = Format::Ng {
                    big_endian: shb.big_endian(),
                };
                self.ifaces.clear();
                Step::Continue
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                let resolution = match idb.ts_resolution() {
                    Some(r) if r > 0 => r,
                    _ => {
                        self.warn(
                            None,
                            offset,
                            WarningKind::MalformedPacket {
                                reason: format!(
                                    "interface {} has an invalid if_tsresol {:#x}; microseconds assumed",
                                    self.ifaces.len(),
                                    idb.if_tsresol
                                ),
                            },
                        );
                        1_000_000
                    }
                };
                self.ifaces.push(Iface {
                    link: LinkType(idb.linktype.0 as u32),
                    resolution,
                    offset: idb.if_tsoffset,
                    precision: if resolution > 1_000_000 {
                        Precision::Nano
                    } else {
                        Precision::Micro
                    },
                    warned: false,
                });
                Step::Continue
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                self.frame += 1;
                let Some(mut iface) = self.ifaces.get(epb.if_id as usize).copied() else {
                    let frame = self.frame;
                    self.warn(
                        Some(frame),
                        offset,
                        WarningKind::UnknownInterface { if_id: epb.if_id },
                    );
                    return Step::Continue;
                };
                let time = iface.time((u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low));
                let step = self.packet(&mut iface, epb.packet_data(), Some(time), offset, base);
                if let Some(slot) = self.ifaces.get_mut(epb.if_id as usize) {
                    *slot = iface;
                }
                step
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                self.frame += 1;
                let Some(mut iface) = self.ifaces.first().copied() else {
                    let frame = self.frame;
                    self.warn(
                        Some(frame),
                        offset,
                        WarningKind::UnknownInterface { if_id: 0 },
                    );
                    return Step::Continue;
                };
                let step = self.packet(&mut iface, spb.packet_data(), None, offset, base);
                if let Some(slot) = self.ifaces.first_mut() {
                    *slot = iface;
                }
                step
            }
            // pcap-parser reads an unknown block's type as little-endian.
            PcapBlockOwned::NG(Block::Unknown(ub))
                if (if self.big_endian() {
                    ub.block_type.swap_bytes()
                } else {
                    ub.block_type
                }) == NG_PB =>
            {
                self.obsolete_packet(ub.data, offset, base)
            }
            PcapBlockOwned::NG(_) => Step::Continue,
        }
    }

    /// The obsolete Packet Block: interface (2 bytes), drops (2), timestamp
    /// high and low (4 + 4), captured and original length (4 + 4), data.
    fn obsolete_packet(&mut self, body: &[u8], offset: u64, base: usize) -> Step {
        self.frame += 1;
        let be = self.big_endian();
        let Some(head) = body.get(..20) else {
            self.frame -= 1;
            return Step::Bad("packet block shorter than its header".into());
        };
        let if_id = u32::from(if be {
            u16::from_be_bytes([head[0], head[1]])
        } else {
            u16::from_le_bytes([head[0], head[1]])
        });
        let (Some(ts_high), Some(ts_low), Some(caplen)) = (
            read_u32(head, 4, be),
            read_u32(head, 8, be),
            read_u32(head, 12, be),
        ) else {
            unreachable!("20 bytes hold these fields");
        };
        let Some(packet) = body.get(20..20 + caplen as usize) else {
            self.frame -= 1;
            return Step::Bad(format!(
                "packet block: captured length {caplen} is larger than the block"
            ));
        };
        let Some(mut iface) = self.ifaces.get(if_id as usize).copied() else {
            let frame = self.frame;
            self.warn(Some(frame), offset, WarningKind::UnknownInterface { if_id });
            return Step::Continue;
        };
        let time = iface.time(u64::from(ts_high) << 32 | u64::from(ts_low));
        let step = self.packet(&mut iface, packet, Some(time), offset, base);
        if let Some(slot) = self.ifaces.get_mut(if_id as usize) {
            *slot = iface;
        }
        step
    }
}
