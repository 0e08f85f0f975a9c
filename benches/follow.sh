#!/bin/sh
# `qcd diagnose --follow` against file mode, in one run:
#
# 1. CPU: the 20,000-SA IKE-heavy capture (`qcd generate-capture --ike-sas
#    20000`), diagnosed from the file and followed through a pipe
#    (`cat X | qcd diagnose --follow -`), user + system time (GNU time), best
#    of 5 each, and the ratio (the bar: at most 1.5x). Both print the same
#    verdicts (checked).
# 2. Latency: the real Rockhopper capture (tests/data/rockhopper/
#    restart_same_secret.pcap) written into a pipe up to the packet that
#    decides the recovered verdict (frame 43, the taker's new IKE_SA_INIT),
#    a pause, then that packet: the time from its write to the verdict line
#    on qcd's stdout (the bar: under 50 ms), 20 runs, median and worst.
# 3. Memory: streams of 1,000 peers rekeying every hour with ESP every 5
#    minutes (`qcd generate-capture --rekey-peers 1000 --hours H`), 1, 2, 6,
#    12 and 24 hours, followed through a pipe: peak RSS of each (GNU time),
#    and file mode's for comparison (file mode keeps every IKE SA to the end).
#
#   benches/follow.sh [--dir DIR]
#
# Needs: cargo, /usr/bin/time (GNU), python3.
set -eu
dir=${TMPDIR:-/tmp}/qcd-follow-bench
[ "${1:-}" = "--dir" ] && dir=$2
mkdir -p "$dir"
cargo build --quiet --release --bin qcd
qcd=$(pwd)/target/release/qcd

cpu() { # best user+sys seconds of 5 runs of "$@"
    best=""
    for _ in 1 2 3 4 5; do
        t=$( { /usr/bin/time -f '%U %S' "$@" > /dev/null; } 2>&1 | tail -n1 | awk '{print $1 + $2}')
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

heavy=$dir/heavy-20000.pcap
[ -f "$heavy" ] || "$qcd" generate-capture --ike-sas 20000 --out "$heavy" > /dev/null
file_cpu=$(cpu "$qcd" diagnose -q "$heavy")
follow_cpu=$(cpu sh -c "cat '$heavy' | '$qcd' diagnose -q --follow -")
"$qcd" diagnose -q "$heavy" | sort > "$dir/file.out" || true
cat "$heavy" | "$qcd" diagnose -q --follow - | sort > "$dir/follow.out" || true
cmp -s "$dir/file.out" "$dir/follow.out" || { echo "follow and file verdicts differ" >&2; exit 1; }
echo "IKE-heavy 20,000 SAs: file mode ${file_cpu} s CPU, --follow through a pipe ${follow_cpu} s (with cat), ratio $(echo "scale=2; $follow_cpu / $file_cpu" | bc)x; $(wc -l < "$dir/file.out") verdicts, identical"

python3 - "$qcd" tests/data/rockhopper/restart_same_secret.pcap <<'EOF'
import struct, subprocess, sys, time
qcd, cap = sys.argv[1], sys.argv[2]
b = open(cap, 'rb').read()
at, recs = 24, []
while at < len(b):
    n = struct.unpack('<I', b[at + 8:at + 12])[0]
    recs.append(b[at:at + 16 + n]); at += 16 + n
lat = []
for _ in range(20):
    p = subprocess.Popen([qcd, 'diagnose', '-q', '--follow', '-'],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p.stdin.write(b[:24] + b''.join(recs[:42])); p.stdin.flush()
    time.sleep(0.3)
    t0 = time.perf_counter()
    p.stdin.write(recs[42]); p.stdin.flush()
    line = p.stdout.readline()
    lat.append((time.perf_counter() - t0) * 1000)
    assert line.startswith(b'recovered'), line
    p.stdin.close(); p.wait()
lat.sort()
print(f"deciding packet to printed line (20 runs): median {lat[10]:.1f} ms, worst {lat[-1]:.1f} ms")
EOF

for h in 1 2 6 12 24; do
    f=$dir/rekey-${h}h.pcap
    [ -f "$f" ] || "$qcd" generate-capture --rekey-peers 1000 --hours "$h" --out "$f" > /dev/null
    follow=$( { cat "$f" | /usr/bin/time -f '%M' "$qcd" diagnose -q --follow - > /dev/null; } 2>&1 | tail -n1)
    file=$( { /usr/bin/time -f '%M' "$qcd" diagnose -q "$f" > /dev/null; } 2>&1 | tail -n1)
    echo "rekey stream, 1,000 peers, ${h} h: --follow peak RSS $((follow / 1024)) MB (file mode $((file / 1024)) MB)"
done
