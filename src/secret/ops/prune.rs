//! [`prune`]: wiping the secrets of expired generations.

use super::*;

/// `qcd secret prune`.
#[derive(Debug, Clone)]
pub struct PruneRequest {
    pub keyring: PathBuf,
    pub load: LoadOptions,
    pub dry_run: bool,
}

/// What [`prune`] destroyed (or would destroy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneOutcome {
    pub destroyed: Vec<u32>,
}

/// Wipes the secrets of expired generations.
pub fn prune(req: &PruneRequest, now: SystemTime) -> Result<PruneOutcome, OpError> {
    let destroyed = if req.dry_run {
        store::load(&req.keyring, &req.load)?.expired_at(now)
    } else {
        store::update(&req.keyring, &req.load, |k| {
            let ids = k.prune(now);
            let changed = !ids.is_empty();
            Ok::<_, OpError>((ids, changed))
        })?
    };
    Ok(PruneOutcome { destroyed })
}
