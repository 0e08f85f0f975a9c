//! `qcd probe` against `qcd respond` on loopback, as a user runs them: every
//! field of the JSON target object, several generations, keyring verdicts,
//! `--expect`, IPv6, port 4500 with the non-ESP marker, a first request
//! dropped (retries), ICMP port unreachable, SIGHUP reload and SIGTERM.
//! Also the packet budget and the duration of a run against a silent target.
//! Only loopback addresses; every socket and process is the test's own.

use crate::support;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

fn qcd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_qcd"));
    c.env_remove("QCD_KEYRING").env_remove("QCD_NOW");
    c
}

fn run_ok(args: &[&str]) {
    let out = qcd().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "qcd {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A keyring with one generation (or rotated `rotations` times, with overlap).
fn keyring(dir: &Path, name: &str, profile: &str, rotations: usize) -> PathBuf {
    let path = dir.join(name);
    let p = path.to_str().unwrap();
    if profile == "rockhopper" {
        run_ok(&["secret", "generate", "--keyring", p, "--for", "rockhopper"]);
    } else {
        run_ok(&["secret", "generate", "--keyring", p, "--profile", profile]);
    }
    for _ in 0..rotations {
        run_ok(&["secret", "rotate", "--keyring", p, "--overlap", "48h"]);
    }
    path
}

/// A running `qcd respond --json`, stopped with SIGTERM on drop.
struct Responder {
    child: Child,
    lines: BufReader<ChildStdout>,
    addr: SocketAddr,
}

impl Responder {
    fn start(keyring: &Path, listen: &str) -> Responder {
        let mut child = qcd()
            .args(["--json", "respond", "--keyring"])
            .arg(keyring)
            .args(["--listen", listen])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let first = next_json(&mut lines);
        assert_eq!(first["kind"], "listening", "{first}");
        let addr = first["address"].as_str().unwrap().parse().unwrap();
        Responder { child, lines, addr }
    }

    fn signal(&self, sig: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        rustix::process::kill_process(pid, sig).unwrap();
    }

    /// The next log line of `kind`, skipping others.
    fn wait_for(&mut self, kind: &str) -> Value {
        loop {
            let v = next_json(&mut self.lines);
            if v["kind"] == kind {
                return v;
            }
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.signal(rustix::process::Signal::TERM);
            let deadline = Instant::now() + Duration::from_secs(5);
            while let Ok(None) = self.child.try_wait() {
                if Instant::now() > deadline {
                    let _ = self.child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.wait();
    }
}

fn next_json(r: &mut BufReader<ChildStdout>) -> Value {
    let mut line = String::new();
    assert!(r.read_line(&mut line).unwrap() > 0, "respond's log ended");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// Runs `qcd --json probe ARGS`: the exit status, the JSON lines, the time taken.
fn probe(args: &[&str]) -> (i32, Vec<Value>, Duration) {
    let t0 = Instant::now();
    let out = qcd()
        .arg("--json")
        .arg("probe")
        .args(args)
        .output()
        .unwrap();
    let took = t0.elapsed();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    if out.status.code() == Some(2) {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    (out.status.code().unwrap(), lines, took)
}

fn derive(keyring: &Path, generation: &str, spi_i: &str, spi_r: &str) -> String {
    let out = qcd()
        .args(["token", "derive", "--keyring"])
        .arg(keyring)
        .args([
            "--generation",
            generation,
            "--spi-i",
            spi_i,
            "--spi-r",
            spi_r,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The user running the test, as the owner of an exported secret file.
fn me() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

const SPI_I: &str = "0123456789abcdef";
const SPI_R: &str = "fedcba9876543210";

#[test]
fn every_field_against_a_maker_with_two_generations() {
    let _timed = support::timed();
    let dir = tempfile::tempdir().unwrap();
    let k = keyring(dir.path(), "k.json", "hmac-sha256", 1);
    let mut r = Responder::start(&k, "127.0.0.1:0");
    let target = r.addr.to_string();
    let (code, lines, _) = probe(&[
        &target,
        "--spi-i",
        SPI_I,
        "--spi-r",
        SPI_R,
        "--keyring",
        k.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines.len(), 1);
    let t = &lines[0];
    assert_eq!(t["kind"], "target");
    assert_eq!(t["target"], target.as_str());
    assert_eq!(t["address"], target.as_str());
    assert_eq!(t["nat_t"], false);
    assert_eq!(t["verdict"], "qcd-token");
    assert_eq!(t["qcd"], true);
    assert_eq!(t["probe_spi_i"], SPI_I);
    assert_eq!(t["probe_spi_r"], SPI_R);
    // Active first, then the previous generation: the tokens qcd token derive gives.
    assert_eq!(t["token"], derive(&k, "2", SPI_I, SPI_R).as_str());
    assert_eq!(t["more_tokens"][0], derive(&k, "1", SPI_I, SPI_R).as_str());
    assert_eq!(t["token_len"], 32);
    assert_eq!(t["tokens"], 2);
    assert_eq!(t["token_protocol_ids"], serde_json::json!([0, 0]));
    assert_eq!(t["invalid_ike_spi"], true);
    assert_eq!(t["reply_flags"], "0x20");
    assert_eq!(t["reply_exchange"], "INFORMATIONAL");
    assert_eq!(t["reply_notifies"], serde_json::json!([]));
    assert_eq!(t["stable"], true);
    assert_eq!(t["varies_with_spis"], true);
    assert!(t["implementation"]
        .as_str()
        .unwrap()
        .contains("overlap window"));
    assert_eq!(t["generation"], 2);
    assert_eq!(t["generation_state"], "active");
    assert_eq!(t["keyring_match"], true);
    assert_eq!(t["keyring"]["token_generations"], serde_json::json!([2, 1]));
    assert!(t["rtt_ms"].as_f64().unwrap() >= 0.0);
    // respond is a maker only: it leaves IKE_SA_INIT alone, as Rockhopper's QCD code does.
    assert_eq!(t["ike"], Value::Null);
    // 1 liveness + 1 same SPIs + 1 other SPIs + 2 IKE_SA_INIT tries.
    assert_eq!(t["packets_sent"], 5);
    assert_eq!(t["stray_datagrams"], 0);
    assert_eq!(t["advice"], serde_json::json!([]));
    // The maker logged the three questions it answered, for these SPIs first.
    let a = r.wait_for("answered");
    assert_eq!(a["spi_i"], SPI_I);
    assert_eq!(a["generations"], serde_json::json!([2, 1]));
    assert!(
        !serde_json::to_string(&a)
            .unwrap()
            .contains(t["token"].as_str().unwrap()),
        "no token in the log"
    );
}

#[test]
fn keyring_verdicts_name_the_generation_or_the_reasons() {
    let _timed = support::timed();
    let dir = tempfile::tempdir().unwrap();
    // The gateway runs generation 1; the operator has rotated since (2 active, 1 previous).
    let running = keyring(dir.path(), "running.json", "rockhopper", 0);
    let operator = dir.path().join("operator.json");
    std::fs::copy(&running, &operator).unwrap();
    run_ok(&[
        "secret",
        "rotate",
        "--keyring",
        operator.to_str().unwrap(),
        "--overlap",
        "48h",
    ]);
    let other = keyring(dir.path(), "other.json", "hmac-sha512", 0);
    let r = Responder::start(&running, "127.0.0.1:0");
    let target = r.addr.to_string();

    let (code, lines, _) = probe(&[&target, "--keyring", operator.to_str().unwrap()]);
    assert_eq!(code, 1);
    let t = &lines[0];
    assert_eq!(t["generation"], 1);
    assert_eq!(t["generation_state"], "previous");
    assert_eq!(t["keyring_match"], false);
    assert!(
        t["advice"][0]
            .as_str()
            .unwrap()
            .contains("has not reached it"),
        "{t}"
    );
    assert!(t["implementation"].as_str().unwrap().contains("Rockhopper"));

    let (code, lines, _) = probe(&[&target, "--keyring", other.to_str().unwrap()]);
    assert_eq!(code, 1);
    let t = &lines[0];
    assert_eq!(t["generation"], Value::Null);
    assert_eq!(t["keyring_match"], false);
    let reasons = t["keyring"]["reasons"].to_string();
    for r in [
        "export was not done",
        "not restarted",
        "regenerated its secret",
    ] {
        assert!(reasons.contains(r), "{r}: {reasons}");
    }

    // The gateway's own secret file (as `secret export --for rockhopper` writes it).
    let file = dir.path().join("qcd_secret");
    run_ok(&[
        "secret",
        "export",
        "--keyring",
        running.to_str().unwrap(),
        "--for",
        "rockhopper",
        "--owner",
        &me(),
        "--out",
        file.to_str().unwrap(),
    ]);
    let (code, lines, _) = probe(&[
        &target,
        "--secret-file",
        file.to_str().unwrap(),
        "--for",
        "rockhopper",
    ]);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["keyring_match"], true);
    assert_eq!(lines[0]["generation"], Value::Null);
}

#[test]
fn cluster_expect_shared_and_distinct() {
    let _timed = support::timed();
    let dir = tempfile::tempdir().unwrap();
    let k1 = keyring(dir.path(), "k1.json", "hmac-sha256", 0);
    let k2 = keyring(dir.path(), "k2.json", "hmac-sha256", 0);
    let a = Responder::start(&k1, "127.0.0.1:0");
    let b = Responder::start(&k1, "127.0.0.1:0");
    let c = Responder::start(&k2, "127.0.0.1:0");
    let (a, b, c) = (a.addr.to_string(), b.addr.to_string(), c.addr.to_string());

    let (code, lines, _) = probe(&[&a, &b, "--expect", "shared"]);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["token"], lines[1]["token"]);
    let cl = &lines[2];
    assert_eq!(cl["kind"], "cluster");
    assert_eq!(cl["same_secret"], true);
    assert_eq!(cl["expect"], "shared");
    assert_eq!(cl["expectation_met"], true);

    let (code, lines, _) = probe(&[&a, &c, "--expect", "shared"]);
    assert_eq!(code, 1);
    assert_eq!(lines[2]["same_secret"], false);
    assert_eq!(lines[2]["expectation_met"], false);
    assert!(lines[2]["advice"].as_str().unwrap().contains("hot-standby"));

    let (code, lines, _) = probe(&[&a, &c, "--expect", "distinct"]);
    assert_eq!(code, 0);
    assert_eq!(lines[2]["expectation_met"], true);

    let (code, lines, _) = probe(&[&a, &b, "--expect", "distinct"]);
    assert_eq!(code, 1);
    assert!(lines[2]["advice"]
        .as_str()
        .unwrap()
        .contains("must not share"));
}

#[test]
fn ipv6() {
    let _timed = support::timed();
    if UdpSocket::bind("[::1]:0").is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no IPv6 loopback in CI"
        );
        eprintln!("SKIPPED ipv6: this machine has no IPv6 loopback");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let k = keyring(dir.path(), "k.json", "hmac-sha256", 0);
    let r = Responder::start(&k, "[::1]:0");
    assert!(r.addr.is_ipv6());
    let (code, lines, _) = probe(&[
        &format!("[::1]:{}", r.addr.port()),
        "--keyring",
        k.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["address"], format!("[::1]:{}", r.addr.port()));
    assert_eq!(lines[0]["keyring_match"], true);
}

/// A loopback address of its own for a test that needs port 4500.
fn private_loopback() -> String {
    let pid = std::process::id();
    format!(
        "127.{}.{}.{}",
        45 + (pid >> 16) % 100,
        (pid >> 8) & 0xff,
        (pid & 0xff).max(2)
    )
}

#[test]
fn port_4500_with_the_non_esp_marker() {
    let _timed = support::timed();
    let dir = tempfile::tempdir().unwrap();
    let k = keyring(dir.path(), "k.json", "hmac-sha256", 0);
    let host = private_loopback();
    let mut r = Responder::start(&k, &format!("{host}:4500"));
    // Without the marker respond would not answer (see tests/it/respond_rockhopper.rs).
    let (code, lines, _) = probe(&[&host, "--port", "4500", "--spi-i", SPI_I, "--spi-r", SPI_R]);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["nat_t"], true);
    assert_eq!(lines[0]["token"], derive(&k, "1", SPI_I, SPI_R).as_str());
    let a = r.wait_for("answered");
    assert_eq!(a["local"], format!("{host}:4500"));
}

/// Forwards datagrams between the probe and `upstream`, dropping the first
/// request; counts what it dropped and forwarded.
fn dropping_proxy(
    upstream: SocketAddr,
    stop: Arc<AtomicBool>,
) -> (SocketAddr, Arc<AtomicU32>, std::thread::JoinHandle<()>) {
    let front = UdpSocket::bind("127.0.0.1:0").unwrap();
    let back = UdpSocket::bind("127.0.0.1:0").unwrap();
    back.connect(upstream).unwrap();
    front
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    back.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let addr = front.local_addr().unwrap();
    let seen = Arc::new(AtomicU32::new(0));
    let count = Arc::clone(&seen);
    let h = std::thread::spawn(move || {
        let mut client = None;
        let mut buf = [0u8; 65536];
        while !stop.load(Ordering::Relaxed) {
            if let Ok((n, from)) = front.recv_from(&mut buf) {
                client = Some(from);
                if count.fetch_add(1, Ordering::Relaxed) > 0 {
                    back.send(&buf[..n]).unwrap();
                }
            }
            if let (Ok(n), Some(c)) = (back.recv(&mut buf), client) {
                front.send_to(&buf[..n], c).unwrap();
            }
        }
    });
    (addr, seen, h)
}

#[test]
fn retries_when_the_first_request_is_dropped() {
    let _timed = support::timed();
    let dir = tempfile::tempdir().unwrap();
    let k = keyring(dir.path(), "k.json", "hmac-sha256", 0);
    let r = Responder::start(&k, "127.0.0.1:0");
    let stop = Arc::new(AtomicBool::new(false));
    let (proxy, seen, h) = dropping_proxy(r.addr, Arc::clone(&stop));
    let (code, lines, took) = probe(&[&proxy.to_string(), "--keyring", k.to_str().unwrap()]);
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap();
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["stable"], true);
    // The first send went unanswered: answered after the first 500 ms wait.
    assert!(took >= Duration::from_millis(500), "{took:?}");
    // 2 liveness sends + same SPIs + other SPIs + 2 IKE_SA_INIT.
    assert_eq!(lines[0]["packets_sent"], 6);
    assert_eq!(seen.load(Ordering::Relaxed), 6);
}

#[test]
fn icmp_port_unreachable_is_said_at_once() {
    let _timed = support::timed();
    // A port nothing listens on: bind one, note it, close it.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, lines, took) = probe(&[&format!("127.0.0.1:{port}")]);
    assert_eq!(code, 1);
    let t = &lines[0];
    assert_eq!(t["verdict"], "port-unreachable");
    assert_eq!(t["qcd"], false);
    // One packet: no resend (it would come after the first 500 ms wait) and no
    // IKE_SA_INIT. The time is a coarse bound on the whole run, process start included.
    assert_eq!(t["packets_sent"], 1);
    assert!(took < Duration::from_secs(2), "took {took:?}: not at once");
}

#[test]
fn a_default_run_is_gentle_and_bounded() {
    let _timed = support::timed();
    // A target that counts and never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    silent
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let addr = silent.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let s = Arc::clone(&stop);
    let counter = std::thread::spawn(move || {
        let mut n = 0u32;
        let mut buf = [0u8; 65536];
        while !s.load(Ordering::Relaxed) {
            if silent.recv_from(&mut buf).is_ok() {
                n += 1;
            }
        }
        n
    });
    let (code, lines, took) = probe(&[&addr.to_string()]);
    stop.store(true, Ordering::Relaxed);
    let received = counter.join().unwrap();
    assert_eq!(code, 1);
    assert_eq!(lines[0]["verdict"], "silent");
    assert_eq!(received, lines[0]["packets_sent"].as_u64().unwrap() as u32);
    assert!(received <= 10, "{received} packets to one target");
    // The documented bound for a silent target (docs/probe.md): 5.5 s.
    assert!(
        took <= Duration::from_millis(5500) + Duration::from_millis(1500),
        "took {took:?}"
    );
    assert!(
        took >= Duration::from_millis(5000),
        "took {took:?}: the waits were cut short"
    );
    eprintln!("silent target: {received} packets, {took:?}");
}

#[test]
fn refuses_broadcast_multicast_unspecified() {
    let _timed = support::timed();
    for t in [
        "255.255.255.255",
        "224.0.0.251",
        "0.0.0.0",
        "[ff02::1]:500",
        "::",
    ] {
        let out = qcd().args(["probe", t]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{t}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("never sends to a group"), "{t}: {err}");
    }
}

#[test]
fn respond_reloads_on_sighup_and_stops_on_sigterm() {
    let _timed = support::timed();
    let dir = tempfile::tempdir().unwrap();
    let k = keyring(dir.path(), "k.json", "hmac-sha256", 0);
    let mut r = Responder::start(&k, "127.0.0.1:0");
    let target = r.addr.to_string();
    let (_, lines, _) = probe(&[&target]);
    assert_eq!(lines[0]["tokens"], 1);
    run_ok(&[
        "secret",
        "rotate",
        "--keyring",
        k.to_str().unwrap(),
        "--overlap",
        "48h",
    ]);
    r.signal(rustix::process::Signal::HUP);
    let v = r.wait_for("reloaded");
    assert_eq!(v["generations"], serde_json::json!([2, 1]));
    let (code, lines, _) = probe(&[&target, "--keyring", k.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(lines[0]["tokens"], 2);
    assert_eq!(lines[0]["generation"], 2);
    r.signal(rustix::process::Signal::TERM);
    let v = r.wait_for("stopped");
    assert!(v["answered"].as_u64().unwrap() >= 6);
    let status = r.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn respond_rate_limit_never_locks_it_up() {
    let _timed = support::timed();
    use qcd::spi::{Spi, SpiPair};
    use qcd::wire::liveness;
    let dir = tempfile::tempdir().unwrap();
    let k = keyring(dir.path(), "k.json", "hmac-sha256", 0);
    let mut child = qcd()
        .args(["--json", "respond", "--keyring"])
        .arg(&k)
        .args(["--listen", "127.0.0.1:0", "--rate", "2", "--burst", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let first = next_json(&mut lines);
    let maker: SocketAddr = first["address"].as_str().unwrap().parse().unwrap();
    let mut r = Responder {
        child,
        lines,
        addr: maker,
    };
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(r.addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let request = |n: u8| {
        let spis = SpiPair::new(Spi([n.max(1); 8]), Spi([0x42; 8]));
        liveness::liveness_request(spis, 0, vec![0; 16])
            .to_bytes()
            .unwrap()
    };
    let count_replies = |sock: &UdpSocket| {
        let mut buf = [0u8; 2048];
        let mut n = 0;
        while sock.recv(&mut buf).is_ok() {
            n += 1;
        }
        n
    };
    // A flood of 200 requests: the burst is answered, the rest are not.
    for n in 0..200u8 {
        sock.send(&request(n)).unwrap();
    }
    let answered = count_replies(&sock);
    assert!((3..=4).contains(&answered), "{answered} answers to a flood");
    // A second later the bucket has refilled: the maker answers again.
    std::thread::sleep(Duration::from_millis(1100));
    sock.send(&request(7)).unwrap();
    assert_eq!(
        count_replies(&sock),
        1,
        "the maker stays silent after a flood"
    );
    let limited = r.wait_for("rate-limited");
    assert_eq!(limited["local"], r.addr.to_string());
}

#[test]
fn a_fixed_source_port_probes_targets_one_after_another() {
    let _timed = support::timed();
    let dir = tempfile::tempdir().unwrap();
    let k = keyring(dir.path(), "k.json", "hmac-sha256", 0);
    let mut a = Responder::start(&k, "127.0.0.1:0");
    let mut b = Responder::start(&k, "127.0.0.1:0");
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, lines, _) = probe(&[
        &a.addr.to_string(),
        &b.addr.to_string(),
        "--source-port",
        &port.to_string(),
        "--expect",
        "shared",
    ]);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[2]["same_secret"], true);
    for r in [&mut a, &mut b] {
        let from = r.wait_for("answered")["from"].as_str().unwrap().to_string();
        assert_eq!(from, format!("127.0.0.1:{port}"));
    }
}
