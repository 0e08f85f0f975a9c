//! The QCD secret: the keyring model (numbered generations with states) and
//! its file store (atomic, locked, 0600). Token computation lives in
//! [`crate::token`]; this module only keeps and hands out secret bytes.

pub mod bytes;
pub mod fingerprint;
pub mod keyring;

pub use bytes::SecretBytes;
pub use fingerprint::{fingerprint, weakness, Weakness};
pub use keyring::{Generation, Keyring, ModelError, Origin, State};
