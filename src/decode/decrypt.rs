//! SK and SKF payloads opened with a key table (RFC 7296 §3.14, RFC 7383):
//! the glue between a decoded message, `qcd::ikecrypto` (the ciphers) and
//! the fragment reassembly of [`fragments`](super::fragments).

use crate::capture::Timestamp;
use crate::ikecrypto::{self, KeyTable};
use crate::secretmem::SecretBytes;
use crate::spi::SpiPair;
use crate::wire::{Header, PayloadType};

use super::chain::{payload_warnings, walk_chain};
use super::fragments::{Added, FragmentPart, FragmentTable, MessageKey};
use super::{DecodedEncrypted, DecodedPayload, Malformed, Plaintext, Reassembled};

/// The reassembly an SKF fragment joins, when a [`Decoder`](super::Decoder)
/// decodes a capture's messages.
pub(super) struct FragmentCtx<'a> {
    pub(super) table: &'a mut FragmentTable,
    pub(super) time: Option<Timestamp>,
    pub(super) warnings: &'a mut Vec<String>,
}

/// Decrypts the SK or SKF payload `p` of `message` (offsets in `p` count
/// from `base`) and decodes its inner payloads; an SKF fragment joins the
/// reassembly in `frags`, and the fragment that completes its message gets
/// the message's inner payloads.
#[allow(clippy::too_many_arguments)]
pub(super) fn open_encrypted(
    message: &[u8],
    base: usize,
    p: &mut DecodedPayload,
    keys: &KeyTable,
    ignore_icv: bool,
    frags: Option<&mut FragmentCtx<'_>>,
    warnings: &mut Vec<String>,
) {
    let at = p.offset;
    let end = p.offset - base + p.length as usize;
    let Some(e) = p.encrypted.as_mut() else {
        return;
    };
    let h = Header::new_unchecked(message);
    let spis = SpiPair::new(h.spi_i(), h.spi_r());
    let Some(sa) = keys.get(&spis) else {
        e.decrypt_error = Some(format!(
            "no key table line for SPI-I {} SPI-R {}",
            spis.initiator, spis.responder
        ));
        return;
    };
    let what = if e.fragment_number.is_some() {
        "SKF"
    } else {
        "SK"
    };
    let opened = match ikecrypto::open(
        sa,
        h.flags().initiator(),
        &message[..end.min(message.len())],
        e.body_offset - base,
        ignore_icv,
    ) {
        Ok(opened) => opened,
        Err(err) => {
            warnings.push(format!("{what} payload at byte {at} not decrypted: {err}"));
            e.decrypt_error = Some(err.to_string());
            return;
        }
    };
    if !opened.integrity.is_verified() {
        warnings.push(format!(
            "{what} payload at byte {at}: {}",
            opened.integrity.describe()
        ));
    }
    e.integrity = Some(opened.integrity);
    let plain = opened.plaintext;
    e.decrypted_length = Some(plain.len());
    let (number, total) = match (e.fragment_number, e.total_fragments) {
        (Some(n), Some(t)) => (n, t),
        _ => {
            let first = PayloadType(e.first_inner_payload);
            open_inner(e, plain, first, at, what, warnings);
            return;
        }
    };
    let part = FragmentPart {
        number,
        total,
        first_inner: PayloadType(e.first_inner_payload),
        plaintext: plain,
    };
    let added = match frags {
        Some(ctx) => {
            let key = MessageKey {
                spi_i: h.spi_i(),
                spi_r: h.spi_r(),
                message_id: h.message_id(),
                initiator: h.flags().initiator(),
                response: h.flags().response(),
            };
            ctx.table.add(key, part, ctx.time, ctx.warnings)
        }
        // Without a reassembly table (a single message), only a message in
        // one fragment is complete.
        None if number == 1 && total == 1 => Added::Complete {
            plaintext: part.plaintext,
            first_inner: part.first_inner,
            fragments: 1,
        },
        None => return,
    };
    match added {
        Added::Waiting { .. } => {}
        Added::Complete {
            plaintext,
            first_inner,
            fragments,
        } => {
            e.reassembled = Some(Reassembled {
                fragments,
                length: plaintext.len(),
            });
            open_inner(e, plaintext, first_inner, at, what, warnings);
        }
        Added::Rejected(why) => {
            warnings.push(format!("SKF payload at byte {at} not reassembled: {why}"));
        }
    }
}

/// Decodes the inner payload chain of decrypted (or reassembled) `plain`.
fn open_inner(
    e: &mut DecodedEncrypted,
    plain: SecretBytes,
    first: PayloadType,
    at: usize,
    what: &str,
    warnings: &mut Vec<String>,
) {
    let (inner, problems) = walk_chain(plain.expose(), first, 0);
    warnings.extend(
        inner
            .iter()
            .flat_map(payload_warnings)
            .map(|w| format!("inside {what}: {w}")),
    );
    if let Some(first_problem) = problems.first() {
        e.decrypt_error = Some(format!(
            "inside the decrypted {what} payload: {first_problem}"
        ));
        e.malformed = Some(Box::new(Malformed::new(first_problem.clone())));
    }
    for pr in &problems {
        warnings.push(format!(
            "{what} payload at byte {at}: inside the decrypted payload (offsets in the plaintext): {pr}"
        ));
    }
    e.payloads = Some(inner);
    e.plaintext = Some(Plaintext(plain));
}

#[cfg(test)]
mod tests {
    use super::super::{test_message, text, Decoded};
    use super::*;
    use crate::ikecrypto::{seal, KeyTable, SealHeader};
    use crate::spi::Spi;
    use crate::wire::{ExchangeType, Flags, NotifyRepr, NotifyType, PayloadRepr};

    const SPI_I: &str = "1111111111111111";
    const SPI_R: &str = "2222222222222222";

    /// Keys for the test SA; responder messages use SK_er and SK_ar (`sk_ar`).
    fn table_with(sk_er: &str, sk_ar: &str) -> KeyTable {
        let line = format!(
            "{SPI_I},{SPI_R},{},{sk_er},\"AES-CBC-128 [RFC3602]\",{},{sk_ar},\"HMAC_SHA2_256_128 [RFC4868]\"\n",
            "22".repeat(16),
            "33".repeat(32),
        );
        KeyTable::parse(&line, "test.keys").unwrap()
    }

    fn table(sk_er: &str) -> KeyTable {
        table_with(sk_er, &"44".repeat(32))
    }

    fn ike_auth_response(t: &KeyTable, token: &[u8]) -> Vec<u8> {
        let spis = SpiPair::new(Spi::parse(SPI_I).unwrap(), Spi::parse(SPI_R).unwrap());
        seal(
            SealHeader {
                spis,
                exchange: ExchangeType::IKE_AUTH,
                flags: Flags::RESPONSE,
                message_id: 1,
            },
            &[
                PayloadRepr::other(PayloadType(36), vec![2, 0, 0, 0, b'g', b'w']),
                PayloadRepr::notify(NotifyRepr::qcd_token(token)),
            ],
            t.get(&spis).unwrap(),
            &[7; 16],
        )
        .unwrap()
    }

    #[test]
    fn sk_payloads_are_opened_with_the_right_keys() {
        let t = table(&"11".repeat(16));
        let token = [0xab; 32];
        let msg = ike_auth_response(&t, &token);
        let d = test_message(&msg, Some(&t)).unwrap();
        let sk = d.payloads[0].encrypted.as_ref().unwrap();
        assert_eq!(sk.decrypt_error, None);
        let inner = sk.payloads.as_ref().unwrap();
        assert_eq!(inner.len(), 2);
        assert_eq!(inner[0].name, "IDr");
        let n = inner[1].notify.as_ref().unwrap();
        assert_eq!(n.notify_type, NotifyType::QCD_TOKEN.0);
        assert_eq!(n.data, crate::encoding::to_hex(token));
        // Without keys the SK payload stays opaque.
        let d = test_message(&msg, None).unwrap();
        assert!(d.payloads[0].encrypted.as_ref().unwrap().payloads.is_none());
    }

    #[test]
    fn wrong_keys_and_missing_keys_are_reported_not_fatal() {
        let right = table(&"11".repeat(16));
        let msg = ike_auth_response(&right, &[1; 16]);
        let wrong = table_with(&"99".repeat(16), &"98".repeat(32));
        let d = test_message(&msg, Some(&wrong)).unwrap();
        let e = d.payloads[0]
            .encrypted
            .as_ref()
            .unwrap()
            .decrypt_error
            .clone()
            .unwrap();
        assert!(e.contains("integrity check failed"), "{e}");
        assert!(d.warnings.iter().any(|w| w.contains("not decrypted")));
        // Right SK_ar, wrong SK_er: the ICV passes but the plaintext is garbage.
        let wrong_e = table(&"99".repeat(16));
        let d = test_message(&msg, Some(&wrong_e)).unwrap();
        let sk = d.payloads[0].encrypted.as_ref().unwrap();
        assert!(sk.payloads.is_none());
        assert!(sk.decrypt_error.is_some());
        let other = KeyTable::parse(
            &format!(
                "0000000000000001,0000000000000002,{},{},\"AES-CBC-128 [RFC3602]\",{},{},\"HMAC_SHA2_256_128 [RFC4868]\"",
                "11".repeat(16),
                "22".repeat(16),
                "33".repeat(32),
                "44".repeat(32)
            ),
            "other.keys",
        )
        .unwrap();
        let d = test_message(&msg, Some(&other)).unwrap();
        let e = d.payloads[0]
            .encrypted
            .as_ref()
            .unwrap()
            .decrypt_error
            .clone()
            .unwrap();
        assert!(
            e.contains("no key table line for SPI-I 1111111111111111"),
            "{e}"
        );
    }

    #[test]
    fn sa_proposals_show_the_new_ike_spi_of_a_rekey() {
        use crate::wire::{emit_proposals, ProposalRepr};
        let t = table(&"11".repeat(16));
        let spis = SpiPair::new(Spi::parse(SPI_I).unwrap(), Spi::parse(SPI_R).unwrap());
        let sa = emit_proposals(&[ProposalRepr::ike_rekey([0x5a; 8])]).unwrap();
        let msg = seal(
            SealHeader {
                spis,
                exchange: ExchangeType::CREATE_CHILD_SA,
                flags: Flags::RESPONSE,
                message_id: 2,
            },
            &[PayloadRepr::other(PayloadType::SA, sa)],
            t.get(&spis).unwrap(),
            &[9; 16],
        )
        .unwrap();
        let d = test_message(&msg, Some(&t)).unwrap();
        let inner = d.payloads[0]
            .encrypted
            .as_ref()
            .unwrap()
            .payloads
            .clone()
            .unwrap();
        let p = &inner[0].proposals.as_ref().unwrap()[0];
        assert_eq!((p.number, p.protocol_id, p.transforms), (1, 1, 1));
        assert_eq!(p.spi, "5a".repeat(8));
        assert_eq!(p.protocol, "IKE");
        let json = serde_json::to_value(&inner[0]).unwrap();
        assert_eq!(json["proposals"][0]["spi"], "5a".repeat(8));
    }

    #[test]
    fn inner_payloads_are_shown_up_to_a_malformed_one() {
        let t = table(&"11".repeat(16));
        let spis = SpiPair::new(Spi::parse(SPI_I).unwrap(), Spi::parse(SPI_R).unwrap());
        let msg = seal(
            SealHeader {
                spis,
                exchange: ExchangeType::INFORMATIONAL,
                flags: Flags::RESPONSE,
                message_id: 3,
            },
            &[
                PayloadRepr::other(PayloadType::IDR, vec![2, 0, 0, 0, b'g', b'w']),
                // a Notify whose SPI size runs past its body
                PayloadRepr::other(PayloadType::NOTIFY, vec![3, 9, 0, 11]),
                PayloadRepr::other(PayloadType::NONCE, vec![1; 16]),
            ],
            t.get(&spis).unwrap(),
            &[5; 16],
        )
        .unwrap();
        let d = test_message(&msg, Some(&t)).unwrap();
        let sk = d.payloads[0].encrypted.as_ref().unwrap();
        let inner = sk.payloads.as_ref().unwrap();
        assert_eq!(inner.len(), 3);
        assert_eq!(inner[0].id.as_ref().unwrap().value, "gw");
        assert_eq!(inner[1].malformed.as_ref().unwrap().field, "SPI size");
        assert_eq!(inner[2].nonce.as_ref().unwrap().length, 16);
        // the SPI Size field: after the 10-byte IDr and the 4-byte generic header
        assert_eq!(sk.malformed.as_ref().unwrap().offset, 10 + 4 + 1);
        assert!(sk.decrypt_error.as_ref().unwrap().contains("SPI size"));
        let lines: Vec<String> = text::tree(&Decoded::Message(d), text::TreeOptions::default())
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("malformed inside (offsets in the plaintext)")),
            "{lines:?}"
        );
        assert!(
            !lines.iter().any(|l| l.contains("not decrypted")),
            "{lines:?}"
        );
    }

    #[test]
    fn inner_qcd_warnings_are_reported() {
        let t = table(&"11".repeat(16));
        let msg = ike_auth_response(&t, &[1; 8]);
        let d = test_message(&msg, Some(&t)).unwrap();
        assert!(
            d.warnings
                .iter()
                .any(|w| w.starts_with("inside SK:") && w.contains("8 octets")),
            "{:?}",
            d.warnings
        );
    }
}
