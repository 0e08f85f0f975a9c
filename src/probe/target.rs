//! Probe targets as users write them (`192.0.2.1`, `gw.example.net:4500`,
//! `[2001:db8::1]:500`, `2001:db8::1`), resolved to one socket address, and
//! the addresses a probe refuses (broadcast, multicast, unspecified).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use super::ProbeError;

/// A target: what the user wrote and where it resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// As given on the command line.
    pub name: String,
    pub addr: SocketAddr,
}

/// Splits `host[:port]` (IPv6 literals bare or in brackets).
fn split(text: &str) -> Result<(&str, Option<&str>), ProbeError> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, tail) = rest.split_once(']').ok_or_else(|| ProbeError::Target {
            target: text.to_string(),
            reason: "an opening `[` without `]`: write IPv6 with a port as [2001:db8::1]:500"
                .into(),
        })?;
        return match tail {
            "" => Ok((host, None)),
            t => match t.strip_prefix(':') {
                Some(p) => Ok((host, Some(p))),
                None => Err(ProbeError::Target {
                    target: text.to_string(),
                    reason: "expected `:PORT` after `]`".into(),
                }),
            },
        };
    }
    if text.parse::<IpAddr>().is_ok() {
        return Ok((text, None)); // a bare IPv6 address has colons but no port
    }
    Ok(match text.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (text, None),
    })
}

/// Why `ip` must not be probed, if it must not.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(a) if a.is_broadcast() => Some("a broadcast address"),
        IpAddr::V4(a) if a.is_multicast() => Some("a multicast address"),
        IpAddr::V4(a) if a.is_unspecified() => Some("the unspecified address"),
        IpAddr::V6(a) if a.is_multicast() => Some("a multicast address"),
        IpAddr::V6(a) if a.is_unspecified() => Some("the unspecified address"),
        IpAddr::V6(a) => a.to_ipv4_mapped().and_then(|v4| refused(IpAddr::V4(v4))),
        _ => None,
    }
}

impl Target {
    /// Parses and resolves `text`; `default_port` applies when it names none.
    /// A name resolving to several addresses takes the first.
    pub fn resolve(text: &str, default_port: u16) -> Result<Target, ProbeError> {
        let bad = |reason: String| ProbeError::Target {
            target: text.to_string(),
            reason,
        };
        let (host, port) = split(text.trim())?;
        if host.is_empty() {
            return Err(bad("no host: give an address or a name".into()));
        }
        let port = match port {
            None => default_port,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad(format!("port {p:?} is not a number from 1 to 65535")))?,
        };
        let addr = match host.parse::<IpAddr>() {
            Ok(ip) => SocketAddr::new(ip, port),
            Err(_) => (host, port)
                .to_socket_addrs()
                .map_err(|e| bad(format!("cannot resolve {host:?}: {e}")))?
                .next()
                .ok_or_else(|| bad(format!("{host:?} resolves to no address")))?,
        };
        if let Some(why) = refused(addr.ip()) {
            return Err(bad(format!(
                "{} is {why}: qcd probe asks one gateway at a time and never sends to a group",
                addr.ip()
            )));
        }
        Ok(Target {
            name: text.to_string(),
            addr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let t = |s: &str| Target::resolve(s, 500).map(|t| t.addr.to_string());
        assert_eq!(t("192.0.2.1").unwrap(), "192.0.2.1:500");
        assert_eq!(t("192.0.2.1:4500").unwrap(), "192.0.2.1:4500");
        assert_eq!(t("2001:db8::1").unwrap(), "[2001:db8::1]:500");
        assert_eq!(t("[2001:db8::1]:4500").unwrap(), "[2001:db8::1]:4500");
        assert_eq!(t("[::1]").unwrap(), "[::1]:500");
        assert!(t("localhost:4500").unwrap().ends_with(":4500"));
        assert!(t("192.0.2.1:0").is_err());
        assert!(t("192.0.2.1:x").is_err());
        assert!(t("[::1").is_err());
    }

    #[test]
    fn refuses_groups_and_unspecified() {
        for bad in [
            "255.255.255.255",
            "224.0.0.1",
            "0.0.0.0",
            "ff02::1",
            "::",
            "::ffff:255.255.255.255",
        ] {
            let e = Target::resolve(bad, 500).unwrap_err().to_string();
            assert!(e.contains("never sends to a group"), "{bad}: {e}");
        }
    }
}
