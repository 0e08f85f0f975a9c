//! The text form of `qcd secret list`: the generations as a table that
//! fits the terminal, then the keyring file's mode and owner and where it
//! was exported. `--json` prints the [`Manifest`] itself.

use super::manifest::{GenerationMeta, Manifest};
use super::State;
use crate::report::Output;

/// `qcd secret list`: the manifest as a JSON line with `--json`; with
/// `--quiet` the answer alone, one `ID STATE FINGERPRINT` line per
/// generation; else the table, then [`manifest_lines`].
pub fn print(out: &mut Output, manifest: &Manifest) -> std::io::Result<()> {
    if out.json {
        return out.json_line(manifest);
    }
    if out.quiet {
        for g in &manifest.generations {
            out.answer(&format!("{} {} {}", g.id, g.state.name(), g.fingerprint))?;
        }
        return Ok(());
    }
    out.answer(&generations_table(out, &manifest.generations))?;
    for line in manifest_lines(manifest) {
        out.line(&line)?;
    }
    Ok(())
}

/// The generations as a table that fits [`Output::width`]: on one line
/// per generation when that fits, else (80 columns) with the times
/// broken between date and time and the secret size above the token
/// construction. Ids, states and fingerprints never wrap.
pub fn generations_table(out: &Output, generations: &[GenerationMeta]) -> String {
    out.fit_table(|narrow| generations_layout(out, generations, narrow))
}

fn generations_layout(
    out: &Output,
    generations: &[GenerationMeta],
    narrow: bool,
) -> comfy_table::Table {
    use comfy_table::{Attribute, Cell, Color, ColumnConstraint};
    let mut table = out.table();
    if out.color {
        table.enforce_styling();
    }
    let sep = if narrow { "\n" } else { " " };
    table.set_header([
        "ID",
        "STATE",
        "CREATED",
        "EXPIRES",
        "FINGERPRINT",
        if narrow {
            "SECRET\nTOKENS"
        } else {
            "SECRET, TOKENS"
        },
    ]);
    // RFC 3339 with a space (its section 5.6 allows it) or a line break for the T.
    let time = |t: &str| t.replacen('T', sep, 1);
    for g in generations {
        let state = Cell::new(g.state.name());
        let state = match g.state {
            State::Active => state.fg(Color::Green),
            State::Previous => state,
            State::Expired => state.fg(Color::Yellow),
            State::Destroyed => state.add_attribute(Attribute::Dim),
        };
        let secret = Cell::new(format!(
            "{} B{}{}{}/{}{}",
            g.secret_bytes,
            if g.weak.is_some() { " WEAK" } else { "" },
            if narrow { "\n" } else { ", " },
            g.profile,
            g.token_length,
            if g.taker_addr { "+addr" } else { "" }
        ));
        let secret = if g.weak.is_some() {
            secret.fg(Color::Red).add_attribute(Attribute::Bold)
        } else {
            secret
        };
        table.add_row(vec![
            Cell::new(g.id),
            state,
            Cell::new(time(&g.created)),
            Cell::new(g.expires.as_deref().map_or_else(|| "-".into(), time)),
            Cell::new(&g.fingerprint),
            secret,
        ]);
    }
    for i in [0, 1, 4] {
        if let Some(c) = table.column_mut(i) {
            c.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    table
}

/// The lines after the table: the keyring's mode and owner, then one line
/// per file it was exported to (what the file holds now, the last
/// `--on-change` run).
pub fn manifest_lines(manifest: &Manifest) -> Vec<String> {
    let mut lines = vec![format!(
        "{}: mode {}, owner {}",
        manifest.keyring,
        manifest.file.mode,
        manifest
            .file
            .owner
            .clone()
            .unwrap_or_else(|| manifest.file.uid.to_string())
    )];
    for e in &manifest.exports {
        let holds = match &e.file_fingerprint {
            None => "cannot be read now".to_string(),
            Some(fp) if *fp == e.fingerprint => "holds it".to_string(),
            Some(fp) => format!("now holds {fp}"),
        };
        let daemon = match (&e.daemon_started, &e.daemon_fingerprint) {
            _ if e.restart_pending => format!(
                "; on-change failed ({}), retried at the next export",
                e.on_change_failed.as_deref().unwrap_or("?")
            ),
            (Some(t), Some(fp)) => format!("; on-change ran {t} with {fp}"),
            _ => String::new(),
        };
        lines.push(format!(
            "exported to {}{}: generation {} ({}) written {}, {holds}{daemon}",
            e.file,
            e.target
                .as_deref()
                .map(|t| format!(" for {t}"))
                .unwrap_or_default(),
            e.generation,
            e.fingerprint,
            e.written
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ops::{self, GenerateRequest, SpecRequest};
    use crate::secret::store::LoadOptions;

    #[test]
    fn a_new_keyring_lists_its_active_generation_and_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let now = crate::timefmt::parse_rfc3339("2026-11-22T09:00:00Z").unwrap();
        ops::generate(
            &GenerateRequest {
                keyring: path.clone(),
                bytes: None,
                spec: SpecRequest::default(),
                force: false,
                target: None,
            },
            now,
        )
        .unwrap();
        let m = ops::list(&path, &LoadOptions::default(), now).unwrap();
        let out = Output::new(false, false, false, Box::new(std::io::sink()));
        let table = generations_table(&out, &m.generations);
        assert!(table.contains("FINGERPRINT"), "{table}");
        assert!(table.contains("2026-11-22 09:00:00Z"), "{table}");
        assert!(table.contains(&m.generations[0].fingerprint), "{table}");
        let lines = manifest_lines(&m);
        assert_eq!(lines.len(), 1, "no export yet: {lines:?}");
        assert!(lines[0].ends_with(&format!(
            ": mode 0600, owner {}",
            m.file
                .owner
                .clone()
                .unwrap_or_else(|| m.file.uid.to_string())
        )));
    }
}
