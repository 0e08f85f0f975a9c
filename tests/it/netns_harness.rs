//! The network-namespace harness itself (tests/it/support/netns.rs): a pair is
//! created, reachable across its veth, hosts a charon that loads a
//! configuration, and leaves nothing behind. Root only; skipped with a
//! message elsewhere, but required when CI=true.

use crate::support::{self, netns};

use netns::{NetnsPair, Side};
use std::process::Command;

fn namespaces() -> String {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn pair_charon_and_cleanup() {
    let _timed = support::timed();
    let test = "netns_harness::pair_charon_and_cleanup";
    if netns::skip_unless_root(test)
        || netns::skip_unless_tool(test, "ip")
        || netns::skip_unless_tool(test, netns::CHARON)
        || netns::skip_unless_tool(test, "swanctl")
    {
        return;
    }
    let names;
    {
        let mut pair = NetnsPair::new("harness").expect("namespaces");
        names = [pair.name(Side::A).to_owned(), pair.name(Side::B).to_owned()];
        let list = namespaces();
        assert!(names.iter().all(|n| list.contains(n.as_str())), "{list}");
        // B's addresses are on B's veth, A's on A's.
        let out = pair
            .run(
                Side::B,
                "ip",
                &["-o", "addr", "show", "dev", NetnsPair::IFACE],
            )
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("10.99.0.2/24") && text.contains("fd99::2/64"),
            "{text}"
        );
        let conf = "connections {\n    probe {\n        version = 2\n        local_addrs = 10.99.0.2\n        proposals = aes256-sha256-modp2048\n        local { auth = psk\n id = gw.qcd.test }\n        remote { auth = psk }\n    }\n}\n";
        let charon = pair.start_charon(Side::B, conf, "").expect("charon starts");
        let out = charon.swanctl(&["--list-conns"]).unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("probe: IKEv2"), "{text}\n{}", charon.log());
        // charon listens on UDP 500 inside B, not outside.
        let out = pair.run(Side::B, "ss", &["-uln"]).unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(":500 "), "{text}");
    }
    let list = namespaces();
    assert!(
        names.iter().all(|n| !list.contains(n.as_str())),
        "left behind: {list}"
    );
}
