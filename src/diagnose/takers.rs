//! What real token takers require before they act on a maker's unprotected
//! reply, as read from their code (see `shared/reference/qcd.md`):
//!
//! - **Rockhopper** (`rhp_ikev2_qcd.c`): the reply comes from the peer's
//!   address (or a configured or MOBIKE address), holds both INVALID_IKE_SPI
//!   and QCD_TOKEN, the token has the stored length (16 to 128 octets) and the
//!   same bytes, and the IKE SA is ESTABLISHED or REKEYING.
//! - **the racoon2 fork** (derekm/racoon2 `iked/ikev2_qcd.c`): any
//!   INFORMATIONAL response whose first payload is a Notify and whose token
//!   (8 octets or more) matches; it needs neither INVALID_IKE_SPI, nor a
//!   matching message ID, nor the peer's address.
//! - **RFC 6290** itself: INVALID_IKE_SPI and QCD_TOKEN in an unprotected
//!   reply, a token of 16 to 128 octets equal to the stored one.

use std::net::IpAddr;

use super::model::TakerView;
use crate::token::profile::{MAX_TOKEN_LEN, MIN_TOKEN_LEN};
use crate::wire::{ExchangeType, PayloadType};

/// A token taker whose rules the diagnosis knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Taker {
    Rockhopper,
    Racoon2,
    Rfc,
}

impl Taker {
    pub const ALL: [Taker; 3] = [Taker::Rockhopper, Taker::Racoon2, Taker::Rfc];

    pub fn name(self) -> &'static str {
        match self {
            Taker::Rockhopper => "rockhopper",
            Taker::Racoon2 => "racoon2",
            Taker::Rfc => "rfc",
        }
    }
}

/// What the capture shows of one reply, and what the taker holds.
#[derive(Debug, Clone)]
pub struct TakerFacts<'a> {
    pub exchange: ExchangeType,
    pub response: bool,
    pub first_payload: PayloadType,
    pub has_invalid_ike_spi: bool,
    /// The QCD_TOKENs in the reply.
    pub tokens: Vec<&'a [u8]>,
    /// Whether the reply's source is an address the maker used for this SA.
    pub from_peer_address: bool,
    pub reply_from: IpAddr,
    pub peer_addresses: Vec<IpAddr>,
    /// The token(s) the maker gave (decrypted), empty when not known.
    pub given: Vec<&'a [u8]>,
    /// Whether the reply's token is known to be valid (by the keyring or the
    /// given token); `None` when it could not be checked.
    pub token_valid: Option<bool>,
    pub established: bool,
}

impl TakerFacts<'_> {
    /// Whether some token of the reply equals a given token (`None` when no
    /// given token is known: then the keyring's verdict, if any).
    fn matches(&self, min_len: usize, max_len: usize) -> Option<bool> {
        let usable = |t: &[u8]| (min_len..=max_len).contains(&t.len());
        if !self.given.is_empty() {
            return Some(
                self.tokens
                    .iter()
                    .filter(|t| usable(t))
                    .any(|t| self.given.iter().any(|g| g.len() == t.len() && g == t)),
            );
        }
        match self.token_valid {
            Some(true) => Some(self.tokens.iter().any(|t| usable(t))),
            other => other,
        }
    }
}

/// How `taker` would treat the reply.
pub fn judge(taker: Taker, f: &TakerFacts) -> TakerView {
    let view = |accepts: Option<bool>, why: String| TakerView {
        taker: taker.name(),
        accepts,
        why,
    };
    let unknown = "would accept if the token equals the one the maker gave in IKE_AUTH, which was not read (pass --keys or --keyring)";
    // A keyring shows which secret made the reply, not what the taker
    // stored: only the IKE_AUTH token (decrypted) shows that.
    let keyring_only = f.given.is_empty() && f.token_valid.is_some();
    let by_keyring = |ok: bool| -> TakerView {
        if ok {
            view(None, "the token is the one the maker's keyring gives for these SPIs, so the maker made it with that secret; whether it equals the token the taker stored from IKE_AUTH is not known (pass --keys to read that token)".into())
        } else {
            view(Some(false), "the token matches no generation of the maker's keyring: if the keyring holds the secret the maker had at IKE_AUTH, it differs from the token the taker stored".into())
        }
    };
    match taker {
        Taker::Rockhopper => {
            if !f.from_peer_address {
                return view(
                    Some(false),
                    format!(
                        "the reply comes from {}, not from an address the peer used for this IKE SA ({}); Rockhopper accepts only the peer's address, a configured one or a MOBIKE address",
                        f.reply_from,
                        f.peer_addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
            if !f.has_invalid_ike_spi || f.tokens.is_empty() {
                return view(
                    Some(false),
                    "Rockhopper needs both INVALID_IKE_SPI and QCD_TOKEN in the reply".into(),
                );
            }
            if !f
                .tokens
                .iter()
                .any(|t| (MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&t.len()))
            {
                return view(
                    Some(false),
                    format!("Rockhopper accepts only tokens of {MIN_TOKEN_LEN} to {MAX_TOKEN_LEN} octets"),
                );
            }
            if !f.established {
                return view(
                    Some(false),
                    "Rockhopper acts only on an ESTABLISHED or REKEYING IKE SA".into(),
                );
            }
            if keyring_only {
                return by_keyring(f.token_valid == Some(true));
            }
            match f.matches(MIN_TOKEN_LEN, MAX_TOKEN_LEN) {
                Some(true) => view(Some(true), "from the peer's address, INVALID_IKE_SPI and QCD_TOKEN present, the token has the stored length and bytes".into()),
                Some(false) => view(Some(false), "the token's length or bytes differ from the token it stored".into()),
                None => view(None, unknown.into()),
            }
        }
        Taker::Racoon2 => {
            if f.exchange != ExchangeType::INFORMATIONAL || !f.response {
                return view(
                    Some(false),
                    "the racoon2 fork acts only on an INFORMATIONAL response".into(),
                );
            }
            if f.first_payload != PayloadType::NOTIFY {
                return view(
                    Some(false),
                    "the racoon2 fork needs a Notify as the first payload".into(),
                );
            }
            if !f.tokens.iter().any(|t| t.len() >= 8) {
                return view(
                    Some(false),
                    "the racoon2 fork needs a QCD_TOKEN of 8 octets or more".into(),
                );
            }
            if keyring_only {
                return by_keyring(f.token_valid == Some(true));
            }
            match f.matches(8, usize::MAX) {
                Some(true) => view(Some(true), "an INFORMATIONAL response led by a Notify, with a matching token (it needs neither INVALID_IKE_SPI nor the peer's address)".into()),
                Some(false) => view(Some(false), "the token differs from the one it stored".into()),
                None => view(None, unknown.into()),
            }
        }
        Taker::Rfc => {
            if !f.has_invalid_ike_spi || f.tokens.is_empty() {
                return view(
                    Some(false),
                    "RFC 6290 §4 pairs QCD_TOKEN with INVALID_IKE_SPI".into(),
                );
            }
            if !f
                .tokens
                .iter()
                .any(|t| (MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&t.len()))
            {
                return view(
                    Some(false),
                    format!("RFC 6290 tokens are {MIN_TOKEN_LEN} to {MAX_TOKEN_LEN} octets"),
                );
            }
            if keyring_only {
                return by_keyring(f.token_valid == Some(true));
            }
            match f.matches(MIN_TOKEN_LEN, MAX_TOKEN_LEN) {
                Some(true) => view(
                    Some(true),
                    "INVALID_IKE_SPI with a QCD_TOKEN equal to the stored token".into(),
                ),
                Some(false) => view(
                    Some(false),
                    "the token differs from the stored token".into(),
                ),
                None => view(None, unknown.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(tok: &'a [u8], given: &'a [u8]) -> TakerFacts<'a> {
        TakerFacts {
            exchange: ExchangeType::INFORMATIONAL,
            response: true,
            first_payload: PayloadType::NOTIFY,
            has_invalid_ike_spi: true,
            tokens: vec![tok],
            from_peer_address: true,
            reply_from: "192.0.2.2".parse().unwrap(),
            peer_addresses: vec!["192.0.2.2".parse().unwrap()],
            given: vec![given],
            token_valid: None,
            established: true,
        }
    }

    #[test]
    fn all_takers_accept_a_well_formed_matching_reply() {
        let t = [7u8; 64];
        for k in Taker::ALL {
            assert_eq!(judge(k, &facts(&t, &t)).accepts, Some(true), "{k:?}");
        }
    }

    #[test]
    fn racoon2_needs_no_invalid_ike_spi_and_no_address_but_rockhopper_does() {
        let t = [7u8; 16];
        let mut f = facts(&t, &t);
        f.has_invalid_ike_spi = false;
        f.from_peer_address = false;
        assert_eq!(judge(Taker::Racoon2, &f).accepts, Some(true));
        let r = judge(Taker::Rockhopper, &f);
        assert_eq!(r.accepts, Some(false));
        assert!(r.why.contains("not from an address"), "{}", r.why);
        f.from_peer_address = true;
        assert!(judge(Taker::Rockhopper, &f)
            .why
            .contains("both INVALID_IKE_SPI"));
        assert_eq!(judge(Taker::Rfc, &f).accepts, Some(false));
    }

    #[test]
    fn racoon2_wants_a_notify_first_in_an_informational_response() {
        let t = [7u8; 16];
        let mut f = facts(&t, &t);
        f.first_payload = PayloadType::SK;
        assert_eq!(judge(Taker::Racoon2, &f).accepts, Some(false));
        assert_eq!(judge(Taker::Rockhopper, &f).accepts, Some(true));
        f.first_payload = PayloadType::NOTIFY;
        f.exchange = ExchangeType::IKE_AUTH;
        assert_eq!(judge(Taker::Racoon2, &f).accepts, Some(false));
    }

    #[test]
    fn token_lengths_per_taker() {
        let short = [7u8; 8];
        let f = facts(&short, &short);
        assert_eq!(judge(Taker::Racoon2, &f).accepts, Some(true));
        assert_eq!(judge(Taker::Rockhopper, &f).accepts, Some(false));
        assert_eq!(judge(Taker::Rfc, &f).accepts, Some(false));
    }

    #[test]
    fn unknown_given_token_leaves_the_answer_open_unless_the_keyring_knows() {
        let t = [7u8; 32];
        let mut f = facts(&t, &t);
        f.given.clear();
        for k in Taker::ALL {
            assert_eq!(judge(k, &f).accepts, None);
        }
        // A keyring match shows the maker made the reply, not what the
        // taker stored: never "accepts" on the keyring alone.
        f.token_valid = Some(true);
        for k in Taker::ALL {
            let v = judge(k, &f);
            assert_eq!(v.accepts, None, "{k:?}");
            assert!(!v.why.contains("stored length"), "{}", v.why);
            assert!(v.why.contains("--keys"), "{}", v.why);
        }
        f.token_valid = Some(false);
        assert_eq!(judge(Taker::Rfc, &f).accepts, Some(false));
        let other = [8u8; 32];
        let f = facts(&t, &other);
        assert_eq!(judge(Taker::Rockhopper, &f).accepts, Some(false));
    }
}
