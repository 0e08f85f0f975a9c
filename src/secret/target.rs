//! The gateway daemons that really implement QCD, as `--for` targets: what
//! secret each one reads, in which format, from where, with which owner and
//! mode, how it turns the secret into tokens, and how it takes a new secret.
//!
//! This table is the only place in the code that knows these facts; the
//! table in docs/targets.md is written from it (a test compares them). Every
//! fact comes from the daemon's source, cited in [`TargetSpec::sources`].
//!
//! Both daemons are *single-key*: they read one secret once, at start-up, and
//! have no notion of a previous secret. A new secret therefore takes effect
//! only when the daemon restarts, and from that moment every token its peers
//! hold from the old secret stops matching: only a restart that deletes its
//! SAs gracefully (peers re-establish and get new tokens) is safe, and an
//! overlap window has no meaning.

use std::fmt;
use std::str::FromStr;

use crate::encoding::ByteFormat;
use crate::token::{Profile, TokenSpec};

/// A daemon qcd provisions with `--for`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Rockhopper VPN (github rhpenguin/rockhopper-vpn).
    Rockhopper,
    /// The racoon2 fork with QCD (github derekm/racoon2; upstream racoon2 has none).
    Racoon2,
}

/// Everything qcd needs to know about one target daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSpec {
    pub target: Target,
    /// The `--for` value.
    pub name: &'static str,
    /// The daemon, as its users know it.
    pub daemon: &'static str,
    /// The secret's size: the daemon reads exactly this many bytes.
    pub secret_bytes: usize,
    /// How the daemon computes tokens (never bound to the taker address).
    pub profile: Profile,
    pub token_length: usize,
    /// The file format: the bytes themselves.
    pub format: ByteFormat,
    /// The file the daemon reads by default (`export --for` writes it when `--out` is not given).
    pub path: &'static str,
    /// The user the daemon reads the file as: qcd leaves the file owned by this user.
    pub owner: &'static str,
    /// The mode qcd writes the file with (the daemon needs only read access).
    pub mode: u32,
    /// The mode the daemon's installer gives the file's directory.
    pub directory_mode: u32,
    /// The daemon reads one secret at start-up: rotation needs a restart, and no overlap is possible.
    pub single_key: bool,
    /// The systemd unit that runs the daemon.
    pub unit: &'static str,
    /// What the daemon does with a file it cannot use.
    pub bad_file: &'static str,
    /// Where each fact above comes from.
    pub sources: &'static [&'static str],
}

/// The table.
pub const TARGETS: [TargetSpec; 2] = [
    TargetSpec {
        target: Target::Rockhopper,
        name: "rockhopper",
        daemon: "Rockhopper VPN (rockhopperd)",
        secret_bytes: 64,
        profile: Profile::HmacSha512,
        token_length: 64,
        format: ByteFormat::Raw,
        path: "/home/rhpprotected/config/qcd_secret",
        owner: "rhpprotected",
        mode: 0o600,
        directory_mode: 0o700,
        single_key: true,
        unit: "rockhopper.service",
        bad_file: "deletes a file it cannot read as 64 bytes and writes a new random secret there (mode 0700), so its tokens no longer match the keyring",
        sources: &[
            "rockhopper/app/rhp_ikev2_qcd_syspxy.c: RHP_IKEV2_QCD_SECRET_LEN 64; rhp_ikev2_qcd_syspxy_init reads the file once (rhp_file_read_data), on failure unlinks it and writes 64 random bytes with S_IRUSR|S_IWUSR|S_IXUSR; rhp_ikev2_qcd_get_my_token: HMAC-SHA2-512(secret, SPI-I || SPI-R), RHP_IKEV2_QCD_TOKEN_LEN (64) bytes",
            "installer/protected.xml: <qcd_secret path=\"/home/rhpprotected/config/qcd_secret\"/>, parsed by rockhopper/app/rhp_syspxy.c (_rhp_syspxy_conf_parse_qcd_secret)",
            "installer/systemd_rockhopper_service: rockhopperd ... -s rhpprotected (the protected process that reads the secret runs as rhpprotected); installed as rockhopper.service by installer/install_uninstall.pl, which makes /home/rhpprotected/config mode 0700 owned by rhpprotected",
        ],
    },
    TargetSpec {
        target: Target::Racoon2,
        name: "racoon2",
        daemon: "racoon2 iked, QCD fork",
        secret_bytes: 32,
        profile: Profile::HmacSha1,
        token_length: 16,
        format: ByteFormat::Raw,
        path: "/var/lib/racoon2/qcd.secret",
        owner: "root",
        mode: 0o600,
        directory_mode: 0o700,
        single_key: true,
        unit: "iked.service",
        bad_file: "replaces a file shorter than 32 bytes with a new random secret (and uses only the first 32 bytes of a longer one), so its tokens no longer match the keyring",
        sources: &[
            "iked/ikev2_qcd.c: QCD_SECRET_PATH \"/var/lib/racoon2/qcd.secret\", QCD_SECRET_LEN 32, QCD_TOKEN_LEN 16; qcd_load_secret reads 32 bytes once at start (ikev2_qcd_init), else a random secret is saved with open(..., 0600) after mkdir(\"/var/lib/racoon2\", 0700); ikev2_qcd_token: the first 16 bytes of HMAC-SHA-1(secret, SPI-I || SPI-R)",
            "samples/systemd/iked.service: iked runs as root, unit iked.service",
        ],
    },
];

impl Target {
    pub const ALL: [Target; 2] = [Target::Rockhopper, Target::Racoon2];

    /// The target's row of the table.
    pub fn spec(self) -> &'static TargetSpec {
        TARGETS
            .iter()
            .find(|s| s.target == self)
            .expect("every target has a row")
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The token construction of the daemon.
    pub fn token_spec(self) -> TokenSpec {
        let s = self.spec();
        TokenSpec::with_length(s.profile, s.token_length).expect("the table's specs are valid")
    }

    /// The command that restarts the daemon.
    pub fn restart_command(self) -> String {
        format!("systemctl restart {}", self.spec().unit)
    }

    /// What differs between a generation (its secret size and token spec)
    /// and what the daemon uses; empty when it fits.
    pub fn differences(self, secret_bytes: usize, spec: &TokenSpec) -> Vec<Difference> {
        let s = self.spec();
        let mut d = Vec::new();
        if secret_bytes != s.secret_bytes {
            d.push(Difference::SecretBytes {
                have: secret_bytes,
                want: s.secret_bytes,
            });
        }
        if spec.profile != s.profile || spec.length != s.token_length {
            d.push(Difference::Tokens {
                have: (spec.profile, spec.length),
                want: (s.profile, s.token_length),
            });
        }
        if spec.taker_addr {
            d.push(Difference::TakerAddr);
        }
        d
    }

    /// Checks that generation `id` (secret size, token spec) fits the daemon.
    pub fn check(self, id: u32, secret_bytes: usize, spec: &TokenSpec) -> Result<(), Mismatch> {
        let differences = self.differences(secret_bytes, spec);
        if differences.is_empty() {
            Ok(())
        } else {
            Err(Mismatch {
                target: self,
                generation: id,
                differences,
            })
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown `--for` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown target {0:?}: expected rockhopper or racoon2")]
pub struct UnknownTarget(pub String);

impl FromStr for Target {
    type Err = UnknownTarget;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownTarget(s.to_string()))
    }
}

/// One way a generation differs from what a target daemon uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difference {
    SecretBytes {
        have: usize,
        want: usize,
    },
    Tokens {
        have: (Profile, usize),
        want: (Profile, usize),
    },
    TakerAddr,
}

/// A generation that does not fit a target, with every difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub target: Target,
    pub generation: u32,
    pub differences: Vec<Difference>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.target;
        let parts: Vec<String> = self
            .differences
            .iter()
            .map(|d| match d {
                Difference::SecretBytes { have, want } => {
                    format!("its secret is {have} bytes ({t} reads exactly {want})")
                }
                Difference::Tokens { have, want } => format!(
                    "its tokens are {}/{} ({t} computes {}/{})",
                    have.0, have.1, want.0, want.1
                ),
                Difference::TakerAddr => {
                    format!("it binds tokens to the taker address ({t} does not)")
                }
            })
            .collect();
        write!(
            f,
            "generation {} does not fit {t}: {}",
            self.generation,
            parts.join("; ")
        )
    }
}

impl std::error::Error for Mismatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_consistent() {
        for t in Target::ALL {
            let s = t.spec();
            assert_eq!(s.target, t);
            assert_eq!(s.name.parse::<Target>().unwrap(), t);
            assert!(t.token_spec().validate().is_ok());
            assert!(s.path.starts_with('/'));
            assert_eq!(s.format, ByteFormat::Raw);
            assert!(t.check(1, s.secret_bytes, &t.token_spec()).is_ok());
            assert!(!s.sources.is_empty());
        }
        assert_eq!(Target::Rockhopper.spec().secret_bytes, 64);
        assert_eq!(Target::Racoon2.token_spec().length, 16);
        assert!("strongswan".parse::<Target>().is_err());
    }

    #[test]
    fn a_mismatch_names_every_difference() {
        let spec = TokenSpec {
            taker_addr: true,
            ..TokenSpec::default()
        };
        let e = Target::Rockhopper.check(3, 32, &spec).unwrap_err();
        assert_eq!(e.differences.len(), 3);
        let msg = e.to_string();
        assert!(
            msg.starts_with("generation 3 does not fit rockhopper:"),
            "{msg}"
        );
        assert!(
            msg.contains("its secret is 32 bytes (rockhopper reads exactly 64)"),
            "{msg}"
        );
        assert!(
            msg.contains("its tokens are hmac-sha256/32 (rockhopper computes hmac-sha512/64)"),
            "{msg}"
        );
        assert!(msg.contains("binds tokens to the taker address"), "{msg}");
        let only_len = TokenSpec::with_length(Profile::HmacSha1, 20).unwrap();
        let e = Target::Racoon2.check(1, 32, &only_len).unwrap_err();
        assert_eq!(
            e.differences,
            vec![Difference::Tokens {
                have: (Profile::HmacSha1, 20),
                want: (Profile::HmacSha1, 16)
            }]
        );
    }
}
