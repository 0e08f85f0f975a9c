//! The documentation cannot drift: every `console` block of README.md and
//! docs/*.md is executed by trycmd and its output compared with what the
//! block shows (`[..]` stands for part of a line, `...` for whole lines,
//! `? N` for an exit status other than 0).
//!
//! Each file runs as a reader would paste its commands from the repository
//! root: in a fresh scratch directory that links every top-level entry of
//! the repository (so `examples/…`, `tests/data/…` resolve), where the
//! files the examples write (`keyring.json`, …) land, with nothing from the
//! caller's environment that changes qcd's output (`QCD_KEYRING`,
//! `QCD_NOW`, `NO_COLOR`) and a terminal width of 80 columns (`COLUMNS`).
//! Examples whose output depends on the time pin `QCD_NOW` themselves.
//!
//! Before running anything, the blocks are checked: a fenced block that
//! shows a `$ command` must be a `console` block (not `ignore`d), and each
//! command must start with a program registered below (trycmd would skip an
//! unknown one silently). Relative links must point to files that exist.
//!
//! To rewrite the expected output after a deliberate change:
//! `TRYCMD=overwrite cargo test --test it docs::`, then review the diff.

use std::path::{Path, PathBuf};

/// Programs the examples may run besides qcd.
const TOOLS: &[&str] = &["install", "cat"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every markdown file under docs/.
fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    assert!(!docs.is_empty(), "no markdown file in docs/");
    files.extend(docs);
    files
}

/// A fenced block: the line of its opening fence, its info string, its lines.
struct Block {
    line: usize,
    info: String,
    lines: Vec<String>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(String, Block)> = None;
    for (i, line) in text.lines().enumerate() {
        let ticks = line.len() - line.trim_start_matches('`').len();
        match &mut open {
            None if ticks >= 3 => {
                open = Some((
                    line[..ticks].to_string(),
                    Block {
                        line: i + 1,
                        info: line[ticks..].trim().to_string(),
                        lines: Vec::new(),
                    },
                ))
            }
            Some((fence, _)) if line.starts_with(fence.as_str()) && line.trim() == fence => {
                out.push(open.take().unwrap().1)
            }
            Some((_, b)) => b.lines.push(line.to_string()),
            None => {}
        }
    }
    assert!(open.is_none(), "a fenced block is never closed");
    out
}

/// The program a `$ ` line runs, after any `VAR=value` assignments.
fn program(command: &str) -> &str {
    command
        .split_whitespace()
        .find(|w| !w.contains('='))
        .unwrap_or("")
}

#[test]
fn console_blocks_are_well_formed_and_links_resolve() {
    let mut problems = Vec::new();
    let mut console = 0;
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        for b in blocks(&text) {
            let commands: Vec<&String> = b.lines.iter().filter(|l| l.starts_with("$ ")).collect();
            let is_console = b.info.split(',').next() == Some("console");
            if b.info.is_empty() {
                // trycmd would take it for a block of commands.
                problems.push(format!(
                    "{name}:{}: a fenced block needs a language (`text`, `json`, `toml`, `sh`, `console`)",
                    b.line
                ));
            }
            if b.info.split(',').any(|a| a == "ignore") {
                problems.push(format!(
                    "{name}:{}: `ignore` block: examples must run",
                    b.line
                ));
            }
            if commands.is_empty() {
                if is_console {
                    problems.push(format!(
                        "{name}:{}: console block without a `$ ` command",
                        b.line
                    ));
                }
                continue;
            }
            if !is_console {
                problems.push(format!(
                    "{name}:{}: a block showing `$ ` commands must be a `console` block (it is {:?}), so that it runs",
                    b.line, b.info
                ));
                continue;
            }
            console += 1;
            for c in commands {
                let p = program(&c[2..]);
                if p != "qcd" && !TOOLS.contains(&p) {
                    problems.push(format!(
                        "{name}:{}: `{p}` is not a program the example test runs (qcd, {}): trycmd would skip it",
                        b.line,
                        TOOLS.join(", ")
                    ));
                }
                for shell in [" | ", " > ", " < ", "$(", "&&", "; "] {
                    if c.contains(shell) {
                        problems.push(format!(
                            "{name}:{}: `{c}` uses the shell ({shell:?}): trycmd runs commands without one",
                            b.line
                        ));
                    }
                }
            }
        }
        problems.extend(broken_links(&file, &text));
    }
    // The READMEs beside the data are read too: their links must resolve.
    for dir in ["tests/data", "examples", "contrib"] {
        for file in markdown_under(&root().join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            problems.extend(broken_links(&file, &text));
        }
    }
    assert!(console >= 20, "only {console} console blocks found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Markdown files under `dir`, recursively.
fn markdown_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(markdown_under(&p));
        } else if p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
    out
}

/// Relative links (`[text](path)`, `[text](path#anchor)`) to missing files.
fn broken_links(file: &Path, text: &str) -> Vec<String> {
    let name = file.strip_prefix(root()).unwrap().display().to_string();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = rest[..end].split('#').next().unwrap();
            if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
                let path = file.parent().unwrap().join(target);
                if !path.exists() {
                    problems.push(format!("{name}:{}: link to missing {target}", i + 1));
                }
            }
        }
    }
    problems
}

/// Marks the child process in which the examples run (see below).
const EXAMPLES_CHILD: &str = "QCD_DOCS_EXAMPLES_CHILD";

#[test]
fn console_examples_run_as_documented() {
    // trycmd runs the commands of a markdown file in the current directory,
    // and the examples must not see the caller's environment: both belong to
    // the process, which the other tests of this binary share. So the
    // examples run in a child process of this test binary that runs this
    // test alone, with its own environment and working directory.
    if std::env::var_os(EXAMPLES_CHILD).is_none() {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args([
                "--exact",
                "docs::console_examples_run_as_documented",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(EXAMPLES_CHILD, "1")
            .stdin(std::process::Stdio::null());
        // Nothing from the caller's environment that changes qcd's output.
        for var in [
            "QCD_KEYRING",
            "QCD_NOW",
            "NO_COLOR",
            "QCD_NO_MMAP",
            "CLICOLOR_FORCE",
        ] {
            child.env_remove(var);
        }
        let out = child.output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "the examples failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        return;
    }
    let mut files = doc_files();
    files.rotate_left(1); // README.md last: it sums the others up
    for file in files {
        let scratch = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(root()).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if name == "target" || name == ".git" {
                continue;
            }
            std::os::unix::fs::symlink(entry.path(), scratch.path().join(&name)).unwrap();
        }
        // trycmd runs the commands of a markdown file in the current
        // directory (this process runs this test alone: see above).
        std::env::set_current_dir(scratch.path()).unwrap();
        let cases = trycmd::TestCases::new();
        cases
            .register_bin("qcd", Path::new(env!("CARGO_BIN_EXE_qcd")))
            .env("COLUMNS", "80")
            .case(&file);
        for tool in TOOLS {
            let path = ["/usr/bin", "/bin"]
                .iter()
                .map(|d| Path::new(d).join(tool))
                .find(|p| p.exists())
                .unwrap_or_else(|| panic!("{tool} is not installed (the examples run it)"));
            cases.register_bin(*tool, path);
        }
        cases.run();
        std::env::set_current_dir(root()).unwrap();
    }
}
