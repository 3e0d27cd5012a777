#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Makes tests/data/demo: a small DeBERTa-v3-style masked-LM folder with RANDOM weights and the real
(test) SentencePiece tokenizer of tests/data/tokenizer/spm_v3, so that

    build/tools/debertacl run --model tests/data/demo --task fill-mask \
        --text "The quick brown [MASK] jumps over the lazy dog."

works out of the box. Its predictions are meaningless: config.json says "debertacl_demo": true
and `debertacl run` prints that the weights are random.

    python3 tools/reference/make_demo_model.py [--out tests/data/demo]

The model is transformers' DebertaV2ForMaskedLM (legacy=False: lm_predictions.lm_head.*) at
v3-base's structure, shrunk (hidden 64, 2 layers, 4 heads), vocab_size 4001 = the tokenizer's
4000 pieces + [MASK]. Like the microsoft checkpoints it also stores
deberta.embeddings.position_embeddings.weight (ignored by transformers), so the original enhanced
mask decoder can run. Weights are stored as float16 (the folder stays well under 2 MB).

It also writes expected.json: for a few sentences, transformers' (AutoTokenizer + the model in
float32, from the float16 weights) ids, the [MASK] position and the top-10 token ids and
probabilities without the enhanced mask decoder, and with it (computed as
tools/reference/make_fixtures.py run_emd does). tests/test_heads.c compares `debertacl run` with it.
Deterministic: fixed seed, one thread. Needs torch, transformers, safetensors, sentencepiece.
"""
import argparse
import json
import os
import shutil

import torch
from safetensors.torch import save_file
from transformers import AutoTokenizer, DebertaV2Config, DebertaV2ForMaskedLM

SEED = 4001
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOKENIZER = os.path.join(ROOT, "tests", "data", "tokenizer", "spm_v3")
TOKENIZER_FILES = ["spm.model", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"]
SENTENCES = [
    "The quick brown [MASK] jumps over the lazy dog.",
    "Paris is the [MASK] of France.",
    "[MASK] est une ville.",
]


def make_config():
    return DebertaV2Config(
        vocab_size=4001, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
        max_position_embeddings=512, relative_attention=True, position_buckets=256, max_relative_positions=-1,
        norm_rel_ebd="layer_norm", share_att_key=True, pos_att_type="p2c|c2p", position_biased_input=False,
        type_vocab_size=0, hidden_act="gelu", layer_norm_eps=1e-7, pad_token_id=0, legacy=False,
        initializer_range=0.1, architectures=["DebertaV2ForMaskedLM"])


def run_emd(model, ids, pos_emb):
    """The original microsoft Enhanced Mask Decoder, as make_fixtures.py computes it."""
    deb = model.deberta
    enc = deb.encoder
    mask = torch.ones_like(ids)
    out = deb(input_ids=ids, attention_mask=mask, output_hidden_states=True, return_dict=True)
    hidden = out.hidden_states[-2]
    L = hidden.shape[1]
    query = pos_emb[torch.arange(L)].unsqueeze(0).expand_as(hidden) + hidden
    mask4 = enc.get_attention_mask(mask)
    rel_pos = enc.get_rel_pos(hidden)
    rel_emb = enc.get_rel_embedding()
    for _ in range(2):
        query = enc.layer[-1](hidden, mask4, query_states=query, relative_pos=rel_pos, rel_embeddings=rel_emb)[0]
    return model.lm_predictions(query, deb.embeddings.word_embeddings)


def top(logits, k=10):
    p = torch.softmax(logits.double(), -1)
    v, i = torch.topk(p, k)
    return [[int(a), float(b)] for a, b in zip(i, v)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "demo"))
    args = ap.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    cfg = make_config()
    model = DebertaV2ForMaskedLM(cfg).eval()
    gen = torch.Generator().manual_seed(SEED + 1)
    pos_emb = 0.1 * torch.randn(cfg.max_position_embeddings, cfg.hidden_size, generator=gen)

    # float16 on disk; the reference runs in float32 on exactly those (rounded) values
    sd = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    sd["deberta.embeddings.position_embeddings.weight"] = pos_emb.to(torch.float16)
    model.load_state_dict({k: v.float() for k, v in sd.items() if k != "deberta.embeddings.position_embeddings.weight"})
    pos_emb = sd["deberta.embeddings.position_embeddings.weight"].float()

    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        os.remove(os.path.join(args.out, name))
    save_file(sd, os.path.join(args.out, "model.safetensors"), metadata={"format": "pt"})
    conf = cfg.to_dict()
    for k in ("transformers_version", "_name_or_path", "dtype", "torch_dtype", "id2label", "label2id",
              "chunk_size_feed_forward", "output_attentions", "output_hidden_states", "return_dict", "problem_type",
              "is_encoder_decoder"):
        conf.pop(k, None)
    conf["dtype"] = "float16"
    conf["debertacl_demo"] = True
    conf["debertacl_note"] = ("Demo model with RANDOM weights (tools/reference/make_demo_model.py): the tokenizer "
                              "is real, the predictions are meaningless.")
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(conf, f, indent=2, sort_keys=True)
        f.write("\n")
    for name in TOKENIZER_FILES:
        shutil.copy(os.path.join(TOKENIZER, name), os.path.join(args.out, name))
    for name in os.listdir(args.out):
        os.chmod(os.path.join(args.out, name), 0o644)

    tok = AutoTokenizer.from_pretrained(args.out)
    cases = []
    with torch.no_grad():
        for text in SENTENCES:
            enc = tok(text, return_tensors="pt")
            ids = enc["input_ids"]
            pos = int((ids[0] == tok.mask_token_id).nonzero()[0, 0])
            logits = model(input_ids=ids, attention_mask=enc["attention_mask"]).logits[0, pos]
            emd = run_emd(model, ids, pos_emb)[0, pos]
            cases.append({"text": text, "ids": ids[0].tolist(), "mask_position": pos,
                          "top": top(logits), "top_emd": top(emd)})
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump({"generator": "tools/reference/make_demo_model.py", "seed": SEED,
                   "note": "top-10 (token id, probability) at the [MASK] of transformers' DebertaV2ForMaskedLM "
                           "(legacy=False) in float32, without (top) and with (top_emd) the original enhanced "
                           "mask decoder", "cases": cases}, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print("wrote %s (%d files, %.2f MB)" % (args.out, len(os.listdir(args.out)), total / 1e6))


if __name__ == "__main__":
    main()
