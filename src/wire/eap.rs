//! The EAP payload (RFC 7296 §3.16): one EAP message (RFC 3748 §4): code,
//! identifier, length and, for requests and responses, the method type and
//! its data.
//!
//! Not here: EAP methods.

use std::fmt;

use super::{read_u16, WireError};

/// Code, identifier and length.
pub const EAP_HEADER_LEN: usize = 4;

/// IANA "EAP Codes" (RFC 3748, RFC 6696).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EapCode(pub u8);

impl EapCode {
    pub const REQUEST: EapCode = EapCode(1);
    pub const RESPONSE: EapCode = EapCode(2);
    pub const SUCCESS: EapCode = EapCode(3);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "Request",
            2 => "Response",
            3 => "Success",
            4 => "Failure",
            5 => "Initiate",
            6 => "Finish",
            _ => return None,
        })
    }

    /// Whether a Type octet follows the header.
    pub fn has_type(self) -> bool {
        self == EapCode::REQUEST || self == EapCode::RESPONSE
    }
}

impl fmt::Display for EapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "unassigned EAP code {}", self.0),
        }
    }
}

impl fmt::Debug for EapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EapCode({}, {self})", self.0)
    }
}

/// IANA "Method Types" of EAP (the common ones).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EapType(pub u8);

impl EapType {
    pub const IDENTITY: EapType = EapType(1);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "Identity",
            2 => "Notification",
            3 => "Legacy Nak",
            4 => "MD5-Challenge",
            5 => "One-Time Password (OTP)",
            6 => "Generic Token Card (GTC)",
            13 => "EAP-TLS",
            17 => "Cisco LEAP",
            18 => "EAP-SIM",
            21 => "EAP-TTLS",
            23 => "EAP-AKA",
            25 => "PEAP",
            26 => "EAP-MSCHAP-V2",
            29 => "EAP-MSCHAP-V2 (Microsoft)",
            43 => "EAP-FAST",
            47 => "EAP-PSK",
            48 => "EAP-SAKE",
            49 => "EAP-IKEv2",
            50 => "EAP-AKA'",
            51 => "EAP-GPSK",
            52 => "EAP-pwd",
            53 => "EAP-EKE",
            55 => "TEAP",
            254 => "Expanded Type",
            255 => "Experimental",
            _ => return None,
        })
    }
}

impl fmt::Display for EapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "EAP method {}", self.0),
        }
    }
}

impl fmt::Debug for EapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EapType({}, {self})", self.0)
    }
}

/// A view of an EAP payload body (one EAP message).
#[derive(Debug, Clone)]
pub struct Eap<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Eap<T> {
    pub fn new_unchecked(buffer: T) -> Eap<T> {
        Eap { buffer }
    }

    /// Checks the header, that the EAP Length field equals the payload body
    /// (RFC 7296 §3.16: the payload holds exactly one EAP message) and that
    /// requests and responses have a type.
    pub fn new_checked(buffer: T) -> Result<Eap<T>, WireError> {
        let b = buffer.as_ref();
        if b.len() < EAP_HEADER_LEN {
            return Err(WireError::Truncated {
                offset: 0,
                field: "EAP header",
                needed: EAP_HEADER_LEN,
                available: b.len(),
            });
        }
        let len = read_u16(b, 2..4) as usize;
        if len != b.len() {
            return Err(WireError::Malformed {
                offset: 2,
                field: "EAP length",
                reason: format!(
                    "the EAP message says it is {len} bytes, the payload holds {}",
                    b.len()
                ),
            });
        }
        if EapCode(b[0]).has_type() && b.len() < EAP_HEADER_LEN + 1 {
            return Err(WireError::Truncated {
                offset: EAP_HEADER_LEN,
                field: "EAP type",
                needed: 1,
                available: 0,
            });
        }
        Ok(Eap { buffer })
    }

    pub fn code(&self) -> EapCode {
        EapCode(self.buffer.as_ref()[0])
    }
    pub fn identifier(&self) -> u8 {
        self.buffer.as_ref()[1]
    }
    pub fn length(&self) -> u16 {
        read_u16(self.buffer.as_ref(), 2..4)
    }
    /// The method type, for requests and responses.
    pub fn eap_type(&self) -> Option<EapType> {
        self.code()
            .has_type()
            .then(|| EapType(self.buffer.as_ref()[EAP_HEADER_LEN]))
    }
    /// The type-data after the type octet (or after the header).
    pub fn type_data(&self) -> &[u8] {
        let start = EAP_HEADER_LEN + usize::from(self.code().has_type());
        &self.buffer.as_ref()[start..]
    }
}

/// An EAP payload body, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EapRepr {
    pub code: EapCode,
    pub identifier: u8,
    /// Present for requests and responses.
    pub eap_type: Option<EapType>,
    pub data: Vec<u8>,
}

impl EapRepr {
    pub fn parse<T: AsRef<[u8]>>(e: &Eap<T>) -> EapRepr {
        EapRepr {
            code: e.code(),
            identifier: e.identifier(),
            eap_type: e.eap_type(),
            data: e.type_data().to_vec(),
        }
    }

    pub fn buffer_len(&self) -> usize {
        EAP_HEADER_LEN + usize::from(self.eap_type.is_some()) + self.data.len()
    }

    /// The body bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let len = self.buffer_len();
        let len16 = u16::try_from(len).map_err(|_| WireError::TooLong {
            field: "EAP length",
            value: len,
            max: u16::MAX as usize,
        })?;
        let mut v = Vec::with_capacity(len);
        v.extend_from_slice(&[self.code.0, self.identifier]);
        v.extend_from_slice(&len16.to_be_bytes());
        v.extend(self.eap_type.map(|t| t.0));
        v.extend_from_slice(&self.data);
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_success() {
        let req = EapRepr {
            code: EapCode::REQUEST,
            identifier: 7,
            eap_type: Some(EapType::IDENTITY),
            data: b"alice".to_vec(),
        };
        let b = req.to_bytes().unwrap();
        let e = Eap::new_checked(&b[..]).unwrap();
        assert_eq!(e.eap_type(), Some(EapType(1)));
        assert_eq!(e.type_data(), b"alice");
        assert_eq!(EapRepr::parse(&e), req);
        let ok = [3u8, 7, 0, 4];
        let e = Eap::new_checked(&ok[..]).unwrap();
        assert_eq!(e.code().to_string(), "Success");
        assert_eq!(e.eap_type(), None);
        let e = Eap::new_checked(&b[..8]).unwrap_err();
        assert_eq!((e.offset(), e.field()), (2, "EAP length"));
        assert_eq!(
            Eap::new_checked(&[1u8, 0, 0, 4][..]).unwrap_err().field(),
            "EAP type"
        );
    }
}
