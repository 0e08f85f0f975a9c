//! A reusable network-namespace harness for tests that need real peers
//! (strongSwan's charon, a `qcd respond`, tcpdump) on a private network.
//!
//! [`NetnsPair::new`] creates two namespaces with unique names (the test
//! process id and a counter), joins them with a veth pair and gives each end
//! an IPv4 and an IPv6 address ([`Side::A`] = 10.99.0.1 / fd99::1,
//! [`Side::B`] = 10.99.0.2 / fd99::2). Nothing is reachable outside the
//! pair: the namespaces have no route to the host. Everything is removed on
//! `Drop` (processes started through the harness first, then the
//! namespaces, which takes the veth pair with them).
//!
//! Use from a test module with `use crate::support::netns;`; a test takes
//! `support::timed()`, then starts with [`skip_unless_root`] (and
//! [`skip_unless_tool`] for every program needed): they print why a test is
//! skipped, and panic instead when the environment variable `CI=true` is
//! set, because CI installs the tools and runs as root.
#![allow(dead_code)]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Where Debian's strongswan-charon package installs the daemon.
pub const CHARON: &str = "/usr/lib/ipsec/charon";

/// True when the environment says this is CI (where skipping is a failure).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Prints why `test` is skipped and returns true, or panics under `CI=true`.
pub fn skip(test: &str, why: &str) -> bool {
    if in_ci() {
        panic!("{test}: cannot be skipped in CI (CI=true), but {why}; .ci/run installs what it needs and runs as root");
    }
    eprintln!("SKIPPED {test}: {why}");
    true
}

/// True (after printing why, or panicking in CI) when not running as root.
pub fn skip_unless_root(test: &str) -> bool {
    if rustix::process::geteuid().is_root() {
        return false;
    }
    skip(test, "it needs root (network namespaces)")
}

/// True (after printing why, or panicking in CI) when `program` (a name on
/// PATH or an absolute path) is missing.
pub fn skip_unless_tool(test: &str, program: &str) -> bool {
    if find_program(program).is_some() {
        return false;
    }
    skip(test, &format!("`{program}` is not installed"))
}

/// The absolute path of `program`, looked up on PATH unless it has a slash.
pub fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// One end of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Two network namespaces joined by a veth pair (`veth0` in each).
pub struct NetnsPair {
    names: [String; 2],
    dir: tempfile::TempDir,
    children: Vec<Child>,
}

impl NetnsPair {
    /// The interface name inside each namespace.
    pub const IFACE: &'static str = "veth0";

    /// Creates the namespaces `qcd-<tag>-<pid>-<n>-a` and `…-b`, the veth
    /// pair and the addresses, with loopback up in both.
    pub fn new(tag: &str) -> io::Result<NetnsPair> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let base = format!("qcd-{tag}-{}-{n}", std::process::id());
        let pair = NetnsPair {
            names: [format!("{base}-a"), format!("{base}-b")],
            dir: tempfile::Builder::new().prefix("qcd-netns").tempdir()?,
            children: Vec::new(),
        };
        // Drop removes whatever was created if a step below fails.
        for name in &pair.names {
            run_ok(Command::new("ip").args(["netns", "add", name]))?;
        }
        run_ok(Command::new("ip").args([
            "link",
            "add",
            Self::IFACE,
            "netns",
            &pair.names[0],
            "type",
            "veth",
            "peer",
            "name",
            Self::IFACE,
            "netns",
            &pair.names[1],
        ]))?;
        for side in [Side::A, Side::B] {
            let ns = pair.name(side);
            let v4 = format!("{}/24", pair.ipv4(side));
            let v6 = format!("{}/64", pair.ipv6(side));
            run_ok(Command::new("ip").args(["-n", ns, "addr", "add", &v4, "dev", Self::IFACE]))?;
            run_ok(Command::new("ip").args([
                "-n",
                ns,
                "addr",
                "add",
                &v6,
                "dev",
                Self::IFACE,
                "nodad",
            ]))?;
            run_ok(Command::new("ip").args(["-n", ns, "link", "set", "lo", "up"]))?;
            run_ok(Command::new("ip").args(["-n", ns, "link", "set", Self::IFACE, "up"]))?;
        }
        Ok(pair)
    }

    /// The namespace name of `side`.
    pub fn name(&self, side: Side) -> &str {
        match side {
            Side::A => &self.names[0],
            Side::B => &self.names[1],
        }
    }

    pub fn ipv4(&self, side: Side) -> Ipv4Addr {
        match side {
            Side::A => Ipv4Addr::new(10, 99, 0, 1),
            Side::B => Ipv4Addr::new(10, 99, 0, 2),
        }
    }

    pub fn ipv6(&self, side: Side) -> Ipv6Addr {
        match side {
            Side::A => "fd99::1".parse().unwrap(),
            Side::B => "fd99::2".parse().unwrap(),
        }
    }

    pub fn ip(&self, side: Side, v6: bool) -> IpAddr {
        if v6 {
            IpAddr::V6(self.ipv6(side))
        } else {
            IpAddr::V4(self.ipv4(side))
        }
    }

    /// A scratch directory removed with the pair.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `program args…` to be run inside `side`'s namespace.
    pub fn command(&self, side: Side, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", self.name(side)]).arg(program);
        c
    }

    /// Runs `program args…` in `side`'s namespace to completion.
    pub fn run(&self, side: Side, program: &str, args: &[&str]) -> io::Result<Output> {
        self.command(side, program).args(args).output()
    }

    /// Starts `cmd` (from [`NetnsPair::command`]) in the background; it is
    /// killed when the pair is dropped unless [`NetnsPair::stop`] ran first.
    pub fn spawn(&mut self, cmd: &mut Command) -> io::Result<u32> {
        let child = cmd.spawn()?;
        let pid = child.id();
        self.children.push(child);
        Ok(pid)
    }

    /// Sends SIGTERM to a process started by [`NetnsPair::spawn`] and waits
    /// up to 5 s for it to exit (SIGKILL after that); returns its output
    /// when it was piped.
    pub fn stop(&mut self, pid: u32) -> io::Result<Output> {
        let i = self
            .children
            .iter()
            .position(|c| c.id() == pid)
            .ok_or_else(|| {
                io::Error::other(format!("process {pid} was not started by this harness"))
            })?;
        let child = self.children.remove(i);
        terminate(child)
    }

    /// Starts Debian's charon in `side`'s namespace, in a mount namespace of
    /// its own with a private `/run` (its pid file path is fixed), with its
    /// own strongswan.conf and vici socket in the scratch directory, then
    /// loads `swanctl_conf` with swanctl. `extra_charon` goes inside the
    /// `charon { }` section (e.g. `send_vendor_id = yes`).
    pub fn start_charon(
        &mut self,
        side: Side,
        swanctl_conf: &str,
        extra_charon: &str,
    ) -> io::Result<Charon> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = self.dir.path().join(format!("charon-{n}"));
        std::fs::create_dir_all(&dir)?;
        let vici = dir.join("charon.vici");
        let log = dir.join("charon.log");
        let conf = dir.join("strongswan.conf");
        std::fs::write(
            &conf,
            format!(
                "charon {{
    load = random nonce aes sha1 sha2 hmac gcm openssl pem pkcs1 x509 pubkey gmp curve25519 kdf kernel-netlink socket-default vici
    install_routes = no
    install_virtual_ip = no
    {extra_charon}
    plugins {{
        vici {{
            socket = unix://{vici}
        }}
    }}
    filelog {{
        log {{
            path = {log}
            time_format = %H:%M:%S
            flush_line = yes
            default = 1
            net = 2
            mgr = 2
        }}
    }}
    syslog {{
        daemon {{
            default = -1
        }}
    }}
}}
",
                vici = vici.display(),
                log = log.display()
            ),
        )?;
        let swanctl = dir.join("swanctl.conf");
        std::fs::write(&swanctl, swanctl_conf)?;
        let script = format!(
            "mount -t tmpfs qcd-run /run && STRONGSWAN_CONF={} exec {CHARON}",
            conf.display()
        );
        let mut cmd = self.command(side, "unshare");
        cmd.args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let pid = self.spawn(&mut cmd)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !vici.exists() {
            if Instant::now() > deadline {
                let _ = self.stop(pid);
                return Err(io::Error::other(format!(
                    "charon in {} did not open its vici socket within 10 s; log: {}",
                    self.name(side),
                    std::fs::read_to_string(&log).unwrap_or_default()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let uri = format!("unix://{}", vici.display());
        let out = Command::new("swanctl")
            .args(["--load-all", "--file"])
            .arg(&swanctl)
            .args(["--uri", &uri])
            .output()?;
        if !out.status.success() {
            let _ = self.stop(pid);
            return Err(io::Error::other(format!(
                "swanctl --load-all failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(Charon { pid, dir, uri })
    }

    /// Starts tcpdump on `side`'s veth writing to a file in the scratch
    /// directory; [`Capture::finish`] stops it and gives the file.
    pub fn capture(&mut self, side: Side, filter: &str) -> io::Result<Capture> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.path().join(format!("capture-{n}.pcap"));
        let mut cmd = self.command(side, "tcpdump");
        cmd.args(["-i", Self::IFACE, "-s", "0", "-U", "-n", "-w"])
            .arg(&path)
            .arg(filter)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let pid = self.spawn(&mut cmd)?;
        // tcpdump prints "listening on" once it captures; a file with the
        // pcap header appears at the same time with -U.
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) < 24 {
            if Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(200));
        Ok(Capture { pid, path })
    }
}

impl Drop for NetnsPair {
    fn drop(&mut self) {
        for child in self.children.drain(..) {
            let _ = terminate(child);
        }
        for name in &self.names {
            let _ = Command::new("ip")
                .args(["netns", "del", name])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A charon started by [`NetnsPair::start_charon`].
pub struct Charon {
    pub pid: u32,
    pub dir: PathBuf,
    /// The vici URI for `swanctl --uri`.
    pub uri: String,
}

impl Charon {
    /// charon's log so far (level 1, `net` and `mgr` at 2).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("charon.log")).unwrap_or_default()
    }

    /// Runs `swanctl ARGS --uri …` against this charon.
    pub fn swanctl(&self, args: &[&str]) -> io::Result<Output> {
        Command::new("swanctl")
            .args(args)
            .args(["--uri", &self.uri])
            .output()
    }
}

/// A tcpdump started by [`NetnsPair::capture`].
pub struct Capture {
    pub pid: u32,
    pub path: PathBuf,
}

impl Capture {
    /// Stops tcpdump (it flushes on SIGTERM) and returns the capture's path.
    pub fn finish(self, pair: &mut NetnsPair) -> io::Result<PathBuf> {
        std::thread::sleep(Duration::from_millis(200));
        pair.stop(self.pid)?;
        Ok(self.path)
    }
}

fn terminate(mut child: Child) -> io::Result<Output> {
    if let Ok(None) = child.try_wait() {
        if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Ok(None) = child.try_wait() {
            if Instant::now() > deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    child.wait_with_output()
}

fn run_ok(cmd: &mut Command) -> io::Result<()> {
    let out = cmd.output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}
