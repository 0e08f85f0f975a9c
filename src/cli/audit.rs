//! `qcd audit INVENTORY`: checks cluster QCD secret sharing against the
//! inventory and prints findings (table, or NDJSON with --json).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use qcd::audit::text::{self, AuditSummary};
use qcd::audit::{self, Inventory, Severity};
use qcd::report::Output;
use qcd::timefmt;

use super::Outcome;

/// Audit cluster QCD secret-sharing against an inventory.
///
/// Reads the inventory (TOML, or JSON when the name ends in .json) listing
/// clusters, their mode (hot-standby, load-sharing, anycast, standalone), an
/// optional policy and members, each with a keyring read here or a manifest
/// (`qcd secret list --json`) collected from the gateway. Prints what is wrong,
/// why it matters and the qcd command that fixes it. Never prints a secret.
///
/// Example: qcd audit /etc/qcd/inventory.toml --fail-on medium
#[derive(Args, Debug)]
#[command(after_long_help = long_help_tail())]
pub struct AuditArgs {
    /// The inventory file (TOML, or JSON by its .json extension).
    #[arg(value_name = "INVENTORY")]
    pub inventory: PathBuf,
    /// Exit 1 when a finding has this severity or higher.
    ///
    /// Example: --fail-on medium fails on medium and high findings, reports the rest.
    #[arg(long, value_enum, default_value_t = FailOn::High, value_name = "SEVERITY")]
    pub fail_on: FailOn,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Self {
        match f {
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
        }
    }
}

/// The rule list (from the library's table, so help and man page follow it) and exit codes.
fn long_help_tail() -> String {
    let mut text = String::from("Rules (highest severity each can report):\n");
    for (id, severity, meaning) in audit::rules::RULES {
        text.push_str(&format!("  {id}  {:<6}  {meaning}\n", severity.name()));
    }
    text.push_str("\nExit status: 0 no finding at or above --fail-on, 1 some finding at or above it, 2 error (bad inventory, unreadable keyring or manifest).");
    text
}

pub fn run(args: AuditArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let now = timefmt::now().context(timefmt::NOW_ENV)?;
    let inventory = Inventory::read(&args.inventory)?;
    let clusters = inventory.load(now)?;
    let findings = audit::audit(&clusters, now);
    let summary = AuditSummary::new(&findings, &clusters, args.fail_on.into());
    text::print(out, &findings, &summary)?;
    Ok(summary.outcome())
}
