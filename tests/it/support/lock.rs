//! The tests of this binary share one process and run a few at a time
//! (libtest's threads). Most are light and run side by side with anything.
//! Two kinds are kept apart from each other:
//!
//! - `timed()`: a test with a bound on time (a reply within a second, a 5 s
//!   run that must end by 7 s, a probe deadline, a 30 s silence) or that
//!   sets up network namespaces and charon. These mostly wait: they run
//!   beside each other and beside light tests (their waits overlap).
//! - `heavy()`: a test that keeps the cores busy for seconds (tshark or qcd
//!   over every capture, proptest over many processes). Heavy tests run
//!   beside each other and beside light tests.
//!
//! A timed test never runs beside a heavy one: whichever kind holds the lock
//! first keeps the other waiting until its last test has ended.
//!
//! Take the guard first thing in the test and keep it to the end:
//! `let _timed = support::timed();`. A test that panics releases it.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Timed,
    Heavy,
}

/// How many tests of each kind run now (`[timed, heavy]`); at most one of
/// the two is not zero.
static RUNNING: Mutex<[usize; 2]> = Mutex::new([0, 0]);
static ENDED: Condvar = Condvar::new();

fn running() -> MutexGuard<'static, [usize; 2]> {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Held while a timed or heavy test runs; dropping it lets the other kind in.
pub struct Guard(Kind);

fn enter(kind: Kind) -> Guard {
    let (mine, other) = match kind {
        Kind::Timed => (0, 1),
        Kind::Heavy => (1, 0),
    };
    let mut n = running();
    while n[other] > 0 {
        n = ENDED.wait(n).unwrap_or_else(PoisonError::into_inner);
    }
    n[mine] += 1;
    Guard(kind)
}

impl Drop for Guard {
    fn drop(&mut self) {
        let mut n = running();
        n[(self.0 == Kind::Heavy) as usize] -= 1;
        ENDED.notify_all();
    }
}

/// For a test with time bounds or network namespaces: never beside a heavy
/// test.
pub fn timed() -> Guard {
    enter(Kind::Timed)
}

/// For a test that keeps the cores busy: never beside a timed test.
pub fn heavy() -> Guard {
    enter(Kind::Heavy)
}
