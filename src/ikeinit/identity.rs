//! IKE identities as users write them: `TYPE:VALUE`, e.g.
//! `fqdn:vpn.example.com`, `email:probe@example.com`, `ipv4:192.0.2.1`,
//! `ipv6:2001:db8::1`, `keyid:0a1b…` (hex), and back to text.

use std::net::IpAddr;

use super::InitError;
use crate::wire::{IdRepr, IdType};

/// Parses `TYPE:VALUE` into an ID payload body.
pub fn parse_identity(input: &str) -> Result<IdRepr, InitError> {
    let bad = |reason: &str| InitError::BadIdentity {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let (kind, value) = input
        .split_once(':')
        .ok_or_else(|| bad("no TYPE: before the value"))?;
    if value.is_empty() {
        return Err(bad("the value is empty"));
    }
    let (id_type, data) = match kind.to_ascii_lowercase().as_str() {
        "fqdn" => (IdType::FQDN, value.as_bytes().to_vec()),
        "email" | "rfc822" => (IdType::RFC822_ADDR, value.as_bytes().to_vec()),
        "ipv4" => match value.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => (IdType::IPV4_ADDR, a.octets().to_vec()),
            _ => return Err(bad("not an IPv4 address")),
        },
        "ipv6" => match value.parse::<IpAddr>() {
            Ok(IpAddr::V6(a)) => (IdType::IPV6_ADDR, a.octets().to_vec()),
            _ => return Err(bad("not an IPv6 address")),
        },
        "keyid" => (
            IdType::KEY_ID,
            hex::decode(value).map_err(|_| bad("KEY_ID values are written in hex"))?,
        ),
        _ => return Err(bad("unknown TYPE")),
    };
    Ok(IdRepr { id_type, data })
}

/// An identity as `TYPE:VALUE` (the inverse of [`parse_identity`]); other
/// types as `TYPE-NUMBER:HEX`.
pub fn identity_text(id: &IdRepr) -> String {
    let text = || String::from_utf8_lossy(&id.data).into_owned();
    match id.id_type {
        IdType::FQDN => format!("fqdn:{}", text()),
        IdType::RFC822_ADDR => format!("email:{}", text()),
        IdType::IPV4_ADDR if id.data.len() == 4 => {
            let b: [u8; 4] = id.data[..].try_into().unwrap_or_default();
            format!("ipv4:{}", std::net::Ipv4Addr::from(b))
        }
        IdType::IPV6_ADDR if id.data.len() == 16 => {
            let b: [u8; 16] = id.data[..].try_into().unwrap_or_default();
            format!("ipv6:{}", std::net::Ipv6Addr::from(b))
        }
        IdType::KEY_ID => format!("keyid:{}", hex::encode(&id.data)),
        t => format!("type-{}:{}", t.0, hex::encode(&id.data)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in [
            "fqdn:vpn.example.com",
            "email:probe@example.com",
            "ipv4:192.0.2.1",
            "ipv6:2001:db8::1",
            "keyid:0a1b",
        ] {
            assert_eq!(identity_text(&parse_identity(s).unwrap()), s);
        }
        for s in [
            "vpn",
            "fqdn:",
            "ipv4:2001:db8::1",
            "ipv6:1.2.3.4",
            "keyid:xyz",
            "dn:CN=x",
        ] {
            assert!(parse_identity(s).is_err(), "{s}");
        }
    }
}
