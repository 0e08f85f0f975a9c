#!/bin/sh
# Whole-file capture throughput: qcd's capture reader against `cat` and
# `tshark -Y isakmp` on a generated 1 GiB capture of 1400-byte ESP with 300
# IKE messages, read from the page cache; peak RSS from /usr/bin/time -v.
#
#   benches/capture.sh [SIZE_MB] [pcap|pcapng] [DIR]
#
# Needs: cargo, /usr/bin/time (GNU), tshark (apt-get install -y tshark).
set -eu
size=${1:-1024}
format=${2:-pcap}
dir=${3:-${TMPDIR:-/tmp}/qcd-capture-bench}
mkdir -p "$dir"
file="$dir/esp-$size-MiB.$format"

cargo build --quiet --release --example capture_scan
scan=target/release/examples/capture_scan
[ -f "$file" ] || "$scan" gen "$file" "$size" "$format" 1400 300

cat "$file" > /dev/null    # warm the page cache

measure() { # label, command...
    label=$1; shift
    best=""
    for _ in 1 2 3; do
        /usr/bin/time -v -o "$dir/time.txt" "$@" > "$dir/out.txt" 2>/dev/null
        t=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/time.txt" | awk -F: '{ print $(NF-1)*60 + $NF }')
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time.txt")
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; best_rss=$rss; fi
    done
    mbs=$(echo "scale=0; $(stat -c %s "$file") / 1000000 / $best" | bc 2>/dev/null || echo "?")
    printf '%-28s %8s s  %6s MB/s  peak RSS %7s KiB\n' "$label" "$best" "$mbs" "$best_rss"
}

echo "file: $file ($(stat -c %s "$file") bytes)"
measure "cat FILE > /dev/null" sh -c 'cat "$1" > /dev/null' sh "$file"
measure "qcd capture_scan" "$scan" scan "$file"
"$scan" scan "$file"
if command -v tshark > /dev/null; then
    measure "tshark -r FILE -Y isakmp" tshark -r "$file" -Y isakmp
    echo "tshark isakmp frames: $(wc -l < "$dir/out.txt")"
else
    echo "tshark not installed: skipped"
fi
