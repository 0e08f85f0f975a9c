//! QCD tokens: the profiles real token makers use, derivation from a secret
//! and an IKE SA's SPIs, verification, the diagnosis of a mismatch and its
//! text, the batch line format, and the token, taker address and batch
//! input users give ([`input`]).
//!
//! This module takes secret bytes and SPIs; it knows nothing of keyrings or
//! secret files (see [`crate::secret`] for those).

pub mod batch;
pub mod derive;
pub mod input;
pub mod profile;
pub mod records;
pub mod text;
pub mod verify;

pub use derive::{derive, Deriver, TokenError, TokenInput};
pub use profile::{Profile, ProfileError, TokenSpec};
pub use verify::{
    diagnose, verify, Candidate, Code, Explanation, Matched, Note, NoteCode, State, Verification,
    Verifier,
};
