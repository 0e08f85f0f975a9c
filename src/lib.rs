//! `qcd`: a toolkit for IKEv2 Quick Crash Detection (RFC 6290).
//!
//! The library holds every piece of domain logic; the `qcd` binary only parses
//! arguments, calls into these modules, renders results and maps errors to exit
//! codes. Modules, by domain:
//!
//! - [`audit`]: cluster secret-sharing audit (inventory, rules, findings).
//! - [`spi`]: IKE SPIs and SPI pairs, and how users write them.
//! - [`encoding`]: lenient hex, base64 and raw encodings of byte strings.
//! - [`fsio`]: safe file access (regular files only, size caps, ownership checks).
//! - [`ikesa`]: which IKE SA a message belongs to, and which was current between two hosts.
//! - [`ikecrypto`]: IKEv2 SK payload decryption with Wireshark/strongSwan key tables.
//! - [`ikeinit`]: a minimal IKEv2 PSK initiator for the end-to-end QCD check (`probe --auth`).
//! - [`secret`]: the keyring model (generations of the QCD secret) and its file store.
//! - [`token`]: token profiles, derivation, verification and mismatch diagnosis.
//! - [`diagnose`]: which step of a crash detection failed, from packet summaries.
//! - [`report`]: output settings (JSON or human, colour) shared by all commands.
//! - [`timefmt`]: durations and timestamps as users write them.
//! - [`wire`]: IKEv2 bytes: zero-copy views and owned `Repr`s that parse and build messages.
//! - [`decode`]: turns hex text into decoded IKEv2 messages or payloads, with QCD warnings.
//! - [`capture`]: pcap/pcapng files as a stream of IKE and ESP sightings.
//! - [`probe`]: asks live gateways for their token (on `wire`, `token`, `secret`).
//! - [`respond`]: a QCD token maker for labs and tests (on `wire`, `token`, `secret`).

#![forbid(unsafe_code)]

pub mod audit;
pub mod capture;
pub mod decode;
pub mod diagnose;
pub mod encoding;
pub mod fsio;
pub mod ikecrypto;
pub mod ikeinit;
pub mod ikesa;
pub mod probe;
pub mod report;
pub mod respond;
pub mod secret;
pub mod secretmem;
pub mod spi;
pub mod timefmt;
pub mod token;
pub mod wire;
