//! Just enough DER (X.690) to show what IKEv2 carries in ASN.1: an X.501
//! Name (the ID_DER_ASN1_DN identity, RFC 7296 §3.5) as the usual
//! `C=CH, O=strongSwan, CN=moon` text, and the AlgorithmIdentifier at the
//! start of an RFC 7427 Digital Signature AUTH payload.
//!
//! A bounded, allocation-light walk over tag-length-value triples: definite
//! lengths only, lengths up to four octets, no recursion beyond the fixed
//! shapes above. Anything else is `None`, and callers show hex instead.
//!
//! Not here: certificates, signatures, any validation.

/// One DER element: its tag octet, its content and the bytes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element<'a> {
    pub tag: u8,
    pub content: &'a [u8],
}

pub const TAG_SEQUENCE: u8 = 0x30;
pub const TAG_SET: u8 = 0x31;
pub const TAG_OID: u8 = 0x06;

/// Reads one element at the start of `b`; returns it and the rest.
pub fn element(b: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = b.split_first()?;
    // Multi-byte tags do not occur in the structures read here.
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
        (len, &rest[n..])
    };
    if len > rest.len() {
        return None;
    }
    Some((
        Element {
            tag,
            content: &rest[..len],
        },
        &rest[len..],
    ))
}

/// The elements of a constructed content, in order; `None` if any is malformed.
fn children(mut b: &[u8]) -> Option<Vec<Element<'_>>> {
    let mut v = Vec::new();
    while !b.is_empty() {
        let (e, rest) = element(b)?;
        v.push(e);
        b = rest;
    }
    Some(v)
}

/// An OBJECT IDENTIFIER's content in dotted form ("2.5.4.3").
pub fn oid_to_string(content: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut v: u64 = 0;
    for (i, &b) in content.iter().enumerate() {
        if v > (u64::MAX >> 7) {
            return None;
        }
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let (a, b) = match v {
                    0..=39 => (0, v),
                    40..=79 => (1, v - 40),
                    _ => (2, v - 80),
                };
                arcs.push(a);
                arcs.push(b);
            } else {
                arcs.push(v);
            }
            v = 0;
        } else if i + 1 == content.len() {
            return None;
        }
    }
    if arcs.is_empty() {
        return None;
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// Short names of the attribute types seen in distinguished names (RFC 4519,
/// RFC 4514 §3, and emailAddress from PKCS #9 as OpenSSL prints it).
fn attribute_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.2.840.113549.1.9.1" => "E",
        _ => return None,
    })
}

/// A directory string's text; `None` for types shown as hex.
fn string_value(e: &Element<'_>) -> Option<String> {
    match e.tag {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString
        0x0c | 0x13 | 0x16 | 0x12 | 0x1a => std::str::from_utf8(e.content).ok().map(str::to_string),
        // TeletexString: treated as Latin-1, as most tools do
        0x14 => Some(e.content.iter().map(|&b| b as char).collect()),
        // BMPString: UTF-16BE
        0x1e if e.content.len().is_multiple_of(2) => {
            let units: Vec<u16> = e
                .content
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// Escapes an attribute value the way RFC 4514 §2.4 asks.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == v.chars().count() && c == ' ');
        if special {
            out.push('\\');
        }
        if c.is_control() {
            out.push_str(&format!("\\{:02x}", c as u32 & 0xff));
        } else {
            out.push(c);
        }
    }
    out
}

/// An X.501 Name (a SEQUENCE OF RelativeDistinguishedName) as text, RDNs in
/// the order they appear ("C=CH, O=strongSwan, CN=moon", as strongSwan and
/// OpenSSL's oneline form print it), several attributes of one RDN joined
/// with `+`. `None` if `der` is not exactly one well-formed Name.
pub fn name_to_string(der: &[u8]) -> Option<String> {
    let (name, rest) = element(der)?;
    if name.tag != TAG_SEQUENCE || !rest.is_empty() {
        return None;
    }
    let mut rdns = Vec::new();
    for rdn in children(name.content)? {
        if rdn.tag != TAG_SET {
            return None;
        }
        let mut parts = Vec::new();
        for atv in children(rdn.content)? {
            if atv.tag != TAG_SEQUENCE {
                return None;
            }
            let kv = children(atv.content)?;
            let [oid, value] = kv.as_slice() else {
                return None;
            };
            if oid.tag != TAG_OID {
                return None;
            }
            let dotted = oid_to_string(oid.content)?;
            let key = attribute_name(&dotted).map_or(dotted, str::to_string);
            let value = match string_value(value) {
                Some(s) => escape(&s),
                None => format!("#{}", crate::encoding::to_hex(value.content)),
            };
            parts.push(format!("{key}={value}"));
        }
        rdns.push(parts.join("+"));
    }
    Some(rdns.join(", "))
}

/// Signature algorithms an RFC 7427 AUTH payload names (RFC 7427 Appendix
/// A, RFC 8420 for Ed25519/Ed448), by OID.
fn signature_algorithm_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.10040.4.3" => "dsa-with-sha1",
        "2.16.840.1.101.3.4.3.2" => "dsa-with-sha256",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        _ => return None,
    })
}

/// The algorithm of a DER AlgorithmIdentifier (SEQUENCE { OID, params }):
/// its name if known, else the dotted OID.
pub fn algorithm_identifier(der: &[u8]) -> Option<String> {
    let (seq, rest) = element(der)?;
    if seq.tag != TAG_SEQUENCE || !rest.is_empty() {
        return None;
    }
    let (oid, _) = element(seq.content)?;
    if oid.tag != TAG_OID {
        return None;
    }
    let dotted = oid_to_string(oid.content)?;
    Some(signature_algorithm_name(&dotted).map_or(dotted, str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        if content.len() < 128 {
            v.push(content.len() as u8);
        } else {
            v.push(0x82);
            v.extend((content.len() as u16).to_be_bytes());
        }
        v.extend(content);
        v
    }

    fn atv(oid: &[u8], tag: u8, value: &str) -> Vec<u8> {
        let mut c = tlv(TAG_OID, oid);
        c.extend(tlv(tag, value.as_bytes()));
        tlv(TAG_SET, &tlv(TAG_SEQUENCE, &c))
    }

    #[test]
    fn names_as_text() {
        let mut rdns = atv(&[0x55, 4, 6], 0x13, "CH");
        rdns.extend(atv(&[0x55, 4, 10], 0x0c, "strongSwan, Inc"));
        rdns.extend(atv(&[0x55, 4, 3], 0x0c, "moon.strongswan.org"));
        let name = tlv(TAG_SEQUENCE, &rdns);
        assert_eq!(
            name_to_string(&name).unwrap(),
            "C=CH, O=strongSwan\\, Inc, CN=moon.strongswan.org"
        );
        // unknown attribute type: dotted OID; unknown string type: hex
        let odd = tlv(TAG_SEQUENCE, &atv(&[0x2a, 3], 0x04, "ab"));
        assert_eq!(name_to_string(&odd).unwrap(), "1.2.3=#6162");
        // not a Name
        assert!(name_to_string(b"moon").is_none());
        assert!(name_to_string(&name[..name.len() - 1]).is_none());
        let mut extra = name.clone();
        extra.push(0);
        assert!(name_to_string(&extra).is_none());
    }

    #[test]
    fn oids_and_algorithms() {
        assert_eq!(
            oid_to_string(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]).unwrap(),
            "1.2.840.113549.1.1.11"
        );
        assert!(oid_to_string(&[0x86]).is_none());
        let alg = tlv(
            TAG_SEQUENCE,
            &[
                tlv(TAG_OID, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, 2]),
                vec![5, 0],
            ]
            .concat(),
        );
        assert_eq!(algorithm_identifier(&alg).unwrap(), "ecdsa-with-SHA256");
        assert!(element(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(element(&[0x1f, 0]).is_none());
    }
}
