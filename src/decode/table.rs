//! The human table of `qcd decode --summary`: plain aligned columns of our
//! own, no borders. A header line, then each row's lines; every column is
//! padded to its widest line, two spaces apart; the last column is not
//! padded, so no line ends in spaces. A row starts where its first column
//! (the SPIs) has text.
//!
//! Width rule, for a width `W` (the terminal's, else `COLUMNS`, else 160;
//! see `qcd::report::Output::width`):
//!
//! - the wide layout ([`TABLE_WIDE`], seven columns) when its natural width
//!   (the columns' widest lines, plus two spaces between columns) is at
//!   most `W`;
//! - else the narrow layout ([`TABLE_NARROW`]: the SPIs beside everything
//!   else stacked), whose second column's lines longer than the room left
//!   (`W` minus the first column and its two spaces) are wrapped at spaces;
//!   a word (SPI, token, address) is never broken, even when it is longer
//!   than the room;
//! - in both, a time span stays on one line when the narrow layout's
//!   second column would fit it
//!   ([`SaRow::table_cells`](super::summary::SaRow::table_cells)).
//!
//! The decision is made once for the whole table, in a first pass over the
//! rows that only measures them (and stops at the first row too wide for
//! the wide layout); the second pass writes them. Rows are built one at a
//! time in both, so memory stays flat whatever the number of IKE SAs.
//!
//! Cells are measured in terminal columns (`unicode-width`): the arrows,
//! dashes and ellipses the cells hold are one column each.

use std::io::{self, Write};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::summary::{Summary, TABLE_NARROW, TABLE_WIDE};

/// Spaces between two columns.
const GAP: usize = 2;

/// What [`SaRow::table_cells`](super::summary::SaRow::table_cells) is
/// given as its `room`: `W` minus this. It puts a time span (two
/// 27-column times, a dash and an indent: 59 columns) on one line when its
/// room is at least 61, that is when the narrow layout's second column
/// (`W` minus the 21-column first column and the gap) is at least 59.
const SPAN_MARGIN: usize = 21;

/// Which layout a table gets, and its columns' widths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The narrow layout (two columns) rather than the wide one (seven).
    pub narrow: bool,
    /// Each column's width; the last one's is the room its lines are
    /// wrapped to (narrow) or its widest line (wide).
    pub widths: Vec<usize>,
}

/// The summary as a table `width` columns wide; see the module doc.
pub struct SummaryTable<'s> {
    summary: &'s Summary,
    width: usize,
}

impl<'s> SummaryTable<'s> {
    pub fn new(summary: &'s Summary, width: usize) -> SummaryTable<'s> {
        SummaryTable { summary, width }
    }

    /// The room a time span gets in a cell (see [`SaRow::table_cells`](super::summary::SaRow::table_cells)).
    fn room(&self) -> usize {
        self.width.saturating_sub(SPAN_MARGIN)
    }

    /// Measures the rows (first pass) and picks the layout: the wide one
    /// when every row fits it, else the narrow one, decided at the first
    /// row that does not fit (usually the first: a capture rarely has rows
    /// narrower than the terminal when one row is not).
    pub fn layout(&self) -> Layout {
        let mut wide: Vec<usize> = TABLE_WIDE.iter().map(|h| h.width()).collect();
        let natural = |w: &[usize]| w.iter().sum::<usize>() + GAP * (w.len() - 1);
        let mut fits = natural(&wide) <= self.width;
        for row in self.summary.rows() {
            if !fits {
                break;
            }
            for (w, cell) in wide.iter_mut().zip(row.table_cells(false, self.room())) {
                *w = (*w).max(widest_line(&cell));
            }
            fits = natural(&wide) <= self.width;
        }
        if fits {
            return Layout {
                narrow: false,
                widths: wide,
            };
        }
        // The first column holds the SPIs (16 hex digits each) or "(no
        // IKE message)": never wider than its header.
        let first = TABLE_NARROW[0].width();
        Layout {
            narrow: true,
            widths: vec![first, self.width.saturating_sub(first + GAP).max(1)],
        }
    }

    /// Writes the table (nothing for an empty summary).
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.summary.is_empty() {
            return Ok(());
        }
        let layout = self.layout();
        let header: &[&str] = if layout.narrow {
            &TABLE_NARROW
        } else {
            &TABLE_WIDE
        };
        let mut line = String::new();
        write_lines(header, &layout, &mut line, out)?;
        for row in self.summary.rows() {
            let cells = row.table_cells(layout.narrow, self.room());
            write_lines(&cells, &layout, &mut line, out)?;
        }
        Ok(())
    }
}

/// The widest line of a cell.
fn widest_line(cell: &str) -> usize {
    cell.lines().map(width_of).max().unwrap_or(0)
}

/// The terminal columns `s` takes: its length when it is ASCII (most
/// lines), else by `unicode-width`.
fn width_of(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.width()
    }
}

/// Writes one row: cell `i` in column `i`, each cell's lines below one
/// another; in the narrow layout the last column's lines are wrapped to
/// its width. `line` is a buffer kept from row to row.
fn write_lines<S: AsRef<str>>(
    cells: &[S],
    layout: &Layout,
    line: &mut String,
    out: &mut dyn Write,
) -> io::Result<()> {
    let widths = &layout.widths;
    let last = widths.len() - 1;
    let mut columns: Vec<Vec<&str>> = vec![Vec::new(); widths.len()];
    for (i, cell) in cells.iter().enumerate().take(widths.len()) {
        for l in cell.as_ref().lines() {
            if i == last && layout.narrow {
                wrap(l, widths[i], &mut columns[i]);
            } else {
                columns[i].push(l);
            }
        }
    }
    let height = columns.iter().map(Vec::len).max().unwrap_or(0).max(1);
    for n in 0..height {
        line.clear();
        for (i, col) in columns.iter().enumerate() {
            let text = col.get(n).copied().unwrap_or("");
            line.push_str(text);
            if i < last {
                let pad = widths[i].saturating_sub(width_of(text)) + GAP;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        // Empty cells at the end of a line leave no spaces behind.
        let end = line.trim_end_matches(' ').len();
        out.write_all(&line.as_bytes()[..end])?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Breaks `line` at spaces into pieces at most `room` columns wide; a word
/// wider than `room` stays whole on a line of its own. Leading spaces (an
/// indent) stay with the first piece.
fn wrap<'a>(line: &'a str, room: usize, out: &mut Vec<&'a str>) {
    let mut rest = line;
    // A line no longer in bytes than the room fits (no character is wider
    // than its UTF-8 encoding).
    while rest.len() > room && width_of(rest) > room {
        let mut cut = None;
        let mut seen_text = false;
        let mut w = 0;
        for (i, c) in rest.char_indices() {
            if c == ' ' {
                if seen_text && w <= room {
                    cut = Some(i);
                }
            } else {
                seen_text = true;
            }
            w += c.width().unwrap_or(0);
            if w > room && cut.is_some() {
                break;
            }
        }
        // No space within the room: the first word goes whole.
        let cut = cut.or_else(|| {
            let start = rest.len() - rest.trim_start_matches(' ').len();
            rest[start..].find(' ').map(|i| start + i)
        });
        let Some(cut) = cut else { break };
        out.push(rest[..cut].trim_end_matches(' '));
        rest = rest[cut..].trim_start_matches(' ');
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureReader, ReadOptions};
    use crate::decode::summary::SummaryFilter;

    fn summary(name: &str) -> Summary {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
        let mut r = CaptureReader::open(
            &path,
            ReadOptions {
                esp_events: true,
                ..ReadOptions::default()
            },
        )
        .unwrap();
        Summary::from_capture(&mut r, None, SummaryFilter::default(), |_| {})
    }

    fn table(s: &Summary, width: usize) -> String {
        let mut out = Vec::new();
        SummaryTable::new(s, width).write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Known answers: the wide layout when it fits, the narrow one with its
    /// time spans on one line when they fit, else on two, and long lines
    /// wrapped at spaces.
    #[test]
    fn layouts_by_width() {
        let s = summary("tests/data/scenarios/capture-ends-early.pcap");
        let wide = "\
IKE SA (SPI-I / SPI-R)  initiator → responder  messages                     exchanges         notifies     QCD tokens  ESP SPIs
a1a1a1a100000001        192.0.2.1:500          5 (frames 1–27)              IKE_AUTH ×2                                c1000001 192.0.2.1 → 198.51.100.2: 12 packets
b1b1b1b100000001        → 198.51.100.2:500     2026-11-01T12:00:00.000000Z  IKE_SA_INIT ×2                               2026-11-01T12:00:01.000000Z – 2026-11-01T12:00:11.600000Z
                                               2026-11-01T12:00:11.500000Z  INFORMATIONAL ×1                           c2000002 198.51.100.2 → 192.0.2.1: 10 packets
                                                                                                                         2026-11-01T12:00:01.005000Z – 2026-11-01T12:00:10.005000Z
5e5e5e5e5e5e5e5e        192.0.2.1:500          1 (frames 26–26)             INFORMATIONAL ×1  INVALID_SPI
0000000000000000        → 198.51.100.2:500     2026-11-01T12:00:11.001000Z
                                               2026-11-01T12:00:11.001000Z
";
        assert_eq!(table(&s, 300), wide);
        // The natural width exactly: still wide; one column less: narrow.
        let natural = wide.lines().map(width_of).max().unwrap();
        assert_eq!(table(&s, natural), wide);
        assert!(table(&s, natural - 1).starts_with("IKE SA (SPI-I, SPI-R)  what was seen\n"));
        let at_60 = "\
IKE SA (SPI-I, SPI-R)  what was seen
a1a1a1a100000001       192.0.2.1:500 → 198.51.100.2:500
b1b1b1b100000001       5 messages (frames 1–27)
                         2026-11-01T12:00:00.000000Z
                         – 2026-11-01T12:00:11.500000Z
                       IKE_AUTH ×2, IKE_SA_INIT ×2,
                       INFORMATIONAL ×1
                       ESP c1000001 192.0.2.1 →
                       198.51.100.2: 12 packets
                         2026-11-01T12:00:01.000000Z
                         – 2026-11-01T12:00:11.600000Z
                       ESP c2000002 198.51.100.2 →
                       192.0.2.1: 10 packets
                         2026-11-01T12:00:01.005000Z
                         – 2026-11-01T12:00:10.005000Z
5e5e5e5e5e5e5e5e       192.0.2.1:500 → 198.51.100.2:500
0000000000000000       1 message (frames 26–26)
                         2026-11-01T12:00:11.001000Z
                         – 2026-11-01T12:00:11.001000Z
                       INFORMATIONAL ×1
                       notifies: INVALID_SPI
";
        assert_eq!(table(&s, 60), at_60);
        // A time span on one line exactly when the second column fits it.
        let span = "  2026-11-01T12:00:00.000000Z – 2026-11-01T12:00:11.500000Z";
        for w in [81, 82] {
            let t = table(&s, w);
            assert_eq!(t.contains(span), w == 82, "{t}");
            assert!(t.lines().all(|l| width_of(l) <= w), "{t}");
        }
    }

    #[test]
    fn an_empty_summary_prints_nothing() {
        assert_eq!(table(&Summary::new(), 80), "");
    }

    fn wrapped(line: &str, room: usize) -> Vec<&str> {
        let mut v = Vec::new();
        wrap(line, room, &mut v);
        v
    }

    #[test]
    fn wrap_breaks_at_spaces_and_never_inside_a_word() {
        assert_eq!(wrapped("a bb ccc", 8), ["a bb ccc"]);
        assert_eq!(wrapped("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrapped("a bb ccc", 3), ["a", "bb", "ccc"]);
        assert_eq!(wrapped("1cb80bda45a506cc x", 4), ["1cb80bda45a506cc", "x"]);
        assert_eq!(wrapped("  – 2026 x", 8), ["  – 2026", "x"]);
        assert_eq!(wrapped("ESP 1 → 2: 3", 7), ["ESP 1 →", "2: 3"]);
        assert_eq!(wrapped("", 4), [""]);
    }
}
