#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check the reference fixtures written by make_fixtures.py.

Usage:
    python3 tools/reference/verify_fixtures.py --dir tests/data/reference [--no-hf]

1. Independent float64 NumPy implementation of DeBERTa v1/v2/v3 (written from
   the algorithm description in deberta.md, not from transformers' code): every
   case output is recomputed from the saved model folder and compared with the
   fixture at real tokens, using the manifest's tolerances. The rel-index tables
   are recomputed in float64 and compared.
2. (unless --no-hf) every model folder is reloaded with transformers
   (architecture from config.json, dtype=float32) and every case is recomputed;
   the result must equal the fixture bit for bit.
3. Sanity: attention rows sum to 1, probabilities at masked keys are 0 for real
   queries, attention is far from uniform, hidden states vary across tokens,
   head outputs are not constant, f16/bf16 copies equal the source weights cast.

Exit status 0 when everything passes.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
from safetensors.numpy import load_file

FLT_MIN = np.float64(np.finfo(np.float32).min)
_erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def layer_norm(x, w, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


_ST_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16,
              "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8}


def read_safetensors(path):
    """Minimal safetensors reader (also handles BF16, which numpy lacks)."""
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        arr = np.frombuffer(data[base + a:base + b], dtype=_ST_DTYPES[v["dtype"]]).reshape(v["shape"])
        if v["dtype"] == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[k] = arr
    return out


def load_weights(folder):
    raw = read_safetensors(os.path.join(folder, "model.safetensors"))
    return {k: v.astype(np.float64) for k, v in raw.items()}


def log_bucket(delta, buckets, max_pos):
    mid = buckets // 2
    a = abs(delta)
    if a <= mid:  # (|delta| < mid is mapped to mid-1 first; both give delta itself)
        return delta
    lp = math.ceil(math.log(a / mid) / math.log((max_pos - 1) / mid) * (mid - 1)) + mid
    return int(lp if delta > 0 else -lp)


def rel_index(cfg, L, family):
    """c2p/p2c index idx[i][j] into the rel-embedding rows actually used, and the row offset."""
    max_rel = cfg.get("max_relative_positions", -1)
    if max_rel < 1:
        max_rel = cfg["max_position_embeddings"]
    d = np.arange(L)[:, None] - np.arange(L)[None, :]
    if family == "v1":
        span = min(L, max_rel)
        return np.clip(d + span, 0, 2 * span - 1), max_rel - span, span
    b = cfg.get("position_buckets", -1)
    if b > 0:
        f = np.vectorize(lambda x: log_bucket(int(x), b, max_rel))
        d = f(d)
        span = b
    else:
        span = max_rel
    return np.clip(d + span, 0, 2 * span - 1), 0, span


class Ref:
    """float64 DeBERTa forward."""

    def __init__(self, folder):
        self.cfg = json.load(open(os.path.join(folder, "config.json")))
        self.w = load_weights(folder)
        self.family = "v1" if self.cfg["model_type"] == "deberta" else "v2"
        self.p = "deberta." if any(k.startswith("deberta.") for k in self.w) else ""
        c = self.cfg
        self.H = c["hidden_size"]
        self.nh = c["num_attention_heads"]
        self.d = self.H // self.nh
        pat = c.get("pos_att_type") or []
        if isinstance(pat, str):
            pat = [x.strip() for x in pat.lower().split("|")]
        self.pat = pat
        self.eps = c["layer_norm_eps"]

    def W(self, name):
        return self.w[self.p + name]

    def lin(self, x, name, bias=True):
        y = x @ self.W(name + ".weight").T
        if bias:
            y = y + self.W(name + ".bias")
        return y

    def ln(self, x, name):
        return layer_norm(x, self.W(name + ".weight"), self.W(name + ".bias"), self.eps)

    def embeddings(self, ids, mask, tt):
        c = self.cfg
        x = self.W("embeddings.word_embeddings.weight")[ids]
        if c.get("position_biased_input", True):
            x = x + self.W("embeddings.position_embeddings.weight")[np.arange(ids.shape[1])][None]
        if c.get("type_vocab_size", 0) > 0:
            x = x + self.W("embeddings.token_type_embeddings.weight")[tt]
        if c.get("embedding_size", self.H) != self.H:
            x = self.lin(x, "embeddings.embed_proj", bias=False)
        x = self.ln(x, "embeddings.LayerNorm")
        return x * mask[..., None]

    def heads(self, x):  # [B,L,H] -> [B,nh,L,d]
        B, L, _ = x.shape
        return x.reshape(B, L, self.nh, -1).transpose(0, 2, 1, 3)

    def rel_table(self):
        R = self.W("encoder.rel_embeddings.weight")
        norm = [s.strip() for s in self.cfg.get("norm_rel_ebd", "none").lower().split("|")]
        if self.family == "v2" and "layer_norm" in norm:
            R = self.ln(R, "encoder.LayerNorm")
        return R

    def attention(self, n, hidden, query, mask2):
        pre = "encoder.layer.%d.attention." % n
        B, L, _ = hidden.shape
        nh, d = self.nh, self.d
        if self.family == "v1":
            w = self.W(pre + "self.in_proj.weight").reshape(nh, 3 * d, self.H)
            wq, wk, wv = w[:, :d], w[:, d:2 * d], w[:, 2 * d:]
            Q = np.einsum("blh,ndh->bnld", query, wq) + self.W(pre + "self.q_bias").reshape(nh, d)[None, :, None]
            K = np.einsum("blh,ndh->bnld", hidden, wk)
            V = np.einsum("blh,ndh->bnld", hidden, wv) + self.W(pre + "self.v_bias").reshape(nh, d)[None, :, None]
            sf = 1 + len(self.pat)
        else:
            Q = self.heads(self.lin(query, pre + "self.query_proj"))
            K = self.heads(self.lin(hidden, pre + "self.key_proj"))
            V = self.heads(self.lin(hidden, pre + "self.value_proj"))
            sf = 1 + ("c2p" in self.pat) + ("p2c" in self.pat)
        sc = math.sqrt(d * sf)
        scores = Q @ K.transpose(0, 1, 3, 2)
        idx, off, span = rel_index(self.cfg, L, self.family)
        R = self.rel_table()[off:off + 2 * span]
        share = self.cfg.get("share_att_key", False)
        ii = np.arange(L)[:, None]
        jj = np.arange(L)[None, :]
        if "c2p" in self.pat:
            if self.family == "v1":
                PK = R @ self.W(pre + "self.pos_proj.weight").T
            elif share:
                PK = self.lin(R, pre + "self.key_proj")
            else:
                PK = self.lin(R, pre + "self.pos_key_proj")
            PK = PK.reshape(2 * span, nh, d).transpose(1, 0, 2)          # [nh,2S,d]
            C = np.einsum("bnid,nsd->bnis", Q, PK)                      # [B,nh,L,2S]
            scores = scores + C[:, :, ii, idx]
        if "p2c" in self.pat:
            if self.family == "v1":
                PQ = self.lin(R, pre + "self.pos_q_proj")
            elif share:
                PQ = self.lin(R, pre + "self.query_proj")
            else:
                PQ = self.lin(R, pre + "self.pos_query_proj")
            PQ = PQ.reshape(2 * span, nh, d).transpose(1, 0, 2)
            P = np.einsum("bnjd,nsd->bnjs", K, PQ)                      # [B,nh,L(j),2S]
            scores = scores + P[:, :, jj, idx]                          # K_j . PQ[idx(i,j)]
        scores = scores / sc
        m = (mask2[:, None, :, None] * mask2[:, None, None, :]) > 0
        scores = np.where(m, scores, FLT_MIN)
        scores = scores - scores.max(-1, keepdims=True)
        e = np.exp(scores)
        probs = e / e.sum(-1, keepdims=True)
        ctx = (probs @ V).transpose(0, 2, 1, 3).reshape(B, L, nh * d)
        out = self.ln(self.lin(ctx, pre + "output.dense") + query, pre + "output.LayerNorm")
        return out, probs

    def layer(self, n, hidden, query, mask2):
        a, probs = self.attention(n, hidden, query, mask2)
        pre = "encoder.layer.%d." % n
        inter = gelu(self.lin(a, pre + "intermediate.dense"))
        return self.ln(self.lin(inter, pre + "output.dense") + a, pre + "output.LayerNorm"), probs

    def conv(self, emb, res, mask2):
        k = self.cfg.get("conv_kernel_size", 3)
        g = self.cfg.get("conv_groups", 1)
        Wc = self.W("encoder.conv.conv.weight")  # [H, H/g, k]
        bc = self.W("encoder.conv.conv.bias")
        B, L, H = emb.shape
        pad = (k - 1) // 2
        xp = np.concatenate([np.zeros((B, pad, H)), emb, np.zeros((B, k - 1 - pad, H))], axis=1)
        out = np.zeros((B, L, H)) + bc
        gi = H // g
        for o in range(H):
            grp = o // (H // g)
            for t in range(k):
                out[:, :, o] += xp[:, t:t + L, grp * gi:(grp + 1) * gi] @ Wc[o, :, t]
        out = out * mask2[..., None]
        act = self.cfg.get("conv_act", "tanh")
        out = gelu(out) if act == "gelu" else np.tanh(out)
        return self.ln(res + out, "encoder.conv.LayerNorm") * mask2[..., None]

    def forward(self, ids, mask, tt):
        mask = mask.astype(np.float64)
        h = self.embeddings(ids, mask, tt)
        hs, atts = [h], []
        emb = h
        for n in range(self.cfg["num_hidden_layers"]):
            h, probs = self.layer(n, h, h, mask)
            if n == 0 and self.cfg.get("conv_kernel_size", 0) > 0:
                h = self.conv(emb, h, mask)
            hs.append(h)
            atts.append(probs)
        return hs, atts

    def mlm(self, h):
        wd = self.w["lm_predictions.lm_head.dense.weight"]
        bd = self.w["lm_predictions.lm_head.dense.bias"]
        t = gelu(h @ wd.T + bd)
        t = layer_norm(t, self.w["lm_predictions.lm_head.LayerNorm.weight"],
                       self.w["lm_predictions.lm_head.LayerNorm.bias"], self.eps)
        return t @ self.W("embeddings.word_embeddings.weight").T + self.w["lm_predictions.lm_head.bias"]

    def pooled(self, h):
        p = gelu(h[:, 0] @ self.w["pooler.dense.weight"].T + self.w["pooler.dense.bias"])
        return p @ self.w["classifier.weight"].T + self.w["classifier.bias"]

    def run(self, inputs, head):
        ids = np.array(inputs["input_ids"])
        mask = np.array(inputs["attention_mask"])
        tt = np.array(inputs.get("token_type_ids", np.zeros_like(ids)))
        shape = ids.shape
        if head == "mc":
            ids, mask, tt = (a.reshape(-1, shape[-1]) for a in (ids, mask, tt))
        hs, atts = self.forward(ids, mask, tt)
        res = {"hidden_states.%d" % k: v for k, v in enumerate(hs)}
        res.update({"attentions.%d" % k: v for k, v in enumerate(atts)})
        res["last_hidden_state"] = hs[-1]
        h = hs[-1]
        if head == "mlm":
            res["logits"] = self.mlm(h)
            if "deberta.embeddings.position_embeddings.weight" in self.w:
                L = ids.shape[1]
                z = self.W("embeddings.position_embeddings.weight")[np.arange(L)][None]
                hid = hs[-2]
                q = z + hid
                for _ in range(2):
                    q, _p = self.layer(self.cfg["num_hidden_layers"] - 1, hid, q, mask.astype(np.float64))
                res["emd_hidden"] = q
                res["emd_logits"] = self.mlm(q)
        elif head == "seqcls":
            res["logits"] = self.pooled(h)
        elif head == "mc":
            res["logits"] = self.pooled(h).reshape(shape[0], shape[1])
        elif head == "tokcls":
            res["logits"] = h @ self.w["classifier.weight"].T + self.w["classifier.bias"]
        elif head == "qa":
            lg = h @ self.w["qa_outputs.weight"].T + self.w["qa_outputs.bias"]
            res["start_logits"] = lg[..., 0]
            res["end_logits"] = lg[..., 1]
        return res


def tol_for(name, tols):
    if name.startswith("attentions."):
        return tols["attentions"]["atol"]
    if name.startswith("hidden_states."):
        return tols["hidden_states"]["atol"]
    if name == "last_hidden_state":
        return tols["last_hidden_state"]["atol"]
    if name.startswith("emd_"):
        return tols["emd"]["atol"]
    return tols["head_outputs"]["atol"]


def real_view(name, arr, mask, head):
    """Select the entries that are part of the contract (real tokens)."""
    m = mask.reshape(-1, mask.shape[-1]) > 0
    if name.startswith("attentions."):
        return arr[m[:, None, :, None].repeat(arr.shape[1], 1).repeat(arr.shape[3], 3)]
    if head in ("seqcls", "mc") and name == "logits":
        return arr
    if arr.ndim >= 2 and arr.shape[:2] == m.shape:
        return arr[m]
    return arr


class Checker:
    def __init__(self):
        self.fail = 0
        self.n = 0

    def check(self, cond, msg):
        self.n += 1
        if not cond:
            self.fail += 1
            print("FAIL:", msg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--no-hf", action="store_true")
    args = ap.parse_args()
    root = args.dir
    man = json.load(open(os.path.join(root, "manifest.json")))
    tols = man["tolerances"]["float32"]
    models = {m["name"]: m for m in man["models"]}
    ck = Checker()
    worst = {}

    refs = {n: Ref(os.path.join(root, m["folder"])) for n, m in models.items()}

    # f16/bf16 copies == source cast
    for n, m in models.items():
        if m["weights_dtype"] != "float32":
            src = load_weights(os.path.join(root, models[m["base_model"]]["folder"]))
            cp = refs[n].w
            ck.check(sorted(src) == sorted(cp), "%s: tensor names differ from %s" % (n, m["base_model"]))
            for k in src:
                if m["weights_dtype"] == "float16":
                    exp = src[k].astype(np.float32).astype(np.float16).astype(np.float64)
                else:
                    u = src[k].astype(np.float32).view(np.uint32)
                    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16  # round-to-nearest-even
                    exp = u.astype(np.uint32).view(np.float32).astype(np.float64)
                ck.check(np.array_equal(exp, cp[k]), "%s: %s is not the %s cast" % (n, k, m["weights_dtype"]))

    for case in man["cases"]:
        mname = case["model"]
        m = models[mname]
        head = m["head"]
        inputs = json.load(open(os.path.join(root, case["input"])))
        fx = load_file(os.path.join(root, case["output"]))
        ck.check(sorted(fx) == sorted(case["tensors"]), "%s/%s tensor list" % (mname, case["case"]))
        for k, shp in case["tensors"].items():
            ck.check(list(fx[k].shape) == shp and fx[k].dtype == np.float32,
                     "%s/%s %s shape/dtype" % (mname, case["case"], k))
        ref = refs[mname].run(inputs, head)
        mask = np.array(inputs["attention_mask"])
        for k in fx:
            a = real_view(k, fx[k].astype(np.float64), mask, head)
            b = real_view(k, ref[k], mask, head)
            diff = float(np.abs(a - b).max())
            key = k.split(".")[0]
            worst[key] = max(worst.get(key, 0.0), diff)
            ck.check(diff <= tol_for(k, tols), "%s/%s %s: float64 ref differs by %.3g" % (mname, case["case"], k, diff))
        # sanity
        m2 = mask.reshape(-1, mask.shape[-1]) > 0
        for k in fx:
            if k.startswith("attentions."):
                a = fx[k].astype(np.float64)
                ck.check(np.abs(a.sum(-1) - 1).max() < 1e-5, "%s rows sum" % k)
                qm = m2[:, None, :, None] & ~m2[:, None, None, :]
                qm = np.broadcast_to(qm, a.shape)
                ck.check(float(np.abs(a[qm]).max(initial=0.0)) == 0.0,
                         "%s/%s %s: masked key prob not 0" % (mname, case["case"], k))
                n_real = m2.sum(-1)
                for b in range(a.shape[0]):
                    sel = a[b][:, m2[b]][:, :, m2[b]]
                    ck.check(float(sel.max(-1).mean()) * n_real[b] > 1.5,
                             "%s/%s %s: attention ~uniform" % (mname, case["case"], k))
        h = fx["last_hidden_state"].reshape(-1, fx["last_hidden_state"].shape[-2], fx["last_hidden_state"].shape[-1])
        ck.check(float(h[m2].std(0).mean()) > 0.1, "%s/%s: hidden states degenerate" % (mname, case["case"]))
        for k in ("logits", "start_logits", "end_logits", "emd_logits"):
            if k in fx:
                ck.check(float(fx[k].std()) > 0.05, "%s/%s %s constant" % (mname, case["case"], k))

    # rel index tables
    ri = load_file(os.path.join(root, man["rel_index"]["file"]))
    for name, info in man["rel_index"]["tables"].items():
        L = info["L"]
        cfg = {"max_relative_positions": info["max_relative_positions"], "max_position_embeddings": 512}
        if info.get("position_buckets"):
            cfg["position_buckets"] = info["position_buckets"]
        idx, off, span = rel_index(cfg, L, info["family"])
        if info["full_table"]:
            ck.check(np.array_equal(ri[name], idx), "rel table %s differs from float64" % name)
        dl = np.concatenate([idx[0, 1:][::-1], idx[:, 0]])
        ck.check(np.array_equal(ri[name + "_delta"], dl), "rel delta table %s differs from float64" % name)
        ck.check(ri[name + "_delta"].dtype == np.int32, "%s dtype" % name)

    # transformers reload
    if not args.no_hf:
        import torch
        import transformers
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)
        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        loaded = {}
        for n, m in models.items():
            folder = os.path.join(root, m["folder"])
            cls = getattr(transformers, m["architecture"])
            mod, info = cls.from_pretrained(folder, dtype=torch.float32, output_loading_info=True)
            ck.check(not info["missing_keys"], "%s missing keys %s" % (n, info["missing_keys"]))
            unexp = sorted(info["unexpected_keys"])
            ck.check(unexp == [] or unexp == sorted(x.replace("deberta.", "", 0) for x in m["extra_tensors"])
                     or unexp == sorted(m["extra_tensors"]), "%s unexpected keys %s" % (n, unexp))
            ck.check(next(mod.parameters()).dtype == torch.float32, "%s not float32" % n)
            loaded[n] = mod.eval()
        for case in man["cases"]:
            mname = case["model"]
            m = models[mname]
            inputs = json.load(open(os.path.join(root, case["input"])))
            t = {k: torch.tensor(v) for k, v in inputs.items()}
            with torch.no_grad():
                out = loaded[mname](**t, output_hidden_states=True, output_attentions=True)
            fx = load_file(os.path.join(root, case["output"]))
            got = {"hidden_states.%d" % k: v for k, v in enumerate(out.hidden_states)}
            got.update({"attentions.%d" % k: v for k, v in enumerate(out.attentions)})
            got["last_hidden_state"] = out.hidden_states[-1]
            for k in ("logits", "start_logits", "end_logits"):
                if getattr(out, k, None) is not None:
                    got[k] = getattr(out, k)
            for k, v in got.items():
                ck.check(np.array_equal(v.numpy(), fx[k]), "%s/%s %s: HF reload not bit-identical" % (mname, case["case"], k))
            # head models: encoder identical to the base model
            if m["head"] is not None:
                base = loaded[m["base_model"]]
                tb = dict(t)
                if m["head"] == "mc":
                    tb = {k: v.view(-1, v.shape[-1]) for k, v in t.items()}
                with torch.no_grad():
                    bo = base(**tb)
                ck.check(torch.equal(bo.last_hidden_state, out.hidden_states[-1]),
                         "%s/%s: encoder differs from %s" % (mname, case["case"], m["base_model"]))

    print("max |fixture - float64 reference| at real tokens:")
    for k, v in sorted(worst.items()):
        print("  %-20s %.3g" % (k, v))
    print("%d checks, %d failed" % (ck.n, ck.fail))
    return 1 if ck.fail else 0


if __name__ == "__main__":
    sys.exit(main())
