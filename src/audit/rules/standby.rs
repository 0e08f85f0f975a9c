use super::fix::*;
use super::*;

const WHY_002: &str = "The standby that takes over must produce the tokens the active member handed out; otherwise peers cannot verify its QCD replies after a failover and wait minutes for liveness checks to time out.";

/// QCD002: a hot-standby member cannot produce another member's current tokens.
///
/// Per active secret: the members that do not hold it in use (one finding
/// per secret, or one for the cluster when more than [`GROUP_LIMIT`] secrets
/// are missing somewhere), and the members that hold it with another token
/// construction (one finding per secret).
pub fn qcd002(c: &Cluster) -> Vec<Finding> {
    if !c.mode.must_share() {
        return Vec::new();
    }
    let ix = Index::new(c);
    let cx = Ctx::new(c);
    let n = c.members.len();
    let actives = actives_by_secret(c);
    let mut out = Vec::new();
    for (fp, on) in &actives {
        if let Some(f) = qcd002_specs(&cx, &ix, fp, on) {
            out.push(f);
        }
    }
    let missing: Vec<&(&str, Vec<(usize, &GenerationMeta)>)> = actives
        .iter()
        .filter(|(fp, _)| ix.holders(fp) < n)
        .collect();
    if missing.len() > GROUP_LIMIT {
        out.push(qcd002_grouped(c, &ix, &actives));
        return out;
    }
    for (fp, on) in missing {
        out.push(qcd002_missing(&cx, &ix, fp, on));
    }
    out
}

/// The members active on `fp` (`on`) lack nothing but are not held by
/// everyone: one finding naming who lacks it, with a copy per member.
fn qcd002_missing(
    cx: &Ctx<'_>,
    ix: &Index<'_>,
    fp: &str,
    on: &[(usize, &GenerationMeta)],
) -> Finding {
    let c = cx.c;
    let (ai, ga) = on[0];
    let a = &c.members[ai];
    let lacking: Vec<usize> = (0..c.members.len())
        .filter(|&b| ix.in_use_with(b, fp).is_none())
        .collect();
    let names: Vec<String> = lacking.iter().map(|&b| c.members[b].name.clone()).collect();
    let mut members: Vec<String> = on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
    members.extend(names.iter().cloned());
    // An import of a secret the member already holds (expired or
    // destroyed) changes nothing: then only a new generation helps.
    let stale: Vec<String> = lacking
        .iter()
        .filter_map(|&b| {
            ix.held(b, fp)
                .map(|g| format!("{} ({})", c.members[b].name, g.state))
        })
        .collect();
    let fix = if stale.is_empty() {
        // A member whose own active generation is newer keeps it and
        // takes this one as previous, so the fixes of both directions
        // compose into one shared active generation.
        let overlap = short_duration(c.policy.overlap);
        let fixes: Vec<Fix> = lacking
            .iter()
            .map(|&b| {
                let b = &c.members[b];
                let newer = active(b).and_then(created) > created(ga);
                let how = if newer {
                    format!(" --as previous --overlap {overlap}")
                } else {
                    format!(" --overlap {overlap}")
                };
                let cmd = copy_cmd(a, ga, None, b, &how);
                if newer {
                    cmd.text(format!(
                        " (as previous: {}'s own active generation is newer)",
                        b.name
                    ))
                } else {
                    cmd
                }
            })
            .collect();
        Fix::new()
            .text(format!("Copy {}'s active secret to the standby: ", a.name))
            .then(Fix::join(fixes, "; "))
    } else {
        Fix::new()
            .text(format!(
                "{} still {} the secret but no longer in use, and importing it again changes nothing; make a new generation and copy it: ",
                and_list(&stale),
                if stale.len() == 1 { "holds" } else { "hold" },
            ))
            .then(rotate_same_spec(cx, a, ""))
    };
    let whose = if on.len() == 1 {
        format!("{}'s active generation {}", a.name, ga.id)
    } else {
        let active_names: Vec<String> =
            on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
        format!("the active secret of {}", and_list(&active_names))
    };
    let mut f = finding(
        "QCD002",
        Severity::High,
        &c.name,
        members,
        format!(
            "{} {} not hold {whose} (fingerprint {fp}): after a failover from {} {} cannot produce the tokens {} handed out",
            and_list(&names),
            if names.len() == 1 { "does" } else { "do" },
            a.name,
            if names.len() == 1 { "it" } else { "they" },
            a.name
        ),
        WHY_002,
        fix,
    );
    f.generations = on.iter().map(|(i, g)| gref(&c.members[*i], g)).collect();
    f.fingerprint = Some(fp.to_string());
    f
}

/// More than [`GROUP_LIMIT`] active secrets, each missing on some members:
/// one finding listing each secret with its members (each member once), and
/// one way to a single shared secret.
fn qcd002_grouped(
    c: &Cluster,
    ix: &Index<'_>,
    actives: &[(&str, Vec<(usize, &GenerationMeta)>)],
) -> Finding {
    let n = c.members.len();
    // Keep the secret held in use by most members (then the newest).
    let (keep_fp, keep_on) = actives
        .iter()
        .max_by_key(|(fp, on)| (ix.holders(fp), created(on[0].1)))
        .expect("more than GROUP_LIMIT active secrets");
    let (ki, kg) = keep_on[0];
    let keeper = &c.members[ki];
    let groups: Vec<String> = actives
        .iter()
        .map(|(fp, on)| {
            let names: Vec<String> = on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
            format!(
                "{fp} active on {} (held in use by {} of {n})",
                names.join(", "),
                ix.holders(fp)
            )
        })
        .collect();
    let lacking: Vec<usize> = (0..n)
        .filter(|&b| ix.in_use_with(b, keep_fp).is_none())
        .collect();
    let stale = lacking.iter().any(|&b| ix.held(b, keep_fp).is_some());
    let overlap = short_duration(c.policy.overlap);
    let fix = if stale {
        Fix::new()
            .text(format!(
                "Make one new generation on {} and copy it to every other member: ",
                keeper.name
            ))
            .then(rotate_fix_all(c, keeper, &spec_flags(kg)))
    } else {
        let copies: Vec<Fix> = lacking
            .iter()
            .map(|&b| {
                copy_cmd(
                    keeper,
                    kg,
                    None,
                    &c.members[b],
                    &format!(" --overlap {overlap}"),
                )
            })
            .collect();
        Fix::new()
            .text(format!(
                "Give the cluster one secret: keep {}'s active secret (fingerprint {keep_fp}, held in use by {} of {n} members) and make it active on every other member (each keeps its own as previous for the overlap): ",
                keeper.name,
                ix.holders(keep_fp),
            ))
            .then(Fix::join(copies, "; "))
    };
    let mut f = finding(
        "QCD002",
        Severity::High,
        &c.name,
        c.members.iter().map(|m| m.name.clone()).collect(),
        format!(
            "the {n} members are active on {} different secrets, and no member holds all of them, so a failover between members that hold different ones leaves peers with tokens the new active member cannot produce: {}",
            actives.len(),
            groups.join("; ")
        ),
        WHY_002,
        fix,
    );
    f.generations = actives
        .iter()
        .flat_map(|(_, on)| on.iter().map(|(i, g)| gref(&c.members[*i], g)))
        .collect();
    f
}

/// The holders of `fp` in use make tokens with more than one construction:
/// one finding for the secret, grouping holders by construction.
fn qcd002_specs(
    cx: &Ctx<'_>,
    ix: &Index<'_>,
    fp: &str,
    on: &[(usize, &GenerationMeta)],
) -> Option<Finding> {
    let c = cx.c;
    let holders = ix.in_use.get(fp)?;
    let key = |g: &GenerationMeta| (g.profile.clone(), g.token_length, g.taker_addr);
    type Spec = (String, usize, bool);
    let mut specs: Vec<(Spec, Holders<'_>)> = Vec::new();
    for &(i, g) in holders {
        match specs.iter_mut().find(|(k, _)| *k == key(g)) {
            Some((_, v)) => v.push((i, g)),
            None => specs.push((key(g), vec![(i, g)])),
        }
    }
    if specs.len() < 2 {
        return None;
    }
    let (ai, ga) = on[0];
    let a = &c.members[ai];
    let labels: Vec<String> = holders
        .iter()
        .map(|(i, g)| gen_label(&c.members[*i], g))
        .collect();
    let by_spec: Vec<String> = specs
        .iter()
        .map(|(_, v)| {
            let names: Vec<String> = v.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
            format!("{}: {}", and_list(&names), spec_label(v[0].1))
        })
        .collect();
    let mut f = finding(
        "QCD002",
        Severity::High,
        &c.name,
        holders.iter().map(|(i, _)| c.members[*i].name.clone()).collect(),
        format!(
            "{} share the secret {fp} but make tokens differently ({}), so after a failover the tokens differ",
            and_list(&labels),
            by_spec.join("; ")
        ),
        WHY_002,
        Fix::new()
            .text("Make one generation with one token profile and copy it: ")
            .then(rotate_fix(cx, a, &spec_flags(ga), "")),
    );
    f.generations = holders
        .iter()
        .map(|(i, g)| gref(&c.members[*i], g))
        .collect();
    f.fingerprint = Some(fp.to_string());
    Some(f)
}

/// QCD003: hot-standby members rotate out of step.
///
/// Reported when (a) members have different active generations although each
/// still holds the others' active secrets in use (takeover works today, but
/// breaks when those previous generations expire; if a member lacks another's
/// active secret, QCD002 reports it instead), or (b) a previous generation,
/// still in its overlap window, is not in use on some member (absent,
/// expired or destroyed there): one finding per such secret, or one for the
/// cluster when there are more than [`GROUP_LIMIT`].
pub fn qcd003(c: &Cluster, now: SystemTime) -> Vec<Finding> {
    if !c.mode.must_share() {
        return Vec::new();
    }
    let ix = Index::new(c);
    let cx = Ctx::new(c);
    let n = c.members.len();
    let mut out = Vec::new();
    let by_secret = actives_by_secret(c);
    let all_covered = by_secret.iter().all(|(fp, _)| ix.holders(fp) == n);
    if by_secret.len() > 1 && all_covered {
        let actives: Vec<(&Member, &GenerationMeta)> = c
            .members
            .iter()
            .filter_map(|m| active(m).map(|g| (m, g)))
            .collect();
        let labels: Vec<String> = actives
            .iter()
            .map(|(m, g)| {
                format!(
                    "{} is active on generation {} ({})",
                    m.name, g.id, g.fingerprint
                )
            })
            .collect();
        // The member whose active secret is newest is the one the others should follow.
        let newest = actives
            .iter()
            .max_by_key(|(_, g)| created(g))
            .map(|(m, g)| (*m, *g));
        // Importing a secret a member already holds changes nothing, so the
        // way back in step is a fresh generation, made once and copied.
        let fix = match newest {
            Some((m, _)) => Fix::new()
                .text("Rotate on one member only and copy the new generation to the others, now and from then on: ")
                .then(rotate_same_spec(&cx, m, "")),
            None => Fix::new(),
        };
        let mut f = finding(
            "QCD003",
            Severity::Medium,
            &c.name,
            actives.iter().map(|(m, _)| m.name.clone()).collect(),
            format!(
                "rotation drift: {}; takeover works only while the previous generations last",
                labels.join(", ")
            ),
            "Hot-standby members that rotate separately stop sharing a secret as soon as the older generation expires, and from then on a failover defeats crash detection.",
            fix,
        );
        f.generations = actives.iter().map(|(m, g)| gref(m, g)).collect();
        out.push(f);
    }
    // Previous generations by secret, in member order, with the members
    // holding each as previous.
    let mut previous: Vec<(&str, Vec<(usize, &GenerationMeta)>)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, m) in c.members.iter().enumerate() {
        for p in m
            .manifest
            .generations
            .iter()
            .filter(|g| g.state == State::Previous)
        {
            match at.get(p.fingerprint.as_str()) {
                Some(&k) => previous[k].1.push((i, p)),
                None => {
                    at.insert(p.fingerprint.as_str(), previous.len());
                    previous.push((p.fingerprint.as_str(), vec![(i, p)]));
                }
            }
        }
    }
    previous.retain(|(fp, _)| ix.holders(fp) < n);
    if previous.len() > GROUP_LIMIT {
        out.push(qcd003_grouped(c, &ix, &previous));
        return out;
    }
    for (fp, on) in &previous {
        out.push(qcd003_previous(c, &ix, fp, on, now));
    }
    out
}

const WHY_003_PREVIOUS: &str = "Peers that got their tokens from this member before its last rotation cannot detect a crash after a failover until the overlap window ends.";

/// One previous secret (held as previous by `on`) not in use on some members.
fn qcd003_previous(
    c: &Cluster,
    ix: &Index<'_>,
    fp: &str,
    on: &[(usize, &GenerationMeta)],
    now: SystemTime,
) -> Finding {
    let (ai, p) = on[0];
    let a = &c.members[ai];
    let lacking: Vec<usize> = (0..c.members.len())
        .filter(|&b| ix.in_use_with(b, fp).is_none())
        .collect();
    let remaining = expires(p)
        .and_then(|e| e.duration_since(now).ok())
        .unwrap_or(c.policy.overlap);
    let until = p
        .expires
        .as_deref()
        .map_or_else(String::new, |e| format!(", in use until {e}"));
    let names: Vec<String> = lacking.iter().map(|&b| c.members[b].name.clone()).collect();
    let fixes: Vec<Fix> = lacking
        .iter()
        .map(|&bi| {
            let b = &c.members[bi];
            match ix.held(bi, fp) {
                // An import of a secret the member already holds changes nothing.
                Some(stale) => Fix::new().text(format!(
                    "{} holds it only as {} and no qcd command puts it back in use: peers that hold such tokens are covered again once they rekey; next time copy each rotation to every member with the same --overlap",
                    b.name, stale.state
                )),
                None => copy_cmd(
                    a,
                    p,
                    Some(p.id),
                    b,
                    &format!(" --as previous --overlap {}", short_duration(remaining)),
                ),
            }
        })
        .collect();
    let mut members: Vec<String> = on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
    members.extend(names.iter().cloned());
    let whose = if on.len() == 1 {
        format!("{}'s previous generation {}", a.name, p.id)
    } else {
        let holders: Vec<String> = on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
        format!("the previous generation of {}", and_list(&holders))
    };
    let mut f = finding(
        "QCD003",
        Severity::Medium,
        &c.name,
        members,
        format!(
            "{whose} (fingerprint {fp}{until}) is not in use on {}",
            and_list(&names)
        ),
        WHY_003_PREVIOUS,
        Fix::new()
            .text("Copy the previous generation for the rest of its window: ")
            .then(Fix::join(fixes, "; ")),
    );
    f.generations = on.iter().map(|(i, g)| gref(&c.members[*i], g)).collect();
    f.fingerprint = Some(fp.to_string());
    f
}

/// More than [`GROUP_LIMIT`] previous secrets not in use everywhere: one
/// finding (each would name most members: N secrets, N² copies).
fn qcd003_grouped(
    c: &Cluster,
    ix: &Index<'_>,
    previous: &[(&str, Vec<(usize, &GenerationMeta)>)],
) -> Finding {
    let n = c.members.len();
    let groups: Vec<String> = previous
        .iter()
        .map(|(fp, on)| {
            let names: Vec<String> = on.iter().map(|(i, _)| c.members[*i].name.clone()).collect();
            format!(
                "{fp} previous on {} (held in use by {} of {n})",
                names.join(", "),
                ix.holders(fp)
            )
        })
        .collect();
    let last = previous
        .iter()
        .flat_map(|(_, on)| on.iter().filter_map(|(_, g)| g.expires.as_deref()))
        .max()
        .map_or_else(String::new, |e| format!(" (the last at {e})"));
    let mut f = finding(
        "QCD003",
        Severity::Medium,
        &c.name,
        c.members.iter().map(|m| m.name.clone()).collect(),
        format!(
            "{} previous generations are each not in use on some of the {n} members: {}",
            previous.len(),
            groups.join("; ")
        ),
        WHY_003_PREVIOUS,
        Fix::new()
            .text(format!(
                "Copying each to every member would take one import per member and generation; instead let them expire{last}: peers holding such tokens are covered again once they rekey. From now on rotate on one member only and copy each new generation to every other with the same --overlap, as in: "
            ))
            .then(rotate_fix_all(c, &c.members[previous[0].1[0].0], "")),
    );
    f.generations = previous
        .iter()
        .flat_map(|(_, on)| on.iter().map(|(i, g)| gref(&c.members[*i], g)))
        .collect();
    f
}
