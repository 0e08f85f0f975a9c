#!/usr/bin/env python3
"""Writes the example manifests in manifests/ (what `qcd secret list --json`
prints on each gateway). Fingerprints are made up: a manifest never holds a
secret, so these examples run without any. Rerun after changing a case."""
import json
import pathlib

HERE = pathlib.Path(__file__).parent / "manifests"
LISTED = "2026-11-21T12:00:00Z"


def gen(id, state, created, fp, expires=None, bytes=32, profile="hmac-sha256",
        length=32, taker=False, origin=None, weak=None):
    return {"id": id, "state": state, "created": created, "expires": expires,
            "fingerprint": fp, "secret_bytes": bytes, "profile": profile,
            "token_length": length, "taker_addr": taker,
            "origin": origin or {"kind": "generated"}, "weak": weak}


def manifest(host, gens, mode="0600", keyring="/etc/qcd/keyring.json"):
    return {"format": "qcd-manifest", "version": 1, "keyring": keyring,
            "host": host, "listed_at": LISTED,
            "file": {"mode": mode, "uid": 0, "gid": 0, "owner": "root"},
            "generations": gens}


def derived(member):
    return {"kind": "derived", "member": member, "root_generation": 1,
            "root_fingerprint": "5d0c2b7e91a4f388"}


M = {
    # hot-standby: gw1 rotated on 2026-11-20 and the new secret never reached gw2.
    "gw1": manifest("gw1", [
        gen(1, "destroyed", "2025-11-02T09:00:00Z", "0b7d1c9a3e5f2468", "2026-05-03T09:00:00Z"),
        gen(2, "previous", "2026-05-01T09:00:00Z", "a41c6e0f9d3b7285", "2026-11-22T09:00:00Z", origin={"kind": "imported"}),
        gen(3, "active", "2026-11-20T09:00:00Z", "e3f90d2c41b8a657"),
    ]),
    "gw2": manifest("gw2", [
        gen(1, "destroyed", "2025-11-02T09:05:00Z", "0b7d1c9a3e5f2468", "2026-05-03T09:05:00Z", origin={"kind": "imported"}),
        gen(2, "active", "2026-05-01T09:05:00Z", "a41c6e0f9d3b7285", origin={"kind": "imported"}),
    ]),
    # load-sharing: lb2 was cloned from lb1's disk image, secret and all.
    "lb1": manifest("lb1", [gen(1, "active", "2026-03-10T14:00:00Z", "7c2e94d1b05af836")]),
    "lb2": manifest("lb2", [gen(1, "active", "2026-03-10T14:00:00Z", "7c2e94d1b05af836")]),
    # anycast: each edge has its own secret derived from one root (healthy).
    **{name: manifest(name, [gen(1, "active", "2026-09-01T08:00:00Z", fp, origin=derived(name))])
       for name, fp in [("edge-fra", "19f0c3a7d2e86b45"), ("edge-ams", "c85a1e3f70b9d264"),
                        ("edge-lon", "3e6b0d98a1f7c52e")]},
    # standalone: br1's keyring is world-readable and keeps an expired generation;
    # br2 has never rotated since it was installed.
    "br1": manifest("br1", [
        gen(1, "expired", "2026-01-15T10:00:00Z", "f2a8c05d6e1b9347", "2026-07-16T10:00:00Z"),
        gen(2, "active", "2026-07-15T10:00:00Z", "84d3b1e7a09c6f52"),
    ], mode="0644"),
    "br2": manifest("br2", [gen(1, "active", "2025-06-30T16:00:00Z", "6a1f7e2c93d0b584",
                                 bytes=16, profile="hmac-sha1", length=16)],
                    keyring="/var/lib/qcd/keyring.json"),
}

for name, m in M.items():
    (HERE / f"{name}.json").write_text(json.dumps(m, indent=2) + "\n")
