//! What is inside each payload, for people and scripts: the result structs
//! of the SA, KE, ID, CERT, CERTREQ, AUTH, Nonce, Notify data, Delete,
//! Vendor ID, TS, CP and EAP payloads (serialized as the `--json` keys the
//! README documents), and [`dissect_payload`], which fills them from a
//! payload view using the `wire` views.
//!
//! A problem inside a payload whose length is right does not stop the
//! message: the payload keeps what was read before the problem and carries
//! it in `malformed`.

use serde::Serialize;

use super::{label, DecodedPayload, DecodedProposal, Label};
use crate::wire::cp::ValueFormat;
use crate::wire::{
    sa, Authentication, CertEncoding, Certificate, CfgAttrType, Configuration, Delete, Eap,
    EapType, GatewayIdType, IdType, Identification, IpProtocol, KeyExchange, NotifyData,
    NotifyType, Payload, PayloadType, Selector, TrafficSelectors, TransformType, WireError,
};

/// One transform of a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedTransform {
    #[serde(rename = "type")]
    pub transform_type: u8,
    /// "ENCR", "PRF", "INTEG", "DH", "ESN", …
    pub type_name: Label,
    pub id: u16,
    /// "ENCR_AES_CBC", "MODP_2048", … or "unknown N".
    pub name: Label,
    /// The Key Length attribute, in bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_length: Option<u16>,
    /// Attributes other than Key Length.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<DecodedAttribute>,
}

/// A transform attribute other than Key Length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedAttribute {
    #[serde(rename = "type")]
    pub attr_type: u16,
    /// "TV" (fixed 2-byte value) or "TLV".
    pub format: &'static str,
    /// Lowercase hex.
    pub value: String,
}

/// A Key Exchange payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedKe {
    pub group: u16,
    pub group_name: Label,
    pub data_length: usize,
    /// The public value's length for this group, where it is fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_length: Option<usize>,
}

/// An IDi or IDr payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedId {
    #[serde(rename = "type")]
    pub id_type: u8,
    pub type_name: String,
    /// Text for addresses, FQDN, RFC 822 and DER distinguished names;
    /// lowercase hex for ID_KEY_ID, other types and DNs that do not parse.
    pub value: String,
}

/// A CERT payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedCert {
    pub encoding: u8,
    pub encoding_name: String,
    pub data_length: usize,
    /// Hash and URL encodings: the SHA-1 hash (hex) and the URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A CERTREQ payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedCertReq {
    pub encoding: u8,
    pub encoding_name: String,
    /// 20-byte SHA-1 hashes of trusted CA public keys, lowercase hex.
    pub ca_hashes: Vec<String>,
}

/// An AUTH payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedAuth {
    pub method: u8,
    pub method_name: String,
    pub data_length: usize,
    /// RFC 7427 Digital Signature: the signature algorithm (name or OID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_length: Option<usize>,
}

/// A Nonce payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedNonce {
    pub length: usize,
}

/// A number with its registry name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedNumber {
    pub id: u16,
    pub name: String,
}

/// The notification data of the common notify types, read as their RFCs
/// lay it out. Each key is present only for the types that have it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotifyDetails {
    /// NAT_DETECTION_*: the SHA-1 hash, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// COOKIE: the cookie, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookie: Option<String>,
    /// SIGNATURE_HASH_ALGORITHMS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_algorithms: Option<Vec<NamedNumber>>,
    /// INVALID_KE_PAYLOAD: the group the responder wants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// REDIRECT / REDIRECTED_FROM: gateway identity type, its name, the identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_type_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// REDIRECT in IKE_SA_INIT: the initiator's nonce, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_nonce: Option<String>,
    /// INVALID_SPI: the SPI in the notification data, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid_spi: Option<String>,
    /// IPCOMP_SUPPORTED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpi: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipcomp_transform: Option<u8>,
    /// AUTH_LIFETIME.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u32>,
    /// SET_WINDOW_SIZE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_size: Option<u32>,
    /// ADDITIONAL_IP4_ADDRESS / ADDITIONAL_IP6_ADDRESS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// QCD_TOKEN: the token's length in octets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_length: Option<usize>,
}

/// A Delete payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedDelete {
    pub protocol_id: u8,
    pub protocol: String,
    pub spi_size: u8,
    pub spi_count: u16,
    /// The SPIs, lowercase hex (none for an IKE SA).
    pub spis: Vec<String>,
}

/// A Vendor ID payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedVendorId {
    /// The vendor ID, lowercase hex.
    pub data: String,
    /// The implementation or feature it names, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
}

/// A TSi or TSr payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedTs {
    /// The "Number of TSs" field.
    pub count: u8,
    pub selectors: Vec<DecodedSelector>,
}

/// One traffic selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedSelector {
    #[serde(rename = "type")]
    pub ts_type: u8,
    pub type_name: String,
    /// 0 means any protocol.
    pub ip_protocol: u8,
    pub ip_protocol_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_address: Option<String>,
    /// Selector types other than address ranges: the bytes after the
    /// selector header, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// A CP payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedCp {
    #[serde(rename = "type")]
    pub cfg_type: u8,
    pub type_name: String,
    pub attributes: Vec<DecodedCfgAttribute>,
}

/// One configuration attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedCfgAttribute {
    #[serde(rename = "type")]
    pub attr_type: u16,
    pub name: String,
    pub length: usize,
    /// Addresses, prefixes and text as text ("10.0.0.1, 10.0.0.2",
    /// "2001:db8::1/64"), attribute lists as names, anything else hex;
    /// empty for an empty value (a request).
    pub value: String,
}

/// An EAP payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedEap {
    pub code: u8,
    pub code_name: String,
    pub identifier: u8,
    pub length: u16,
    /// Requests and responses: the method type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub eap_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    /// EAP-Identity: the identity text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

fn body_err(p: &Payload<'_>, e: WireError) -> WireError {
    e.shifted(p.body_offset())
}

/// Fills the dissection of `p` into `d`; returns the problems found inside
/// the payload, first one first (offsets count in the same input as `p`'s).
pub(crate) fn dissect_payload(p: &Payload<'_>, d: &mut DecodedPayload) -> Vec<WireError> {
    let r = match p.payload_type() {
        PayloadType::SA => {
            let (list, problems) = proposals_of(p, true);
            d.proposals = Some(list);
            return problems;
        }
        PayloadType::KE => dissect_ke(p, d),
        PayloadType::IDI | PayloadType::IDR => dissect_id(p, d),
        PayloadType::CERT => dissect_cert(p, d),
        PayloadType::CERTREQ => dissect_certreq(p, d),
        PayloadType::AUTH => dissect_auth(p, d),
        PayloadType::NONCE => {
            d.nonce = Some(DecodedNonce {
                length: p.body().len(),
            });
            Ok(())
        }
        PayloadType::NOTIFY => dissect_notify(p, d),
        PayloadType::DELETE => dissect_delete(p, d),
        PayloadType::VENDOR_ID => {
            d.vendor_id = Some(Box::new(DecodedVendorId {
                data: crate::encoding::to_hex(p.body()),
                vendor: crate::wire::vendor::vendor_name(p.body()),
            }));
            Ok(())
        }
        PayloadType::TSI | PayloadType::TSR => dissect_ts(p, d),
        PayloadType::CP => dissect_cp(p, d),
        PayloadType::EAP => dissect_eap(p, d),
        _ => Ok(()),
    };
    r.err().into_iter().collect()
}

/// The SA payload's proposals, each with its transforms, up to the first
/// proposal or transform whose length does not fit; and the problems found.
pub(crate) fn proposals_of(
    p: &Payload<'_>,
    with_transforms: bool,
) -> (Vec<DecodedProposal>, Vec<WireError>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for q in sa::proposals(p.body(), p.body_offset()) {
        let q = match q {
            Ok(q) => q,
            Err(e) => {
                problems.push(e);
                return (out, problems);
            }
        };
        let mut dp = DecodedProposal {
            number: q.number,
            protocol_id: q.protocol_id.0,
            protocol: label(q.protocol_id.name(), q.protocol_id),
            spi: crate::encoding::to_hex(q.spi),
            transforms: q.transform_count,
            spi_size: with_transforms.then_some(q.spi.len() as u8),
            transform_list: None,
        };
        if !with_transforms {
            out.push(dp);
            continue;
        }
        let mut list = Vec::new();
        problems.extend(sa::check_last(q.last, sa::MORE_PROPOSALS, q.offset, "proposal").err());
        let mut broken = false;
        for t in q.transforms_iter() {
            match t {
                Ok(t) => {
                    problems.extend(
                        sa::check_last(t.last, sa::MORE_TRANSFORMS, t.offset, "transform").err(),
                    );
                    problems.extend(t.attributes().find_map(Result::err));
                    list.push(transform(&t));
                }
                Err(e) => {
                    problems.push(e);
                    broken = true;
                    break;
                }
            }
        }
        if !broken && list.len() != q.transform_count as usize {
            problems.push(WireError::Malformed {
                offset: q.offset + 7,
                field: "num transforms",
                reason: format!(
                    "proposal {} says {} transforms but holds {}",
                    q.number,
                    q.transform_count,
                    list.len()
                ),
            });
        }
        dp.transform_list = Some(list);
        out.push(dp);
    }
    (out, problems)
}

fn transform(t: &sa::Transform<'_>) -> DecodedTransform {
    let tt: TransformType = t.transform_type;
    let mut key_length = None;
    let mut attributes = Vec::new();
    for a in t.attributes().filter_map(Result::ok) {
        match a.tv_value() {
            Some(bits) if a.attr_type == sa::AttributeType::KEY_LENGTH => key_length = Some(bits),
            _ => attributes.push(DecodedAttribute {
                attr_type: a.attr_type.0,
                format: if a.tv { "TV" } else { "TLV" },
                value: crate::encoding::to_hex(a.value),
            }),
        }
    }
    DecodedTransform {
        transform_type: tt.0,
        type_name: label(tt.name(), tt),
        id: t.id,
        name: tt.id_name(t.id).map_or_else(
            || Label::Owned(format!("unknown {}", t.id)),
            Label::Borrowed,
        ),
        key_length,
        attributes,
    }
}

fn dissect_ke(p: &Payload<'_>, d: &mut DecodedPayload) -> Result<(), WireError> {
    let k = KeyExchange::new_checked(p.body()).map_err(|e| body_err(p, e))?;
    let g = k.group();
    let expected = g.public_value_len();
    d.ke = Some(Box::new(DecodedKe {
        group: g.0,
        group_name: label(g.name(), g),
        data_length: k.data().len(),
        expected_length: expected,
    }));
    match expected {
        Some(n) if n != k.data().len() => Err(WireError::Malformed {
            offset: p.body_offset() + 4,
            field: "key exchange data",
            reason: format!(
                "{g} public values are {n} bytes, this one is {}",
                k.data().len()
            ),
        }),
        _ => Ok(()),
    }
}

fn dissect_id(p: &Payload<'_>, d: &mut DecodedPayload) -> Result<(), WireError> {
    let v = Identification::new_checked(p.body()).map_err(|e| body_err(p, e))?;
    let t: IdType = v.id_type();
    let (value, problem) = match v.value() {
        Ok(value) => (value.to_string(), None),
        Err(e) => (crate::encoding::to_hex(v.data()), Some(body_err(p, e))),
    };
    d.id = Some(Box::new(DecodedId {
        id_type: t.0,
        type_name: t.to_string(),
        value,
    }));
    problem.map_or(Ok(()), Err)
}

fn dissect_cert(p: &Payload<'_>, d: &mut DecodedPayload) -> Result<(), WireError> {
    let c = Certificate::new_checked(p.body()).map_err(|e| body_err(p, e))?;
    let enc: CertEncoding = c.encoding();
    let mut dc = DecodedCert {
        encoding: enc.0,
        encoding_name: enc.to_string(),
        data_length: c.data().len(),
        hash: None,
        url: None,
    };
    let mut problem = None;
    if enc.is_hash_and_url() {
        match c.hash_and_url() {
            Ok((h, u)) => {
                dc.hash = Some(crate::encoding::to_hex(h));
                dc.url = Some(String::from_utf8_lossy(u).into_owned());
            }
            Err(e) => problem = Some(body_err(p, e)),
        }
    }
    d.cert = Some(Box::new(dc));
    problem.map_or(Ok(()), Err)
}

fn dissect_certreq(p: &Payload<'_>, d: &mut DecodedPayload) -> Result<(), WireError> {
    let c = Certificate::new_checked(p.body()).map_err(|e| body_err(p, e))?;
    let enc = c.encoding();
    let (ca_hashes, problem) = match c.ca_hashes() {
        Ok(h) => (h.map(hex::encode).collect(), None),
        Err(e) => (
            c.data()
                .chunks_exact(crate::wire::cert::CA_HASH_LEN)
                .map(hex::encode)
                .collect(),
            Some(body_err(p, e)),
        ),
    };
    d.certreq = Some(Box::new(DecodedCertReq {
        encoding: enc.0,
        encoding_name: enc.to_string(),
        ca_hashes,
    }));
    problem.map_or(Ok(()), Err)
}

fn dissect_auth(p: &Payload<'_>, d: &mut DecodedPayload) -> Result<(), WireError> {
    let a = Authentication::new_checked(p.body()).map_err(|e| body_err(p, e))?;
    let m = a.method();
    let mut da = DecodedAuth {
        method: m.0,
        method_name: m.to_string(),
        data_length: a.data().len(),
        signature_algorithm: None,
        signature_length: None,
    };
    let mut problem = None;
    if m == crate::wire::AuthMethod::DIGITAL_SIGNATURE {
        match a.digital_signature() {
            Ok(s) => {
                da.signature_algorithm = Some(s.algorithm.unwrap_or_else(|| {
                    format!(
                        "unparsed {}",
                        crate::encoding::to_hex(s.algorithm_identifier)
                    )
                }));
                da.signature_length = Some(s.signature.len());
            }
            Err(e) => problem = Some(body_err(p, e)),
        }
    }
    d.auth = Some(Box::new(da));
    problem.map_or(Ok(()), Err)
}

fn dissect_notify(p: &Payload<'_>, d: &mut DecodedPayload) -> Result<(), WireError> {
    let n = p.notify()?;
    let t = n.notify_type();
    let data_offset = p.body_offset() + n.data_offset();
    let details = match NotifyData::parse(t, n.data(), data_offset)? {
        NotifyData::Empty | NotifyData::Raw(_) => None,
        NotifyData::NatHash(h) => Some(NotifyDetails {
            hash: Some(crate::encoding::to_hex(h)),
            ..Default::default()
        }),
        NotifyData::Cookie(c) => Some(NotifyDetails {
            cookie: Some(crate::encoding::to_hex(c)),
            ..Default::default()
        }),
        NotifyData::HashAlgorithms(list) => Some(NotifyDetails {
            hash_algorithms: Some(
                list.iter()
                    .map(|h| NamedNumber {
                        id: h.0,
                        name: h.to_string(),
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        NotifyData::Group(g) => Some(NotifyDetails {
            group: Some(g.0),
            group_name: Some(g.to_string()),
            ..Default::default()
        }),
        NotifyData::Redirect {
            gateway_type,
            gateway,
            nonce,
        } => Some(NotifyDetails {
            gateway_type: Some(gateway_type.0),
            gateway_type_name: Some(GatewayIdType::to_string(&gateway_type)),
            gateway: Some(gateway.to_string()),
            redirect_nonce: (!nonce.is_empty()).then(|| crate::encoding::to_hex(nonce)),
            ..Default::default()
        }),
        NotifyData::Spi(s) => Some(NotifyDetails {
            invalid_spi: Some(crate::encoding::to_hex(s)),
            ..Default::default()
        }),
        NotifyData::Ipcomp { cpi, transform } => Some(NotifyDetails {
            cpi: Some(cpi),
            ipcomp_transform: Some(transform),
            ..Default::default()
        }),
        NotifyData::Seconds(s) => Some(NotifyDetails {
            seconds: Some(s),
            ..Default::default()
        }),
        NotifyData::WindowSize(w) => Some(NotifyDetails {
            window_size: Some(w),
            ..Default::default()
        }),
        NotifyData::Address(a) => Some(NotifyDetails {
            address: Some(a.to_string()),
            ..Default::default()
        }),
        NotifyData::Token(tok) => Some(NotifyDetails {
            token_length: Some(tok.len()),
            ..Default::default()
        }),
    };
    if let Some(dn) = d.notify.as_mut() {
        dn.details = details.map(Box::new);
    }
    // REKEY_SA names the Child SA it rekeys by its SPI (RFC 7296 §1.3.3).
    if t == NotifyType::REKEY_SA && n.spi().is_empty() {
        return Err(WireError::Malformed {
            offset: p.body_offset() + 1,
            field: "SPI size",
            reason: "REKEY_SA without the SPI of the Child SA it rekeys".to_string(),
        });
    }
    Ok(())
}

fn dissect_delete(p: &Payload<'_>, d: &mut DecodedPayload) -> Result<(), WireError> {
    let b = p.body();
    let checked = Delete::new_checked(b)
        .map(|_| ())
        .map_err(|e| body_err(p, e));
    if b.len() < crate::wire::delete::DELETE_FIXED_LEN {
        return checked;
    }
    // Shown even when the SPIs do not fill the payload as announced.
    let view = Delete::new_unchecked(b);
    d.delete = Some(Box::new(DecodedDelete {
        protocol_id: view.protocol_id().0,
        protocol: view.protocol_id().to_string(),
        spi_size: view.spi_size(),
        spi_count: view.spi_count(),
        spis: view.spis().map(hex::encode).collect(),
    }));
    checked
}

fn dissect_ts(p: &Payload<'_>, d: &mut DecodedPayload) -> Result<(), WireError> {
    let ts = TrafficSelectors::new_checked(p.body()).map_err(|e| body_err(p, e))?;
    let mut selectors = Vec::new();
    let mut problem = None;
    for s in ts.selectors(p.body_offset()) {
        match s {
            Ok(Selector::Range {
                ts_type,
                ip_protocol,
                start_port,
                end_port,
                start,
                end,
                ..
            }) => selectors.push(DecodedSelector {
                ts_type: ts_type.0,
                type_name: ts_type.to_string(),
                ip_protocol: ip_protocol.0,
                ip_protocol_name: ip_protocol.to_string(),
                start_port: Some(start_port),
                end_port: Some(end_port),
                start_address: Some(start.to_string()),
                end_address: Some(end.to_string()),
                data: None,
            }),
            Ok(Selector::Other {
                ts_type,
                second,
                data,
                ..
            }) => selectors.push(DecodedSelector {
                ts_type: ts_type.0,
                type_name: ts_type.to_string(),
                ip_protocol: second,
                ip_protocol_name: IpProtocol(second).to_string(),
                start_port: None,
                end_port: None,
                start_address: None,
                end_address: None,
                data: Some(crate::encoding::to_hex(data)),
            }),
            Err(e) => {
                problem = Some(e);
                break;
            }
        }
    }
    d.ts = Some(Box::new(DecodedTs {
        count: ts.count(),
        selectors,
    }));
    problem.map_or(Ok(()), Err)
}

/// A configuration attribute's value as text.
fn cfg_value(t: CfgAttrType, v: &[u8]) -> String {
    let join = |items: Vec<String>| items.join(", ");
    match t.value_format() {
        _ if v.is_empty() => String::new(),
        ValueFormat::Ipv4List if v.len().is_multiple_of(4) => join(
            v.chunks_exact(4)
                .map(|a| std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string())
                .collect(),
        ),
        ValueFormat::Ipv4Subnets if v.len().is_multiple_of(8) => join(
            v.chunks_exact(8)
                .map(|a| {
                    format!(
                        "{}/{}",
                        std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3]),
                        std::net::Ipv4Addr::new(a[4], a[5], a[6], a[7])
                    )
                })
                .collect(),
        ),
        ValueFormat::Ipv6List if v.len().is_multiple_of(16) => join(
            v.chunks_exact(16)
                .map(|a| {
                    let mut b = [0u8; 16];
                    b.copy_from_slice(a);
                    std::net::Ipv6Addr::from(b).to_string()
                })
                .collect(),
        ),
        ValueFormat::Ipv6Prefixes if v.len().is_multiple_of(17) => join(
            v.chunks_exact(17)
                .map(|a| {
                    let mut b = [0u8; 16];
                    b.copy_from_slice(&a[..16]);
                    format!("{}/{}", std::net::Ipv6Addr::from(b), a[16])
                })
                .collect(),
        ),
        ValueFormat::Text => String::from_utf8_lossy(v).into_owned(),
        ValueFormat::AttributeTypes if v.len().is_multiple_of(2) => join(
            v.chunks_exact(2)
                .map(|a| CfgAttrType(u16::from_be_bytes([a[0], a[1]]) & 0x7fff).to_string())
                .collect(),
        ),
        ValueFormat::Seconds if v.len() == 4 => {
            format!("{} s", u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
        }
        _ => crate::encoding::to_hex(v),
    }
}

fn dissect_cp(p: &Payload<'_>, d: &mut DecodedPayload) -> Result<(), WireError> {
    let c = Configuration::new_checked(p.body()).map_err(|e| body_err(p, e))?;
    let mut attributes = Vec::new();
    let mut problem = None;
    for a in c.attributes(p.body_offset()) {
        match a {
            Ok(a) => attributes.push(DecodedCfgAttribute {
                attr_type: a.attr_type.0,
                name: a.attr_type.to_string(),
                length: a.value.len(),
                value: cfg_value(a.attr_type, a.value),
            }),
            Err(e) => {
                problem = Some(e);
                break;
            }
        }
    }
    d.cp = Some(Box::new(DecodedCp {
        cfg_type: c.cfg_type().0,
        type_name: c.cfg_type().to_string(),
        attributes,
    }));
    problem.map_or(Ok(()), Err)
}

fn dissect_eap(p: &Payload<'_>, d: &mut DecodedPayload) -> Result<(), WireError> {
    let e = Eap::new_checked(p.body()).map_err(|e| body_err(p, e))?;
    let t = e.eap_type();
    d.eap = Some(Box::new(DecodedEap {
        code: e.code().0,
        code_name: e.code().to_string(),
        identifier: e.identifier(),
        length: e.length(),
        eap_type: t.map(|t| t.0),
        type_name: t.map(|t| t.to_string()),
        identity: (t == Some(EapType::IDENTITY) && !e.type_data().is_empty())
            .then(|| String::from_utf8_lossy(e.type_data()).into_owned()),
    }));
    Ok(())
}
