//! Crash safety of keyring writes: a rotation stopped at any moment leaves
//! the old keyring or the new one, never a torn or empty file.

use crate::support;

use std::time::Duration;

use support::Dir;

fn generation_count(d: &Dir) -> usize {
    let r = d.run(&["secret", "list", "-k", "k.json", "--json"]);
    assert_eq!(
        r.code,
        Some(0),
        "keyring unreadable after a crash: {}",
        r.stderr
    );
    r.json()["generations"].as_array().unwrap().len()
}

fn stray_temps(d: &Dir) -> Vec<String> {
    std::fs::read_dir(d.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".qcd-tmp"))
        .collect()
}

#[test]
fn every_fault_point_leaves_old_or_new() {
    // (fault point, whether the rotation is visible afterwards)
    let points = [
        ("after-create", false),
        ("mid-write", false),
        ("before-rename", false),
        ("after-rename", true),
    ];
    for (point, committed) in points {
        let d = Dir::new();
        d.run(&["secret", "generate", "-k", "k.json"]).ok();
        let before = d.read("k.json");
        let out = d
            .cmd(&["secret", "rotate", "-k", "k.json"])
            .env("QCD_TEST_FAULT", point)
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "{point}: the fault point did not fire"
        );
        assert_eq!(out.status.code(), None, "{point}: expected death by signal");
        let n = generation_count(&d);
        if committed {
            assert_eq!(n, 2, "{point}");
        } else {
            assert_eq!(n, 1, "{point}");
            assert_eq!(d.read("k.json"), before, "{point}");
        }
        // The next writer under the lock removes what the dead one left.
        d.run(&["secret", "rotate", "-k", "k.json"]).ok();
        assert!(stray_temps(&d).is_empty(), "{point}: {:?}", stray_temps(&d));
    }
}

#[test]
fn kill_9_at_random_moments_never_tears_the_keyring() {
    let d = Dir::new();
    d.run(&["secret", "generate", "-k", "k.json"]).ok();
    // Calibrate: how long does an uncontested rotation take on this machine?
    let mut longest = Duration::ZERO;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        d.run(&["secret", "rotate", "-k", "k.json"]).ok();
        longest = longest.max(t.elapsed());
    }
    let span_us = (longest.as_micros() as u64 * 3 / 2).max(1);
    let mut expected_min = generation_count(&d);
    // A small deterministic PRNG spreads the kills over the whole rotation.
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let (mut completed, rounds) = (0, 100);
    for _ in 0..rounds {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_micros(seed % span_us);
        let mut child = d
            .cmd(&["secret", "rotate", "-k", "k.json"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        if child.wait().unwrap().success() {
            completed += 1;
        }
        let n = generation_count(&d);
        assert!(
            n >= expected_min,
            "lost a committed rotation: {n} < {expected_min}"
        );
        assert!(n <= expected_min + 1);
        expected_min = n;
    }
    eprintln!("{completed} of {rounds} rotations completed before the kill (kills spread over {span_us} us)");
    assert!(
        completed > 0 && completed < rounds,
        "kills did not spread over the rotation ({completed}/{rounds} completed): the test proved nothing"
    );
}
