//! The text form of a diagnosis: per IKE SA its verdict line, the reason,
//! what to do and the timeline; with `--quiet` the answer alone (`VERDICT
//! SPI-I SPI-R`). `--json` prints the [`SaReport`] itself.

use std::fmt::Write as _;
use std::io;

use super::model::SaReport;
use crate::report::{Output, Style};

/// One IKE SA's report: a JSON line with `--json`, else its text block.
pub fn print(out: &mut Output, r: &SaReport) -> io::Result<()> {
    if out.json {
        return out.json_line(r);
    }
    if out.quiet {
        return out.answer(&format!("{} {} {}", r.verdict.name(), r.spi_i, r.spi_r));
    }
    let style = if r.verdict.is_ok() {
        Style::Good
    } else {
        Style::Bad
    };
    out.answer(&format!(
        "{}: IKE SA {} {}  {} → {}",
        out.paint(style, r.verdict.name()),
        r.spi_i,
        r.spi_r,
        r.initiator.as_deref().unwrap_or("?"),
        r.responder.as_deref().unwrap_or("?"),
    ))?;
    out.answer(&format!("  {}", r.reason))?;
    if !r.action.is_empty() {
        out.answer(&format!("  what to do: {}", r.action))?;
    }
    // One buffer for every timeline line (a concentrator's capture prints
    // hundreds of thousands).
    let mut line = String::with_capacity(256);
    let mut frame = String::with_capacity(16);
    for e in &r.events {
        line.clear();
        frame.clear();
        let _ = write!(frame, "#{}", e.frame);
        let _ = write!(
            line,
            "  {}  {frame:>6}  {}",
            out.paint(Style::Dim, &e.time),
            e.what
        );
        out.line(&line)?;
    }
    if r.events_omitted > 0 {
        out.line(&format!(
            "  ({} more messages of this IKE SA not shown)",
            r.events_omitted
        ))?;
    }
    for n in &r.notes {
        out.line(&format!("  note: {n}"))?;
    }
    out.line("")
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::diagnose::model::{TimelineEvent, Verdict};
    use crate::report::memory::output;

    fn report() -> SaReport {
        SaReport {
            spi_i: "0123456789abcdef".into(),
            spi_r: "fedcba9876543210".into(),
            initiator: Some("192.0.2.1:500".into()),
            responder: None,
            verdict: Verdict::NoToken,
            reason: "the maker sent no QCD_TOKEN".into(),
            action: "enable QCD on the gateway".into(),
            outage: None,
            maker_answered: None,
            takers: Vec::new(),
            replaced_by: None,
            replaced_certain: None,
            replaced_at: None,
            new_sa: None,
            recovery_of: None,
            notes: vec!["one note".into()],
            events: vec![TimelineEvent {
                frame: 12,
                time: "2024-01-01T00:00:00Z".into(),
                what: "IKE_SA_INIT request".into(),
                at: SystemTime::UNIX_EPOCH,
            }],
            events_omitted: 3,
            capture_end: None,
        }
    }

    #[test]
    fn text_block() {
        let (mut out, buf) = output(false, false, false);
        print(&mut out, &report()).unwrap();
        assert_eq!(
            buf.text(),
            "no-token: IKE SA 0123456789abcdef fedcba9876543210  192.0.2.1:500 → ?\n  \
             the maker sent no QCD_TOKEN\n  what to do: enable QCD on the gateway\n  \
             2024-01-01T00:00:00Z     #12  IKE_SA_INIT request\n  \
             (3 more messages of this IKE SA not shown)\n  note: one note\n\n"
        );
    }

    #[test]
    fn quiet_and_json() {
        let (mut out, buf) = output(false, true, false);
        print(&mut out, &report()).unwrap();
        assert_eq!(buf.text(), "no-token 0123456789abcdef fedcba9876543210\n");
        let (mut out, buf) = output(true, false, false);
        print(&mut out, &report()).unwrap();
        assert!(buf.text().starts_with("{\"spi_i\":\"0123456789abcdef\""));
    }
}
