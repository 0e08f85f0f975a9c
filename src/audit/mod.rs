//! `qcd audit`: checks how clusters of gateways share their QCD secrets
//! against what each cluster's mode requires, plus secret hygiene.
//!
//! A hot-standby pair must share the secret: the standby that takes over must
//! produce the tokens the active member handed out. Members of a load-sharing
//! or anycast cluster (or unrelated gateways) must not: a member that does not
//! hold an IKE SA but knows the secret answers a spoofed message for that SA
//! with a valid token, which lets an attacker make the peer tear the SA down.
//!
//! - [`inventory`]: the inventory file (clusters, modes, policies, members),
//!   and loading each member — a keyring read here, or the manifest
//!   (`qcd secret list --json`) collected from the gateway — into a [`Manifest`](crate::secret::Manifest).
//! - [`rules`]: one pure function per rule id (QCD001…QCD011) over loaded clusters.
//! - [`finding`]: the result type, with its typed fix steps, printed as NDJSON.
//! - [`text`]: the findings as a table, and the tally that decides the exit status.
//!
//! Not for changing keyrings: the fixes are `qcd secret` commands the findings name.

pub mod finding;
pub mod inventory;
pub mod rules;
pub mod text;

pub use finding::{Finding, Fix, FixStep, GenerationRef, Severity};
pub use inventory::{Cluster, Inventory, InventoryError, Member, Mode, Policy, Source};
pub use rules::audit;
