//! The maker's sockets: one thread per listening address answers with the
//! current [`Maker`] under a shared [`TokenBucket`]; the calling thread
//! writes the log, reloads the secrets when asked (SIGHUP) and stops all
//! threads when asked (SIGINT, SIGTERM). Sockets on port 4500 expect the
//! non-ESP marker and answer with it.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::{Decision, LogEvent, Maker, TokenBucket};
use crate::wire::liveness::NAT_T_PORT;

/// Flags set by signal handlers (or by a test).
#[derive(Clone, Default)]
pub struct Control {
    pub stop: Arc<AtomicBool>,
    pub reload: Arc<AtomicBool>,
}

impl Control {
    /// SIGINT and SIGTERM set `stop`, SIGHUP sets `reload`.
    pub fn from_signals() -> io::Result<Control> {
        let c = Control::default();
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(sig, Arc::clone(&c.stop))?;
        }
        signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&c.reload))?;
        Ok(c)
    }
}

/// How the maker answers.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: Vec<SocketAddr>,
    /// Answers per second, on average, over all sockets.
    pub rate: f64,
    /// Answers allowed at once.
    pub burst: u32,
}

impl Config {
    /// The configuration from the addresses as users write them
    /// ([`parse_listen`]), checked: the rate must be a positive number.
    pub fn new(listen: &[String], rate: f64, burst: u32) -> Result<Config, ConfigError> {
        let listen = listen
            .iter()
            .map(|l| parse_listen(l))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ConfigError::Listen)?;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(ConfigError::Rate);
        }
        Ok(Config {
            listen,
            rate,
            burst,
        })
    }
}

/// Why a configuration is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0}")]
    Listen(String),
    #[error("--rate must be a positive number of answers per second")]
    Rate,
}

/// Why the maker could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source} (is another IKE daemon or qcd respond using it? ports below 1024 need root)")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("network error on {addr}: {source}")]
    Io {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
}

/// Answers until `control.stop` is set; `reload` makes a new maker on
/// `control.reload` (an error keeps the old one); `log` gets every event.
pub fn serve(
    config: &Config,
    maker: Maker,
    reload: &dyn Fn() -> Result<Maker, String>,
    control: &Control,
    log: &mut dyn FnMut(LogEvent),
) -> Result<(), ServeError> {
    let mut sockets = Vec::new();
    for addr in &config.listen {
        let s = UdpSocket::bind(addr).map_err(|source| ServeError::Bind {
            addr: *addr,
            source,
        })?;
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .map_err(|source| ServeError::Io {
                addr: *addr,
                source,
            })?;
        let local = s.local_addr().map_err(|source| ServeError::Io {
            addr: *addr,
            source,
        })?;
        log(LogEvent::Listening {
            address: local.to_string(),
            nat_t: local.port() == NAT_T_PORT,
        });
        sockets.push((s, local));
    }
    let maker = Arc::new(RwLock::new(Arc::new(maker)));
    let bucket = Arc::new(Mutex::new(TokenBucket::new(
        config.rate,
        config.burst,
        Instant::now(),
    )));
    let (tx, rx) = mpsc::channel::<LogEvent>();
    let mut answered = 0u64;
    let result = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (socket, local) in &sockets {
            let tx = tx.clone();
            let maker = Arc::clone(&maker);
            let bucket = Arc::clone(&bucket);
            let stop = Arc::clone(&control.stop);
            handles.push(scope.spawn(move || -> Result<(), ServeError> {
                let nat_t = local.port() == NAT_T_PORT;
                let mut buf = vec![0u8; 65536];
                while !stop.load(Ordering::Relaxed) {
                    let (n, from) = match socket.recv_from(&mut buf) {
                        Ok(x) => x,
                        Err(e)
                            if matches!(
                                e.kind(),
                                io::ErrorKind::WouldBlock
                                    | io::ErrorKind::TimedOut
                                    | io::ErrorKind::Interrupted
                                    | io::ErrorKind::ConnectionRefused
                            ) =>
                        {
                            continue
                        }
                        Err(source) => {
                            stop.store(true, Ordering::Relaxed);
                            return Err(ServeError::Io {
                                addr: *local,
                                source,
                            });
                        }
                    };
                    let current = Arc::clone(&maker.read().expect("maker lock"));
                    let event = match current.answer(&buf[..n], from, nat_t) {
                        Decision::Answer {
                            request,
                            datagram,
                            generations,
                        } => {
                            if !bucket.lock().expect("bucket lock").allow(Instant::now()) {
                                LogEvent::RateLimited {
                                    from: from.to_string(),
                                    local: local.to_string(),
                                }
                            } else {
                                // A send error (the peer's ICMP) is not the maker's concern.
                                let _ = socket.send_to(&datagram, from);
                                LogEvent::Answered {
                                    from: from.to_string(),
                                    local: local.to_string(),
                                    spi_i: request.spis.initiator.to_hex(),
                                    spi_r: request.spis.responder.to_hex(),
                                    exchange: request
                                        .exchange
                                        .name()
                                        .unwrap_or("unknown")
                                        .to_string(),
                                    message_id: request.message_id,
                                    generations,
                                }
                            }
                        }
                        Decision::Ignore(reason) => LogEvent::Ignored {
                            from: from.to_string(),
                            local: local.to_string(),
                            reason,
                        },
                        Decision::NotIke => continue,
                    };
                    let _ = tx.send(event);
                }
                Ok(())
            }));
        }
        drop(tx);
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(e) => {
                    if matches!(e, LogEvent::Answered { .. }) {
                        answered += 1;
                    }
                    log(e);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if control.reload.swap(false, Ordering::Relaxed) {
                match reload() {
                    Ok(m) => {
                        let generations = m.generations();
                        *maker.write().expect("maker lock") = Arc::new(m);
                        log(LogEvent::Reloaded { generations });
                    }
                    Err(error) => log(LogEvent::ReloadFailed { error }),
                }
            }
            if control.stop.load(Ordering::Relaxed) {
                // Threads see the flag within one read timeout.
                for e in rx.iter() {
                    log(e);
                }
                break;
            }
        }
        let mut first_err = None;
        for h in handles {
            if let Err(e) = h.join().expect("a socket thread panicked") {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    });
    log(LogEvent::Stopped { answered });
    result
}

/// A listening address as users write it: `ADDR`, `ADDR:PORT`, `[V6]`,
/// `[V6]:PORT` or a bare IPv6 address; port 500 when none is given.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let t = text.trim();
    if let Ok(a) = t.parse::<SocketAddr>() {
        return Ok(a);
    }
    let bare = t
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(t);
    bare.parse::<std::net::IpAddr>()
        .map(|ip| SocketAddr::new(ip, crate::wire::liveness::IKE_PORT))
        .map_err(|_| {
            format!("--listen {text:?}: expected an IP address with an optional port, such as 0.0.0.0, 127.0.0.1:5500 or [::1]:4500")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_forms() {
        let p = |s| parse_listen(s).map(|a| a.to_string());
        assert_eq!(p("0.0.0.0").unwrap(), "0.0.0.0:500");
        assert_eq!(p("127.0.0.1:4500").unwrap(), "127.0.0.1:4500");
        assert_eq!(p("::1").unwrap(), "[::1]:500");
        assert_eq!(p("[::1]").unwrap(), "[::1]:500");
        assert_eq!(p("[::1]:0").unwrap(), "[::1]:0");
        assert!(p("gw.example.net").is_err());
    }

    #[test]
    fn config_is_checked() {
        let listen = ["127.0.0.1:0".to_string()];
        assert_eq!(Config::new(&listen, 100.0, 20).unwrap().listen.len(), 1);
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                Config::new(&listen, rate, 20).unwrap_err(),
                ConfigError::Rate
            );
        }
        let bad = ["gw.example.net".to_string()];
        assert!(matches!(
            Config::new(&bad, 0.0, 20),
            Err(ConfigError::Listen(_))
        ));
    }
}
