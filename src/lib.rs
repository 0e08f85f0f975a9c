//! `qcd`: a toolkit for IKEv2 Quick Crash Detection (RFC 6290).
//!
//! The library holds every piece of domain logic; the `qcd` binary only parses
//! arguments, calls into these modules, renders results and maps errors to exit
//! codes. Modules, by domain:
//!
//! - [`spi`]: IKE SPIs and SPI pairs, and how users write them.
//! - [`encoding`]: lenient hex, base64 and raw encodings of byte strings.
//! - [`secret`]: the keyring model (generations of the QCD secret) and its file store.
//! - [`token`]: token profiles, derivation, verification and mismatch diagnosis.
//! - [`report`]: output settings (JSON or human, colour) shared by all commands.
//! - [`timefmt`]: durations and timestamps as users write them.
//! - [`capture`]: pcap/pcapng files as a stream of IKE and ESP sightings.

pub mod capture;
pub mod encoding;
pub mod report;
pub mod secret;
pub mod spi;
pub mod timefmt;
pub mod token;
