//! One test per rule at least: a cluster that triggers it and one that does not.

use super::*;
use crate::audit::inventory::{Mode, Policy, Source};
use crate::secret::keyring::Origin;
use crate::secret::manifest::{ExportState, FileMeta, Manifest};
use crate::secret::Weakness;

fn now() -> SystemTime {
    timefmt::parse_rfc3339("2026-06-01T00:00:00Z").unwrap()
}

/// A healthy generation: 32-byte secret, hmac-sha256, created a month before `now()`.
fn gen(id: u32, state: State, fp: &str) -> GenerationMeta {
    GenerationMeta {
        id,
        state,
        created: "2026-05-01T00:00:00Z".into(),
        expires: match state {
            State::Active => None,
            State::Previous => Some("2026-06-02T00:00:00Z".into()),
            _ => Some("2026-05-02T00:00:00Z".into()),
        },
        fingerprint: fp.into(),
        secret_bytes: 32,
        profile: "hmac-sha256".into(),
        token_length: 32,
        taker_addr: false,
        origin: Origin::Generated,
        weak: None,
    }
}

fn member(name: &str, generations: Vec<GenerationMeta>) -> Member {
    Member {
        name: name.into(),
        source: Source::Manifest(format!("{name}.json").into()),
        manifest: Manifest {
            format: "qcd-manifest".into(),
            version: 1,
            keyring: format!("/etc/qcd/{name}.json"),
            host: Some(name.into()),
            listed_at: "2026-06-01T00:00:00Z".into(),
            file: FileMeta {
                mode: "0600".into(),
                uid: 0,
                gid: 0,
                owner: Some("root".into()),
            },
            generations,
            exports: Vec::new(),
        },
    }
}

fn cluster(name: &str, mode: Mode, members: Vec<Member>) -> Cluster {
    Cluster {
        name: name.into(),
        mode,
        policy: Policy::default(),
        members,
    }
}

fn ids(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.id).collect()
}

/// Two members with their own secrets (fine for every mode but hot-standby).
fn separate(mode: Mode) -> Cluster {
    cluster(
        "c",
        mode,
        vec![
            member("gw1", vec![gen(1, State::Active, "aaaa")]),
            member("gw2", vec![gen(1, State::Active, "bbbb")]),
        ],
    )
}

/// A hot-standby pair sharing one active secret.
fn shared() -> Cluster {
    cluster(
        "c",
        Mode::HotStandby,
        vec![
            member("gw1", vec![gen(3, State::Active, "aaaa")]),
            member("gw2", vec![gen(7, State::Active, "aaaa")]),
        ],
    )
}

#[test]
fn healthy_clusters_have_no_findings() {
    for c in [
        shared(),
        separate(Mode::LoadSharing),
        separate(Mode::Anycast),
        separate(Mode::Standalone),
    ] {
        assert!(
            audit(std::slice::from_ref(&c), now()).is_empty(),
            "{:?}",
            c.mode
        );
    }
}

#[test]
fn qcd001_shared_secret_in_load_sharing() {
    let mut c = separate(Mode::LoadSharing);
    // gw2 still holds gw1's secret as an expired (not destroyed) generation.
    c.members[1]
        .manifest
        .generations
        .push(gen(0, State::Expired, "aaaa"));
    let f = qcd001(&c);
    assert_eq!(ids(&f), ["QCD001"]);
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[0].members, ["gw1", "gw2"]);
    assert_eq!(f[0].fingerprint.as_deref(), Some("aaaa"));
    assert!(
        f[0].message
            .contains("gw1 (generation 1, active) and gw2 (generation 0, expired)"),
        "{}",
        f[0].message
    );
    assert!(
        f[0].fix.marked()
            .contains("for gw2: `qcd secret derive --root ROOT.json --member gw2 -k /etc/qcd/gw2.json --overlap 1d`"),
        "{}",
        f[0].fix.marked()
    );
    // The same in anycast and between standalone gateways.
    for mode in [Mode::Anycast, Mode::Standalone] {
        c.mode = mode;
        assert_eq!(ids(&qcd001(&c)), ["QCD001"]);
    }
    // Destroyed generations no longer hold the secret.
    c.members[1].manifest.generations[1].state = State::Destroyed;
    assert!(qcd001(&c).is_empty());
    // Hot-standby members are meant to share.
    assert!(qcd001(&shared()).is_empty());
}

#[test]
fn qcd002_standby_lacks_active_secret() {
    let c = separate(Mode::HotStandby);
    let f = qcd002(&c);
    // Both directions of failover fail.
    assert_eq!(ids(&f), ["QCD002", "QCD002"]);
    assert_eq!(f[0].members, ["gw1", "gw2"]);
    assert!(
        f[0].message
            .starts_with("gw2 does not hold gw1's active generation 1 (fingerprint aaaa)"),
        "{}",
        f[0].message
    );
    assert!(f[0].fix.marked().contains("on gw1: `qcd secret export -k /etc/qcd/gw1.json --format hex | ssh gw2 qcd secret import -k /etc/qcd/gw2.json --format hex --profile hmac-sha256 --length 32 --overlap 1d`"), "{}", f[0].fix.marked());
    // When gw2's own active generation is newer, gw2 takes gw1's as previous
    // and gw1 takes gw2's as active: together, one shared active generation.
    let mut newer = c.clone();
    newer.members[1].manifest.generations[0].created = "2026-05-10T00:00:00Z".into();
    let f = qcd002(&newer);
    assert!(
        f[0].fix.marked().contains(
            "--as previous --overlap 1d` (as previous: gw2's own active generation is newer)"
        ),
        "{}",
        f[0].fix.marked()
    );
    assert!(
        !f[1].fix.marked().contains("--as previous"),
        "{}",
        f[1].fix.marked()
    );
    // A previous generation on the standby is enough to produce the tokens.
    let mut c = c;
    c.members[1]
        .manifest
        .generations
        .push(gen(0, State::Previous, "aaaa"));
    assert_eq!(f.len(), 2);
    assert_eq!(qcd002(&c).len(), 1); // gw1 still lacks gw2's active
                                     // An expired generation is not, and importing it again would change
                                     // nothing: the fix is a new generation, copied.
    c.members[1].manifest.generations[1].state = State::Expired;
    let f = qcd002(&c);
    assert_eq!(f.len(), 2);
    assert!(
        f[0].fix
            .marked()
            .starts_with("gw2 (expired) still holds the secret but no longer in use"),
        "{}",
        f[0].fix.marked()
    );
    assert!(f[0].fix.marked().contains("on gw1: `qcd secret rotate -k /etc/qcd/gw1.json --overlap 1d --profile hmac-sha256 --length 32`, then copy it to the standby: `qcd secret export -k /etc/qcd/gw1.json --format hex | ssh gw2 qcd secret import -k /etc/qcd/gw2.json --format hex --profile hmac-sha256 --length 32 --overlap 1d`"), "{}", f[0].fix.marked());
    assert!(qcd002(&shared()).is_empty());
    assert!(qcd002(&separate(Mode::LoadSharing)).is_empty());
}

#[test]
fn qcd002_shared_secret_with_different_token_profiles() {
    for change in [
        |g: &mut GenerationMeta| g.profile = "hmac-sha1".into(),
        |g: &mut GenerationMeta| g.token_length = 16,
        |g: &mut GenerationMeta| g.taker_addr = true,
    ] {
        let mut c = shared();
        change(&mut c.members[1].manifest.generations[0]);
        let f = qcd002(&c);
        assert_eq!(ids(&f), ["QCD002"], "reported once per pair");
        assert!(
            f[0].message.contains("make tokens differently"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].generations.len(), 2);
    }
}

#[test]
fn qcd003_rotation_drift() {
    // gw1 rotated to bbbb; gw2 is still active on aaaa but holds bbbb as previous,
    // and gw1 keeps aaaa as previous: takeover works, until the previous ones expire.
    let c = cluster(
        "c",
        Mode::HotStandby,
        vec![
            member(
                "gw1",
                vec![
                    gen(1, State::Previous, "aaaa"),
                    gen(2, State::Active, "bbbb"),
                ],
            ),
            member(
                "gw2",
                vec![
                    gen(1, State::Active, "aaaa"),
                    gen(2, State::Previous, "bbbb"),
                ],
            ),
        ],
    );
    // gw1's active generation is the newest: it is the one to rotate from.
    let mut c = c;
    c.members[0].manifest.generations[1].created = "2026-05-20T00:00:00Z".into();
    let f = qcd003(&c, now());
    assert_eq!(ids(&f), ["QCD003"]);
    assert_eq!(f[0].severity, Severity::Medium);
    assert!(f[0].message.starts_with("rotation drift: gw1 is active on generation 2 (bbbb), gw2 is active on generation 1 (aaaa)"), "{}", f[0].message);
    assert!(qcd002(&c).is_empty());
    assert!(f[0].fix.marked().starts_with("Rotate on one member only and copy the new generation to the others, now and from then on: on gw1: `qcd secret rotate -k /etc/qcd/gw1.json"), "{}", f[0].fix.marked());
    assert!(qcd003(&shared(), now()).is_empty());
}

#[test]
fn qcd003_previous_generation_missing_on_standby() {
    let mut c = shared();
    c.members[0]
        .manifest
        .generations
        .push(gen(2, State::Previous, "cccc"));
    let f = qcd003(&c, now());
    assert_eq!(ids(&f), ["QCD003"]);
    assert_eq!(f[0].members, ["gw1", "gw2"]);
    assert!(f[0].message.contains("gw1's previous generation 2 (fingerprint cccc, in use until 2026-06-02T00:00:00Z) is not in use on gw2"), "{}", f[0].message);
    // The remaining window (one day) is what the import keeps it for.
    assert!(
        f[0].fix
            .marked()
            .contains("export -k /etc/qcd/gw1.json -g 2 --format hex"),
        "{}",
        f[0].fix.marked()
    );
    assert!(
        f[0].fix.marked().contains("--as previous --overlap 1d"),
        "{}",
        f[0].fix.marked()
    );
    // Held only as expired on gw2: no import revives it, and the fix says so.
    c.members[1]
        .manifest
        .generations
        .push(gen(4, State::Expired, "cccc"));
    let f = qcd003(&c, now());
    assert!(
        f[0].fix
            .marked()
            .contains("gw2 holds it only as expired and no qcd command puts it back in use"),
        "{}",
        f[0].fix.marked()
    );
    c.members[1].manifest.generations.pop();
    // Once gw2 holds it too, nothing to say.
    c.members[1]
        .manifest
        .generations
        .push(gen(5, State::Previous, "cccc"));
    assert!(qcd003(&c, now()).is_empty());
    // Only hot-standby clusters must share.
    c.mode = Mode::LoadSharing;
    c.members[1].manifest.generations.pop();
    assert!(qcd003(&c, now()).is_empty());
}

#[test]
fn qcd004_short_and_weak_secrets() {
    let mut c = separate(Mode::LoadSharing);
    c.members[0].manifest.generations[0].secret_bytes = 12;
    c.members[1].manifest.generations[0].secret_bytes = 24;
    let f = qcd004(&c);
    assert_eq!(
        f.iter().map(|f| (f.id, f.severity)).collect::<Vec<_>>(),
        [("QCD004", Severity::High), ("QCD004", Severity::Medium)]
    );
    assert!(f[0]
        .message
        .contains("gw1's generation 1 (active, fingerprint aaaa) has a 12-byte secret, under the 16-byte minimum"));
    assert!(f[1]
        .message
        .contains("24-byte secret, under the policy minimum of 32 bytes"));
    assert!(
        f[0].fix.marked()
            .contains("qcd secret rotate -k /etc/qcd/gw1.json --overlap 1d --profile hmac-sha256 --length 32 --bytes 32"),
        "{}",
        f[0].fix.marked()
    );
    // A lower policy minimum accepts 24 bytes; 16 is the floor anyway.
    c.policy.min_secret_bytes = 16;
    assert_eq!(qcd004(&c).len(), 1);

    let mut c = separate(Mode::LoadSharing);
    c.members[1].manifest.generations[0].weak = Some(Weakness::RepeatingPattern);
    let f = qcd004(&c);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].severity, f[0].members[0].as_str()),
        (Severity::High, "gw2")
    );
    assert!(
        f[0].message.contains("repeat a short pattern"),
        "{}",
        f[0].message
    );
    // Destroyed generations have no secret left to be weak.
    c.members[1].manifest.generations[0].state = State::Destroyed;
    assert!(qcd004(&c).is_empty());
}

#[test]
fn qcd005_insecure_permissions() {
    let mut c = shared();
    c.members[1].manifest.file.mode = "0640".into();
    let f = qcd005(&c);
    assert_eq!(ids(&f), ["QCD005"]);
    assert_eq!(f[0].members, ["gw2"]);
    assert!(f[0].message.contains("mode 0640") && f[0].message.contains("can read the QCD secret"));
    assert_eq!(f[0].fix.marked(), "on gw2: `chmod 600 /etc/qcd/gw2.json`");
    c.members[1].manifest.file.mode = "0602".into();
    assert!(qcd005(&c)[0].message.contains("can write the QCD secret"));
    c.members[1].manifest.file.mode = "0700".into();
    assert!(qcd005(&c).is_empty());
}

#[test]
fn qcd006_same_secret_in_two_clusters() {
    let a = shared();
    let mut b = separate(Mode::LoadSharing);
    b.name = "lb".into();
    b.members[0].manifest.generations[0].fingerprint = "dddd".into();
    assert!(qcd006(&[a.clone(), b.clone()]).is_empty());
    b.members[1].manifest.generations[0].fingerprint = "aaaa".into();
    let f = qcd006(&[a, b]);
    assert_eq!(ids(&f), ["QCD006"]);
    assert_eq!(f[0].cluster, "c, lb");
    assert_eq!(f[0].members, ["c/gw1", "c/gw2", "lb/gw2"]);
    assert!(
        f[0].fix
            .marked()
            .contains("in lb: on gw2: `qcd secret rotate -k /etc/qcd/gw2.json"),
        "{}",
        f[0].fix.marked()
    );
    // Within one cluster it is not QCD006's business.
    assert!(qcd006(&[shared()]).is_empty());
}

#[test]
fn qcd007_and_qcd011_old_active_generation() {
    let mut c = separate(Mode::LoadSharing);
    c.members[0].manifest.generations[0].created = "2025-05-01T00:00:00Z".into();
    let f = qcd007(&c, now());
    assert_eq!(ids(&f), ["QCD007"]);
    assert!(
        f[0].message
            .contains("396 days ago, beyond the policy's max age of 365 days"),
        "{}",
        f[0].message
    );
    // Only one generation with a secret: never rotated, nothing to roll back to.
    let f = qcd011(&c, now());
    assert_eq!(ids(&f), ["QCD011"]);
    assert_eq!(f[0].severity, Severity::Info);
    assert!(
        f[0].fix.marked().contains("--if-older-than 365d"),
        "{}",
        f[0].fix.marked()
    );
    // A destroyed older generation does not count as something to roll back to.
    c.members[0]
        .manifest
        .generations
        .push(gen(0, State::Destroyed, "0000"));
    assert_eq!(qcd011(&c, now()).len(), 1);
    // A previous generation does.
    c.members[0]
        .manifest
        .generations
        .push(gen(9, State::Previous, "9999"));
    assert!(qcd011(&c, now()).is_empty());
    assert_eq!(qcd007(&c, now()).len(), 1);
    // A longer max age accepts it.
    c.policy.max_age = Duration::from_secs(400 * 86400);
    assert!(qcd007(&c, now()).is_empty());
    assert!(qcd011(&separate(Mode::LoadSharing), now()).is_empty());
}

#[test]
fn qcd008_taker_address_behind_nat() {
    let mut c = separate(Mode::Anycast);
    c.members[0].manifest.generations[0].taker_addr = true;
    assert!(qcd008(&c).is_empty(), "no NAT in the policy");
    c.policy.nat = true;
    let f = qcd008(&c);
    assert_eq!(ids(&f), ["QCD008"]);
    assert!(
        f[0].fix
            .marked()
            .contains("rotate -k /etc/qcd/gw1.json --overlap 1d --profile hmac-sha256"),
        "{}",
        f[0].fix.marked()
    );
    c.members[0].manifest.generations[0].taker_addr = false;
    assert!(qcd008(&c).is_empty());
}

#[test]
fn qcd009_token_length_and_unknown_profile() {
    let mut c = separate(Mode::Anycast);
    c.members[0].manifest.generations[0].profile = "hmac-sha3-256".into();
    c.members[1].manifest.generations[0].token_length = 12;
    let f = qcd009(&c);
    assert_eq!(ids(&f), ["QCD009", "QCD009"]);
    assert!(
        f[0].message
            .contains("\"hmac-sha3-256\", unknown to this qcd"),
        "{}",
        f[0].message
    );
    assert!(
        f[1].message
            .contains("12-byte tokens, outside RFC 6290's 16 to 128 bytes"),
        "{}",
        f[1].message
    );
    // Longer than the digest can give.
    c.members[0].manifest.generations[0].profile = "hmac-sha1".into();
    c.members[0].manifest.generations[0].token_length = 32;
    c.members[1].manifest.generations[0].token_length = 16;
    let f = qcd009(&c);
    assert_eq!(ids(&f), ["QCD009"]);
    assert!(
        f[0].message.contains("hmac-sha1 yields at most 20 bytes"),
        "{}",
        f[0].message
    );
    c.members[0].manifest.generations[0].token_length = 20;
    assert!(qcd009(&c).is_empty());
}

#[test]
fn qcd010_expired_not_pruned() {
    let mut c = separate(Mode::Anycast);
    c.members[0].manifest.generations.extend([
        gen(0, State::Destroyed, "0000"),
        gen(2, State::Expired, "2222"),
    ]);
    let f = qcd010(&c);
    assert_eq!(ids(&f), ["QCD010"]);
    assert_eq!(
        f[0].generations,
        [GenerationRef {
            member: "gw1".into(),
            generation: 2
        }]
    );
    assert_eq!(
        f[0].fix.marked(),
        "on gw1: `qcd secret prune -k /etc/qcd/gw1.json`"
    );
    c.members[0].manifest.generations[2].state = State::Destroyed;
    assert!(qcd010(&c).is_empty());
}

#[test]
fn findings_are_sorted_most_severe_first() {
    let mut c = separate(Mode::LoadSharing);
    c.members[0].manifest.generations[0].created = "2020-01-01T00:00:00Z".into();
    c.members[1].manifest.file.mode = "0644".into();
    let f = audit(&[c], now());
    assert_eq!(ids(&f), ["QCD005", "QCD007", "QCD011"]);
}

#[test]
fn rule_table_lists_every_rule_once() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.0).collect();
    let want: Vec<String> = (1..=12).map(|i| format!("QCD{i:03}")).collect();
    assert_eq!(ids, want);
}

/// Issue 12, item 18: findings that would repeat per member pair are
/// grouped, so a cluster of N members gives O(N) text, not O(N²).
#[test]
fn large_clusters_give_text_linear_in_members() {
    let size = |f: &[Finding]| -> usize {
        f.iter()
            .map(|f| {
                f.message.len()
                    + f.fix.marked().len()
                    + f.members.iter().map(String::len).sum::<usize>()
            })
            .sum()
    };
    let mut per_member = Vec::new();
    for n in [60usize, 240] {
        let name = |i: usize| format!("gw{i:04}");
        let fp = |i: usize| format!("{:016x}", 0x1000 + i);
        let cases = [
            // Every member on its own secret.
            cluster(
                "dc",
                Mode::HotStandby,
                (0..n)
                    .map(|i| member(&name(i), vec![gen(1, State::Active, &fp(i))]))
                    .collect(),
            ),
            // One shared active secret, and each member's own previous one.
            cluster(
                "dc",
                Mode::HotStandby,
                (0..n)
                    .map(|i| {
                        member(
                            &name(i),
                            vec![
                                gen(1, State::Previous, &fp(i + 1)),
                                gen(2, State::Active, &fp(0)),
                            ],
                        )
                    })
                    .collect(),
            ),
            // One shared secret, half of the members with another profile.
            cluster(
                "dc",
                Mode::HotStandby,
                (0..n)
                    .map(|i| {
                        let mut g = gen(1, State::Active, &fp(0));
                        if i % 2 == 1 {
                            g.profile = "hmac-sha1".into();
                            g.token_length = 16;
                        }
                        member(&name(i), vec![g])
                    })
                    .collect(),
            ),
            // One shared old secret: one finding per rule, not per member.
            cluster(
                "dc",
                Mode::HotStandby,
                (0..n)
                    .map(|i| {
                        let mut g = gen(1, State::Active, &fp(0));
                        g.created = "2020-01-01T00:00:00Z".into();
                        member(&name(i), vec![g])
                    })
                    .collect(),
            ),
            // Load-sharing members all holding one secret.
            cluster(
                "lb",
                Mode::LoadSharing,
                (0..n)
                    .map(|i| member(&name(i), vec![gen(1, State::Active, &fp(0))]))
                    .collect(),
            ),
        ];
        let mut sizes = Vec::new();
        for c in cases {
            let f = audit(std::slice::from_ref(&c), now());
            assert!(f.len() <= 4, "{} findings for {n} members", f.len());
            sizes.push(size(&f) / n);
        }
        per_member.push(sizes);
    }
    // Four times the members: about the same text per member (not 4×).
    for (small, big) in per_member[0].iter().zip(&per_member[1]) {
        assert!(*big <= small + small / 2 + 50, "{:?}", per_member);
    }
}

#[test]
fn grouping_thresholds() {
    let fp = |i: usize| format!("{:016x}", 0x1000 + i);
    let apart = |n: usize| {
        cluster(
            "dc",
            Mode::HotStandby,
            (0..n)
                .map(|i| member(&format!("gw{i}"), vec![gen(1, State::Active, &fp(i))]))
                .collect(),
        )
    };
    // Up to GROUP_LIMIT secrets: one finding per secret.
    let f = qcd002(&apart(GROUP_LIMIT));
    assert_eq!(f.len(), GROUP_LIMIT);
    assert!(
        f[0].message
            .starts_with("gw1, gw2 and gw3 do not hold gw0's active generation 1"),
        "{}",
        f[0].message
    );
    // Past it: one finding for the cluster, every member named once.
    let f = qcd002(&apart(GROUP_LIMIT + 1));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].members.len(), GROUP_LIMIT + 1);
    assert!(
        f[0].message
            .starts_with("the 5 members are active on 5 different secrets"),
        "{}",
        f[0].message
    );
    assert!(
        f[0].fix
            .marked()
            .starts_with("Give the cluster one secret: keep gw"),
        "{}",
        f[0].fix.marked()
    );
    assert_eq!(f[0].fix.commands().count(), GROUP_LIMIT);
    // Other rules' fixes then only rotate, and point to QCD002.
    let mut c = apart(GROUP_LIMIT + 1);
    c.members[0].manifest.generations[0].created = "2020-01-01T00:00:00Z".into();
    let f = qcd007(&c, now());
    assert!(
        f[0].fix
            .marked()
            .contains("do not share one secret yet: QCD002 says how"),
        "{}",
        f[0].fix.marked()
    );
    // Per-member findings about one shared secret are merged.
    let mut c = shared();
    for m in &mut c.members {
        m.manifest.generations[0].created = "2020-01-01T00:00:00Z".into();
    }
    let f: Vec<Finding> = audit(&[c], now())
        .into_iter()
        .filter(|f| f.id == "QCD007")
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].members, ["gw1", "gw2"]);
    assert!(
        f[0].message
            .ends_with("; the same secret is held by gw2 (generation 7)"),
        "{}",
        f[0].message
    );
    // Commands are the fix's quoted commands.
    let text = f[0].fix.marked();
    let quoted: Vec<&str> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(f[0].fix.commands().collect::<Vec<_>>(), quoted);
    assert!(!quoted.is_empty());
}

/// A single member exported for `target`, whose export record `edit` changes.
fn exported(target: &str, edit: impl FnOnce(&mut ExportState)) -> Cluster {
    let mut c = cluster(
        "c",
        Mode::Standalone,
        vec![member("gw1", vec![gen(1, State::Active, "aaaa")])],
    );
    let mut e = ExportState {
        file: "/home/rhpprotected/config/qcd_secret".into(),
        target: Some(target.into()),
        format: "raw".into(),
        generation: 1,
        fingerprint: "aaaa".into(),
        written: "2026-05-01T00:00:00Z".into(),
        on_change: Some("systemctl restart rockhopper.service".into()),
        daemon_started: Some("2026-05-01T00:00:01Z".into()),
        daemon_fingerprint: Some("aaaa".into()),
        restart_pending: false,
        on_change_failed: None,
        file_fingerprint: Some("aaaa".into()),
    };
    edit(&mut e);
    c.members[0].manifest.exports = vec![e];
    c
}

#[test]
fn qcd012_single_key_daemons_must_run_the_active_secret() {
    // Healthy: exported, restarted, the file unchanged.
    assert!(qcd012(&exported("rockhopper", |_| ())).is_empty());
    // Not a target qcd knows, or not recorded: no judgement.
    assert!(qcd012(&exported("strongswan", |e| e.restart_pending = true)).is_empty());
    type Edit = Box<dyn FnOnce(&mut ExportState)>;
    let cases: Vec<(Edit, Severity, &str)> = vec![
        (
            Box::new(|e| e.file_fingerprint = Some("ffff".into())),
            Severity::High,
            "now holds a secret with fingerprint ffff",
        ),
        (
            Box::new(|e| {
                e.restart_pending = true;
                e.on_change_failed = Some("exit status 1".into());
            }),
            Severity::High,
            "failed (exit status 1)",
        ),
        (
            Box::new(|e| {
                e.generation = 0;
                e.fingerprint = "0000".into();
                e.file_fingerprint = Some("0000".into());
                e.daemon_fingerprint = Some("0000".into());
            }),
            Severity::High,
            "the rotation was not exported",
        ),
        (
            Box::new(|e| e.daemon_fingerprint = Some("0000".into())),
            Severity::High,
            "differs from what the daemon started with",
        ),
        (
            Box::new(|e| {
                e.daemon_fingerprint = None;
                e.daemon_started = None;
                e.on_change = None;
            }),
            Severity::Medium,
            "no restart of Rockhopper VPN (rockhopperd) was recorded",
        ),
    ];
    for (edit, severity, want) in cases {
        let f = qcd012(&exported("rockhopper", edit));
        assert_eq!(f.len(), 1, "{want}");
        assert_eq!(f[0].severity, severity, "{want}");
        assert!(
            f[0].message.contains(want),
            "{}\n  wanted: {want}",
            f[0].message
        );
        assert!(
            f[0].fix.marked().contains("--for rockhopper")
                && f[0]
                    .fix
                    .marked()
                    .contains("systemctl restart rockhopper.service"),
            "{}",
            f[0].fix.marked()
        );
    }
    // racoon2 is single-key too.
    let f = qcd012(&exported("racoon2", |e| e.restart_pending = true));
    assert_eq!(ids(&f), ["QCD012"]);
    assert!(
        f[0].fix.marked().contains("iked.service"),
        "{}",
        f[0].fix.marked()
    );
}
