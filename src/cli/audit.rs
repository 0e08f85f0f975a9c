//! `qcd audit INVENTORY`: checks cluster QCD secret sharing against the
//! inventory and prints findings (table, or NDJSON with --json).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use comfy_table::{Attribute, Cell, Color};

use qcd::audit::{self, Finding, Inventory, Severity};
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

/// Table width when stdout is not a terminal (comfy-table cannot ask one).
const DEFAULT_WIDTH: u16 = 160;

pub fn run(args: AuditArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let now = timefmt::now().context(timefmt::NOW_ENV)?;
    let inventory = Inventory::read(&args.inventory)?;
    let clusters = inventory.load(now)?;
    let findings = audit::audit(&clusters, now);
    let threshold = Severity::from(args.fail_on);

    if out.json {
        for f in &findings {
            out.json_line(f)?;
        }
    } else {
        if !findings.is_empty() {
            let table = render_table(out, &findings);
            out.answer(&table)?;
        }
        let members: usize = clusters.iter().map(|c| c.members.len()).sum();
        out.line(&summary(&findings, clusters.len(), members, threshold))?;
    }
    Ok(if findings.iter().any(|f| f.severity >= threshold) {
        Outcome::Negative
    } else {
        Outcome::Success
    })
}

fn render_table(out: &Output, findings: &[Finding]) -> String {
    let mut t = out.table();
    if out.color {
        t.enforce_styling();
    }
    if t.width().is_none() {
        t.set_width(DEFAULT_WIDTH);
    }
    t.set_header(vec![
        "ID",
        "Severity",
        "Cluster",
        "Members",
        "What is wrong",
        "Why it matters",
        "How to fix it",
    ]);
    for f in findings {
        // comfy-table styles the cell itself (it ignores styles without a
        // terminal or colour), so widths stay right; ANSI codes from
        // `Output::paint` inside a cell would be counted as text.
        let severity = Cell::new(f.severity.name());
        let severity = match f.severity {
            Severity::High => severity.fg(Color::Red).add_attribute(Attribute::Bold),
            Severity::Medium => severity.fg(Color::Yellow),
            Severity::Low | Severity::Info => severity.add_attribute(Attribute::Dim),
        };
        t.add_row(vec![
            Cell::new(f.id),
            severity,
            Cell::new(&f.cluster),
            Cell::new(f.members.join(", ")),
            Cell::new(&f.message),
            Cell::new(&f.why),
            Cell::new(&f.fix),
        ]);
    }
    t.to_string()
}

/// "2 findings (1 high, 1 low) in 2 clusters, 4 members" or "no findings in …".
fn summary(findings: &[Finding], clusters: usize, members: usize, threshold: Severity) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let scope = format!(
        "in {}, {}",
        plural(clusters, "cluster"),
        plural(members, "member")
    );
    if findings.is_empty() {
        return format!("no findings {scope}");
    }
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|s| {
            let n = findings.iter().filter(|f| f.severity == *s).count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    let failing = findings.iter().filter(|f| f.severity >= threshold).count();
    format!(
        "{} ({}) {scope}; {} at or above --fail-on {threshold}",
        plural(findings.len(), "finding"),
        counts.join(", "),
        failing
    )
}
