#!/usr/bin/env bash
# The review workflow against a plain run, on the CDNOW example: `diff --set` (two policies on the
# same data), `test` (its policy tests) and `run --compare-as-of` (two as-of dates), each timed
# against `run` in alternation so the machine's noise hits both alike. Prints the median wall time
# of each and its ratio to `run`.
#   bash benches/review.sh        # 7 rounds
#   bash benches/review.sh 15     # 15 rounds
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
cargo build --release --quiet --bin powerbase
bin=target/release/powerbase
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
declare -A cmds=(
  [run]="$bin run examples/cdnow --out $out/run -q"
  [diff]="$bin diff examples/cdnow --set first_class_min=500"
  [test]="$bin test examples/cdnow"
  [compare]="$bin run examples/cdnow --compare-as-of 1997-12-31 --out $out/compare -q"
)
order=(run diff test compare)
declare -A times
for ((i = 0; i < rounds; i++)); do
  for name in "${order[@]}"; do
    start=$(date +%s%N)
    ${cmds[$name]} > /dev/null
    times[$name]+="$(( ($(date +%s%N) - start) / 1000000 )) "
  done
done
median() { tr ' ' '\n' <<< "$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
base=$(median "${times[run]}")
for name in "${order[@]}"; do
  m=$(median "${times[$name]}")
  printf '%-8s %6d ms  %.2fx run\n' "$name" "$m" "$(echo "$m / $base" | bc -l)"
done
