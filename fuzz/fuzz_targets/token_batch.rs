//! Fuzzes the small text parsers behind `qcd token` and the global options:
//! the batch line reader and line parsers (`token::batch`: errors never quote
//! a token; the fast path does not depend on the read buffer), SPI text
//! (`Spi::parse`, `Spi::parse_ascii`, which must agree on ASCII input), lenient
//! hex and base64 (`encoding`) and durations and timestamps (`timefmt`).
#![no_main]

use std::io::{BufReader, Cursor};

use libfuzzer_sys::fuzz_target;
use qcd::encoding::{decode_base64_lenient, decode_hex_lenient};
use qcd::spi::Spi;
use qcd::timefmt::{parse_duration, parse_rfc3339};
use qcd::token::batch::{
    decode_token, derive_text, parse_derive_line, parse_verify_line, LineReader, MAX_LINE_LEN,
};
use qcd::token::profile::MAX_TOKEN_LEN;
use qcd::token::{Deriver, TokenSpec};

fuzz_target!(|data: &[u8]| {
    // Batch input, through a reader buffer of 1..=64 bytes (data[0] picks it)
    // so lines straddle the buffer's end, and through a roomy one.
    let (cap, body) = match data.split_first() {
        Some((c, rest)) => (usize::from(c % 64) + 1, rest),
        None => (1, data),
    };
    let mut whole = Vec::new();
    let mut reader = LineReader::new(BufReader::with_capacity(cap, Cursor::new(body)));
    let mut last = 0;
    while let Ok(Some((n, line))) = reader.next_line() {
        assert_eq!(n, last + 1, "line numbers run on");
        last = n;
        assert!(line.len() <= MAX_LINE_LEN + 1, "a line kept unbounded");
        if line.len() <= MAX_LINE_LEN {
            whole.extend_from_slice(line);
        }
        if let Err(e) = parse_derive_line(n, line) {
            assert_eq!(e.line(), n);
            no_echo(&e.to_string());
        }
        let mut token = [0u8; MAX_TOKEN_LEN];
        match parse_verify_line(n, line, &mut token) {
            Ok(Some((_, len))) => assert!((1..=MAX_TOKEN_LEN).contains(&len)),
            Ok(None) => {}
            Err(e) => no_echo(&e.to_string()),
        }
    }
    // The batch fast paths give the same output and errors whatever the
    // read buffer's size (runs of fixed-length lines cut anywhere).
    let d = Deriver::new(&[7; 32], TokenSpec::default()).expect("a valid spec");
    let run = |cap: usize| {
        let mut out = Vec::new();
        let mut errs = Vec::new();
        let stats = derive_text(
            &d,
            BufReader::with_capacity(cap, Cursor::new(body)),
            &mut out,
            |e| errs.push(e.to_string()),
        )
        .expect("in-memory I/O");
        (out, errs, stats)
    };
    assert_eq!(run(cap), run(1 << 16), "derive_text depends on the buffer");

    // Short lines come back byte for byte.
    if body.split(|&b| b == b'\n').all(|l| l.len() < MAX_LINE_LEN) {
        assert_eq!(whole, body, "LineReader lost or changed bytes");
    }
    let mut out = [0u8; MAX_TOKEN_LEN];
    if let Ok(len) = decode_token(data, &mut out) {
        assert!((1..=MAX_TOKEN_LEN).contains(&len));
    }

    // SPIs: the byte parser agrees with the text parser on ASCII.
    let ascii = Spi::parse_ascii(data);
    if data.is_ascii() {
        let text = std::str::from_utf8(data).expect("ASCII is UTF-8");
        assert_eq!(ascii, Spi::parse(text), "parse_ascii and parse disagree");
    }

    // Text parsers, on the input as text.
    let text = String::from_utf8_lossy(data);
    if let Ok(spi) = Spi::parse(&text) {
        assert_eq!(Spi::parse(&spi.to_hex()), Ok(spi));
    }
    if let Ok(bytes) = decode_hex_lenient(&text) {
        assert_eq!(decode_hex_lenient(&hex_of(&bytes)), Ok(bytes));
    }
    if let Ok(bytes) = decode_base64_lenient(&text) {
        let encoded = qcd::encoding::encode_base64(&bytes);
        assert_eq!(decode_base64_lenient(&encoded), Ok(bytes));
    }
    if let Ok(d) = parse_duration(&text) {
        let _ = qcd::timefmt::format_duration(d);
    }
    if let Ok(t) = parse_rfc3339(&text) {
        // Microseconds are kept: formatting is a fixed point after one round.
        let formatted = qcd::timefmt::format_rfc3339_precise(t);
        let again = parse_rfc3339(&formatted).expect("a formatted time parses");
        assert_eq!(qcd::timefmt::format_rfc3339_precise(again), formatted);
    }
});

/// An error never quotes a field that could hold a token: no run of more
/// than 16 hex digits (an SPI's length; the examples in messages have 16),
/// and a bounded length whatever the field's.
fn no_echo(message: &str) {
    assert!(message.len() < 600, "a long error: {message}");
    let longest = message
        .split(|c: char| !c.is_ascii_hexdigit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest <= 16, "an error quotes hex: {message}");
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
