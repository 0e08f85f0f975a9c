#!/bin/sh
# Cost of `qcd audit` on large clusters (issue 12, item 18): time, peak RSS
# and output size for one cluster of N members in the cases that used to
# cost N^2:
#
#   standby-apart  hot-standby, every member active on its own secret
#                  (each lacks every other's: N^2 member pairs)
#   standby-drift  hot-standby, one shared active secret, and each member's
#                  own previous generation that no other holds
#   lb-shared      load-sharing, every member holding the same secret
#   many-clusters  N two-member clusters (standalone) all holding one secret
#                  (QCD006 across clusters)
#
#   cargo build --release && sh benches/audit.sh [N]
#
# Needs: python3.
set -eu
N=${1:-1000}
QCD=${QCD:-$(dirname "$0")/../target/release/qcd}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

python3 - "$N" "$DIR" <<'PY'
import json, os, sys
n, out = int(sys.argv[1]), sys.argv[2]

def gen(id, state, fp, created="2026-11-01T00:00:00Z", expires=None):
    return {"id": id, "state": state, "created": created, "expires": expires,
            "fingerprint": fp, "secret_bytes": 32, "profile": "hmac-sha256",
            "token_length": 32, "taker_addr": False,
            "origin": {"kind": "generated"}, "weak": None}

def manifest(path, host, gens):
    m = {"format": "qcd-manifest", "version": 1, "keyring": "/etc/qcd/keyring.json",
         "host": host, "listed_at": "2026-11-21T12:00:00Z",
         "file": {"mode": "0600", "uid": 0, "gid": 0, "owner": "root"},
         "generations": gens}
    with open(path, "w") as f:
        json.dump(m, f)

def case(name, clusters):
    d = os.path.join(out, name)
    os.makedirs(d)
    with open(os.path.join(d, "inventory.toml"), "w") as inv:
        for cname, mode, members in clusters:
            inv.write(f'[[cluster]]\nname = "{cname}"\nmode = "{mode}"\n')
            for host, gens in members:
                manifest(os.path.join(d, f"{host}.json"), host, gens)
                inv.write(f'[[cluster.member]]\nname = "{host}"\nmanifest = "{host}.json"\n')

fp = lambda i: "%016x" % (0x1000000000000000 + i)
hosts = [f"gw{i:05d}" for i in range(n)]
case("standby-apart", [("dc", "hot-standby",
     [(h, [gen(1, "active", fp(i))]) for i, h in enumerate(hosts)])])
case("standby-drift", [("dc", "hot-standby",
     [(h, [gen(1, "previous", fp(i + 1), expires="2026-11-23T00:00:00Z"),
           gen(2, "active", fp(0))]) for i, h in enumerate(hosts)])])
case("lb-shared", [("lb", "load-sharing",
     [(h, [gen(1, "active", fp(0))]) for h in hosts])])
case("many-clusters", [(f"c{i:05d}", "standalone",
     [(f"a{i:05d}", [gen(1, "active", fp(0))]), (f"b{i:05d}", [gen(1, "active", fp(1 + i))])])
     for i in range(n)])
PY

run() { # case, output mode (table or --json)
    python3 - "$@" <<'PY'
import os, subprocess, sys, time
qcd, d, mode = sys.argv[1], sys.argv[2], sys.argv[3]
args = [qcd] + (["--json"] if mode == "json" else []) + ["audit", os.path.join(d, "inventory.toml")]
t = time.perf_counter()
p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                     env=dict(os.environ, QCD_NOW="2026-11-22T00:00:00Z", COLUMNS="100"))
size = 0
while True:
    b = p.stdout.read(1 << 20)
    if not b:
        break
    size += len(b)
_, status, ru = os.wait4(p.pid, 0)
wall = time.perf_counter() - t
print("%8.2f s CPU %8.2f s wall  peak RSS %8d KiB  output %12d bytes  exit %d"
      % (ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss, size, os.waitstatus_to_exitcode(status)))
PY
}

echo "qcd audit, one cluster of $N members (many-clusters: $N clusters of 2)"
for c in standby-apart standby-drift lb-shared many-clusters; do
    for mode in table json; do
        printf '%-14s %-5s %s\n' "$c" "$mode" "$(run "$QCD" "$DIR/$c" "$mode")"
    done
done
