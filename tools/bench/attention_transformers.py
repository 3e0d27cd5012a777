#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Hugging Face transformers at long inputs, the peer figure of `debertacl attnbench --lengths`.

For each length L: a fresh child process builds DebertaV2Model from a deberta-v3 preset config
(random weights, nothing downloaded), fp32, eval mode, torch.inference_mode, N threads, runs one
warm-up pass at L = 16 and then one timed forward of 1 x L random ids, and reports the wall time
and its peak resident memory. The child runs under an address-space limit (--cap-gib, default 12)
so that transformers' [heads, L, L] attention tensors fail cleanly (a MemoryError / RuntimeError,
reported as the figure) instead of pushing a shared machine into the OOM killer.

Prints one JSON object with a row per length. Python is only used for benchmarking.
"""
import argparse
import json
import resource
import subprocess
import sys
import time

V3 = dict(model_type="deberta-v2", relative_attention=True, position_buckets=256, norm_rel_ebd="layer_norm",
          share_att_key=True, pos_att_type=["p2c", "c2p"], layer_norm_eps=1e-7, max_relative_positions=-1,
          position_biased_input=False, type_vocab_size=0, max_position_embeddings=512, hidden_act="gelu",
          vocab_size=128100, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
PRESETS = {
    "deberta-v3-base": V3,
    "deberta-v3-small": dict(V3, num_hidden_layers=6),
    "deberta-v3-xsmall": dict(V3, hidden_size=384, num_attention_heads=6, intermediate_size=1536),
}


def child(preset, length, threads):
    import torch
    from transformers import DebertaV2Config, DebertaV2Model
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = DebertaV2Config(**PRESETS[preset])
    model = DebertaV2Model(cfg).eval().float()
    with torch.inference_mode():
        model(input_ids=torch.randint(0, cfg.vocab_size, (1, 16)))
        ids = torch.randint(0, cfg.vocab_size, (1, length))
        t0 = time.perf_counter()
        model(input_ids=ids)
        dt = time.perf_counter() - t0
    print(json.dumps({"seconds": dt}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="deberta-v3-base", choices=sorted(PRESETS))
    ap.add_argument("--lengths", default="512,1024,2048,4096,8192,16384")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cap-gib", type=float, default=12.0)
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.preset, a.child, a.threads)
        return
    import torch
    import transformers
    cap = int(a.cap_gib * (1 << 30))

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    rows = []
    for L in [int(x) for x in a.lengths.split(",")]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        p = subprocess.run([sys.executable, __file__, "--preset", a.preset, "--threads", str(a.threads),
                            "--child", str(L)], capture_output=True, text=True, preexec_fn=limit)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        row = {"length": L}
        if p.returncode == 0:
            row.update(json.loads(p.stdout.strip().splitlines()[-1]), status="ok")
        else:
            err = (p.stderr.strip().splitlines() or ["exit status %d" % p.returncode])[-1]
            row.update(status="error", error=err[:300])
        # ru_maxrss of the children is the largest so far: exact for the first row and for every
        # row that sets a new peak, otherwise a bound
        row["peak_rss_mib_bound"] = peak / 1024.0
        row["peak_rss_exact"] = peak > before or not rows
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    print(json.dumps({"tool": "attention_transformers.py", "preset": a.preset, "threads": a.threads,
                      "cap_gib": a.cap_gib, "torch": torch.__version__, "transformers": transformers.__version__,
                      "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
