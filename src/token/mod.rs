//! QCD tokens: the profiles real token makers use, derivation from a secret
//! and an IKE SA's SPIs, verification, and the diagnosis of a mismatch.
//!
//! This module takes secret bytes and SPIs; it knows nothing of files or
//! keyrings (see [`crate::secret`] for those).

pub mod profile;

pub use profile::{Profile, ProfileError, TokenSpec};
