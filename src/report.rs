//! Output settings shared by every command: JSON or human text, colour, quiet.
//!
//! Commands build result structs (deriving `Serialize`) and hand them to an
//! [`Output`]; with `--json` each result is one JSON object on one line
//! (NDJSON), otherwise the command renders text or a table. Nothing here knows
//! about IKE.

use std::io::{self, IsTerminal, Write};

use serde::Serialize;

/// Table width when stdout is not a terminal and `COLUMNS` is not set.
pub const DEFAULT_WIDTH: u16 = 160;
/// The narrowest width honoured (below it tables are as narrow as they get).
pub const MIN_WIDTH: u16 = 60;

/// The terminal's width when stdout is one, else `COLUMNS`, else [`DEFAULT_WIDTH`].
pub fn terminal_width() -> u16 {
    terminal_size::terminal_size_of(io::stdout())
        .map(|(w, _)| w.0)
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
        .unwrap_or(DEFAULT_WIDTH)
}

/// When to colour human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Resolves `auto` against `NO_COLOR` (any non-empty value disables colour,
    /// see no-color.org) and whether stdout is a terminal.
    pub fn resolve(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                !no_color && io::stdout().is_terminal()
            }
        }
    }
}

/// Where and how a command prints its results.
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    pub color: bool,
    out: Box<dyn Write>,
    json_buf: Vec<u8>,
}

impl Output {
    pub fn new(json: bool, quiet: bool, color: bool, out: Box<dyn Write>) -> Self {
        Output {
            json,
            quiet,
            color,
            out,
            json_buf: Vec::new(),
        }
    }

    /// Standard output, line-buffered by a `BufWriter` that is flushed by [`Output::flush`].
    pub fn stdout(json: bool, quiet: bool, color: ColorChoice) -> Self {
        Output::new(
            json,
            quiet,
            color.resolve(),
            Box::new(io::BufWriter::new(io::stdout())),
        )
    }

    /// Writes one JSON object on its own line (serde_json's compact form),
    /// through the output's buffer. A value that cannot be written (serde
    /// refuses it) leaves nothing behind.
    pub fn json_line<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        self.json_buf.clear();
        serde_json::to_writer(&mut self.json_buf, value).map_err(io::Error::from)?;
        self.json_buf.push(b'\n');
        self.out.write_all(&self.json_buf)
    }

    /// Writes a line of human text unless `--quiet`.
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        if self.quiet {
            return Ok(());
        }
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")
    }

    /// Writes a line of human text even with `--quiet`: the command's answer itself.
    pub fn answer(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")
    }

    /// The raw writer, for commands that stream (batch modes, exports).
    pub fn writer(&mut self) -> io::Result<&mut dyn Write> {
        Ok(&mut self.out)
    }

    /// Wraps `text` in an ANSI style when colour is on (borrowed as is
    /// when it is off).
    pub fn paint<'t>(&self, style: Style, text: &'t str) -> std::borrow::Cow<'t, str> {
        if !self.color {
            return std::borrow::Cow::Borrowed(text);
        }
        let code = match style {
            Style::Good => "32",
            Style::Bad => "31;1",
            Style::Warn => "33",
            Style::Dim => "2",
            Style::Bold => "1",
        };
        std::borrow::Cow::Owned(format!("\x1b[{code}m{text}\x1b[0m"))
    }

    /// A table in qcd's house style, as wide as [`Output::width`] at most
    /// (long cells wrap); colour is applied by the caller via [`Output::paint`].
    pub fn table(&self) -> comfy_table::Table {
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
        if !self.color {
            t.force_no_tty();
        }
        t.set_width(self.width());
        t
    }

    /// A table that fits [`Output::width`]: `build(false)` (the wide
    /// layout, one line per row) when its natural width fits, else
    /// `build(true)` (a narrow layout: cells broken into lines where they
    /// read well), wrapped further by comfy-table only if still too wide.
    pub fn fit_table(&self, build: impl Fn(bool) -> comfy_table::Table) -> String {
        let mut wide = build(false);
        wide.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
        // The wide layout's natural width from its columns' widest lines
        // (one border, and a space each side of every cell plus its
        // separator), without rendering it.
        let widths = wide.column_max_content_widths();
        let natural: usize = widths.iter().map(|&w| usize::from(w) + 3).sum::<usize>() + 1;
        if natural <= usize::from(self.width()) {
            wide.to_string()
        } else {
            build(true).to_string()
        }
    }

    /// The width human output should fit: the terminal's when stdout is
    /// one, else `COLUMNS`, else [`DEFAULT_WIDTH`]; never below [`MIN_WIDTH`].
    pub fn width(&self) -> u16 {
        terminal_width().max(MIN_WIDTH)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Style {
    Good,
    Bad,
    Warn,
    Dim,
    Bold,
}

/// What a successful command answered, as its exit status says it (errors
/// are `Err` and exit 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: a well-formed negative answer (no match, findings, a failed detection).
    Negative,
}

impl Outcome {
    /// `Success` when `ok`, else `Negative`.
    pub fn of(ok: bool) -> Outcome {
        if ok {
            Outcome::Success
        } else {
            Outcome::Negative
        }
    }
}

/// An [`Output`] into memory, for the tests of renderers.
#[cfg(test)]
pub(crate) mod memory {
    use std::io::{self, Write};

    /// In-memory output that the test can read back.
    #[derive(Clone, Default)]
    pub struct SharedBuf(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for SharedBuf {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl SharedBuf {
        pub fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.borrow()).into_owned()
        }
    }

    /// An output (`--json`, `--quiet`, colour as given) and its buffer.
    pub fn output(json: bool, quiet: bool, color: bool) -> (super::Output, SharedBuf) {
        let buf = SharedBuf::default();
        (
            super::Output::new(json, quiet, color, Box::new(buf.clone())),
            buf,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::memory::output;
    use super::*;

    #[test]
    fn quiet_keeps_answers_and_drops_commentary() {
        let (mut out, buf) = output(false, true, false);
        out.line("commentary").unwrap();
        out.answer("42").unwrap();
        assert_eq!(buf.text(), "42\n");
        let (mut out, buf) = output(false, false, false);
        out.line("commentary").unwrap();
        out.answer("42").unwrap();
        assert_eq!(buf.text(), "commentary\n42\n");
    }

    #[test]
    fn json_lines_are_one_object_per_line() {
        let (mut out, buf) = output(true, false, false);
        out.json_line(&serde_json::json!({"a": 1})).unwrap();
        out.json_line(&serde_json::json!({"b": [1, 2]})).unwrap();
        out.flush().unwrap();
        assert_eq!(buf.text(), "{\"a\":1}\n{\"b\":[1,2]}\n");
    }

    /// JSON lines keep their place among other writes.
    #[test]
    fn json_lines_keep_order() {
        let (mut out, buf) = output(true, false, false);
        out.json_line(&1).unwrap();
        out.answer("two").unwrap();
        out.json_line(&3).unwrap();
        out.line("four").unwrap();
        out.json_line(&5).unwrap();
        out.writer().unwrap().write_all(b"six\n").unwrap();
        out.json_line(&7).unwrap();
        out.flush().unwrap();
        assert_eq!(buf.text(), "1\ntwo\n3\nfour\n5\nsix\n7\n");
    }

    /// A write error (a closed pipe) reaches the caller.
    #[test]
    fn json_write_errors_reach_the_caller() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Output::new(true, false, false, Box::new(Closed));
        assert_eq!(
            out.json_line(&1).unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    }

    #[test]
    fn colour_only_when_on() {
        let (plain, _) = output(false, false, false);
        assert_eq!(plain.paint(Style::Bad, "x"), "x");
        let (coloured, _) = output(false, false, true);
        assert_eq!(coloured.paint(Style::Bad, "x"), "\x1b[31;1mx\x1b[0m");
        assert!(!ColorChoice::Never.resolve());
        assert!(ColorChoice::Always.resolve());
    }
}
