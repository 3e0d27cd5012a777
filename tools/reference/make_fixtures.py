#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate the DeBERTa reference fixtures used by the debertacl tests.

Usage:
    python3 tools/reference/make_fixtures.py --out tests/data/reference

Builds small random-weight DeBERTa v1 / v2 / v3 models with Hugging Face
transformers, saves each as a normal HF model folder (config.json +
model.safetensors, written by save_pretrained), runs them in float32 on the CPU
with hidden states and attentions, and writes inputs (JSON), outputs
(safetensors, float32), relative-position index tables (int32) and a
manifest.json that describes everything.

Everything is deterministic: fixed seeds, one CPU thread, deterministic torch
algorithms, sorted JSON. Running it twice gives byte-identical trees (check
with `diff -r`). Versions used are pinned in tools/reference/requirements.txt
and recorded in the manifest.
"""

import argparse
import copy
import json
import math
import os
import platform
import random
import shutil
import sys

import numpy as np
import safetensors
import safetensors.torch
import torch
import transformers
from transformers import (
    DebertaConfig,
    DebertaForMaskedLM,
    DebertaForQuestionAnswering,
    DebertaForSequenceClassification,
    DebertaForTokenClassification,
    DebertaModel,
    DebertaV2Config,
    DebertaV2ForMaskedLM,
    DebertaV2ForMultipleChoice,
    DebertaV2ForQuestionAnswering,
    DebertaV2ForSequenceClassification,
    DebertaV2ForTokenClassification,
    DebertaV2Model,
)
from transformers.models.deberta import modeling_deberta as hf_v1
from transformers.models.deberta_v2 import modeling_deberta_v2 as hf_v2

SCHEMA_VERSION = 1

# ---------------------------------------------------------------------------
# Random initialisation (replaces HF's init completely so that no parameter is
# left at 0 / 1: biases, LayerNorm gains/biases and head weights are random).
# ---------------------------------------------------------------------------
INITIALIZER_RANGE = 0.2      # std of every Linear / Conv weight and bias
EMBEDDING_STD = 1.0          # std of embedding tables (word, position, token type, rel)
LAYERNORM_WEIGHT = (1.0, 0.2)  # LayerNorm gain ~ N(1.0, 0.2^2)
LAYERNORM_BIAS_STD = 0.1     # LayerNorm bias ~ N(0, 0.1^2)

VOCAB = 128
HIDDEN = 32
LAYERS = 2
HEADS = 4
MAX_POS = 128
PAD_ID, CLS_ID, SEP_ID = 0, 1, 2
INPUT_SEED = 20240611

TOLERANCES = {
    "float32": {
        "last_hidden_state": {"atol": 1e-4, "rtol": 0.0},
        "hidden_states": {"atol": 1e-4, "rtol": 0.0},
        "head_outputs": {"atol": 1e-4, "rtol": 0.0},
        "attentions": {"atol": 1e-5, "rtol": 0.0},
        "emd": {"atol": 1e-4, "rtol": 0.0},
    },
    "where": (
        "Compare only real tokens: positions with attention_mask == 1. Per-token tensors "
        "(last_hidden_state, hidden_states.K, token logits, start/end logits, emd_*) at query "
        "positions i with mask[i] == 1; attentions.K at [b, h, i, j] with mask[i] == 1 "
        "(entries with mask[j] == 0 are exactly 0 there); pooled heads (seqcls, mc) always "
        "(they read position 0, which is a real token in every fixture). Values at padding "
        "positions are whatever transformers produced and are not part of the contract."
    ),
    "f16_bf16_models": (
        "models/*_f16 and *_bf16 store the same weights as their source cast to float16 / "
        "bfloat16. Their case outputs were computed by transformers after loading with "
        "dtype=torch.float32 (weights upcast exactly), so the float32 tolerances apply to a "
        "loader that upcasts to float32."
    ),
}


# ---------------------------------------------------------------------------
# Model specs
# ---------------------------------------------------------------------------
COMMON = dict(
    vocab_size=VOCAB,
    hidden_size=HIDDEN,
    num_hidden_layers=LAYERS,
    num_attention_heads=HEADS,
    max_position_embeddings=MAX_POS,
    hidden_act="gelu",
    layer_norm_eps=1e-7,
    initializer_range=INITIALIZER_RANGE,
    relative_attention=True,
    pad_token_id=PAD_ID,
)

BASE_MODELS = [
    {
        "name": "v1_base",
        "family": "v1",
        "variant": "DeBERTa v1 (deberta-base-like): c2p|p2c, no position bias, no token types",
        "seed": 1001,
        "long_len": 80,
        "config": dict(COMMON, intermediate_size=64, pos_att_type="c2p|p2c",
                       position_biased_input=False, max_relative_positions=64, type_vocab_size=0),
    },
    {
        "name": "v1_pbi",
        "family": "v1",
        "variant": "DeBERTa v1 with position_biased_input=true (absolute positions) and 2 token types",
        "seed": 1002,
        "long_len": 80,
        "config": dict(COMMON, intermediate_size=64, pos_att_type="c2p|p2c",
                       position_biased_input=True, max_relative_positions=64, type_vocab_size=2),
    },
    {
        "name": "v2_conv",
        "family": "v2",
        "variant": "DeBERTa v2 (v2-xlarge-like): ConvLayer k=3 gelu, share_att_key=false, "
                   "log buckets 32 / max_rel 64, rel LayerNorm, 2 token types",
        "seed": 2001,
        "long_len": 80,
        "config": dict(COMMON, intermediate_size=48, pos_att_type="p2c|c2p",
                       position_biased_input=False, type_vocab_size=2, share_att_key=False,
                       norm_rel_ebd="layer_norm", position_buckets=32, max_relative_positions=64,
                       conv_kernel_size=3, conv_act="gelu", conv_groups=1),
    },
    {
        "name": "v3",
        "family": "v2",
        "variant": "DeBERTa v3 (v3-base-like): share_att_key=true, log buckets 16 / max_rel 96, "
                   "rel LayerNorm, no token types, intermediate 37",
        "seed": 3001,
        "long_len": 100,
        "config": dict(COMMON, intermediate_size=37, pos_att_type="p2c|c2p",
                       position_biased_input=False, type_vocab_size=0, share_att_key=True,
                       norm_rel_ebd="layer_norm", position_buckets=16, max_relative_positions=96),
    },
    {
        "name": "v3_embproj",
        "family": "v2",
        "variant": "v3 with embedding_size 24 != hidden 32 (embed_proj before the embedding "
                   "LayerNorm); attention_head_size given explicitly (= hidden/heads, see notes)",
        "seed": 3002,
        "long_len": 100,
        "config": dict(COMMON, intermediate_size=37, pos_att_type="p2c|c2p",
                       position_biased_input=False, type_vocab_size=0, share_att_key=True,
                       norm_rel_ebd="layer_norm", position_buckets=16, max_relative_positions=96,
                       embedding_size=24, attention_head_size=HIDDEN // HEADS),
    },
    {
        "name": "v2_c2p",
        "family": "v2",
        "variant": "DeBERTa v2 with pos_att_type c2p only (scale sqrt(2d)), share_att_key=false "
                   "(pos_key_proj only), no rel LayerNorm, log buckets 32 / max_rel 64",
        "seed": 2002,
        "long_len": 80,
        "config": dict(COMMON, intermediate_size=48, pos_att_type="c2p",
                       position_biased_input=False, type_vocab_size=0, share_att_key=False,
                       norm_rel_ebd="none", position_buckets=32, max_relative_positions=64),
    },
    {
        "name": "v2_p2c",
        "family": "v2",
        "variant": "DeBERTa v2 with pos_att_type p2c only (scale sqrt(2d)), share_att_key=true, "
                   "NO log buckets (position_buckets absent, span = max_rel 64), rel LayerNorm",
        "seed": 2003,
        "long_len": 80,
        "config": dict(COMMON, intermediate_size=48, pos_att_type="p2c",
                       position_biased_input=False, type_vocab_size=0, share_att_key=True,
                       norm_rel_ebd="layer_norm", max_relative_positions=64),
    },
]

SEQCLS_LABELS = ["entailment", "neutral", "contradiction"]
TOKCLS_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]

HEAD_CLASSES = {
    "v1": {
        "mlm": DebertaForMaskedLM,
        "seqcls": DebertaForSequenceClassification,
        "tokcls": DebertaForTokenClassification,
        "qa": DebertaForQuestionAnswering,
    },
    "v2": {
        "mlm": DebertaV2ForMaskedLM,
        "seqcls": DebertaV2ForSequenceClassification,
        "tokcls": DebertaV2ForTokenClassification,
        "qa": DebertaV2ForQuestionAnswering,
        "mc": DebertaV2ForMultipleChoice,
    },
}
BASE_CLASSES = {"v1": DebertaModel, "v2": DebertaV2Model}
CONFIG_CLASSES = {"v1": DebertaConfig, "v2": DebertaV2Config}

# Head models: encoder weights copied from the base model, head weights random.
HEAD_MODELS = [
    {"name": "v1_mlm", "base": "v1_base", "head": "mlm", "seed": 1101},
    {"name": "v1_seqcls", "base": "v1_base", "head": "seqcls", "seed": 1102},
    {"name": "v1_tokcls", "base": "v1_base", "head": "tokcls", "seed": 1103},
    {"name": "v1_qa", "base": "v1_base", "head": "qa", "seed": 1104},
    {"name": "v3_mlm", "base": "v3", "head": "mlm", "seed": 3101, "emd": True},
    {"name": "v3_seqcls", "base": "v3", "head": "seqcls", "seed": 3102},
    {"name": "v3_tokcls", "base": "v3", "head": "tokcls", "seed": 3103},
    {"name": "v3_qa", "base": "v3", "head": "qa", "seed": 3104},
    {"name": "v3_mc", "base": "v3", "head": "mc", "seed": 3105},
]

# Same weights as a source model, stored in another dtype.
DTYPE_MODELS = [
    {"name": "v3_f16", "base": "v3", "dtype": "float16"},
    {"name": "v3_bf16", "base": "v3", "dtype": "bfloat16"},
]

EMD_POS_SEED = 3201

# Relative-position index tables at real-checkpoint sizes.
BIG_REL_TABLES = {"position_buckets": 256, "max_relative_positions": 512,
                  "lengths": [128, 512, 1024], "full_lengths": [128, 512]}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def check_versions():
    """Warn (stderr) when the installed versions differ from requirements.txt."""
    req = os.path.join(os.path.dirname(os.path.abspath(__file__)), "requirements.txt")
    have = {"torch": torch.__version__.split("+")[0], "transformers": transformers.__version__,
            "safetensors": safetensors.__version__, "numpy": np.__version__}
    try:
        lines = open(req).read().splitlines()
    except OSError:
        return
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" not in line:
            continue
        name, ver = (x.strip() for x in line.split("==", 1))
        if name in have and have[name] != ver:
            print("warning: %s %s installed, requirements.txt pins %s; the fixtures may not be "
                  "byte-identical to the committed ones" % (name, have[name], ver), file=sys.stderr)


def setup_torch():
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)


def write_json(path, obj, indent=2):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, sort_keys=True, indent=indent, ensure_ascii=True)
        f.write("\n")


def write_compact_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, sort_keys=True, separators=(", ", ": "), ensure_ascii=True)
        f.write("\n")


def save_tensors(path, tensors):
    out = {k: v.detach().to(torch.float32).contiguous().clone() if v.is_floating_point()
           else v.detach().contiguous().clone() for k, v in tensors.items()}
    safetensors.torch.save_file(out, path)


def randomize_parameters(model, seed, only_prefix_not=None):
    """Overwrite parameters with seeded random values. Parameters whose name
    starts with `only_prefix_not` are left untouched."""
    gen = torch.Generator().manual_seed(seed)
    embedding_names = set()
    for mname, mod in model.named_modules():
        if isinstance(mod, torch.nn.Embedding):
            embedding_names.add(mname + ".weight")
    with torch.no_grad():
        for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            if only_prefix_not is not None and name.startswith(only_prefix_not):
                continue
            shape = p.shape
            if ".LayerNorm." in name or name.startswith("LayerNorm."):
                if name.endswith(".weight"):
                    v = LAYERNORM_WEIGHT[0] + LAYERNORM_WEIGHT[1] * torch.randn(shape, generator=gen)
                else:
                    v = LAYERNORM_BIAS_STD * torch.randn(shape, generator=gen)
            elif name in embedding_names:
                v = EMBEDDING_STD * torch.randn(shape, generator=gen)
            else:
                v = INITIALIZER_RANGE * torch.randn(shape, generator=gen)
            p.copy_(v.to(p.dtype))


def make_config(family, cfg, extra=None):
    d = copy.deepcopy(cfg)
    if extra:
        d.update(extra)
    return CONFIG_CLASSES[family](**d)


def head_config_extra(head):
    if head == "mlm":
        return {"legacy": False}
    if head == "seqcls":
        return {"num_labels": len(SEQCLS_LABELS),
                "id2label": {i: l for i, l in enumerate(SEQCLS_LABELS)},
                "label2id": {l: i for i, l in enumerate(SEQCLS_LABELS)}}
    if head == "tokcls":
        return {"num_labels": len(TOKCLS_LABELS),
                "id2label": {i: l for i, l in enumerate(TOKCLS_LABELS)},
                "label2id": {l: i for i, l in enumerate(TOKCLS_LABELS)}}
    return {}


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------
def _sentence(rng, n):
    return [rng.randrange(3, VOCAB) for _ in range(n)]


def _row(rng, length, with_types):
    """[CLS] a [SEP] b [SEP] with total `length` tokens, types 0 for a part, 1 for b."""
    if length < 5:
        ids = [CLS_ID] + _sentence(rng, length - 2) + [SEP_ID]
        return ids, [0] * length
    a = (length - 3) // 2
    b = length - 3 - a
    ids = [CLS_ID] + _sentence(rng, a) + [SEP_ID] + _sentence(rng, b) + [SEP_ID]
    types = [0] * (a + 2) + [1] * (b + 1)
    return ids, types


def _pad(ids, types, total, left):
    n = total - len(ids)
    mask = [1] * len(ids)
    if left:
        return [PAD_ID] * n + ids, [0] * n + mask, [0] * n + types
    return ids + [PAD_ID] * n, mask + [0] * n, types + [0] * n


def make_inputs(rng, rows, with_types):
    """rows: list of (length, total, left_padded)."""
    out = {"input_ids": [], "attention_mask": []}
    if with_types:
        out["token_type_ids"] = []
    for length, total, left in rows:
        ids, types = _row(rng, length, with_types)
        ids, mask, types = _pad(ids, types, total, left)
        out["input_ids"].append(ids)
        out["attention_mask"].append(mask)
        if with_types:
            out["token_type_ids"].append(types)
    return out


def case_inputs(model_name, case, with_types, long_len, multiple_choice):
    seed = INPUT_SEED + sum(ord(c) for c in model_name) * 1000 + {"single": 1, "batch": 2, "long": 3}[case]
    rng = random.Random(seed)
    if multiple_choice:
        if case == "single":
            grid = [[(9, 9, False), (7, 9, False)]]                       # [B=1, C=2, L=9]
        else:
            grid = [[(12, 12, False), (9, 12, False), (10, 12, True)],   # [B=2, C=3, L=12]
                    [(6, 12, False), (12, 12, False), (8, 12, False)]]
        res = {"input_ids": [], "attention_mask": []}
        if with_types:
            res["token_type_ids"] = []
        for rows in grid:
            r = make_inputs(rng, rows, with_types)
            for k in res:
                res[k].append(r[k])
        return res
    if case == "single":
        rows = [(9, 9, False)]
    elif case == "batch":
        rows = [(13, 13, False), (8, 13, False), (10, 13, True)]   # right, right, LEFT padded
    elif case == "long":
        rows = [(long_len, long_len, False)]
    else:
        raise ValueError(case)
    return make_inputs(rng, rows, with_types)


def to_tensors(inp):
    return {k: torch.tensor(v, dtype=torch.long) for k, v in inp.items()}


# ---------------------------------------------------------------------------
# Relative position index tables (transformers' own functions)
# ---------------------------------------------------------------------------
def v2_tables(L, buckets, max_rel):
    """Return (bucket [L,L], c2p idx [L,L], p2c idx^T [L,L], span) exactly as
    DisentangledSelfAttention (v2) computes them for Lq == Lk == L."""
    dummy = torch.empty(L, 1)
    rel = hf_v2.build_relative_position(dummy, dummy, bucket_size=buckets, max_position=max_rel)  # [1,L,L]
    span = buckets if buckets > 0 else max_rel
    c2p = torch.clamp(rel + span, 0, span * 2 - 1)[0]
    p2c = torch.clamp(-rel + span, 0, span * 2 - 1)[0].transpose(-1, -2)
    return rel[0], c2p, p2c, span


def v1_tables(L, max_rel):
    dummy = torch.empty(L, 1)
    rel = hf_v1.build_relative_position(dummy, dummy)  # [1,L,L]
    span = int(hf_v1.compute_attention_span(dummy, dummy, max_rel))
    c2p = torch.clamp(rel + span, 0, span * 2 - 1)[0]
    p2c = torch.clamp(-rel + span, 0, span * 2 - 1)[0].transpose(-1, -2)
    row = c2p + (max_rel - span)
    return rel[0], c2p, p2c, row, span


def is_toeplitz(t):
    L = t.shape[0]
    d = delta_table(t)
    i = torch.arange(L)[:, None]
    j = torch.arange(L)[None, :]
    return bool(torch.equal(t, d[(i - j) + (L - 1)]))


def delta_table(t):
    """1-D table over delta = i - j from -(L-1) .. (L-1): entry k is t at delta k-(L-1)
    (taken from column 0 for delta >= 0 and row 0 for delta < 0)."""
    L = t.shape[0]
    neg = t[0, 1:].flip(0)  # delta = -(L-1) .. -1  (i=0, j=L-1..1)
    pos = t[:, 0]           # delta = 0 .. L-1      (j=0)
    return torch.cat([neg, pos])


def exact_bucket(delta, buckets, max_rel):
    """Log bucket in float64 (numpy-era HF / C double), for comparison only."""
    mid = buckets // 2
    if -mid < delta < mid:
        return delta
    a = abs(delta)
    if a <= mid:
        return delta
    lp = math.ceil(math.log(a / mid) / math.log((max_rel - 1) / mid) * (mid - 1)) + mid
    return int(lp * (1 if delta > 0 else -1))


# ---------------------------------------------------------------------------
# Running models
# ---------------------------------------------------------------------------
def run_model(model, head, inputs):
    t = to_tensors(inputs)
    with torch.no_grad():
        out = model(**t, output_hidden_states=True, output_attentions=True, return_dict=True)
    res = {}
    hs = out.hidden_states
    for k, h in enumerate(hs):
        res["hidden_states.%d" % k] = h
    for k, a in enumerate(out.attentions):
        res["attentions.%d" % k] = a
    if head is None:
        res["last_hidden_state"] = out.last_hidden_state
        assert torch.equal(out.last_hidden_state, hs[-1])
    else:
        res["last_hidden_state"] = hs[-1]
        if head == "qa":
            res["start_logits"] = out.start_logits
            res["end_logits"] = out.end_logits
        else:
            res["logits"] = out.logits
    return res, out


def run_emd(model, inputs, pos_emb):
    """Original microsoft Enhanced Mask Decoder (DeBERTa/apps/models/masked_language_model.py
    EnhancedMaskDecoder.emd_context_layer), built from transformers' own modules, evaluated at
    every position (the original then keeps only the masked ones)."""
    t = to_tensors(inputs)
    deb = model.deberta
    enc = deb.encoder
    with torch.no_grad():
        out = deb(**t, output_hidden_states=True, return_dict=True)
        hidden = out.hidden_states[-2]                          # output of layer N-1 (K/V source)
        L = hidden.shape[1]
        z = pos_emb[torch.arange(L)].unsqueeze(0).expand_as(hidden)  # absolute positions
        query = z + hidden
        mask4 = enc.get_attention_mask(t["attention_mask"])
        rel_pos = enc.get_rel_pos(hidden)
        rel_emb = enc.get_rel_embedding()
        layer = enc.layer[-1]
        for _ in range(2):
            query = layer(hidden, mask4, query_states=query, relative_pos=rel_pos,
                          rel_embeddings=rel_emb)[0]
        logits = model.lm_predictions(query, deb.embeddings.word_embeddings)
    return {"emd_hidden": query, "emd_logits": logits}


def attention_stats(res, mask):
    """Diagnostics: how far attention is from uniform over real keys, and hidden variation."""
    m = torch.tensor(mask, dtype=torch.float32)
    if m.dim() == 3:
        m = m.view(-1, m.shape[-1])
    stats = {}
    maxp = []
    for k in range(LAYERS):
        a = res["attentions.%d" % k]  # [B,H,L,L]
        for b in range(a.shape[0]):
            n = int(m[b].sum())
            rows = a[b][:, m[b] > 0][:, :, m[b] > 0]  # [H, n, n]
            maxp.append(float((rows.max(-1).values * n).mean()))  # 1.0 == uniform
    stats["mean_max_prob_times_n"] = round(sum(maxp) / len(maxp), 3)
    h = res["last_hidden_state"]
    real = h[m > 0]
    stats["last_hidden_token_std"] = round(float(real.std(0).mean()), 3)
    return stats


# ---------------------------------------------------------------------------
# Main generation
# ---------------------------------------------------------------------------
def model_rel_info(family, cfg, L):
    if family == "v1":
        name = "v1_m%d_L%d" % (cfg["max_relative_positions"], L)
    else:
        b = cfg.get("position_buckets", -1)
        name = "v2_b%d_m%d_L%d" % (b if b > 0 else 0, cfg["max_relative_positions"], L)
    return name


def build_rel_index(out_dir, base_specs, manifest):
    tables = {}
    info = {}

    def add_v2(name, L, buckets, max_rel, full=True):
        rel, c2p, p2c, span = v2_tables(L, buckets, max_rel)
        assert torch.equal(c2p, p2c), "p2c index != c2p index for %s" % name
        toe = is_toeplitz(c2p) and is_toeplitz(rel)
        if full:
            tables[name] = c2p.to(torch.int32)
        tables[name + "_delta"] = delta_table(c2p).to(torch.int32)
        tables[name + "_bucket_delta"] = delta_table(rel).to(torch.int32)
        d = delta_table(rel)
        exact = [exact_bucket(x, buckets, max_rel) if buckets > 0 else x for x in range(-(L - 1), L)]
        mism = [x for k, x in enumerate(range(-(L - 1), L)) if int(d[k]) != exact[k]]
        info[name] = {
            "family": "v2", "L": L, "position_buckets": buckets if buckets > 0 else None,
            "max_relative_positions": max_rel, "span_S": span,
            "full_table": full, "toeplitz": toe,
            "p2c_index_equals_c2p_index": True,
            "deltas_where_torch_bucket_differs_from_float64": mism,
        }

    B = BIG_REL_TABLES
    for L in B["lengths"]:
        add_v2("v2_b%d_m%d_L%d" % (B["position_buckets"], B["max_relative_positions"], L), L,
               B["position_buckets"], B["max_relative_positions"], full=L in B["full_lengths"])

    for spec in base_specs:
        cfg = spec["config"]
        L = spec["long_len"]
        name = model_rel_info(spec["family"], cfg, L)
        if name in tables:
            continue
        if spec["family"] == "v1":
            rel, c2p, p2c, row, span = v1_tables(L, cfg["max_relative_positions"])
            assert torch.equal(c2p, p2c)
            tables[name] = c2p.to(torch.int32)
            tables[name + "_row"] = row.to(torch.int32)
            tables[name + "_delta"] = delta_table(c2p).to(torch.int32)
            info[name] = {"family": "v1", "L": L, "max_relative_positions": cfg["max_relative_positions"],
                          "span_S": span, "full_table": True, "toeplitz": is_toeplitz(c2p),
                          "p2c_index_equals_c2p_index": True}
        else:
            add_v2(name, L, cfg.get("position_buckets", -1), cfg["max_relative_positions"])

    path = os.path.join(out_dir, "rel_index.safetensors")
    safetensors.torch.save_file({k: v.contiguous() for k, v in tables.items()}, path)

    # the |i-j| = 511 question (deberta.md 8.3), at real-checkpoint sizes
    at511 = {}
    for L in (512, 1024):
        rel, c2p, _, span = v2_tables(L, 256, 512)
        at511["L%d" % L] = {
            "bucket(i-j=+511)": sorted(set(int(rel[i, i - 511]) for i in range(511, L))),
            "bucket(i-j=-511)": sorted(set(int(rel[i, i + 511]) for i in range(0, L - 511))),
            "idx(i-j=+511)": sorted(set(int(c2p[i, i - 511]) for i in range(511, L))),
            "idx(i-j=-511)": sorted(set(int(c2p[i, i + 511]) for i in range(0, L - 511))),
        }
    at511["float64_bucket(+511)"] = exact_bucket(511, 256, 512)
    at511["float64_bucket(-511)"] = exact_bucket(-511, 256, 512)
    # the same edge (|delta| = max_rel - 1, where log ratio is exactly 1) for the small configs
    edges = {}
    for spec in base_specs:
        cfg = spec["config"]
        b = cfg.get("position_buckets", -1)
        if spec["family"] != "v2" or b <= 0:
            continue
        m = cfg["max_relative_positions"]
        rel, c2p, _, span = v2_tables(spec["long_len"], b, m)
        d = m - 1
        edges["b%d_m%d" % (b, m)] = {
            "delta": d, "bucket(+d)": int(rel[d, 0]), "bucket(-d)": int(rel[0, d]),
            "idx(+d)": int(c2p[d, 0]), "idx(-d)": int(c2p[0, d]),
            "float64_bucket(+d)": exact_bucket(d, b, m),
        }
    manifest["rel_index"] = {
        "file": "rel_index.safetensors",
        "dtype": "int32",
        "tables": info,
        "naming": {
            "<name>": "full [L,L] c2p index table idx[i][j] as transformers gathers it "
                      "(v2: clamp(bucket(i-j) + S, 0, 2S-1); v1: clamp((i-j) + span, 0, 2*span-1) "
                      "with span = min(L, max_relative_positions), an index into the rel-embedding "
                      "slice [max_rel-span, max_rel+span))",
            "<name>_delta": "1-D [2L-1] table of the same index over delta = i-j; element k is "
                            "delta k-(L-1)",
            "<name>_bucket_delta": "v2 only: 1-D [2L-1] table of the raw relative position "
                                   "(after make_log_bucket_position, before +S and the clamp)",
            "<name>_row": "v1 only: full [L,L] row into the whole rel_embeddings table "
                          "(= idx + max_rel - span)",
            "v2_bN_mM_LK": "bN = position_buckets (b0 = no buckets: span S = max_relative_positions), "
                           "mM = max_relative_positions, LK = sequence length",
        },
        "p2c": "the p2c gather index clamp(-rel + S, 0, 2S-1), transposed as transformers does, "
               "equals the c2p table element-for-element for every table here (checked)",
        "delta_511": at511,
        "delta_max_rel_minus_1_small_configs": edges,
    }
    return tables


def reload_folder(folder, cls):
    """Load a saved folder back the way a user would (float32). Reference outputs are computed
    from this reloaded model, so that they are exactly what from_pretrained + forward give."""
    model = cls.from_pretrained(folder, dtype=torch.float32)
    model.eval()
    return model


def save_model_folder(model, folder):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    model.save_pretrained(folder, safe_serialization=True)
    names = sorted(os.listdir(folder))
    assert names == ["config.json", "model.safetensors"], names


def add_tensor_to_safetensors(path, name, tensor):
    with safetensors.safe_open(path, framework="pt") as f:
        meta = f.metadata()
        tens = {k: f.get_tensor(k) for k in f.keys()}
    assert name not in tens
    tens[name] = tensor.contiguous()
    safetensors.torch.save_file(tens, path, metadata=meta)


def safetensors_names(path):
    with safetensors.safe_open(path, framework="pt") as f:
        return sorted(f.keys())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory (e.g. tests/data/reference)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    check_versions()
    setup_torch()
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()

    out = args.out
    os.makedirs(out, exist_ok=True)
    for sub in ("models", "cases"):
        if os.path.isdir(os.path.join(out, sub)):
            shutil.rmtree(os.path.join(out, sub))
        os.makedirs(os.path.join(out, sub))

    manifest = {
        "schema_version": SCHEMA_VERSION,
        "generator": "tools/reference/make_fixtures.py",
        "command": "python3 tools/reference/make_fixtures.py --out tests/data/reference",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "safetensors": safetensors.__version__,
            "numpy": np.__version__,
        },
        "torch_settings": {"num_threads": 1, "use_deterministic_algorithms": True,
                           "device": "cpu", "dtype": "float32", "eval": True},
        "init": {
            "initializer_range": INITIALIZER_RANGE,
            "linear_and_conv_weights_and_biases": "N(0, initializer_range^2)",
            "embedding_tables_std": EMBEDDING_STD,
            "embedding_tables": "word, position, token_type and rel embeddings ~ N(0, %g^2) "
                                "(padding row included)" % EMBEDDING_STD,
            "layernorm_weight": "N(%g, %g^2)" % LAYERNORM_WEIGHT,
            "layernorm_bias": "N(0, %g^2)" % LAYERNORM_BIAS_STD,
            "note": "every parameter is overwritten from torch.Generator(seed) in sorted parameter-name "
                    "order; HF's own init is not used. Head models copy the encoder ('deberta.*') "
                    "from their base model and draw only the head from their own seed.",
        },
        "seeds": {"input_seed_base": INPUT_SEED, "emd_position_embeddings": EMD_POS_SEED},
        "token_ids": {"pad": PAD_ID, "cls": CLS_ID, "sep": SEP_ID, "vocab_size": VOCAB},
        "tolerances": TOLERANCES,
        "models": [],
        "cases": [],
    }

    built = {}
    diag = {}

    def record_model(name, folder_model, family, head, variant, spec_cfg, seed, base, dtype="float32",
                     extra_tensors=None, long_len=None):
        folder = os.path.join("models", name)
        cfg_json = json.load(open(os.path.join(out, folder, "config.json")))
        entry = {
            "name": name,
            "folder": folder,
            "config": folder + "/config.json",
            "weights": folder + "/model.safetensors",
            "model_type": cfg_json["model_type"],
            "architecture": cfg_json.get("architectures", [None])[0],
            "family": family,
            "variant": variant,
            "head": head,
            "seed": seed,
            "base_model": base,
            "weights_dtype": dtype,
            "weight_names": safetensors_names(os.path.join(out, folder, "model.safetensors")),
            "extra_tensors": extra_tensors or [],
            "key_config": {k: cfg_json.get(k) for k in (
                "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "vocab_size", "max_position_embeddings", "type_vocab_size", "embedding_size",
                "attention_head_size", "relative_attention", "position_biased_input", "pos_att_type",
                "max_relative_positions", "position_buckets", "share_att_key", "norm_rel_ebd",
                "conv_kernel_size", "conv_act", "conv_groups", "layer_norm_eps", "hidden_act",
                "legacy", "num_labels", "id2label") if k in cfg_json},
        }
        if long_len is not None:
            entry["rel_index_table"] = model_rel_info(family, spec_cfg, long_len)
        manifest["models"].append(entry)

    def record_case(model_name, case, inputs, res, head, multiple_choice, note=None):
        cdir = os.path.join(out, "cases", model_name)
        os.makedirs(cdir, exist_ok=True)
        in_rel = "cases/%s/%s.json" % (model_name, case)
        out_rel = "cases/%s/%s.safetensors" % (model_name, case)
        write_compact_json(os.path.join(out, in_rel), inputs)
        save_tensors(os.path.join(out, out_rel), res)
        ids = torch.tensor(inputs["input_ids"])
        entry = {
            "model": model_name,
            "case": case,
            "input": in_rel,
            "output": out_rel,
            "input_shape": list(ids.shape),
            "input_keys": sorted(inputs.keys()),
            "multiple_choice": multiple_choice,
            "left_padded_rows": [],
            "tensors": {k: list(v.shape) for k, v in sorted(res.items())},
        }
        mask = torch.tensor(inputs["attention_mask"]).view(-1, ids.shape[-1])
        entry["left_padded_rows"] = [r for r in range(mask.shape[0]) if int(mask[r, 0]) == 0]
        if note:
            entry["note"] = note
        manifest["cases"].append(entry)

    # ---- base models
    for spec in BASE_MODELS:
        fam = spec["family"]
        cfg = make_config(fam, spec["config"])
        torch.manual_seed(spec["seed"])
        model = BASE_CLASSES[fam](cfg)
        randomize_parameters(model, spec["seed"])
        model.eval()
        folder = os.path.join(out, "models", spec["name"])
        save_model_folder(model, folder)
        built[spec["name"]] = (model, spec)
        model = reload_folder(folder, BASE_CLASSES[fam])
        record_model(spec["name"], model, fam, None, spec["variant"], spec["config"], spec["seed"], None,
                     long_len=spec["long_len"])
        with_types = spec["config"].get("type_vocab_size", 0) > 0
        for case in ("single", "batch", "long"):
            inputs = case_inputs(spec["name"], case, with_types, spec["long_len"], False)
            res, _ = run_model(model, None, inputs)
            record_case(spec["name"], case, inputs, res, None, False)
            diag["%s/%s" % (spec["name"], case)] = attention_stats(res, inputs["attention_mask"])

    # ---- head models
    for hs in HEAD_MODELS:
        base_model, base_spec = built[hs["base"]]
        fam = base_spec["family"]
        head = hs["head"]
        cfg = make_config(fam, base_spec["config"], head_config_extra(head))
        torch.manual_seed(hs["seed"])
        model = HEAD_CLASSES[fam][head](cfg)
        model.deberta.load_state_dict(base_model.state_dict(), strict=True)
        randomize_parameters(model, hs["seed"], only_prefix_not="deberta.")
        model.eval()
        folder = os.path.join(out, "models", hs["name"])
        save_model_folder(model, folder)
        extra = []
        pos_emb = None
        if hs.get("emd"):
            gen = torch.Generator().manual_seed(EMD_POS_SEED)
            pos_emb = EMBEDDING_STD * torch.randn(MAX_POS, HIDDEN, generator=gen)
            add_tensor_to_safetensors(os.path.join(folder, "model.safetensors"),
                                      "deberta.embeddings.position_embeddings.weight", pos_emb)
            extra = ["deberta.embeddings.position_embeddings.weight"]
        variant = "%s + %s head (encoder weights identical to %s)" % (hs["base"], head, hs["base"])
        record_model(hs["name"], model, fam, head, variant, base_spec["config"], hs["seed"], hs["base"],
                     extra_tensors=extra)
        model = reload_folder(folder, HEAD_CLASSES[fam][head])
        with_types = base_spec["config"].get("type_vocab_size", 0) > 0
        mc = head == "mc"
        for case in ("single", "batch"):
            inputs = case_inputs(hs["name"], case, with_types, None, mc)
            res, _ = run_model(model, head, inputs)
            note = None
            if hs.get("emd"):
                res.update(run_emd(model, inputs, pos_emb))
                note = ("emd_hidden / emd_logits: original microsoft Enhanced Mask Decoder "
                        "(see notes.emd), all positions")
            if mc:
                note = ("multiple choice: input [B,C,L]; encoder tensors (last_hidden_state, "
                        "hidden_states.K, attentions.K) are over the flattened batch B*C "
                        "(row b*C + c); logits [B,C]")
            record_case(hs["name"], case, inputs, res, head, mc, note)

    # ---- dtype copies
    for ds in DTYPE_MODELS:
        base_model, base_spec = built[ds["base"]]
        dt = getattr(torch, ds["dtype"])
        model = copy.deepcopy(base_model).to(dt)
        folder = os.path.join(out, "models", ds["name"])
        save_model_folder(model, folder)
        record_model(ds["name"], model, base_spec["family"], None,
                     "%s weights cast to %s (same config)" % (ds["base"], ds["dtype"]),
                     base_spec["config"], base_spec["seed"], ds["base"], dtype=ds["dtype"])
        # reference outputs: transformers loads the cast weights upcast to float32
        m32 = reload_folder(folder, BASE_CLASSES[base_spec["family"]])
        with_types = base_spec["config"].get("type_vocab_size", 0) > 0
        for case in ("single", "batch"):
            inputs = case_inputs(ds["name"], case, with_types, base_spec["long_len"], False)
            res, _ = run_model(m32, None, inputs)
            record_case(ds["name"], case, inputs, res, None, False,
                        "computed in float32 from the %s weights upcast to float32" % ds["dtype"])

    # ---- rel index tables
    build_rel_index(out, BASE_MODELS, manifest)

    # ---- notes
    conv_note = check_conv_capture(built["v2_conv"][0], built["v2_conv"][1])
    manifest["notes"] = {
        "hidden_states": ("hidden_states.0 is the embedding output (after LayerNorm and the mask "
                          "multiply); hidden_states.K (K>=1) is the output of encoder layer K-1; "
                          "last_hidden_state == hidden_states.<num_hidden_layers>."),
        "conv_hidden_state_capture": conv_note,
        "padding": ("transformers >= 4.47 fills masked scores with finfo(float32).min and does not "
                    "re-zero probabilities: attention rows of padding queries are uniform 1/L over "
                    "all keys and padding-position hidden states are nonzero. Only real tokens are "
                    "compared (see tolerances.where)."),
        "position_ids": ("position_biased_input models use position_ids = arange(L) even for the "
                         "left-padded row (transformers does not derive them from the mask)."),
        "attention_head_size": ("transformers %s requires num_attention_heads * attention_head_size "
                                "== hidden_size: attention.output.dense is Linear(hidden, hidden), "
                                "so any other attention_head_size fails with a shape error. "
                                "v3_embproj therefore sets attention_head_size explicitly to "
                                "hidden/heads." % transformers.__version__),
        "emd": ("cases of v3_mlm carry emd_hidden [B,L,H] and emd_logits [B,L,V]: the ORIGINAL "
                "microsoft Enhanced Mask Decoder (not HF z_steps), computed with transformers' own "
                "modules: z = deberta.embeddings.position_embeddings.weight[arange(L)] (tensor "
                "added to models/v3_mlm/model.safetensors; transformers ignores it on load); "
                "hidden = hidden_states[-2] (output of layer N-1); query = z + hidden; twice: "
                "query = encoder.layer[-1](hidden, encoder.get_attention_mask(mask), "
                "query_states=query, relative_pos=encoder.get_rel_pos(hidden), "
                "rel_embeddings=encoder.get_rel_embedding())[0]; emd_hidden = query; emd_logits "
                "= lm_predictions.lm_head(query, word_embeddings) at every position (the original "
                "keeps only masked positions)."),
        "mlm_head": ("MLM models use config legacy=false: lm_predictions.lm_head.{dense,LayerNorm,"
                     "bias}; logits = LN(gelu(dense(h))) @ word_embeddings^T + bias."),
        "weight_names": ("base-model folders (DebertaModel / DebertaV2Model, including *_f16 / "
                         "*_bf16) are saved without the 'deberta.' prefix (embeddings.*, encoder.*); "
                         "head folders prefix the encoder with 'deberta.' (as microsoft checkpoints do) "
                         "and add the head tensors (lm_predictions.lm_head.*, pooler.dense.*, "
                         "classifier.*, qa_outputs.*)."),
        "config_json": ("written by save_pretrained of transformers %s: pos_att_type is stored as a "
                        "JSON list (e.g. [\"p2c\", \"c2p\"]), not the 'p2c|c2p' string microsoft "
                        "configs use; a 'dtype' key gives the stored weight dtype; position_buckets, "
                        "share_att_key, norm_rel_ebd, conv_*, embedding_size, attention_head_size are "
                        "present only when set." % transformers.__version__),
        "head_models": ("head models share the encoder weights of their base model bit-for-bit, "
                        "but use their own inputs."),
        "diagnostics": diag,
    }

    write_json(os.path.join(out, "manifest.json"), manifest)
    if not args.quiet:
        for k, v in diag.items():
            print("%-22s %s" % (k, v))
        print("conv:", conv_note["finding"])
        print("delta511:", json.dumps(manifest["rel_index"]["delta_511"], sort_keys=True))
        print("edges:", json.dumps(manifest["rel_index"]["delta_max_rel_minus_1_small_configs"], sort_keys=True))


def check_conv_capture(model, spec):
    """Find out whether transformers returns hidden_states.1 before or after the ConvLayer."""
    inputs = case_inputs(spec["name"], "batch", True, spec["long_len"], False)
    t = to_tensors(inputs)
    with torch.no_grad():
        out = model(**t, output_hidden_states=True, return_dict=True)
        enc = model.encoder
        emb = out.hidden_states[0]
        mask4 = enc.get_attention_mask(t["attention_mask"])
        rel_pos = enc.get_rel_pos(emb)
        rel_emb = enc.get_rel_embedding()
        l0 = enc.layer[0](emb, mask4, relative_pos=rel_pos, rel_embeddings=rel_emb)[0]
        after = enc.conv(emb, l0, t["attention_mask"])
    hs1 = out.hidden_states[1]
    is_after = bool(torch.equal(hs1, after))
    is_before = bool(torch.equal(hs1, l0))
    finding = ("AFTER the ConvLayer: hidden_states.1 == conv(embedding_output, layer0_output, mask)"
               if is_after and not is_before else
               "BEFORE the ConvLayer: hidden_states.1 == layer0 output" if is_before and not is_after
               else "unclear")
    return {"transformers": transformers.__version__, "hidden_states_1_equals_conv_output": is_after,
            "hidden_states_1_equals_layer0_output_before_conv": is_before, "finding": finding,
            "max_abs_diff_conv_vs_no_conv": float((after - l0).abs().max())}


if __name__ == "__main__":
    main()
