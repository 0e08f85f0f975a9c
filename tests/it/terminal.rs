//! qcd in a real terminal: tmux runs it in a pane of a known size, and the
//! screen (with its scrollback) is compared with what qcd prints into a
//! pipe. tmux interprets everything qcd writes (progress bar redraws,
//! carriage returns, colours), so what these tests read is what a user sees.
//!
//! tmux is required, like tshark for the differential tests: when it is
//! missing these tests skip with a message, and FAIL under CI=true
//! (`.ci/run` installs it and sets CI=true).

use crate::support::tools;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn qcd() -> &'static str {
    env!("CARGO_BIN_EXE_qcd")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A tmux server of its own (socket in a temporary directory), killed on drop.
struct Tmux {
    dir: tempfile::TempDir,
}

impl Tmux {
    /// None (the test skips) when tmux is missing outside CI.
    fn new(test: &str) -> Option<Tmux> {
        if !tools::available_or_skip("tmux", "-V", test) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        // Scrollback for long outputs; nothing from the user's ~/.tmux.conf.
        std::fs::write(
            dir.path().join("tmux.conf"),
            "set -g history-limit 200000\nset -g remain-on-exit on\n",
        )
        .unwrap();
        Some(Tmux { dir })
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("socket")
    }

    fn tmux(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(self.socket())
            .arg("-f")
            .arg(self.dir.path().join("tmux.conf"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs `command` (a shell command line) in a new `width` × `height`
    /// terminal, with everything written to the terminal also logged raw to
    /// `raw.log`, and waits until it ends. Returns the screen and its
    /// scrollback with wrapped lines joined, and the raw bytes.
    fn run(&self, name: &str, width: u16, height: u16, command: &str) -> (String, Vec<u8>) {
        let raw = self.dir.path().join(format!("{name}.raw"));
        let done = self.dir.path().join(format!("{name}.done"));
        // The command waits for the logging to be set up before it starts.
        let go = self.dir.path().join(format!("{name}.go"));
        let script = format!(
            "while [ ! -e '{go}' ]; do sleep 0.05; done; {command}; echo \"EXIT=$?\"; touch '{done}'",
            go = go.display(),
            done = done.display()
        );
        let (w, h) = (width.to_string(), height.to_string());
        self.tmux(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            &script,
        ]);
        self.tmux(&[
            "pipe-pane",
            "-t",
            name,
            "-o",
            &format!("cat >> '{}'", raw.display()),
        ]);
        std::fs::write(&go, "").unwrap();
        let start = Instant::now();
        while !done.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "{command} did not finish in the terminal"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(200));
        let screen = self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", name]);
        let screen = String::from_utf8_lossy(&screen.stdout).into_owned();
        (screen, std::fs::read(&raw).unwrap_or_default())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(self.socket())
            .arg("kill-server")
            .output();
    }
}

/// The screen's lines, trailing blanks cut, up to the `EXIT=` line (which is
/// returned apart).
fn lines_until_exit(screen: &str) -> (Vec<String>, String) {
    let mut lines = Vec::new();
    for l in screen.lines() {
        let l = l.trim_end();
        if let Some(code) = l.strip_prefix("EXIT=") {
            return (lines, code.to_string());
        }
        lines.push(l.to_string());
    }
    panic!("no EXIT= line on the screen:\n{screen}");
}

/// What qcd prints into a pipe (no bar, no colour), lines trimmed.
fn piped(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let out = Command::new(qcd())
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn the_progress_bar_leaves_no_debris_in_decode_output() {
    let Some(t) = Tmux::new("terminal::the_progress_bar_leaves_no_debris_in_decode_output") else {
        return;
    };
    // 64 MiB: the smallest capture that gets a progress bar, with QCD
    // replies spread through it, so that messages are printed while the
    // bar runs.
    let capture = t.dir.path().join("esp.pcap");
    let gen = Command::new(qcd())
        .args([
            "generate-capture",
            "--size",
            "64M",
            "--ike-count",
            "2000",
            "--out",
        ])
        .arg(&capture)
        .output()
        .unwrap();
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let cap = capture.to_str().unwrap();
    for (name, args) in [
        ("qcd", vec!["decode", "--qcd", cap]),
        ("summary", vec!["decode", "--summary", cap]),
    ] {
        let line = std::iter::once(qcd())
            .chain(args.iter().copied())
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" ");
        // stdout and stderr are both the terminal, as in an interactive shell.
        let (screen, raw) = t.run(
            name,
            120,
            40,
            &format!("cd {} && {line}", shell_quote(root().to_str().unwrap())),
        );
        let raw = String::from_utf8_lossy(&raw);
        // The bar was drawn (its byte counts went to the terminal) …
        assert!(
            raw.contains("/64.00 MiB"),
            "{name}: no progress bar was drawn, so this test proves nothing:\n{raw}"
        );
        // … and what stays on the screen is exactly what a pipe gets.
        let (lines, code) = lines_until_exit(&screen);
        assert_eq!(code, "0", "{name}:\n{screen}");
        let want = piped(&args, &[("COLUMNS", "120")]);
        assert!(!want.is_empty());
        assert_eq!(
            lines.join("\n").trim_matches('\n'),
            want.join("\n").trim_matches('\n'),
            "{name}: the terminal shows more (or less) than the output"
        );
        for l in &lines {
            assert!(
                !l.contains("MiB") && !l.contains('█'),
                "{name}: bar debris in {l:?}"
            );
        }
    }
}

#[test]
fn the_audit_table_fits_80_columns_and_its_commands_copy_whole() {
    let Some(t) =
        Tmux::new("terminal::the_audit_table_fits_80_columns_and_its_commands_copy_whole")
    else {
        return;
    };
    let now = ("QCD_NOW", "2026-11-22T00:00:00Z");
    let inventory = "examples/audit/inventory.toml";
    let (screen, _) = t.run(
        "audit",
        80,
        50,
        &format!(
            "cd {} && QCD_NOW={} {} audit {inventory} --fail-on info",
            shell_quote(root().to_str().unwrap()),
            now.1,
            shell_quote(qcd())
        ),
    );
    let (lines, code) = lines_until_exit(&screen);
    assert_eq!(code, "1", "{screen}");
    // The table (box-drawing lines) fits the terminal: with wrapped lines
    // joined (-J), a wider line would show up longer than 80.
    let table: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with(['┌', '│', '╞', '└']))
        .collect();
    assert!(table.len() > 10, "no table on the screen:\n{screen}");
    for l in &table {
        assert!(l.chars().count() <= 80, "wider than 80 columns: {l:?}");
    }
    // Every fix command is on one line, whole, as JSON gives it.
    let json = piped(&["--json", "audit", inventory, "--fail-on", "info"], &[now]);
    let mut commands = 0;
    for finding in &json {
        let v: serde_json::Value = serde_json::from_str(finding).unwrap();
        for c in v["commands"].as_array().unwrap() {
            let c = c.as_str().unwrap();
            commands += 1;
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with(c) && l[c.len()..].starts_with("  # [")),
                "the command is not whole on one line of the screen: {c}\n{screen}"
            );
        }
    }
    assert!(commands >= 9, "{commands} commands");
}

#[test]
fn tables_fit_the_terminal_they_are_drawn_in() {
    let Some(t) = Tmux::new("terminal::tables_fit_the_terminal_they_are_drawn_in") else {
        return;
    };
    let (screen, _) = t.run(
        "summary",
        80,
        50,
        &format!(
            "cd {} && {} decode --summary tests/data/rockhopper/restart_same_secret.pcap",
            shell_quote(root().to_str().unwrap()),
            shell_quote(qcd())
        ),
    );
    let (lines, code) = lines_until_exit(&screen);
    assert_eq!(code, "0", "{screen}");
    assert!(
        lines.iter().any(|l| l.contains("3eb802c1b2266eca")),
        "{screen}"
    );
    for l in &lines {
        assert!(l.chars().count() <= 80, "wider than 80 columns: {l:?}");
    }
    // The same table in a pipe with COLUMNS=80: the terminal's width was
    // read from the terminal, not guessed.
    let want = piped(
        &[
            "decode",
            "--summary",
            "tests/data/rockhopper/restart_same_secret.pcap",
        ],
        &[("COLUMNS", "80")],
    );
    assert_eq!(
        lines.join("\n").trim_matches('\n'),
        want.join("\n").trim_matches('\n')
    );
}
