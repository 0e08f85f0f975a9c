//! Memory for secret material: [`SecretBytes`], a buffer that is wiped on
//! drop, kept out of core dumps where the OS allows ([`guard`]), never
//! printed by `Debug`, and compared in constant time.
//!
//! A leaf: it knows nothing of keyrings, tokens or files. Both
//! [`crate::secret`] (which keeps QCD secrets) and [`crate::token`] (which
//! computes tokens from them) hold their bytes in it.

mod bytes;
pub mod guard;

pub use bytes::SecretBytes;
