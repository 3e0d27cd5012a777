#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: what a new user runs after setup to see debertacl work on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/tools/debertacl
echo "== OpenCL devices"
$bin devices
echo
echo "== fill-mask on the demo model shipped in tests/data/demo (a real tokenizer, RANDOM weights)"
$bin run --model tests/data/demo --task fill-mask --text "The quick brown [MASK] jumps over the lazy dog."
echo
echo "== a synthesised deberta-v3-base (real shapes, random weights): time per batch"
$bin bench --synthetic deberta-v3-base --batch "${DCL_DEMO_BATCH:-8}" --length "${DCL_DEMO_LENGTH:-128}" \
    --runs "${DCL_DEMO_RUNS:-3}" --warmup 1
