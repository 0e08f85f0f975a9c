//! The IKE_SA_INIT request `qcd probe` sends to learn whether an IKE
//! responder listens at all (a daemon that drops requests for unknown SPIs,
//! as strongSwan and libreswan do, is silent to the liveness request but
//! answers IKE_SA_INIT from anyone), and the reading of its answer.
//!
//! The request offers two common proposals: AES-CBC-256 with
//! PRF_HMAC_SHA2_256 and AUTH_HMAC_SHA2_256_128, and AES-GCM-16-256 with
//! PRF_HMAC_SHA2_256, each with the groups CURVE_25519, ECP_256 and
//! MODP_2048, and a key share for the first group offered (CURVE_25519: a
//! real X25519 public value, made by the caller). Any answer (a full reply,
//! INVALID_KE_PAYLOAD naming another group, NO_PROPOSAL_CHOSEN, COOKIE)
//! proves an IKE responder.
//!
//! Not here: key generation and sockets (see `qcd::probe`).

use super::header::{Flags, MessageRepr};
use super::ke::{DhGroup, KeRepr};
use super::payload::{PayloadContent, PayloadRepr};
use super::registry::{ExchangeType, NotifyType, PayloadType, ProtocolId};
use super::sa::{
    emit_proposals, EncrId, IntegId, PrfId, ProposalRepr, TransformRepr, TransformType,
};
use super::vendor::vendor_name;
use super::{SaRepr, WireError};
use crate::spi::Spi;

/// The groups offered, in order of preference; the key share is for the first.
pub const GROUPS: [DhGroup; 3] = [DhGroup::CURVE_25519, DhGroup::ECP_256, DhGroup::MODP_2048];

/// The proposals of the probe's IKE_SA_INIT request.
pub fn proposals() -> Vec<ProposalRepr> {
    let groups = || {
        GROUPS
            .iter()
            .map(|g| TransformRepr::new(TransformType::DH, g.0))
            .collect::<Vec<_>>()
    };
    let mut cbc = vec![
        TransformRepr::with_key_length(TransformType::ENCR, EncrId::AES_CBC.0, 256),
        TransformRepr::new(TransformType::PRF, PrfId::HMAC_SHA2_256.0),
        TransformRepr::new(TransformType::INTEG, IntegId::HMAC_SHA2_256_128.0),
    ];
    cbc.extend(groups());
    let mut gcm = vec![
        TransformRepr::with_key_length(TransformType::ENCR, EncrId::AES_GCM_16.0, 256),
        TransformRepr::new(TransformType::PRF, PrfId::HMAC_SHA2_256.0),
    ];
    gcm.extend(groups());
    vec![
        ProposalRepr {
            number: 1,
            protocol_id: ProtocolId::IKE,
            spi: Vec::new(),
            transforms: cbc,
        },
        ProposalRepr {
            number: 2,
            protocol_id: ProtocolId::IKE,
            spi: Vec::new(),
            transforms: gcm,
        },
    ]
}

/// The IKE_SA_INIT request: `HDR(spi_i, 0), SA, KE(group, key_share), Ni`.
pub fn init_request(
    spi_i: Spi,
    key_share: Vec<u8>,
    nonce: Vec<u8>,
) -> Result<MessageRepr, WireError> {
    let ke = KeRepr {
        group: GROUPS[0],
        data: key_share,
    };
    Ok(MessageRepr {
        spi_i,
        spi_r: Spi([0; 8]),
        exchange: ExchangeType::IKE_SA_INIT,
        flags: Flags::INITIATOR,
        message_id: 0,
        payloads: vec![
            PayloadRepr::other(PayloadType::SA, emit_proposals(&proposals())?),
            PayloadRepr::other(PayloadType::KE, ke.to_bytes()),
            PayloadRepr::other(PayloadType::NONCE, nonce),
        ],
    })
}

/// A Vendor ID seen in the answer, with the name qcd knows for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenVendorId {
    pub bytes: Vec<u8>,
    pub name: Option<String>,
}

/// The answer to the probe's IKE_SA_INIT request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReply {
    pub spi_i: Spi,
    pub spi_r: Spi,
    pub flags: Flags,
    /// Every notification type, in order.
    pub notifies: Vec<NotifyType>,
    /// The group INVALID_KE_PAYLOAD asks for.
    pub wanted_group: Option<DhGroup>,
    /// The group of the responder's KE payload (a full reply).
    pub ke_group: Option<DhGroup>,
    /// The chosen proposal's transform IDs by type (a full reply).
    pub chosen: Option<ProposalRepr>,
    pub vendor_ids: Vec<SeenVendorId>,
}

impl InitReply {
    /// A full reply: the responder chose a proposal and sent its key share.
    pub fn is_full(&self) -> bool {
        self.chosen.is_some() && self.ke_group.is_some()
    }
}

/// Reads an IKE_SA_INIT answer (marker already removed).
pub fn read_init_reply(message: &[u8]) -> Result<InitReply, WireError> {
    let m = MessageRepr::from_bytes(message)?;
    let mut r = InitReply {
        spi_i: m.spi_i,
        spi_r: m.spi_r,
        flags: m.flags,
        notifies: Vec::new(),
        wanted_group: None,
        ke_group: None,
        chosen: None,
        vendor_ids: Vec::new(),
    };
    for p in m.payloads {
        match p.content {
            PayloadContent::Notify(n) => {
                if n.notify_type == NotifyType::INVALID_KE_PAYLOAD && n.data.len() >= 2 {
                    r.wanted_group = Some(DhGroup(u16::from_be_bytes([n.data[0], n.data[1]])));
                }
                r.notifies.push(n.notify_type);
            }
            PayloadContent::Other { payload_type, body } => match payload_type {
                PayloadType::SA => {
                    r.chosen = SaRepr::parse(&body, 0)
                        .ok()
                        .and_then(|sa| sa.proposals.into_iter().next());
                }
                PayloadType::KE if body.len() >= 2 => {
                    r.ke_group = Some(DhGroup(u16::from_be_bytes([body[0], body[1]])));
                }
                PayloadType::VENDOR_ID => r.vendor_ids.push(SeenVendorId {
                    name: vendor_name(&body),
                    bytes: body,
                }),
                _ => {}
            },
            PayloadContent::Encrypted(_) => {}
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::NotifyRepr;

    #[test]
    fn request_round_trips_and_offers_what_it_says() {
        let req = init_request(Spi([7; 8]), vec![9; 32], vec![1; 32]).unwrap();
        let bytes = req.to_bytes().unwrap();
        let back = MessageRepr::from_bytes(&bytes).unwrap();
        assert_eq!(back, req);
        let PayloadContent::Other { body, .. } = &back.payloads[0].content else {
            panic!("SA first");
        };
        let sa = SaRepr::parse(body, 0).unwrap();
        assert_eq!(sa.proposals, proposals());
        assert_eq!(sa.proposals[0].transforms.len(), 6);
        let PayloadContent::Other { body, .. } = &back.payloads[1].content else {
            panic!("KE second");
        };
        assert_eq!(&body[..2], &31u16.to_be_bytes());
        assert_eq!(body.len(), 4 + 32);
        assert_eq!(
            Some(body.len() - 4),
            GROUPS[0].public_value_len(),
            "a valid-length key share"
        );
    }

    #[test]
    fn reads_invalid_ke_and_vendor_ids() {
        let reply = MessageRepr {
            spi_i: Spi([7; 8]),
            spi_r: Spi([0; 8]),
            exchange: ExchangeType::IKE_SA_INIT,
            flags: Flags::RESPONSE,
            message_id: 0,
            payloads: vec![
                PayloadRepr::notify(NotifyRepr::new(
                    0,
                    NotifyType::INVALID_KE_PAYLOAD,
                    vec![0, 14],
                )),
                PayloadRepr::other(PayloadType::VENDOR_ID, b"\x88\x2f\xe5\x6d".to_vec()),
            ],
        };
        let r = read_init_reply(&reply.to_bytes().unwrap()).unwrap();
        assert_eq!(r.wanted_group, Some(DhGroup::MODP_2048));
        assert_eq!(r.notifies, vec![NotifyType::INVALID_KE_PAYLOAD]);
        assert_eq!(r.vendor_ids.len(), 1);
        assert!(!r.is_full());
    }
}
