//! Names for the numbers of the IANA "Internet Key Exchange Version 2 (IKEv2)
//! Parameters" registries that a decoder shows: payload types, exchange types,
//! notify message types (error and status) and security protocol identifiers.
//!
//! Every assigned value has a name; `name()` returns it (or `None`), and
//! `Display` prints the name or, for a value without one, the range it falls
//! in ("unassigned status type 20000", "private-use payload type 200").
//!
//! Source: the IANA registry as carried by public dissector tables
//! (Wireshark's packet-isakmp.c up to status type 16431, newer public tables
//! up to 16447, exchange types up to IKE_FOLLOWUP_KE = 44). One
//! deliberate difference: IANA lists 16419 as QUICK_CRASH_DETECTION; qcd
//! calls it QCD_TOKEN, the name RFC 6290 gives the notification.
//!
//! Not here: anything about the layout of the bytes (see the sibling modules).

use std::fmt;

/// An IKEv2 payload type (the Next Payload field), IANA "IKEv2 Payload Types".
/// The default is [`PayloadType::NONE`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PayloadType(pub u8);

impl PayloadType {
    pub const NONE: PayloadType = PayloadType(0);
    pub const SA: PayloadType = PayloadType(33);
    pub const KE: PayloadType = PayloadType(34);
    pub const IDI: PayloadType = PayloadType(35);
    pub const IDR: PayloadType = PayloadType(36);
    pub const CERT: PayloadType = PayloadType(37);
    pub const CERTREQ: PayloadType = PayloadType(38);
    pub const AUTH: PayloadType = PayloadType(39);
    pub const NONCE: PayloadType = PayloadType(40);
    pub const NOTIFY: PayloadType = PayloadType(41);
    pub const DELETE: PayloadType = PayloadType(42);
    pub const VENDOR_ID: PayloadType = PayloadType(43);
    pub const TSI: PayloadType = PayloadType(44);
    pub const TSR: PayloadType = PayloadType(45);
    pub const SK: PayloadType = PayloadType(46);
    pub const CP: PayloadType = PayloadType(47);
    pub const EAP: PayloadType = PayloadType(48);
    pub const GSPM: PayloadType = PayloadType(49);
    pub const IDG: PayloadType = PayloadType(50);
    pub const GSA: PayloadType = PayloadType(51);
    pub const KD: PayloadType = PayloadType(52);
    pub const SKF: PayloadType = PayloadType(53);
    pub const PS: PayloadType = PayloadType(54);

    /// The short name RFC 7296 uses in message diagrams ("N", "SK"), if assigned.
    pub fn name(self) -> Option<&'static str> {
        self.names().map(|(short, _)| short)
    }

    /// The full name from the registry ("Notify", "Encrypted and Authenticated").
    pub fn long_name(self) -> Option<&'static str> {
        self.names().map(|(_, long)| long)
    }

    fn names(self) -> Option<(&'static str, &'static str)> {
        Some(match self.0 {
            0 => ("NONE", "No Next Payload"),
            33 => ("SA", "Security Association"),
            34 => ("KE", "Key Exchange"),
            35 => ("IDi", "Identification - Initiator"),
            36 => ("IDr", "Identification - Responder"),
            37 => ("CERT", "Certificate"),
            38 => ("CERTREQ", "Certificate Request"),
            39 => ("AUTH", "Authentication"),
            40 => ("Nonce", "Nonce"),
            41 => ("N", "Notify"),
            42 => ("D", "Delete"),
            43 => ("V", "Vendor ID"),
            44 => ("TSi", "Traffic Selector - Initiator"),
            45 => ("TSr", "Traffic Selector - Responder"),
            46 => ("SK", "Encrypted and Authenticated"),
            47 => ("CP", "Configuration"),
            48 => ("EAP", "Extensible Authentication"),
            49 => ("GSPM", "Generic Secure Password Methods"),
            50 => ("IDg", "Group Identification"),
            51 => ("GSA", "Group Security Association"),
            52 => ("KD", "Key Download"),
            53 => ("SKF", "Encrypted and Authenticated Fragment"),
            54 => ("PS", "Puzzle Solution"),
            _ => return None,
        })
    }

    /// Whether the registry assigns this value (a receiver "recognizes" it).
    pub fn is_assigned(self) -> bool {
        self.0 != 0 && self.names().is_some()
    }

    /// Whether this is SK or SKF: the payload's content needs keys, and it
    /// ends the chain (its Next Payload field names the first inner payload).
    pub fn is_encrypted(self) -> bool {
        self == PayloadType::SK || self == PayloadType::SKF
    }
}

impl fmt::Display for PayloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, 1..=32) => write!(f, "reserved payload type {}", self.0),
            (None, 128..=255) => write!(f, "private-use payload type {}", self.0),
            (None, v) => write!(f, "unassigned payload type {v}"),
        }
    }
}

impl fmt::Debug for PayloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PayloadType({}, {self})", self.0)
    }
}

/// An IKEv2 exchange type, IANA "IKEv2 Exchange Types". The default is the
/// reserved value 0.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ExchangeType(pub u8);

impl ExchangeType {
    pub const IKE_SA_INIT: ExchangeType = ExchangeType(34);
    pub const IKE_AUTH: ExchangeType = ExchangeType(35);
    pub const CREATE_CHILD_SA: ExchangeType = ExchangeType(36);
    pub const INFORMATIONAL: ExchangeType = ExchangeType(37);
    pub const IKE_SESSION_RESUME: ExchangeType = ExchangeType(38);
    pub const GSA_AUTH: ExchangeType = ExchangeType(39);
    pub const GSA_REGISTRATION: ExchangeType = ExchangeType(40);
    pub const GSA_REKEY: ExchangeType = ExchangeType(41);
    pub const GSA_INBAND_REKEY: ExchangeType = ExchangeType(42);
    pub const IKE_INTERMEDIATE: ExchangeType = ExchangeType(43);
    pub const IKE_FOLLOWUP_KE: ExchangeType = ExchangeType(44);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            34 => "IKE_SA_INIT",
            35 => "IKE_AUTH",
            36 => "CREATE_CHILD_SA",
            37 => "INFORMATIONAL",
            38 => "IKE_SESSION_RESUME",
            39 => "GSA_AUTH",
            40 => "GSA_REGISTRATION",
            41 => "GSA_REKEY",
            42 => "GSA_INBAND_REKEY",
            43 => "IKE_INTERMEDIATE",
            44 => "IKE_FOLLOWUP_KE",
            _ => return None,
        })
    }
}

impl fmt::Display for ExchangeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, 0..=33) => write!(f, "reserved exchange type {}", self.0),
            (None, 240..=255) => write!(f, "private-use exchange type {}", self.0),
            (None, v) => write!(f, "unassigned exchange type {v}"),
        }
    }
}

impl fmt::Debug for ExchangeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExchangeType({}, {self})", self.0)
    }
}

/// An IKEv2 notify message type, IANA "IKEv2 Notify Message Types" (error
/// types 0-16383, status types 16384-65535).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotifyType(pub u16);

impl NotifyType {
    pub const UNSUPPORTED_CRITICAL_PAYLOAD: NotifyType = NotifyType(1);
    pub const INVALID_IKE_SPI: NotifyType = NotifyType(4);
    pub const INVALID_MAJOR_VERSION: NotifyType = NotifyType(5);
    pub const INVALID_SYNTAX: NotifyType = NotifyType(7);
    pub const INVALID_MESSAGE_ID: NotifyType = NotifyType(9);
    pub const INVALID_SPI: NotifyType = NotifyType(11);
    pub const NO_PROPOSAL_CHOSEN: NotifyType = NotifyType(14);
    pub const INVALID_KE_PAYLOAD: NotifyType = NotifyType(17);
    pub const AUTHENTICATION_FAILED: NotifyType = NotifyType(24);
    pub const TS_UNACCEPTABLE: NotifyType = NotifyType(38);
    pub const INITIAL_CONTACT: NotifyType = NotifyType(16384);
    pub const SET_WINDOW_SIZE: NotifyType = NotifyType(16385);
    pub const IPCOMP_SUPPORTED: NotifyType = NotifyType(16387);
    pub const NAT_DETECTION_SOURCE_IP: NotifyType = NotifyType(16388);
    pub const NAT_DETECTION_DESTINATION_IP: NotifyType = NotifyType(16389);
    pub const COOKIE: NotifyType = NotifyType(16390);
    pub const REKEY_SA: NotifyType = NotifyType(16393);
    pub const ADDITIONAL_IP4_ADDRESS: NotifyType = NotifyType(16397);
    pub const ADDITIONAL_IP6_ADDRESS: NotifyType = NotifyType(16398);
    pub const AUTH_LIFETIME: NotifyType = NotifyType(16403);
    pub const REDIRECT: NotifyType = NotifyType(16407);
    pub const REDIRECTED_FROM: NotifyType = NotifyType(16408);
    /// RFC 6290 (IANA: QUICK_CRASH_DETECTION).
    pub const QCD_TOKEN: NotifyType = NotifyType(16419);
    /// RFC 6023: the responder accepts an IKE_AUTH without a Child SA.
    pub const CHILDLESS_IKEV2_SUPPORTED: NotifyType = NotifyType(16418);
    pub const IKEV2_FRAGMENTATION_SUPPORTED: NotifyType = NotifyType(16430);
    pub const SIGNATURE_HASH_ALGORITHMS: NotifyType = NotifyType(16431);

    /// Types below 16384 report errors.
    pub fn is_error(self) -> bool {
        self.0 < 16384
    }

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "UNSUPPORTED_CRITICAL_PAYLOAD",
            4 => "INVALID_IKE_SPI",
            5 => "INVALID_MAJOR_VERSION",
            7 => "INVALID_SYNTAX",
            9 => "INVALID_MESSAGE_ID",
            11 => "INVALID_SPI",
            14 => "NO_PROPOSAL_CHOSEN",
            17 => "INVALID_KE_PAYLOAD",
            24 => "AUTHENTICATION_FAILED",
            34 => "SINGLE_PAIR_REQUIRED",
            35 => "NO_ADDITIONAL_SAS",
            36 => "INTERNAL_ADDRESS_FAILURE",
            37 => "FAILED_CP_REQUIRED",
            38 => "TS_UNACCEPTABLE",
            39 => "INVALID_SELECTORS",
            40 => "UNACCEPTABLE_ADDRESSES",
            41 => "UNEXPECTED_NAT_DETECTED",
            42 => "USE_ASSIGNED_HoA",
            43 => "TEMPORARY_FAILURE",
            44 => "CHILD_SA_NOT_FOUND",
            45 => "INVALID_GROUP_ID",
            46 => "AUTHORIZATION_FAILED",
            47 => "STATE_NOT_FOUND",
            48 => "TS_MAX_QUEUE",
            49 => "REGISTRATION_FAILED",
            16384 => "INITIAL_CONTACT",
            16385 => "SET_WINDOW_SIZE",
            16386 => "ADDITIONAL_TS_POSSIBLE",
            16387 => "IPCOMP_SUPPORTED",
            16388 => "NAT_DETECTION_SOURCE_IP",
            16389 => "NAT_DETECTION_DESTINATION_IP",
            16390 => "COOKIE",
            16391 => "USE_TRANSPORT_MODE",
            16392 => "HTTP_CERT_LOOKUP_SUPPORTED",
            16393 => "REKEY_SA",
            16394 => "ESP_TFC_PADDING_NOT_SUPPORTED",
            16395 => "NON_FIRST_FRAGMENTS_ALSO",
            16396 => "MOBIKE_SUPPORTED",
            16397 => "ADDITIONAL_IP4_ADDRESS",
            16398 => "ADDITIONAL_IP6_ADDRESS",
            16399 => "NO_ADDITIONAL_ADDRESSES",
            16400 => "UPDATE_SA_ADDRESSES",
            16401 => "COOKIE2",
            16402 => "NO_NATS_ALLOWED",
            16403 => "AUTH_LIFETIME",
            16404 => "MULTIPLE_AUTH_SUPPORTED",
            16405 => "ANOTHER_AUTH_FOLLOWS",
            16406 => "REDIRECT_SUPPORTED",
            16407 => "REDIRECT",
            16408 => "REDIRECTED_FROM",
            16409 => "TICKET_LT_OPAQUE",
            16410 => "TICKET_REQUEST",
            16411 => "TICKET_ACK",
            16412 => "TICKET_NACK",
            16413 => "TICKET_OPAQUE",
            16414 => "LINK_ID",
            16415 => "USE_WESP_MODE",
            16416 => "ROHC_SUPPORTED",
            16417 => "EAP_ONLY_AUTHENTICATION",
            16418 => "CHILDLESS_IKEV2_SUPPORTED",
            16419 => "QCD_TOKEN",
            16420 => "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",
            16421 => "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",
            16422 => "IKEV2_MESSAGE_ID_SYNC",
            16423 => "IPSEC_REPLAY_COUNTER_SYNC",
            16424 => "SECURE_PASSWORD_METHODS",
            16425 => "PSK_PERSIST",
            16426 => "PSK_CONFIRM",
            16427 => "ERX_SUPPORTED",
            16428 => "IFOM_CAPABILITY",
            16429 => "GROUP_SENDER",
            16430 => "IKEV2_FRAGMENTATION_SUPPORTED",
            16431 => "SIGNATURE_HASH_ALGORITHMS",
            16432 => "CLONE_IKE_SA_SUPPORTED",
            16433 => "CLONE_IKE_SA",
            16434 => "PUZZLE",
            16435 => "USE_PPK",
            16436 => "PPK_IDENTITY",
            16437 => "NO_PPK_AUTH",
            16438 => "INTERMEDIATE_EXCHANGE_SUPPORTED",
            16439 => "IP4_ALLOWED",
            16440 => "IP6_ALLOWED",
            16441 => "ADDITIONAL_KEY_EXCHANGE",
            16442 => "USE_AGGFRAG",
            16443 => "SUPPORTED_AUTH_METHODS",
            16444 => "SA_RESOURCE_INFO",
            16445 => "USE_PPK_INT",
            16446 => "PPK_IDENTITY_KEY",
            16447 => "IKE_SA_INIT_FULL_TRANSCRIPT_AUTH",
            _ => return None,
        })
    }
}

impl fmt::Display for NotifyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, 0) => f.write_str("reserved error type 0"),
            (None, v @ 1..=8191) => write!(f, "unassigned error type {v}"),
            (None, v @ 8192..=16383) => write!(f, "private-use error type {v}"),
            (None, v @ 16384..=40959) => write!(f, "unassigned status type {v}"),
            (None, v) => write!(f, "private-use status type {v}"),
        }
    }
}

impl fmt::Debug for NotifyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NotifyType({}, {self})", self.0)
    }
}

/// An IKEv2 security protocol identifier, IANA "IKEv2 Security Protocol Identifiers".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolId(pub u8);

impl ProtocolId {
    pub const NONE: ProtocolId = ProtocolId(0);
    pub const IKE: ProtocolId = ProtocolId(1);
    pub const AH: ProtocolId = ProtocolId(2);
    pub const ESP: ProtocolId = ProtocolId(3);

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "IKE",
            2 => "AH",
            3 => "ESP",
            4 => "FC_ESP_HEADER",
            5 => "FC_CT_AUTHENTICATION",
            6 => "GIKE_UPDATE",
            _ => return None,
        })
    }
}

impl fmt::Display for ProtocolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.0) {
            (Some(n), _) => f.write_str(n),
            (None, 0) => f.write_str("none"),
            (None, v @ 201..=255) => write!(f, "private-use protocol {v}"),
            (None, v) => write!(f, "unassigned protocol {v}"),
        }
    }
}

impl fmt::Debug for ProtocolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProtocolId({}, {self})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qcd_names_and_ranges() {
        assert_eq!(NotifyType::QCD_TOKEN.to_string(), "QCD_TOKEN");
        assert_eq!(NotifyType(4).to_string(), "INVALID_IKE_SPI");
        assert_eq!(NotifyType(11).to_string(), "INVALID_SPI");
        assert_eq!(NotifyType(100).to_string(), "unassigned error type 100");
        assert_eq!(NotifyType(9000).to_string(), "private-use error type 9000");
        assert_eq!(
            NotifyType(20000).to_string(),
            "unassigned status type 20000"
        );
        assert_eq!(
            NotifyType(50000).to_string(),
            "private-use status type 50000"
        );
        assert!(NotifyType(16383).is_error() && !NotifyType(16384).is_error());
    }

    #[test]
    fn every_assigned_value_is_named_and_ranges_are_labelled() {
        let errors = (0..16384u16)
            .filter(|v| NotifyType(*v).name().is_some())
            .count();
        let status = (16384..=65535u16)
            .filter(|v| NotifyType(*v).name().is_some())
            .count();
        assert_eq!((errors, status), (25, 64));
        assert_eq!(
            (33..=54u8)
                .filter(|v| PayloadType(*v).is_assigned())
                .count(),
            22
        );
        assert_eq!(PayloadType(200).to_string(), "private-use payload type 200");
        assert_eq!(PayloadType(60).to_string(), "unassigned payload type 60");
        assert_eq!(PayloadType(5).to_string(), "reserved payload type 5");
        assert_eq!(ExchangeType(37).to_string(), "INFORMATIONAL");
        assert_eq!(ExchangeType(44).to_string(), "IKE_FOLLOWUP_KE");
        assert_eq!(ExchangeType(45).to_string(), "unassigned exchange type 45");
        assert_eq!(
            ExchangeType(250).to_string(),
            "private-use exchange type 250"
        );
        assert_eq!(ExchangeType(1).to_string(), "reserved exchange type 1");
    }
}
