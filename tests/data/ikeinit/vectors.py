#!/usr/bin/env python3
"""Known answers for qcd's IKEv2 initiator (src/ikeinit), computed here with
Python's hmac/hashlib and the `cryptography` package, independently of qcd.

For fixed inputs it computes: MODP-2048 (RFC 3526 group 14) and X25519
public values and shared secrets, SKEYSEED and the seven SK_* keys
(RFC 7296 §2.14) for several PRF/cipher/integrity choices, and PSK AUTH
values (§2.15) for both sides.  tests/it/ikeinit_vectors.rs compares qcd with
the committed output (vectors.json) and, when python3 and cryptography are
installed, re-runs this script and checks its output is what is committed.

Usage: python3 tests/data/ikeinit/vectors.py > tests/data/ikeinit/vectors.json
"""
import hashlib
import hmac
import json
import shutil
import subprocess

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh, x25519

MODP_2048 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
    16,
)

HASHES = {2: hashlib.sha1, 5: hashlib.sha256, 6: hashlib.sha384, 7: hashlib.sha512}
PRF_NAMES = {2: "PRF_HMAC_SHA1", 5: "PRF_HMAC_SHA2_256", 6: "PRF_HMAC_SHA2_384", 7: "PRF_HMAC_SHA2_512"}
# INTEG transform ID -> SK_a length (RFC 4868 §2.1.2: the HMAC's block-free key = hash length; RFC 2404: 20)
INTEG_KEY_LEN = {0: 0, 2: 20, 12: 32, 13: 48, 14: 64}


def check_prime_with_openssl():
    """The prime above is OpenSSL's built-in modp_2048 (when openssl is here)."""
    if not shutil.which("openssl"):
        return
    pem = subprocess.run(
        ["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:modp_2048"],
        capture_output=True, check=True).stdout
    text = subprocess.run(["openssl", "asn1parse"], input=pem, capture_output=True, check=True).stdout.decode()
    first = [l for l in text.splitlines() if "INTEGER" in l][0].split(":")[-1]
    assert int(first, 16) == MODP_2048, "MODP-2048 prime differs from OpenSSL's"


def prf(h, key, data):
    return hmac.new(key, data, h).digest()


def prf_plus(h, key, seed, length):
    out, t, n = b"", b"", 1
    while len(out) < length:
        t = prf(h, key, t + seed + bytes([n]))
        out += t
        n += 1
    return out[:length]


def h(b):
    return b.hex()


def fixed(tag, n):
    """n deterministic bytes named by tag (SHA-512 in counter mode)."""
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha512(f"{tag}:{i}".encode()).digest()
        i += 1
    return out[:n]


def modp_vector():
    xi = int.from_bytes(fixed("modp xi", 32), "big")
    xr = int.from_bytes(fixed("modp xr", 32), "big")
    params = dh.DHParameterNumbers(MODP_2048, 2).parameters()
    yi = pow(2, xi, MODP_2048)
    yr = pow(2, xr, MODP_2048)
    ki = dh.DHPrivateNumbers(xi, dh.DHPublicNumbers(yi, dh.DHParameterNumbers(MODP_2048, 2))).private_key()
    kr_pub = dh.DHPublicNumbers(yr, dh.DHParameterNumbers(MODP_2048, 2)).public_key()
    shared = ki.exchange(kr_pub)  # cryptography strips leading zeros? No: pads to the prime's size
    assert int.from_bytes(shared, "big") == pow(yr, xi, MODP_2048)
    assert params.parameter_numbers().p == MODP_2048
    return {
        "group": 14,
        "private_i": h(xi.to_bytes(32, "big")),
        "private_r": h(xr.to_bytes(32, "big")),
        "public_i": h(yi.to_bytes(256, "big")),
        "public_r": h(yr.to_bytes(256, "big")),
        "shared": h(pow(yr, xi, MODP_2048).to_bytes(256, "big")),
    }


def x25519_vector():
    a = x25519.X25519PrivateKey.from_private_bytes(fixed("x25519 i", 32))
    b = x25519.X25519PrivateKey.from_private_bytes(fixed("x25519 r", 32))
    raw = lambda k: k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert a.exchange(b.public_key()) == b.exchange(a.public_key())
    return {
        "group": 31,
        "private_i": h(fixed("x25519 i", 32)),
        "private_r": h(fixed("x25519 r", 32)),
        "public_i": h(raw(a)),
        "public_r": h(raw(b)),
        "shared": h(a.exchange(b.public_key())),
    }


# (ENCR id, key bits, INTEG id, PRF id, group): what qcd offers
SUITES = [
    (20, 256, 0, 5, 31),   # AES-GCM-16-256, PRF SHA2-256, Curve25519
    (20, 128, 0, 7, 14),   # AES-GCM-16-128, PRF SHA2-512, MODP-2048
    (12, 256, 12, 5, 14),  # AES-CBC-256, HMAC-SHA2-256-128, PRF SHA2-256
    (12, 128, 14, 6, 31),  # AES-CBC-128, HMAC-SHA2-512-256, PRF SHA2-384
    (12, 256, 2, 2, 31),   # AES-CBC-256, HMAC-SHA1-96, PRF SHA1
    (12, 128, 13, 5, 14),  # AES-CBC-128, HMAC-SHA2-384-192, PRF SHA2-256
]


def derivation(i, suite, dh_vectors):
    encr, bits, integ, prf_id, group = suite
    hf = HASHES[prf_id]
    ni = fixed(f"ni {i}", 32)
    nr = fixed(f"nr {i}", 32 if i % 2 else 48)
    spi_i = fixed(f"spi_i {i}", 8)
    spi_r = fixed(f"spi_r {i}", 8)
    shared = bytes.fromhex(dh_vectors[group]["shared"])
    skeyseed = prf(hf, ni + nr, shared)
    prf_len = hf().digest_size
    sk_e = bits // 8 + (4 if encr == 20 else 0)
    sk_a = INTEG_KEY_LEN[integ]
    lens = [prf_len, sk_a, sk_a, sk_e, sk_e, prf_len, prf_len]
    stream = prf_plus(hf, skeyseed, ni + nr + spi_i + spi_r, sum(lens))
    names = ["sk_d", "sk_ai", "sk_ar", "sk_ei", "sk_er", "sk_pi", "sk_pr"]
    keys, at = {}, 0
    for name, n in zip(names, lens):
        keys[name] = h(stream[at:at + n])
        at += n
    # PSK AUTH for both sides, with made-up IKE_SA_INIT messages and IDs
    psk = fixed(f"psk {i}", 20 + i)
    msg_i = fixed(f"init request {i}", 300 + i)
    msg_r = fixed(f"init response {i}", 280 + i)
    id_i = bytes([2, 0, 0, 0]) + f"probe{i}.qcd.test".encode()          # ID_FQDN
    id_r = bytes([1, 0, 0, 0, 192, 0, 2, i])                              # ID_IPV4_ADDR
    pad = prf(hf, psk, b"Key Pad for IKEv2")
    auth_i = prf(hf, pad, msg_i + nr + prf(hf, stream[sum(lens[:5]):sum(lens[:6])], id_i))
    auth_r = prf(hf, pad, msg_r + ni + prf(hf, stream[sum(lens[:6]):], id_r))
    return {
        "suite": {"encr": encr, "key_bits": bits, "integ": integ, "prf": prf_id, "group": group},
        "prf_name": PRF_NAMES[prf_id],
        "nonce_i": h(ni), "nonce_r": h(nr), "spi_i": h(spi_i), "spi_r": h(spi_r),
        "shared": h(shared), "skeyseed": h(skeyseed), **keys,
        "psk": h(psk), "init_request": h(msg_i), "init_response": h(msg_r),
        "id_i": h(id_i), "id_r": h(id_r), "auth_i": h(auth_i), "auth_r": h(auth_r),
    }


def prf_plus_vectors():
    """prf+ across block boundaries, for each PRF."""
    out = []
    for prf_id, hf in sorted(HASHES.items()):
        key, seed = fixed(f"prf+ key {prf_id}", 37), fixed(f"prf+ seed {prf_id}", 70)
        n = hf().digest_size * 3 + 5
        out.append({"prf": prf_id, "key": h(key), "seed": h(seed), "len": n,
                    "out": h(prf_plus(hf, key, seed, n))})
    return out


def main():
    check_prime_with_openssl()
    dh_vectors = {14: modp_vector(), 31: x25519_vector()}
    out = {
        "about": "made by tests/data/ikeinit/vectors.py (Python hmac/hashlib + cryptography); do not edit",
        "dh": [dh_vectors[14], dh_vectors[31]],
        "prf_plus": prf_plus_vectors(),
        "derivations": [derivation(i, s, dh_vectors) for i, s in enumerate(SUITES)],
    }
    print(json.dumps(out, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
