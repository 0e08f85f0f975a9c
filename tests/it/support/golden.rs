//! tshark's outputs kept as golden files under `tests/data/tshark/`.
//!
//! Spawning tshark costs about a second per run on a loaded 2-core machine,
//! so the differential tests are split in two:
//! - qcd is compared to the golden files in every run (no tshark needed);
//! - one test per golden family runs live tshark, once per capture (one
//!   spawn with every field the comparisons use, several captures at a
//!   time), and compares its output to the golden files byte for byte. That
//!   test skips with a message when tshark is missing locally and FAILS when
//!   it is missing under `CI=true` (CI installs tshark).
//!
//! Each golden file starts with `#` lines: the tshark version, the SHA-256
//! of the capture it was made from, and the command. A golden file whose
//! capture changed fails the comparison with qcd. To (re)make them after a
//! deliberate change of a capture or of tshark:
//!
//!     QCD_UPDATE_GOLDEN=1 cargo test --test it live_tshark_matches_golden_files
#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const REGENERATE: &str =
    "QCD_UPDATE_GOLDEN=1 cargo test --test it live_tshark_matches_golden_files";

// The field-based comparisons (capture_tshark, decode_capture) share one
// tshark run per capture: `tests/data/tshark/fields/NAME.tsv`.

/// One tshark run per capture gives every row the tests below use: the
/// frames on UDP 500/4500, the ESP frames and the ISAKMP frames, told apart
/// by `frame.protocols` and the ports as the separate filters did.
pub const FILTER: &str = "udp.port == 500 || udp.port == 4500 || esp || isakmp";
pub const FIELDS: [&str; 17] = [
    "frame.number",
    "frame.protocols",
    "udp.srcport",
    "udp.dstport",
    "udp.payload",
    "esp.spi",
    "esp.sequence",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "isakmp.ispi",
    "isakmp.rspi",
    "isakmp.exchangetype",
    "isakmp.messageid",
    "isakmp.notify.msgtype",
    "isakmp.notify.data",
];
pub fn fields_command() -> String {
    let mut s = format!(
        "HOME=EMPTY-DIR tshark -n -r CAPTURE -o ip.defragment:TRUE -o ipv6.defragment:TRUE -Y '{FILTER}' -T fields"
    );
    for f in FIELDS {
        s.push_str(" -e ");
        s.push_str(f);
    }
    s
}

/// tshark's raw output for one capture file.
pub fn tshark_fields(path: &std::path::Path) -> String {
    let mut cmd = Command::new("tshark");
    // No key table, no preferences: an empty HOME.
    let home = tempfile::tempdir().unwrap();
    cmd.env("HOME", home.path())
        .arg("-n")
        .arg("-r")
        .arg(path)
        // tshark reassembles IP by default; say so, so a changed profile does not matter.
        .args(["-o", "ip.defragment:TRUE", "-o", "ipv6.defragment:TRUE"])
        .args(["-Y", FILTER, "-T", "fields"]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tshark writes UTF-8")
}

/// `tshark --version`'s first line, or None when tshark does not run.
pub fn tshark_version() -> Option<String> {
    let out = Command::new("tshark").arg("--version").output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().next().unwrap_or("").trim().to_string())
}

/// Whether a live tshark test can run: true when tshark runs; false (with a
/// message saying what was skipped) when it does not and `CI` is not `true`;
/// a panic under `CI=true`, where a skipped differential test proves nothing.
pub fn live_tshark(test: &str) -> Option<String> {
    match tshark_version() {
        Some(v) => Some(v),
        None if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "{test}: tshark is not installed or does not run, and CI=true: the live comparison \
             with tshark must run in CI (.ci/run installs it: apt-get install tshark)"
        ),
        None => {
            eprintln!(
                "SKIPPED {test}: tshark is not installed (apt-get install tshark); qcd was still \
                 compared to tshark's golden files in tests/data/tshark"
            );
            None
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tshark")
}

/// `tests/data/tshark/KIND/NAME.EXT`.
pub fn golden_path(kind: &str, name: &str, ext: &str) -> PathBuf {
    golden_dir().join(kind).join(format!("{name}.{ext}"))
}

fn header(version: &str, capture: &[u8], command: &str) -> String {
    format!(
        "# {version}\n# capture sha256 {}\n# {command}\n",
        sha256_hex(capture)
    )
}

/// The body of a golden file (its lines after the `#` header), checked to
/// have been made from these capture bytes.
pub fn read_golden(path: &Path, capture: &[u8]) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "golden file {} cannot be read ({e}): make it with `{REGENERATE}` (needs tshark)",
            path.display()
        )
    });
    let want = format!("# capture sha256 {}", sha256_hex(capture));
    let mut lines = text.split_inclusive('\n');
    let mut body_start = 0;
    let mut hash_ok = false;
    for l in lines.by_ref() {
        if !l.starts_with('#') {
            break;
        }
        hash_ok |= l.trim_end() == want;
        body_start += l.len();
    }
    assert!(
        hash_ok,
        "golden file {} was made from other capture bytes than the test's: the capture or its \
         generator changed; remake it with `{REGENERATE}` and review the diff",
        path.display()
    );
    text[body_start..].to_string()
}

/// Compares live tshark output to the golden file, or writes the golden file
/// when `QCD_UPDATE_GOLDEN=1`. Returns a difference to report, if any.
pub fn check_live(
    path: &Path,
    version: &str,
    capture: &[u8],
    command: &str,
    live: &str,
) -> Option<String> {
    if std::env::var("QCD_UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, header(version, capture, command) + live).unwrap();
        return None;
    }
    let golden = read_golden(path, capture);
    if golden == live {
        return None;
    }
    let (mut g, mut l) = (golden.lines(), live.lines());
    let mut n = 1;
    loop {
        match (g.next(), l.next()) {
            (Some(a), Some(b)) if a == b => n += 1,
            (a, b) => {
                return Some(format!(
                    "{}: line {n} of the body differs from live tshark ({version}):\n  golden: {}\n  live:   {}\n  \
                     a new tshark or a changed capture: remake with `{REGENERATE}` and review the diff",
                    path.display(),
                    a.unwrap_or("<end>"),
                    b.unwrap_or("<end>")
                ));
            }
        }
    }
}
