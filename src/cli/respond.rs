//! `qcd respond`: a QCD token maker for labs and tests. The decisions and
//! sockets are `qcd::respond`'s; this file reads the arguments and prints the log.

use std::path::PathBuf;

use clap::Args;

use qcd::report::Output;
use qcd::respond::server::{self, Config, Control};
use qcd::respond::{LogEvent, Maker};
use qcd::secret::store::LoadOptions;

use super::Outcome;

/// Answer as a QCD token maker, for labs and tests of `qcd probe` and takers.
///
/// Listens on each ADDR[:PORT] (default port 500; port 4500 expects and
/// sends the non-ESP marker) and answers requests for IKE SAs it does not
/// know, which is all of them, as Rockhopper VPN does: an unprotected
/// INVALID_IKE_SPI and one QCD_TOKEN per generation of the keyring still in
/// use (active first), for the request's SPIs. It ignores what Rockhopper
/// ignores (IKE_SA_INIT, IKE_AUTH, responses, zero SPIs, no SK payload).
/// Answers are rate-limited by a token bucket that refills with time.
///
/// Logs every answer (never a token); --json: one object per line. SIGHUP
/// reloads the keyring; SIGINT and SIGTERM stop it (exit 0).
///
/// Example: qcd respond --keyring lab-keyring.json --listen 127.0.0.1:5500
#[derive(Args, Debug)]
pub struct RespondArgs {
    /// Keyring file [env: QCD_KEYRING].
    #[arg(
        long,
        short = 'k',
        env = "QCD_KEYRING",
        value_name = "PATH",
        hide_env = true
    )]
    pub keyring: PathBuf,
    /// Accept a keyring readable or writable by group or others.
    #[arg(long)]
    pub allow_insecure_permissions: bool,
    /// Address to answer on, with an optional port (0.0.0.0, [::1]:4500, 127.0.0.1:0).
    #[arg(long, value_name = "ADDR[:PORT]", required = true)]
    pub listen: Vec<String>,
    /// Answers per second, on average, over all addresses.
    #[arg(long, default_value_t = 100.0, value_name = "N")]
    pub rate: f64,
    /// Answers allowed in a burst.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub burst: u32,
}

pub fn run(a: RespondArgs, out: &mut Output) -> anyhow::Result<Outcome> {
    let config = Config::new(&a.listen, a.rate, a.burst)?;
    let opts = LoadOptions {
        allow_insecure_permissions: a.allow_insecure_permissions,
    };
    let load = || Maker::load(&a.keyring, &opts).map_err(|e| e.to_string());
    let maker = load().map_err(anyhow::Error::msg)?;
    let control = Control::from_signals()?;
    let mut write = |e: LogEvent| {
        let _ = if out.json {
            out.json_line(&e)
        } else {
            out.line(&e.to_string())
        };
        let _ = out.flush();
    };
    server::serve(&config, maker, &load, &control, &mut write)?;
    Ok(Outcome::Success)
}
