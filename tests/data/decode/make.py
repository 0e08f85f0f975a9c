#!/usr/bin/env python3
"""Builds the IKEv2 fixtures of tests/it/decode_cli.rs with Python's struct
(independently of qcd's own emit code) and dumps them with the real xxd and
hexdump -C. Run from this directory: python3 make.py"""
import struct, subprocess

def payload(ptype_next, body, critical=False):
    return struct.pack("!BBH", ptype_next, 0x80 if critical else 0, 4 + len(body)) + body

def notify(nxt, proto, ntype, data=b"", spi=b""):
    return payload(nxt, struct.pack("!BBH", proto, len(spi), ntype) + spi + data)

def message(spi_i, spi_r, first, exch, flags, mid, body):
    return struct.pack("!8s8sBBBBII", spi_i, spi_r, first, 0x20, exch, flags, mid, 28 + len(body)) + body

SPI_I = bytes.fromhex("c0ffee0123456789")
SPI_R = bytes.fromhex("5a5a5a5a00000001")
TOKEN = bytes(range(0x10, 0x30))  # 32 octets

fixtures = {
    # HDR, N(INVALID_IKE_SPI), N(QCD_TOKEN): the RFC 6290 reply as first
    # published, with Protocol ID 1 (erratum 3449 corrected it to 0; receivers
    # ignore the field).
    "qcd-reply": message(SPI_I, SPI_R, 41, 37, 0x20, 0,
                         notify(41, 1, 4) + notify(0, 1, 16419, TOKEN)),
    # Rockhopper VPN's form: Protocol ID 0 on both notifies, 64-octet token.
    "rockhopper-reply": message(SPI_I, SPI_R, 41, 37, 0x20, 0,
                                notify(41, 0, 4) + notify(0, 0, 16419, bytes(range(64)))),
    # INVALID_IKE_SPI alone: no QCD.
    "no-token": message(SPI_I, SPI_R, 41, 37, 0x20, 0, notify(0, 1, 4)),
    # Liveness check HDR, SK {} from the initiator (SK body: 16 IV + 16 ct + 12 ICV).
    "liveness-sk": message(SPI_I, SPI_R, 46, 37, 0x08, 5, payload(0, bytes(44))),
}
fixtures["qcd-reply-4500"] = b"\0\0\0\0" + fixtures["qcd-reply"]

for name, data in fixtures.items():
    open(f"{name}.bin", "wb").write(data)
    open(f"{name}.hex", "w").write(data.hex() + "\n")
for name in ["qcd-reply", "rockhopper-reply"]:
    with open(f"{name}.xxd", "w") as f:
        subprocess.run(["xxd", f"{name}.bin"], stdout=f, check=True)
    with open(f"{name}.hexdump", "w") as f:
        subprocess.run(["hexdump", "-C", f"{name}.bin"], stdout=f, check=True)
