//! `decode::messages::CaptureMessages`, the library operation behind
//! `qcd decode CAPTURE`: on every capture of `tests/data` (with its key
//! table where there is one), the messages a filter keeps by their digest
//! are exactly the unfiltered messages that the filter keeps on their full
//! decode, in the same order; nothing is lost without a note.

use crate::support;

use std::path::Path;

use qcd::capture::{CaptureReader, ReadOptions};
use qcd::decode::messages::{CaptureMessages, MessageEvent};
use qcd::decode::summary::SummaryFilter;
use qcd::decode::DecodeOptions;
use qcd::ikecrypto::KeyTable;
use qcd::spi::Spi;

/// (frame, SPI-I, SPI-R) of each message kept, and the number of notes.
fn run(
    file: &Path,
    keys: Option<&KeyTable>,
    filter: SummaryFilter,
) -> (Vec<(u64, String, String)>, usize) {
    let mut reader = CaptureReader::open(file, ReadOptions::default()).unwrap();
    let opts = DecodeOptions {
        keys,
        ignore_icv: false,
        dissect: true,
    };
    let (mut kept, mut notes) = (Vec::new(), 0);
    for e in CaptureMessages::new(&mut reader, opts, filter) {
        match e {
            MessageEvent::Message(m) => {
                assert!(
                    filter.keeps_message(&m.message),
                    "{} frame {}",
                    file.display(),
                    m.frame
                );
                kept.push((m.frame, m.message.spi_i.clone(), m.message.spi_r.clone()))
            }
            MessageEvent::Note(_) | MessageEvent::Fragments(_) => notes += 1,
        }
    }
    (kept, notes)
}

/// Per capture: (messages, kept by `--qcd`, kept by `--spi`).
fn check_capture(file: &Path) -> (usize, usize, usize) {
    let keys = support::keys_beside(file);
    // The full decode, once: every message with its frame.
    let decoded: Vec<_> = {
        let mut reader = CaptureReader::open(file, ReadOptions::default()).unwrap();
        let opts = DecodeOptions {
            keys: keys.as_ref(),
            ignore_icv: false,
            dissect: true,
        };
        CaptureMessages::new(&mut reader, opts, SummaryFilter::default())
            .filter_map(|e| match e {
                MessageEvent::Message(m) => Some(m),
                _ => None,
            })
            .collect()
    };
    let full = |filter: SummaryFilter| {
        decoded
            .iter()
            .filter(|m| filter.keeps_message(&m.message))
            .map(|m| (m.frame, m.message.spi_i.clone(), m.message.spi_r.clone()))
            .collect::<Vec<_>>()
    };
    let (unfiltered, notes) = run(file, keys.as_ref(), SummaryFilter::default());
    assert_eq!(
        unfiltered,
        full(SummaryFilter::default()),
        "{}",
        file.display()
    );
    let qcd = SummaryFilter {
        qcd: true,
        spi: None,
    };
    let (by_digest, qcd_notes) = run(file, keys.as_ref(), qcd);
    assert_eq!(by_digest, full(qcd), "--qcd on {}", file.display());
    assert!(qcd_notes <= notes, "{}", file.display());
    let qcd_kept = by_digest.len();
    let mut spi_kept = 0;
    // --spi with the SPI-R of the first message that has one, and with
    // an SPI no message has.
    if let Some((_, _, r)) = unfiltered.iter().find(|(_, _, r)| r != "0000000000000000") {
        let spi = SummaryFilter {
            qcd: false,
            spi: Some(Spi::parse(r).unwrap()),
        };
        let (by_digest, _) = run(file, keys.as_ref(), spi);
        assert_eq!(by_digest, full(spi), "--spi {r} on {}", file.display());
        assert!(!by_digest.is_empty());
        spi_kept = by_digest.len();
    }
    let none = SummaryFilter {
        qcd: false,
        spi: Some(Spi::parse("00000000deadbeef").unwrap()),
    };
    assert_eq!(
        run(file, keys.as_ref(), none).0,
        vec![],
        "{}",
        file.display()
    );
    (unfiltered.len(), qcd_kept, spi_kept)
}

#[test]
fn digest_filters_keep_what_the_full_decode_would() {
    let _heavy = support::heavy();
    let files = support::data_captures();
    // A few captures at a time: each is independent.
    let counts = support::parallel::parallel(&files, |f| check_capture(f));
    let all: usize = counts.iter().map(|c| c.0).sum();
    let qcd_kept: usize = counts.iter().map(|c| c.1).sum();
    let spi_kept: usize = counts.iter().map(|c| c.2).sum();
    assert!(all >= 240, "only {all} messages");
    assert!(qcd_kept >= 10, "only {qcd_kept} QCD-related messages");
    assert!(spi_kept >= 100, "only {spi_kept} messages of one SA");
}
