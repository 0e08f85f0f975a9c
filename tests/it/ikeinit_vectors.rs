//! Known answers for every key-derivation step of qcd's IKEv2 initiator
//! (`qcd::ikeinit`), from two independent sources:
//!
//! - strongSwan: charon 5.9.8's own level-4 logs of two real IKE SAs
//!   (tests/data/strongswan/charon-log: the shared Diffie-Hellman secret,
//!   SKEYSEED, every SK_* key and both PSK AUTH values it computed), with
//!   the nonces, SPIs and IKE_SA_INIT messages read from the capture of the
//!   same run;
//! - Python (`tests/data/ikeinit/vectors.py`, hmac/hashlib and the
//!   `cryptography` package): MODP-2048 and X25519 public values and shared
//!   secrets, prf+ across block boundaries, SKEYSEED, SK_* and AUTH for six
//!   suites; its output is committed as vectors.json, and the script is
//!   re-run here when python3 and cryptography are installed (under CI=true
//!   their absence fails the test).

use std::path::{Path, PathBuf};
use std::process::Command;

use qcd::capture::{CaptureReader, Event, ReadOptions};
use qcd::ikeinit::dh::KeyShare;
use qcd::ikeinit::keys::{prf_plus, psk_auth, skeyseed, IkeKeys};
use qcd::ikeinit::{Prf, Suite};
use qcd::spi::{Spi, SpiPair};
use qcd::wire::sa::{EncrId, IntegId};
use qcd::wire::{DhGroup, ExchangeType, Header, PayloadType, SaRepr};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// Every `LABEL => N bytes` hex dump of a charon log, in order.
fn charon_dumps(log: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut open = false;
    for line in log.lines() {
        let body = line.split_once("> ").map_or(line, |(_, b)| b);
        if let Some((label, rest)) = body.split_once(" => ") {
            if rest.ends_with_bytes_marker() {
                out.push((label.trim().to_string(), Vec::new()));
                open = true;
                continue;
            }
        }
        if open {
            let t = body.trim_start();
            if let Some((offset, rest)) = t.split_once(": ") {
                if offset.chars().all(|c| c.is_ascii_digit()) {
                    let hexpart: String = rest.chars().take(48).collect();
                    for b in hexpart.split_whitespace() {
                        out.last_mut()
                            .unwrap()
                            .1
                            .push(u8::from_str_radix(b, 16).unwrap());
                    }
                    continue;
                }
            }
            open = false;
        }
    }
    out
}

trait BytesMarker {
    fn ends_with_bytes_marker(&self) -> bool;
}

impl BytesMarker for str {
    fn ends_with_bytes_marker(&self) -> bool {
        self.contains(" bytes @ 0x")
    }
}

fn dump<'a>(dumps: &'a [(String, Vec<u8>)], label: &str, nth: usize) -> &'a [u8] {
    &dumps
        .iter()
        .filter(|(l, _)| l == label)
        .nth(nth)
        .unwrap_or_else(|| panic!("no dump #{nth} of {label}"))
        .1
}

/// The IKE_SA_INIT request and response of a capture.
fn init_messages(pcap: &Path) -> (Vec<u8>, Vec<u8>) {
    let mut r = CaptureReader::open(pcap, ReadOptions::default()).unwrap();
    let (mut req, mut resp) = (None, None);
    while let Some(ev) = r.next_event() {
        if let Event::Ike(d) = ev {
            let h = Header::new_checked(&d.payload[..]).unwrap();
            if h.exchange_type() == ExchangeType::IKE_SA_INIT {
                let slot = if h.flags().response() {
                    &mut resp
                } else {
                    &mut req
                };
                slot.get_or_insert_with(|| d.payload.to_vec());
            }
        }
    }
    (req.unwrap(), resp.unwrap())
}

fn payload(message: &[u8], t: PayloadType) -> Vec<u8> {
    let h = Header::new_checked(message).unwrap();
    let p = h
        .payloads()
        .map(Result::unwrap)
        .find(|p| p.payload_type() == t)
        .unwrap();
    p.body().to_vec()
}

#[test]
fn strongswan_charon_logs_known_answers() {
    // (capture, PSK of make-captures.sh, IDi body, IDr body)
    let psk = b"qcd-test-psk-not-secret";
    let id = |name: &str| [&[2u8, 0, 0, 0][..], name.as_bytes()].concat();
    for name in ["aes256-sha256", "aes128gcm16"] {
        let dir = data("strongswan/charon-log");
        let log_i = std::fs::read_to_string(dir.join(format!("{name}-i.charon.log"))).unwrap();
        let log_r = std::fs::read_to_string(dir.join(format!("{name}-r.charon.log"))).unwrap();
        let (di, dr) = (charon_dumps(&log_i), charon_dumps(&log_r));
        let (request, response) = init_messages(&dir.join(format!("{name}.pcap")));
        let hr = Header::new_checked(&response[..]).unwrap();
        let spis = SpiPair::new(hr.spi_i(), hr.spi_r());
        let ni = payload(&request, PayloadType::NONCE);
        let nr = payload(&response, PayloadType::NONCE);
        let sa = SaRepr::parse(&payload(&response, PayloadType::SA), 0).unwrap();
        let suite = Suite::from_response(&sa).unwrap();
        let shared = dump(&di, "shared Diffie Hellman secret", 0);
        assert_eq!(
            shared,
            dump(&dr, "shared Diffie Hellman secret", 0),
            "{name}"
        );
        assert_eq!(
            skeyseed(suite.prf, &ni, &nr, shared).expose(),
            dump(&di, "SKEYSEED", 0),
            "{name}: SKEYSEED"
        );
        let keys = IkeKeys::derive(suite, spis, &ni, &nr, shared);
        for (label, key) in [
            ("Sk_d secret", &keys.sk_d),
            ("Sk_ai secret", &keys.sk_ai),
            ("Sk_ar secret", &keys.sk_ar),
            ("Sk_ei secret", &keys.sk_ei),
            ("Sk_er secret", &keys.sk_er),
            ("Sk_pi secret", &keys.sk_pi),
            ("Sk_pr secret", &keys.sk_pr),
        ] {
            if key.is_empty() {
                // AES-GCM has no SK_a: charon logs none
                assert!(!di.iter().any(|(l, _)| l == label), "{name}: {label}");
                continue;
            }
            assert_eq!(key.expose(), dump(&di, label, 0), "{name}: {label}");
            assert_eq!(
                key.expose(),
                dump(&dr, label, 0),
                "{name}: {label} (responder)"
            );
        }
        // charon logs the ID body it MACs ("IDx'"): ours must be the same bytes
        assert_eq!(dump(&di, "IDx'", 0), id("gw-i.qcd.test"));
        let auth_i = psk_auth(
            suite.prf,
            psk,
            &request,
            &nr,
            keys.sk_pi.expose(),
            &id("gw-i.qcd.test"),
        );
        let auth_r = psk_auth(
            suite.prf,
            psk,
            &response,
            &ni,
            keys.sk_pr.expose(),
            &id("gw-r.qcd.test"),
        );
        let label = "AUTH = prf(prf(secret, keypad), octets)";
        // the initiator's log: its own AUTH, then the one it expects from the responder
        assert_eq!(
            auth_i.expose(),
            dump(&di, label, 0),
            "{name}: initiator's AUTH"
        );
        assert_eq!(
            auth_r.expose(),
            dump(&di, label, 1),
            "{name}: responder's AUTH"
        );
        assert_eq!(
            auth_i.expose(),
            dump(&dr, label, 0),
            "{name}: as the responder checked it"
        );
        assert_eq!(
            auth_r.expose(),
            dump(&dr, label, 1),
            "{name}: as the responder sent it"
        );
    }
}

fn json() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(data("ikeinit/vectors.json")).unwrap()).unwrap()
}

fn s<'a>(v: &'a serde_json::Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k}"))
}

#[test]
fn python_dh_vectors() {
    let j = json();
    for v in j["dh"].as_array().unwrap() {
        let group = DhGroup(v["group"].as_u64().unwrap() as u16);
        let i = KeyShare::from_private(group, &unhex(s(v, "private_i"))).unwrap();
        let r = KeyShare::from_private(group, &unhex(s(v, "private_r"))).unwrap();
        assert_eq!(hex::encode(i.public_value()), s(v, "public_i"), "{group}");
        assert_eq!(hex::encode(r.public_value()), s(v, "public_r"), "{group}");
        let shared = i.shared_secret(&unhex(s(v, "public_r"))).unwrap();
        assert_eq!(hex::encode(shared.expose()), s(v, "shared"), "{group}");
        let other = r.shared_secret(&unhex(s(v, "public_i"))).unwrap();
        assert_eq!(hex::encode(other.expose()), s(v, "shared"), "{group}");
    }
}

#[test]
fn python_prf_plus_and_key_derivation_vectors() {
    let j = json();
    for v in j["prf_plus"].as_array().unwrap() {
        let prf = Prf::from_id(v["prf"].as_u64().unwrap() as u16).unwrap();
        let out = prf_plus(
            prf,
            &unhex(s(v, "key")),
            &unhex(s(v, "seed")),
            v["len"].as_u64().unwrap() as usize,
        );
        assert_eq!(hex::encode(out.expose()), s(v, "out"), "{prf:?}");
    }
    let derivations = j["derivations"].as_array().unwrap();
    assert_eq!(derivations.len(), 6);
    for v in derivations {
        let st = &v["suite"];
        let n = |k: &str| st[k].as_u64().unwrap() as u16;
        let suite = Suite {
            encr: EncrId(n("encr")),
            key_bits: n("key_bits"),
            integ: IntegId(n("integ")),
            prf: Prf::from_id(n("prf")).unwrap(),
            group: DhGroup(n("group")),
        };
        let spi = |k| Spi(unhex(s(v, k)).try_into().unwrap());
        let (ni, nr, shared) = (
            unhex(s(v, "nonce_i")),
            unhex(s(v, "nonce_r")),
            unhex(s(v, "shared")),
        );
        assert_eq!(
            hex::encode(skeyseed(suite.prf, &ni, &nr, &shared).expose()),
            s(v, "skeyseed")
        );
        let keys = IkeKeys::derive(
            suite,
            SpiPair::new(spi("spi_i"), spi("spi_r")),
            &ni,
            &nr,
            &shared,
        );
        for (k, key) in [
            ("sk_d", &keys.sk_d),
            ("sk_ai", &keys.sk_ai),
            ("sk_ar", &keys.sk_ar),
            ("sk_ei", &keys.sk_ei),
            ("sk_er", &keys.sk_er),
            ("sk_pi", &keys.sk_pi),
            ("sk_pr", &keys.sk_pr),
        ] {
            assert_eq!(
                hex::encode(key.expose()),
                s(v, k),
                "{}: {k}",
                suite.describe()
            );
        }
        // the key table line is usable (lengths fit the algorithms)
        let _ = keys.sa_keys();
        let psk = unhex(s(v, "psk"));
        let auth_i = psk_auth(
            suite.prf,
            &psk,
            &unhex(s(v, "init_request")),
            &nr,
            keys.sk_pi.expose(),
            &unhex(s(v, "id_i")),
        );
        let auth_r = psk_auth(
            suite.prf,
            &psk,
            &unhex(s(v, "init_response")),
            &ni,
            keys.sk_pr.expose(),
            &unhex(s(v, "id_r")),
        );
        assert_eq!(
            hex::encode(auth_i.expose()),
            s(v, "auth_i"),
            "{}",
            suite.describe()
        );
        assert_eq!(
            hex::encode(auth_r.expose()),
            s(v, "auth_r"),
            "{}",
            suite.describe()
        );
    }
}

/// vectors.json is what vectors.py prints today.
#[test]
fn python_script_reproduces_the_committed_vectors() {
    let have = Command::new("python3")
        .args(["-c", "import cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 with the cryptography package is missing, and CI=true: .ci/run installs it (pip install cryptography)"
        );
        eprintln!("SKIPPED: python3 with the cryptography package is not installed (pip install cryptography)");
        return;
    }
    let out = Command::new("python3")
        .arg(data("ikeinit/vectors.py"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read_to_string(data("ikeinit/vectors.json")).unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        committed,
        "re-run vectors.py > vectors.json"
    );
}
