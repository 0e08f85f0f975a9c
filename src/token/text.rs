//! The text form of a verification: `match: …` or `no match: …` (the
//! answer), then each explanation and note on its own line. `--json`
//! prints [`super::records::VerdictRecord`] instead.

use std::io;

use super::verify::{NoteCode, Verification};
use crate::report::{Output, Style};

/// Whose secret the token was checked against, for the words of the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// A gateway's secret file: it has no generations.
    SecretFile,
    /// A keyring's generations in use, or only generation `Some(id)`.
    Keyring(Option<u32>),
}

/// The verdict line, then the explanations of a mismatch and the notes.
pub fn print_verification(out: &mut Output, v: &Verification, against: Checked) -> io::Result<()> {
    let from_file = against == Checked::SecretFile;
    if let Some(m) = &v.matched {
        let what = if from_file {
            "the secret file".to_string()
        } else {
            format!("generation {} ({})", m.generation, m.state)
        };
        let head = out.paint(Style::Good, "match");
        let taker = if m.taker_addr {
            ", with the taker address"
        } else {
            ""
        };
        return out.answer(&format!(
            "{head}: {what}, {} {} bytes{taker}",
            m.profile, m.length
        ));
    }
    let head = out.paint(Style::Bad, "no match");
    let head = match against {
        Checked::SecretFile => format!("{head}: the token does not match the secret file"),
        Checked::Keyring(Some(id)) => format!("{head}: the token does not match generation {id}"),
        Checked::Keyring(None) => {
            format!("{head}: the token matches no active or previous generation")
        }
    };
    out.answer(&head)?;
    for e in &v.explanations {
        let msg = if from_file {
            e.message
                .replacen("generation 0 (active)", "the secret file", 1)
        } else {
            e.message.clone()
        };
        out.line(&format!(
            "  {}: {msg}",
            out.paint(Style::Warn, e.code.name())
        ))?;
    }
    let bad_length = v.notes.iter().any(|n| n.code == NoteCode::TokenLength);
    if v.explanations.is_empty() && !bad_length {
        out.line("  no explanation found: the token was made with another secret, for other SPIs, or with a taker address not given (--taker-addr)")?;
    }
    for n in &v.notes {
        out.line(&format!(
            "  {}: {}",
            out.paint(Style::Dim, "note"),
            n.message
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::memory::output;
    use crate::token::verify::{Matched, State};
    use crate::token::Profile;

    fn text(v: &Verification, against: Checked, quiet: bool) -> String {
        let (mut out, buf) = output(false, quiet, false);
        print_verification(&mut out, v, against).unwrap();
        buf.text()
    }

    #[test]
    fn a_match_names_the_generation_or_the_file() {
        let v = Verification {
            matched: Some(Matched {
                generation: 2,
                state: State::Previous,
                profile: Profile::HmacSha256,
                length: 32,
                taker_addr: true,
            }),
            ..Verification::default()
        };
        assert_eq!(
            text(&v, Checked::Keyring(None), false),
            "match: generation 2 (previous), hmac-sha256 32 bytes, with the taker address\n"
        );
        assert_eq!(
            text(&v, Checked::SecretFile, false),
            "match: the secret file, hmac-sha256 32 bytes, with the taker address\n"
        );
    }

    #[test]
    fn a_mismatch_without_explanation_says_so_unless_quiet() {
        let v = Verification::default();
        assert_eq!(
            text(&v, Checked::Keyring(Some(3)), false),
            "no match: the token does not match generation 3\n  no explanation found: the token was made with another secret, for other SPIs, or with a taker address not given (--taker-addr)\n"
        );
        assert_eq!(
            text(&v, Checked::Keyring(None), true),
            "no match: the token matches no active or previous generation\n"
        );
    }
}
