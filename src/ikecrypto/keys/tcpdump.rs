//! tcpdump `-E` secrets and libreswan's `plutodebug=private` lines (same
//! shape, libreswan's names): `ikev2 I|R 0xSPI-I 0xSPI-R INTEG:0xSK_a
//! ENC:0xSK_e`, one `I` line with the initiator's keys and one `R` line with
//! the responder's, combined into one SA (see [`super`] for the names).

use std::collections::HashMap;

use super::table::*;
use crate::ikecrypto::alg::{EncrAlg, IntegAlg};
use crate::ikecrypto::sk::SaKeys;
use crate::secretmem::SecretBytes;
use crate::spi::{Spi, SpiPair};

/// The `ikev2 I …` part of a line (after any syslog or `| ` prefix).
pub(super) fn find_ikev2_line(line: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(i) = line[from..].find("ikev2 ") {
        let at = from + i;
        let rest = &line[at + 6..];
        let boundary = at == 0 || !line.as_bytes()[at - 1].is_ascii_alphanumeric();
        if boundary && (rest.starts_with("I 0x") || rest.starts_with("R 0x")) {
            return Some(&line[at..]);
        }
        from = at + 6;
    }
    None
}

/// An integrity name of tcpdump or libreswan.
pub(super) fn tcpdump_integ(name: &str) -> Result<IntegAlg, Skip> {
    let n = name.to_ascii_lowercase();
    Ok(match n.as_str() {
        "md5" | "hmac_md5" | "hmac-md5" => IntegAlg::HmacMd5_96,
        "sha1" | "sha" | "hmac_sha1" | "hmac-sha1" => IntegAlg::HmacSha1_96,
        "sha256" | "sha2_256" | "sha2" => IntegAlg::HmacSha2_256_128,
        "sha384" | "sha2_384" => IntegAlg::HmacSha2_384_192,
        "sha512" | "sha2_512" => IntegAlg::HmacSha2_512_256,
        "none" | "null" | "" => IntegAlg::None,
        "aes_xcbc" | "aes_cmac" | "ripemd" => {
            return Err(Skip::new(
                SkipKind::UnsupportedAlgorithm,
                "integrity algorithm",
                format!("{name:?} is not an HMAC; neither Wireshark nor qcd can check it"),
            ))
        }
        _ => {
            return Err(Skip::new(
                SkipKind::UnknownAlgorithm,
                "integrity algorithm",
                format!(
                    "unknown integrity name {}; expected md5, sha1, sha256, sha384, sha512 or none",
                    super::table::describe_field(name)
                ),
            ))
        }
    })
}

/// An encryption name of tcpdump (OpenSSL names) or libreswan (tcpdump
/// names with the key length in bits appended); `key_len` is SK_e's length,
/// used when the name carries no key length.
pub(super) fn tcpdump_encr(name: &str, key_len: usize) -> Result<EncrAlg, Skip> {
    let mut n = name.to_ascii_lowercase();
    for suffix in ["-hmac96", "-cbc"] {
        if n.len() > suffix.len() && n.ends_with(suffix) {
            n.truncate(n.len() - suffix.len());
        }
    }
    let unknown = || {
        Skip::new(
            SkipKind::UnknownAlgorithm,
            "encryption algorithm",
            format!(
                "unknown encryption name {}; expected e.g. aes128, aes-256-cbc, 3des, null, aes_ctr128, aes_gcm_16256, aes_ccm_8128, chacha20_poly1305",
                super::table::describe_field(name)
            ),
        )
    };
    // (prefix, maker from the AES key length), longest prefixes first
    type Make = fn(usize) -> EncrAlg;
    const BASES: &[(&str, Make, usize)] = &[
        (
            "aes_gcm_16",
            |k| EncrAlg::AesGcm {
                key_len: k,
                icv_len: 16,
            },
            4,
        ),
        (
            "aes_gcm_12",
            |k| EncrAlg::AesGcm {
                key_len: k,
                icv_len: 12,
            },
            4,
        ),
        (
            "aes_gcm_8",
            |k| EncrAlg::AesGcm {
                key_len: k,
                icv_len: 8,
            },
            4,
        ),
        // libreswan's tcpdump name of AES_GCM_8
        (
            "aes_gcm",
            |k| EncrAlg::AesGcm {
                key_len: k,
                icv_len: 8,
            },
            4,
        ),
        (
            "aes_ccm_16",
            |k| EncrAlg::AesCcm {
                key_len: k,
                icv_len: 16,
            },
            3,
        ),
        (
            "aes_ccm_12",
            |k| EncrAlg::AesCcm {
                key_len: k,
                icv_len: 12,
            },
            3,
        ),
        (
            "aes_ccm_8",
            |k| EncrAlg::AesCcm {
                key_len: k,
                icv_len: 8,
            },
            3,
        ),
        ("aes_ctr", |k| EncrAlg::AesCtr { key_len: k }, 4),
        ("aes-", |k| EncrAlg::AesCbc { key_len: k }, 0),
        ("aes", |k| EncrAlg::AesCbc { key_len: k }, 0),
    ];
    match n.as_str() {
        "null" => return Ok(EncrAlg::Null),
        "3des" | "3des192" | "des-ede3" | "des3" => return Ok(EncrAlg::TripleDes),
        "chacha20_poly1305" | "chacha20_poly1305256" | "chacha20-poly1305" => {
            return Ok(EncrAlg::ChaCha20Poly1305)
        }
        _ => {}
    }
    for (prefix, make, salt) in BASES {
        let Some(rest) = n.strip_prefix(prefix) else {
            continue;
        };
        let bits = match rest {
            "" => key_len.checked_sub(*salt).map(|k| k * 8).unwrap_or(0),
            r if r.chars().all(|c| c.is_ascii_digit()) => r.parse::<usize>().unwrap_or(0),
            _ => return Err(unknown()),
        };
        return match bits {
            128 | 192 | 256 => Ok(make(bits / 8)),
            _ => Err(Skip::new(
                SkipKind::KeyLength,
                "encryption algorithm",
                format!(
                    "{} has no AES key length (128, 192 or 256 bits) in its name or in the length of its key",
                    super::table::describe_field(name)
                ),
            )),
        };
    }
    Err(unknown())
}

/// One side (I or R) of a tcpdump/libreswan SA.
struct Half {
    line: usize,
    encr: EncrAlg,
    integ: IntegAlg,
    sk_e: SecretBytes,
    sk_a: SecretBytes,
}

fn split_key<'a>(token: &'a str, what: &'static str) -> Result<(&'a str, &'a str), Skip> {
    token.split_once(':').ok_or_else(|| {
        Skip::new(
            SkipKind::Syntax,
            what,
            format!(
                "expected NAME:0xKEY, found {}",
                super::table::describe_field(token)
            ),
        )
    })
}

fn parse_tcpdump_line(body: &str) -> Result<(bool, SpiPair, Half), Skip> {
    let mut it = body.split_ascii_whitespace();
    let _ikev2 = it.next();
    let role = it.next().unwrap_or("");
    let (Some(spi_i), Some(spi_r), Some(auth), Some(enc)) =
        (it.next(), it.next(), it.next(), it.next())
    else {
        return Err(Skip::new(
            SkipKind::Syntax,
            "line",
            "expected `ikev2 I|R 0xSPI-I 0xSPI-R INTEG:0xKEY ENC:0xKEY` (5 fields after ikev2)",
        ));
    };
    let spi = |field: &'static str, s: &str| -> Result<Spi, Skip> {
        if !(s.starts_with("0x") && s.len() == 18) {
            return Err(Skip::new(
                SkipKind::Spi,
                field,
                format!(
                    "expected 0x and 16 hex digits, found {}",
                    super::table::describe_field(s)
                ),
            ));
        }
        super::table::parse_spi(field, s)
    };
    let spis = SpiPair::new(spi("SPI-I", spi_i)?, spi("SPI-R", spi_r)?);
    let from_i = role == "I";
    let (e_field, a_field) = if from_i {
        ("SK_ei", "SK_ai")
    } else {
        ("SK_er", "SK_ar")
    };
    let (integ_name, a_key) = split_key(auth, a_field)?;
    let (encr_name, e_key) = split_key(enc, e_field)?;
    let key = |field: &'static str, k: &str| -> Result<SecretBytes, Skip> {
        // libreswan writes underscores between groups in some formats
        let k: zeroize::Zeroizing<String> =
            zeroize::Zeroizing::new(k.chars().filter(|c| *c != '_').collect());
        parse_key(field, &k)
    };
    let sk_e = key(e_field, e_key)?;
    let sk_a = key(a_field, a_key)?;
    let integ = tcpdump_integ(integ_name)?;
    let encr = tcpdump_encr(encr_name, sk_e.len())?;
    Ok((
        from_i,
        spis,
        Half {
            line: 0,
            encr,
            integ,
            sk_e,
            sk_a,
        },
    ))
}

/// libreswan's `datatot(…, 'x', buf, 3 + 2 * 32)` keeps 32 bytes of a key.
const LIBRESWAN_KEY_MAX: usize = 32;

fn truncated(field: &'static str, found: usize, expected: usize, alg: &str) -> Option<Skip> {
    (found == LIBRESWAN_KEY_MAX && expected > LIBRESWAN_KEY_MAX).then(|| {
        Skip::new(
            SkipKind::Truncated,
            field,
            format!(
                "{found} bytes, but {alg} needs {expected}: libreswan logs at most {LIBRESWAN_KEY_MAX} bytes of a key (a 256-bit buffer), so this log cannot decrypt this SA; take the keys from a strongSwan save-keys table or a debugger instead"
            ),
        )
    })
}

pub(super) fn parse_tcpdump(text: &str, file: &str, format: KeyFormat) -> KeyTable {
    let mut table = KeyTable::new(format);
    // SPIs -> (I half, R half), in order of first appearance
    let mut pending: HashMap<SpiPair, (Option<Half>, Option<Half>)> = HashMap::new();
    let mut order: Vec<SpiPair> = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let Some(body) = find_ikev2_line(raw) else {
            continue;
        };
        let (from_i, spis, mut half) = match parse_tcpdump_line(body) {
            Ok(x) => x,
            Err(skip) => {
                table.warn(skip.at(file, line_no));
                continue;
            }
        };
        half.line = line_no;
        let slot = pending.entry(spis).or_insert_with(|| {
            order.push(spis);
            (None, None)
        });
        let side = if from_i { &mut slot.0 } else { &mut slot.1 };
        *side = Some(half);
        if let (Some(i), Some(r)) = (&slot.0, &slot.1) {
            let line = i.line.max(r.line);
            let result = combine(spis, i, r);
            pending.remove(&spis);
            order.retain(|s| *s != spis);
            match result {
                Ok(keys) => table.insert(keys, line, file),
                Err(skip) => table.warn(skip.at(file, line)),
            }
        }
    }
    for spis in order {
        let Some((i, r)) = pending.remove(&spis) else {
            continue;
        };
        let (have, missing, line) = match (&i, &r) {
            (Some(h), None) => ("I", "R", h.line),
            (None, Some(h)) => ("R", "I", h.line),
            _ => continue,
        };
        table.warn(
            Skip::new(
                SkipKind::Incomplete,
                "line",
                format!(
                    "SPI-I {} SPI-R {} has an `{have}` line but no `{missing}` line: each SA needs both (the initiator's and the responder's keys)",
                    spis.initiator, spis.responder
                ),
            )
            .at(file, line),
        );
    }
    table
}

fn combine(spis: SpiPair, i: &Half, r: &Half) -> Result<SaKeys, Skip> {
    if i.encr != r.encr || i.integ != r.integ {
        return Err(Skip::new(
            SkipKind::Conflict,
            "line",
            format!(
                "the I line (line {}) names {} / {}, the R line (line {}) {} / {}: both must name the SA's algorithms",
                i.line, i.encr, i.integ, r.line, r.encr, r.integ
            ),
        ));
    }
    for (field, found, expected, alg) in [
        (
            "SK_ei",
            i.sk_e.len(),
            i.encr.sk_e_len(),
            i.encr.wireshark_name(),
        ),
        (
            "SK_er",
            r.sk_e.len(),
            r.encr.sk_e_len(),
            r.encr.wireshark_name(),
        ),
        (
            "SK_ai",
            i.sk_a.len(),
            i.integ.sk_a_len(),
            i.integ.wireshark_name(),
        ),
        (
            "SK_ar",
            r.sk_a.len(),
            r.integ.sk_a_len(),
            r.integ.wireshark_name(),
        ),
    ] {
        if let Some(skip) = truncated(field, found, expected, alg) {
            return Err(skip);
        }
    }
    build_sa(
        spis,
        i.encr,
        i.integ,
        [
            i.sk_e.clone(),
            r.sk_e.clone(),
            i.sk_a.clone(),
            r.sk_a.clone(),
        ],
    )
}
