//! Capture reading throughput (MB/s and frames/s) on generated captures of
//! mostly 1400-byte ESP with a few hundred IKE messages, read from memory.
//! The whole-file comparison against `cat` and tshark is benches/capture.sh.

#[path = "../tests/it/support/ike_samples.rs"]
mod ike_samples;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use qcd::capture::synth::{synth, SynthSpec};
use qcd::capture::write::{Encap, Format};
use qcd::capture::{CaptureReader, Event, ReadOptions};

fn capture(format: Format, encap: Encap) -> (Vec<u8>, u64) {
    let spec = SynthSpec {
        size: 64 << 20,
        esp_size: 1400,
        ike_count: 300,
        encap,
        format,
        ipv6: false,
    };
    let ike = vec![ike_samples::qcd_reply(), ike_samples::ike_auth(600)];
    let mut out = Vec::with_capacity(spec.size as usize + 4096);
    let sum = synth(&mut out, &spec, &ike).expect("in-memory write");
    (out, sum.frames)
}

fn scan(bytes: &[u8]) -> (u64, u64) {
    let mut r = CaptureReader::new(bytes, "bench", ReadOptions::default()).expect("capture");
    let mut ike = 0u64;
    while let Some(ev) = r.next_event() {
        if let Event::Ike(d) = ev {
            ike += d.payload.len() as u64;
        }
    }
    (ike, r.counters().esp)
}

fn bench(c: &mut Criterion) {
    let cases = [
        (
            "pcap-ethernet",
            Format::Pcap {
                big_endian: false,
                nanos: false,
            },
            Encap::Ethernet,
        ),
        ("pcapng-ethernet", Format::PcapNg, Encap::Ethernet),
        (
            "pcap-vlan",
            Format::Pcap {
                big_endian: false,
                nanos: false,
            },
            Encap::Vlan(10),
        ),
        (
            "pcap-sll2",
            Format::Pcap {
                big_endian: false,
                nanos: false,
            },
            Encap::LinuxSll2,
        ),
    ];
    for (name, format, encap) in cases {
        let (bytes, frames) = capture(format, encap);
        let mut g = c.benchmark_group(format!("capture-bytes/{name}"));
        g.sample_size(10);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("scan", |b| b.iter(|| scan(&bytes)));
        g.finish();
        let mut g = c.benchmark_group(format!("capture-frames/{name}"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(frames));
        g.bench_function("scan", |b| b.iter(|| scan(&bytes)));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
