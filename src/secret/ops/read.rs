//! Reading and making secrets: sizes, random secrets, secret files and
//! streams, decoding, and whose files a target's daemon may own.

use super::*;

/// Checks a secret size: 16 to 1024 bytes.
pub fn check_secret_size(n: usize, what: &str) -> Result<(), OpError> {
    if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&n) {
        return Err(OpError::SecretSize {
            what: what.to_string(),
            n,
        });
    }
    Ok(())
}

/// `n` random bytes from the OS CSPRNG, after checking the size.
pub fn random_secret(n: usize) -> Result<SecretBytes, OpError> {
    check_secret_size(n, "the requested secret")?;
    SecretBytes::random(n).map_err(OpError::Random)
}
/// Reads a secret file for `import --in`: a regular file of ours (or of
/// `owners`' other account, e.g. the daemon's), private unless `opts`
/// allows otherwise, at most [`fsio::SECRET_FILE`] bytes.
pub fn read_secret_file(
    path: &Path,
    opts: &LoadOptions,
    owners: Owners,
) -> Result<Zeroizing<Vec<u8>>, OpError> {
    let privacy = Privacy {
        allow_group_other: opts.allow_insecure_permissions,
        owners,
    };
    match fsio::read_private(path, &fsio::SECRET_FILE, &privacy) {
        Ok((bytes, _)) => Ok(bytes),
        Err(FileError::NotFound { .. }) => Err(OpError::NoSecretFile {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(OpError::File(e)),
    }
}

/// Reads a secret from a stream (stdin), at most [`fsio::SECRET_FILE`] bytes.
pub fn read_secret_stream(reader: impl Read, name: &str) -> Result<Zeroizing<Vec<u8>>, OpError> {
    Ok(fsio::read_bounded(
        reader,
        Path::new(name),
        0,
        &fsio::SECRET_FILE,
    )?)
}

/// Decodes an encoded secret read from `source` and checks its size.
pub fn decode_secret(format: ByteFormat, raw: &[u8], source: &str) -> Result<SecretBytes, OpError> {
    let decoded = encoding::decode(format, raw).map_err(|e| OpError::Decode {
        from: source.to_string(),
        reason: e.to_string(),
    })?;
    let secret = SecretBytes::new(decoded);
    check_secret_size(secret.len(), &format!("the secret from {source}"))?;
    Ok(secret)
}

/// The owners accepted for files a target's daemon owns: ours, or the daemon account's.
pub fn target_owners(target: Option<Target>) -> Owners {
    match target.and_then(|t| fsio::user_ids(t.spec().owner)) {
        Some((uid, _)) => Owners::MeOr(uid),
        None => Owners::Me,
    }
}
