#!/usr/bin/env python3
"""Independent HKDF-SHA-256 (RFC 5869) known answers for `qcd secret derive`.

Implements HKDF with Python's hmac module only, with qcd's documented layout:
salt = b"qcd member secret v1",
info = b"qcd member v1" || 0x00 || root generation (u32 BE) || 0x00 || member name.
Writes derive_gw1_g1.hex (root = bytes 0..31, generation 1, member gw1).
"""
import hashlib
import hmac
import os
import struct


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def member_secret(root: bytes, generation: int, member: str) -> bytes:
    info = b"qcd member v1" + b"\x00" + struct.pack(">I", generation) + b"\x00" + member.encode()
    return hkdf_sha256(root, b"qcd member secret v1", info, len(root))


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "derive_gw1_g1.hex"), "w") as f:
        f.write(member_secret(bytes(range(32)), 1, "gw1").hex() + "\n")
