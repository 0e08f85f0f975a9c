//! The Authentication payload (RFC 7296 §3.8): the method and the
//! authentication data; for the Digital Signature method (RFC 7427 §3) the
//! data starts with a length octet and a DER AlgorithmIdentifier naming the
//! signature algorithm.
//!
//! Not here: verifying anything.

use std::fmt;

use super::{der, WireError};

/// Method and reserved field.
pub const AUTH_FIXED_LEN: usize = 4;

/// IANA "IKEv2 Authentication Method".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuthMethod(pub u8);

impl AuthMethod {
    pub const RSA_SIGNATURE: AuthMethod = AuthMethod(1);
    pub const SHARED_KEY: AuthMethod = AuthMethod(2);
    /// RFC 7427 Digital Signature.
    pub const DIGITAL_SIGNATURE: AuthMethod = AuthMethod(14);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "RSA Digital Signature",
            2 => "Shared Key Message Integrity Code",
            3 => "DSS Digital Signature",
            9 => "ECDSA with SHA-256 on the P-256 curve",
            10 => "ECDSA with SHA-384 on the P-384 curve",
            11 => "ECDSA with SHA-512 on the P-521 curve",
            12 => "Generic Secure Password Authentication Method",
            13 => "NULL Authentication",
            14 => "Digital Signature",
            _ => return None,
        })
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, v @ 201..=255) => write!(f, "private-use authentication method {v}"),
            (None, v) => write!(f, "unassigned authentication method {v}"),
        }
    }
}

impl fmt::Debug for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthMethod({}, {self})", self.0)
    }
}

/// The parts of an RFC 7427 Digital Signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitalSignature<'a> {
    /// The AlgorithmIdentifier's algorithm: a name ("sha256WithRSAEncryption")
    /// or the dotted OID; `None` when the DER does not parse.
    pub algorithm: Option<String>,
    /// The DER AlgorithmIdentifier.
    pub algorithm_identifier: &'a [u8],
    pub signature: &'a [u8],
}

/// A view of an AUTH payload body.
#[derive(Debug, Clone)]
pub struct Authentication<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Authentication<T> {
    pub fn new_unchecked(buffer: T) -> Authentication<T> {
        Authentication { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Authentication<T>, WireError> {
        let len = buffer.as_ref().len();
        if len < AUTH_FIXED_LEN {
            return Err(WireError::Truncated {
                offset: 0,
                field: "auth method",
                needed: AUTH_FIXED_LEN,
                available: len,
            });
        }
        Ok(Authentication { buffer })
    }

    pub fn method(&self) -> AuthMethod {
        AuthMethod(self.buffer.as_ref()[0])
    }
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[AUTH_FIXED_LEN..]
    }

    /// For the Digital Signature method: the AlgorithmIdentifier and the
    /// signature (offsets in errors relative to the body).
    pub fn digital_signature(&self) -> Result<DigitalSignature<'_>, WireError> {
        let d = self.data();
        let Some((&len, rest)) = d.split_first() else {
            return Err(WireError::Truncated {
                offset: AUTH_FIXED_LEN,
                field: "ASN.1 length",
                needed: 1,
                available: 0,
            });
        };
        let len = len as usize;
        if len > rest.len() {
            return Err(WireError::Malformed {
                offset: AUTH_FIXED_LEN,
                field: "ASN.1 length",
                reason: format!(
                    "the AlgorithmIdentifier length {len} runs past the {} bytes of authentication data left",
                    rest.len()
                ),
            });
        }
        let (alg, signature) = rest.split_at(len);
        Ok(DigitalSignature {
            algorithm: der::algorithm_identifier(alg),
            algorithm_identifier: alg,
            signature,
        })
    }
}

/// An AUTH payload body, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRepr {
    pub method: AuthMethod,
    pub data: Vec<u8>,
}

impl AuthRepr {
    pub fn parse<T: AsRef<[u8]>>(a: &Authentication<T>) -> AuthRepr {
        AuthRepr {
            method: a.method(),
            data: a.data().to_vec(),
        }
    }

    pub fn buffer_len(&self) -> usize {
        AUTH_FIXED_LEN + self.data.len()
    }

    /// The body bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.buffer_len());
        v.extend_from_slice(&[self.method.0, 0, 0, 0]);
        v.extend_from_slice(&self.data);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digital_signature_names_its_algorithm() {
        // RFC 7427 Appendix A.1.2: sha256WithRSAEncryption, NULL parameters
        let alg = hex::decode("300d06092a864886f70d01010b0500").unwrap();
        let mut data = vec![alg.len() as u8];
        data.extend(&alg);
        data.extend([0x5a; 8]);
        let b = AuthRepr {
            method: AuthMethod::DIGITAL_SIGNATURE,
            data,
        }
        .to_bytes();
        let a = Authentication::new_checked(&b[..]).unwrap();
        assert_eq!(a.method().to_string(), "Digital Signature");
        let s = a.digital_signature().unwrap();
        assert_eq!(s.algorithm.as_deref(), Some("sha256WithRSAEncryption"));
        assert_eq!(s.signature, &[0x5a; 8]);
        let e = Authentication::new_checked(&b[..10])
            .unwrap()
            .digital_signature()
            .unwrap_err();
        assert_eq!((e.offset(), e.field()), (4, "ASN.1 length"));
        assert_eq!(
            AuthMethod(2).to_string(),
            "Shared Key Message Integrity Code"
        );
    }
}
