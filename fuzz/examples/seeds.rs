//! Writes the seed corpora of the fuzz targets into `fuzz/corpus/<target>/`:
//! small valid inputs built with qcd's own writers (captures with
//! `qcd::capture::write`, keyrings with `Keyring::to_json`, manifests with
//! `Manifest::from_keyring`) plus copies of the committed fixtures
//! (`tests/data`, `examples/audit`). Corpora are not committed; run this
//! once before fuzzing:
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example seeds
//! ```

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use qcd::capture::write::{
    esp_body, fragment, ip_raw, ip_udp, with_non_esp_marker, CaptureWriter, Encap, Format,
    Interface,
};
use qcd::capture::{Precision, Timestamp};
use qcd::encoding::decode_hex_lenient;
use qcd::secret::store::FileInfo;
use qcd::secret::{Keyring, Manifest, Origin};
use qcd::secretmem::SecretBytes;
use qcd::token::{Profile, TokenSpec};

/// Every IKE message of every capture under `dir` (real traffic from
/// strongSwan, Rockhopper and other projects' tests, malformed ones
/// included), one seed file each, for the `decode` target.
fn capture_messages(dir: &Path, out: &Path) -> io::Result<usize> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> io::Result<()> {
        for e in fs::read_dir(dir)? {
            let p = e?.path();
            if p.is_dir() {
                walk(&p, found)?;
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                found.push(p);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    fs::create_dir_all(out)?;
    let mut n = 0;
    for f in files {
        let Ok(mut r) = qcd::capture::CaptureReader::open(&f, qcd::capture::ReadOptions::default())
        else {
            continue;
        };
        while let Some(ev) = r.next_event() {
            if let qcd::capture::Event::Ike(d) = ev {
                n += 1;
                fs::write(out.join(format!("ike-{n:04}")), &d.payload[..])?;
            }
        }
    }
    Ok(n)
}

fn main() -> io::Result<()> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = fuzz.parent().expect("fuzz/ sits in the repository");
    let corpus = fuzz.join("corpus");
    let mut n = 0;
    n += captures(root, &corpus.join("capture"))?;
    n += captures(root, &corpus.join("summary"))?;
    n += heavy(&corpus.join("summary"))?;
    n += keyrings(&corpus.join("keyring"))?;
    n += secret_ops(&corpus.join("secret_ops"))?;
    n += manifests(root, &corpus.join("manifest"))?;
    n += keytables(root, &corpus.join("keytable"))?;
    n += copy_dir(
        &root.join("tests/data/strongswan/charon-log"),
        &corpus.join("keylog"),
        ".charon.log",
    )?;
    n += copy_dir(
        &root.join("tests/data/peer/tcpdump/tests"),
        &corpus.join("keylog"),
        "-secrets.txt",
    )?;
    n += token_batch(&corpus.join("token_batch"))?;
    n += diagnose(root, &corpus.join("diagnose"))?;
    n += copy_dir(&root.join("tests/data/decode"), &corpus.join("decode"), "")?;
    n += capture_messages(&root.join("tests/data"), &corpus.join("decode"))?;
    n += capture_messages(&root.join("tests/data/rockhopper"), &corpus.join("liveness"))?;
    // real IKE_SA_INIT/IKE_AUTH responses of strongSwan for the initiator
    n += capture_messages(&root.join("tests/data/strongswan"), &corpus.join("ikeinit"))?;
    println!("wrote {n} seed files under {}", corpus.display());
    Ok(())
}

fn put(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<usize> {
    fs::create_dir_all(dir)?;
    fs::write(dir.join(name), bytes)?;
    Ok(1)
}

/// Copies the files of `from` whose names end in `suffix`.
fn copy_dir(from: &Path, to: &Path, suffix: &str) -> io::Result<usize> {
    let mut n = 0;
    let mut paths: Vec<PathBuf> = fs::read_dir(from)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
        .collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().expect("a file has a name").to_string_lossy();
        n += put(to, &name, &fs::read(&p)?)?;
    }
    Ok(n)
}

fn ike_message(root: &Path, name: &str) -> io::Result<Vec<u8>> {
    let text = fs::read_to_string(root.join("tests/data/decode").join(name))?;
    decode_hex_lenient(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Small IKE-heavy captures (many IKE SAs with ESP, QCD replies, IPv6,
/// NAT-T and fragments), as `generate-capture --ike-sas` writes them.
fn heavy(dir: &Path) -> io::Result<usize> {
    fs::create_dir_all(dir)?;
    for sas in [3u64, 12] {
        let mut buf = Vec::new();
        qcd::capture::synth_ike::ike_heavy(
            &mut buf,
            &qcd::capture::synth_ike::IkeHeavySpec {
                sas,
                ..Default::default()
            },
        )?;
        fs::write(dir.join(format!("ike-heavy-{sas}.pcap")), buf)?;
    }
    Ok(2)
}

/// Small captures: every encapsulation and file format the reader knows, IKE
/// on 500 and 4500, keepalives, ESP in IP and in UDP, IPv6, fragments.
fn captures(root: &Path, dir: &Path) -> io::Result<usize> {
    let mut n = copy_dir(&root.join("tests/data/strongswan"), dir, ".pcap")?;
    let ike = ike_message(root, "qcd-reply.hex")?;
    let v4 = (
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2)),
    );
    let v6 = (
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
    );
    let packets = |(a, b): (IpAddr, IpAddr)| -> Vec<Vec<u8>> {
        let mut p = vec![
            ip_udp(SocketAddr::new(a, 500), SocketAddr::new(b, 500), &ike),
            ip_udp(
                SocketAddr::new(b, 4500),
                SocketAddr::new(a, 4500),
                &with_non_esp_marker(&ike),
            ),
            ip_udp(SocketAddr::new(a, 4500), SocketAddr::new(b, 4500), &[0xff]),
            ip_raw(a, b, 50, &esp_body(0xc0ff_ee01, 1, 64)),
            ip_udp(
                SocketAddr::new(b, 4500),
                SocketAddr::new(a, 4500),
                &esp_body(0xc0ff_ee02, 7, 48),
            ),
        ];
        let big = ip_udp(SocketAddr::new(a, 500), SocketAddr::new(b, 500), &ike);
        p.extend(fragment(&big, 48, 0x1234));
        p
    };
    let encaps = [
        ("eth", Encap::Ethernet),
        ("vlan", Encap::Vlan(42)),
        ("qinq", Encap::QinQ(7, 42)),
        ("raw", Encap::Raw),
        ("rawv", Encap::RawByVersion),
        ("sll", Encap::LinuxSll),
        ("sll2", Encap::LinuxSll2),
        ("null", Encap::Null),
        ("loop", Encap::Loop),
    ];
    let formats = [
        (
            "le-us.pcap",
            Format::Pcap {
                big_endian: false,
                nanos: false,
            },
        ),
        (
            "be-ns.pcap",
            Format::Pcap {
                big_endian: true,
                nanos: true,
            },
        ),
        ("pcapng", Format::PcapNg),
    ];
    for (ename, encap) in encaps {
        for (ipname, addrs) in [("v4", v4), ("v6", v6)] {
            let v6 = ipname == "v6";
            for (fname, format) in formats {
                let link = encap.link_type(v6);
                let mut w = match format {
                    Format::Pcap { big_endian, nanos } => {
                        CaptureWriter::pcap(Vec::new(), link, big_endian, nanos)?
                    }
                    Format::PcapNg => CaptureWriter::pcapng(
                        Vec::new(),
                        &[
                            Interface { link, tsresol: 6 },
                            Interface { link, tsresol: 9 },
                        ],
                    )?,
                };
                for (i, ip) in packets(addrs).iter().enumerate() {
                    let t = Timestamp::new(1_700_000_000 + i as i64, 250_000, Precision::Micro);
                    let iface = match format {
                        Format::PcapNg => (i % 2) as u32,
                        Format::Pcap { .. } => 0,
                    };
                    w.write_packet(iface, t, &encap.frame(ip))?;
                }
                n += put(dir, &format!("{ename}-{ipname}-{fname}"), &w.into_inner())?;
            }
        }
    }
    Ok(n)
}

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn secret(seed: u8, len: usize) -> SecretBytes {
    SecretBytes::new(
        (0..len)
            .map(|i| seed ^ (i as u8).wrapping_mul(29))
            .collect(),
    )
}

/// A keyring with an active, a previous, a destroyed and a derived generation.
fn sample_keyring() -> Keyring {
    let day = Duration::from_secs(86400);
    let mut k = Keyring::new(secret(1, 32), TokenSpec::default(), t(0), Origin::Generated);
    k.add_previous(
        secret(2, 64),
        TokenSpec::new(Profile::HmacSha512),
        t(10),
        day,
        Origin::Imported,
    )
    .expect("ids and times are in range");
    k.rotate(
        secret(3, 20),
        TokenSpec::new(Profile::HmacSha1),
        t(20),
        Duration::from_secs(60),
        Origin::Derived {
            member: "gw2".into(),
            root_generation: 3,
            root_fingerprint: "SHA256:abc".into(),
        },
    )
    .expect("ids and times are in range");
    k.prune(t(20 + 3 * 86400));
    let mut spec = TokenSpec::new(Profile::Sha256Concat);
    spec.taker_addr = true;
    k.rotate(secret(4, 48), spec, t(30), day, Origin::Generated)
        .expect("ids and times are in range");
    k
}

fn keyrings(dir: &Path) -> io::Result<usize> {
    let simple = Keyring::new(secret(9, 32), TokenSpec::default(), t(0), Origin::Generated);
    let mut n = put(dir, "simple.json", &simple.to_json())?;
    n += put(dir, "rotated.json", &sample_keyring().to_json())?;
    Ok(n)
}

/// `secret_ops` inputs: an operations byte, a clock byte, then a keyring
/// (valid ones, and one with the highest possible generation id).
fn secret_ops(dir: &Path) -> io::Result<usize> {
    let fresh = Keyring::new(secret(9, 32), TokenSpec::default(), t(0), Origin::Generated);
    let mut last: serde_json::Value =
        serde_json::from_slice(&fresh.to_json()).expect("a keyring is JSON");
    last["generations"][0]["id"] = u32::MAX.into();
    let last = serde_json::to_vec_pretty(&last).expect("JSON");
    let mut n = 0;
    for (name, keyring) in [
        ("fresh", fresh.to_json().to_vec()),
        ("rotated", sample_keyring().to_json().to_vec()),
        ("last-id", last),
    ] {
        // rotate, import, prune, derive in turn; all four of one kind; every clock
        for (ops, clock) in [
            (0b11_10_01_00u8, 0u8),
            (0, 1),
            (0x55, 2),
            (0xaa, 3),
            (0xff, 5),
        ] {
            let mut input = vec![ops, clock];
            input.extend_from_slice(&keyring);
            n += put(dir, &format!("{name}-{ops:02x}-{clock}.bin"), &input)?;
        }
    }
    Ok(n)
}

fn manifests(root: &Path, dir: &Path) -> io::Result<usize> {
    let mut n = copy_dir(&root.join("examples/audit"), dir, ".toml")?;
    n += copy_dir(&root.join("examples/audit/manifests"), dir, ".json")?;
    let info = FileInfo {
        mode: 0o600,
        uid: 0,
        gid: 0,
    };
    let m = Manifest::from_keyring(
        &sample_keyring(),
        Path::new("/etc/qcd/keyring.json"),
        info,
        t(100),
    );
    let json = serde_json::to_vec_pretty(&m).map_err(io::Error::other)?;
    n += put(dir, "generated-manifest.json", &json)?;
    let inventory_json = br#"{"cluster": [{"name": "dc1", "mode": "hot-standby",
  "policy": {"max_age": "30d", "min_secret_bytes": 32, "overlap": "1h", "nat": true},
  "member": [{"name": "gw1", "keyring": "keys/gw1.json"},
             {"name": "gw2", "manifest": "/abs/gw2.json"}]}]}"#;
    n += put(dir, "inventory.json", inventory_json)?;
    Ok(n)
}

fn keytables(root: &Path, dir: &Path) -> io::Result<usize> {
    let from = root.join("tests/data/strongswan");
    let mut n = copy_dir(&from, dir, ".keys")?;
    let mut all = b"# every strongSwan table, one after the other\n\n".to_vec();
    let mut paths: Vec<PathBuf> = fs::read_dir(&from)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "keys"))
        .collect();
    paths.sort();
    for p in paths {
        all.extend_from_slice(&fs::read(p)?);
    }
    n += put(dir, "all.keys", &all)?;
    Ok(n)
}

fn token_batch(dir: &Path) -> io::Result<usize> {
    let seeds: &[(&str, &[u8])] = &[
        (
            "derive",
            b"\x10# derive: SPI-I SPI-R [TAKER-ADDR]\n0123456789abcdef fedcba9876543210\n\n0123456789abcdef fedcba9876543210 192.0.2.7 # note\n0x0123456789ABCDEF 01:23:45:67:89:ab:cd:ef 2001:db8::7\n",
        ),
        (
            "verify",
            b"\x03# verify\n0123456789abcdef fedcba9876543210 4c0f00112233445566778899aabbccddeeff00112233445566778899aabbccdd\n0123456789abcdef fedcba9876543210 0x4c:0f:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd 192.0.2.7\r\n",
        ),
        ("spi", b"0123456789abcdef"),
        ("spi-colons", b"01:23:45:67:89:AB:CD:EF"),
        ("spi-0x", b" 0x0123456789abcdef\t"),
        ("hex", b"0xDE:ad be\nEF 0X01"),
        ("base64", b"3q2+7w==\n AQID"),
        ("duration", b"1h 30m"),
        ("duration-days", b"365d"),
        ("timestamp", b"2026-11-22T21:19:29.250000Z"),
    ];
    let mut n = 0;
    for (name, bytes) in seeds {
        n += put(dir, name, bytes)?;
    }
    Ok(n)
}

/// `diagnose`: captures behind a 0 byte (the scenarios, Rockhopper's real
/// recovery, strongSwan's reboot), and packet scripts behind a 1 byte.
fn diagnose(root: &Path, dir: &Path) -> io::Result<usize> {
    fs::create_dir_all(dir)?;
    let mut n = 0;
    let mut files: Vec<PathBuf> = Vec::new();
    for sub in [
        "tests/data/scenarios",
        "tests/data/rockhopper",
        "tests/data/strongswan",
    ] {
        for e in fs::read_dir(root.join(sub))? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "pcap") {
                files.push(p);
            }
        }
    }
    files.sort();
    for p in files {
        let mut seed = vec![0u8];
        seed.extend(fs::read(&p)?);
        let name = format!(
            "cap-{}",
            p.file_stem().unwrap_or_default().to_string_lossy()
        );
        fs::write(dir.join(name), seed)?;
        n += 1;
    }
    // Scripts: establish, ESP, INVALID_SPI, a liveness check, the token reply.
    let scripts: [&[u8]; 2] = [
        &[
            1, 0, 0x04, 0x05, 0x0c, 0, 0, 1, 0x11, 0x25, 0x0c, 0, 0, 1, 0x05, 0x05, 0, 0, 0, 2,
            0x05, 0x35, 0x28, 7, 0, 3, 0x05, 0x2d, 0x21, 7, 0, 0x80, 0, 0, 0, 0, 9, 1, 0, 0, 0x08,
            0, 1, 3, 0x05, 0x35, 0x02, 0, 0, 4, 0x05, 0x1f, 0x1a, 7, 0, 5, 0x05, 0x2d, 0x1a, 7,
        ],
        &[
            1, 0, 0x04, 0x05, 0x0c, 0, 0, 1, 0x11, 0x25, 0x0c, 0, 200, 0x80, 1, 0, 0, 0,
        ],
    ];
    for (i, s) in scripts.iter().enumerate() {
        fs::write(dir.join(format!("script-{i}")), s)?;
        n += 1;
    }
    Ok(n)
}
