//! The bytes handed to pcap-parser: the magic number the reader sniffed,
//! put back in front, then reads that fill the buffer (or, following a
//! live capture, that return as soon as bytes came).

use super::blocks::{read_u32, NG_SHB};
use std::io::Read;

/// Reads up to 4 bytes (a capture's magic number) from `r`, retrying short
/// and interrupted reads; returns how many were read (fewer at end of input).
pub fn read_head(r: &mut impl Read, head: &mut [u8; 4]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < head.len() {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Hands back the sniffed bytes, then fills each buffer as far as the input
/// allows: pcap-parser reads the file header with a single `read`, and full
/// reads keep the number of refills low. `live`: return once a read gave
/// bytes (a pipe may hold the rest back for minutes).
pub(super) struct FillReader<R> {
    head: [u8; 4],
    head_len: usize,
    head_pos: usize,
    inner: R,
    live: bool,
    /// Reads served: pcap-parser looks at the file header with the first
    /// and reads again at once (its `from_buffer`), which on a pipe would
    /// wait for the next packet: a live reader answers that one with 0
    /// bytes (not the end: the parser asks again when it needs data).
    reads: u8,
}

impl<R> FillReader<R> {
    /// Reads `head[..head_len]` (the bytes already taken from `inner`), then
    /// `inner`.
    pub(super) fn new(head: [u8; 4], head_len: usize, inner: R, live: bool) -> Self {
        FillReader {
            head,
            head_len,
            head_pos: 0,
            inner,
            live,
            reads: 0,
        }
    }

    /// How many bytes a live read must gather before it returns: the whole
    /// file header on the first read (pcap-parser parses it from that one
    /// read), then anything.
    fn wanted(&self, buf: &[u8], n: usize) -> usize {
        if !self.live {
            return buf.len();
        }
        if self.reads > 1 {
            return 1;
        }
        let want = if self.head[..self.head_len] == NG_SHB.to_le_bytes() {
            // Type, length, byte-order magic; then the whole block.
            match buf.get(8..12).filter(|_| n >= 12) {
                Some(&[0x1a, 0x2b, 0x3c, 0x4d]) => read_u32(buf, 4, true).unwrap_or(0) as usize,
                Some(_) => read_u32(buf, 4, false).unwrap_or(0) as usize,
                None => 12,
            }
        } else {
            // A classic pcap file header.
            24
        };
        want.clamp(1, buf.len())
    }
}

impl<R: Read> Read for FillReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reads = self.reads.saturating_add(1);
        if self.live && self.reads == 2 && self.head_pos == self.head_len {
            return Ok(0);
        }
        let mut n = 0;
        while self.head_pos < self.head_len && n < buf.len() {
            buf[n] = self.head[self.head_pos];
            self.head_pos += 1;
            n += 1;
        }
        while n < self.wanted(buf, n) {
            match self.inner.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if n == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(n)
    }
}
