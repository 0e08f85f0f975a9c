//! `qcd token` (placeholder until its issue lands; replaced wholesale).

use clap::Subcommand;

use qcd::report::Output;

use super::Outcome;

#[derive(Subcommand, Debug)]
pub enum TokenCommand {}

pub fn run(cmd: TokenCommand, _out: &mut Output) -> anyhow::Result<Outcome> {
    match cmd {}
}
