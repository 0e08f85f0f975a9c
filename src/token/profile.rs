//! Token profiles: how a token maker turns (secret, SPI-I ‖ SPI-R [‖ taker
//! address]) into token bytes. RFC 6290 mandates no algorithm; these are the
//! constructions seen in real gateways.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// RFC 6290 §4.1 bounds token data to 16..=128 octets.
pub const MIN_TOKEN_LEN: usize = 16;
pub const MAX_TOKEN_LEN: usize = 128;

/// A token construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// HMAC-SHA-256(key = secret, M); qcd's default.
    HmacSha256,
    /// HMAC-SHA-512(secret, M), as Rockhopper VPN does with a 64-byte secret.
    HmacSha512,
    /// HMAC-SHA-1(secret, M), truncated to 16 bytes by legacy gateways.
    HmacSha1,
    /// SHA-256(secret ‖ M): RFC 6290's stateless example.
    Sha256Concat,
}

impl Profile {
    pub const ALL: [Profile; 4] = [
        Profile::HmacSha256,
        Profile::HmacSha512,
        Profile::HmacSha1,
        Profile::Sha256Concat,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::HmacSha256 => "hmac-sha256",
            Profile::HmacSha512 => "hmac-sha512",
            Profile::HmacSha1 => "hmac-sha1",
            Profile::Sha256Concat => "sha256-concat",
        }
    }

    /// Output size of the underlying hash, in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Profile::HmacSha256 | Profile::Sha256Concat => 32,
            Profile::HmacSha512 => 64,
            Profile::HmacSha1 => 20,
        }
    }

    /// The token length this profile uses unless told otherwise.
    pub fn default_len(self) -> usize {
        match self {
            Profile::HmacSha256 | Profile::Sha256Concat => 32,
            Profile::HmacSha512 => 64,
            Profile::HmacSha1 => 16,
        }
    }

    /// The longest token this profile can produce within RFC 6290's bound.
    pub fn max_len(self) -> usize {
        self.digest_len().min(MAX_TOKEN_LEN)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("unknown token profile {0:?}: expected one of hmac-sha256, hmac-sha512, hmac-sha1, sha256-concat")]
    Unknown(String),
    #[error("token length {length} is not allowed for profile {profile}: RFC 6290 tokens are 16 to 128 bytes and {profile} yields at most {max} bytes, so use a length from 16 to {max}")]
    Length {
        profile: Profile,
        length: usize,
        max: usize,
    },
}

impl FromStr for Profile {
    type Err = ProfileError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ProfileError::Unknown(s.to_string()))
    }
}

/// Everything that fixes how a generation's tokens are computed, besides the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenSpec {
    pub profile: Profile,
    /// Token length in bytes (a prefix of the hash output).
    pub length: usize,
    /// Whether the token taker's IP address follows the SPIs in the hashed block.
    pub taker_addr: bool,
}

impl TokenSpec {
    /// A spec with the profile's default length, checked.
    pub fn new(profile: Profile) -> Self {
        TokenSpec {
            profile,
            length: profile.default_len(),
            taker_addr: false,
        }
    }

    /// Checks `length` against RFC 6290 and the profile's digest size.
    pub fn with_length(profile: Profile, length: usize) -> Result<Self, ProfileError> {
        let max = profile.max_len();
        if !(MIN_TOKEN_LEN..=max).contains(&length) {
            return Err(ProfileError::Length {
                profile,
                length,
                max,
            });
        }
        Ok(TokenSpec {
            profile,
            length,
            taker_addr: false,
        })
    }

    pub fn validate(&self) -> Result<(), ProfileError> {
        TokenSpec::with_length(self.profile, self.length).map(|_| ())
    }
}

impl Default for TokenSpec {
    fn default() -> Self {
        TokenSpec::new(Profile::HmacSha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>().unwrap(), p);
            assert!(TokenSpec::new(p).validate().is_ok());
        }
        assert!("md5".parse::<Profile>().is_err());
    }

    #[test]
    fn lengths_are_bounded_by_rfc_and_digest() {
        assert!(TokenSpec::with_length(Profile::HmacSha256, 15).is_err());
        assert!(TokenSpec::with_length(Profile::HmacSha256, 16).is_ok());
        assert!(TokenSpec::with_length(Profile::HmacSha256, 32).is_ok());
        assert!(TokenSpec::with_length(Profile::HmacSha256, 33).is_err());
        assert!(TokenSpec::with_length(Profile::HmacSha1, 20).is_ok());
        assert!(TokenSpec::with_length(Profile::HmacSha1, 21).is_err());
        assert!(TokenSpec::with_length(Profile::HmacSha512, 64).is_ok());
        let e = TokenSpec::with_length(Profile::HmacSha512, 65)
            .unwrap_err()
            .to_string();
        assert!(e.contains("16 to 64"), "{e}");
    }
}
