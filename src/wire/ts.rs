//! The Traffic Selector payloads TSi and TSr (RFC 7296 §3.13): a count and
//! the selectors, each a type, an IP protocol, a port range and an address
//! range (IPv4 or IPv6); other selector types (Fibre Channel, RFC 4595;
//! security labels, RFC 9478) are kept as bytes.
//!
//! Not here: narrowing or matching selectors.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{read_u16, WireError};

/// Number of TSs and reserved field.
pub const TS_FIXED_LEN: usize = 4;
/// Selector type, protocol, length.
pub const SELECTOR_HEADER_LEN: usize = 4;
/// An IPv4 address range selector.
pub const SELECTOR_IPV4_LEN: usize = 16;
/// An IPv6 address range selector.
pub const SELECTOR_IPV6_LEN: usize = 40;

/// IANA "IKEv2 Traffic Selector Types".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TsType(pub u8);

impl TsType {
    pub const IPV4_ADDR_RANGE: TsType = TsType(7);
    pub const IPV6_ADDR_RANGE: TsType = TsType(8);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            7 => "TS_IPV4_ADDR_RANGE",
            8 => "TS_IPV6_ADDR_RANGE",
            9 => "TS_FC_ADDR_RANGE",
            10 => "TS_SECLABEL",
            _ => return None,
        })
    }
}

impl fmt::Display for TsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, v @ 241..=255) => write!(f, "private-use TS type {v}"),
            (None, v) => write!(f, "unassigned TS type {v}"),
        }
    }
}

impl fmt::Debug for TsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TsType({}, {self})", self.0)
    }
}

/// An IP protocol number (IANA "Assigned Internet Protocol Numbers"), as a
/// traffic selector carries it; 0 means any protocol.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    /// 253, "use for experimentation and testing" (RFC 3692): a protocol no
    /// real traffic uses, for traffic selectors that must match nothing.
    pub const EXPERIMENTAL: IpProtocol = IpProtocol(253);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "any",
            1 => "ICMP",
            2 => "IGMP",
            4 => "IPv4",
            6 => "TCP",
            17 => "UDP",
            41 => "IPv6",
            47 => "GRE",
            50 => "ESP",
            51 => "AH",
            58 => "IPv6-ICMP",
            89 => "OSPF",
            97 => "EtherIP",
            103 => "PIM",
            112 => "VRRP",
            132 => "SCTP",
            136 => "UDPLite",
            137 => "MPLS-in-IP",
            _ => return None,
        })
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "protocol {}", self.0),
        }
    }
}

impl fmt::Debug for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IpProtocol({}, {self})", self.0)
    }
}

/// One traffic selector, borrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector<'a> {
    /// TS_IPV4_ADDR_RANGE or TS_IPV6_ADDR_RANGE.
    Range {
        offset: usize,
        ts_type: TsType,
        ip_protocol: IpProtocol,
        start_port: u16,
        end_port: u16,
        start: IpAddr,
        end: IpAddr,
    },
    /// Any other type: everything after the type, protocol and length fields.
    Other {
        offset: usize,
        ts_type: TsType,
        /// The second octet (IP protocol for address ranges; reserved or
        /// type-specific otherwise).
        second: u8,
        data: &'a [u8],
    },
}

impl Selector<'_> {
    pub fn ts_type(&self) -> TsType {
        match self {
            Selector::Range { ts_type, .. } | Selector::Other { ts_type, .. } => *ts_type,
        }
    }
}

/// A view of a TSi/TSr payload body.
#[derive(Debug, Clone)]
pub struct TrafficSelectors<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TrafficSelectors<T> {
    pub fn new_unchecked(buffer: T) -> TrafficSelectors<T> {
        TrafficSelectors { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<TrafficSelectors<T>, WireError> {
        let len = buffer.as_ref().len();
        if len < TS_FIXED_LEN {
            return Err(WireError::Truncated {
                offset: 0,
                field: "number of TSs",
                needed: TS_FIXED_LEN,
                available: len,
            });
        }
        Ok(TrafficSelectors { buffer })
    }

    /// The "Number of TSs" field.
    pub fn count(&self) -> u8 {
        self.buffer.as_ref()[0]
    }

    /// The selectors, with offsets counting from `base` (the body's offset
    /// in the whole input). Stops at the first malformed one; a count that
    /// does not match the selectors present is an error at the end.
    pub fn selectors(&self, base: usize) -> SelectorIter<'_> {
        SelectorIter {
            data: &self.buffer.as_ref()[TS_FIXED_LEN..],
            at: 0,
            base: base + TS_FIXED_LEN,
            count: self.count(),
            seen: 0,
            done: false,
        }
    }
}

/// Iterates over the selectors of a TS payload.
#[derive(Debug, Clone)]
pub struct SelectorIter<'a> {
    data: &'a [u8],
    at: usize,
    base: usize,
    count: u8,
    seen: usize,
    done: bool,
}

fn addr(b: &[u8]) -> IpAddr {
    match b.len() {
        4 => IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
        _ => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[..16]);
            IpAddr::V6(Ipv6Addr::from(a))
        }
    }
}

impl<'a> Iterator for SelectorIter<'a> {
    type Item = Result<Selector<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = &self.data[self.at..];
        let offset = self.base + self.at;
        if rest.is_empty() {
            self.done = true;
            if self.seen != self.count as usize {
                return Some(Err(WireError::Malformed {
                    offset: self.base - TS_FIXED_LEN,
                    field: "number of TSs",
                    reason: format!(
                        "the payload says {} traffic selectors but holds {}",
                        self.count, self.seen
                    ),
                }));
            }
            return None;
        }
        let fail = |this: &mut Self, e| {
            this.done = true;
            Some(Err(e))
        };
        if rest.len() < SELECTOR_HEADER_LEN {
            return fail(
                self,
                WireError::Truncated {
                    offset,
                    field: "traffic selector",
                    needed: SELECTOR_HEADER_LEN,
                    available: rest.len(),
                },
            );
        }
        let ts_type = TsType(rest[0]);
        let len = read_u16(rest, 2..4) as usize;
        if len < SELECTOR_HEADER_LEN || len > rest.len() {
            return fail(
                self,
                WireError::Malformed {
                    offset: offset + 2,
                    field: "selector length",
                    reason: format!(
                        "{ts_type} selector length {len} is below 4 or runs past the {} bytes left",
                        rest.len()
                    ),
                },
            );
        }
        let s = &rest[..len];
        let sel = match ts_type {
            TsType::IPV4_ADDR_RANGE | TsType::IPV6_ADDR_RANGE => {
                let (want, alen) = if ts_type == TsType::IPV4_ADDR_RANGE {
                    (SELECTOR_IPV4_LEN, 4)
                } else {
                    (SELECTOR_IPV6_LEN, 16)
                };
                if len != want {
                    return fail(
                        self,
                        WireError::Malformed {
                            offset: offset + 2,
                            field: "selector length",
                            reason: format!("{ts_type} selector length {len}, must be {want}"),
                        },
                    );
                }
                Selector::Range {
                    offset,
                    ts_type,
                    ip_protocol: IpProtocol(s[1]),
                    start_port: read_u16(s, 4..6),
                    end_port: read_u16(s, 6..8),
                    start: addr(&s[8..8 + alen]),
                    end: addr(&s[8 + alen..8 + 2 * alen]),
                }
            }
            _ => Selector::Other {
                offset,
                ts_type,
                second: s[1],
                data: &s[SELECTOR_HEADER_LEN..],
            },
        };
        self.at += len;
        self.seen += 1;
        Some(Ok(sel))
    }
}

/// One traffic selector, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorRepr {
    /// An address range; both addresses must be of the same family.
    Range {
        ip_protocol: IpProtocol,
        start_port: u16,
        end_port: u16,
        start: IpAddr,
        end: IpAddr,
    },
    Other {
        ts_type: TsType,
        second: u8,
        data: Vec<u8>,
    },
}

impl SelectorRepr {
    pub fn parse(s: &Selector<'_>) -> SelectorRepr {
        match s {
            Selector::Range {
                ip_protocol,
                start_port,
                end_port,
                start,
                end,
                ..
            } => SelectorRepr::Range {
                ip_protocol: *ip_protocol,
                start_port: *start_port,
                end_port: *end_port,
                start: *start,
                end: *end,
            },
            Selector::Other {
                ts_type,
                second,
                data,
                ..
            } => SelectorRepr::Other {
                ts_type: *ts_type,
                second: *second,
                data: data.to_vec(),
            },
        }
    }

    pub fn buffer_len(&self) -> usize {
        match self {
            SelectorRepr::Range { start, .. } => {
                if start.is_ipv4() {
                    SELECTOR_IPV4_LEN
                } else {
                    SELECTOR_IPV6_LEN
                }
            }
            SelectorRepr::Other { data, .. } => SELECTOR_HEADER_LEN + data.len(),
        }
    }

    fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let len = self.buffer_len();
        let len16 = u16::try_from(len).map_err(|_| WireError::TooLong {
            field: "selector length",
            value: len,
            max: u16::MAX as usize,
        })?;
        match self {
            SelectorRepr::Range {
                ip_protocol,
                start_port,
                end_port,
                start,
                end,
            } => {
                let t = match (start, end) {
                    (IpAddr::V4(_), IpAddr::V4(_)) => TsType::IPV4_ADDR_RANGE,
                    (IpAddr::V6(_), IpAddr::V6(_)) => TsType::IPV6_ADDR_RANGE,
                    _ => {
                        return Err(WireError::TooLong {
                            field: "selector address family",
                            value: 16,
                            max: 4,
                        })
                    }
                };
                out.extend_from_slice(&[t.0, ip_protocol.0]);
                out.extend_from_slice(&len16.to_be_bytes());
                out.extend_from_slice(&start_port.to_be_bytes());
                out.extend_from_slice(&end_port.to_be_bytes());
                for a in [start, end] {
                    match a {
                        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
                        IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
                    }
                }
            }
            SelectorRepr::Other {
                ts_type,
                second,
                data,
            } => {
                out.extend_from_slice(&[ts_type.0, *second]);
                out.extend_from_slice(&len16.to_be_bytes());
                out.extend_from_slice(data);
            }
        }
        Ok(())
    }
}

/// A TSi/TSr payload body, owned. "Number of TSs" is the number of selectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsRepr {
    pub selectors: Vec<SelectorRepr>,
}

impl TsRepr {
    pub fn parse<T: AsRef<[u8]>>(ts: &TrafficSelectors<T>) -> Result<TsRepr, WireError> {
        Ok(TsRepr {
            selectors: ts
                .selectors(0)
                .map(|s| s.map(|s| SelectorRepr::parse(&s)))
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn buffer_len(&self) -> usize {
        TS_FIXED_LEN
            + self
                .selectors
                .iter()
                .map(SelectorRepr::buffer_len)
                .sum::<usize>()
    }

    /// The body bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let count = u8::try_from(self.selectors.len()).map_err(|_| WireError::TooLong {
            field: "number of TSs",
            value: self.selectors.len(),
            max: 255,
        })?;
        let mut v = Vec::with_capacity(self.buffer_len());
        v.extend_from_slice(&[count, 0, 0, 0]);
        for s in &self.selectors {
            s.emit(&mut v)?;
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_round_trip_and_errors() {
        let ts = TsRepr {
            selectors: vec![
                SelectorRepr::Range {
                    ip_protocol: IpProtocol(0),
                    start_port: 0,
                    end_port: 65535,
                    start: "10.0.0.0".parse().unwrap(),
                    end: "10.0.0.255".parse().unwrap(),
                },
                SelectorRepr::Range {
                    ip_protocol: IpProtocol(17),
                    start_port: 500,
                    end_port: 500,
                    start: "2001:db8::".parse().unwrap(),
                    end: "2001:db8::ffff".parse().unwrap(),
                },
                SelectorRepr::Other {
                    ts_type: TsType(10),
                    second: 0,
                    data: b"label".to_vec(),
                },
            ],
        };
        let b = ts.to_bytes().unwrap();
        let v = TrafficSelectors::new_checked(&b[..]).unwrap();
        assert_eq!(v.count(), 3);
        assert_eq!(TsRepr::parse(&v).unwrap(), ts);
        let first = v.selectors(40).next().unwrap().unwrap();
        assert!(matches!(first, Selector::Range { offset: 44, .. }));
        // count says 4
        let mut more = b.clone();
        more[0] = 4;
        let e = TsRepr::parse(&TrafficSelectors::new_checked(&more[..]).unwrap()).unwrap_err();
        assert_eq!((e.offset(), e.field()), (0, "number of TSs"));
        // an IPv4 selector of the wrong length
        let mut bad = b.clone();
        bad[4 + 3] = 20;
        let e = TsRepr::parse(&TrafficSelectors::new_checked(&bad[..]).unwrap()).unwrap_err();
        assert_eq!(e.field(), "selector length");
        assert_eq!(IpProtocol(6).to_string(), "TCP");
        assert_eq!(TsType(7).to_string(), "TS_IPV4_ADDR_RANGE");
    }
}
