//! Drives `qcd::capture` alone over a file (no IKE decoding), to measure
//! the reader by itself; `benches/capture.sh` measures `qcd decode`.
//!
//! ```text
//! cargo run --release --example capture_scan -- scan FILE [--esp-events]
//! cargo run --release --example capture_scan -- gen FILE SIZE_MB [pcap|pcapng] [ESP_SIZE] [IKE_COUNT]
//! ```

#[path = "../tests/it/support/ike_samples.rs"]
mod ike_samples;

use qcd::capture::synth::{synth, SynthSpec};
use qcd::capture::write::{Encap, Format};
use qcd::capture::{CaptureReader, Event, ReadOptions};
use std::io::BufWriter;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("scan") if args.len() >= 2 => scan(&args[1], args.iter().any(|a| a == "--esp-events")),
        Some("gen") if args.len() >= 3 => gen(&args[1..]),
        _ => {
            eprintln!("usage: capture_scan scan FILE [--esp-events] | gen FILE SIZE_MB [pcap|pcapng] [ESP_SIZE] [IKE_COUNT]");
            2
        }
    };
    std::process::exit(code);
}

fn scan(path: &str, esp_events: bool) -> i32 {
    let opts = ReadOptions {
        esp_events,
        ..ReadOptions::default()
    };
    let started = Instant::now();
    let mut r = match CaptureReader::open(path.as_ref(), opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("capture_scan: {e}");
            return 2;
        }
    };
    let (mut ike, mut ike_bytes, mut warnings, mut esp) = (0u64, 0u64, 0u64, 0u64);
    while let Some(ev) = r.next_event() {
        match ev {
            Event::Ike(d) => {
                ike += 1;
                ike_bytes += d.payload.len() as u64;
            }
            Event::Esp { .. } => esp += 1,
            Event::Icmp { .. } => {}
            Event::Warning(w) => {
                warnings += 1;
                if warnings <= 20 {
                    eprintln!("warning: {w}");
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let c = r.counters();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!(
        "frames {} ike {ike} ({ike_bytes} bytes) esp {} (events {esp}) keepalives {} reassembled {} warnings {warnings} damaged {}",
        c.frames,
        c.esp,
        c.keepalives,
        c.reassembled,
        r.damaged()
    );
    println!(
        "{:.3} s, {:.0} MB/s, {:.0} frames/s",
        secs,
        size as f64 / 1e6 / secs,
        c.frames as f64 / secs
    );
    i32::from(r.damaged()) * 2
}

fn gen(args: &[String]) -> i32 {
    let path = &args[0];
    let mb: u64 = args[1].parse().unwrap_or(1024);
    let format = match args.get(2).map(String::as_str) {
        Some("pcapng") => Format::PcapNg,
        _ => Format::Pcap {
            big_endian: false,
            nanos: false,
        },
    };
    let esp_size = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1400);
    let ike_count = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(300);
    let spec = SynthSpec {
        size: mb << 20,
        esp_size,
        ike_count,
        encap: Encap::Ethernet,
        format,
        ipv6: false,
    };
    let ike = vec![ike_samples::qcd_reply(), ike_samples::ike_auth(600)];
    let file = match std::fs::File::create(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("capture_scan: {path}: {e}");
            return 2;
        }
    };
    match synth(BufWriter::with_capacity(1 << 20, file), &spec, &ike) {
        Ok(s) => {
            println!("{s:?}");
            0
        }
        Err(e) => {
            eprintln!("capture_scan: {e}");
            2
        }
    }
}
