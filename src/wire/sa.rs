//! SA payload proposals (RFC 7296 §3.3.1), as far as qcd needs them: each
//! proposal's number, protocol and SPI. An IKE SA rekey (CREATE_CHILD_SA)
//! carries the new IKE SA's SPIs there, which is how a rekeyed SA is linked
//! to the QCD token given in that exchange. Transforms stay opaque bytes.

use super::{ProtocolId, WireError};

/// Proposal substructure header: last(1) reserved(1) length(2) number(1)
/// protocol(1) SPI size(1) transforms(1).
pub const PROPOSAL_FIXED_LEN: usize = 8;

mod field {
    use crate::wire::Field;
    pub const LAST: usize = 0;
    pub const LENGTH: Field = 2..4;
    pub const NUMBER: usize = 4;
    pub const PROTOCOL: usize = 5;
    pub const SPI_SIZE: usize = 6;
    pub const TRANSFORMS: usize = 7;
}

/// One proposal, borrowed from the SA payload body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal<'a> {
    pub number: u8,
    pub protocol_id: ProtocolId,
    pub spi: &'a [u8],
    pub transform_count: u8,
    /// The transform substructures, undecoded.
    pub transforms: &'a [u8],
}

/// Iterates over the proposals of an SA payload body; offsets in errors count
/// from `base` (the body's offset in the message).
pub struct ProposalIter<'a> {
    body: &'a [u8],
    at: usize,
    base: usize,
    done: bool,
}

/// The proposals of the SA payload `body` (at offset `base`).
pub fn proposals(body: &[u8], base: usize) -> ProposalIter<'_> {
    ProposalIter {
        body,
        at: 0,
        base,
        done: body.is_empty(),
    }
}

impl<'a> Iterator for ProposalIter<'a> {
    type Item = Result<Proposal<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = &self.body[self.at..];
        let offset = self.base + self.at;
        let fail = |this: &mut Self, e: WireError| {
            this.done = true;
            Some(Err(e))
        };
        if rest.len() < PROPOSAL_FIXED_LEN {
            return fail(
                self,
                WireError::Truncated {
                    offset,
                    field: "proposal",
                    needed: PROPOSAL_FIXED_LEN,
                    available: rest.len(),
                },
            );
        }
        let len =
            u16::from_be_bytes([rest[field::LENGTH.start], rest[field::LENGTH.start + 1]]) as usize;
        let spi_size = rest[field::SPI_SIZE] as usize;
        if len < PROPOSAL_FIXED_LEN + spi_size || len > rest.len() {
            return fail(
                self,
                WireError::Malformed {
                    offset: offset + field::LENGTH.start,
                    field: "proposal length",
                    reason: format!(
                        "{len} does not fit the {} bytes left with an SPI of {spi_size} bytes",
                        rest.len()
                    ),
                },
            );
        }
        let p = Proposal {
            number: rest[field::NUMBER],
            protocol_id: ProtocolId(rest[field::PROTOCOL]),
            spi: &rest[PROPOSAL_FIXED_LEN..PROPOSAL_FIXED_LEN + spi_size],
            transform_count: rest[field::TRANSFORMS],
            transforms: &rest[PROPOSAL_FIXED_LEN + spi_size..len],
        };
        self.at += len;
        match rest[field::LAST] {
            0 => self.done = true,
            2 => {}
            other => {
                return fail(
                    self,
                    WireError::Malformed {
                        offset,
                        field: "last substruc",
                        reason: format!("{other}, expected 0 (last) or 2 (more)"),
                    },
                )
            }
        }
        // A "more" flag with nothing after it is reported by the next call.
        Some(Ok(p))
    }
}

/// A proposal to build; `transforms` are raw transform substructures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRepr {
    pub number: u8,
    pub protocol_id: ProtocolId,
    pub spi: Vec<u8>,
    pub transform_count: u8,
    pub transforms: Vec<u8>,
}

impl ProposalRepr {
    /// An IKE proposal with the new SPI and one transform (ENCR_AES_CBC, 256-bit key).
    pub fn ike_rekey(spi: [u8; 8]) -> ProposalRepr {
        ProposalRepr {
            number: 1,
            protocol_id: ProtocolId::IKE,
            spi: spi.to_vec(),
            transform_count: 1,
            transforms: vec![0, 0, 0, 12, 1, 0, 0, 12, 0x80, 0x0e, 0x01, 0x00],
        }
    }
}

/// The body of an SA payload holding `proposals`, in order.
pub fn emit_proposals(proposals: &[ProposalRepr]) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::new();
    for (i, p) in proposals.iter().enumerate() {
        let len = PROPOSAL_FIXED_LEN + p.spi.len() + p.transforms.len();
        let len16 = u16::try_from(len).map_err(|_| WireError::TooLong {
            field: "proposal length",
            value: len,
            max: u16::MAX as usize,
        })?;
        let spi_size = u8::try_from(p.spi.len()).map_err(|_| WireError::TooLong {
            field: "SPI size",
            value: p.spi.len(),
            max: 255,
        })?;
        out.push(if i + 1 == proposals.len() { 0 } else { 2 });
        out.push(0);
        out.extend_from_slice(&len16.to_be_bytes());
        out.extend_from_slice(&[p.number, p.protocol_id.0, spi_size, p.transform_count]);
        out.extend_from_slice(&p.spi);
        out.extend_from_slice(&p.transforms);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let reprs = vec![
            ProposalRepr::ike_rekey([7; 8]),
            ProposalRepr {
                number: 2,
                protocol_id: ProtocolId(3),
                spi: vec![0xc1, 0, 0, 1],
                transform_count: 0,
                transforms: vec![],
            },
        ];
        let body = emit_proposals(&reprs).unwrap();
        let got: Vec<Proposal> = proposals(&body, 32).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].protocol_id, ProtocolId::IKE);
        assert_eq!(got[0].spi, &[7; 8]);
        assert_eq!(got[0].transform_count, 1);
        assert_eq!(got[1].spi, &[0xc1, 0, 0, 1]);
        // cut short: the error names the offset and field
        let e = proposals(&body[..10], 32).next().unwrap().unwrap_err();
        assert_eq!(e.field(), "proposal length");
        assert_eq!(e.offset(), 34);
        // "more" announced but nothing follows
        let mut one = emit_proposals(&reprs[..1]).unwrap();
        one[0] = 2;
        let r: Vec<_> = proposals(&one, 0).collect();
        assert!(r[0].is_ok() && r[1].is_err());
        one[0] = 5;
        assert_eq!(
            proposals(&one, 0).next().unwrap().unwrap_err().field(),
            "last substruc"
        );
        assert!(proposals(&[], 0).next().is_none());
    }
}
