#!/usr/bin/env bash
# The European-format benchmark (issue "Real client exports"): the 10M-row benchmark file rewritten
# the way a German Excel export writes it (`;`, decimal comma, `.` thousands, a ` €` suffix,
# dd.mm.yyyy dates, CRLF, Windows-1252) and run with `number_format`, `encoding` and `date_format`
# set, interleaved with the plain file under the default options; prints both and the ratio.
#   bash benches/european.sh              # 10M rows
#   bash benches/european.sh 1000000      # 1M rows
# Data goes to bench-data/ (ignored by git). Needs /usr/bin/time (Debian package `time`) and iconv.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-10000000}"
runs="${RUNS:-3}"
bash benches/run.sh "$rows" >/dev/null # builds, generates the plain file and its policy
bin=target/release/powerbase
plain="bench-data/ws-$rows"
de="bench-data/ws-$rows-de"
mkdir -p "$de/data"
if [ ! -s "$de/data/umsatz.csv" ]; then
  # customer_id,date,quantity,amount,cost -> Kundennr.;Belegdatum;Stückzahl;Umsatz;Einstand
  awk -F, 'function de(x,  neg, w, f, s) {
      neg = substr(x, 1, 1) == "-"; if (neg) x = substr(x, 2)
      w = x; f = "00"; if (index(x, ".")) { w = substr(x, 1, index(x, ".") - 1); f = substr(x, index(x, ".") + 1) }
      s = ""; while (length(w) > 3) { s = "." substr(w, length(w) - 2) s; w = substr(w, 1, length(w) - 3) }
      return (neg ? "-" : "") w s "," f " €" }
    NR == 1 { printf "Kundennr.;Belegdatum;Stückzahl;Umsatz;Einstand\r\n"; next }
    { printf "%s;%s.%s.%s;%s;%s;%s\r\n", $1, substr($2, 9, 2), substr($2, 6, 2), substr($2, 1, 4), $3, de($4), de($5) }' \
    "$plain/data/transactions.csv" | iconv -f utf-8 -t windows-1252 > "$de/data/umsatz.csv"
fi
sed -n '/^tiers:/,$p' "$plain/powerbase.yaml" > /tmp/powerbase-tiers.$$
cat > "$de/powerbase.yaml" <<'YAML'
client: Bench (European export)
currency: EUR
as_of: 2025-01-01
data:
  transactions:
    path: data/umsatz.csv
    delimiter: ";"
    encoding: windows-1252
    number_format: de-DE
    date_format: "%d.%m.%Y"
    columns: { customer_id: Kundennr., date: Belegdatum, amount: Umsatz, cost: Einstand, quantity: Stückzahl }
YAML
cat /tmp/powerbase-tiers.$$ >> "$de/powerbase.yaml"
rm -f /tmp/powerbase-tiers.$$
"$bin" run "$de" --quiet --out /tmp/powerbase-bench-de.$$ >/dev/null # warm the cache, and fail early
rm -rf /tmp/powerbase-bench-de.$$
for i in $(seq "$runs"); do
  for ws in "$plain" "$de"; do
    /usr/bin/time -f "%e %U %M" -o /tmp/powerbase-bench.$$ "$bin" run "$ws" --quiet --no-provenance --out /tmp/powerbase-bench-out.$$
    rm -rf /tmp/powerbase-bench-out.$$
    read -r wall cpu kb < /tmp/powerbase-bench.$$
    printf '%-28s %6.2f s wall %6.2f s CPU %5d MB\n' "$(basename "$ws")" "$wall" "$cpu" $((kb / 1024))
    echo "$(basename "$ws") $wall" >> /tmp/powerbase-bench-all.$$
  done
done
awk -v plain="$(basename "$plain")" '{ s[$1] += $2; n[$1]++ } END {
  for (k in s) if (k != plain) printf "European format / default: %.2fx wall (mean of %d runs each)\n", (s[k] / n[k]) / (s[plain] / n[plain]), n[k] }' /tmp/powerbase-bench-all.$$
rm -f /tmp/powerbase-bench.$$ /tmp/powerbase-bench-all.$$
