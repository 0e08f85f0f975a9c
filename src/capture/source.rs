//! Where a capture comes from: a file, or standard input (`-`), read to
//! its end, or followed as it is written.
//!
//! Following ([`Source::open_follow`]) reads a pipe, a FIFO or standard
//! input as data arrives, and a regular file like `tail -f`: at its end the
//! reader waits for more instead of ending, so `tcpdump -w cap.pcap` can
//! write it meanwhile. It ends at the end of a pipe, or when the caller
//! raises the stop flag.

use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{CaptureError, CaptureReader, ReadOptions};

/// A capture to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file (or a FIFO, or a device) by its path.
    Path(PathBuf),
    /// Standard input: a pipe from `tcpdump -w -`, `tshark -w -`, `cat`.
    Stdin,
}

impl Source {
    /// The command-line convention: `-` is standard input, anything else a path.
    pub fn from_arg(arg: &OsStr) -> Source {
        if arg == "-" {
            Source::Stdin
        } else {
            Source::Path(PathBuf::from(arg))
        }
    }

    /// The file's path, when it is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Path(p) => Some(p),
            Source::Stdin => None,
        }
    }

    /// Opens the capture to read it to its end.
    pub fn open(&self, opts: ReadOptions) -> Result<CaptureReader<'static>, CaptureError> {
        match self {
            Source::Path(p) => CaptureReader::open(p, opts),
            Source::Stdin => CaptureReader::new(io::stdin().lock(), &self.to_string(), opts),
        }
    }

    /// Opens the capture to follow it: every read is handed on as it comes
    /// ([`ReadOptions::live`]); a regular file is read past its current end as
    /// it grows (checked every `poll`) until `stop` is raised. Blocks until
    /// the capture's header has arrived (or a FIFO's writer opened it).
    pub fn open_follow(
        &self,
        opts: ReadOptions,
        stop: Arc<AtomicBool>,
        poll: Duration,
    ) -> Result<CaptureReader<'static>, CaptureError> {
        self.open_follow_with(opts, stop, poll, |r| r)
    }

    /// [`Source::open_follow`], reading through `wrap(input)` (which may
    /// act before each read, e.g. hand on what was parsed so far).
    pub fn open_follow_with<R: Read + 'static>(
        &self,
        opts: ReadOptions,
        stop: Arc<AtomicBool>,
        poll: Duration,
        wrap: impl FnOnce(Box<dyn Read>) -> R,
    ) -> Result<CaptureReader<'static>, CaptureError> {
        let opts = ReadOptions { live: true, ..opts };
        let name = self.to_string();
        match self {
            Source::Stdin => CaptureReader::new(wrap(Box::new(io::stdin().lock())), &name, opts),
            Source::Path(p) => {
                let file = File::open(p).map_err(|source| CaptureError::Open {
                    path: p.clone(),
                    source,
                })?;
                let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
                let input: Box<dyn Read> = if regular {
                    Box::new(Tail { file, stop, poll })
                } else {
                    Box::new(file)
                };
                CaptureReader::new(wrap(input), &name, opts)
            }
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Path(p) => write!(f, "{}", p.display()),
            Source::Stdin => f.write_str("standard input"),
        }
    }
}

/// A regular file read like `tail -f`: its end means "not yet", until stop.
struct Tail {
    file: File,
    stop: Arc<AtomicBool>,
    poll: Duration,
}

impl Read for Tail {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.file.read(buf)?;
            if n > 0 || buf.is_empty() || self.stop.load(Ordering::Relaxed) {
                return Ok(n);
            }
            std::thread::sleep(self.poll);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn dash_is_standard_input() {
        assert_eq!(Source::from_arg(OsStr::new("-")), Source::Stdin);
        assert_eq!(
            Source::from_arg(OsStr::new("./-")),
            Source::Path("./-".into())
        );
        assert_eq!(Source::Stdin.to_string(), "standard input");
    }

    #[test]
    fn a_followed_file_is_read_as_it_grows_until_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grow.pcap");
        let mut file = File::create(&path).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let mut tail = Tail {
            file: File::open(&path).unwrap(),
            stop: stop.clone(),
            poll: Duration::from_millis(5),
        };
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            file.write_all(b"more").unwrap();
            file.flush().unwrap();
        });
        let mut buf = [0u8; 8];
        // Waits at the end for the writer, instead of returning 0.
        assert_eq!(tail.read(&mut buf).unwrap(), 4);
        writer.join().unwrap();
        stop.store(true, Ordering::Relaxed);
        assert_eq!(tail.read(&mut buf).unwrap(), 0);
    }
}
