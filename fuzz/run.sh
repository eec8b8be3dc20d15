#!/usr/bin/env bash
# Runs powerbase's fuzz targets, each for SECONDS (default 30), on the nightly toolchain:
#   bash fuzz/run.sh            every target, 30 s each
#   bash fuzz/run.sh 600 csv_ingest
# New interesting inputs go to fuzz/corpus/TARGET (not in git); the seeds in fuzz/seeds/TARGET are
# read, never written. A crash stops with the input saved in fuzz/artifacts/TARGET and a non-zero
# exit; `cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(policy_yaml csv_ingest markdown_pdf)
fi
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    echo "== $t for ${seconds}s"
    cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
