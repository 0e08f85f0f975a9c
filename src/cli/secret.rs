//! `qcd secret …` (filled in by the keyring issue).

use clap::Subcommand;

use qcd::report::Output;

use super::Outcome;

#[derive(Subcommand, Debug)]
pub enum SecretCommand {}

pub fn run(cmd: SecretCommand, _out: &mut Output) -> anyhow::Result<Outcome> {
    match cmd {}
}
