//! Recovery after damage: a record that does not parse is skipped by its
//! length when that is believable, else the bytes after it are scanned for
//! the next plausible record (confirmed by the record after it, or by a
//! pcapng block's trailing copy of its length), and what was skipped is
//! reported.

use super::blocks::{read_u32, NG_EPB, NG_PB, NG_SPB};
use super::{CaptureReader, Format, State, MAX_RECORD};
use crate::capture::warnings::WarningKind;
use crate::capture::Precision;

/// Largest record a resynchronisation scan accepts as the next one.
const RESYNC_KEEP: usize = 256 * 1024 + 64;

fn is_packet_block(data: &[u8], big_endian: bool) -> bool {
    matches!(read_u32(data, 0, big_endian), Some(NG_PB | NG_SPB | NG_EPB))
}

impl CaptureReader<'_> {
    /// A record that does not parse: skip it by its length if that is
    /// believable, else scan for the next plausible record.
    pub(super) fn bad_record(&mut self, offset: u64, reason: String) {
        self.to_consume = 0;
        let data = self.reader.data();
        if let Format::Ng { .. } = self.st.format {
            if let Some(len) = self.st.record_len(data).filter(|l| *l <= MAX_RECORD) {
                if is_packet_block(data, self.st.big_endian()) {
                    self.st.frame += 1;
                }
                let frame = self.st.frame;
                self.st
                    .warn(Some(frame), offset, WarningKind::BadRecord { reason });
                self.to_skip = len as u64;
                return;
            }
        }
        // Count the damaged record as one frame (a pcapng block only if its
        // type says packet), so later frame numbers stay those of the file.
        let counts = match self.st.format {
            Format::Ng { big_endian } => is_packet_block(data, big_endian),
            _ => true,
        };
        if counts {
            self.st.frame += 1;
        }
        let frame = self.st.frame.max(1);
        self.st
            .warn(Some(frame), offset, WarningKind::BadRecord { reason });
        self.resync(offset);
    }

    /// Scans forward for a plausible record header.
    fn resync(&mut self, offset: u64) {
        let from = *self.resync_from.get_or_insert(offset);
        loop {
            let data = self.reader.data();
            let len = data.len();
            if let Some(k) = self.st.scan(data) {
                self.reader.consume_noshift(k);
                let skipped = self.reader.consumed() as u64 - from;
                self.st
                    .warn(None, from, WarningKind::SkippedBytes { len: skipped });
                self.resync_from = None;
                return;
            }
            if self.reader.reader_exhausted() {
                self.reader.consume_noshift(len);
                let skipped = self.reader.consumed() as u64 - from;
                self.st
                    .warn(None, from, WarningKind::SkippedBytes { len: skipped });
                self.done = true;
                return;
            }
            // Keep a tail that may hold the start of the next record, so a
            // record cut by the end of the buffer is seen whole next time.
            self.reader
                .consume_noshift(len - (len / 2).min(RESYNC_KEEP));
            self.refill();
            if self.done {
                return;
            }
        }
    }
}

impl State {
    fn plausible_legacy(&self, data: &[u8], at: usize) -> Option<usize> {
        let Format::Legacy {
            big_endian,
            precision,
            max_caplen,
        } = self.format
        else {
            return None;
        };
        let secs = read_u32(data, at, big_endian)?;
        let frac = read_u32(data, at + 4, big_endian)?;
        let caplen = read_u32(data, at + 8, big_endian)?;
        let origlen = read_u32(data, at + 12, big_endian)?;
        let frac_max = if precision == Precision::Nano {
            1_000_000_000
        } else {
            1_000_000
        };
        let near = self
            .last_secs
            .is_none_or(|l| (i64::from(secs) - l).abs() <= 7 * 86_400);
        (frac < frac_max && caplen <= max_caplen && caplen <= origlen && caplen > 0 && near)
            .then_some(at + 16 + caplen as usize)
    }

    /// Offset (≥ 1) of the next plausible record in `data`.
    fn scan(&self, data: &[u8]) -> Option<usize> {
        for k in 1..data.len() {
            match self.format {
                Format::Legacy { .. } => {
                    let Some(next) = self.plausible_legacy(data, k) else {
                        continue;
                    };
                    // Confirm with the record after it when it is in view.
                    if next == data.len() || self.plausible_legacy(data, next).is_some() {
                        return Some(k);
                    }
                }
                Format::Ng { big_endian } => {
                    let Some(t) = read_u32(data, k, big_endian) else {
                        continue;
                    };
                    if !matches!(t, 1 | 3 | 4 | 5 | 6 | 0x0a0d0d0a) {
                        continue;
                    }
                    let Some(len) = read_u32(data, k + 4, big_endian).map(|l| l as usize) else {
                        continue;
                    };
                    if len < 12 || !len.is_multiple_of(4) || len > RESYNC_KEEP {
                        continue;
                    }
                    // The trailing copy of the length must be in view and agree.
                    if read_u32(data, k + len - 4, big_endian) == Some(len as u32) {
                        return Some(k);
                    }
                }
                Format::Unknown => return None,
            }
        }
        None
    }
}
