//! What an audit rule reports: a [`Finding`] with a stable rule id, a
//! [`Severity`], the cluster and members concerned, and three sentences for
//! the operator (what is wrong, why it matters, how to fix it). Findings are
//! plain data, rendered by the CLI as a table or NDJSON; they never carry a
//! secret, only fingerprints and generation ids.

use std::fmt;

use serde::Serialize;

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
    /// How to fix it: the qcd command(s) to run, each between backquotes.
    pub fix: String,
    /// The commands quoted in `fix`, in order (to run them without parsing `fix`).
    pub commands: Vec<String>,
    /// The generations concerned, when the finding is about particular ones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub generations: Vec<GenerationRef>,
    /// The fingerprint concerned, when the finding is about one secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
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
            fix: "f".into(),
            commands: vec![],
            generations: vec![],
            fingerprint: None,
        };
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id": "QCD005", "severity": "high", "cluster": "c",
                "members": ["gw1"], "message": "m", "why": "w", "fix": "f", "commands": []})
        );
    }
}
