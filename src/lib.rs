//! `qcd`: a toolkit for IKEv2 Quick Crash Detection (RFC 6290).
//!
//! The library holds every piece of domain logic; the `qcd` binary only parses
//! arguments, calls into these modules, renders results and maps errors to exit
//! codes. Modules in layer order: each imports only modules listed above it
//! in its own chain (`tests/it/architecture.rs` holds the graph to that).
//!
//! Leaves, used everywhere:
//! - [`encoding`]: lenient hex, base64 and raw encodings of byte strings.
//! - [`spi`]: IKE SPIs and SPI pairs, and how users write them.
//! - [`timefmt`]: durations and timestamps as users write them.
//! - [`fsio`]: safe file access (regular files only, size caps, ownership
//!   checks) and atomic writes.
//! - [`secretmem`]: memory for secret bytes (wiped, kept out of core dumps,
//!   compared in constant time).
//! - [`report`]: output settings (JSON or human, colour, tables).
//!
//! Packets: capture → wire → decode → ikesa → diagnose.
//! - [`capture`]: pcap/pcapng files and streams as IKE, ESP and ICMP sightings.
//! - [`wire`]: IKEv2 bytes: zero-copy views and owned `Repr`s that parse and
//!   build messages.
//! - [`ikecrypto`]: SK payload decryption and sealing, key tables and logs.
//! - [`decode`]: decoded IKEv2 messages from hex or captures, with QCD
//!   warnings; the per-message digest diagnose and `--summary` read.
//! - [`ikesa`]: which IKE SA a message belongs to, and which was current
//!   between two hosts.
//! - [`diagnose`]: which step of a crash detection failed, from a capture,
//!   after the fact or live.
//!
//! Secrets: token ← secret ← audit.
//! - [`token`]: token profiles, derivation, verification and mismatch diagnosis.
//! - [`secret`]: the keyring model (generations of the QCD secret), its file
//!   store and the operations on it.
//! - [`audit`]: cluster secret-sharing audit (inventory, rules, findings).
//!
//! Live gateways, on wire and token:
//! - [`probe`]: asks a live gateway for its token.
//! - [`respond`]: a QCD token maker for labs and tests.
//! - [`ikeinit`]: a minimal IKEv2 PSK initiator for the end-to-end check
//!   (`probe --auth`).

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
