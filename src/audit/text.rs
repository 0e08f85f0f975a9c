//! The text form of an audit: the findings as a table that fits the
//! terminal, why each rule matters, every command the fixes name (each
//! whole on its own line, to copy), and the tally ([`AuditSummary`]) that
//! also decides the exit status ([`AuditSummary::outcome`]); [`print`]
//! chooses between them, `--quiet`'s answer and `--json`'s findings.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;

use comfy_table::{Attribute, Cell, Color, ColumnConstraint};

use super::finding::{Finding, FixStep, Severity};
use super::inventory::Cluster;
use crate::report::{Outcome, Output};

/// Members named in a table cell before "and N more" (`--json` has them all).
const MEMBERS_SHOWN: usize = 6;
/// Characters of a finding's message shown in a table cell (`--json` has it all).
const MESSAGE_SHOWN: usize = 1200;

/// The findings as a table that fits `width` columns, then why each rule
/// matters (once per rule), then every command the fixes name, each whole on
/// its own line (a table cell would wrap it: it could not be copied). In the
/// table a command is referred to as `[n]`; the same command named by
/// several findings is listed once.
pub fn render(out: &Output, findings: &[Finding], width: u16) -> String {
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
        // The fix with each command replaced by its number.
        let mut texts: Vec<String> = vec![String::new()];
        let mut refs: Vec<usize> = Vec::new();
        for step in &f.fix.steps {
            match step {
                FixStep::Text(s) => texts.last_mut().expect("never empty").push_str(s),
                FixStep::Command(c) => {
                    refs.push(*numbers.entry(c).or_insert_with(|| {
                        commands.push(c);
                        commands.len()
                    }));
                    texts.push(String::new());
                }
            }
        }
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        t.add_row(vec![
            id,
            Cell::new(format!("{}:\n{}", f.cluster, members_cell(&f.members))),
            Cell::new(capped(&f.message, MESSAGE_SHOWN)),
            Cell::new(with_refs(&texts, &refs)),
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

/// `qcd audit`'s output: each finding as a JSON line with `--json`; with
/// `--quiet` the answer alone, `ID SEVERITY CLUSTER MEMBERS` per finding;
/// else the table ([`render`], when there are findings) and the tally.
pub fn print(out: &mut Output, findings: &[Finding], summary: &AuditSummary) -> io::Result<()> {
    if out.json {
        for f in findings {
            out.json_line(f)?;
        }
    } else if out.quiet {
        for f in findings {
            out.answer(&format!(
                "{} {} {} {}",
                f.id,
                f.severity.name(),
                f.cluster,
                f.members.join(",")
            ))?;
        }
    } else {
        if !findings.is_empty() {
            let text = render(out, findings, out.width());
            out.answer(text.trim_end_matches('\n'))?;
        }
        out.line(&summary.to_string())?;
    }
    Ok(())
}

/// The tally of an audit against `--fail-on`: it fails when a finding is
/// at or above the threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSummary {
    pub clusters: usize,
    pub members: usize,
    /// Findings per severity, highest first, severities without findings left out.
    pub counts: Vec<(Severity, usize)>,
    pub findings: usize,
    /// Findings at or above `threshold`.
    pub failing: usize,
    pub threshold: Severity,
}

impl AuditSummary {
    pub fn new(findings: &[Finding], clusters: &[Cluster], threshold: Severity) -> Self {
        AuditSummary {
            clusters: clusters.len(),
            members: clusters.iter().map(|c| c.members.len()).sum(),
            counts: Severity::ALL
                .iter()
                .rev()
                .map(|s| (*s, findings.iter().filter(|f| f.severity == *s).count()))
                .filter(|(_, n)| *n > 0)
                .collect(),
            findings: findings.len(),
            failing: findings.iter().filter(|f| f.severity >= threshold).count(),
            threshold,
        }
    }

    /// Whether the audit fails (exit 1).
    pub fn failed(&self) -> bool {
        self.failing > 0
    }

    /// The exit status: negative when the audit fails.
    pub fn outcome(&self) -> Outcome {
        Outcome::of(!self.failed())
    }
}

/// "2 findings (1 high, 1 low) in 2 clusters, 4 members; 1 at or above
/// --fail-on high" or "no findings in …".
impl fmt::Display for AuditSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let scope = format!(
            "in {}, {}",
            plural(self.clusters, "cluster"),
            plural(self.members, "member")
        );
        if self.findings == 0 {
            return write!(f, "no findings {scope}");
        }
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        write!(
            f,
            "{} ({}) {scope}; {} at or above --fail-on {}",
            plural(self.findings, "finding"),
            counts.join(", "),
            self.failing,
            self.threshold
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Fix;

    fn finding(id: &'static str, severity: Severity, fix: Fix) -> Finding {
        Finding {
            id,
            severity,
            cluster: "c".into(),
            members: vec!["gw1".into()],
            message: "m".into(),
            why: "w".into(),
            fix,
            generations: vec![],
            fingerprint: None,
        }
    }

    #[test]
    fn runs_of_commands_are_ranges() {
        assert_eq!(
            with_refs(&["on gw1: ", "; on gw1: ", "; on gw1: ", "."], &[4, 5, 6]),
            "on gw1: [4]–[6]."
        );
        assert_eq!(with_refs(&["a ", " b ", ""], &[1, 2]), "a [1] b [2]");
    }

    #[test]
    fn commands_are_numbered_once_and_listed_whole() {
        let out = Output::new(false, false, false, Box::new(std::io::sink()));
        let f = [
            finding(
                "QCD001",
                Severity::High,
                Fix::new()
                    .text("run ")
                    .command("qcd a")
                    .text(" then ")
                    .command("qcd b"),
            ),
            finding(
                "QCD002",
                Severity::Low,
                Fix::new().text("again ").command("qcd a"),
            ),
        ];
        let text = render(&out, &f, 100);
        assert!(text.contains("run [1] then [2]"), "{text}");
        assert!(text.contains("again [1]"), "{text}");
        assert!(text.contains("qcd a  # [1]\nqcd b  # [2]\n"), "{text}");
    }

    #[test]
    fn the_tally_decides_the_exit_status() {
        let f = [
            finding("QCD001", Severity::High, Fix::new()),
            finding("QCD007", Severity::Low, Fix::new()),
        ];
        let s = AuditSummary::new(&f, &[], Severity::Medium);
        assert!(s.failed());
        assert_eq!(
            s.to_string(),
            "2 findings (1 high, 1 low) in 0 clusters, 0 members; 1 at or above --fail-on medium"
        );
        let s = AuditSummary::new(&f[1..], &[], Severity::Medium);
        assert!(!s.failed());
        let s = AuditSummary::new(&[], &[], Severity::High);
        assert_eq!(s.to_string(), "no findings in 0 clusters, 0 members");
    }
}
