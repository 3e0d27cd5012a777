#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reference timings for `debertacl bench` on the same machine.

1. Hugging Face transformers (PyTorch, CPU): DebertaV2Model built from the
   deberta-v3-base config (random weights, nothing downloaded), fp32, eval mode,
   torch.inference_mode, torch.set_num_threads(N); random ids B x L; warm-up passes,
   then the median wall clock of --runs passes.
2. numpy SGEMM (whatever BLAS numpy links, reported through threadpoolctl, limited to the
   same N threads): the GEMM list the debertacl encoder runs for this model and shape, per
   layer [T,H]x[3H,H]^T, [T,H]x[H,H]^T, [T,H]x[I,H]^T, [T,I]x[H,I]^T, and the batched
   attention products (Q K^T, Q Pk^T, K Pq^T, P V), times the layer count.

Prints one JSON object. Python is only used for benchmarking; the library never needs it.
For a fair OpenBLAS figure, run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (run_bench.sh
does that for this command only).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

# the deberta-v3 presets of host/model.c
V3_COMMON = dict(model_type="deberta-v2", relative_attention=True, position_buckets=256, norm_rel_ebd="layer_norm",
                 share_att_key=True, pos_att_type=["p2c", "c2p"], layer_norm_eps=1e-7, max_relative_positions=-1,
                 position_biased_input=False, type_vocab_size=0, max_position_embeddings=512, hidden_act="gelu",
                 vocab_size=128100)
PRESETS = {
    "deberta-v3-xsmall": dict(hidden_size=384, num_hidden_layers=12, num_attention_heads=6, intermediate_size=1536),
    "deberta-v3-small": dict(hidden_size=768, num_hidden_layers=6, num_attention_heads=12, intermediate_size=3072),
    "deberta-v3-base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
    "deberta-v3-large": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096),
}


def log_bucket(rel, bucket_size, max_position):
    """host/relpos.c dcl_log_bucket"""
    import math
    mid = bucket_size // 2
    sign = (rel > 0) - (rel < 0)
    abs_pos = mid - 1 if -mid < rel < mid else abs(rel)
    if abs_pos <= mid:
        return rel
    log_pos = math.ceil(math.log(abs_pos / mid) / math.log((max_position - 1) / mid) * (mid - 1)) + mid
    return int(log_pos) * sign


def rel_slots(L, cfgd):
    """Rows of the projected position table one length uses (host/relpos.c dcl_rel_slot_table)."""
    max_rel = cfgd["max_relative_positions"]
    if max_rel < 1:
        max_rel = cfgd["max_position_embeddings"]
    buckets = cfgd["position_buckets"]
    span = buckets if buckets > 0 else max_rel
    hi = log_bucket(L - 1, buckets, max_rel) if buckets > 0 else L - 1
    hi, lo = min(hi, span - 1), max(-hi, -span)
    return hi - lo + 1


def median_time(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts), max(ts), ts


def bench_torch(args, cfgd):
    import torch
    import transformers
    from transformers import DebertaV2Config, DebertaV2Model
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = DebertaV2Config(**cfgd)
    t0 = time.perf_counter()
    model = DebertaV2Model(cfg).to(torch.float32).eval()
    build_s = time.perf_counter() - t0
    ids = torch.randint(0, cfg.vocab_size, (args.batch, args.length), dtype=torch.long)
    mask = torch.ones_like(ids)

    def run():
        with torch.inference_mode():
            model(input_ids=ids, attention_mask=mask)

    t0 = time.perf_counter()
    run()
    first_s = time.perf_counter() - t0
    med, lo, hi, ts = median_time(run, args.warmup, args.runs)
    return dict(torch=torch.__version__, transformers=transformers.__version__, threads=torch.get_num_threads(),
                model_build_s=build_s, first_pass_s=first_s, median_s=med, min_s=lo, max_s=hi, runs_s=ts,
                mkldnn=bool(torch.backends.mkldnn.is_available()), parallel_info=torch.__config__.parallel_info().splitlines()[:4])


def gemm_list(cfgd, B, L):
    """(count, batch, m, n, k, transB) of every product one pass of the encoder runs."""
    H, NH, I, NL = cfgd["hidden_size"], cfgd["num_attention_heads"], cfgd["intermediate_size"], cfgd["num_hidden_layers"]
    D = H // NH
    T = B * L
    S = rel_slots(L, cfgd)
    per_layer = [
        ("qkv", 1, T, 3 * H, H),
        ("attn_out", 1, T, H, H),
        ("ffn_in", 1, T, I, H),
        ("ffn_out", 1, T, H, I),
        ("q_kT", NH * B, L, L, D),
        ("q_pkT", NH, T, S, D),
        ("k_pqT", NH, T, S, D),
        ("p_v", NH * B, L, D, L),
    ]
    return NL, per_layer


def bench_numpy(args, cfgd):
    import numpy as np
    info = {}
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
        limiter = threadpool_limits(limits=args.threads, user_api="blas")
        info["blas"] = [{k: v for k, v in d.items() if k in ("internal_api", "version", "num_threads",
                                                                "threading_layer", "architecture", "filepath")}
                        for d in threadpool_info() if d.get("user_api") == "blas"]
    except ImportError:
        limiter = None
        info["blas"] = "threadpoolctl not installed"
    NL, per_layer = gemm_list(cfgd, args.batch, args.length)
    rng = np.random.default_rng(0)
    rows = []
    total = 0.0
    flops = 0.0
    for name, batch, m, n, k in per_layer:
        a = rng.standard_normal((batch, m, k), dtype=np.float32)
        b = rng.standard_normal((batch, n, k), dtype=np.float32)  # stored like the weights: [n, k], used transposed
        c = np.empty((batch, m, n), dtype=np.float32)
        if batch == 1:
            a2, bT, c2 = a[0], b[0].T, c[0]
            fn = lambda: np.matmul(a2, bT, out=c2)
        else:
            bT = b.transpose(0, 2, 1)
            fn = lambda: np.matmul(a, bT, out=c)
        med, lo, hi, _ = median_time(fn, 1, args.gemm_runs)
        f = 2.0 * batch * m * n * k
        rows.append(dict(name=name, batch=batch, m=m, n=n, k=k, median_s=med, gflops=f / med * 1e-9))
        total += med * NL
        flops += f * NL
    if limiter is not None:
        limiter.restore_original_limits()
    info.update(numpy=np.__version__, layers=NL, per_layer=rows, model_gemm_s=total, model_gemm_gflop=flops * 1e-9,
                model_gemm_gflops=flops / total * 1e-9)
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="deberta-v3-base", choices=sorted(PRESETS))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--length", type=int, default=128)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--gemm-runs", type=int, default=5)
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--skip-gemm", action="store_true")
    args = ap.parse_args()
    cfgd = dict(V3_COMMON, **PRESETS[args.preset])
    out = dict(tool="bench_transformers.py", preset=args.preset, batch=args.batch, length=args.length,
               threads=args.threads, warmup=args.warmup, runs=args.runs, python=platform.python_version(),
               cpu=platform.processor() or platform.machine(),
               env={k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS")})
    if not args.skip_gemm:
        # numpy first: torch's OpenMP pool would otherwise spin next to OpenBLAS's threads
        out["gemm"] = bench_numpy(args, cfgd)
    if not args.skip_torch:
        out.update(bench_torch(args, cfgd))
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
