//! The output of the secret commands from their records ([`super::report`]):
//! a JSON line with `--json`, the answer alone with `--quiet`, else the
//! plain-words message; and the notices as the lines said on stderr
//! (warnings even with `--quiet`), which the caller writes.

use std::io;

use super::ops::{ExportOutcome, Exported};
use super::report::{ChangeReport, ExportReport, NoticeRecord, PruneReport};
use crate::report::Output;

/// The stderr lines of `notices`: `qcd: warning: …` always, `qcd: note: …`
/// unless `quiet`.
pub fn notice_lines(notices: &[NoticeRecord], quiet: bool) -> impl Iterator<Item = String> + '_ {
    notices.iter().filter_map(move |n| {
        if n.warning {
            Some(format!("qcd: warning: {}", n.message))
        } else {
            (!quiet).then(|| format!("qcd: note: {}", n.message))
        }
    })
}

/// A keyring change (generate, rotate, import, derive): the record, `-q`'s
/// answer ([`ChangeReport::answer`]), or the message.
pub fn print_change(out: &mut Output, r: &ChangeReport) -> io::Result<()> {
    if out.json {
        out.json_line(r)
    } else if out.quiet {
        match r.answer() {
            Some(answer) => out.answer(&answer),
            None => Ok(()),
        }
    } else {
        out.line(&r.message)
    }
}

/// A prune: the record, `-q`'s answer (the ids destroyed, or that would
/// be, one a line), or the message.
pub fn print_prune(out: &mut Output, r: &PruneReport) -> io::Result<()> {
    if out.json {
        return out.json_line(r);
    }
    if out.quiet {
        for id in &r.destroyed {
            out.answer(&id.to_string())?;
        }
        return Ok(());
    }
    out.line(&r.message())
}

/// An export: the record; else to a file, what happened to it
/// ([`ExportReport::lines`]); else the encoded secret itself.
pub fn print_export(out: &mut Output, r: &ExportReport, done: &ExportOutcome) -> io::Result<()> {
    if out.json {
        return out.json_line(r);
    }
    match &done.exported {
        Exported::File { .. } => {
            for line in r.lines(done) {
                out.line(&line)?;
            }
            Ok(())
        }
        Exported::Bytes(bytes) => out.writer()?.write_all(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::memory::output;

    #[test]
    fn notices_on_stderr() {
        let notices = vec![
            NoticeRecord {
                kind: "no-overlap",
                message: "a note".into(),
                warning: false,
            },
            NoticeRecord {
                kind: "rollback",
                message: "a warning".into(),
                warning: true,
            },
        ];
        let all: Vec<String> = notice_lines(&notices, false).collect();
        assert_eq!(all, ["qcd: note: a note", "qcd: warning: a warning"]);
        let quiet: Vec<String> = notice_lines(&notices, true).collect();
        assert_eq!(quiet, ["qcd: warning: a warning"]);
    }

    #[test]
    fn prune_output() {
        let r = PruneReport {
            dry_run: true,
            keyring: "k.json".into(),
            destroyed: vec![1, 2],
        };
        let (mut out, buf) = output(false, false, false);
        print_prune(&mut out, &r).unwrap();
        assert_eq!(
            buf.text(),
            "would destroy the secrets of expired generations 1, 2\n"
        );
        let (mut out, buf) = output(false, true, false);
        print_prune(&mut out, &r).unwrap();
        assert_eq!(buf.text(), "1\n2\n");
        let (mut out, buf) = output(true, false, false);
        print_prune(&mut out, &r).unwrap();
        assert_eq!(
            buf.text(),
            "{\"dry_run\":true,\"keyring\":\"k.json\",\"destroyed\":[1,2]}\n"
        );
    }
}
