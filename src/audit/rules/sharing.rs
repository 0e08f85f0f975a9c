use super::fix::*;
use super::*;

const WHY_001: &str = "A member that does not hold an IKE SA but knows the secret answers a spoofed message for that SA with a valid QCD token, which an attacker replays beside INVALID_IKE_SPI to make the peer tear down a healthy SA.";

/// QCD001: members of a cluster that does not share SA state hold the same secret.
pub fn qcd001(c: &Cluster) -> Vec<Finding> {
    if c.mode.must_share() {
        return Vec::new();
    }
    let mut by_fp: BTreeMap<&str, Vec<(&Member, &GenerationMeta)>> = BTreeMap::new();
    for m in &c.members {
        for g in live(m) {
            by_fp.entry(&g.fingerprint).or_default().push((m, g));
        }
    }
    let mut out = Vec::new();
    for (fp, holders) in by_fp {
        let names: BTreeSet<&str> = holders.iter().map(|(m, _)| m.name.as_str()).collect();
        if names.len() < 2 {
            continue;
        }
        let labels: Vec<String> = holders.iter().map(|(m, g)| gen_label(m, g)).collect();
        let mut seen = HashSet::new();
        let fixes: Vec<Fix> = holders
            .iter()
            .filter(|(m, _)| seen.insert(m.name.as_str()))
            .map(|(m, _)| {
                Fix::new()
                    .text(format!("for {}: ", m.name))
                    .command(format!(
                        "qcd secret derive --root ROOT.json --member {} -k {} --overlap {}",
                        m.name,
                        keyring(m),
                        short_duration(c.policy.overlap)
                    ))
            })
            .collect();
        let mut f = finding(
            "QCD001",
            Severity::High,
            &c.name,
            names.iter().map(|s| s.to_string()).collect(),
            format!(
                "{} hold the same secret (fingerprint {fp}) in a {} cluster, whose members must each have their own",
                and_list(&labels),
                c.mode
            ),
            WHY_001,
            Fix::new()
                .text("Give each member its own secret derived from one root keyring ROOT.json, kept off the gateways (run each command where the root and that member's keyring are both at hand): ")
                .then(Fix::join(fixes, "; "))
                .text("; then, once the shared generation has expired, ")
                .command("qcd secret prune -k KEYRING")
                .text(" on each member."),
        );
        f.generations = holders.iter().map(|(m, g)| gref(m, g)).collect();
        f.fingerprint = Some(fp.to_string());
        out.push(f);
    }
    out
}

/// QCD006: the same secret in two different clusters.
pub fn qcd006(clusters: &[Cluster]) -> Vec<Finding> {
    let mut by_fp: BTreeMap<&str, Vec<(&Cluster, &Member, &GenerationMeta)>> = BTreeMap::new();
    for c in clusters {
        for m in &c.members {
            for g in live(m) {
                by_fp.entry(&g.fingerprint).or_default().push((c, m, g));
            }
        }
    }
    let mut out = Vec::new();
    for (fp, holders) in by_fp {
        // Clusters in order of first holder, each with its first holder.
        let mut cluster_names: Vec<&str> = Vec::new();
        let mut first: HashMap<&str, (&Cluster, &Member)> = HashMap::new();
        for (c, m, _) in &holders {
            if !first.contains_key(c.name.as_str()) {
                first.insert(&c.name, (c, m));
                cluster_names.push(&c.name);
            }
        }
        if cluster_names.len() < 2 {
            continue;
        }
        let labels: Vec<String> = holders
            .iter()
            .map(|(c, m, g)| format!("{}/{} (generation {}, {})", c.name, m.name, g.id, g.state))
            .collect();
        // Keep the secret in the first cluster; give the others new ones.
        let fixes: Vec<Fix> = cluster_names[1..]
            .iter()
            .filter_map(|name| {
                let (c, m) = first.get(name)?;
                Some(
                    Fix::new()
                        .text(format!("in {}: ", c.name))
                        .then(rotate_same_spec(&Ctx::new(c), m, "")),
                )
            })
            .collect();
        let mut f = finding(
            "QCD006",
            Severity::Medium,
            &cluster_names.join(", "),
            holders
                .iter()
                .map(|(c, m, _)| format!("{}/{}", c.name, m.name))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            format!(
                "the secret with fingerprint {fp} is held in clusters {}: {}",
                and_list(&cluster_names.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
                labels.join(", ")
            ),
            "Gateways in different clusters do not share SA state, so each answers spoofed messages for the other's SAs with valid tokens, which an attacker uses to tear those SAs down.",
            Fix::new()
                .text(format!(
                    "Give every cluster but {} a secret of its own: ",
                    cluster_names[0]
                ))
                .then(Fix::join(fixes, "; "))
                .text("; then ")
                .command("qcd secret prune")
                .text(" once the old generation has expired."),
        );
        f.generations = holders.iter().map(|(_, m, g)| gref(m, g)).collect();
        f.fingerprint = Some(fp.to_string());
        out.push(f);
    }
    out
}
