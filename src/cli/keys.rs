//! `qcd keys convert`: turn a key log (tcpdump `-E` secrets, libreswan's
//! `plutodebug=private` lines, strongSwan charon's level-4 log) into a
//! Wireshark `ikev2_decryption_table`. Also how every command that takes
//! `--keys` loads it and prints the lines it skipped.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use qcd::ikecrypto::convert::Conversion;
use qcd::ikecrypto::keys::write_table;
use qcd::ikecrypto::{KeyFormat, KeyTable, KeyWarning};
use qcd::report::Output;

use super::Outcome;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Convert a key log into a Wireshark ikev2_decryption_table.
    ///
    /// Reads tcpdump -E secrets or libreswan's plutodebug=private lines
    /// (`ikev2 I|R 0xSPI-I 0xSPI-R INTEG:0xKEY ENC:0xKEY`), or a strongSwan
    /// charon log at `ike = 4` (Sk_ei/Sk_er/Sk_ai/Sk_ar hexdumps, SPIs and the
    /// selected proposal), and writes one Wireshark key table line per IKE SA.
    /// Lines that cannot be used are skipped with a warning naming the line;
    /// warnings never show keys. The output holds keys: it is written with
    /// mode 0600, atomically.
    ///
    /// Exit 0 when at least one SA was converted, 1 when the input holds no
    /// key line, 2 on errors (including key lines none of which is usable).
    #[command(after_long_help = "Examples:\n  \
        qcd keys convert --from tcpdump ikev2pI2-secrets.txt --out ikev2_decryption_table\n  \
        journalctl -u ipsec | qcd keys convert --from libreswan - --out keys.table\n  \
        qcd keys convert --from charon /var/log/charon.log --out - | less")]
    Convert(ConvertArgs),
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The format of INPUT.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: FromFormat,
    /// The key log to read; `-` reads stdin.
    #[arg(value_name = "INPUT", default_value = "-")]
    pub input: PathBuf,
    /// Where to write the table (mode 0600, atomically); `-` is stdout.
    #[arg(long, value_name = "FILE", default_value = "-")]
    pub out: PathBuf,
}

/// Key log formats `--from` takes.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FromFormat {
    /// tcpdump -E secrets: `ikev2 I|R 0xSPI-I 0xSPI-R sha1:0x… aes128:0x…`.
    Tcpdump,
    /// libreswan with plutodebug=private: the same lines, libreswan's names.
    Libreswan,
    /// strongSwan charon log at ike = 4.
    Charon,
    /// A Wireshark table (checked and rewritten, skipped lines dropped).
    Wireshark,
}

impl From<FromFormat> for KeyFormat {
    fn from(f: FromFormat) -> KeyFormat {
        match f {
            FromFormat::Tcpdump => KeyFormat::Tcpdump,
            FromFormat::Libreswan => KeyFormat::Libreswan,
            FromFormat::Charon => KeyFormat::Charon,
            FromFormat::Wireshark => KeyFormat::Wireshark,
        }
    }
}

pub fn run(cmd: KeysCommand, out: &mut Output) -> anyhow::Result<Outcome> {
    match cmd {
        KeysCommand::Convert(a) => convert(a, out),
    }
}

fn convert(a: ConvertArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let to_stdout = a.out.as_os_str() == "-";
    if to_stdout && out.json {
        bail!("--json prints the summary on stdout: give --out FILE for the table");
    }
    let c = Conversion::read(a.from.into(), &a.input, &mut std::io::stdin().lock())?;
    print_warnings(c.table.warnings());
    if c.table.is_empty() {
        if out.json {
            out.json_line(&c.summary(&a.out))?;
        } else if !out.quiet {
            eprintln!(
                "qcd: no {} key line in {}: nothing written",
                c.format.name(),
                c.input
            );
        }
        return Ok(Outcome::Negative);
    }
    let text = c.wireshark_text();
    if to_stdout {
        if std::io::stdout().is_terminal() && !out.quiet {
            eprintln!("qcd: note: the table below holds keys; use --out FILE to keep it private");
        }
        out.writer()?.write_all(text.as_bytes())?;
        return Ok(Outcome::Success);
    }
    write_table(&a.out, &text)?;
    if out.json {
        out.json_line(&c.summary(&a.out))?;
    } else {
        out.line(&c.written_message(&a.out))?;
    }
    Ok(Outcome::Success)
}

/// Each skipped key line as `qcd: warning: FILE:LINE: FIELD: REASON (line
/// skipped)` on stderr, in text and in --json mode alike (stdout stays the
/// command's data).
pub fn print_warnings(warnings: &[KeyWarning]) {
    for w in warnings {
        eprintln!("qcd: warning: {w}");
    }
}

/// Loads `--keys` (any format, detected) and prints its skipped lines.
pub fn load_keys(path: &Path) -> anyhow::Result<KeyTable> {
    let t = KeyTable::load(path).context("cannot load --keys")?;
    print_warnings(t.warnings());
    Ok(t)
}
