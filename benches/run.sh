#!/usr/bin/env bash
# The end-to-end benchmark: generate seeded transactions (1M and 10M rows by default), run the
# benchmark policy on them in release mode and print wall time and peak memory per size.
#   bash benches/run.sh            # 1M and 10M rows
#   bash benches/run.sh 1000000    # only 1M rows
# Data goes to bench-data/ (ignored by git). Needs /usr/bin/time (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] && sizes=("$@") || sizes=(1000000 10000000)
cargo build --release --quiet --bin powerbase --example gen-transactions
bin=target/release/powerbase
gen=target/release/examples/gen-transactions
for rows in "${sizes[@]}"; do
  ws="bench-data/ws-$rows"
  mkdir -p "$ws/data"
  if [ ! -s "$ws/data/transactions.csv" ]; then
    "$gen" --rows "$rows" --out "$ws/data/transactions.csv" --seed 42
  fi
  cat > "$ws/powerbase.yaml" <<'YAML'
client: Bench
currency: USD
as_of: 2025-01-01
data:
  transactions:
    path: data/transactions.csv
    columns: { customer_id: customer_id, date: date, amount: amount, cost: cost, quantity: quantity }
tiers:
  - name: first
    when: revenue >= percentile("revenue", 0.95)
  - name: business
    when: revenue >= percentile("revenue", 0.70)
  - name: economy
YAML
  "$bin" run "$ws" --quiet >/dev/null 2>&1 || true   # warm the page cache
  for i in 1 2 3; do
    /usr/bin/time -f "%e %M" -o /tmp/powerbase-bench.$$ "$bin" run "$ws" --quiet
    read -r wall kb < /tmp/powerbase-bench.$$
    size=$(du -mL "$ws/data/transactions.csv" | cut -f1)
    printf '%10s rows (%4s MB): %6.2f s wall, %5d MB peak RSS\n' "$rows" "$size" "$wall" $((kb / 1024))
  done
done
rm -f /tmp/powerbase-bench.$$
