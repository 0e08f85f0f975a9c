//! The NDJSON records of `qcd token derive|verify --json` (stable keys,
//! documented in docs/tokens.md), and the JSON forms of the batch runs: one
//! record per data line, the twin of [`super::batch::derive_text`] and
//! [`super::batch::verify_text`].

use std::io::{self, BufRead, BufWriter, Write};

use serde::Serialize;
use zeroize::Zeroizing;

use super::batch::{self, BatchStats, LineError, LineReader};
use super::derive::{hex_into, Deriver, MAX_DIGEST_LEN};
use super::profile::{Profile, MAX_TOKEN_LEN};
use super::verify::{Explanation, Note, Verification, Verifier};
use super::State;

/// A verdict: `qcd token verify --json`, one per token (with `line` in a batch).
#[derive(Serialize)]
pub struct VerdictRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(rename = "match")]
    pub matched: bool,
    /// Null for a secret file, which has no generations.
    pub generation: Option<u32>,
    pub state: Option<State>,
    pub profile: Option<Profile>,
    pub length: Option<usize>,
    pub explanations: &'a [Explanation],
    pub notes: &'a [Note],
}

impl<'a> VerdictRecord<'a> {
    /// `anonymous`: the candidates were a secret file's (no generation to name).
    pub fn new(v: &'a Verification, line: Option<u64>, anonymous: bool) -> Self {
        let m = v.matched.as_ref();
        VerdictRecord {
            line,
            matched: m.is_some(),
            generation: m.map(|m| m.generation).filter(|_| !anonymous),
            state: m.map(|m| m.state),
            profile: m.map(|m| m.profile),
            length: m.map(|m| m.length),
            explanations: &v.explanations,
            notes: &v.notes,
        }
    }
}

/// A malformed batch line.
#[derive(Serialize)]
pub struct LineErrorRecord<'a> {
    pub line: u64,
    pub error: &'a str,
}

/// A token of `qcd token derive --batch --json`.
#[derive(Serialize)]
pub struct LineTokenRecord<'a> {
    pub line: u64,
    pub generation: Option<u32>,
    pub token: &'a str,
}

fn error_record(w: &mut impl Write, e: &LineError) -> io::Result<()> {
    let error = e.to_string();
    serde_json::to_writer(
        &mut *w,
        &LineErrorRecord {
            line: e.line(),
            error: &error,
        },
    )
    .map_err(io::Error::from)
}

/// `qcd token derive --batch --json`: a [`LineTokenRecord`] per data line,
/// a [`LineErrorRecord`] for a malformed one (also given to `on_error`).
pub fn derive_json<R: BufRead, W: Write>(
    deriver: &Deriver,
    generation: Option<u32>,
    reader: R,
    writer: W,
    mut on_error: impl FnMut(&LineError),
) -> io::Result<BatchStats> {
    let mut w = BufWriter::with_capacity(1 << 16, writer);
    let mut lines = LineReader::new(reader);
    let mut stats = BatchStats::default();
    let mut buf = Zeroizing::new([0u8; MAX_DIGEST_LEN]);
    let mut hex = Zeroizing::new([0u8; 2 * MAX_DIGEST_LEN]);
    while let Some((no, line)) = lines.next_line()? {
        let result = batch::parse_derive_line(no, line).and_then(|input| match input {
            None => Ok(None),
            Some(l) => {
                stats.order.note(no, l.order);
                deriver
                    .derive_into(&l.input, &mut buf)
                    .map(|t| Some(t.len()))
                    .map_err(|source| LineError::Derive { line: no, source })
            }
        });
        match result {
            Ok(None) => continue,
            Ok(Some(n)) => {
                hex_into(&buf[..n], &mut hex[..2 * n]);
                let token = std::str::from_utf8(&hex[..2 * n]).expect("hex is ASCII");
                serde_json::to_writer(
                    &mut w,
                    &LineTokenRecord {
                        line: no,
                        generation,
                        token,
                    },
                )?;
            }
            Err(e) => {
                on_error(&e);
                stats.malformed += 1;
                error_record(&mut w, &e)?;
            }
        }
        w.write_all(b"\n")?;
        stats.lines += 1;
    }
    w.flush()?;
    Ok(stats)
}

/// `qcd token verify --batch --json`: a [`VerdictRecord`] per data line, a
/// [`LineErrorRecord`] for a malformed one (also given to `on_error`).
pub fn verify_json<R: BufRead, W: Write>(
    verifier: &Verifier<'_>,
    anonymous: bool,
    reader: R,
    writer: W,
    mut on_error: impl FnMut(&LineError),
) -> io::Result<BatchStats> {
    let mut w = BufWriter::with_capacity(1 << 16, writer);
    let mut lines = LineReader::new(reader);
    let mut stats = BatchStats::default();
    let mut token = Zeroizing::new([0u8; MAX_TOKEN_LEN]);
    while let Some((no, line)) = lines.next_line()? {
        match batch::parse_verify_line(no, line, &mut token) {
            Ok(None) => continue,
            Ok(Some((l, len))) => {
                stats.order.note(no, l.order);
                let v = verifier.verify(&l.input, &token[..len]);
                if v.matched.is_none() {
                    stats.mismatched += 1;
                }
                serde_json::to_writer(&mut w, &VerdictRecord::new(&v, Some(no), anonymous))?;
            }
            Err(e) => {
                on_error(&e);
                stats.malformed += 1;
                error_record(&mut w, &e)?;
            }
        }
        w.write_all(b"\n")?;
        stats.lines += 1;
    }
    w.flush()?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{Candidate, TokenSpec};

    fn secret() -> crate::secretmem::SecretBytes {
        crate::secretmem::SecretBytes::new((1..=32).collect())
    }

    /// The JSON run gives the same tokens and verdicts as the text fast path.
    #[test]
    fn json_runs_agree_with_the_text_runs() {
        let s = secret();
        let deriver = Deriver::new(s.expose(), TokenSpec::default()).unwrap();
        let input = "0123456789abcdef fedcba9876543210\n# c\nnope\n1111111111111111 2222222222222222 192.0.2.7\n";
        let mut text = Vec::new();
        let mut json = Vec::new();
        let mut errors = 0;
        let st = batch::derive_text(&deriver, input.as_bytes(), &mut text, |_| ()).unwrap();
        let sj = derive_json(&deriver, Some(3), input.as_bytes(), &mut json, |_| {
            errors += 1
        })
        .unwrap();
        assert_eq!((st.lines, st.malformed), (sj.lines, sj.malformed));
        assert_eq!(errors, 1);
        let text = String::from_utf8(text).unwrap();
        let json = String::from_utf8(json).unwrap();
        for (t, j) in text.lines().zip(json.lines()) {
            let v: serde_json::Value = serde_json::from_str(j).unwrap();
            match v.get("token") {
                Some(tok) => {
                    assert_eq!(tok, t);
                    assert_eq!(v["generation"], 3);
                }
                None => assert_eq!(t, "error"),
            }
        }

        let cands = vec![Candidate {
            generation: 1,
            state: State::Active,
            secret: Some(&s),
            spec: TokenSpec::default(),
        }];
        let verifier = Verifier::new(cands, None);
        let first = text.lines().next().unwrap();
        let lines =
            format!("0123456789abcdef fedcba9876543210 {first}\nfedcba9876543210 0123456789abcdef {first}\nx\n");
        let mut json = Vec::new();
        let s = verify_json(&verifier, false, lines.as_bytes(), &mut json, |_| ()).unwrap();
        assert_eq!((s.lines, s.mismatched, s.malformed), (3, 1, 1));
        let recs: Vec<serde_json::Value> = String::from_utf8(json)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(recs[0]["match"], true);
        assert_eq!(recs[0]["generation"], 1);
        assert_eq!(recs[1]["match"], false);
        assert_eq!(recs[1]["explanations"][0]["code"], "spis-swapped");
        assert_eq!(recs[2]["line"], 3);
        assert!(recs[2]["error"].is_string());
    }
}
