#!/usr/bin/env python3
"""Builds the example files the README and docs/ use, independently of qcd
(Python's struct, hmac and the real xxd), from examples/keyring.json and the
real Rockhopper secrets in tests/data/rockhopper. Run from the repository
root: python3 examples/make.py

examples/keyring.json itself was made by qcd at pinned times:
  QCD_NOW=2026-09-23T09:00:00Z qcd secret generate -k examples/keyring.json
  QCD_NOW=2026-10-23T09:00:00Z qcd secret rotate -k examples/keyring.json --overlap 48h
  QCD_NOW=2026-11-22T09:00:00Z qcd secret rotate -k examples/keyring.json --overlap 48h
so that at QCD_NOW=2026-11-23T09:00:00Z generation 3 is active, 2 previous
and 1 expired."""
import base64, hashlib, hmac, json, struct, subprocess, tempfile

def payload(nxt, body):
    return struct.pack("!BBH", nxt, 0, 4 + len(body)) + body

def notify(nxt, proto, ntype, data=b""):
    return payload(nxt, struct.pack("!BBH", proto, 0, ntype) + data)

def message(spi_i, spi_r, first, exch, flags, mid, body):
    return struct.pack("!8s8sBBBBII", spi_i, spi_r, first, 0x20, exch, flags, mid,
                       28 + len(body)) + body

keyring = json.load(open("examples/keyring.json"))
secret = {g["id"]: base64.b64decode(g["secret"]) for g in keyring["generations"]}
SPI_I = bytes.fromhex("0123456789abcdef")
SPI_R = bytes.fromhex("fedcba9876543210")

def token(gen, first, second):
    return hmac.new(secret[gen], first + second, hashlib.sha256).digest()

# The maker's answer to a liveness check after its reboot, HDR,
# N(INVALID_IKE_SPI), N(QCD_TOKEN), Protocol ID 0 (RFC 6290 erratum 3449),
# with the token of generation 2 (the previous one at the pinned time).
reply = message(SPI_I, SPI_R, 41, 37, 0x20, 0,
                notify(41, 0, 4) + notify(0, 0, 16419, token(2, SPI_I, SPI_R)))
# The same reply from a maker that puts SPI-R first (generation 3).
swapped = message(SPI_I, SPI_R, 41, 37, 0x20, 0,
                  notify(41, 0, 4) + notify(0, 0, 16419, token(3, SPI_R, SPI_I)))
files = {
    "examples/decode/reply.hex": reply.hex() + "\n",
    "examples/decode/reply-4500.hex": (b"\0\0\0\0" + reply).hex() + "\n",
    "examples/decode/swapped-reply.hex": swapped.hex() + "\n",
}
for name, text in files.items():
    open(name, "w").write(text)
with tempfile.NamedTemporaryFile(suffix=".bin") as raw, \
        open("examples/decode/reply.xxd", "w") as f:
    raw.write(reply)
    raw.flush()
    subprocess.run(["xxd", raw.name], stdout=f, check=True)

# A batch of SPI pairs (one malformed line) for `qcd token derive --batch`.
open("examples/spis.txt", "w").write(
    "# SPI-I SPI-R [TAKER-ADDR]\n"
    "0123456789abcdef fedcba9876543210\n"
    "0123456789abcdef 0123\n"
    "8aae1cfed59b39bb_i 19801cac664ec217_r\n")

# Rockhopper's responder (B) secret file from the real capture in
# tests/data/rockhopper: 64 raw bytes, as /home/rhpprotected/config/qcd_secret.
for line in open("tests/data/rockhopper/restart_same_secret.secrets"):
    if line.startswith("B="):
        open("examples/rockhopper/qcd_secret", "wb").write(bytes.fromhex(line[2:].strip()))
