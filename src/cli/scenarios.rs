//! `qcd generate-scenarios` (hidden): writes the synthetic QCD scenario
//! captures, their key table and the maker's keyring, as shipped in
//! `tests/data/scenarios/`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use qcd::diagnose::scenario::{self, Scenario};

use super::Outcome;

#[derive(Args, Debug)]
pub struct ScenariosArgs {
    /// Directory to write NAME.pcap, scenarios.keys, wrong-integrity.keys and maker.keyring.json into.
    #[arg(long, value_name = "DIR", default_value = "tests/data/scenarios")]
    pub out: PathBuf,
}

pub fn run(args: ScenariosArgs) -> anyhow::Result<Outcome> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    for s in Scenario::ALL {
        let path = args.out.join(format!("{}.pcap", s.name()));
        let bytes = scenario::build(s).with_context(|| format!("building {}", s.name()))?;
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    let keys = args.out.join("scenarios.keys");
    std::fs::write(&keys, scenario::KEY_TABLE)
        .with_context(|| format!("writing {}", keys.display()))?;
    let wrong = args.out.join("wrong-integrity.keys");
    std::fs::write(&wrong, scenario::wrong_key_table())
        .with_context(|| format!("writing {}", wrong.display()))?;
    qcd::fsio::write_atomic(
        &args.out.join("maker.keyring.json"),
        &scenario::maker_keyring().to_json(),
    )?;
    Ok(Outcome::Success)
}
