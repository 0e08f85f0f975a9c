#!/usr/bin/env python3
"""Known-answer vectors for qcd's SK payload cryptography, made with an
independent implementation: Python's `cryptography` package (AES-CBC,
AES-CTR, 3DES-CBC, AES-GCM, AES-CCM, ChaCha20-Poly1305) and the standard
library's hmac/hashlib (HMAC-MD5, -SHA1, -SHA2).

For every algorithm pair a Wireshark key table line may hold (139 pairs),
it builds an IKE_AUTH message `HDR, SK {N(QCD_TOKEN)}` (Protocol ID 0, SPI
size 0) sent by the initiator or the responder, following RFC 7296 §3.14
(HMAC over the whole message up to the ICV), RFC 5282 (AEAD: salt at the end
of SK_e, 8-octet IV, nonce = salt || IV, associated data = everything before
the IV), RFC 5930 (AES-CTR: nonce at the end of SK_e, counter block =
nonce || IV || 32-bit counter from 1) and RFC 7634 (ChaCha20-Poly1305: 4-octet
salt, 8-octet IV). Padding: block ciphers pad with zeros to the block size,
stream and AEAD modes add only the pad-length octet; an unchecked ICV ("ANY
n-bits of Authentication [No Checking]") is zeros.

Output (stdout): JSON, one object per vector:
  line      - the Wireshark ikev2_decryption_table line
  initiator - whether the initiator sent it (SK_ei/SK_ai) or the responder
  iv        - the IV (hex)
  plaintext - the inner payloads (hex), without padding
  message   - the whole IKE message (hex)

tests/it/ikecrypto_vectors.rs decrypts each message with qcd and seals the
plaintext with the same IV, expecting the same bytes.

Usage: python3 tests/data/ikecrypto/make_vectors.py > tests/data/ikecrypto/vectors.json
"""

import hashlib
import hmac
import json
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

try:  # cryptography >= 43 moved 3DES to the "decrepit" module
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover
    TripleDES = algorithms.TripleDES


def material(label, n):
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


# (Wireshark name, kind, key bytes, salt bytes, iv bytes, block, icv)
ENCR = [("NULL [RFC2410]", "null", 0, 0, 0, 1, 0),
        ("3DES [RFC2451]", "3des", 24, 0, 8, 8, 0)]
for bits in (128, 192, 256):
    ENCR.append((f"AES-CBC-{bits} [RFC3602]", "cbc", bits // 8, 0, 16, 16, 0))
for bits in (128, 192, 256):
    ENCR.append((f"AES-CTR-{bits} [RFC5930]", "ctr", bits // 8, 4, 8, 1, 0))
for icv in (8, 12, 16):
    for bits in (128, 192, 256):
        ENCR.append((f"AES-GCM-{bits} with {icv} octet ICV [RFC5282]", "gcm", bits // 8, 4, 8, 1, icv))
        ENCR.append((f"AES-CCM-{bits} with {icv} octet ICV [RFC5282]", "ccm", bits // 8, 3, 8, 1, icv))
ENCR.append(("ChaCha20 with Poly1305 [RFC7634]", "chacha", 32, 4, 8, 1, 16))

# (Wireshark name, hash, key bytes, icv bytes)
INTEG = [
    ("NONE [RFC4306]", None, 0, 0),
    ("HMAC_MD5_96 [RFC2403]", hashlib.md5, 16, 12),
    ("HMAC_SHA1_96 [RFC2404]", hashlib.sha1, 20, 12),
    ("HMAC_MD5_128 [RFC4595]", hashlib.md5, 16, 16),
    ("HMAC_SHA1_160 [RFC4595]", hashlib.sha1, 20, 20),
    ("HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]", hashlib.sha256, 32, 12),
    ("HMAC_SHA2_256_128 [RFC4868]", hashlib.sha256, 32, 16),
    ("HMAC_SHA2_384_192 [RFC4868]", hashlib.sha384, 48, 24),
    ("HMAC_SHA2_512_256 [RFC4868]", hashlib.sha512, 64, 32),
]
for bits in (64, 96, 128, 160, 192, 256):
    INTEG.append((f"ANY {bits}-bits of Authentication [No Checking]", "any", 0, bits // 8))


def qcd_token(token):
    # generic header (no next payload), Protocol ID 0, SPI size 0, type 16419
    return struct.pack("!BBHBBH", 0, 0, 8 + len(token), 0, 0, 16419) + token


def vector(n, encr, integ, initiator):
    name, kind, klen, slen, ivlen, block, aead_icv = encr
    iname, hashf, alen, icv = integ
    if aead_icv:
        icv = aead_icv
    spi_i, spi_r = material(f"spi-i{n}", 8), material(f"spi-r{n}", 8)
    sk = {s: material(f"{s}{n}", klen + slen) for s in ("ei", "er")}
    sa = {s: material(f"{s}{n}", alen) for s in ("ai", "ar")}
    line = ",".join([spi_i.hex(), spi_r.hex(), sk["ei"].hex(), sk["er"].hex(), f'"{name}"',
                     sa["ai"].hex(), sa["ar"].hex(), f'"{iname}"'])
    side = "i" if initiator else "r"
    key, salt = sk["e" + side][:klen], sk["e" + side][klen:]
    plain = qcd_token(material(f"token{n}{side}", 16 + (n * 7) % 50))
    iv = material(f"iv{n}{side}", ivlen)
    padded_len = -(-(len(plain) + 1) // block) * block
    pad = padded_len - 1 - len(plain)
    padded = plain + bytes(pad) + bytes([pad])
    body_len = ivlen + padded_len + icv
    header = spi_i + spi_r + struct.pack("!BBBBII", 46, 0x20, 35, 0x08 if initiator else 0x20,
                                         1, 28 + 4 + body_len)
    prefix = header + struct.pack("!BBH", 41, 0, 4 + body_len)
    if kind == "null":
        ct = padded
    elif kind in ("cbc", "3des"):
        alg = algorithms.AES(key) if kind == "cbc" else TripleDES(key)
        enc = Cipher(alg, modes.CBC(iv)).encryptor()
        ct = enc.update(padded) + enc.finalize()
    elif kind == "ctr":
        enc = Cipher(algorithms.AES(key), modes.CTR(salt + iv + b"\0\0\0\1")).encryptor()
        ct = enc.update(padded) + enc.finalize()
    elif kind == "gcm":
        out = AESGCM(key).encrypt(salt + iv, padded, prefix)
        ct = out[:-16] + out[-16:][:icv]  # GCM truncates its tag
    elif kind == "ccm":
        ct = AESCCM(key, tag_length=icv).encrypt(salt + iv, padded, prefix)
    elif kind == "chacha":
        ct = ChaCha20Poly1305(key).encrypt(salt + iv, padded, prefix)
    else:
        raise ValueError(kind)
    message = prefix + iv + ct
    if not aead_icv:
        if hashf == "any":
            message += bytes(icv)
        elif hashf is not None:
            message += hmac.new(sa["a" + side], message, hashf).digest()[:icv]
    assert len(message) == 28 + 4 + body_len, (name, iname)
    return {"line": line, "initiator": initiator, "iv": iv.hex(),
            "plaintext": plain.hex(), "message": message.hex()}


def main():
    out = []
    n = 0
    for encr in ENCR:
        for integ in INTEG:
            aead = encr[6] != 0
            if aead and integ[0] != "NONE [RFC4306]":
                continue
            for initiator in (True, False):
                out.append(vector(n, encr, integ, initiator))
            n += 1
    print(json.dumps(out, indent=0))


if __name__ == "__main__":
    main()
