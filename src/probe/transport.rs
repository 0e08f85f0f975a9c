//! How a probe talks to one target: send a datagram, wait for one or for an
//! ICMP error. [`UdpTransport`] is a *connected* UDP socket, so the kernel
//! delivers only the target's datagrams and reports ICMP port and host
//! unreachable (IPv4 and IPv6) as errors on the next receive; tests put
//! their own [`Transport`] in its place.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use serde::Serialize;

/// What an ICMP error said about the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unreachable {
    /// Port unreachable: the host is up, nothing listens on the port.
    Port,
    /// Host or network unreachable.
    Host,
}

impl Unreachable {
    /// The ICMP error an I/O error stands for on a connected UDP socket.
    pub fn of(e: &io::Error) -> Option<Unreachable> {
        match e.kind() {
            io::ErrorKind::ConnectionRefused => Some(Unreachable::Port),
            io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                Some(Unreachable::Host)
            }
            _ => None,
        }
    }
}

/// One event from the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A UDP payload (non-ESP marker included on port 4500).
    Datagram(Vec<u8>),
    Unreachable(Unreachable),
    /// Nothing within the time given.
    TimedOut,
}

/// A conversation with one target.
pub trait Transport: Send {
    /// Sends one UDP payload.
    fn send(&mut self, datagram: &[u8]) -> io::Result<Option<Unreachable>>;
    /// Waits up to `timeout` for the next event.
    fn recv(&mut self, timeout: Duration) -> io::Result<Received>;
}

/// Opens transports to targets (the CLI's: UDP sockets).
pub trait Connector: Sync {
    fn connect(&self, target: SocketAddr) -> io::Result<Box<dyn Transport>>;
    /// Whether only one transport can be open at a time (a fixed source
    /// port): targets are then probed one after another.
    fn exclusive(&self) -> bool {
        false
    }
}

/// A connected UDP socket.
pub struct UdpTransport {
    socket: UdpSocket,
    buf: Vec<u8>,
}

impl UdpTransport {
    /// Binds the unspecified address of the target's family on
    /// `source_port` (0: an ephemeral port) and connects to `target`.
    pub fn connect(target: SocketAddr, source_port: u16) -> io::Result<UdpTransport> {
        let local = match target.ip() {
            IpAddr::V4(_) => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), source_port),
            IpAddr::V6(_) => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), source_port),
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(target)?;
        Ok(UdpTransport {
            socket,
            buf: vec![0; 65536],
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

impl Transport for UdpTransport {
    fn send(&mut self, datagram: &[u8]) -> io::Result<Option<Unreachable>> {
        match self.socket.send(datagram) {
            Ok(_) => Ok(None),
            Err(e) => Unreachable::of(&e).map(Some).ok_or(e),
        }
    }

    fn recv(&mut self, timeout: Duration) -> io::Result<Received> {
        self.socket
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        match self.socket.recv(&mut self.buf) {
            Ok(n) => Ok(Received::Datagram(self.buf[..n].to_vec())),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(Received::TimedOut)
            }
            Err(e) => Unreachable::of(&e).map(Received::Unreachable).ok_or(e),
        }
    }
}

/// The CLI's connector: a [`UdpTransport`] from `source_port` (0: ephemeral).
pub struct UdpConnector {
    pub source_port: u16,
}

impl Connector for UdpConnector {
    fn connect(&self, target: SocketAddr) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(UdpTransport::connect(target, self.source_port)?))
    }

    fn exclusive(&self) -> bool {
        self.source_port != 0
    }
}
