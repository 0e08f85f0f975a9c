//! Tables of many rows, laid out at their natural width without a cell or
//! line object per cell: the text of every cell in one buffer, and the
//! rendering written straight into the output.
//!
//! The layout is comfy-table's, in qcd's house style
//! ([`comfy_table::presets::UTF8_FULL_CONDENSED`], one space of padding,
//! left-aligned, columns as wide as their widest line), byte for byte: a
//! property test renders random tables both ways. A [`Grid`] does not wrap:
//! when it is wider than the terminal, [`Grid::to_comfy`] hands the same
//! cells to comfy-table, which does.

use unicode_width::UnicodeWidthStr;

/// Cells in row-major order; each cell's text may hold `\n` (lines).
#[derive(Debug, Clone)]
pub struct Grid {
    header: Vec<String>,
    text: String,
    /// Every line of every finished cell: where it ends in `text`, and
    /// its width (measured once, when its cell is finished).
    lines: Vec<Line>,
    /// For each finished cell, the end of its lines in `lines`.
    cells: Vec<usize>,
    /// Widest line of each column so far, header included.
    widths: Vec<usize>,
    /// Whether every cell is plain text (no control characters other
    /// than `\n`): what the fast layout measures like comfy-table.
    plain: bool,
}

#[derive(Debug, Clone, Copy)]
struct Line {
    end: usize,
    width: usize,
}

impl Grid {
    /// An empty table with this header (one cell per column).
    pub fn new(header: &[&str]) -> Grid {
        let mut g = Grid {
            header: header.iter().map(|h| h.to_string()).collect(),
            text: String::new(),
            lines: Vec::new(),
            cells: Vec::new(),
            widths: Vec::new(),
            plain: true,
        };
        g.clear_rows();
        g
    }

    /// The text of the cell being written (append to it).
    pub fn cell(&mut self) -> &mut String {
        &mut self.text
    }

    /// Finishes the cell being written.
    pub fn end_cell(&mut self) {
        // Cells follow each other in `text` without a separator: this one
        // starts where the last line of the previous one ends.
        let start = self.lines.last().map_or(0, |l| l.end);
        let column = self.cells.len() % self.columns().max(1);
        let mut widest = self.widths.get(column).copied().unwrap_or(0);
        let mut at = start;
        for line in self.text[start..].split('\n') {
            let (width, plain) = line_width(line);
            self.plain &= plain;
            widest = widest.max(width);
            at += line.len();
            self.lines.push(Line { end: at, width });
            at += 1;
        }
        if let Some(w) = self.widths.get_mut(column) {
            *w = widest;
        }
        self.cells.push(self.lines.len());
    }

    /// Where cell `i`'s text ends in `text`.
    fn cell_end(&self, i: usize) -> usize {
        self.lines[self.cells[i] - 1].end
    }

    /// Where cell `i`'s text starts in `text`.
    fn cell_start(&self, i: usize) -> usize {
        if i == 0 {
            0
        } else {
            self.cell_end(i - 1)
        }
    }

    /// Appends a whole cell.
    pub fn push_cell(&mut self, text: &str) {
        self.text.push_str(text);
        self.end_cell();
    }

    pub fn columns(&self) -> usize {
        self.header.len()
    }

    /// Finished rows.
    pub fn rows(&self) -> usize {
        self.cells.len().checked_div(self.columns()).unwrap_or(0)
    }

    /// Removes the rows (the header stays, and the buffers keep their
    /// capacity for the next rows).
    pub fn clear_rows(&mut self) {
        self.text.clear();
        self.lines.clear();
        self.cells.clear();
        self.plain = true;
        self.widths.clear();
        for h in &self.header {
            let mut widest = 0;
            for line in h.split('\n') {
                let (w, plain) = line_width(line);
                self.plain &= plain;
                widest = widest.max(w);
            }
            self.widths.push(widest);
        }
    }

    /// The lines of cell `i`, with their widths.
    fn cell_lines(&self, i: usize) -> CellLines<'_> {
        let first = if i == 0 { 0 } else { self.cells[i - 1] };
        CellLines {
            text: &self.text,
            start: self.cell_start(i),
            lines: self.lines[first..self.cells[i]].iter(),
        }
    }

    fn cell_text(&self, i: usize) -> &str {
        &self.text[self.cell_start(i)..self.cell_end(i)]
    }

    /// The width of the table laid out without wrapping: every column as
    /// wide as its widest line, plus borders and padding.
    pub fn natural_width(&self) -> usize {
        self.widths().map(|w| w + 3).sum::<usize>() + 1
    }

    /// Column widths as comfy-table lays them out: at least 1.
    fn widths(&self) -> impl Iterator<Item = usize> + '_ {
        self.widths.iter().map(|&w| w.max(1))
    }

    /// Appends the table at its natural width (the lines of
    /// comfy-table's `to_string`, without a final newline). `None`, with
    /// nothing written, for a table the fast layout cannot measure like
    /// comfy-table (control characters in a cell): use
    /// [`Grid::to_comfy`].
    pub fn render(&self, out: &mut String) -> Option<()> {
        if !self.plain || self.columns() == 0 {
            return None;
        }
        out.reserve(self.text.len() + (self.natural_width() + 8) * (self.rows() + 4));
        let rule = |out: &mut String, left: char, fill: char, mid: char, right: char| {
            out.push(left);
            for (i, w) in self.widths().enumerate() {
                if i > 0 {
                    out.push(mid);
                }
                for _ in 0..w + 2 {
                    out.push(fill);
                }
            }
            out.push(right);
            out.push('\n');
        };
        rule(out, '┌', '─', '┬', '┐');
        let mut cells: Vec<Cursor<'_>> = self
            .header
            .iter()
            .map(|h| Cursor::Header(h.split('\n')))
            .collect();
        self.render_row(out, &mut cells);
        rule(out, '╞', '═', '╪', '╡');
        for r in 0..self.rows() {
            cells.clear();
            cells.extend(
                (0..self.columns()).map(|c| Cursor::Cell(self.cell_lines(r * self.columns() + c))),
            );
            self.render_row(out, &mut cells);
        }
        rule(out, '└', '─', '┴', '┘');
        out.pop();
        Some(())
    }

    fn render_row(&self, out: &mut String, cells: &mut [Cursor<'_>]) {
        let height = cells.iter().map(Cursor::height).max().unwrap_or(1);
        for _ in 0..height {
            out.push('│');
            for (i, (cell, w)) in cells.iter_mut().zip(self.widths()).enumerate() {
                if i > 0 {
                    out.push('┆');
                }
                out.push(' ');
                let (line, used) = cell.next_line();
                out.push_str(line);
                push_spaces(out, w.saturating_sub(used) + 1);
            }
            out.push('│');
            out.push('\n');
        }
    }

    /// The same header and cells as a comfy-table `Table` (rows added to
    /// `table`, whose style the caller set).
    pub fn to_comfy(&self, table: &mut comfy_table::Table) {
        table.set_header(self.header.clone());
        for r in 0..self.rows() {
            table.add_row(
                (0..self.columns())
                    .map(|c| self.cell_text(r * self.columns() + c).to_string())
                    .collect::<Vec<_>>(),
            );
        }
    }
}

/// The lines of one cell of the row being rendered.
enum Cursor<'a> {
    Header(std::str::Split<'a, char>),
    Cell(CellLines<'a>),
}

/// The lines of a finished cell, with their widths.
struct CellLines<'a> {
    text: &'a str,
    /// Where the next line starts in `text`.
    start: usize,
    lines: std::slice::Iter<'a, Line>,
}

impl<'a> Iterator for CellLines<'a> {
    type Item = (&'a str, usize);

    fn next(&mut self) -> Option<(&'a str, usize)> {
        let l = self.lines.next()?;
        let text = &self.text[self.start..l.end];
        self.start = l.end + 1;
        Some((text, l.width))
    }
}

impl<'a> Cursor<'a> {
    fn height(&self) -> usize {
        match self {
            Cursor::Header(s) => s.clone().count(),
            Cursor::Cell(c) => c.lines.len(),
        }
    }

    /// The next line and its width; an empty line past the last.
    fn next_line(&mut self) -> (&'a str, usize) {
        match self {
            Cursor::Header(s) => s.next().map_or(("", 0), |l| (l, line_width(l).0)),
            Cursor::Cell(c) => c.next().unwrap_or(("", 0)),
        }
    }
}

fn push_spaces(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// A line's width in terminal columns as comfy-table measures it
/// (unicode-width), and whether it is plain (no control character). The
/// characters qcd's tables use are counted here; any other goes to
/// unicode-width.
fn line_width(line: &str) -> (usize, bool) {
    let bytes = line.as_bytes();
    let mut w = 0;
    let mut at = 0;
    loop {
        // A run of printable ASCII, then one other character.
        let run = bytes[at..]
            .iter()
            .position(|b| !(0x20..0x7f).contains(b))
            .unwrap_or(bytes.len() - at);
        w += run;
        at += run;
        let Some(c) = line[at..].chars().next() else {
            return (w, true);
        };
        match c {
            '→' | '–' | '×' | '…' | '═' | '─' => {
                w += 1;
                at += c.len_utf8();
            }
            c if c.is_control() => return (line.width(), false),
            _ => return (line.width(), !line.chars().any(char::is_control)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn comfy(g: &Grid) -> String {
        comfy_in(g, None)
    }

    /// comfy-table's rendering; `Some(width)`: the house style's dynamic
    /// arrangement in a terminal that wide.
    fn comfy_in(g: &Grid, width: Option<u16>) -> String {
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        match width {
            Some(w) => {
                t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
                t.set_width(w);
            }
            None => {
                t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
            }
        }
        t.force_no_tty();
        g.to_comfy(&mut t);
        t.to_string()
    }

    fn grid(header: &[&str], rows: &[Vec<String>]) -> Grid {
        let mut g = Grid::new(header);
        for r in rows {
            for c in r {
                g.push_cell(c);
            }
        }
        g
    }

    #[test]
    fn renders_like_comfy_table() {
        let g = grid(
            &["IKE SA", "what was seen"],
            &[
                vec![
                    "1000\n2000".into(),
                    "10.0.0.1 → 10.0.0.2\n6 messages".into(),
                ],
                vec!["".into(), "ESP c0000001 ×2 – done…".into()],
            ],
        );
        let mut out = String::new();
        g.render(&mut out).unwrap();
        assert_eq!(out, comfy(&g));
        assert_eq!(
            g.natural_width(),
            out.lines().next().unwrap().chars().count()
        );
        assert!(out.starts_with("┌──"), "{out}");
    }

    /// The characters counted by hand are one column wide for
    /// unicode-width too.
    #[test]
    fn hand_counted_widths_are_unicode_widths() {
        for c in (' '..='~').chain("→–×…═─".chars()) {
            let s = c.to_string();
            assert_eq!(line_width(&s), (s.width(), true), "{c:?}");
        }
        assert_eq!(line_width("漢字 → x"), (8, true));
        assert!(!line_width("a\tb").1);
    }

    #[test]
    fn control_characters_go_to_comfy_table() {
        let g = grid(&["a"], &[vec!["x\ty".into()]]);
        assert!(g.render(&mut String::new()).is_none());
        let mut g = g;
        g.clear_rows();
        g.push_cell("x y");
        assert!(g.render(&mut String::new()).is_some());
    }

    fn cell() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("a"),
                Just("Zz9"),
                Just(" "),
                Just("\n"),
                Just("→"),
                Just("–"),
                Just("×"),
                Just("…"),
                Just("漢字"),
                Just("é"),
                Just("e\u{301}"),
                Just("[2001:db8::1]:4500"),
            ],
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        /// Any plain table renders byte for byte as comfy-table does.
        #[test]
        fn equals_comfy_table(
            header in proptest::collection::vec(cell(), 1..5),
            rows in proptest::collection::vec(proptest::collection::vec(cell(), 5), 0..6),
        ) {
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            let rows: Vec<Vec<String>> = rows
                .into_iter()
                .map(|mut r| { r.truncate(header.len()); r })
                .collect();
            let g = grid(&header, &rows);
            let mut out = String::new();
            g.render(&mut out).unwrap();
            prop_assert_eq!(&out, &comfy(&g));
            // In a terminal at least as wide, comfy-table's dynamic
            // arrangement (what `Output::table` sets) wraps nothing either.
            let w = u16::try_from(g.natural_width()).unwrap();
            prop_assert_eq!(&out, &comfy_in(&g, Some(w)));
            prop_assert_eq!(&out, &comfy_in(&g, Some(w + 17)));
        }
    }
}
