//! Safe file access: how qcd opens every file it reads or writes.
//!
//! - **Regular files only.** Files are opened with `O_NONBLOCK` (a FIFO or a
//!   device cannot block the open) and checked with `fstat` before a byte is
//!   read: FIFOs, devices, sockets and directories are refused. Stdin (`-`)
//!   is the callers' business and stays allowed.
//! - **Bounded reads.** Each kind of file has a documented size cap
//!   ([`Limit`]): a larger file is refused from its size before anything is
//!   allocated (a sparse 1 TB file fails at once), and the read itself stops
//!   at the cap (a file that grows while being read is refused too).
//! - **Private files** (keyrings, `--secret-file`, `--in`): like ssh with its
//!   keys, the file must belong to the effective user (root uses root's files
//!   only), carry no group/other permission bits (unless explicitly allowed),
//!   and sit in directories nobody else can change: every directory from `/`
//!   down to the file's must be owned by the user or root and, when writable
//!   by group or others, sticky (like `/tmp`, where only a file's owner may
//!   rename or remove it).
//! - **Writes** ([`resolve_for_write`], [`check_replaceable`], [`open_lock`]):
//!   a symbolic link is resolved once and its target written (the link
//!   stays); a target with other hard links is refused (they would keep the
//!   old content readable); lock files are opened with `O_NOFOLLOW` and must
//!   be regular files of ours.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

use rustix::fs::OFlags;
use zeroize::Zeroizing;

mod atomic;
pub use atomic::{
    fault_point, remove_stale_temps, write_atomic, write_atomic_as, FAULT_ENV, TEMP_SUFFIX,
};

/// The size cap of one kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What the file is, for messages ("keyring", "manifest", …).
    pub what: &'static str,
    /// The largest accepted size in bytes.
    pub max: u64,
}

const MIB: u64 = 1 << 20;

/// Keyrings: 64 MiB, about 140,000 generations (a daily rotation for 380 years).
pub const KEYRING: Limit = Limit {
    what: "keyring",
    max: 64 * MIB,
};
/// Manifests (`qcd secret list --json`): 64 MiB, the same scale as keyrings.
pub const MANIFEST: Limit = Limit {
    what: "manifest",
    max: 64 * MIB,
};
/// Audit inventories: 16 MiB.
pub const INVENTORY: Limit = Limit {
    what: "inventory",
    max: 16 * MIB,
};
/// Key tables (Wireshark's `ikev2_decryption_table`): 64 MiB, about 200,000 SAs.
pub const KEY_TABLE: Limit = Limit {
    what: "key table",
    max: 64 * MIB,
};
/// Secret files (`--in`, `--secret-file`, `export --out`): 16 KiB. A secret
/// is at most 1024 bytes, i.e. 2048 hex digits; the cap leaves room for
/// separators, `0x` prefixes and line breaks.
pub const SECRET_FILE: Limit = Limit {
    what: "secret file",
    max: 16 * 1024,
};
/// Small system files (`/etc/passwd`, `/etc/hostname`): 16 MiB.
pub const SYSTEM_FILE: Limit = Limit {
    what: "system file",
    max: 16 * MIB,
};

/// Who may own a private file besides the effective user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Owners {
    /// Only the effective user (root: root's files only). The default.
    #[default]
    Me,
    /// The effective user or this uid (e.g. a daemon's own account).
    MeOr(u32),
    /// Anyone: for read-only uses that never hand the secret out (audits).
    Anyone,
}

impl Owners {
    fn allows(self, uid: u32) -> bool {
        match self {
            Owners::Me => uid == euid(),
            Owners::MeOr(other) => uid == euid() || uid == other,
            Owners::Anyone => true,
        }
    }
}

/// How strictly a private file is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Privacy {
    /// Accept group/other permission bits on the file itself.
    pub allow_group_other: bool,
    /// Who may own the file.
    pub owners: Owners,
}

/// What is wrong with a file or with the way to it.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path} does not exist")]
    NotFound { path: PathBuf },
    #[error("the directory {dir} does not exist: create it first (`mkdir -m 700 {dir}`)")]
    NoDirectory { dir: PathBuf },
    #[error("{path} is {kind}, not a regular file: qcd reads and writes regular files only (use `-` for stdin)")]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{path} is {size} bytes, over the {limit} limit for a {what}: this is not a {what}, or it is damaged")]
    TooLarge {
        path: PathBuf,
        what: &'static str,
        size: u64,
        limit: Size,
    },
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },
    #[error("{path} is owned by {owner}, not by you ({me}): qcd uses only secret files that belong to the user running it, so that nobody else can read or swap the secret. Run qcd as its owner, or, if the file is really yours to use, `chown {me_name} {path}`")]
    ForeignOwner {
        path: PathBuf,
        owner: UserName,
        me: UserName,
        me_name: String,
    },
    #[error("{path} is accessible by group or others (mode {mode:04o}): QCD secrets must be private. Run `chmod 600 {path}` (or pass --allow-insecure-permissions)")]
    InsecurePermissions { path: PathBuf, mode: u32 },
    #[error("{path} is in {dir}, which {problem} (owner {owner}, mode {mode:04o}), so another user could replace it: {fix}")]
    UnsafeDirectory {
        path: PathBuf,
        dir: PathBuf,
        problem: &'static str,
        owner: UserName,
        mode: u32,
        fix: String,
    },
    #[error("{path} has {links} hard links: replacing it would leave its old content (secrets included) readable through the other links. Find them with `find / -xdev -samefile {path}`, remove them, and retry")]
    HardLinks { path: PathBuf, links: u64 },
    #[error("{path}: cannot give the file to its owner {uid}:{gid} (the owner of the file it replaces, or --owner): {source}; run as that user or root")]
    Owner {
        path: PathBuf,
        uid: u32,
        gid: u32,
        source: io::Error,
    },
    #[error("{path} is a symbolic link: qcd does not follow links to its lock files. Remove it (`rm {path}`) and retry")]
    SymlinkLock { path: PathBuf },
    #[error("{path}: the symbolic link {link} {reason}: qcd follows a link to write only when it belongs to you or root and no one else can replace it. Remove the link, or give the real path")]
    UnsafeLink {
        path: PathBuf,
        link: PathBuf,
        reason: String,
    },
    #[error("{path}: too many levels of symbolic links")]
    SymlinkLoop { path: PathBuf },
}

impl FileError {
    /// The error as an `io::Error` whose text does not repeat the path, for
    /// callers whose own message names the file ("cannot read key table X: …").
    pub fn into_io(self) -> io::Error {
        match self {
            FileError::NotFound { .. } => {
                io::Error::from_raw_os_error(rustix::io::Errno::NOENT.raw_os_error())
            }
            FileError::Io { source, .. } => source,
            FileError::NotRegular { kind, .. } => io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("it is {kind}, not a regular file"),
            ),
            FileError::TooLarge {
                what, size, limit, ..
            } => io::Error::new(
                io::ErrorKind::InvalidData,
                format!("it is {size} bytes, over the {limit} limit for a {what}"),
            ),
            e => io::Error::other(e.to_string()),
        }
    }

    /// A directory on the way to a file could not be resolved.
    fn dir(dir: &Path, source: io::Error) -> FileError {
        if source.kind() == io::ErrorKind::NotFound {
            FileError::NoDirectory {
                dir: dir.to_path_buf(),
            }
        } else {
            FileError::Io {
                path: dir.to_path_buf(),
                action: "cannot resolve the directory",
                source,
            }
        }
    }

    fn io(path: &Path, action: &'static str, source: io::Error) -> FileError {
        if source.kind() == io::ErrorKind::NotFound {
            FileError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            FileError::Io {
                path: path.to_path_buf(),
                action,
                source,
            }
        }
    }
}

/// A byte count printed as people write it (`16 KiB`, `64 MiB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            n if n >= MIB && n % MIB == 0 => write!(f, "{} MiB", n / MIB),
            n if n >= 1024 && n % 1024 == 0 => write!(f, "{} KiB", n / 1024),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// A uid with its user name when known: `uid 1000 (alice)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(pub u32);

impl std::fmt::Display for UserName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match user_name(self.0) {
            Some(name) => write!(f, "uid {} ({name})", self.0),
            None => write!(f, "uid {}", self.0),
        }
    }
}

/// The effective user id of this process.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Resolves a uid through /etc/passwd (no NSS; good enough for local users).
pub fn user_name(uid: u32) -> Option<String> {
    let text = read_string(Path::new("/etc/passwd"), &SYSTEM_FILE).ok()?;
    text.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let _pw = f.next()?;
        (f.next()?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
}

/// The uid and primary gid of the user `name`, through /etc/passwd (no NSS).
pub fn user_ids(name: &str) -> Option<(u32, u32)> {
    let text = read_string(Path::new("/etc/passwd"), &SYSTEM_FILE).ok()?;
    text.lines().find_map(|line| {
        let mut f = line.split(':');
        if f.next()? != name {
            return None;
        }
        let _pw = f.next()?;
        let uid = f.next()?.parse::<u32>().ok()?;
        let gid = f.next()?.parse::<u32>().ok()?;
        Some((uid, gid))
    })
}

/// What kind of non-regular file `meta` describes, for messages.
fn kind_of(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

fn must_be_regular(path: &Path, meta: &Metadata) -> Result<(), FileError> {
    if meta.is_file() {
        Ok(())
    } else {
        Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(meta),
        })
    }
}

fn must_fit(path: &Path, size: u64, limit: &Limit) -> Result<(), FileError> {
    if size > limit.max {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            what: limit.what,
            size,
            limit: Size(limit.max),
        });
    }
    Ok(())
}

fn flags(f: OFlags) -> i32 {
    f.bits() as i32
}

/// Opens `path` for reading (symbolic links followed): a regular file of at
/// most `limit.max` bytes. The open cannot block on a FIFO or device.
pub fn open_read(path: &Path, limit: &Limit) -> Result<(File, Metadata), FileError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags(OFlags::NONBLOCK | OFlags::NOCTTY))
        .open(path)
        .map_err(|e| FileError::io(path, "cannot open", e))?;
    let meta = file
        .metadata()
        .map_err(|e| FileError::io(path, "cannot stat", e))?;
    must_be_regular(path, &meta)?;
    must_fit(path, meta.len(), limit)?;
    Ok((file, meta))
}

/// Reads `reader` to its end, refusing more than `limit.max` bytes, into a
/// buffer wiped on drop. `size_hint` (the file's size) sizes the buffer.
pub fn read_bounded(
    reader: impl Read,
    path: &Path,
    size_hint: u64,
    limit: &Limit,
) -> Result<Zeroizing<Vec<u8>>, FileError> {
    let cap = size_hint.min(limit.max) as usize + 1;
    let mut buf = Zeroizing::new(Vec::with_capacity(cap));
    reader
        .take(limit.max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| FileError::io(path, "cannot read", e))?;
    must_fit(path, buf.len() as u64, limit)?;
    Ok(buf)
}

/// Reads a whole regular file of at most `limit.max` bytes.
pub fn read(path: &Path, limit: &Limit) -> Result<(Zeroizing<Vec<u8>>, Metadata), FileError> {
    let (file, meta) = open_read(path, limit)?;
    let buf = read_bounded(file, path, meta.len(), limit)?;
    Ok((buf, meta))
}

/// Reads a whole regular text file (UTF-8) of at most `limit.max` bytes.
/// For files that hold no secret: the buffer is not wiped.
pub fn read_string(path: &Path, limit: &Limit) -> Result<String, FileError> {
    let (mut buf, _) = read(path, limit)?;
    String::from_utf8(std::mem::take(&mut *buf)).map_err(|_| FileError::Io {
        path: path.to_path_buf(),
        action: "cannot read",
        source: io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ),
    })
}

/// Reads a private file (keyring or secret file): the directories leading to
/// it are safe, it is a regular file of ours with private permissions, and at
/// most `limit.max` bytes. Returns its bytes in a wiped-on-drop buffer.
pub fn read_private(
    path: &Path,
    limit: &Limit,
    privacy: &Privacy,
) -> Result<(Zeroizing<Vec<u8>>, Metadata), FileError> {
    let (file, meta) = open_read(path, limit)?;
    check_private(path, &meta, privacy)?;
    if privacy.owners != Owners::Anyone {
        check_directories(path, privacy.owners)?;
    }
    let buf = read_bounded(file, path, meta.len(), limit)?;
    Ok((buf, meta))
}

/// Checks the owner and permission bits of an opened private file.
pub fn check_private(path: &Path, meta: &Metadata, privacy: &Privacy) -> Result<(), FileError> {
    if !privacy.owners.allows(meta.uid()) {
        let me = euid();
        return Err(FileError::ForeignOwner {
            path: path.to_path_buf(),
            owner: UserName(meta.uid()),
            me: UserName(me),
            me_name: user_name(me).unwrap_or_else(|| me.to_string()),
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 && !privacy.allow_group_other {
        return Err(FileError::InsecurePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Checks that nobody but us (or root, or `owners`' other uid) can replace
/// `path` or the directories leading to it: for the directory that holds it
/// as written and, when it is a symbolic link, the one that holds its
/// target, every directory from there up to `/` must be owned by us or root
/// and, if group- or other-writable, sticky.
pub fn check_directories(path: &Path, owners: Owners) -> Result<(), FileError> {
    if owners == Owners::Anyone {
        return Ok(());
    }
    let lexical = parent_dir(path);
    let mut dirs = vec![fs::canonicalize(lexical).map_err(|e| FileError::dir(lexical, e))?];
    if let Ok(target) = fs::canonicalize(path) {
        let d = parent_dir(&target).to_path_buf();
        if d != dirs[0] {
            dirs.push(d);
        }
    }
    let me = euid();
    for start in dirs {
        let mut dir = Some(start.as_path());
        while let Some(d) = dir {
            let meta = fs::metadata(d).map_err(|e| FileError::io(d, "cannot stat", e))?;
            let mode = meta.mode() & 0o7777;
            let uid = meta.uid();
            let owner_ok = uid == me || uid == 0 || matches!(owners, Owners::MeOr(o) if o == uid);
            let writable = mode & 0o022 != 0;
            let sticky = mode & 0o1000 != 0;
            let problem = if !owner_ok {
                Some("belongs to another user")
            } else if writable && !sticky {
                Some("is writable by group or others")
            } else {
                None
            };
            if let Some(problem) = problem {
                let fix = if owner_ok {
                    format!(
                        "run `chmod go-w {}` (or `chmod +t` to make it sticky), or keep the file in a directory only you can write",
                        d.display()
                    )
                } else {
                    "keep the file in a directory owned by you or root".to_string()
                };
                return Err(FileError::UnsafeDirectory {
                    path: path.to_path_buf(),
                    dir: d.to_path_buf(),
                    problem,
                    owner: UserName(uid),
                    mode,
                    fix,
                });
            }
            dir = d.parent();
        }
    }
    Ok(())
}

/// The file a write to `path` must replace: every symbolic link on the way
/// (in the directories and in the last component) is resolved once, so that
/// the checks, the lock, the temporary file and the rename all concern the
/// same file, and a link stays a link (its target is replaced). A dangling
/// link resolves to the file it names (which the write creates).
///
/// A link is followed only when it belongs to us or root and sits in a
/// directory that others cannot change (not writable by group or others, or
/// sticky): a link planted by someone else, e.g. in `/tmp`, is refused, so a
/// write can never be redirected to a file of the attacker's choosing.
pub fn resolve_for_write(path: &Path) -> Result<PathBuf, FileError> {
    let mut resolved = if path.is_absolute() {
        PathBuf::from("/")
    } else {
        fs::canonicalize(".").map_err(|e| FileError::io(Path::new("."), "cannot resolve", e))?
    };
    let mut pending: Vec<std::ffi::OsString> = path
        .components()
        .rev()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    if pending.first().is_none_or(|last| last == "..") {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind: "a directory",
        });
    }
    let mut links = 0;
    while let Some(name) = pending.pop() {
        if name == ".." {
            resolved.pop();
            continue;
        }
        let candidate = resolved.join(&name);
        let meta = match fs::symlink_metadata(&candidate) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound && pending.is_empty() => {
                resolved = candidate;
                break;
            }
            Err(e) => return Err(FileError::dir(&candidate, e)),
        };
        if !meta.file_type().is_symlink() {
            resolved = candidate;
            continue;
        }
        links += 1;
        if links > 40 {
            return Err(FileError::SymlinkLoop {
                path: path.to_path_buf(),
            });
        }
        check_link(path, &candidate, &resolved, &meta)?;
        let target = fs::read_link(&candidate)
            .map_err(|e| FileError::io(&candidate, "cannot read the link", e))?;
        if target.is_absolute() {
            resolved = PathBuf::from("/");
        }
        for c in target.components().rev() {
            match c {
                Component::Normal(n) => pending.push(n.to_os_string()),
                Component::ParentDir => pending.push("..".into()),
                _ => {}
            }
        }
    }
    Ok(resolved)
}

/// A symbolic link may be followed for a write only if it is ours or root's,
/// in a directory others cannot change.
fn check_link(path: &Path, link: &Path, dir: &Path, meta: &Metadata) -> Result<(), FileError> {
    let dir_meta = fs::metadata(dir).map_err(|e| FileError::io(dir, "cannot stat", e))?;
    let dir_mode = dir_meta.mode() & 0o7777;
    let reason = if meta.uid() != euid() && meta.uid() != 0 {
        Some(format!("belongs to {}", UserName(meta.uid())))
    } else if dir_mode & 0o022 != 0 && dir_mode & 0o1000 == 0 {
        Some(format!(
            "is in {}, which is writable by group or others (mode {dir_mode:04o})",
            dir.display()
        ))
    } else {
        None
    };
    match reason {
        Some(reason) => Err(FileError::UnsafeLink {
            path: path.to_path_buf(),
            link: link.to_path_buf(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Checks that `path` (already resolved) can be replaced by a write: it is
/// missing, or a regular file with no other hard link. Returns its metadata
/// when it exists.
pub fn check_replaceable(path: &Path) -> Result<Option<Metadata>, FileError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FileError::io(path, "cannot stat", e)),
    };
    must_be_regular(path, &meta)?;
    if meta.nlink() > 1 {
        return Err(FileError::HardLinks {
            path: path.to_path_buf(),
            links: meta.nlink(),
        });
    }
    Ok(Some(meta))
}

/// Opens (creating it 0600 if needed) a lock file: never through a symbolic
/// link (`O_NOFOLLOW`), never blocking on a FIFO or device (`O_NONBLOCK`,
/// then `fstat`), and only a regular file owned by us (someone else's file
/// there could be held locked forever).
pub fn open_lock(path: &Path) -> Result<File, FileError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(flags(OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY))
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                FileError::SymlinkLock {
                    path: path.to_path_buf(),
                }
            } else if e.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error()) {
                FileError::NotRegular {
                    path: path.to_path_buf(),
                    kind: "a FIFO (named pipe) or device",
                }
            } else {
                FileError::io(path, "cannot open lock file", e)
            }
        })?;
    let meta = file
        .metadata()
        .map_err(|e| FileError::io(path, "cannot stat", e))?;
    must_be_regular(path, &meta)?;
    if meta.uid() != euid() {
        let me = euid();
        return Err(FileError::ForeignOwner {
            path: path.to_path_buf(),
            owner: UserName(meta.uid()),
            me: UserName(me),
            me_name: user_name(me).unwrap_or_else(|| me.to_string()),
        });
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mkfifo(p: &Path) {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            p,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
    }

    #[test]
    fn non_regular_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        for p in [fifo.as_path(), Path::new("/dev/zero"), dir.path()] {
            let e = read(p, &KEYRING).unwrap_err();
            assert!(matches!(e, FileError::NotRegular { .. }), "{p:?}: {e}");
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
        let e = open_lock(&fifo).unwrap_err();
        assert!(matches!(e, FileError::NotRegular { .. }), "{e}");
    }

    #[test]
    fn sizes_are_capped_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        let f = File::create(&p).unwrap();
        f.set_len(1 << 40).unwrap(); // sparse 1 TiB
        let t = std::time::Instant::now();
        let e = read(&p, &KEYRING).unwrap_err();
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
        let msg = e.to_string();
        assert!(
            msg.contains("1099511627776 bytes, over the 64 MiB limit for a keyring"),
            "{msg}"
        );
        // exactly at the cap is fine, one byte more is not
        let small = Limit { what: "x", max: 4 };
        fs::write(&p, b"1234").unwrap();
        assert_eq!(&read(&p, &small).unwrap().0[..], b"1234");
        fs::write(&p, b"12345").unwrap();
        assert!(matches!(read(&p, &small), Err(FileError::TooLarge { .. })));
        // a reader that yields more than its announced size is cut at the cap
        let e = read_bounded(&b"123456789"[..], &p, 0, &small).unwrap_err();
        assert!(matches!(e, FileError::TooLarge { size: 5, .. }), "{e}");
    }

    #[test]
    fn private_files_must_be_ours_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s");
        fs::write(&p, b"x").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_private(&p, &SECRET_FILE, &Privacy::default()).unwrap_err();
        assert!(e.to_string().contains("mode 0644"), "{e}");
        let lax = Privacy {
            allow_group_other: true,
            ..Privacy::default()
        };
        read_private(&p, &SECRET_FILE, &lax).unwrap();
        // A file owned by someone else: as root, make one; otherwise use a
        // system file owned by root.
        let foreign = if euid() == 0 {
            fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
            std::os::unix::fs::chown(&p, Some(4242), None).unwrap();
            p.clone()
        } else {
            PathBuf::from("/etc/passwd")
        };
        let e = read_private(&foreign, &SECRET_FILE, &lax).unwrap_err();
        assert!(matches!(e, FileError::ForeignOwner { .. }), "{e}");
        let uid = fs::metadata(&foreign).unwrap().uid();
        assert!(
            e.to_string().contains(&format!("owned by uid {uid}")),
            "{e}"
        );
        let trusted = Privacy {
            allow_group_other: true,
            owners: Owners::MeOr(uid),
        };
        read_private(&foreign, &SECRET_FILE, &trusted).unwrap();
    }

    #[test]
    fn directories_writable_by_others_are_refused_unless_sticky() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        fs::create_dir(&open).unwrap();
        let p = open.join("k");
        fs::write(&p, b"x").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        for (mode, ok) in [
            (0o777, false),
            (0o770, false),
            (0o1777, true),
            (0o755, true),
        ] {
            fs::set_permissions(&open, fs::Permissions::from_mode(mode)).unwrap();
            let r = read_private(&p, &SECRET_FILE, &Privacy::default());
            assert_eq!(r.is_ok(), ok, "mode {mode:o}: {r:?}");
            if let Err(e) = r {
                let msg = e.to_string();
                assert!(msg.contains("writable by group or others"), "{msg}");
                assert!(msg.contains("chmod go-w"), "{msg}");
            }
        }
        // a symbolic link in a safe directory to a file in an unsafe one
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        assert!(matches!(
            read_private(&link, &SECRET_FILE, &Privacy::default()),
            Err(FileError::UnsafeDirectory { .. })
        ));
    }

    #[test]
    fn writes_resolve_links_once_and_refuse_hard_links() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::write(&real, b"x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("real", &link).unwrap();
        let canon = fs::canonicalize(&real).unwrap();
        assert_eq!(resolve_for_write(&link).unwrap(), canon);
        assert_eq!(resolve_for_write(&real).unwrap(), canon);
        // dangling: the file the link names
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("missing", &dangling).unwrap();
        assert_eq!(
            resolve_for_write(&dangling).unwrap(),
            fs::canonicalize(dir.path()).unwrap().join("missing")
        );
        // a link in a directory others can write is not followed
        let open = dir.path().join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        let planted = open.join("k");
        std::os::unix::fs::symlink(&real, &planted).unwrap();
        let e = resolve_for_write(&planted).unwrap_err();
        assert!(matches!(e, FileError::UnsafeLink { .. }), "{e}");
        assert!(e.to_string().contains("writable by group or others"), "{e}");
        // ... nor, in a sticky one, a link that belongs to someone else
        fs::set_permissions(&open, fs::Permissions::from_mode(0o1777)).unwrap();
        assert_eq!(resolve_for_write(&planted).unwrap(), canon);
        if euid() == 0 {
            std::os::unix::fs::lchown(&planted, Some(4242), None).unwrap();
            let e = resolve_for_write(&planted).unwrap_err();
            assert!(e.to_string().contains("belongs to uid 4242"), "{e}");
        }
        // links in the directory part are resolved too
        let dirlink = dir.path().join("dirlink");
        std::os::unix::fs::symlink(dir.path(), &dirlink).unwrap();
        assert_eq!(resolve_for_write(&dirlink.join("link")).unwrap(), canon);
        assert_eq!(
            resolve_for_write(&dir.path().join("open/../real")).unwrap(),
            canon
        );
        // loops
        let a = dir.path().join("a");
        std::os::unix::fs::symlink("a", &a).unwrap();
        assert!(matches!(
            resolve_for_write(&a),
            Err(FileError::SymlinkLoop { .. })
        ));
        assert!(check_replaceable(&real).unwrap().is_some());
        assert!(check_replaceable(&dir.path().join("none"))
            .unwrap()
            .is_none());
        fs::hard_link(&real, dir.path().join("second")).unwrap();
        let e = check_replaceable(&real).unwrap_err();
        assert!(e.to_string().contains("has 2 hard links"), "{e}");
    }

    #[test]
    fn lock_files_are_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        let lock = dir.path().join("k.lock");
        std::os::unix::fs::symlink(&victim, &lock).unwrap();
        let e = open_lock(&lock).unwrap_err();
        assert!(matches!(e, FileError::SymlinkLock { .. }), "{e}");
        assert!(!victim.exists());
        fs::remove_file(&lock).unwrap();
        open_lock(&lock).unwrap();
        let mode = fs::metadata(&lock).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
