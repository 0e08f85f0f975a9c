//! The fixes that several rules share, written as typed steps ([`Fix`]):
//! copying a generation to another member, rotating one member and copying
//! the new generation to the standby.

use super::*;

/// A cluster with what its fixes depend on, computed once per rule.
pub(super) struct Ctx<'a> {
    pub(super) c: &'a Cluster,
    /// See [`apart`].
    pub(super) apart: bool,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(c: &'a Cluster) -> Self {
        Ctx { c, apart: apart(c) }
    }
}

/// `on M: ` followed by `command`.
pub(super) fn on(m: &Member, command: String) -> Fix {
    Fix::new().text(format!("on {}: ", m.name)).command(command)
}

/// Flags for `qcd secret import`/`rotate` that reproduce `g`'s token spec.
pub(super) fn spec_flags(g: &GenerationMeta) -> String {
    format!(
        "--profile {} --length {}{}",
        g.profile,
        g.token_length,
        if g.taker_addr {
            " --bind-taker-addr"
        } else {
            ""
        }
    )
}

/// The command that copies `from`'s generation (active when `generation` is None) onto `to`.
pub(super) fn copy_cmd(
    from: &Member,
    g: &GenerationMeta,
    generation: Option<u32>,
    to: &Member,
    extra: &str,
) -> Fix {
    let gen = generation.map_or_else(String::new, |id| format!(" -g {id}"));
    on(
        from,
        format!(
            "qcd secret export -k {}{gen} --format hex | ssh {} qcd secret import -k {} --format hex {}{extra}",
            keyring(from),
            to.name,
            keyring(to),
            spec_flags(g),
        ),
    )
}

/// How to give `m` a new active secret in cluster `c`, keeping the cluster's
/// sharing rule. `spec` (`--profile … --length …`) fixes the new generation's
/// token spec on every member, so a copy never inherits a standby's own spec;
/// `extra` adds rotate-only flags (`--bytes N`).
pub(super) fn rotate_fix(cx: &Ctx<'_>, m: &Member, spec: &str, extra: &str) -> Fix {
    let c = cx.c;
    if c.mode.must_share() && cx.apart {
        return rotate_cmd(c, m, spec, extra).text(format!(
            "; the members of {} do not share one secret yet: QCD002 says how to give them one",
            c.name
        ));
    }
    rotate_and_copy(c, m, spec, extra)
}

/// `on M: qcd secret rotate …`.
fn rotate_cmd(c: &Cluster, m: &Member, spec: &str, extra: &str) -> Fix {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" {extra}")
    };
    on(
        m,
        format!(
            "qcd secret rotate -k {} --overlap {} {spec}{extra}",
            keyring(m),
            short_duration(c.policy.overlap)
        ),
    )
}

/// [`rotate_fix`] copying the new generation to every other member of a
/// hot-standby cluster, however far apart they are.
pub(super) fn rotate_fix_all(c: &Cluster, m: &Member, spec: &str) -> Fix {
    rotate_and_copy(c, m, spec, "")
}

fn rotate_and_copy(c: &Cluster, m: &Member, spec: &str, extra: &str) -> Fix {
    let overlap = short_duration(c.policy.overlap);
    let rotate = rotate_cmd(c, m, spec, extra);
    let others: Vec<&Member> = c.members.iter().filter(|o| o.name != m.name).collect();
    if c.mode.must_share() && !others.is_empty() {
        let copies = others.iter().map(|o| {
            Fix::new().command(format!(
                "qcd secret export -k {} --format hex | ssh {} qcd secret import -k {} --format hex {spec} --overlap {overlap}",
                keyring(m),
                o.name,
                keyring(o)
            ))
        });
        rotate
            .text(", then copy it to the standby: ")
            .then(Fix::join(copies, "; "))
    } else {
        rotate
    }
}

/// `rotate_fix` keeping `m`'s active token spec.
pub(super) fn rotate_same_spec(cx: &Ctx<'_>, m: &Member, extra: &str) -> Fix {
    let spec = active(m).map(spec_flags).unwrap_or_default();
    rotate_fix(cx, m, &spec, extra)
}
