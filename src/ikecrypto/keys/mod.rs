//! Key logs as IKE daemons and tools write them, read into a [`KeyTable`]:
//!
//! - **tcpdump `-E`** secrets (`print-esp.c`, `esp_print_decode_ikeline`):
//!   `ikev2 I|R 0xSPI-I 0xSPI-R INTEG:0xSK_a ENC:0xSK_e`, one `I` line with
//!   the initiator's keys (SK_ai, SK_ei) and one `R` line with the
//!   responder's (SK_ar, SK_er); ENC is an OpenSSL cipher name (`aes128`,
//!   `aes-256-cbc`, `3des`, optional `-hmac96`), INTEG `sha1` or `md5`.
//! - **libreswan** with `plutodebug=private`: the same lines, written by
//!   pluto's `LDBG_tcpdump_ike_sa_keys` (older: `ikev2_log_parentSA`) with
//!   libreswan's tcpdump names (`aes`, `aes_ctr`, `aes_gcm` = AES-GCM with
//!   8-octet ICV, `aes_gcm_12`, `aes_gcm_16`, `aes_ccm_8/12/16`, `3des`,
//!   `chacha20_poly1305`, `null`; integrity `md5`, `sha1`, `sha256`,
//!   `sha384`, `sha512`) and the key length in bits glued on (`aes128`,
//!   `aes_gcm_16256`), after a syslog prefix and pluto's `| `. libreswan
//!   prints at most 32 bytes of each key (a 256-bit buffer), so longer keys
//!   (AES-256 with salt, SHA-384/512 SK_a) arrive cut: such SAs are skipped
//!   with a [`SkipKind::Truncated`] warning.
//! - **strongSwan charon** logs at `ike = 4`: `Sk_ai secret => 32 bytes @
//!   0x…` followed by hexdump lines (`   0: 81 8E DD …`), per SK key. The
//!   algorithm comes from the IKE SA's `selected proposal: IKE:…` line, the
//!   SPIs from `… with SPIs X_i Y_r` lines (`mgr = 2`) or from the
//!   `natd_chunk` dump (SPI-I ‖ SPI-R ‖ address ‖ port, logged at `ike = 4`).
//!   Lines are tied to an IKE SA by the `<name|id>` tag (`ike_name = yes`)
//!   and otherwise by the thread number.
//!
//! The format of a file is detected ([`detect`]) or given; one format per file.
//!
//! One module per format: [`table`] (the model and shared field readers),
//! [`wireshark`], [`tcpdump`] (also libreswan) and [`charon`].

pub mod charon;
pub mod table;
pub mod tcpdump;
pub mod wireshark;

use std::path::Path;

pub use table::{
    build_sa, describe_field, parse_key, parse_spi, write_table, KeyFormat, KeyTable,
    KeyTableError, KeyWarning, Skip, SkipKind, FIELDS, MAX_FILE_BYTES,
};
pub use wireshark::wireshark_line;

use table::read_bounded;

/// The format of `text`: `ikev2 I|R 0x…` lines make a tcpdump/libreswan key
/// log (read by one parser that knows both name sets), charon's
/// `Sk_ei secret =>` lines a charon log, anything else a Wireshark table.
pub fn detect(text: &str) -> KeyFormat {
    for line in text.lines() {
        if tcpdump::find_ikev2_line(line).is_some() {
            return KeyFormat::Tcpdump;
        }
        if line.contains("Sk_ei secret =>") || line.contains("Sk_ai secret =>") {
            return KeyFormat::Charon;
        }
    }
    KeyFormat::Wireshark
}

/// Reads `text` in `format`; `file` names it in warnings.
pub fn parse(text: &str, file: &str, format: KeyFormat) -> KeyTable {
    match format {
        KeyFormat::Wireshark => KeyTable::parse_lenient(text, file),
        KeyFormat::Tcpdump | KeyFormat::Libreswan => tcpdump::parse_tcpdump(text, file, format),
        KeyFormat::Charon => charon::parse_charon(text, file),
    }
}

impl KeyTable {
    /// Reads a key table or key log (format detected, see
    /// [`detect`]). Refuses non-regular files and files over
    /// [`MAX_FILE_BYTES`]; a file with key lines none of which is usable is
    /// an error, otherwise skipped lines are in [`KeyTable::warnings`].
    pub fn load(path: &Path) -> Result<KeyTable, KeyTableError> {
        Self::load_as(path, None)
    }

    /// [`KeyTable::load`] in a given format (`None`: detect).
    pub fn load_as(path: &Path, format: Option<KeyFormat>) -> Result<KeyTable, KeyTableError> {
        let text = zeroize::Zeroizing::new(read_bounded(path)?);
        Self::from_text(&text, &path.display().to_string(), format)
    }

    /// Key table or key log text in `format` (`None`: detect); `file` names
    /// it in warnings. An error when key lines exist and none is usable.
    pub fn from_text(
        text: &str,
        file: &str,
        format: Option<KeyFormat>,
    ) -> Result<KeyTable, KeyTableError> {
        let format = format.unwrap_or_else(|| detect(text));
        let t = parse(text, file, format);
        t.check_usable(file)?;
        Ok(t)
    }
}

#[cfg(test)]
mod log_tests;
