//! The text form of a probe: per target its verdict, token, secret,
//! IKE_SA_INIT answer and advice; then the cluster's comparison. `--json`
//! prints the [`TargetReport`]s and the [`ClusterCheck`] themselves.

use std::io;

use super::verdict::{ClusterCheck, Expect};
use super::TargetReport;
use crate::report::{Output, Style};

/// One target's block: the verdict line (an answer), then the details.
pub fn target(out: &mut Output, t: &TargetReport) -> io::Result<()> {
    let style = if t.ok() { Style::Good } else { Style::Bad };
    let head = if t.target == t.address {
        format!("{}: {}", t.target, t.verdict.describe())
    } else {
        format!("{} ({}): {}", t.target, t.address, t.verdict.describe())
    };
    let head = out.paint(style, &head).into_owned();
    out.answer(&head)?;
    if let (Some(len), Some(token)) = (t.token_len, &t.token) {
        let mut notes = Vec::new();
        match t.stable {
            Some(true) => notes.push("stable"),
            Some(false) => notes.push("NOT stable"),
            None => notes.push("stability not checked (no second answer)"),
        }
        match t.varies_with_spis {
            Some(true) => notes.push("varies with the SPIs"),
            Some(false) => notes.push("a CONSTANT for any SPIs"),
            None => {}
        }
        out.line(&format!("  token       {len} bytes, {}", notes.join(", ")))?;
        out.line(&format!(
            "              {token} (for SPIs {} {})",
            t.probe_spi_i, t.probe_spi_r
        ))?;
        if t.tokens > 1 {
            out.line(&format!(
                "              and {} more token(s): an overlap window",
                t.tokens - 1
            ))?;
        }
        if let Some(i) = &t.implementation {
            out.line(&format!("  looks like  {i}"))?;
        }
    }
    if let Some(k) = &t.keyring {
        let text = match (k.matched, k.generation, &t.generation_state) {
            (true, Some(g), _) => format!("generation {g} (active): the gateway runs your secret"),
            (true, None, _) => "the secret file's: the gateway runs this secret".to_string(),
            (false, Some(g), Some(s)) => format!("generation {g} ({s}), not the active one"),
            _ => "none of your secrets made this token".to_string(),
        };
        out.line(&format!("  secret      {text}"))?;
    }
    if let Some(ike) = &t.ike {
        let mut text = format!("answered ({})", ike.kind);
        if let Some(g) = &ike.wanted_group {
            text.push_str(&format!(", wants group {g}"));
        }
        if !ike.notifies.is_empty() {
            text.push_str(&format!("; notifies {}", ike.notifies.join(", ")));
        }
        out.line(&format!("  IKE_SA_INIT {text}"))?;
        for v in &ike.vendor_ids {
            let name = v.name.as_deref().unwrap_or("unknown");
            out.line(&format!("  vendor ID   {name} ({})", v.hex))?;
        }
    }
    let mut facts = Vec::new();
    if let Some(ms) = t.rtt_ms {
        facts.push(format!("round trip {ms} ms"));
    }
    facts.push(match t.packets_sent {
        1 => "1 packet sent".to_string(),
        n => format!("{n} packets sent"),
    });
    out.line(&format!("  sent        {}", facts.join(", ")))?;
    for a in &t.advice {
        out.line(&format!("  what to do: {a}"))?;
    }
    Ok(())
}

/// The cluster check: a JSON line with `--json`, else whether the targets
/// share a secret, whether `--expect` was met, and what to do.
pub fn cluster(out: &mut Output, c: &ClusterCheck) -> io::Result<()> {
    if out.json {
        return out.json_line(c);
    }
    let same = match c.same_secret {
        Some(true) => "the same token for the same SPIs: they share a secret",
        Some(false) => "different tokens for the same SPIs: they do not share a secret",
        None => "fewer than two targets answered with a token: nothing to compare",
    };
    out.answer(&format!("cluster: {same}"))?;
    if let (Some(e), Some(met)) = (c.expect, c.expectation_met) {
        let e = match e {
            Expect::Shared => "shared",
            Expect::Distinct => "distinct",
        };
        let verdict = if met { "met" } else { "NOT met" };
        out.answer(&format!("cluster: --expect {e}: {verdict}"))?;
    }
    if let Some(advice) = &c.advice {
        out.line(&format!("  what to do: {advice}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::verdict::cluster as check;
    use crate::report::memory::output;

    #[test]
    fn cluster_lines() {
        let members = vec![
            ("gw1".to_string(), Some(vec![1u8; 32])),
            ("gw2".to_string(), Some(vec![2u8; 32])),
        ];
        let c = check(&members, Some(Expect::Shared));
        let (mut out, buf) = output(false, true, false);
        cluster(&mut out, &c).unwrap();
        assert_eq!(
            buf.text(),
            "cluster: different tokens for the same SPIs: they do not share a secret\n\
             cluster: --expect shared: NOT met\n"
        );
        let (mut out, buf) = output(true, false, false);
        cluster(&mut out, &c).unwrap();
        assert!(buf.text().contains("\"expectation_met\":false"));
    }
}
