//! The secret `qcd secret import` adopts: where it is read from (a file, a
//! pipe, or a no-echo prompt when stdin is a terminal), how it is encoded
//! (`--format`, else the target's), and its decoding under the one size
//! policy of [`super::ops::decode_secret`]. The prompt itself is the
//! caller's (a terminal is no library's business); this module decides
//! when it is used and what it may carry.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::ops::{self, OpError};
use super::store::LoadOptions;
use super::target::Target;
use crate::encoding::ByteFormat;
use crate::secretmem::SecretBytes;

/// Why the secret to import could not be read. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Op(#[from] OpError),
    #[error("raw secret bytes cannot be typed at a prompt: use --in FILE, or pipe them to stdin")]
    RawAtPrompt,
    #[error("cannot read the secret from the terminal: {0}")]
    Prompt(io::Error),
}

/// Where the secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportSource {
    File(PathBuf),
    Stdin,
    /// A no-echo prompt on the terminal.
    Prompt,
}

impl ImportSource {
    /// `--in FILE`; `--in -` or a pipe: stdin; neither, on a terminal: a prompt.
    pub fn choose(input: Option<&Path>, stdin_is_terminal: bool) -> ImportSource {
        match input {
            Some(p) if p != Path::new("-") => ImportSource::File(p.to_path_buf()),
            None if stdin_is_terminal => ImportSource::Prompt,
            _ => ImportSource::Stdin,
        }
    }
}

/// `--format`, else the target's format; neither is an error.
pub fn import_format(
    given: Option<ByteFormat>,
    target: Option<Target>,
) -> Result<ByteFormat, OpError> {
    given
        .or(target.map(|t| t.spec().format))
        .ok_or(OpError::NoFormat)
}

/// What the secret is read with.
pub struct ImportInput<'a> {
    pub source: &'a ImportSource,
    pub format: ByteFormat,
    /// A file may belong to the target daemon's account.
    pub target: Option<Target>,
    pub load: LoadOptions,
}

/// Reads and decodes the secret; returns it with the name of its source
/// (the file, `stdin` or `the prompt`). `prompt` asks for the text with
/// the message it is given, without echo.
pub fn read_import_secret(
    input: &ImportInput<'_>,
    stdin: impl Read,
    prompt: impl FnOnce(&str) -> io::Result<String>,
) -> Result<(SecretBytes, String), InputError> {
    let (raw, source) = match input.source {
        ImportSource::File(p) => (
            ops::read_secret_file(p, &input.load, ops::target_owners(input.target))?,
            p.display().to_string(),
        ),
        ImportSource::Prompt => {
            if input.format == ByteFormat::Raw {
                return Err(InputError::RawAtPrompt);
            }
            let typed = Zeroizing::new(
                prompt(&format!(
                    "QCD secret to import ({}): ",
                    ops::format_name(input.format)
                ))
                .map_err(InputError::Prompt)?,
            );
            (
                Zeroizing::new(typed.as_bytes().to_vec()),
                "the prompt".to_string(),
            )
        }
        ImportSource::Stdin => (
            ops::read_secret_stream(stdin, "stdin")?,
            "stdin".to_string(),
        ),
    };
    Ok((ops::decode_secret(input.format, &raw, &source)?, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(ImportSource::choose(None, true), ImportSource::Prompt);
        assert_eq!(ImportSource::choose(None, false), ImportSource::Stdin);
        assert_eq!(
            ImportSource::choose(Some(Path::new("-")), true),
            ImportSource::Stdin
        );
        assert_eq!(
            ImportSource::choose(Some(Path::new("f")), true),
            ImportSource::File("f".into())
        );
    }

    #[test]
    fn formats() {
        assert!(matches!(import_format(None, None), Err(OpError::NoFormat)));
        assert_eq!(
            import_format(None, Some(Target::Racoon2)).unwrap(),
            ByteFormat::Raw
        );
        assert_eq!(
            import_format(Some(ByteFormat::Hex), Some(Target::Racoon2)).unwrap(),
            ByteFormat::Hex
        );
    }

    #[test]
    fn prompts_carry_text_only_and_sizes_are_checked() {
        let input = |format| ImportInput {
            source: &ImportSource::Prompt,
            format,
            target: None,
            load: LoadOptions::default(),
        };
        let never = |_: &str| -> io::Result<String> { panic!("no prompt for raw bytes") };
        assert!(matches!(
            read_import_secret(&input(ByteFormat::Raw), io::empty(), never),
            Err(InputError::RawAtPrompt)
        ));
        let (s, from) = read_import_secret(&input(ByteFormat::Hex), io::empty(), |m| {
            assert_eq!(m, "QCD secret to import (hex): ");
            Ok("ab".repeat(16))
        })
        .unwrap();
        assert_eq!((s.len(), from.as_str()), (16, "the prompt"));
        let e = read_import_secret(&input(ByteFormat::Hex), io::empty(), |_| Ok("abab".into()))
            .unwrap_err();
        assert!(e.to_string().contains("must be 16 to 1024 bytes"), "{e}");
        let stdin = ImportInput {
            source: &ImportSource::Stdin,
            ..input(ByteFormat::Base64)
        };
        let (s, from) =
            read_import_secret(&stdin, "AAECAwQFBgcICQoLDA0ODw==\n".as_bytes(), never).unwrap();
        assert_eq!((s.len(), from.as_str()), (16, "stdin"));
    }
}
