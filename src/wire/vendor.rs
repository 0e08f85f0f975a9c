//! The Vendor ID payload (RFC 7296 §3.12) and the implementations behind
//! well-known vendor IDs.
//!
//! [`vendor_name`] looks a vendor ID up in [`KNOWN`], a table of prefixes
//! (a vendor ID matches an entry it starts with, as Wireshark matches them),
//! and recognises two computed forms: libreswan/Openswan/FreeS/WAN's
//! "OE"-prefixed IDs and Rockhopper VPN's versioned hash. Every entry says
//! where the value comes from:
//!
//! - "Wireshark" is the `vendor_id[]` table of Wireshark's
//!   `epan/dissectors/packet-isakmp.c` (GPL-2.0-or-later; values are facts,
//!   the table is not copied);
//! - "strongSwan" is `src/libcharon/sa/ikev2/tasks/ike_vendor.c`;
//! - "libreswan" is `programs/pluto/vendor.c`;
//! - "Rockhopper" is `rockhopper/include/rhp_ikev2_mesg.h` (`RHP_MY_VENDOR_ID`)
//!   and `rockhopper/app/rhp_ikev2_payload_vid.c`, confirmed on the real
//!   capture `tests/data/rockhopper/restart_same_secret.pcap`.
//!
//! Not searched for but absent: racoon2's IKEv2 daemon (iked) sends no vendor
//! ID of its own that qcd found; KAME racoon's (IKEv1) is listed.

/// A vendor ID prefix and what it identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownVendorId {
    /// Lowercase hex of the prefix.
    pub prefix: &'static str,
    pub name: &'static str,
    /// Where the value comes from.
    pub source: &'static str,
}

const WS: &str = "Wireshark packet-isakmp.c vendor_id[]";
const SWAN: &str = "strongSwan ike_vendor.c vids[]";
const LSW: &str = "libreswan programs/pluto/vendor.c _vid_tab[]";

/// Well-known vendor IDs, most specific first where prefixes overlap.
pub const KNOWN: &[KnownVendorId] = &[
    // strongSwan: MD5("strongSwan"), sent with charon.send_vendor_id.
    KnownVendorId { prefix: "882fe56d6fd20dbc2251613b2ebe5beb", name: "strongSwan", source: SWAN },
    // Cisco (IOS, ASA, FlexVPN).
    KnownVendorId { prefix: "12f5f28c457168a9702d9fe274cc", name: "Cisco Unity", source: WS },
    KnownVendorId { prefix: "1f07f70eaa6514d3b0fa96542a50", name: "Cisco VPN 3000 Concentrator", source: LSW },
    KnownVendorId { prefix: "4048b7d56ebce88525e7de7f00d6c2d3", name: "Cisco Fragmentation (MD5 \"FRAGMENTATION\")", source: WS },
    KnownVendorId { prefix: "464c455856504e2d535550504f52544544", name: "Cisco FlexVPN Supported (\"FLEXVPN-SUPPORTED\")", source: WS },
    KnownVendorId { prefix: "434953434f2d44454c4554452d524541534f4e", name: "Cisco Delete Reason Supported (\"CISCO-DELETE-REASON\")", source: WS },
    KnownVendorId { prefix: "434953434f2d44594e414d49432d524f555445", name: "Cisco Dynamic Route Supported (\"CISCO-DYNAMIC-ROUTE\")", source: WS },
    KnownVendorId { prefix: "434953434f56504e2d5245562d3032", name: "Cisco VPN Revision 2 (\"CISCOVPN-REV-02\")", source: WS },
    KnownVendorId { prefix: "434953434f28434f505952494748542926436f7079726967687420286329203230303920436973636f2053797374656d732c20496e632e", name: "Cisco Copyright (c) 2009", source: WS },
    KnownVendorId { prefix: "434953434f2d4752452d4d4f4445", name: "Cisco GRE Mode Supported (\"CISCO-GRE-MODE\")", source: WS },
    KnownVendorId { prefix: "3e984048", name: "Cisco IOS", source: LSW },
    // Microsoft Windows.
    KnownVendorId { prefix: "1e2b516905991c7d7c96fcbfb587e461", name: "Microsoft Windows (MS NT5 ISAKMPOAKLEY)", source: WS },
    KnownVendorId { prefix: "26244d38eddb61b3172a36e3d0cfb819", name: "Microsoft Vid-Initial-Contact", source: WS },
    KnownVendorId { prefix: "fb1de3cdf341b7ea16b7e5be0855f120", name: "Microsoft MS-Negotiation Discovery Capable", source: WS },
    KnownVendorId { prefix: "e3a5966a76379fe707228231e5ce8652", name: "Microsoft IKE CGA Version 1", source: WS },
    // Juniper (NetScreen / ScreenOS).
    KnownVendorId { prefix: "299ee8289f40a8973bc78687e2e7226b532c3b76", name: "Juniper NetScreen (Netscreen-1)", source: WS },
    KnownVendorId { prefix: "3a15e1f3cf2a63582e3ac82d1c64cbe3b6d779e7", name: "Juniper NetScreen (Netscreen-2)", source: WS },
    KnownVendorId { prefix: "47d2b126bfcd83489760e2cf8c5d4d5a03497c15", name: "Juniper NetScreen (Netscreen-3)", source: WS },
    KnownVendorId { prefix: "4a4340b543e02b84c88a8b96a8af9ebe77d9accc", name: "Juniper NetScreen (Netscreen-4)", source: WS },
    KnownVendorId { prefix: "64405f46f03b7660a23be116a1975058e69e8387", name: "Juniper NetScreen (Netscreen-5)", source: WS },
    KnownVendorId { prefix: "699369228741c6d4ca094c93e242c9de19e7b7c6", name: "Juniper NetScreen (Netscreen-6)", source: WS },
    KnownVendorId { prefix: "8c0dc6cf62a0ef1b5c6eabd1b67ba69866adf16a", name: "Juniper NetScreen (Netscreen-7)", source: WS },
    KnownVendorId { prefix: "92d27a9ecb31d99246986d3453d0c3d57a222a61", name: "Juniper NetScreen (Netscreen-8)", source: WS },
    KnownVendorId { prefix: "9b096d9ac3275a7d6fe8b91c583111b09efed1a0", name: "Juniper NetScreen (Netscreen-9)", source: WS },
    KnownVendorId { prefix: "bf03746108d746c904f1f3547de24f78479fed12", name: "Juniper NetScreen (Netscreen-10)", source: WS },
    KnownVendorId { prefix: "c2e80500f4cc5fbf5daaeed3bb59abaeee56c652", name: "Juniper NetScreen (Netscreen-11)", source: WS },
    KnownVendorId { prefix: "c8660a62b03b1b6130bf781608d32a6a8d0fb89f", name: "Juniper NetScreen (Netscreen-12)", source: WS },
    KnownVendorId { prefix: "f885da40b1e7a9abd17655ec5bbec0f21f0ed52e", name: "Juniper NetScreen (Netscreen-13)", source: WS },
    KnownVendorId { prefix: "2a2bcac19b8e91b426107807e02e7249569d6fd3", name: "Juniper NetScreen (Netscreen-14)", source: WS },
    KnownVendorId { prefix: "166f932d55eb64d8e4df4fd37e2313f0d0fd8451", name: "Juniper NetScreen (Netscreen-15)", source: WS },
    KnownVendorId { prefix: "a35bfd05ca1ac0b3d2f24e9e82bfcbff9c9e52b5", name: "Juniper NetScreen (Netscreen-16)", source: WS },
    // Fortinet.
    KnownVendorId { prefix: "8299031757a36082c6a621de", name: "Fortinet FortiGate", source: WS },
    KnownVendorId { prefix: "4c53427b6d465d1b337bb755a37a7fef", name: "Fortinet FortiClient Connect license", source: WS },
    KnownVendorId { prefix: "b4f01ca951e9da8d0bafbbd34ad3044e", name: "Fortinet Endpoint Control", source: WS },
    // Check Point (CryptoPro/GOST VIDs as Wireshark labels them).
    KnownVendorId { prefix: "f4ed19e0c114eb516faaac0ee37daf2807b4381f", name: "Check Point (R65)", source: WS },
    KnownVendorId { prefix: "031017e07f7a82e3aa6950c999990100", name: "Check Point (R71)", source: WS },
    KnownVendorId { prefix: "031017e07f7a82e3aa6950c999990101", name: "CryptoPro/GOST 1.1", source: WS },
    // Other implementations.
    KnownVendorId { prefix: "7003cbc1097dbe9c2600ba6983bc8b35", name: "KAME/racoon", source: WS },
    KnownVendorId { prefix: "20a3622c1cea7ce37bee3ca484425276", name: "IPsec-Tools", source: WS },
    KnownVendorId { prefix: "f14b94b7bff1fef02773b8c49feded26", name: "Shrew Soft", source: WS },
    KnownVendorId { prefix: "404bf439522ca3f6", name: "SonicWall", source: WS },
    KnownVendorId { prefix: "625027749d5ab97f5616c1602765cf480a3b7d0b", name: "Zyxel ZyWALL", source: WS },
    KnownVendorId { prefix: "8404adf9cda05760b2ca292e4bff537b", name: "Secure Computing Sidewinder", source: WS },
    KnownVendorId { prefix: "9aa1f3b43472a45d5f506aeb26c0f214", name: "CyberGuard", source: WS },
    KnownVendorId { prefix: "ca3e2b854ba8030017dc1023a4fde2041f9f7463", name: "Aruba Networks Remote AP", source: WS },
    KnownVendorId { prefix: "3c8e70bdf9c7d74add53e4100915dc2e4bb51274", name: "Aruba Networks Controller", source: WS },
    KnownVendorId { prefix: "88f0e3149b3fa48b05aa7f685f0b766be186ccb8", name: "Aruba Networks VIA Client", source: WS },
    KnownVendorId { prefix: "101fb0b35c5a4f4c08b919f1cb9777b0", name: "NCP client", source: LSW },
    // Features rather than implementations.
    KnownVendorId { prefix: "afcad71368a1f1c96b8696fc77570100", name: "RFC 3706 Dead Peer Detection", source: WS },
    KnownVendorId { prefix: "4a131c81070358455c5728f20e95452f", name: "RFC 3947 NAT-Traversal", source: WS },
    KnownVendorId { prefix: "09002689dfd6b712", name: "XAUTH", source: WS },
    KnownVendorId { prefix: "4865617274426561745f4e6f74696679", name: "Heartbeat Notify", source: WS },
    KnownVendorId { prefix: "2d7922c6b301d9b0e1342739e9cfbbd5", name: "Delete With Reason", source: WS },
];

/// Rockhopper VPN's vendor ID after its version octet: SHA-1 of
/// "Please enjoy Rockhopper VPN!" with its terminating NUL.
const ROCKHOPPER_SHA1: &str = "a9f0f0ca1d92d2edda8fb44d438936552282ed8f";

/// Windows releases by the version word after MS NT5 ISAKMPOAKLEY, from the
/// comment in libreswan's vendor.c (which cites Microsoft's MS-IKEE).
fn windows_release(v: u32) -> Option<&'static str> {
    Some(match v {
        2 => "Windows 2000",
        3 => "Windows XP",
        4 => "Windows Server 2003",
        5 => "Windows Vista",
        6 => "Windows Server 2008",
        7 => "Windows 7",
        8 => "Windows Server 2008 R2",
        _ => return None,
    })
}

/// The implementation or feature a vendor ID names, with the version
/// details some carry; `None` if unknown.
pub fn vendor_name(vid: &[u8]) -> Option<String> {
    let hex = crate::encoding::to_hex(vid);
    // Rockhopper VPN: version octet || SHA-1("Please enjoy Rockhopper VPN!\0").
    if vid.len() == 21 && &hex[2..] == ROCKHOPPER_SHA1 {
        return Some(format!("Rockhopper VPN (vendor ID version {})", vid[0]));
    }
    // libreswan (and Openswan, FreeS/WAN 2.x): "OE" then 10 octets of an MD5
    // hash of the version string, each forced into 0x40..0x7f
    // (init_vendorid, VID_FSWAN_HASH / VID_SELF).
    if vid.len() == 12
        && vid.starts_with(b"OE")
        && vid[2..].iter().all(|b| (0x40..0x80).contains(b))
    {
        return Some("libreswan/Openswan (\"OE\" vendor ID)".to_string());
    }
    let k = KNOWN.iter().find(|k| hex.starts_with(k.prefix))?;
    let extra = &vid[k.prefix.len() / 2..];
    Some(match k.name {
        "Cisco Unity" if extra.len() >= 2 => format!("Cisco Unity {}.{}", extra[0], extra[1]),
        "Microsoft Windows (MS NT5 ISAKMPOAKLEY)" if extra.len() == 4 => {
            let v = u32::from_be_bytes([extra[0], extra[1], extra[2], extra[3]]);
            match windows_release(v) {
                Some(r) => format!("Microsoft {r} (MS NT5 ISAKMPOAKLEY version {v})"),
                None => format!("Microsoft Windows (MS NT5 ISAKMPOAKLEY version {v})"),
            }
        }
        _ => k.name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_lowercase_hex() {
        for k in KNOWN {
            assert!(
                k.prefix.len() % 2 == 0 && hex::decode(k.prefix).is_ok(),
                "{}",
                k.name
            );
            assert_eq!(k.prefix, k.prefix.to_lowercase(), "{}", k.name);
        }
    }

    #[test]
    fn known_ids() {
        let md5 = |s: &str| hex::decode(s).unwrap();
        assert_eq!(
            vendor_name(&md5("882fe56d6fd20dbc2251613b2ebe5beb")).as_deref(),
            Some("strongSwan")
        );
        // as seen in tests/data/rockhopper/restart_same_secret.pcap
        assert_eq!(
            vendor_name(&md5("01a9f0f0ca1d92d2edda8fb44d438936552282ed8f")).as_deref(),
            Some("Rockhopper VPN (vendor ID version 1)")
        );
        assert_eq!(
            vendor_name(b"OEu\x7fXpAnJdBl").as_deref(),
            Some("libreswan/Openswan (\"OE\" vendor ID)")
        );
        assert_eq!(
            vendor_name(b"FLEXVPN-SUPPORTED").as_deref(),
            Some("Cisco FlexVPN Supported (\"FLEXVPN-SUPPORTED\")")
        );
        assert_eq!(
            vendor_name(&md5("12f5f28c457168a9702d9fe274cc0100")).as_deref(),
            Some("Cisco Unity 1.0")
        );
        assert_eq!(
            vendor_name(&md5("1e2b516905991c7d7c96fcbfb587e46100000007")).as_deref(),
            Some("Microsoft Windows 7 (MS NT5 ISAKMPOAKLEY version 7)")
        );
        // Cisco appends 0x80000000 to the FRAGMENTATION hash: a prefix match
        assert!(vendor_name(&md5("4048b7d56ebce88525e7de7f00d6c2d380000000")).is_some());
        assert_eq!(vendor_name(&[1, 2, 3]), None);
        // strongSwan's Ike_vendor.c agrees with Wireshark on the MS IDs
        assert_eq!(
            vendor_name(&md5("fb1de3cdf341b7ea16b7e5be0855f120")).as_deref(),
            Some("Microsoft MS-Negotiation Discovery Capable")
        );
    }
}

/// What a vendor ID tells of the sender's QCD (RFC 6290) support as token
/// maker, from the implementations' code (see `shared/reference/qcd.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QcdMaker {
    /// Rockhopper VPN: answers unknown IKE SPIs with INVALID_IKE_SPI and
    /// QCD_TOKEN when `<ikesa qcd_enabled="enable"/>` (main.xml) and its
    /// secret file is readable.
    Rockhopper,
    /// strongSwan or libreswan: never answer a message for an unknown IKE SPI.
    DropsUnknownSpis(&'static str),
}

/// The QCD maker behaviour a vendor ID names, if it names one.
pub fn qcd_maker(vid: &[u8]) -> Option<QcdMaker> {
    let hex = crate::encoding::to_hex(vid);
    if vid.len() == 21 && &hex[2..] == ROCKHOPPER_SHA1 {
        return Some(QcdMaker::Rockhopper);
    }
    if vid.len() == 12
        && vid.starts_with(b"OE")
        && vid[2..].iter().all(|b| (0x40..0x80).contains(b))
    {
        return Some(QcdMaker::DropsUnknownSpis("libreswan"));
    }
    KNOWN
        .iter()
        .find(|k| hex.starts_with(k.prefix))
        .filter(|k| k.name == "strongSwan")
        .map(|_| QcdMaker::DropsUnknownSpis("strongSwan"))
}

#[cfg(test)]
mod qcd_maker_tests {
    use super::*;

    #[test]
    fn rockhopper_and_strongswan_vendor_ids_name_their_qcd_behaviour() {
        // Rockhopper's vendor ID as it appears in tests/data/rockhopper/restart_same_secret.pcap.
        let rh = hex::decode(format!("01{ROCKHOPPER_SHA1}")).unwrap();
        assert_eq!(qcd_maker(&rh), Some(QcdMaker::Rockhopper));
        let sw = hex::decode("882fe56d6fd20dbc2251613b2ebe5beb").unwrap();
        assert_eq!(
            qcd_maker(&sw),
            Some(QcdMaker::DropsUnknownSpis("strongSwan"))
        );
        assert_eq!(
            qcd_maker(b"OEabcdefghij"),
            Some(QcdMaker::DropsUnknownSpis("libreswan"))
        );
        assert_eq!(qcd_maker(&[1, 2, 3]), None);
    }
}
