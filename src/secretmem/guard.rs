//! Keeping secrets out of core dumps (and swap).
//!
//! - [`harden_process`] makes the process non-dumpable
//!   (`prctl(PR_SET_DUMPABLE, 0)`: no core dump, no ptrace attach by other
//!   processes of the same user, `/proc/PID/mem` closed) and sets
//!   `RLIMIT_CORE` to 0. The `qcd` binary calls it first thing.
//! - [`Slot`]: the storage of small secret buffers ([`super::SecretBytes`]
//!   of at most [`MAX_GUARDED`] bytes). Slots are carved from 64 KiB
//!   anonymous mappings marked `MADV_DONTDUMP` (left out of any core dump
//!   even if dumps are re-enabled, e.g. by `suid_dumpable=2`) and locked
//!   with `mlock` where `RLIMIT_MEMLOCK` allows (never written to swap). A
//!   slot is wiped when freed and reused; the pool never shrinks and is
//!   capped at [`MAX_POOL_BYTES`], past which buffers fall back to the heap
//!   (still wiped on drop). Larger buffers (decrypted payloads) use the heap.
//!
//! All of it is best effort, "where the OS allows": a refused `mlock` or
//! `madvise` leaves the buffer usable.

use std::sync::Mutex;

use memmap2::{Advice, MmapMut};
use zeroize::Zeroize;

/// The largest buffer kept in a guarded slot (a QCD secret is at most 1024 bytes).
pub const MAX_GUARDED: usize = 1024;
/// Slot sizes; a buffer takes the smallest that fits.
const CLASSES: [usize; 6] = [32, 64, 128, 256, 512, 1024];
/// Size of one guarded mapping.
const CHUNK: usize = 64 * 1024;
/// The most memory the pool maps.
pub const MAX_POOL_BYTES: usize = 16 * 1024 * 1024;

/// What [`harden_process`] achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hardening {
    /// `PR_SET_DUMPABLE` 0 took effect.
    pub non_dumpable: bool,
    /// `RLIMIT_CORE` is 0.
    pub no_core: bool,
}

/// Makes this process non-dumpable and sets its core size limit to 0.
pub fn harden_process() -> Hardening {
    use rustix::process::{
        dumpable_behavior, set_dumpable_behavior, setrlimit, DumpableBehavior, Resource, Rlimit,
    };
    let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    let zero = Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    let no_core = setrlimit(Resource::Core, zero).is_ok();
    Hardening {
        non_dumpable: matches!(dumpable_behavior(), Ok(DumpableBehavior::NotDumpable)),
        no_core,
    }
}

struct Pool {
    /// Free slots per class.
    free: [Vec<&'static mut [u8]>; CLASSES.len()],
    mapped: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    free: [
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    ],
    mapped: 0,
});

/// A guarded buffer of a fixed slot size; wiped and returned to the pool on drop.
pub struct Slot {
    mem: &'static mut [u8],
    class: usize,
}

impl Slot {
    /// A zeroed slot of at least `len` bytes, or `None` when `len` is too
    /// large or the pool is exhausted (the caller uses the heap).
    pub fn new(len: usize) -> Option<Slot> {
        let class = CLASSES.iter().position(|&c| c >= len)?;
        let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
        if pool.free[class].is_empty() {
            if pool.mapped + CHUNK > MAX_POOL_BYTES {
                return None;
            }
            let map = MmapMut::map_anon(CHUNK).ok()?;
            let _ = map.advise(Advice::DontDump);
            let _ = map.lock();
            pool.mapped += CHUNK;
            // The mapping lives as long as the process: its slots are reused.
            let leaked: &'static mut MmapMut = Box::leak(Box::new(map));
            let mem: &'static mut [u8] = &mut leaked[..];
            pool.free[class].extend(mem.chunks_mut(CLASSES[class]));
        }
        let mem = pool.free[class].pop()?;
        Some(Slot { mem, class })
    }

    pub fn bytes(&self) -> &[u8] {
        self.mem
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        self.mem
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.mem.zeroize();
        let mem = std::mem::take(&mut self.mem);
        let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
        pool.free[self.class].push(mem);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The VmFlags of the mapping holding `addr`, from /proc/self/smaps.
    pub(crate) fn vm_flags(addr: usize) -> Option<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((lo, hi)) = range.split_once('-') {
                    if let (Ok(lo), Ok(hi)) =
                        (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
                    {
                        inside = (lo..hi).contains(&addr);
                        continue;
                    }
                }
            }
            if inside {
                if let Some(flags) = line.strip_prefix("VmFlags:") {
                    return Some(flags.trim().to_string());
                }
            }
        }
        None
    }

    #[test]
    fn slots_are_left_out_of_core_dumps_and_wiped() {
        let mut s = Slot::new(32).unwrap();
        s.bytes_mut().copy_from_slice(&[7u8; 32]);
        let addr = s.bytes().as_ptr() as usize;
        let flags = vm_flags(addr).expect("the slot's mapping is in /proc/self/smaps");
        assert!(
            flags.split(' ').any(|f| f == "dd"),
            "no MADV_DONTDUMP: {flags}"
        );
        drop(s);
        // the freed slot comes back wiped
        let mut seen = false;
        let mut held = Vec::new();
        for _ in 0..(CHUNK / 32) {
            let s = Slot::new(32).unwrap();
            if s.bytes().as_ptr() as usize == addr {
                assert!(s.bytes().iter().all(|&b| b == 0));
                seen = true;
                break;
            }
            held.push(s);
        }
        assert!(seen, "the freed slot was not reused");
    }

    #[test]
    fn large_buffers_are_not_pooled() {
        assert!(Slot::new(MAX_GUARDED).is_some());
        assert!(Slot::new(MAX_GUARDED + 1).is_none());
    }

    #[test]
    fn hardening_takes_effect() {
        // In a child process, so the test harness keeps its own settings.
        if std::env::var("QCD_GUARD_CHILD").is_ok() {
            let h = harden_process();
            assert_eq!(
                h,
                Hardening {
                    non_dumpable: true,
                    no_core: true
                }
            );
            let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
            let core = limits
                .lines()
                .find(|l| l.starts_with("Max core file size"))
                .unwrap();
            assert!(
                core.split_whitespace().filter(|w| *w == "0").count() == 2,
                "{core}"
            );
            return;
        }
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "secretmem::guard::tests::hardening_takes_effect",
                "--nocapture",
            ])
            .env("QCD_GUARD_CHILD", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("1 passed"),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
