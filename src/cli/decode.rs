//! `qcd decode`: decode IKEv2 messages and payloads from hex, xxd or
//! hexdump -C text given on the command line, in a file, or on stdin.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use qcd::decode::{self, input, text, As};
use qcd::report::{Output, Style};

use super::Outcome;

#[derive(Args, Debug)]
#[command(after_long_help = "Examples:\n  \
    qcd decode --hex '0000000801000004'\n  \
    xxd reply.bin | qcd decode -\n  \
    qcd decode --json --offsets reply.hex")]
pub struct DecodeArgs {
    /// File of hex, xxd or hexdump -C text; `-` reads stdin.
    ///
    /// Whitespace, newlines, colons and 0x prefixes are ignored; xxd and
    /// hexdump -C dumps lose their offset and ASCII columns.
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

    /// What the bytes are, instead of detecting it.
    ///
    /// `message`: an IKEv2 message (optionally after the 4-byte non-ESP
    /// marker of UDP 4500); `payload`: one Notify payload with its generic
    /// header. By default a message is recognised by its header (major
    /// version 2, length equal to the data); anything else is a payload.
    #[arg(long = "as", value_enum, value_name = "KIND")]
    pub as_kind: Option<AsKind>,

    /// Show each payload's byte offset in the input.
    #[arg(long)]
    pub offsets: bool,
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
    let (source, bytes) = read_bytes(&args)?;
    let decoded = decode::decode_bytes(&bytes, args.as_kind.map(As::from))
        .with_context(|| format!("cannot decode {source}"))?;
    if out.json {
        out.json_line(&decoded)?;
    } else {
        let opts = text::TreeOptions {
            offsets: args.offsets,
        };
        for line in text::tree(&decoded, opts) {
            if line.warning {
                let t = out.paint(Style::Warn, &line.text);
                out.answer(&t)?;
            } else {
                out.answer(&line.text)?;
            }
        }
    }
    Ok(Outcome::Success)
}

fn read_bytes(args: &DecodeArgs) -> anyhow::Result<(String, Vec<u8>)> {
    if let Some(hex) = &args.hex {
        let (_, b) = input::parse_text(hex).context("cannot read --hex")?;
        return Ok(("--hex".to_string(), b));
    }
    let path = args
        .file
        .as_ref()
        .context("give a FILE, `-` for stdin, or --hex")?;
    let (name, contents) = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read stdin")?;
        ("stdin".to_string(), buf)
    } else {
        let buf = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        (path.display().to_string(), buf)
    };
    let (_, b) =
        input::bytes_from_contents(&contents).with_context(|| format!("cannot read {name}"))?;
    Ok((name, b))
}
