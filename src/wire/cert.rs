//! The Certificate and Certificate Request payloads (RFC 7296 §3.6, §3.7):
//! an encoding octet and data. For CERT the data is the certificate (or,
//! for the Hash and URL encodings, a SHA-1 hash and a URL); for CERTREQ
//! with X.509 encodings it is a list of 20-byte SHA-1 hashes of trusted CA
//! public keys.
//!
//! Not here: parsing certificates.

use std::fmt;

use super::WireError;

/// The encoding octet.
pub const CERT_FIXED_LEN: usize = 1;
/// One CA hash (SHA-1 of a CA's SubjectPublicKeyInfo) in a CERTREQ.
pub const CA_HASH_LEN: usize = 20;

/// IANA "IKEv2 Certificate Encodings".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertEncoding(pub u8);

impl CertEncoding {
    pub const X509_SIGNATURE: CertEncoding = CertEncoding(4);
    pub const HASH_URL_X509: CertEncoding = CertEncoding(12);
    pub const HASH_URL_BUNDLE: CertEncoding = CertEncoding(13);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "PKCS #7 wrapped X.509 certificate",
            2 => "PGP Certificate",
            3 => "DNS Signed Key",
            4 => "X.509 Certificate - Signature",
            6 => "Kerberos Token",
            7 => "Certificate Revocation List (CRL)",
            8 => "Authority Revocation List (ARL)",
            9 => "SPKI Certificate",
            10 => "X.509 Certificate - Attribute",
            11 => "Raw RSA Key",
            12 => "Hash and URL of X.509 certificate",
            13 => "Hash and URL of X.509 bundle",
            14 => "OCSP Content",
            15 => "Raw Public Key",
            _ => return None,
        })
    }

    /// Whether the data is a 20-byte hash followed by a URL (RFC 7296 §3.6).
    pub fn is_hash_and_url(self) -> bool {
        self == CertEncoding::HASH_URL_X509 || self == CertEncoding::HASH_URL_BUNDLE
    }
}

impl fmt::Display for CertEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, v @ 201..=255) => write!(f, "private-use certificate encoding {v}"),
            (None, v) => write!(f, "unassigned certificate encoding {v}"),
        }
    }
}

impl fmt::Debug for CertEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertEncoding({}, {self})", self.0)
    }
}

/// A view of a CERT or CERTREQ payload body.
#[derive(Debug, Clone)]
pub struct Certificate<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Certificate<T> {
    pub fn new_unchecked(buffer: T) -> Certificate<T> {
        Certificate { buffer }
    }

    /// Checks that the encoding octet is present.
    pub fn new_checked(buffer: T) -> Result<Certificate<T>, WireError> {
        if buffer.as_ref().is_empty() {
            return Err(WireError::Truncated {
                offset: 0,
                field: "certificate encoding",
                needed: CERT_FIXED_LEN,
                available: 0,
            });
        }
        Ok(Certificate { buffer })
    }

    pub fn encoding(&self) -> CertEncoding {
        CertEncoding(self.buffer.as_ref()[0])
    }
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[CERT_FIXED_LEN..]
    }

    /// For the Hash and URL encodings: the SHA-1 hash and the URL bytes.
    pub fn hash_and_url(&self) -> Result<(&[u8], &[u8]), WireError> {
        let d = self.data();
        if d.len() < CA_HASH_LEN {
            return Err(WireError::Truncated {
                offset: CERT_FIXED_LEN,
                field: "certificate hash",
                needed: CA_HASH_LEN,
                available: d.len(),
            });
        }
        Ok(d.split_at(CA_HASH_LEN))
    }

    /// For a CERTREQ: the 20-byte CA hashes. A length that is not a
    /// multiple of 20 is an error (offset relative to the body).
    pub fn ca_hashes(&self) -> Result<std::slice::ChunksExact<'_, u8>, WireError> {
        let d = self.data();
        if !d.len().is_multiple_of(CA_HASH_LEN) {
            return Err(WireError::Malformed {
                offset: CERT_FIXED_LEN + d.len() / CA_HASH_LEN * CA_HASH_LEN,
                field: "certification authority",
                reason: format!(
                    "{} bytes of CA hashes is not a multiple of the 20-byte SHA-1 hash ({} bytes left over)",
                    d.len(),
                    d.len() % CA_HASH_LEN
                ),
            });
        }
        Ok(d.chunks_exact(CA_HASH_LEN))
    }
}

/// A CERT or CERTREQ payload body, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRepr {
    pub encoding: CertEncoding,
    pub data: Vec<u8>,
}

impl CertRepr {
    pub fn parse<T: AsRef<[u8]>>(c: &Certificate<T>) -> CertRepr {
        CertRepr {
            encoding: c.encoding(),
            data: c.data().to_vec(),
        }
    }

    pub fn buffer_len(&self) -> usize {
        CERT_FIXED_LEN + self.data.len()
    }

    /// The body bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.buffer_len());
        v.push(self.encoding.0);
        v.extend_from_slice(&self.data);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certreq_hashes_and_hash_url() {
        let mut data = vec![0x11; 20];
        data.extend([0x22; 20]);
        let b = CertRepr {
            encoding: CertEncoding::X509_SIGNATURE,
            data,
        }
        .to_bytes();
        let c = Certificate::new_checked(&b[..]).unwrap();
        let hashes: Vec<&[u8]> = c.ca_hashes().unwrap().collect();
        assert_eq!(hashes, [&[0x11; 20][..], &[0x22; 20][..]]);
        let e = Certificate::new_checked(&b[..30])
            .unwrap()
            .ca_hashes()
            .unwrap_err();
        assert_eq!((e.offset(), e.field()), (21, "certification authority"));
        let mut hu = vec![12u8];
        hu.extend([0xaa; 20]);
        hu.extend(b"http://ca/x.crt");
        let c = Certificate::new_checked(&hu[..]).unwrap();
        assert!(c.encoding().is_hash_and_url());
        assert_eq!(c.hash_and_url().unwrap().1, b"http://ca/x.crt");
        assert_eq!(CertEncoding(4).to_string(), "X.509 Certificate - Signature");
        assert!(Certificate::new_checked(&[][..]).is_err());
    }
}
