//! The policy for differential tests that need an outside tool (tshark,
//! tmux): run when the tool runs; without it, skip with a message saying
//! what was skipped, except under `CI=true`, where the test FAILS (`.ci/run`
//! installs the tools and sets `CI=true`, so a skip there would prove nothing).

use std::process::Command;

/// Whether `tool version_arg` runs; see the module's policy.
pub fn available_or_skip(tool: &str, version_arg: &str, test: &str) -> bool {
    let runs = Command::new(tool)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if runs {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: {tool} is not installed or does not run, and CI=true: this differential test \
         must run in CI (apt-get install {tool}; .ci/run installs it)"
    );
    eprintln!("SKIPPED {test}: {tool} is not installed (apt-get install {tool})");
    false
}
