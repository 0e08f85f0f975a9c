//! Building encrypted IKEv2 messages: an IKE header and an SK payload whose
//! body is the encryption of given inner payloads. For test fixtures and the
//! diagnose scenarios; the byte layout itself comes from [`crate::wire`].

use super::{body_len, encrypt, CryptoError, SaKeys};
use crate::spi::SpiPair;
use crate::wire::payload::emit_chain;
use crate::wire::{
    EncryptedRepr, ExchangeType, Flags, MessageRepr, PayloadRepr, PayloadType, WireError,
    GENERIC_HEADER_LEN, HEADER_LEN,
};

/// Why a message could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// The header fields of a message to seal.
#[derive(Debug, Clone, Copy)]
pub struct SealHeader {
    pub spis: SpiPair,
    pub exchange: ExchangeType,
    pub flags: Flags,
    pub message_id: u32,
}

/// `HDR, SK { inner… }` encrypted with `keys` in the direction the header's
/// Initiator flag gives, using `iv` (CBC: 16 bytes, GCM: 8 bytes).
pub fn seal(
    header: SealHeader,
    inner: &[PayloadRepr],
    keys: &SaKeys,
    iv: &[u8],
) -> Result<Vec<u8>, SealError> {
    let inner_len: usize = inner.iter().map(PayloadRepr::buffer_len).sum();
    let mut plaintext = zeroize::Zeroizing::new(vec![0u8; inner_len]);
    emit_chain(inner, &mut plaintext)?;
    let first_inner = inner
        .first()
        .map(|p| p.payload_type())
        .unwrap_or(PayloadType::NONE);
    let body = body_len(keys.encr, keys.integ, inner_len);
    let mut message = MessageRepr {
        spi_i: header.spis.initiator,
        spi_r: header.spis.responder,
        exchange: header.exchange,
        flags: header.flags,
        message_id: header.message_id,
        payloads: vec![PayloadRepr::encrypted(EncryptedRepr {
            fragment: None,
            first_inner,
            body: vec![0; body],
        })],
    }
    .to_bytes()?;
    let body_start = HEADER_LEN + GENERIC_HEADER_LEN;
    let sealed = encrypt(
        keys,
        header.flags.initiator(),
        &message[..body_start],
        &plaintext,
        iv,
    )?;
    message[body_start..].copy_from_slice(&sealed);
    Ok(message)
}
