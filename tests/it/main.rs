//! The integration tests, as one test binary (one link instead of one per
//! file): a module per area below, and one helper module, `support`.
//!
//! Run one area with `cargo test --test it MODULE::` (e.g.
//! `cargo test --test it decode_cli::`), one test with
//! `cargo test --test it MODULE::NAME -- --exact`.
//!
//! The tests share one process: none changes the environment or the working
//! directory of the process (`docs` runs its examples in a child process),
//! and the tests with time bounds or network namespaces take
//! `support::timed()`, the heavy ones `support::heavy()`: a timed test never
//! runs beside a heavy one (support/lock.rs).

mod support;

mod architecture;
mod assets;
mod audit_cli;
mod broken_pipe;
mod capture_blocks;
mod capture_damage;
mod capture_formats;
mod capture_fragments;
mod capture_messages;
mod capture_tshark;
mod decode_capture;
mod decode_cli;
mod decode_tshark;
mod diagnose_advice;
mod diagnose_cli;
mod diagnose_follow;
mod docs;
mod ikecrypto_strongswan;
mod ikecrypto_tshark;
mod ikecrypto_vectors;
mod ikeinit_charon;
mod ikeinit_scripted;
mod ikeinit_vectors;
mod keys_cli;
mod netns_harness;
mod probe_auth_cli;
mod probe_loopback;
mod probe_netns;
mod respond_rockhopper;
mod secret_cli;
mod secret_crash;
mod secret_hardening;
mod secret_props;
mod secret_targets;
mod terminal;
mod token_cli;
mod token_vectors;
mod wire_roundtrip;

/// Every file of tests/it is a module of this binary, and no test file is
/// left in tests/ (with `autotests = false` in Cargo.toml, cargo would not
/// build it: its tests would silently never run).
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let stray: Vec<_> = std::fs::read_dir(&tests)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    assert!(
        stray.is_empty(),
        "{stray:?}: move it to tests/it/ and add `mod NAME;` to tests/it/main.rs"
    );
    let main = include_str!("main.rs");
    for entry in std::fs::read_dir(tests.join("it")).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .strip_suffix(".rs")
        else {
            continue;
        };
        if name != "main" {
            assert!(
                main.lines().any(|l| l == format!("mod {name};")),
                "tests/it/{name}.rs is not a module: add `mod {name};` to tests/it/main.rs"
            );
        }
    }
}
