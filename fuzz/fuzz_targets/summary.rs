//! Fuzzes `decode --summary` end to end on any file: the capture reader,
//! the message digest, the IKE SA index and the ESP flow grouping
//! (`Summary::from_capture`), then every way the summary is printed: NDJSON
//! that parses, one line per row, and table cells, wide and narrow, and the
//! table at two widths. Then the message listing of `decode`
//! on the same file (`CaptureMessages`, same filter): every message it keeps
//! passes the filter on its full decode. Never a panic, a loop or unbounded
//! memory (run with -rss_limit_mb=2048).
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use qcd::capture::{CaptureReader, ReadOptions};
use qcd::decode::messages::{CaptureMessages, MessageEvent};
use qcd::decode::summary::{Summary, SummaryFilter, TABLE_NARROW, TABLE_WIDE};
use qcd::decode::table::SummaryTable;
use qcd::decode::DecodeOptions;

fuzz_target!(|data: &[u8]| {
    // The smallest read buffer (64 KiB): nothing changes for inputs this
    // small, and a 4 MiB allocation per run is saved.
    let opts = ReadOptions {
        buffer_size: 0,
        ..ReadOptions::default()
    };
    let Ok(mut reader) = CaptureReader::new(Cursor::new(data), "fuzz", opts.clone()) else {
        return;
    };
    // The first byte picks a filter, as --qcd and --spi would.
    let filter = match data.first().map(|b| b % 3) {
        Some(1) => SummaryFilter {
            qcd: true,
            spi: None,
        },
        Some(2) => SummaryFilter {
            qcd: false,
            spi: Some(qcd::spi::Spi([0; 8])),
        },
        _ => SummaryFilter::default(),
    };
    let summary = Summary::from_capture(&mut reader, None, filter, |n| {
        let _ = n.to_string();
    });
    let mut rows = 0;
    for row in summary.rows() {
        rows += 1;
        let line = serde_json::to_vec(&row).expect("a summary row serializes");
        serde_json::from_slice::<serde_json::Value>(&line).expect("summary JSON parses");
        for (header, narrow) in [(&TABLE_WIDE[..], false), (&TABLE_NARROW[..], true)] {
            let cells = row.table_cells(narrow, 80);
            assert_eq!(cells.len(), header.len(), "one cell per column");
        }
    }
    assert_eq!(rows, summary.len(), "rows yielded and rows counted disagree");
    // The table, at the narrowest width and a wide one: a header line and
    // at least one line per row, no line ending in a space.
    for width in [60, 300] {
        let mut text = Vec::new();
        SummaryTable::new(&summary, width)
            .write(&mut text)
            .expect("writes to memory");
        let text = String::from_utf8(text).expect("the table is UTF-8");
        assert!(text.lines().count() >= rows + usize::from(rows > 0));
        assert!(text.lines().all(|l| !l.ends_with(' ')), "{text}");
    }

    // The listing of `qcd decode FILE` with the same filter.
    let Ok(mut reader) = CaptureReader::new(Cursor::new(data), "fuzz", opts) else {
        return;
    };
    let decode = DecodeOptions {
        keys: None,
        ignore_icv: false,
        dissect: true,
    };
    for event in CaptureMessages::new(&mut reader, decode, filter) {
        match event {
            MessageEvent::Message(m) => {
                assert!(filter.keeps_message(&m.message), "kept against the filter");
            }
            MessageEvent::Note(n) => {
                let _ = n.to_string();
            }
            MessageEvent::Fragments(_) => {}
        }
    }
});
