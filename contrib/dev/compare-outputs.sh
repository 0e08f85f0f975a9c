#!/bin/bash
# Usage: contrib/dev/compare-outputs.sh OLD_QCD NEW_QCD [REPO]
# Runs decode (listing, --summary at several widths, --qcd, --keys, --json),
# diagnose (with and without keys, --silence, --json) and audit on every
# capture of tests/data, examples/ and ../shared/captures with two qcd
# binaries, and compares stdout, stderr and exit status. For refactors that
# must not change behaviour: prints each differing invocation and a count.
OLD=$1; NEW=$2; ROOT=${3:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
n=0; bad=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
run() {
  n=$((n+1))
  a=$( (cd "$ROOT"; NO_COLOR=1 QCD_NOW=2026-12-01T00:00:00Z "$OLD" "$@" 2>"$tmp/err.a"; echo "rc=$?"; cat "$tmp/err.a") | md5sum)
  b=$( (cd "$ROOT"; NO_COLOR=1 QCD_NOW=2026-12-01T00:00:00Z "$NEW" "$@" 2>"$tmp/err.b"; echo "rc=$?"; cat "$tmp/err.b") | md5sum)
  if [ "$a" != "$b" ]; then bad=$((bad+1)); echo "DIFF: $*"; fi
}
keys_for() {
  f=$1; d=$(dirname $f); b=${f%.*}
  for k in "$b.keys" "$f.ikev2_decryption_table" "$d/scenarios.keys" "$d/config/ikev2_decryption_table.tmpl"; do
    [ -f "$k" ] && { echo "$k"; return; }
  done
}
caps=$(find tests/data examples $ROOT/../shared/captures -name '*.pcap' -o -name '*.pcapng' | grep -v /fuzz/ | sort)
for f in $caps; do
  k=$(keys_for $f)
  for j in "" "--json"; do
    run $j decode "$f"
    run $j decode --summary "$f"
    run $j decode --qcd "$f"
    run $j diagnose "$f"
    run $j diagnose --silence 1s "$f"
    if [ -n "$k" ]; then
      run $j decode --keys "$k" "$f"
      run $j decode --keys "$k" --summary "$f"
      run $j diagnose --keys "$k" "$f"
    fi
  done
done
for w in 60 80 100 120; do for f in $caps; do
  k=$(keys_for $f); export COLUMNS=$w; run decode --summary "$f"; [ -n "$k" ] && run decode --keys "$k" --summary "$f"; unset COLUMNS
done; done
for f in tests/data/decode/* examples/decode/*; do
  case $f in *.py) continue;; esac
  run decode "$f"; run --json decode "$f"; run decode --offsets "$f"
done
for f in examples/audit/*.toml; do run audit "$f"; run --json audit "$f"; done
echo "compared $n invocations, $bad differ"
