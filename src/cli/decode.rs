//! `qcd decode` (placeholder until its issue lands; replaced wholesale).

use clap::Args;

use qcd::report::Output;

use super::Outcome;

#[derive(Args, Debug)]
pub struct DecodeArgs {}

pub fn run(_args: DecodeArgs, _out: &mut Output) -> anyhow::Result<Outcome> {
    anyhow::bail!("`qcd decode` is not implemented yet")
}
