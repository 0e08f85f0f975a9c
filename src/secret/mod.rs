//! The QCD secret: the keyring model (numbered generations with states), its
//! file store (atomic, locked, 0600), per-member derivation, the manifest
//! that describes a keyring without its secrets, and the operations on them
//! as typed requests and outcomes ([`ops`]), their records ([`report`]) and
//! text ([`text`], [`listing`]). Token computation lives in
//! [`crate::token`]; this module only keeps and hands out secret bytes.

pub mod deploy;
pub mod derive;
pub mod fingerprint;
pub mod input;
pub mod keyring;
pub mod listing;
pub mod manifest;
pub mod ops;
pub mod report;
pub mod store;
pub mod target;
pub mod text;
pub mod tokens;

pub use crate::token::State;
pub use fingerprint::{fingerprint, weakness, Weakness};
pub use keyring::{Generation, Keyring, ModelError, Origin};
pub use manifest::Manifest;
