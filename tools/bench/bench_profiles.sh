#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Times deberta-v3-base (synthesised) with three tunings of one device in interleaved rounds:
# every tunable at its built-in default, the shipped profiles, and a given profile (a tuner's
# output). Prints the median of each and the median of the per-round ratios.
#
#   tools/bench/bench_profiles.sh DEVICE TUNED.json [ROUNDS] [BINARY]
# Environment: BATCH (8), LENGTH (128), RUNS (2 warm runs per process), WARMUP (1 warm-up run).
set -euo pipefail
dev=$1
tuned=$2
rounds=${3:-3}
bin=${4:-build/tools/debertacl}
out=$(mktemp -d)
defaults=$out/defaults.json
# every tunable at its built-in default, the CLBlast routes, CLBlast's own parameters
python3 - "$defaults" "$(dirname "$0")/../../host/tunables.def" <<'PY'
import json, re, sys
params = {}
for line in open(sys.argv[2]):
    m = re.match(r'DCL_TUNABLE\((\w+),\s*\w+,\s*(-?\d+),', line)
    if m:
        params[m.group(1)] = int(m.group(2))
json.dump({"description": "built-in defaults", "parameters": params}, open(sys.argv[1], "w"), indent=1)
PY
export DEBERTACL_CACHE_DIR=$out/cache # program cache only: no tuner results in it
run() { # label, profile ("" for the shipped chain)
  local f=$out/$1.$r.json
  if [ -n "$2" ]; then
    DEBERTACL_PROFILE_PATH=$2 "$bin" bench --synthetic deberta-v3-base --batch "${BATCH:-8}" --length "${LENGTH:-128}" \
      --runs "${RUNS:-2}" --warmup "${WARMUP:-1}" --device "$dev" --json "$f" >/dev/null
  else
    env -u DEBERTACL_PROFILE_PATH "$bin" bench --synthetic deberta-v3-base --batch "${BATCH:-8}" --length "${LENGTH:-128}" \
      --runs "${RUNS:-2}" --warmup "${WARMUP:-1}" --device "$dev" --json "$f" >/dev/null
  fi
}
for r in $(seq 1 "$rounds"); do
  run defaults "$defaults"
  run shipped ""
  run tuned "$tuned"
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
t = {k: [json.load(open(f"{out}/{k}.{r}.json"))["median_s"] for r in range(1, rounds + 1)]
     for k in ("defaults", "shipped", "tuned")}
for k, v in t.items():
    print(f"{k:9s} median {statistics.median(v):.3f} s  rounds {' '.join(f'{x:.3f}' for x in v)}")
for a, b in (("defaults", "tuned"), ("shipped", "tuned"), ("defaults", "shipped")):
    ratios = [x / y for x, y in zip(t[a], t[b])]
    print(f"{a}/{b}: median of per-round ratios {statistics.median(ratios):.3f}")
PY
rm -rf "$out"
