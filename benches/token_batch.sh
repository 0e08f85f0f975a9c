#!/bin/sh
# Throughput of `qcd token derive --batch` (hmac-sha256, I/O included) on
# 1,000,000 SPI pairs. Reproducible: fixed pseudo-random SPIs, a fresh keyring.
#
#   cargo build --release && sh benches/token_batch.sh [LINES]
#
# Needs python3; uses hyperfine when installed (apt-get install hyperfine), else `time`.
set -eu
# On a shared machine the wall figure includes waiting for a CPU; the
# per-CPU-second figure (user+sys) is what one core sustains.
LINES=${1:-1000000}
QCD=${QCD:-$(dirname "$0")/../target/release/qcd}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
python3 - "$LINES" > "$DIR/spis.txt" <<'PY'
import random, sys
r = random.Random(6290)
w = sys.stdout.write
for _ in range(int(sys.argv[1])):
    w("%016x %016x\n" % (r.getrandbits(64), r.getrandbits(64)))
PY
"$QCD" secret generate --keyring "$DIR/k.json" >/dev/null
"$QCD" token derive --keyring "$DIR/k.json" --batch "$DIR/spis.txt" > "$DIR/out.txt"
test "$(wc -l < "$DIR/out.txt")" -eq "$LINES"
echo "input: $LINES lines, $(wc -c < "$DIR/spis.txt") bytes"
if command -v hyperfine >/dev/null 2>&1; then
    hyperfine --warmup 2 --runs 10 --export-json "$DIR/h.json" \
        "taskset -c 0 $QCD token derive --keyring $DIR/k.json --batch $DIR/spis.txt > /dev/null"
    python3 - "$DIR/h.json" "$LINES" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
n = int(sys.argv[2])
print("tokens/s (wall): mean %.0f, best %.0f" % (n / r["mean"], n / r["min"]))
cpu = r["user"] + r["system"]
print("tokens/s (per CPU-second, user+sys %.3f s): %.0f" % (cpu, n / cpu))
PY
else
    time taskset -c 0 "$QCD" token derive --keyring "$DIR/k.json" --batch "$DIR/spis.txt" > /dev/null
fi
