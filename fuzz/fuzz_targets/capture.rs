//! Fuzzes the capture reader (pcap and pcapng through `pcap-parser`, link
//! layers, IP reassembly, NAT-T framing, ESP accounting, ICMP errors
//! quoting IKE or ESP): on any file,
//! `CaptureReader::new` and draining `next_event` never panic and end
//! (libFuzzer's -timeout catches a loop), memory stays bounded (run with
//! -rss_limit_mb=2048), and the counters agree with the events handed out.
//!
//! Each input is read twice: from a `Cursor` (a file), and through a reader
//! that hands out at most a few bytes per `read` call (a pipe), which drives
//! the refill paths; then twice more as `--follow` reads (`ReadOptions::live`:
//! each read handed on as it comes, pcap-parser's second header read
//! answered with nothing), which must give the same events as the file
//! read; and once through the diagnosis in follow mode
//! (`diagnose::follow_reader`: verdicts released while the stream goes on,
//! released SAs forgotten), which must never panic and hand out every report
//! it counts.
#![no_main]

use std::io::{Cursor, Read};

use libfuzzer_sys::fuzz_target;
use qcd::capture::{CaptureReader, Event, ReadOptions};

/// Returns at most `chunk` bytes per read, varying the size call by call.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
    calls: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.calls += 1;
        let n = (1 + self.calls % self.chunk)
            .min(buf.len())
            .min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Drains the reader; returns (kind, frame) of each packet event, or `None`
/// when the input is refused.
fn drain<R: Read>(input: R, opts: ReadOptions) -> Option<Vec<(u8, u64)>> {
    let Ok(mut reader) = CaptureReader::new(input, "fuzz", opts) else {
        return None;
    };
    let (mut ike, mut warnings) = (0u64, 0u64);
    let mut seen = Vec::new();
    while let Some(event) = reader.next_event() {
        match event {
            Event::Ike(d) => {
                seen.push((0, d.frame));
                ike += 1;
                assert!(d.payload.len() <= 65535, "a UDP payload over 64 KiB");
            }
            Event::Esp { frame, .. } => seen.push((1, frame)),
            Event::Icmp { frame, .. } => seen.push((2, frame)),
            Event::Warning(w) => {
                warnings += 1;
                let _ = w.to_string();
            }
        }
    }
    let c = reader.counters();
    assert_eq!(c.ike, ike, "IKE events and counter disagree");
    assert_eq!(c.warnings, warnings, "warnings and counter disagree");
    assert!(reader.next_event().is_none(), "events after the end");
    Some(seen)
}

fuzz_target!(|data: &[u8]| {
    // The defaults, except the read buffer: the minimum (64 KiB) instead of
    // 4 MiB, which changes nothing for inputs this small but saves a 4 MiB
    // allocation per run; and ESP events on, to drive that path too.
    let opts = || ReadOptions {
        esp_events: true,
        icmp_events: true,
        buffer_size: 0,
        ..ReadOptions::default()
    };
    let file = drain(Cursor::new(data), opts());
    // The ICMP error parser on its own (ICMPv4 and ICMPv6 readings).
    for v6 in [false, true] {
        if let Some(e) = qcd::capture::icmp::quoted_error(v6, data, |p| p == 500 || p == 4500) {
            assert!(e.quoted_esp || e.quoted_src.port() != 0 || e.quoted_dst.port() != 0);
        }
    }
    drain(
        Trickle {
            data,
            chunk: 7,
            calls: 0,
        },
        opts(),
    );
    let live = || ReadOptions {
        live: true,
        ..opts()
    };
    let followed = drain(Cursor::new(data), live());
    assert_eq!(followed.is_some(), file.is_some(), "live open differs");
    let trickled = drain(
        Trickle {
            data,
            chunk: 5,
            calls: 0,
        },
        live(),
    );
    if let (Some(f), Some(a), Some(b)) = (&file, &followed, &trickled) {
        // Damage found at a different read boundary may cut differently;
        // the packets before it are the same.
        let n = f.len().min(a.len()).min(b.len());
        assert_eq!(f[..n], a[..n], "live read gives other events");
        assert_eq!(f[..n], b[..n], "trickled live read gives other events");
    }
    let ropts = ReadOptions {
        buffer_size: 0,
        live: true,
        ..qcd::diagnose::reader_options(vec![])
    };
    if let Ok(reader) = CaptureReader::new(Cursor::new(data), "fuzz", ropts) {
        let opts = qcd::diagnose::Options::default();
        let mut emitted = 0;
        let done = qcd::diagnose::follow_reader(reader, None, &opts, |r| {
            emitted += 1;
            let _ = serde_json::to_string(&r);
            Ok(())
        })
        .expect("emit never fails");
        assert_eq!(done.reports, emitted);
        assert!(done.early <= done.reports);
    }
});
