//! `qcd audit` (placeholder until its issue lands; replaced wholesale).

use clap::Args;

use qcd::report::Output;

use super::Outcome;

#[derive(Args, Debug)]
pub struct AuditArgs {}

pub fn run(_args: AuditArgs, _out: &mut Output) -> anyhow::Result<Outcome> {
    anyhow::bail!("`qcd audit` is not implemented yet")
}
