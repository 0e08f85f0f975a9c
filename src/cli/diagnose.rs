//! `qcd diagnose` (placeholder until its issue lands; replaced wholesale).

use clap::Args;

use qcd::report::Output;

use super::Outcome;

#[derive(Args, Debug)]
pub struct DiagnoseArgs {}

pub fn run(_args: DiagnoseArgs, _out: &mut Output) -> anyhow::Result<Outcome> {
    anyhow::bail!("`qcd diagnose` is not implemented yet")
}
