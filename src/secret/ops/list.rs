//! [`list`]: a keyring's manifest with what each exported file holds now.

use super::*;

/// The fingerprint of the secret a file holds now, in `format`; `None` when
/// it cannot be read or decoded.
fn file_fingerprint(path: &Path, format: &str) -> Option<String> {
    let (raw, _) = fsio::read(path, &fsio::SECRET_FILE).ok()?;
    let format = match format {
        "hex" => ByteFormat::Hex,
        "base64" => ByteFormat::Base64,
        _ => ByteFormat::Raw,
    };
    let decoded = Zeroizing::new(encoding::decode(format, &raw).ok()?);
    Some(fingerprint(&decoded))
}

/// The manifest of a keyring (`qcd secret list`), with its exports record
/// and what each exported file holds now.
pub fn list(path: &Path, load: &LoadOptions, now: SystemTime) -> Result<Manifest, OpError> {
    let (k, info) = store::load_with_info(path, load)?;
    let mut manifest = Manifest::from_keyring(&k, path, info, now);
    manifest.exports = export_states(path, Owners::Me)?;
    Ok(manifest)
}

/// The exports record of `keyring` (owned by one of `owners`) with what
/// each exported file holds now, for manifests.
pub fn export_states(keyring: &Path, owners: Owners) -> Result<Vec<ExportState>, OpError> {
    Ok(deploy::load(keyring, owners)?
        .into_iter()
        .map(|r| {
            let fp = file_fingerprint(Path::new(&r.file), &r.format);
            ExportState::new(r, fp)
        })
        .collect())
}
