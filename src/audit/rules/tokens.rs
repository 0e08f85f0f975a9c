use super::fix::*;
use super::*;

/// QCD008: tokens bound to the taker address while peers are behind NAT or use MOBIKE.
pub fn qcd008(c: &Cluster) -> Vec<Finding> {
    let cx = Ctx::new(c);
    if !c.policy.nat {
        return Vec::new();
    }
    let mut out = Vec::new();
    for m in &c.members {
        for g in m
            .manifest
            .generations
            .iter()
            .filter(|g| g.state.in_use() && g.taker_addr)
        {
            let fix = if g.state == State::Active {
                Fix::new()
                    .text("Rotate to a profile without the taker address (an explicit --profile drops it): ")
                    .then(rotate_fix(&cx,
                        m,
                        &format!("--profile {} --length {}", g.profile, g.token_length),
                        "",
                    )
                )
            } else {
                Fix::new()
                    .text(format!(
                        "The active generation no longer binds the address; this one stops being used when it expires{}, then ",
                        g.expires.as_deref().map_or_else(String::new, |e| format!(" at {e}")),
                    ))
                    .command(format!("qcd secret prune -k {}", keyring(m)))
                    .text(format!(" on {}", m.name))
            };
            let mut f = finding(
                "QCD008",
                Severity::Medium,
                &c.name,
                vec![m.name.clone()],
                format!(
                    "{} makes tokens bound to the taker's IP address, but the policy says peers are behind NAT or use MOBIKE",
                    gen_label(m, g)
                ),
                "When a peer's address changes (NAT rebinding, MOBIKE), the token the gateway computes after a reboot no longer matches the one the peer holds, so the crash goes undetected.",
                fix,
            );
            f.generations = vec![gref(m, g)];
            f.fingerprint = Some(g.fingerprint.clone());
            out.push(f);
        }
    }
    out
}

/// QCD009: token length outside RFC 6290's 16..=128 (or the profile's digest), or a profile this qcd does not know.
pub fn qcd009(c: &Cluster) -> Vec<Finding> {
    let cx = Ctx::new(c);
    let mut out = Vec::new();
    for m in &c.members {
        for g in live(m) {
            let problem = match g.profile.parse::<Profile>() {
                Err(_) => Some(format!(
                    "uses the token profile {:?}, unknown to this qcd (known: {})",
                    g.profile,
                    Profile::ALL.map(|p| p.name()).join(", ")
                )),
                Ok(_) if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&g.token_length) => {
                    Some(format!(
                        "makes {}-byte tokens, outside RFC 6290's {MIN_TOKEN_LEN} to {MAX_TOKEN_LEN} bytes",
                        g.token_length
                    ))
                }
                Ok(p) if g.token_length > p.max_len() => Some(format!(
                    "asks for {}-byte tokens, but {} yields at most {} bytes",
                    g.token_length,
                    p,
                    p.max_len()
                )),
                Ok(_) => None,
            };
            let Some(problem) = problem else { continue };
            let known = g.profile.parse::<Profile>().unwrap_or(Profile::HmacSha256);
            let mut f = finding(
                "QCD009",
                Severity::Medium,
                &c.name,
                vec![m.name.clone()],
                format!("{} {problem}", gen_label(m, g)),
                "Peers reject QCD tokens outside 16 to 128 bytes, and a token no qcd can recompute cannot be checked or diagnosed, so crash detection silently fails.",
                Fix::new()
                    .text("Rotate to a supported profile and length: ")
                    .then(rotate_fix(&cx,
                        m,
                        &format!(
                            "--profile {} --length {}{}",
                            known,
                            known.default_len(),
                            if g.taker_addr { " --bind-taker-addr" } else { "" }
                        ),
                        "",
                    )
                ),
            );
            f.generations = vec![gref(m, g)];
            f.fingerprint = Some(g.fingerprint.clone());
            out.push(f);
        }
    }
    out
}
