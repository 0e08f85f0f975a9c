#!/bin/sh
# Two builds of qcd side by side, in one run, on the IKE-heavy capture of
# benches/ike_heavy.sh, against tshark's fields run (the issues' yardstick):
#
#   benches/before_after.sh BEFORE_QCD AFTER_QCD [SAS] [ROUNDS]   default: 20000 5
#
# CAPTURE=FILE times the two builds on FILE instead (SAS is then ignored),
# e.g. the ESP-heavy capture of benches/capture.sh; CORE=N pins to core N
# (default 1); BENCH_DIR=DIR keeps the captures and raw figures in DIR.
#
# e.g. the code before a refactor against this tree:
#
#   git worktree add /tmp/before COMMIT && (cd /tmp/before && cargo build --release)
#   cargo build --release
#   benches/before_after.sh /tmp/before/target/release/qcd target/release/qcd
#
# Every command is pinned to one core (taskset -c "${CORE:-1}") and timed in
# CPU time (perf stat's task-clock, mean of 5 runs), which waiting for a CPU
# on a shared machine does not inflate. Each round runs every command once with
# each build, the order of the two builds alternating from round to round,
# so that a change in the machine's load falls on both; the figure kept is
# the median over ROUNDS. Peak RSS is GNU time's, from one run of each.
# The load average is printed before and after.
#
# Needs: perf (linux-perf), taskset, tshark, GNU time, awk.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 BEFORE_QCD AFTER_QCD [SAS] [ROUNDS]" >&2; exit 2; }
before=$1 after=$2 n=${3:-20000} rounds=${4:-5}
dir=${BENCH_DIR:-${TMPDIR:-/tmp}/qcd-ike-bench}
mkdir -p "$dir"
for t in perf taskset tshark /usr/bin/time; do
    command -v "$t" > /dev/null || { echo "$t is required" >&2; exit 2; }
done
perf stat -x, -e task-clock true > /dev/null 2>&1 ||
    { echo "perf cannot count task-clock here (kernel.perf_event_paranoid?)" >&2; exit 2; }
f=${CAPTURE:-$dir/ike-$n.pcap}
[ -f "$f" ] || "$after" generate-capture --out "$f" --ike-sas "$n" > /dev/null
cat "$f" > /dev/null
out=$dir/before_after.txt
: > "$out"

# cpu LABEL BUILD CMD...: appends "LABEL BUILD milliseconds" to $out.
cpu() {
    label=$1 build=$2; shift 2
    ms=$(perf stat -x, -r 5 -e task-clock taskset -c "${CORE:-1}" "$@" 2>&1 > /dev/null |
        awk -F, '/task-clock/ { print $1 }')
    echo "$label $build $ms" >> "$out"
}

# The qcd commands, by label (the label is the arguments with _ for space).
cmds="diagnose decode_--summary --json_decode_--summary --json_decode decode_--qcd"

echo "qcd side by side: $f ($(stat -c %s "$f") bytes), $rounds rounds"
echo "before: $before ($("$before" --version))"
echo "after:  $after ($("$after" --version))"
echo "tshark $(tshark --version | head -1 | awk '{print $3}'), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
r=1
while [ "$r" -le "$rounds" ]; do
    cpu tshark-fields tshark tshark -r "$f" -Y isakmp -T fields -e isakmp.ispi
    for c in $cmds; do
        # shellcheck disable=SC2046
        set -- $(echo "$c" | tr _ ' ')
        if [ $((r % 2)) = 1 ]; then
            cpu "$c" before "$before" "$@" "$f"
            cpu "$c" after "$after" "$@" "$f"
        else
            cpu "$c" after "$after" "$@" "$f"
            cpu "$c" before "$before" "$@" "$f"
        fi
    done
    r=$((r + 1))
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# rss BUILD CMD...: peak RSS in KiB of one run.
rss() {
    /usr/bin/time -f %M -o "$dir/rss.txt" taskset -c "${CORE:-1}" "$@" > /dev/null 2>&1 || true
    tail -n 1 "$dir/rss.txt"
}
for c in $cmds; do
    # shellcheck disable=SC2046
    set -- $(echo "$c" | tr _ ' ')
    echo "rss $c $(rss "$before" "$@" "$f") $(rss "$after" "$@" "$f")" >> "$out"
done

# Medians over the rounds, the ratios, and every round's figures.
awk -v rounds="$rounds" '
function median(a, k,    i, j, t) {
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
$1 == "rss" { rb[$2] = $3; ra[$2] = $4; next }
{ key = $1 SUBSEP $2; k[key]++; v[key, k[key]] = $3; all[key] = all[key] " " sprintf("%.0f", $3)
  if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
END {
    for (i = 1; i <= k["tshark-fields" SUBSEP "tshark"]; i++) t[i] = v["tshark-fields" SUBSEP "tshark", i]
    ts = median(t, k["tshark-fields" SUBSEP "tshark"])
    printf "\nCPU time, median of %d rounds (each the mean of 5 runs), milliseconds:\n\n", rounds
    printf "| command | before | after | after / before | tshark fields / before | tshark fields / after | peak RSS before → after |\n"
    printf "|---|---:|---:|---:|---:|---:|---|\n"
    printf "| `tshark -Y isakmp -T fields -e isakmp.ispi` | %.0f | | | | | |\n", ts
    for (o = 1; o <= n; o++) {
        c = order[o]; if (c == "tshark-fields") continue
        for (i = 1; i <= k[c SUBSEP "before"]; i++) b[i] = v[c SUBSEP "before", i]
        for (i = 1; i <= k[c SUBSEP "after"]; i++) a[i] = v[c SUBSEP "after", i]
        mb = median(b, k[c SUBSEP "before"]); ma = median(a, k[c SUBSEP "after"])
        name = c; gsub(/_/, " ", name)
        printf "| `qcd %s` | %.1f | %.1f | %.3f | %.1f× | %.1f× | %.1f → %.1f MiB |\n", name, mb, ma, ma / mb, ts / mb, ts / ma, rb[c] / 1024, ra[c] / 1024
    }
    printf "\nEvery round (ms):\n"
    for (o = 1; o <= n; o++) {
        c = order[o]
        if (c == "tshark-fields") printf "  %-28s tshark %s\n", c, all[c SUBSEP "tshark"]
        else { printf "  %-28s before %s\n", c, all[c SUBSEP "before"]; printf "  %-28s after  %s\n", "", all[c SUBSEP "after"] }
    }
}' "$out"
