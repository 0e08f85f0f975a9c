//! `qcd audit INVENTORY`: checks cluster QCD secret sharing against the
//! inventory and prints findings (table, or NDJSON with --json).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use std::collections::{HashMap, HashSet};

use comfy_table::{Attribute, Cell, Color, ColumnConstraint};

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

/// Table width when stdout is not a terminal and `COLUMNS` is not set.
const DEFAULT_WIDTH: u16 = 160;
/// The narrowest width honoured (below it the table is as narrow as it gets).
const MIN_WIDTH: u16 = 60;
/// Members named in a table cell before "and N more" (`--json` has them all).
const MEMBERS_SHOWN: usize = 6;
/// Characters of a finding's message shown in a table cell (`--json` has it all).
const MESSAGE_SHOWN: usize = 1200;

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
            let text = render(out, &findings, width());
            out.answer(text.trim_end_matches('\n'))?;
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

/// The width to fit: the terminal's when stdout is one, else `COLUMNS`,
/// else [`DEFAULT_WIDTH`].
fn width() -> u16 {
    let w = terminal_size::terminal_size_of(std::io::stdout())
        .map(|(w, _)| w.0)
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
        .unwrap_or(DEFAULT_WIDTH);
    w.max(MIN_WIDTH)
}

/// The findings as a table that fits `width` columns, then why each rule
/// matters (once per rule), then every command the fixes name, each whole on
/// its own line (a table cell would wrap it: it could not be copied). In the
/// table a command is referred to as `[n]`; the same command named by
/// several findings is listed once.
fn render(out: &Output, findings: &[Finding], width: u16) -> String {
    let mut t = out.table();
    if out.color {
        t.enforce_styling();
    }
    t.set_width(width);
    t.set_header(vec!["Finding", "Where", "What is wrong", "How to fix it"]);
    let mut commands: Vec<&str> = Vec::new();
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    for f in findings {
        // comfy-table styles the cell itself (it ignores styles without a
        // terminal or colour), so widths stay right; ANSI codes from
        // `Output::paint` inside a cell would be counted as text.
        let id = Cell::new(format!("{}\n{}", f.id, f.severity.name()));
        let id = match f.severity {
            Severity::High => id.fg(Color::Red).add_attribute(Attribute::Bold),
            Severity::Medium => id.fg(Color::Yellow),
            Severity::Low | Severity::Info => id.add_attribute(Attribute::Dim),
        };
        // The fix with each `command` replaced by its number.
        let mut texts: Vec<&str> = Vec::new();
        let mut refs: Vec<usize> = Vec::new();
        for (i, piece) in f.fix.split('`').enumerate() {
            if i % 2 == 0 {
                texts.push(piece);
            } else {
                refs.push(*numbers.entry(piece).or_insert_with(|| {
                    commands.push(piece);
                    commands.len()
                }));
            }
        }
        let fix = with_refs(&texts, &refs);
        t.add_row(vec![
            id,
            Cell::new(format!("{}:\n{}", f.cluster, members_cell(&f.members))),
            Cell::new(capped(&f.message, MESSAGE_SHOWN)),
            Cell::new(fix),
        ]);
    }
    if let Some(c) = t.column_mut(0) {
        c.set_constraint(ColumnConstraint::ContentWidth);
    }
    // Where: cluster and member names, a sixth of the width at most.
    if let Some(c) = t.column_mut(1) {
        c.set_constraint(ColumnConstraint::UpperBoundary(comfy_table::Width::Fixed(
            (width / 6).max(12),
        )));
    }
    let mut text = t.to_string();
    text.push_str("\n\nWhy it matters:\n");
    let mut seen = HashSet::new();
    for f in findings {
        if seen.insert((f.id, f.why.as_str())) {
            text.push_str(&wrap(&format!("{}  ", f.id), &f.why, usize::from(width)));
        }
    }
    if !commands.is_empty() {
        text.push_str(
            "\nCommands, each on one line to copy whole (the table says where to run [n]):\n",
        );
        for (i, c) in commands.iter().enumerate() {
            text.push_str(&format!("{c}  # [{}]\n", i + 1));
        }
    }
    text
}

/// `texts[0] [refs[0]] texts[1] [refs[1]] … texts[n]`, where a run of three
/// or more consecutive numbers joined by the same text (`on gw1: [4]; on
/// gw1: [5]; on gw1: [6]`) is written `on gw1: [4]–[6]`.
fn with_refs(texts: &[&str], refs: &[usize]) -> String {
    let mut out = String::from(texts[0]);
    let mut i = 0;
    while i < refs.len() {
        let mut j = i;
        while j + 1 < refs.len() && refs[j + 1] == refs[j] + 1 && texts[j + 1] == texts[i + 1] {
            j += 1;
        }
        if j - i >= 2 {
            out.push_str(&format!("[{}]–[{}]", refs[i], refs[j]));
        } else {
            j = i;
            out.push_str(&format!("[{}]", refs[i]));
        }
        out.push_str(texts[j + 1]);
        i = j + 1;
    }
    out
}

/// "a, b, c" or "a, b, … and 994 more".
fn members_cell(members: &[String]) -> String {
    if members.len() <= MEMBERS_SHOWN + 1 {
        return members.join(", ");
    }
    format!(
        "{}, … and {} more",
        members[..MEMBERS_SHOWN].join(", "),
        members.len() - MEMBERS_SHOWN
    )
}

/// `text` cut at a word boundary after `max` characters, saying how much is left out.
fn capped(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!(
        "{cut} … ({} more characters: --json has the whole message)",
        text.chars().count() - cut.chars().count()
    )
}

/// `head` then `text` wrapped at word boundaries to `width`, later lines
/// indented under the text.
fn wrap(head: &str, text: &str, width: usize) -> String {
    let indent = head.chars().count();
    let room = width.saturating_sub(indent).max(20);
    let mut out = String::from(head);
    let mut line = 0;
    for word in text.split_whitespace() {
        let n = word.chars().count();
        if line > 0 && line + 1 + n > room {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line = 0;
        }
        if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += n;
    }
    out.push('\n');
    out
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
