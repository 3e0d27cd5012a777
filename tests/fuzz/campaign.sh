#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A long fuzzing campaign of one target: libFuzzer's fork mode (one job), which keeps going after
# a crash, a timeout or an out-of-memory input and saves each under OUT/artifacts/.
# Usage: campaign.sh BUILD_DIR TARGET SECONDS [OUT]   (OUT default BUILD_DIR/tests/fuzz/campaign/TARGET)
# $FUZZ_ARGS: more libFuzzer options (e.g. -max_len=16384 for safetensors, whose seeds are large).
# Prints the executions done at the end ("execs: N").
set -eu
build=$1
t=$2
secs=$3
out=${4:-$build/tests/fuzz/campaign/$t}
mkdir -p "$out/corpus" "$out/artifacts"
LSAN_OPTIONS=suppressions=$(dirname "$0")/../lsan.supp ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=2048 nice -n 19 "$build/tests/fuzz/fuzz_$t" -fork=1 -ignore_crashes=1 \
  -ignore_ooms=1 -ignore_timeouts=1 -rss_limit_mb=2048 -malloc_limit_mb=4096 -timeout=30 -max_total_time="$secs" \
  -artifact_prefix="$out/artifacts/" ${FUZZ_ARGS:-} "$out/corpus" "$build/tests/fuzz/seeds/$t" > "$out/log" 2>&1 || true
execs=$(grep -o '^#[0-9]*' "$out/log" | tail -1 | tr -d '#')
echo "$t: execs: ${execs:-0}, artifacts: $(ls "$out/artifacts" | wc -l), log: $out/log"
