//! IKEv2 on the wire: zero-copy views over byte slices and owned `Repr`s that
//! parse from and emit to those views, in the manner of smoltcp's `wire`.
//!
//! This module owns every byte offset of the IKEv2 formats qcd touches: the
//! IKE header ([`header`]), the generic payload header and the payload chain
//! ([`payload`]), and one module per payload kind: SA with its proposals,
//! transforms and attributes ([`sa`]), Key Exchange ([`ke`]), IDi/IDr
//! ([`id`]), CERT/CERTREQ ([`cert`]), AUTH ([`auth`]), Notify and its data
//! ([`notify`]), Delete ([`delete`]), Vendor ID ([`vendor`]), TSi/TSr
//! ([`ts`]), CP ([`cp`]), EAP ([`eap`]), and the Encrypted (SK) and
//! Encrypted Fragment (SKF) payloads ([`sk`]). [`liveness`] and
//! [`init_probe`] are the unprotected exchanges `qcd probe` and `qcd respond`
//! speak (a request for unknown SPIs and its QCD answer; an IKE_SA_INIT probe). [`der`] reads the bits of
//! ASN.1 that ID and AUTH payloads carry. [`registry`] names the numbers of
//! the header and generic registries; each payload module names its own
//! (transform IDs, groups, ID types, …) as newtypes with a `name()`.
//! Views check the length once in `new_checked` and then read fields
//! straight from the bytes; `Repr`s build messages for tests, fixtures,
//! scenarios and the capture generator, and parse back to themselves.
//!
//! Not here: reading hex or captures, QCD policy checks and rendering (see
//! `qcd::decode`), and decryption (the SK view only exposes where the
//! ciphertext is). Views and iterators do not allocate, except the reason
//! text of an error; the typed readings that produce text or lists (DER
//! names, text identities, SIGNATURE_HASH_ALGORITHMS, vendor names) do, and
//! only the full dissection in `qcd::decode` calls them.

pub mod auth;
pub mod cert;
pub mod cp;
pub mod delete;
pub mod der;
pub mod eap;
pub mod header;
pub mod id;
pub mod init_probe;
pub mod ke;
pub mod liveness;
pub mod notify;
pub mod payload;
pub mod registry;
pub mod sa;
pub mod sk;
pub mod ts;
pub mod vendor;

pub use auth::{AuthMethod, AuthRepr, Authentication};
pub use cert::{CertEncoding, CertRepr, Certificate};
pub use cp::{CfgAttrType, CfgType, Configuration, CpRepr};
pub use delete::{Delete, DeleteRepr};
pub use eap::{Eap, EapCode, EapRepr, EapType};
pub use header::{Flags, Header, MessageRepr, HEADER_LEN};
pub use id::{IdRepr, IdType, IdValue, Identification};
pub use ke::{DhGroup, KeRepr, KeyExchange};
pub use notify::{GatewayIdType, HashAlgorithm, Notify, NotifyData, NotifyRepr};
pub use payload::{Payload, PayloadContent, PayloadIter, PayloadRepr, GENERIC_HEADER_LEN};
pub use registry::{ExchangeType, NotifyType, PayloadType, ProtocolId};
pub use sa::{
    emit_proposals, proposals, Proposal, ProposalRepr, SaRepr, Transform, TransformRepr,
    TransformType,
};
pub use sk::{EncryptedPayload, EncryptedRepr, Fragment};
pub use ts::{IpProtocol, Selector, SelectorRepr, TrafficSelectors, TsRepr, TsType};

/// A byte range of a field, as in smoltcp.
pub(crate) type Field = std::ops::Range<usize>;

/// Why bytes are not a well-formed IKEv2 structure. Every variant names the
/// byte offset (from the start of the decoded input) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The data ends before a field or structure is complete.
    #[error("truncated at byte offset {offset}, field `{field}`: needs {needed} bytes, only {available} present")]
    Truncated {
        offset: usize,
        field: &'static str,
        needed: usize,
        available: usize,
    },
    /// A field holds a value the format does not allow.
    #[error("malformed at byte offset {offset}, field `{field}`: {reason}")]
    Malformed {
        offset: usize,
        field: &'static str,
        reason: String,
    },
    /// A value does not fit its field when building a message.
    #[error("cannot build: field `{field}` would be {value}, the most it can hold is {max}")]
    TooLong {
        field: &'static str,
        value: usize,
        max: usize,
    },
}

impl WireError {
    /// The byte offset the error refers to (0 for build errors).
    pub fn offset(&self) -> usize {
        match self {
            WireError::Truncated { offset, .. } | WireError::Malformed { offset, .. } => *offset,
            WireError::TooLong { .. } => 0,
        }
    }

    /// The name of the field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            WireError::Truncated { field, .. }
            | WireError::Malformed { field, .. }
            | WireError::TooLong { field, .. } => field,
        }
    }

    /// The same error with its offset moved by `by` bytes (when a view over a
    /// sub-slice reports an error relative to the whole input).
    pub fn shifted(self, by: usize) -> WireError {
        match self {
            WireError::Truncated {
                offset,
                field,
                needed,
                available,
            } => WireError::Truncated {
                offset: offset + by,
                field,
                needed,
                available,
            },
            WireError::Malformed {
                offset,
                field,
                reason,
            } => WireError::Malformed {
                offset: offset + by,
                field,
                reason,
            },
            e @ WireError::TooLong { .. } => e,
        }
    }
}

pub(crate) fn read_u16(b: &[u8], f: Field) -> u16 {
    u16::from_be_bytes([b[f.start], b[f.start + 1]])
}

pub(crate) fn read_u32(b: &[u8], f: Field) -> u32 {
    u32::from_be_bytes([b[f.start], b[f.start + 1], b[f.start + 2], b[f.start + 3]])
}
