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

use std::fmt;

use unicode_width::UnicodeWidthStr;

/// Cells in row-major order; each cell's text may hold `\n` (lines).
#[derive(Debug, Clone)]
pub struct Grid {
    header: Vec<String>,
    text: String,
    /// End of each finished cell in `text`.
    ends: Vec<usize>,
    /// Widest line of each column so far (display columns).
    widths: Vec<usize>,
    /// Whether every cell is plain text (no control characters other
    /// than `\n`): what the fast layout measures like comfy-table.
    plain: bool,
}

/// `write!` appends to the cell being written; [`Grid::end_cell`]
/// finishes it.
impl fmt::Write for Grid {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.text.push_str(s);
        Ok(())
    }
}

impl Grid {
    /// An empty table with this header (one cell per column).
    pub fn new(header: &[&str]) -> Grid {
        let mut g = Grid {
            header: header.iter().map(|h| h.to_string()).collect(),
            text: String::new(),
            ends: Vec::new(),
            widths: vec![0; header.len()],
            plain: true,
        };
        for i in 0..header.len() {
            let h = std::mem::take(&mut g.header[i]);
            g.measure(i, &h);
            g.header[i] = h;
        }
        g
    }

    /// The text of the cell being written (append to it).
    pub fn cell(&mut self) -> &mut String {
        &mut self.text
    }

    /// Finishes the cell being written.
    pub fn end_cell(&mut self) {
        let start = self.ends.last().copied().unwrap_or(0);
        let column = self.ends.len() % self.columns();
        let text = std::mem::take(&mut self.text);
        self.measure(column, &text[start..]);
        self.text = text;
        self.ends.push(self.text.len());
    }

    /// Appends a whole cell.
    pub fn push_cell(&mut self, text: &str) {
        self.text.push_str(text);
        self.end_cell();
    }

    fn measure(&mut self, column: usize, text: &str) {
        for line in text.split('\n') {
            let (w, plain) = line_width(line);
            self.plain &= plain;
            if w > self.widths[column] {
                self.widths[column] = w;
            }
        }
    }

    pub fn columns(&self) -> usize {
        self.header.len()
    }

    /// Finished rows.
    pub fn rows(&self) -> usize {
        self.ends.len().checked_div(self.columns()).unwrap_or(0)
    }

    /// Removes the rows (the header stays, and the buffers keep their
    /// capacity for the next rows).
    pub fn clear_rows(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.widths.fill(0);
        self.plain = true;
        for i in 0..self.header.len() {
            let h = std::mem::take(&mut self.header[i]);
            self.measure(i, &h);
            self.header[i] = h;
        }
    }

    fn cell_text(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
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
        let header: Vec<&str> = self.header.iter().map(String::as_str).collect();
        self.render_row(out, &header);
        rule(out, '╞', '═', '╪', '╡');
        let mut cells: Vec<&str> = Vec::with_capacity(self.columns());
        for r in 0..self.rows() {
            cells.clear();
            cells.extend((0..self.columns()).map(|c| self.cell_text(r * self.columns() + c)));
            self.render_row(out, &cells);
        }
        rule(out, '└', '─', '┴', '┘');
        out.pop();
        Some(())
    }

    fn render_row(&self, out: &mut String, cells: &[&str]) {
        let mut lines: Vec<std::str::Split<'_, char>> =
            cells.iter().map(|c| c.split('\n')).collect();
        let height = cells
            .iter()
            .map(|c| c.bytes().filter(|&b| b == b'\n').count() + 1)
            .max()
            .unwrap_or(1);
        for _ in 0..height {
            out.push('│');
            for (i, (it, w)) in lines.iter_mut().zip(self.widths()).enumerate() {
                if i > 0 {
                    out.push('┆');
                }
                out.push(' ');
                let line = it.next().unwrap_or("");
                out.push_str(line);
                let used = if line.is_ascii() {
                    line.len()
                } else {
                    line_width(line).0
                };
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
    // Printable ASCII (the usual line), counted in one vectorised pass.
    if line.bytes().filter(|b| (0x20..0x7f).contains(b)).count() == line.len() {
        return (line.len(), true);
    }
    let mut w = 0;
    for c in line.chars() {
        match c {
            ' '..='~' | '→' | '–' | '×' | '…' | '═' | '─' => w += 1,
            c if c.is_control() => return (line.width(), false),
            _ => return (line.width(), !line.chars().any(char::is_control)),
        }
    }
    (w, true)
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
