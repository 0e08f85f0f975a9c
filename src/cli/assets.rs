//! `qcd generate-assets`: writes shell completions and man pages generated
//! from the clap definition. A test regenerates them and compares with the
//! committed `completions/` and `man/`, so they never go stale.
//!
//! Man pages: NAME, SYNOPSIS, DESCRIPTION, OPTIONS and SUBCOMMANDS come from
//! clap (the doc comments beside each definition; their `Example:`
//! paragraphs move to EXAMPLES), then EXIT STATUS, ENVIRONMENT, FILES,
//! further sections, EXAMPLES and SEE ALSO from [`ManText`]: the text each
//! command keeps beside its definition (`qcd secret …`: [`super::secret::man_text`])
//! or, for the others, [`man_text`] below. Hidden maintainer commands get no
//! page and no completion.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use clap_mangen::roff::{bold, italic, roman, Roff};

use super::{Cli, Outcome};

#[derive(Args, Debug)]
pub struct AssetsArgs {
    /// Directory under which `completions/` and `man/` are written.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

/// The parts of a man page that clap does not hold.
#[derive(Debug, Clone, Default)]
pub struct ManText {
    /// EXIT STATUS, when the command's differs from the general contract.
    pub exit_status: Option<&'static str>,
    /// FILES: (path, meaning).
    pub files: Vec<(&'static str, &'static str)>,
    /// Further sections: (TITLE, text).
    pub extra: Vec<(&'static str, &'static str)>,
    /// EXAMPLES besides the `Example:` paragraphs of the doc comments.
    pub examples: Vec<&'static str>,
    /// SEE ALSO besides the parent and subcommand pages.
    pub see_also: Vec<&'static str>,
}

const EXIT_STATUS: &str = "0: success. 1: a well-formed negative answer (no token match, audit findings at or above the threshold, failed crash detection). 2: error (bad arguments, unreadable or malformed input, a failed write).";

/// The man page text of the commands outside `qcd secret`, by command path.
pub fn man_text(path: &[&str]) -> ManText {
    let mut m = ManText::default();
    match path {
        [] => {
            m.extra = vec![(
                "SAFETY",
                "Secrets never come from the command line: keyring files, --in/--secret-file files (- for stdin) or a no-echo prompt. Files are written 0600, atomically, under a lock; keyrings and secret files must belong to the user running qcd. The process cannot dump core.",
            )];
            m.see_also = vec!["systemd.timer(5)"];
        }
        ["secret", rest @ ..] => return super::secret::man_text(&rest.join(" ")),
        ["token", "verify"] => {
            m.exit_status = Some("0: the token matches an active or previous generation (batch: every line matched). 1: no match (batch: some line did not match). 2: error, including malformed batch lines.");
        }
        ["token", "derive"] => {
            m.examples = vec![
                "qcd token derive --for rockhopper --secret-file /home/rhpprotected/config/qcd_secret --spi-i 3eb802c1b2266eca --spi-r 914935ddd6d4111c",
            ];
            m.files = vec![
                (
                    "/home/rhpprotected/config/qcd_secret",
                    "Rockhopper's secret file, read with --for rockhopper --secret-file",
                ),
                (
                    "/var/lib/racoon2/qcd.secret",
                    "the racoon2 fork's secret file, read with --for racoon2 --secret-file",
                ),
            ];
        }
        ["audit"] => {
            m.exit_status = Some("0: no finding at or above the --fail-on threshold. 1: findings at or above it. 2: error (unreadable inventory, keyring or manifest).");
            m.files = vec![("INVENTORY", "the TOML (or JSON) inventory of clusters, modes and members"), ("MANIFEST", "`qcd secret list --json` output collected from a member, with its exports record (rule QCD012)")];
            m.see_also = vec!["qcd-secret-list(1)"];
        }
        ["probe"] => {
            m.exit_status = Some("0: every target answered with a QCD token (from the active generation of --keyring, or the --secret-file secret, when given) and the cluster met --expect. 1: some target did not (no answer, no token, another secret, expectation not met). 2: error (bad target, refused address, unreadable keyring, no socket).");
            m.extra = vec![(
                "GENTLENESS",
                "At most 9 packets per target: the liveness request (3 sends: 500 ms, 1 s, 2 s), the same SPIs again and other SPIs (2 sends each), IKE_SA_INIT (2 sends), at least 50 ms apart. A target that never answers takes at most 5.5 s; ICMP port or host unreachable ends a target at once. Broadcast, multicast and unspecified addresses are refused. The IKE_SA_INIT request leaves a half-open IKE SA on the responder until it times out.",
            )];
            m.see_also = vec!["qcd-respond(1)", "qcd-token-verify(1)", "qcd-audit(1)"];
        }
        ["respond"] => {
            m.exit_status = Some("0: stopped by SIGINT or SIGTERM. 2: error (unreadable keyring, no generation in use, an address that cannot be bound).");
            m.extra = vec![(
                "SIGNALS",
                "SIGHUP reloads the keyring (a keyring that cannot be read leaves the previous secrets in use, and says so in the log). SIGINT and SIGTERM stop it within 100 ms.",
            )];
            m.see_also = vec!["qcd-probe(1)", "qcd-secret-rotate(1)"];
        }
        ["diagnose"] => {
            m.exit_status = Some("0: every IKE SA is healthy, recovered or in progress. 1: some IKE SA is not. 2: error, including a damaged capture.");
        }
        _ => {}
    }
    m
}

pub fn run(args: AssetsArgs) -> anyhow::Result<Outcome> {
    write_completions(&args.out.join("completions"))?;
    write_man_pages(&args.out.join("man"))?;
    Ok(Outcome::Success)
}

/// The command line without its hidden maintainer commands.
fn public_command() -> clap::Command {
    let full = Cli::command();
    let mut cmd = clap::Command::new("qcd")
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    cmd
}

fn write_completions(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let mut cmd = public_command();
        clap_complete::generate_to(shell, &mut cmd, "qcd", dir)
            .with_context(|| format!("writing {shell} completions into {}", dir.display()))?;
    }
    Ok(())
}

fn write_man_pages(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    write_page(&cmd, &[], None, dir)
}

fn page_name(cmd: &clap::Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string()
}

/// Splits a doc comment into its description and its `Example:` paragraphs.
fn split_examples(text: &str) -> (String, Vec<String>) {
    let mut description = Vec::new();
    let mut examples = Vec::new();
    for para in text.split("\n\n") {
        match para.trim().strip_prefix("Example:") {
            Some(ex) => examples.push(ex.split_whitespace().collect::<Vec<_>>().join(" ")),
            None => description.push(para),
        }
    }
    (description.join("\n\n"), examples)
}

fn write_page(
    cmd: &clap::Command,
    path: &[&str],
    parent: Option<&str>,
    dir: &Path,
) -> anyhow::Result<()> {
    let name = page_name(cmd);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut p = path.to_vec();
        p.push(sub.get_name());
        write_page(sub, &p, Some(&name), dir)?;
    }
    let text = man_text(path);
    let long = cmd
        .get_long_about()
        .or_else(|| cmd.get_about())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let (description, mut examples) = split_examples(&long);
    examples.extend(text.examples.iter().map(|s| s.to_string()));
    let page_cmd = cmd.clone().long_about(description);
    let man = clap_mangen::Man::new(page_cmd.clone());
    let mut buf: Vec<u8> = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    if page_cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf)?;
    }
    if page_cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut buf)?;
    }

    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    roff.text([roman(text.exit_status.unwrap_or(EXIT_STATUS))]);

    roff.control("SH", ["ENVIRONMENT"]);
    for (var, meaning) in environment(cmd, path) {
        roff.control("TP", []);
        roff.text([bold(var)]);
        roff.text([roman(meaning)]);
    }

    if !text.files.is_empty() {
        roff.control("SH", ["FILES"]);
        for (file, meaning) in &text.files {
            roff.control("TP", []);
            roff.text([italic(*file)]);
            roff.text([roman(*meaning)]);
        }
    }
    for (title, body) in &text.extra {
        roff.control("SH", [*title]);
        roff.text([roman(*body)]);
    }
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        for ex in &examples {
            roff.control("PP", []);
            roff.text([roman(ex.as_str())]);
        }
    }
    let mut see_also: Vec<String> = parent.map(|p| format!("{p}(1)")).into_iter().collect();
    see_also.extend(
        cmd.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| format!("{}(1)", page_name(s))),
    );
    for s in &text.see_also {
        if !see_also.iter().any(|x| x == s) {
            see_also.push(s.to_string());
        }
    }
    if !see_also.is_empty() {
        roff.control("SH", ["SEE ALSO"]);
        roff.text([roman(see_also.join(", "))]);
    }
    roff.to_writer(&mut buf)?;
    man.render_version_section(&mut buf)?;
    let file = dir.join(format!("{name}.1"));
    std::fs::write(&file, buf).with_context(|| format!("writing {}", file.display()))?;
    Ok(())
}

/// Whether `cmd` or one of its subcommands reads `var` through clap.
fn reads_env(cmd: &clap::Command, var: &str) -> bool {
    cmd.get_arguments()
        .any(|a| a.get_env().is_some_and(|e| e == var))
        || cmd.get_subcommands().any(|s| reads_env(s, var))
}

/// The environment variables a page documents.
fn environment(cmd: &clap::Command, path: &[&str]) -> Vec<(&'static str, &'static str)> {
    let top = path.first().copied();
    let mut v = Vec::new();
    if reads_env(cmd, "QCD_KEYRING") {
        v.push((
            "QCD_KEYRING",
            "the keyring file when --keyring is not given",
        ));
    }
    if matches!(
        top,
        None | Some("secret") | Some("token") | Some("audit") | Some("probe") | Some("respond")
    ) {
        v.push((
            "QCD_NOW",
            "pins \"now\" (RFC 3339, e.g. 2030-01-01T00:00:00Z) for what-if runs and tests: generation states, rotation ages and audit ages are computed as of that time",
        ));
    }
    v.push((
        "NO_COLOR",
        "when set and not empty, --color auto prints no colour",
    ));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Every example a man page or `--help` shows: the `Example:`
    /// paragraphs of commands and options, the man text's examples and the
    /// `Examples:` lists of `after_long_help`.
    fn examples(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<(String, String)>) {
        let name = format!("qcd {}", path.join(" "));
        let mut texts: Vec<String> = Vec::new();
        for t in [cmd.get_long_about(), cmd.get_about()]
            .into_iter()
            .flatten()
        {
            texts.push(t.to_string());
        }
        for a in cmd.get_arguments() {
            for t in [a.get_long_help(), a.get_help()].into_iter().flatten() {
                texts.push(t.to_string());
            }
        }
        for t in texts {
            for e in split_examples(&t).1 {
                out.push((name.clone(), e));
            }
        }
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        for e in man_text(&p).examples {
            out.push((name.clone(), e.to_string()));
        }
        if let Some(after) = cmd.get_after_long_help() {
            let after = after.to_string();
            if let Some(list) = after.split("\n\n").find(|p| p.starts_with("Examples")) {
                for line in list.lines().skip(1) {
                    out.push((name.clone(), line.trim().to_string()));
                }
            }
        }
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            path.push(sub.get_name().to_string());
            examples(sub, path, out);
            path.pop();
        }
    }

    /// A renamed or removed flag cannot stay in an example: each `qcd …`
    /// command of every example (pipelines split at `|`, redirections
    /// dropped) parses with the real command line, and no example holds a
    /// placeholder such as `…`.
    #[test]
    fn every_example_parses() {
        let mut all = Vec::new();
        examples(&Cli::command(), &mut Vec::new(), &mut all);
        let mut commands = 0;
        for (page, example) in &all {
            assert!(
                !example.contains('…'),
                "{page}: an example with `…`: {example}"
            );
            for part in example.split(" | ") {
                let part = part.split(" < ").next().unwrap().trim();
                if !part.starts_with("qcd ") {
                    continue;
                }
                let words = shlex::split(part)
                    .unwrap_or_else(|| panic!("{page}: unbalanced quotes in {example}"));
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("{page}: the example does not parse: {part}\n{e}");
                }
                commands += 1;
            }
        }
        assert!(commands >= 15, "only {commands} example commands found");
    }

    #[test]
    fn examples_leave_the_description() {
        let (d, e) = split_examples("About.\n\nMore.\n\nExample: qcd x\n  --y z\n\nTail.");
        assert_eq!(d, "About.\n\nMore.\n\nTail.");
        assert_eq!(e, vec!["qcd x --y z".to_string()]);
    }
}
