//! What an audit rule reports: a [`Finding`] with a stable rule id, a
//! [`Severity`], the cluster and members concerned, and what the operator
//! reads (what is wrong, why it matters) and does (the [`Fix`]: steps of
//! text and commands to run). Findings are plain data, rendered as a table
//! ([`super::text`]) or NDJSON; they never carry a secret, only fingerprints
//! and generation ids.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// How bad a finding is. Ordered: `Info < Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing is broken.
    Info,
    /// Hygiene: a secret kept longer or used longer than needed.
    Low,
    /// Weakens QCD or will break it at the next rotation or network change.
    Medium,
    /// Detection fails now, or an attacker can tear down healthy SAs.
    High,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One generation of one member, named in a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GenerationRef {
    pub member: String,
    pub generation: u32,
}

/// One problem found by one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable rule id, e.g. `QCD001`.
    pub id: &'static str,
    pub severity: Severity,
    /// The cluster concerned (for QCD006, the clusters, comma-separated).
    pub cluster: String,
    /// The members concerned (for QCD006, as `cluster/member`).
    pub members: Vec<String>,
    /// What is wrong, naming members, generation ids and fingerprints.
    pub message: String,
    /// Why it matters: the failure or attack it allows.
    pub why: String,
    /// How to fix it. In JSON, two keys: `fix`, the text with each command
    /// between backquotes, and `commands`, the commands in order (to run
    /// them without parsing `fix`).
    #[serde(flatten)]
    pub fix: Fix,
    /// The generations concerned, when the finding is about particular ones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub generations: Vec<GenerationRef>,
    /// The fingerprint concerned, when the finding is about one secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// One step of a fix: words for the operator, or a command to run whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixStep {
    Text(String),
    Command(String),
}

/// How to fix a finding: text and commands, in reading order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fix {
    pub steps: Vec<FixStep>,
}

impl Fix {
    /// An empty fix, to be written with [`Fix::text`], [`Fix::command`] and [`Fix::then`].
    pub fn new() -> Fix {
        Fix::default()
    }

    /// Appends words for the operator (joined to the words before them).
    pub fn text(mut self, words: impl AsRef<str>) -> Fix {
        self.push_text(words.as_ref());
        self
    }

    /// Appends a command to run whole.
    pub fn command(mut self, command: impl Into<String>) -> Fix {
        self.steps.push(FixStep::Command(command.into()));
        self
    }

    /// Appends the steps of another fix.
    pub fn then(mut self, more: Fix) -> Fix {
        for step in more.steps {
            match step {
                FixStep::Text(t) => self.push_text(&t),
                c @ FixStep::Command(_) => self.steps.push(c),
            }
        }
        self
    }

    /// The fixes one after another, `separator` (words) between them.
    pub fn join(fixes: impl IntoIterator<Item = Fix>, separator: &str) -> Fix {
        let mut out = Fix::new();
        for (i, f) in fixes.into_iter().enumerate() {
            if i > 0 {
                out.push_text(separator);
            }
            out = out.then(f);
        }
        out
    }

    fn push_text(&mut self, words: &str) {
        if words.is_empty() {
            return;
        }
        match self.steps.last_mut() {
            Some(FixStep::Text(t)) => t.push_str(words),
            _ => self.steps.push(FixStep::Text(words.to_string())),
        }
    }

    /// The text, each command between backquotes.
    pub fn marked(&self) -> String {
        let mut s = String::new();
        for step in &self.steps {
            match step {
                FixStep::Text(t) => s.push_str(t),
                FixStep::Command(c) => {
                    s.push('`');
                    s.push_str(c);
                    s.push('`');
                }
            }
        }
        s
    }

    /// The commands, in order.
    pub fn commands(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().filter_map(|s| match s {
            FixStep::Command(c) if !c.is_empty() => Some(c.as_str()),
            _ => None,
        })
    }
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.marked())
    }
}

/// `"fix": TEXT, "commands": [...]`, flattened into the finding.
impl Serialize for Fix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("fix", &self.marked())?;
        m.serialize_entry("commands", &self.commands().collect::<Vec<_>>())?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_ordered() {
        assert!(Severity::Info < Severity::Low);
        assert!(Severity::Low < Severity::Medium);
        assert!(Severity::Medium < Severity::High);
        assert_eq!(serde_json::to_value(Severity::Medium).unwrap(), "medium");
    }

    #[test]
    fn json_keys_are_the_contract() {
        let f = Finding {
            id: "QCD005",
            severity: Severity::High,
            cluster: "c".into(),
            members: vec!["gw1".into()],
            message: "m".into(),
            why: "w".into(),
            fix: Fix::new().text("f"),
            generations: vec![],
            fingerprint: None,
        };
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id": "QCD005", "severity": "high", "cluster": "c",
                "members": ["gw1"], "message": "m", "why": "w", "fix": "f", "commands": []})
        );
        // Key order as documented, the fix's two keys in place.
        let text = serde_json::to_string(&f).unwrap();
        assert!(
            text.starts_with(r#"{"id":"QCD005","severity":"high","cluster":"c","members":["gw1"],"message":"m","why":"w","fix":"f","commands":[]}"#),
            "{text}"
        );
    }

    #[test]
    fn fixes_are_steps_and_keep_their_text() {
        let f = Fix::new()
            .text("on gw1: ")
            .command("qcd a")
            .text("; ")
            .then(Fix::new().text("on gw2: ").command("qcd b"))
            .text("")
            .text(".");
        assert_eq!(
            f.steps,
            [
                FixStep::Text("on gw1: ".into()),
                FixStep::Command("qcd a".into()),
                FixStep::Text("; on gw2: ".into()),
                FixStep::Command("qcd b".into()),
                FixStep::Text(".".into()),
            ]
        );
        assert_eq!(f.marked(), "on gw1: `qcd a`; on gw2: `qcd b`.");
        assert_eq!(f.commands().collect::<Vec<_>>(), ["qcd a", "qcd b"]);
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["commands"][1], "qcd b");
        assert_eq!(v["fix"], "on gw1: `qcd a`; on gw2: `qcd b`.");
        // A backquote in a name stays words: it opens no command.
        let odd = Fix::new().text("on g`w: ").command("qcd c");
        assert_eq!(odd.commands().collect::<Vec<_>>(), ["qcd c"]);
        let joined = Fix::join([Fix::new().command("x"), Fix::new().command("y")], "; ");
        assert_eq!(joined.marked(), "`x`; `y`");
        assert_eq!(Fix::join([], "; "), Fix::new());
    }
}
