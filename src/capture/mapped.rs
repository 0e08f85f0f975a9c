//! Zero-copy reading of a capture *file*: windows of the file are mapped
//! into memory (memmap2) and parsed in place with pcap-parser's slice
//! parsers, behind the same [`PcapReaderIterator`] interface as
//! pcap-parser's buffered readers, so the rest of the reader (damage
//! handling, resynchronisation, reassembly) is shared. This saves the copy
//! from the page cache into a read buffer that dominates reading a capture.
//!
//! Not for pipes, stdin or anything that is not a regular file (the caller
//! falls back to `read`). One window is mapped at a time (the size of the
//! read buffer, growing like it for a huge record), so memory stays bounded.
//!
//! Risk, and why this is only used for regular files opened read-only: if
//! another process truncates the file while a window is mapped, touching
//! the lost pages raises SIGBUS and the process dies (a capture still being
//! written by tcpdump only grows, which is safe: qcd reads up to the length
//! the file had when opened). Used only when asked for ([`super::Options::map`],
//! `QCD_MMAP=1` in the CLI): on the machines measured, plain reads were faster.

use pcap_parser::nom::{self, Needed, Offset};
use pcap_parser::pcapng::{parse_block_be, parse_block_le, parse_sectionheaderblock, Block};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
    LegacyPcapBlock, PcapBlockOwned, PcapError, PcapHeader,
};
use std::fs::File;

type LegacyParseFn = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

enum Kind {
    Legacy {
        header: PcapHeader,
        header_sent: bool,
        parse: LegacyParseFn,
    },
    Ng {
        big_endian: bool,
    },
}

/// A [`PcapReaderIterator`] over mapped windows of a file.
pub(super) struct MappedReader {
    file: File,
    /// File length when opened; nothing past it is read.
    len: u64,
    window: Option<memmap2::Mmap>,
    /// File offset of `window[0]`.
    win_start: u64,
    /// Consumed bytes of the window.
    pos: usize,
    win_size: usize,
    consumed: usize,
    /// A refill found nothing more: like a `read` returning 0, so damage
    /// at the end of the file is judged exactly as on the `read` path.
    eof: bool,
    kind: Kind,
}

/// Why a file could not be mapped; the caller falls back to `read`.
#[derive(Debug)]
pub(super) enum MapError {
    /// Not mappable (empty, not a regular file, mmap failed): use `read`.
    Unsupported,
    /// Mapped, but the header does not parse.
    Header(String),
}

impl MappedReader {
    pub(super) fn new(file: File, win_size: usize) -> Result<MappedReader, MapError> {
        let meta = file.metadata().map_err(|_| MapError::Unsupported)?;
        if !meta.is_file() || meta.len() == 0 {
            return Err(MapError::Unsupported);
        }
        let mut r = MappedReader {
            file,
            len: meta.len(),
            window: None,
            win_start: 0,
            pos: 0,
            win_size: win_size.max(64 * 1024),
            consumed: 0,
            eof: false,
            kind: Kind::Ng { big_endian: false },
        };
        r.map_at(0).map_err(|_| MapError::Unsupported)?;
        let data = r.data();
        let describe = |e: nom::Err<PcapError<&[u8]>>| match e {
            nom::Err::Incomplete(_) => "file too short".to_string(),
            nom::Err::Error(e) | nom::Err::Failure(e) => super::reader::describe(&e),
        };
        r.kind = if parse_sectionheaderblock(data).is_ok() {
            Kind::Ng { big_endian: false }
        } else {
            let (_, header) = parse_pcap_header(data).map_err(|e| MapError::Header(describe(e)))?;
            let parse: LegacyParseFn = if header.is_modified_format() {
                parse_pcap_frame_modified
            } else if header.is_bigendian() {
                parse_pcap_frame_be
            } else {
                parse_pcap_frame
            };
            Kind::Legacy {
                header,
                header_sent: false,
                parse,
            }
        };
        Ok(r)
    }

    /// Maps the window starting at file offset `at`.
    fn map_at(&mut self, at: u64) -> std::io::Result<()> {
        self.window = None;
        self.win_start = at;
        self.pos = 0;
        let len = (self.len - at.min(self.len)).min(self.win_size as u64) as usize;
        if len == 0 {
            return Ok(());
        }
        // SAFETY: the file is a regular file opened read-only and the window
        // lies within the length it had when opened. The mapping is only
        // read through shared references while `self` holds it. A concurrent
        // truncation by another process would raise SIGBUS (documented in
        // the module doc; mapping is opt-in for that reason too).
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(at)
                .len(len)
                .populate()
                .map(&self.file)?
        };
        self.window = Some(map);
        Ok(())
    }

    fn window_end(&self) -> u64 {
        self.win_start + self.window.as_ref().map_or(0, |w| w.len() as u64)
    }
}

impl PcapReaderIterator for MappedReader {
    fn next(&mut self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        if let Kind::Legacy {
            header,
            header_sent: sent @ false,
            ..
        } = &mut self.kind
        {
            *sent = true;
            return Ok((header.size(), PcapBlockOwned::from(header.clone())));
        }
        let exhausted = self.eof;
        let win_size = self.win_size;
        let data = match &self.window {
            Some(w) => &w[self.pos.min(w.len())..],
            None => &[][..],
        };
        if data.is_empty() && exhausted {
            return Err(PcapError::Eof);
        }
        let result = match &mut self.kind {
            Kind::Legacy { parse, .. } => {
                parse(data).map(|(rem, b)| (rem, PcapBlockOwned::from(b)))
            }
            Kind::Ng { big_endian } => {
                let parse = if *big_endian {
                    parse_block_be
                } else {
                    parse_block_le
                };
                parse(data).map(|(rem, b)| {
                    if let Block::SectionHeader(ref shb) = b {
                        *big_endian = shb.big_endian();
                    }
                    (rem, PcapBlockOwned::from(b))
                })
            }
        };
        match result {
            Ok((rem, b)) => Ok((data.offset(rem), b)),
            Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) if exhausted => Err(PcapError::UnexpectedEof),
            Err(nom::Err::Incomplete(Needed::Size(n))) => {
                if data.len() + usize::from(n) >= win_size {
                    Err(PcapError::BufferTooSmall)
                } else {
                    Err(PcapError::Incomplete(n.into()))
                }
            }
            Err(nom::Err::Incomplete(Needed::Unknown)) => Err(PcapError::Incomplete(0)),
        }
    }

    fn consume(&mut self, offset: usize) {
        self.consume_noshift(offset);
    }

    fn consume_noshift(&mut self, offset: usize) {
        let avail = self.window.as_ref().map_or(0, |w| w.len()) - self.pos;
        let n = offset.min(avail);
        self.pos += n;
        self.consumed += n;
    }

    fn consumed(&self) -> usize {
        self.consumed
    }

    fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        if self.window_end() >= self.len {
            self.eof = true;
        }
        let at = self.win_start + self.pos as u64;
        self.map_at(at).map_err(|_| PcapError::ReadError)
    }

    fn position(&self) -> usize {
        self.pos
    }

    fn grow(&mut self, new_size: usize) -> bool {
        if new_size <= self.win_size {
            return false;
        }
        self.win_size = new_size;
        let at = self.win_start + self.pos as u64;
        self.map_at(at).is_ok()
    }

    fn data(&self) -> &[u8] {
        match &self.window {
            Some(w) => &w[self.pos.min(w.len())..],
            None => &[],
        }
    }

    fn reader_exhausted(&self) -> bool {
        self.eof
    }
}
