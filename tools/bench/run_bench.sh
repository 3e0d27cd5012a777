#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# debertacl against Hugging Face transformers (PyTorch, CPU) and numpy's BLAS on this machine,
# in one run: prints both JSON reports and the ratios. See tools/bench/README.md.
#   tools/bench/run_bench.sh [BUILD_DIR] ; env: PRESET BATCH LENGTH RUNS WARMUP THREADS DEVICE OUT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../../build}"
preset="${PRESET:-deberta-v3-base}" batch="${BATCH:-8}" length="${LENGTH:-128}"
runs="${RUNS:-5}" warmup="${WARMUP:-2}" threads="${THREADS:-$(nproc)}"
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
dev=()
[ -n "${DEVICE:-}" ] && dev=(--device "$DEVICE")

echo "== debertacl bench ($preset, $batch x $length, $runs runs after $warmup warm-up)" >&2
"$build/tools/debertacl" bench --synthetic "$preset" --batch "$batch" --length "$length" --runs "$runs" \
    --warmup "$warmup" --profile --json "$out/debertacl.json" "${dev[@]}" >&2

echo "== transformers + numpy BLAS ($threads threads)" >&2
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this workplace's machines for old OpenBLAS
# builds; they slow a current numpy, so they are unset for this command only.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 "$here/bench_transformers.py" --preset "$preset" \
    --batch "$batch" --length "$length" --runs "$runs" --warmup "$warmup" --threads "$threads" \
    > "$out/transformers.json"

python3 - "$out/debertacl.json" "$out/transformers.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
g = t["gemm"]
blas = g["blas"][0] if isinstance(g["blas"], list) and g["blas"] else g["blas"]
r = {
    "debertacl_device": d["device"],
    "debertacl_median_s": d["median_s"],
    "debertacl_cold_first_pass_s": d["cold_first_pass_s"],
    "debertacl_profile_gemm_s": d["profile_gemm_s"],
    "debertacl_profile_kernels_s": d["profile_kernels_s"],
    "transformers_median_s": t["median_s"],
    "transformers_first_pass_s": t["first_pass_s"],
    "torch": t["torch"], "transformers": t["transformers"], "threads": t["threads"],
    "blas": blas,
    "blas_model_gemm_s": g["model_gemm_s"],
    "ratio_debertacl_over_transformers": d["median_s"] / t["median_s"],
    "ratio_debertacl_gemm_over_blas_gemm": d["profile_gemm_s"] / g["model_gemm_s"],
}
print(json.dumps(r, indent=1))
PY
echo "reports: $out" >&2
