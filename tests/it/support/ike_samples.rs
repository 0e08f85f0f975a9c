//! Hand-built, valid IKEv2 messages for capture tests, benches and examples
//! (shared by `#[path]`). Built from RFC 7296 §3.1/§3.10 and RFC 6290 §4.1.

/// `HDR(SPIi, SPIr, INFORMATIONAL response), N(INVALID_IKE_SPI), N(QCD_TOKEN)`:
/// the unprotected reply of a rebooted token maker, 32-byte token.
pub fn qcd_reply() -> Vec<u8> {
    let mut body = Vec::new();
    // Notify INVALID_IKE_SPI (4): next = Notify (41), protocol 0, SPI size 0.
    body.extend_from_slice(&[41, 0, 0, 8, 0, 0, 0, 4]);
    // Notify QCD_TOKEN (16419 = 0x4023): last payload, protocol 1 (IKE).
    let token: Vec<u8> = (0u8..32).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
    let len = (8 + token.len()) as u16;
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&len.to_be_bytes());
    body.extend_from_slice(&[1, 0, 0x40, 0x23]);
    body.extend_from_slice(&token);
    header(
        [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
        [0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x01],
        41,
        37,
        0x20,
        0,
        &body,
    )
}

/// `HDR(IKE_AUTH request), SK{...}` of `sk_len` opaque bytes: large enough
/// (with `sk_len` ≈ 3000) to be fragmented at the IP layer, like IKE_AUTH
/// with certificates.
pub fn ike_auth(sk_len: usize) -> Vec<u8> {
    let mut body = Vec::new();
    let len = (4 + sk_len) as u16;
    body.extend_from_slice(&[35, 0]); // SK, first inner payload IDi
    body.extend_from_slice(&len.to_be_bytes());
    body.extend((0..sk_len).map(|i| (i * 7 + 3) as u8));
    header(
        [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
        [0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x01],
        46,
        35,
        0x08,
        1,
        &body,
    )
}

fn header(
    spi_i: [u8; 8],
    spi_r: [u8; 8],
    next: u8,
    exchange: u8,
    flags: u8,
    msg_id: u32,
    body: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(28 + body.len());
    m.extend_from_slice(&spi_i);
    m.extend_from_slice(&spi_r);
    m.extend_from_slice(&[next, 0x20, exchange, flags]);
    m.extend_from_slice(&msg_id.to_be_bytes());
    m.extend_from_slice(&((28 + body.len()) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}
