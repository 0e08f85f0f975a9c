//! Hidden `qcd generate-capture`: writes a synthetic capture (mostly ESP,
//! a few hundred IKE messages) so anyone can reproduce the `qcd decode`
//! benchmark. Not for tests of real traffic: the IKE messages are built with
//! the wire Reprs and the ESP bodies are filler.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use qcd::capture::synth::SynthSpec;
use qcd::capture::synth_bench::{write_esp_heavy, write_ike_heavy, write_rekey, Written};
use qcd::capture::synth_ike::IkeHeavySpec;
use qcd::capture::synth_rekey::RekeySpec;
use qcd::capture::write::{Encap, Format};
use qcd::report::Output;

use super::Outcome;

#[derive(Args, Debug)]
pub struct GenerateCaptureArgs {
    /// Where to write the capture.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// File size to reach, e.g. 1G, 64M, 500k (powers of 1024).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, required_unless_present_any = ["ike_sas", "rekey_peers"])]
    pub size: Option<u64>,
    /// Instead of an ESP-heavy capture, an IKE-heavy one with N IKE SAs (one
    /// peer each: IKE_SA_INIT, IKE_AUTH, a liveness check, ESP both ways; every
    /// 4th with the QCD reply, 5th on IPv6, 3rd on NAT-T, 7th fragmented).
    #[arg(long, value_name = "N", conflicts_with_all = ["size", "esp_size", "ike_count", "ipv6"])]
    pub ike_sas: Option<u64>,
    /// Instead, a long stream: N peers, each rekeying its IKE SA every hour,
    /// with ESP both ways every 5 minutes (for the follow-mode memory benchmark).
    #[arg(long, value_name = "N", conflicts_with_all = ["size", "ike_sas", "esp_size", "ike_count", "ipv6"])]
    pub rekey_peers: Option<u32>,
    /// With --rekey-peers: the stream's length in hours.
    #[arg(long, default_value_t = 24, value_name = "H", requires = "rekey_peers")]
    pub hours: u64,
    /// With --ike-sas: each SA is only its IKE_SA_INIT request, never
    /// answered (an IKE_SA_INIT flood, each request from its own address).
    #[arg(long, requires = "ike_sas")]
    pub half_open: bool,
    /// IP packet size of each ESP packet.
    #[arg(long, default_value_t = 1400, value_name = "BYTES")]
    pub esp_size: usize,
    /// Number of IKE messages spread through the capture.
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub ike_count: u64,
    #[arg(long, value_enum, default_value_t = CaptureFormat::Pcap)]
    pub format: CaptureFormat,
    /// IPv6 addresses instead of IPv4.
    #[arg(long)]
    pub ipv6: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    Pcap,
    Pcapng,
}

/// `1G`, `64M`, `500k`, `123` (bytes); powers of 1024.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_lowercase() {
                'k' => 1 << 10,
                'm' => 1 << 20,
                'g' => 1 << 30,
                't' => 1 << 40,
                _ => return Err(format!("unknown size suffix {c:?}; use k, M, G or T")),
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size like 1G, 64M or 500k"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))
}

fn format(f: CaptureFormat) -> Format {
    match f {
        CaptureFormat::Pcap => Format::Pcap {
            big_endian: false,
            nanos: false,
        },
        CaptureFormat::Pcapng => Format::PcapNg,
    }
}

pub fn run(args: GenerateCaptureArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let path = &args.out;
    let written = if let Some(peers) = args.rekey_peers {
        let spec = RekeySpec {
            peers,
            duration: std::time::Duration::from_secs(args.hours * 3600),
            ..RekeySpec::default()
        };
        Written::rekey(path, &spec, &write_rekey(path, &spec)?)
    } else if let Some(sas) = args.ike_sas {
        let spec = IkeHeavySpec {
            sas,
            format: format(args.format),
            half_open: args.half_open,
            ..IkeHeavySpec::default()
        };
        Written::ike_heavy(path, sas, &write_ike_heavy(path, &spec)?)
    } else {
        let spec = SynthSpec {
            size: args.size.unwrap_or_default(),
            esp_size: args.esp_size,
            ike_count: args.ike_count,
            encap: Encap::Ethernet,
            format: format(args.format),
            ipv6: args.ipv6,
        };
        Written::esp_heavy(path, &write_esp_heavy(path, &spec)?)
    };
    if out.json {
        out.json_line(&written)?;
    } else {
        out.line(&written.to_string())?;
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("500k"), Ok(500 << 10));
        assert_eq!(parse_size("123"), Ok(123));
        assert!(parse_size("1X").is_err());
        assert!(parse_size("G").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
