//! The tests of this binary share one process and run a few at a time
//! (libtest's threads). Most are light and run side by side. Two kinds are
//! kept apart:
//!
//! - `serial()`: a test with an upper bound on time (a reply within a
//!   second, a 5 s run that must end by 7 s, a probe deadline) or that sets
//!   up network namespaces and charon. It runs alone among the tests that
//!   take this lock, so no heavy test competes with it for the 2 cores.
//! - `heavy()`: a test that keeps the cores busy for seconds (tshark over
//!   every capture, qcd on every capture, proptest over many processes).
//!   Heavy tests may run beside each other and beside light tests, never
//!   beside a `serial()` one.
//!
//! Take the guard first thing in the test and keep it to the end:
//! `let _serial = support::serial();`. A test that panics releases it (the
//! poisoning is ignored: the next test runs as usual).

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

static LOCK: RwLock<()> = RwLock::new(());

/// Runs the test alone among the `serial()` and `heavy()` tests.
pub fn serial() -> RwLockWriteGuard<'static, ()> {
    LOCK.write().unwrap_or_else(PoisonError::into_inner)
}

/// Runs the test beside other heavy or light tests, never beside a
/// `serial()` one.
pub fn heavy() -> RwLockReadGuard<'static, ()> {
    LOCK.read().unwrap_or_else(PoisonError::into_inner)
}
