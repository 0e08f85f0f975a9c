#!/usr/bin/env python3
"""Known-answer vectors for qcd's token profiles, computed independently of
qcd with Python's hmac/hashlib. Regenerate with:

    python3 tests/data/token_vectors.py > tests/data/token_vectors.json

Block M = SPI-I || SPI-R (16 bytes) [|| taker IP address, 4 or 16 bytes, network order].
  hmac-sha256:   HMAC-SHA-256(key=secret, M)[:L]
  hmac-sha512:   HMAC-SHA-512(key=secret, M)[:L]
  hmac-sha1:     HMAC-SHA-1(key=secret, M)[:L]
  sha256-concat: SHA-256(secret || M)[:L]
"""
import hashlib
import hmac
import ipaddress
import json

PROFILES = {
    "hmac-sha256": (lambda k, m: hmac.new(k, m, hashlib.sha256).digest(), [16, 20, 32]),
    "hmac-sha512": (lambda k, m: hmac.new(k, m, hashlib.sha512).digest(), [16, 32, 48, 64]),
    "hmac-sha1": (lambda k, m: hmac.new(k, m, hashlib.sha1).digest(), [16, 20]),
    "sha256-concat": (lambda k, m: hashlib.sha256(k + m).digest(), [16, 32]),
}

SECRETS = [
    bytes(range(32)),                       # 32 bytes, the default size
    bytes((7 * i + 3) % 256 for i in range(64)),  # 64 bytes, Rockhopper's size
    b"\xa5" * 16,                            # the smallest allowed
    bytes((i * 37) % 256 for i in range(200)),    # longer than an HMAC block
]
SPIS = [
    ("0123456789abcdef", "fedcba9876543210"),
    ("a1b2c3d4e5f60718", "0000000000000000"),  # responder SPI still zero
]
TAKERS = [None, "192.0.2.7", "2001:db8::42"]

vectors = []
for pname, (fn, lengths) in PROFILES.items():
    for si, secret in enumerate(SECRETS):
        for spi_i, spi_r in SPIS:
            for taker in TAKERS:
                m = bytes.fromhex(spi_i) + bytes.fromhex(spi_r)
                if taker is not None:
                    m += ipaddress.ip_address(taker).packed
                digest = fn(secret, m)
                for length in lengths:
                    vectors.append({
                        "profile": pname,
                        "secret": secret.hex(),
                        "spi_i": spi_i,
                        "spi_r": spi_r,
                        "taker_addr": taker,
                        "length": length,
                        "token": digest[:length].hex(),
                    })

print(json.dumps({"generator": "tests/data/token_vectors.py", "vectors": vectors}, indent=1))
