#!/usr/bin/env bash
# Two powerbase binaries on the same benchmark workspace, interleaved: each round runs A then B
# (B then A on odd rounds, so neither always runs on a warmer machine), and the medians of wall
# time, CPU time (user + system) and peak memory are printed with the ratio B / A.
#   bash benches/compare.sh BIN_A BIN_B [ROWS] [WORKSPACE]
#   ROUNDS=7 bash benches/compare.sh old/powerbase target/release/powerbase 10000000
#   INSTRUCTIONS=1 bash benches/compare.sh A B 1000000   # also instructions, under callgrind
# ROWS defaults to 10000000; WORKSPACE to bench-data/ws-ROWS (make it with `bash benches/run.sh
# ROWS`). Each run is `powerbase run WORKSPACE --quiet --no-provenance --out TMP`; the first runs
# of both warm the page cache and check that they write the same customers.csv. On a machine
# shared with other work only the ratios mean anything. Needs /usr/bin/time (Debian `time`);
# INSTRUCTIONS=1 needs valgrind (slow: use 1M rows) and counts every thread's instructions, a
# figure that does not depend on the machine's load.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,13p' "$0"; exit 2; }
a="$1" b="$2" rows="${3:-10000000}"
ws="${4:-$(dirname "$0")/../bench-data/ws-$rows}"
rounds="${ROUNDS:-5}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for bin in "$a" "$b"; do
  [ -x "$bin" ] || { echo "not an executable: $bin" >&2; exit 2; }
done
[ -s "$ws/powerbase.yaml" ] || { echo "no workspace at $ws: run bash benches/run.sh $rows" >&2; exit 2; }

once() { # BIN LABEL: one timed run, appended to $tmp/LABEL
  rm -rf "$tmp/out"
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$1" run "$ws" --quiet --no-provenance --out "$tmp/out" >/dev/null
  read -r wall user sys kb < "$tmp/time"
  echo "$wall $(echo "$user + $sys" | bc) $kb" >> "$tmp/$2"
  printf '%-2s %6.2f s wall %6.2f s CPU %5d MB\n' "$2" "$wall" "$(echo "$user + $sys" | bc)" $((kb / 1024))
}

for label in A B; do # warm the cache and keep the first outputs
  bin=$a; [ $label = B ] && bin=$b
  "$bin" run "$ws" --quiet --no-provenance --out "$tmp/first-$label" >/dev/null
done
if cmp -s "$tmp/first-A/customers.csv" "$tmp/first-B/customers.csv"; then
  echo "customers.csv: identical"
else
  echo "customers.csv: DIFFERENT"
fi
rm -rf "$tmp/first-A" "$tmp/first-B"

for i in $(seq "$rounds"); do
  if [ $((i % 2)) -eq 1 ]; then once "$a" A; once "$b" B; else once "$b" B; once "$a" A; fi
done

median() { # FILE COLUMN
  cut -d' ' -f"$2" "$1" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo "medians of $rounds interleaved runs each, $rows rows ($ws):"
for col in 1:wall:s 2:CPU:s 3:peak:KB; do
  IFS=: read -r c name unit <<< "$col"
  ma=$(median "$tmp/A" "$c") mb=$(median "$tmp/B" "$c")
  printf '  %-5s A %10s %s  B %10s %s  B/A %.2fx\n' "$name" "$ma" "$unit" "$mb" "$unit" "$(echo "$mb / $ma" | bc -l)"
done

if [ "${INSTRUCTIONS:-0}" = 1 ]; then
  for label in A B; do
    bin=$a; [ $label = B ] && bin=$b
    rm -rf "$tmp/out"
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg-$label" \
      "$bin" run "$ws" --quiet --no-provenance --out "$tmp/out" >/dev/null 2>"$tmp/vg-$label"
    grep -o 'Collected : [0-9]*' "$tmp/vg-$label" | awk '{ print $3 }' > "$tmp/ir-$label"
  done
  ia=$(cat "$tmp/ir-A") ib=$(cat "$tmp/ir-B")
  printf '  instructions A %s  B %s  B/A %.2fx\n' "$ia" "$ib" "$(echo "$ib / $ia" | bc -l)"
fi
