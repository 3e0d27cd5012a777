#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""debertacl, ONNX Runtime and transformers on the same random weights, in interleaved rounds.

1. A DebertaV2Model is built from a preset config (random init, seed 0, nothing downloaded) and
   saved with save_pretrained (safetensors) to a work folder; debertacl loads that folder
   (dcl_model_load through ctypes on libdebertacl), so all three run the same weights.
2. The model is exported with torch.onnx.export (opset 17, dynamic batch and length) and run by
   ONNX Runtime's CPU provider (graph optimisations on, --threads intra-op threads). Before any
   timing, ONNX Runtime's and debertacl's last_hidden_state are compared with transformers' for
   every shape (ONNX Runtime must agree within --ort-tol, 1e-4).
3. Rounds: per shape, `--rounds` times: debertacl, ONNX Runtime, transformers (`--reps` forwards
   each, back to back, the median of them as the round's figure; wall clock around the call;
   debertacl's includes its clFinish and the read-back), after `--warmup` untimed rounds. Reported: the median of the per-round ratios debertacl/ORT and
   debertacl/transformers, and each implementation's median time; also the process CPU time of
   each call (all threads; spinning worker threads count) and the load average before/after, as
   a hint of how busy the machine was.
4. GEMMs (--gemm): debertacl's profile pass (the GEMMs' OpenCL event times; dcl_session_timings'
   gemm_seconds) against the same GEMMs in numpy's BLAS (bench_transformers.gemm_list without
   Q K^T and P V, which debertacl's fused attention does inside its attention kernel;
   threadpoolctl-limited to --threads), interleaved the same way, median of per-round ratios.

Run with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for this command (they select old kernels);
the BLAS kernel numpy runs is reported from threadpoolctl. Python only measures; the library
never needs it. Prints one JSON object.
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_transformers as bt  # noqa: E402  (the presets and the GEMM list)


class Batch(ctypes.Structure):
    _fields_ = [("batch", ctypes.c_int), ("length", ctypes.c_int), ("input_ids", ctypes.c_void_p),
                ("attention_mask", ctypes.c_void_p), ("token_type_ids", ctypes.c_void_p),
                ("offsets", ctypes.c_void_p)]


class Outputs(ctypes.Structure):
    _fields_ = [("last_hidden_state", ctypes.c_void_p), ("hidden_states", ctypes.c_void_p),
                ("attentions", ctypes.c_void_p)]


class ContextParams(ctypes.Structure):
    _fields_ = [("device", ctypes.c_char_p), ("profiling", ctypes.c_int), ("cache_dir", ctypes.c_char_p),
                ("log_callback", ctypes.c_void_p), ("log_user_data", ctypes.c_void_p), ("log_level", ctypes.c_int),
                ("cl_context", ctypes.c_void_p), ("cl_queue", ctypes.c_void_p)]


class ModelParams(ctypes.Structure):
    _fields_ = [("head", ctypes.c_uint), ("seed", ctypes.c_uint64), ("progress_bytes", ctypes.c_uint64)]


# Pause before each timed call. A runtime's worker threads keep spinning after it returns and take
# a core from whatever runs next: OpenBLAS's for about 2^28 cycles (its THREAD_TIMEOUT default,
# ~0.1 s here; with a 20 ms pause debertacl's GEMM sum read 103 ms in the round after the BLAS
# loop against 72 ms alone), ONNX Runtime's for a shorter spin.
QUIET_S = 0.25


class SessionParams(ctypes.Structure):
    _fields_ = [("max_batch", ctypes.c_int), ("max_length", ctypes.c_int), ("profile", ctypes.c_int),
                ("materialized_attention", ctypes.c_int)]


class Timings(ctypes.Structure):
    _fields_ = [("total_seconds", ctypes.c_double), ("gemm_seconds", ctypes.c_double),
                ("kernel_seconds", ctypes.c_double), ("gemm_calls", ctypes.c_uint), ("kernel_launches", ctypes.c_uint)]


class Debertacl:
    """The public C API through ctypes: one context, one model, one session per (max B, max L)."""

    def __init__(self, lib_path, model_dir, device, max_batch, max_length, profile):
        self.lib = lib = ctypes.CDLL(lib_path)
        lib.dcl_context_default_params.restype = ContextParams
        lib.dcl_model_default_params.restype = ModelParams
        lib.dcl_session_default_params.restype = SessionParams
        lib.dcl_last_error.restype = ctypes.c_char_p
        # the timed forward runs on a context without queue profiling; the profiled session
        # (GEMM event times) gets a context and model of its own
        self.sessions = {}
        for prof in (0, 1) if profile else (0,):
            cp = lib.dcl_context_default_params()
            if device:
                cp.device = device.encode()
            cp.profiling = prof
            ctx, model, s = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
            self._check(lib.dcl_context_create(ctypes.byref(cp), ctypes.byref(ctx)), "context")
            mp = lib.dcl_model_default_params()
            self._check(lib.dcl_model_load(ctx, model_dir.encode(), ctypes.byref(mp), ctypes.byref(model)), "model")
            sp = lib.dcl_session_default_params()
            sp.max_batch, sp.max_length, sp.profile = max_batch, max_length, prof
            self._check(lib.dcl_session_create(model, ctypes.byref(sp), ctypes.byref(s)), "session")
            self.sessions[prof] = s
            if not prof:
                self.ctx = ctx
        info = (ctypes.c_char * 4096)()
        self.device = None
        if lib.dcl_context_device_info(self.ctx, info) == 0:  # dcl_device_info: name and platform
            field = lambda off, n: bytes(info[off:off + n]).split(b"\0", 1)[0].decode(errors="replace")
            self.device = "%s (%s)" % (field(8 + 128 * 3 + 32, 256), field(8, 128))

    def _check(self, st, what):
        if st != 0:
            raise RuntimeError("debertacl %s: status %d: %s" % (what, st, self.lib.dcl_last_error().decode()))

    def encode(self, ids, mask, out, profile=0):
        b = Batch(ids.shape[0], ids.shape[1], ids.ctypes.data, mask.ctypes.data, None, None)
        o = Outputs(out.ctypes.data, None, None)
        self._check(self.lib.dcl_encode(self.sessions[profile], ctypes.byref(b), ctypes.byref(o)), "encode")

    def gemm_seconds(self):
        t = Timings()
        self._check(self.lib.dcl_session_timings(self.sessions[1], ctypes.byref(t)), "timings")
        return t.gemm_seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", required=True, help="path of libdebertacl.so")
    ap.add_argument("--preset", default="deberta-v3-base", choices=sorted(bt.PRESETS))
    ap.add_argument("--shapes", default="1x128,8x128,1x512", help="BxL list")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--device", default=None, help="debertacl device spec (pocl, intel, ...)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3, help="forwards per implementation per round (median)")
    ap.add_argument("--gemm", action="store_true", help="also the GEMM sum against numpy's BLAS")
    ap.add_argument("--skip-torch", action="store_true", help="no transformers timing (still the reference)")
    ap.add_argument("--ort-tol", type=float, default=1e-4)
    ap.add_argument("--work", default=None, help="folder for the saved model and the ONNX file (default: temp)")
    args = ap.parse_args()

    import numpy as np
    import onnxruntime as ort
    import torch
    import transformers
    from transformers import DebertaV2Config, DebertaV2Model

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfgd = dict(bt.V3_COMMON, **bt.PRESETS[args.preset])
    model = DebertaV2Model(DebertaV2Config(**cfgd)).to(torch.float32).eval()
    work = args.work or tempfile.mkdtemp(prefix="dcl_bench_ort_")
    os.makedirs(work, exist_ok=True)
    model.save_pretrained(work, safe_serialization=True)
    onnx_path = os.path.join(work, "model.onnx")
    if not os.path.exists(onnx_path):
        ex_ids = torch.randint(0, cfgd["vocab_size"], (2, 16), dtype=torch.long)
        torch.onnx.export(model, (ex_ids, torch.ones_like(ex_ids)), onnx_path, opset_version=17,
                          input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "length"},
                                        "attention_mask": {0: "batch", 1: "length"},
                                        "last_hidden_state": {0: "batch", 1: "length"}},
                          dynamo=False)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])

    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    maxb, maxl = max(b for b, _ in shapes), max(l for _, l in shapes)
    ours = Debertacl(args.lib, work, args.device, maxb, maxl, args.gemm)
    rng = np.random.default_rng(0)
    report = dict(tool="bench_ort.py", preset=args.preset, threads=args.threads, rounds=args.rounds, reps=args.reps,
                  warmup=args.warmup, torch=torch.__version__, transformers=transformers.__version__,
                  onnxruntime=ort.__version__, debertacl_device=ours.device,
                  env={k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS")},
                  shapes=[])
    for B, L in shapes:
        ids = rng.integers(0, cfgd["vocab_size"], (B, L), dtype=np.int64)
        mask = np.ones((B, L), dtype=np.int64)
        ids32, mask32 = ids.astype(np.int32), mask.astype(np.int32)
        tids, tmask = torch.from_numpy(ids), torch.from_numpy(mask)
        out = np.empty((B, L, cfgd["hidden_size"]), dtype=np.float32)

        def run_ours():
            ours.encode(ids32, mask32, out)

        def run_ort():
            return sess.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]

        def run_torch():
            with torch.inference_mode():
                return model(input_ids=tids, attention_mask=tmask).last_hidden_state

        ref = run_torch().numpy()
        ort_err = float(np.abs(run_ort() - ref).max())
        run_ours()
        ours_err = float(np.abs(out - ref).max())
        if not ort_err <= args.ort_tol:
            raise SystemExit("ONNX Runtime differs from transformers by %g at %dx%d" % (ort_err, B, L))
        impls = [("debertacl", run_ours), ("onnxruntime", run_ort)]
        if not args.skip_torch:
            impls.append(("transformers", run_torch))
        times = {n: [] for n, _ in impls}
        cpu = {n: [] for n, _ in impls}
        load0 = os.getloadavg()[0]
        for r in range(args.warmup + args.rounds):
            for name, fn in impls:
                time.sleep(QUIET_S)  # let the previous runtime's worker threads go idle
                dts, dcs = [], []
                for _ in range(args.reps):  # back to back; the round's figure is their median
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    fn()
                    dts.append(time.perf_counter() - t0)
                    dcs.append(time.process_time() - c0)
                if r >= args.warmup:
                    times[name].append(statistics.median(dts))
                    cpu[name].append(statistics.median(dcs))
        row = dict(batch=B, length=L, max_abs_diff_ort_vs_transformers=ort_err,
                   max_abs_diff_debertacl_vs_transformers=ours_err,
                   load_average=[load0, os.getloadavg()[0]],
                   median_s={n: statistics.median(t) for n, t in times.items()},
                   median_cpu_s={n: statistics.median(t) for n, t in cpu.items()},
                   cpu_ratio_debertacl_over_ort=statistics.median(
                       [a / b for a, b in zip(cpu["debertacl"], cpu["onnxruntime"])]),
                   ratio_debertacl_over_ort=statistics.median(
                       [a / b for a, b in zip(times["debertacl"], times["onnxruntime"])]),
                   ratio_range_over_ort=[min(a / b for a, b in zip(times["debertacl"], times["onnxruntime"])),
                                         max(a / b for a, b in zip(times["debertacl"], times["onnxruntime"]))])
        if not args.skip_torch:
            row["ratio_debertacl_over_transformers"] = statistics.median(
                [a / b for a, b in zip(times["debertacl"], times["transformers"])])
            row["ratio_ort_over_transformers"] = statistics.median(
                [a / b for a, b in zip(times["onnxruntime"], times["transformers"])])
        if args.gemm:
            row["gemm"] = gemm_rounds(args, cfgd, B, L, ours, ids32, mask32, out)
        report["shapes"].append(row)
        print(json.dumps(row), file=sys.stderr)
    json.dump(report, sys.stdout, indent=1)
    print()


def gemm_rounds(args, cfgd, B, L, ours, ids32, mask32, out):
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits
    NL, per_layer = bt.gemm_list(cfgd, B, L)
    # the same products as debertacl's forward: its fused attention computes Q K^T and P V inside
    # one kernel (no GEMM), so those two are not in either sum
    per_layer = [g for g in per_layer if g[0] not in ("q_kT", "p_v")]
    rng = np.random.default_rng(1)
    fns = []
    for name, batch, m, n, k in per_layer:
        a = rng.standard_normal((batch, m, k), dtype=np.float32)
        w = rng.standard_normal((batch, n, k), dtype=np.float32)
        c = np.empty((batch, m, n), dtype=np.float32)
        if batch == 1:
            fns.append(lambda a=a[0], wt=w[0].T, c=c[0]: np.matmul(a, wt, out=c))
        else:
            fns.append(lambda a=a, wt=w.transpose(0, 2, 1), c=c: np.matmul(a, wt, out=c))
    ours_t, blas_t = [], []
    with threadpool_limits(limits=args.threads, user_api="blas"):
        blas = [{k: v for k, v in d.items() if k in ("internal_api", "version", "num_threads", "architecture",
                                                     "filepath")}
                for d in threadpool_info() if d.get("user_api") == "blas"]
        for r in range(args.warmup + args.rounds):
            time.sleep(QUIET_S)
            ours.encode(ids32, mask32, out, profile=1)
            g = ours.gemm_seconds()
            time.sleep(QUIET_S)
            t = 0.0
            for fn in fns:  # one layer's list, NL times (each product timed on its own)
                for _ in range(NL):
                    t0 = time.perf_counter()
                    fn()
                    t += time.perf_counter() - t0
            if r >= args.warmup:
                ours_t.append(g)
                blas_t.append(t)
    ratios = [a / b for a, b in zip(ours_t, blas_t)]
    return dict(blas=blas, debertacl_gemm_median_s=statistics.median(ours_t), blas_gemm_median_s=statistics.median(blas_t),
                ratio_debertacl_gemm_over_blas=statistics.median(ratios), ratio_range=[min(ratios), max(ratios)])


if __name__ == "__main__":
    main()
