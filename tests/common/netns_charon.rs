//! strongSwan's charon as an IKEv2 responder in a network namespace of its
//! own, for tests of qcd's initiator: two namespaces made for the test
//! (names carry the test's process id and a tag), joined by a veth pair,
//! qcd's side 10.77.0.1, charon's 10.77.0.2; charon runs with a private
//! /run (its pid file is fixed) and its own strongswan.conf, vici socket and
//! log; tcpdump can capture on charon's veth. Everything is removed on drop.
//!
//! Follows tests/data/strongswan/make-captures.sh (see its notes: this
//! kernel has no XFRM ESP, so charon refuses Child SAs with
//! NO_PROPOSAL_CHOSEN but keeps the IKE SA).
//!
//! [`CharonNet::start`] returns `None` (after printing why) when root,
//! iproute2, charon, swanctl or tcpdump are missing, and panics instead
//! when CI=true: CI installs them.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CHARON: &str = "/usr/lib/ipsec/charon";
pub const PSK: &str = "qcd-test-psk-not-secret";
pub const GW_ID: &str = "gw.qcd.test";
pub const QCD_ID: &str = "probe.qcd.test";

pub struct CharonNet {
    pub ns_qcd: String,
    pub ns_gw: String,
    pub qcd_addr: IpAddr,
    pub gw_addr: IpAddr,
    pub dir: tempfile::TempDir,
    charon: Option<Child>,
    tcpdump: Option<Child>,
}

fn have(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn on_path(cmd: &str) -> bool {
    have("sh", &["-c", &format!("command -v {cmd}")])
}

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Why the environment cannot run charon tests, if it cannot.
pub fn missing() -> Option<String> {
    if !rustix::process::geteuid().is_root() {
        return Some("not root (network namespaces need it)".into());
    }
    for (what, ok) in [
        ("iproute2 (ip)", have("ip", &["-V"])),
        ("strongswan-charon", Path::new(CHARON).exists()),
        ("strongswan-swanctl", on_path("swanctl")),
        ("tcpdump", on_path("tcpdump")),
        ("unshare", on_path("unshare")),
    ] {
        if !ok {
            return Some(format!("{what} is not installed"));
        }
    }
    None
}

/// Skips (prints) when the tools are missing; fails under CI=true.
pub fn available(test: &str) -> bool {
    match missing() {
        None => true,
        Some(why) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{test}: {why}, and CI=true: .ci/run installs strongswan-charon, strongswan-swanctl, iproute2 and tcpdump"
            );
            eprintln!("SKIPPED {test}: {why}");
            false
        }
    }
}

impl CharonNet {
    /// Namespaces, veth and a charon responder with `connection` (the body
    /// of a swanctl `connections { gw { … } }` block beside the PSK auth
    /// rounds) loaded.
    pub fn start(tag: &str, connection: &str) -> CharonNet {
        let pid = std::process::id();
        let ns_qcd = format!("qcdi{tag}-{pid}");
        let ns_gw = format!("qcdg{tag}-{pid}");
        let dir = tempfile::tempdir().unwrap();
        let mut net = CharonNet {
            ns_qcd: ns_qcd.clone(),
            ns_gw: ns_gw.clone(),
            qcd_addr: "10.77.0.1".parse().unwrap(),
            gw_addr: "10.77.0.2".parse().unwrap(),
            dir,
            charon: None,
            tcpdump: None,
        };
        run("ip", &["netns", "add", &ns_qcd]);
        run("ip", &["netns", "add", &ns_gw]);
        run(
            "ip",
            &[
                "link", "add", "q0", "netns", &ns_qcd, "type", "veth", "peer", "name", "g0",
                "netns", &ns_gw,
            ],
        );
        run(
            "ip",
            &["-n", &ns_qcd, "addr", "add", "10.77.0.1/24", "dev", "q0"],
        );
        run(
            "ip",
            &["-n", &ns_gw, "addr", "add", "10.77.0.2/24", "dev", "g0"],
        );
        for (ns, dev) in [(&ns_qcd, "q0"), (&ns_gw, "g0")] {
            run("ip", &["-n", ns, "link", "set", "lo", "up"]);
            run("ip", &["-n", ns, "link", "set", dev, "up"]);
        }
        net.start_charon(connection);
        net
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn start_charon(&mut self, connection: &str) {
        let d = self.dir.path().display().to_string();
        std::fs::write(
            self.path("strongswan.conf"),
            format!(
                "charon {{
    load = random nonce aes sha1 sha2 hmac gcm openssl pem pkcs1 x509 pubkey gmp curve25519 kdf kernel-netlink socket-default vici updown
    install_routes = no
    install_virtual_ip = no
    plugins {{
        vici {{
            socket = unix://{d}/charon.vici
        }}
    }}
    filelog {{
        log {{
            path = {d}/charon.log
            time_format = %H:%M:%S
            ike_name = yes
            flush_line = yes
            default = 1
            ike = 2
            cfg = 2
        }}
    }}
    syslog {{
        daemon {{
            default = -1
        }}
    }}
}}
"
            ),
        )
        .unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns_gw, "unshare", "--mount", "--propagation", "private"])
            .args([
                "sh",
                "-c",
                &format!(
                    "mount -t tmpfs qcd-run /run && STRONGSWAN_CONF={d}/strongswan.conf exec {CHARON}"
                ),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.charon = Some(child);
        let vici = self.path("charon.vici");
        let t = Instant::now();
        while !vici.exists() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "charon did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::write(
            self.path("swanctl.conf"),
            format!(
                "connections {{
    gw {{
        version = 2
        local_addrs = {gw}
        remote_addrs = {qcd}
        mobike = no
        {connection}
        local {{
            auth = psk
            id = {GW_ID}
        }}
        remote {{
            auth = psk
            id = {QCD_ID}
        }}
        children {{
            net {{
                local_ts = dynamic
                remote_ts = dynamic
                esp_proposals = aes256gcm16,aes256-sha256
            }}
        }}
    }}
}}
secrets {{
    ike-gw {{
        id-1 = {GW_ID}
        id-2 = {QCD_ID}
        secret = \"{PSK}\"
    }}
}}
",
                gw = self.gw_addr,
                qcd = self.qcd_addr,
            ),
        )
        .unwrap();
        run(
            "swanctl",
            &[
                "--load-all",
                "--file",
                &self.path("swanctl.conf").display().to_string(),
                "--uri",
                &format!("unix://{d}/charon.vici"),
            ],
        );
    }

    /// Starts tcpdump on charon's veth (IKE ports), writing `pcap`.
    pub fn capture(&mut self, pcap: &Path) {
        let mut child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns_gw,
                "tcpdump",
                "--immediate-mode",
                "-i",
                "g0",
                "-s",
                "0",
                "-U",
                "-w",
            ])
            .arg(pcap)
            .arg("udp port 500 or udp port 4500")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // tcpdump says "listening on g0" once it captures
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("listening on") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(10))
            .expect("tcpdump did not start");
        self.tcpdump = Some(child);
    }

    /// Stops tcpdump (SIGTERM, so it flushes the file).
    pub fn stop_capture(&mut self) {
        if let Some(mut c) = self.tcpdump.take() {
            std::thread::sleep(Duration::from_millis(300));
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
    }

    /// Runs `f` on a thread inside qcd's namespace.
    pub fn in_qcd_ns<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let ns = std::fs::File::open(format!("/var/run/netns/{}", self.ns_qcd)).unwrap();
        std::thread::spawn(move || {
            rustix::thread::move_into_link_name_space(
                std::os::fd::AsFd::as_fd(&ns),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .expect("setns into the test's network namespace");
            f()
        })
        .join()
        .unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("charon.log")).unwrap_or_default()
    }
}

impl Drop for CharonNet {
    fn drop(&mut self) {
        self.stop_capture();
        if let Some(mut c) = self.charon.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.ns_qcd, &self.ns_gw] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// tshark's verbose decode of `pcap` with `table` as its IKEv2 decryption table.
pub fn tshark_with_table(pcap: &Path, table: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".config/wireshark")).unwrap();
    std::fs::write(
        home.path().join(".config/wireshark/ikev2_decryption_table"),
        table,
    )
    .unwrap();
    let out = Command::new("tshark")
        .env("HOME", home.path())
        .arg("-r")
        .arg(pcap)
        .arg("-V")
        .output()
        .expect("tshark (CI installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
