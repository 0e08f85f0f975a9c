//! `qcd decode`: decode IKEv2 messages and payloads from hex, xxd or
//! hexdump -C text given on the command line, in a file, or on stdin, and
//! every IKE message of a pcap or pcapng capture (with frame, time and
//! endpoints, filters and a per-IKE-SA summary). SK payloads are opened with
//! `--keys`.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};

use qcd::capture::{CaptureReader, ReadOptions};
use qcd::decode::input::{self, CaptureInput, Input, Source};
use qcd::decode::messages::{Asked, CaptureMessages, Ending, MessageEvent};
use qcd::decode::summary::{Summary, SummaryFilter};
use qcd::decode::table::SummaryTable;
use qcd::decode::{self, text, As, BytesRequest, DecodeOptions, Decoded, DecodedMessage};
use qcd::ikecrypto::KeyTable;
use qcd::report::{Output, Style};
use qcd::spi::Spi;

use super::Outcome;

/// Captures at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

#[derive(Args, Debug)]
#[command(after_long_help = "Examples:\n  \
    qcd decode --hex '0000000801000004'\n  \
    xxd reply.bin | qcd decode -\n  \
    qcd decode --json --offsets reply.hex\n  \
    qcd decode gateway.pcapng\n  \
    qcd decode --qcd --port 4501 gateway.pcap\n  \
    qcd decode --summary --keys ikev2_decryption_table gateway.pcap\n\n\
    Exit status: 0 when everything was read (an IKE message that does not parse is a warning \
    on stderr), 1 when --qcd or --spi matched nothing (said on stderr), 2 on errors and when \
    the capture file itself is damaged (everything readable is still decoded).")]
pub struct DecodeArgs {
    /// A pcap or pcapng capture, or a file of hex, xxd or hexdump -C text;
    /// `-` reads stdin.
    ///
    /// Captures are recognised by their magic number. In text, whitespace,
    /// newlines, colons and 0x prefixes are ignored; xxd and hexdump -C dumps
    /// lose their offset and ASCII columns.
    #[arg(
        value_name = "FILE",
        required_unless_present = "hex",
        conflicts_with = "hex"
    )]
    pub file: Option<PathBuf>,

    /// The bytes as hex on the command line.
    ///
    /// Example: --hex '0000000c 01004023 aabbccdd' (a Notify payload)
    #[arg(long, value_name = "HEX")]
    pub hex: Option<String>,

    /// What the bytes are, instead of detecting it (hex input).
    ///
    /// `message`: an IKEv2 message (optionally after the 4-byte non-ESP
    /// marker of UDP 4500); `payload`: one Notify payload with its generic
    /// header. By default a message is recognised by its header (major
    /// version 2, length equal to the data); anything else is a payload.
    #[arg(long = "as", value_enum, value_name = "KIND")]
    pub as_kind: Option<AsKind>,

    /// Show each payload's byte offset in the input (in a capture: in the IKE message).
    #[arg(long)]
    pub offsets: bool,

    /// Decrypt SK payloads with these keys: a Wireshark ikev2_decryption_table,
    /// tcpdump -E / libreswan `ikev2 I|R …` lines, or a strongSwan charon log
    /// at ike = 4 (format detected per file).
    ///
    /// Wireshark table: one line per IKE SA,
    /// SPI-I,SPI-R,SK_ei,SK_er,"encryption",SK_ai,SK_ar,"integrity", names as
    /// Wireshark spells them. Lines qcd cannot use are skipped with a warning
    /// on stderr (`qcd: warning: FILE:LINE: …`). The keys are secrets: keep the file private.
    #[arg(long, value_name = "TABLE")]
    pub keys: Option<PathBuf>,

    /// With --keys: show an SK payload's decryption even when its ICV does not
    /// match, marked unauthenticated (JSON "integrity": "failed").
    ///
    /// Without it a failed ICV shows no plaintext. The plaintext of a failed
    /// ICV may be garbage (wrong SK_e) or forged: never trust it.
    #[arg(long, requires = "keys")]
    pub ignore_icv: bool,

    /// Capture: a UDP port carrying IKE besides 500 and 4500 (repeatable).
    #[arg(long = "port", value_name = "N")]
    pub ports: Vec<u16>,

    /// Capture: only messages carrying QCD_TOKEN, INVALID_IKE_SPI or
    /// INVALID_SPI (also inside SK when decrypted with --keys).
    #[arg(long)]
    pub qcd: bool,

    /// Capture: only the messages of one IKE SA (SPI-I or SPI-R, 16 hex digits).
    #[arg(long, value_name = "HEX")]
    pub spi: Option<String>,

    /// Capture: one row per IKE SA (exchanges, notifies, QCD tokens, ESP SPIs)
    /// instead of each message.
    #[arg(long)]
    pub summary: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsKind {
    Message,
    Payload,
}

impl From<AsKind> for As {
    fn from(a: AsKind) -> As {
        match a {
            AsKind::Message => As::Message,
            AsKind::Payload => As::Payload,
        }
    }
}

pub fn run(args: DecodeArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let keys = match &args.keys {
        Some(p) => Some(super::keys::load_keys(p)?),
        None => None,
    };
    let spi = match &args.spi {
        Some(s) => Some(Spi::parse(s).context("bad --spi")?),
        None => None,
    };
    let source = match (&args.hex, &args.file) {
        (Some(hex), _) => Source::Hex(hex.clone()),
        (None, Some(file)) => Source::from_arg(file.clone()),
        (None, None) => bail!("give a FILE, `-` for stdin, or --hex"),
    };
    let text = match input::classify(source)? {
        Input::Capture(source) => return run_capture(&args, source, keys.as_ref(), spi, out),
        Input::Text(text) => text,
    };
    if args.summary || args.qcd || args.spi.is_some() || !args.ports.is_empty() {
        bail!("--summary, --qcd, --spi and --port apply to capture files (pcap, pcapng), not to hex input");
    }
    let name = text.name().to_string();
    // Decoded as it streams, within the bound of one IKE message.
    let bytes = text.read()?;
    let request = BytesRequest {
        kind: args.as_kind.map(As::from),
        keys: keys.as_ref(),
        ignore_icv: args.ignore_icv,
    };
    let decoded =
        decode::decode_bytes(&bytes, &request).with_context(|| format!("cannot decode {name}"))?;
    if out.json {
        out.json_line(&decoded)?;
    } else {
        print_tree(&decoded, args.offsets, out)?;
    }
    // A malformed message is shown as far as it goes, and is still an error.
    if let Decoded::Message(DecodedMessage {
        malformed: Some(m), ..
    }) = &decoded
    {
        out.flush()?;
        bail!("cannot decode {name}: {}", m.message);
    }
    Ok(Outcome::Success)
}

fn print_tree(decoded: &Decoded, offsets: bool, out: &mut Output) -> anyhow::Result<()> {
    for line in text::tree(decoded, text::TreeOptions { offsets }) {
        if line.warning {
            // Commentary on the facts: --quiet leaves it out.
            if out.quiet {
                continue;
            }
            let t = out.paint(Style::Warn, &line.text);
            out.answer(&t)?;
        } else {
            out.answer(&line.text)?;
        }
    }
    Ok(())
}

/// Counts the bytes read for the progress bar; costs one branch per read
/// (reads are megabytes long) when there is no bar.
struct Progress<R> {
    inner: R,
    read: u64,
    bar: Option<indicatif::ProgressBar>,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = &self.bar {
            self.read += n as u64;
            bar.set_position(self.read);
        }
        Ok(n)
    }
}

fn progress_bar(size: Option<u64>) -> Option<indicatif::ProgressBar> {
    let size = size.filter(|&s| s >= PROGRESS_MIN_BYTES)?;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

fn run_capture(
    args: &DecodeArgs,
    source: CaptureInput,
    keys: Option<&KeyTable>,
    spi: Option<Spi>,
    out: &mut Output,
) -> anyhow::Result<Outcome> {
    if args.hex.is_some() || args.as_kind.is_some() {
        bail!("--as applies to hex input, not to capture files");
    }
    let bar = progress_bar(source.size);
    // When stdout is the terminal the bar is drawn on, the bar is cleared
    // around each message printed (a --summary prints only at the end,
    // after the bar is gone), so that no line holds both.
    let suspend = bar.is_some() && !args.summary && stdout_shares_the_terminal();
    let opts = ReadOptions {
        extra_ports: args.ports.clone(),
        // ESP is only shown by --summary, which places each packet.
        esp_events: args.summary,
        ..ReadOptions::default()
    };
    let name = source.name;
    // A file is opened by path unless a
    // progress bar needs the byte count of its own reads; stdin is read.
    let mut reader = match (&source.path, &bar) {
        (Some(path), None) => {
            drop(source.stream);
            CaptureReader::open(path, opts)?
        }
        _ => {
            let input = Progress {
                inner: source.stream,
                read: 0,
                bar: bar.clone(),
            };
            CaptureReader::new(input, &name, opts)?
        }
    };
    let warn = |text: &str| match &bar {
        Some(b) => b.suspend(|| eprintln!("qcd: warning: {name}: {text}")),
        None => eprintln!("qcd: warning: {name}: {text}"),
    };
    if args.summary {
        let filter = SummaryFilter { qcd: args.qcd, spi };
        let summary = Summary::from_capture(&mut reader, keys, filter, |n| warn(&n.to_string()));
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        let printed = print_summary(&summary, out)?;
        return finish(args, &name, spi, &reader, printed, out);
    }
    // Printed messages: decoded as far as they go, every payload dissected,
    // IKE fragments reassembled across the capture, filtered.
    let opts = DecodeOptions {
        keys,
        ignore_icv: args.ignore_icv,
        dissect: true,
    };
    let filter = SummaryFilter { qcd: args.qcd, spi };
    let mut printed: usize = 0;
    // Message times share their seconds: the date is formatted once per second.
    let mut times = qcd::timefmt::Rfc3339Writer::new();
    for event in CaptureMessages::new(&mut reader, opts, filter) {
        let cm = match event {
            MessageEvent::Note(n) => {
                warn(&n.to_string());
                continue;
            }
            MessageEvent::Fragments(w) => {
                warn(&w);
                continue;
            }
            MessageEvent::Message(cm) => *cm,
        };
        if let Some(w) = cm.malformed_warning() {
            warn(&w);
        }
        let listed = cm.listed(&mut times);
        let print = |out: &mut Output| -> anyhow::Result<()> {
            if out.json {
                out.json_line(&listed)?;
            } else {
                if printed > 0 {
                    out.answer("")?;
                }
                let head = listed.heading();
                out.answer(&out.paint(Style::Bold, &head))?;
                print_tree(&listed.decoded, args.offsets, out)?;
            }
            Ok(())
        };
        match (&bar, suspend) {
            (Some(b), true) => b.suspend(|| {
                print(out)?;
                out.flush().map_err(anyhow::Error::from)
            })?,
            _ => print(out)?,
        }
        printed += 1;
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    finish(args, &name, spi, &reader, printed, out)
}

/// The end of a capture's decoding (see `Ending`): a damaged capture is an
/// error (after everything readable was printed); an empty result is said
/// on stderr and, with a filter, is a negative answer.
fn finish(
    args: &DecodeArgs,
    name: &str,
    spi: Option<Spi>,
    reader: &CaptureReader<'_>,
    printed: usize,
    out: &mut Output,
) -> anyhow::Result<Outcome> {
    let asked = Asked {
        summary: args.summary,
        filter: SummaryFilter { qcd: args.qcd, spi },
        extra_ports: !args.ports.is_empty(),
    };
    match Ending::of(name, reader.damaged(), printed, &asked) {
        Ending::Printed => Ok(Outcome::Success),
        Ending::Damaged(e) => {
            out.flush()?;
            Err(e.into())
        }
        Ending::Empty(empty) => {
            if !out.json && !out.quiet {
                out.flush()?;
                eprintln!("qcd: {}", empty.text);
            }
            Ok(if empty.negative {
                Outcome::Negative
            } else {
                Outcome::Success
            })
        }
    }
}

/// Whether stdout and stderr are the same terminal (the progress bar is
/// drawn on stderr).
fn stdout_shares_the_terminal() -> bool {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
        return false;
    }
    match (
        rustix::fs::fstat(std::io::stdout()),
        rustix::fs::fstat(std::io::stderr()),
    ) {
        (Ok(a), Ok(b)) => a.st_rdev == b.st_rdev,
        // Unknown: assume they are, and keep lines apart.
        _ => true,
    }
}

/// Prints the summary: NDJSON rows, or a table. Returns the number of rows.
fn print_summary(summary: &Summary, out: &mut Output) -> anyhow::Result<usize> {
    if out.json {
        for row in summary.rows() {
            out.json_line(&row)?;
        }
        return Ok(summary.len());
    }
    // Plain aligned columns, wide or narrow to fit the width: see
    // qcd::decode::table.
    let width = usize::from(out.width());
    SummaryTable::new(summary, width).write(out.writer()?)?;
    Ok(summary.len())
}
