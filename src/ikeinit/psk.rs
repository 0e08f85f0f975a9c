//! The pre-shared key, from a private file (never from the command line):
//! the file's bytes, one trailing line break removed, or hex after `0x`
//! (as strongSwan's `secrets` write it). Held zeroized.

use std::path::Path;

use super::InitError;
use crate::fsio::{self, Owners, Privacy};
use crate::secretmem::SecretBytes;

/// Why `--auth` names no PSK qcd can read.
#[derive(Debug, thiserror::Error)]
pub enum PskArgError {
    #[error(
        "--auth psk: no terminal to prompt on; give the key in a private file with --auth psk:FILE"
    )]
    NoTerminal,
    #[error("cannot read the PSK from the terminal")]
    Prompt(#[source] std::io::Error),
    // The value is not echoed: it may be a key typed by mistake.
    #[error("--auth: write psk:FILE (the pre-shared key in a private file) or psk (a prompt); qcd never takes the key itself on the command line")]
    Form,
    #[error(transparent)]
    Psk(#[from] InitError),
}

/// The PSK `--auth` names: `psk:FILE` ([`read_psk_file`]), or `psk` alone
/// for a no-echo `prompt` (refused when stdin is no terminal).
pub fn read_psk_arg(
    arg: &str,
    stdin_is_terminal: bool,
    prompt: impl FnOnce(&str) -> std::io::Result<String>,
) -> Result<SecretBytes, PskArgError> {
    match arg.split_once(':') {
        Some(("psk", path)) if !path.is_empty() => Ok(read_psk_file(path.as_ref())?),
        None if arg == "psk" => {
            if !stdin_is_terminal {
                return Err(PskArgError::NoTerminal);
            }
            let typed = zeroize::Zeroizing::new(
                prompt("pre-shared key for --auth: ").map_err(PskArgError::Prompt)?,
            );
            Ok(parse_psk(typed.as_bytes(), "the prompt")?)
        }
        _ => Err(PskArgError::Form),
    }
}

/// Reads the PSK from `path`: a regular file of ours, mode 0600 or
/// stricter, at most 16 KiB.
pub fn read_psk_file(path: &Path) -> Result<SecretBytes, InitError> {
    let privacy = Privacy {
        allow_group_other: false,
        owners: Owners::default(),
    };
    let (raw, _) =
        fsio::read_private(path, &fsio::SECRET_FILE, &privacy).map_err(|e| InitError::Psk {
            origin: path.display().to_string(),
            reason: e.to_string(),
        })?;
    parse_psk(&raw, &path.display().to_string())
}

/// The PSK in `raw` (a file's or a prompt's bytes); `source` names it in errors.
pub fn parse_psk(raw: &[u8], source: &str) -> Result<SecretBytes, InitError> {
    let mut text = raw;
    if let Some(t) = text.strip_suffix(b"\n") {
        text = t.strip_suffix(b"\r").unwrap_or(t);
    }
    let bad = |reason: &str| InitError::Psk {
        origin: source.to_string(),
        reason: reason.to_string(),
    };
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    if let Some(hex_digits) = text.strip_prefix(b"0x") {
        let digits = zeroize::Zeroizing::new(hex_digits.to_vec());
        return hex::decode(&*digits).map(SecretBytes::new).map_err(|_| {
            bad("it starts with 0x but the rest is not an even number of hex digits")
        });
    }
    Ok(SecretBytes::from_slice(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_hex_and_line_breaks() {
        assert_eq!(parse_psk(b"s3cret\n", "t").unwrap().expose(), b"s3cret");
        assert_eq!(parse_psk(b"s3cret\r\n", "t").unwrap().expose(), b"s3cret");
        assert_eq!(parse_psk(b"two\n\n", "t").unwrap().expose(), b"two\n");
        assert_eq!(parse_psk(b"0x0aff\n", "t").unwrap().expose(), &[0x0a, 0xff]);
        assert!(parse_psk(b"\n", "t").is_err());
        let e = parse_psk(b"0xzz", "the prompt").unwrap_err().to_string();
        assert!(e.contains("the prompt") && e.contains("hex"), "{e}");
    }

    #[test]
    fn auth_argument_forms() {
        let never = |_: &str| -> std::io::Result<String> { panic!("no prompt expected") };
        for arg in ["s3cret", "psk:", "file:/x", "0xabcd"] {
            let e = read_psk_arg(arg, true, never).unwrap_err();
            assert!(matches!(e, PskArgError::Form), "{arg}: {e}");
        }
        // The value is never echoed: it may be the key itself.
        let e = read_psk_arg("s3cret", true, never).unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(matches!(
            read_psk_arg("psk", false, never),
            Err(PskArgError::NoTerminal)
        ));
        let typed = read_psk_arg("psk", true, |m| {
            assert_eq!(m, "pre-shared key for --auth: ");
            Ok("0x0aff".into())
        });
        assert_eq!(typed.unwrap().expose(), &[0x0a, 0xff]);
        assert!(matches!(
            read_psk_arg("psk:/nonexistent/qcd.psk", true, never),
            Err(PskArgError::Psk(_))
        ));
    }
}
