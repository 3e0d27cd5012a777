#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate the pipeline fixtures: what transformers' pipelines answer on small models.

Usage:
    python3 tools/reference/make_pipeline_fixtures.py --out tests/data/pipelines

Builds small random-weight DeBERTa v3 (SentencePiece, tests/data/tokenizer/spm_v3) and v1
(byte-level BPE, tests/data/tokenizer/bpe_v1) models with a task head each, saves them as model
folders (config.json + model.safetensors in float16, so that the files stay small; the answers
are computed in float32 from the same float16-rounded weights), runs transformers 5's pipelines
on them and writes cases.json: per case the model, the tokenizer folder, the task, its options,
the inputs and the expected answers.

  fill-mask, text-classification (softmax, num_labels=1, multi_label, function_to_apply),
  zero-shot-classification, token-classification (each aggregation strategy) and
  feature-extraction run through transformers.pipeline.
  question-answering: transformers 5 has no such pipeline; qa_classic() below is the
  algorithm of transformers 4.x's QuestionAnsweringPipeline (windows with doc_stride, [CLS] in
  the softmax then zeroed, decode_spans, align_to_words, top_k, handle_impossible_answer),
  run on the fast tokenizer's own overflowing windows, offsets and word ids.
  multiple choice: transformers has no pipeline; the softmax of the model's logits.
  rerank: the text-classification pipeline on (query, document) pairs.

Deterministic: fixed seeds, one CPU thread.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers import AutoTokenizer, pipeline

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import randomize_parameters  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKENIZERS = {"v3": "tests/data/tokenizer/spm_v3", "v1": "tests/data/tokenizer/bpe_v1"}
NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
NLI_LABELS = ["entailment", "neutral", "contradiction"]

TEXTS = [
    "John Smith lives in New York and works for Acme Corporation.",
    "Mary-Ann met Dr. O'Neil at the café in São Paulo last Tuesday.",
    "The quick brown fox jumps over the lazy dog.",
]
CONTEXT = ("The Amazon rainforest covers much of the Amazon basin of South America. The basin spans "
           "seven million square kilometres, of which five and a half million are covered by the "
           "rainforest. The region includes territory belonging to nine nations. The majority of the "
           "forest is contained within Brazil, with 60% of the rainforest, followed by Peru with 13%, "
           "Colombia with 10%, and minor amounts in Venezuela, Ecuador, Bolivia, Guyana, Suriname and "
           "French Guiana.")


def config_for(family, vocab, extra):
    common = dict(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=48, max_position_embeddings=128, hidden_act="gelu",
                  layer_norm_eps=1e-7, relative_attention=True, pad_token_id=0)
    if family == "v3":
        cfg = transformers.DebertaV2Config(**common, pos_att_type=["p2c", "c2p"], position_biased_input=False,
                                           position_buckets=16, max_relative_positions=96, share_att_key=True,
                                           norm_rel_ebd="layer_norm", type_vocab_size=0, legacy=False)
    else:
        cfg = transformers.DebertaConfig(**common, pos_att_type=["c2p", "p2c"], position_biased_input=False,
                                         max_relative_positions=64, type_vocab_size=0)
    for k, v in extra.items():
        setattr(cfg, k, v)
    return cfg


def build(out, name, family, cls_name, seed, **extra):
    tok = AutoTokenizer.from_pretrained(os.path.join(REPO, TOKENIZERS[family]))
    cfg = config_for(family, len(tok), extra)
    prefix = "DebertaV2" if family == "v3" else "Deberta"
    torch.manual_seed(seed)
    model = getattr(transformers, prefix + cls_name)(cfg)
    randomize_parameters(model, seed)
    model = model.half().float().eval()  # the float16 weights, computed in float32
    folder = os.path.join(out, "models", name)
    os.makedirs(folder, exist_ok=True)
    model.half().save_pretrained(folder, safe_serialization=True)
    model.float()
    for f in os.listdir(folder):
        if f not in ("config.json", "model.safetensors"):
            os.remove(os.path.join(folder, f))
    return model, tok


def f(x):
    return float(x)


# ---- question answering: transformers 4.x QuestionAnsweringPipeline ----
def qa_classic(model, tok, question, context, top_k=1, doc_stride=None, max_seq_len=None, max_answer_len=15,
               handle_impossible_answer=False, align_to_words=True):
    if max_seq_len is None:
        max_seq_len = min(tok.model_max_length, 384)
    if doc_stride is None:
        doc_stride = min(max_seq_len // 2, 128)
    enc = tok(text=question, text_pair=context, padding="do_not_pad", truncation="only_second",
              max_length=max_seq_len, stride=doc_stride, return_token_type_ids=True,
              return_overflowing_tokens=True, return_offsets_mapping=True, return_special_tokens_mask=True)
    min_null_score = 1000000
    answers = []
    for span in range(len(enc["input_ids"])):
        ids = enc["input_ids"][span]
        p_mask = np.array([tok_id != 1 for tok_id in enc.sequence_ids(span)])
        p_mask[np.array(ids) == tok.cls_token_id] = 0
        with torch.no_grad():
            out = model(input_ids=torch.tensor([ids]), attention_mask=torch.tensor([enc["attention_mask"][span]]))
        start = out.start_logits.numpy()
        end = out.end_logits.numpy()
        attention_mask = np.array([enc["attention_mask"][span]])
        undesired_tokens = np.abs(np.array([p_mask]).astype(np.int64) - 1) & attention_mask
        undesired_tokens_mask = undesired_tokens == 0.0
        start = np.where(undesired_tokens_mask, -10000.0, start)
        end = np.where(undesired_tokens_mask, -10000.0, end)
        start = np.exp(start - start.max(axis=-1, keepdims=True))
        start = start / start.sum()
        end = np.exp(end - end.max(axis=-1, keepdims=True))
        end = end / end.sum()
        if handle_impossible_answer:
            min_null_score = min(min_null_score, (start[0, 0] * end[0, 0]).item())
        start[0, 0] = end[0, 0] = 0.0
        # decode_spans
        outer = np.matmul(np.expand_dims(start, -1), np.expand_dims(end, 1))
        candidates = np.tril(np.triu(outer), max_answer_len - 1)
        scores_flat = candidates.flatten()
        if top_k == 1:
            idx_sort = [np.argmax(scores_flat)]
        elif len(scores_flat) < top_k:
            idx_sort = np.argsort(-scores_flat)
        else:
            idx = np.argpartition(-scores_flat, top_k)[0:top_k]
            idx_sort = idx[np.argsort(-scores_flat[idx])]
        starts, ends = np.unravel_index(idx_sort, candidates.shape)[1:]
        desired = np.isin(starts, undesired_tokens.nonzero()) & np.isin(ends, undesired_tokens.nonzero())
        starts, ends = starts[desired], ends[desired]
        scores = candidates[0, starts, ends]
        e = enc.encodings[span]
        for s, t, score in zip(starts, ends, scores):
            if score <= 0.0:  # spans at [CLS] (zeroed): ties whose order numpy leaves open
                continue
            if align_to_words:
                try:
                    sw, ew = e.token_to_word(s), e.token_to_word(t)
                    si = e.word_to_chars(sw, sequence_index=1)[0]
                    ei = e.word_to_chars(ew, sequence_index=1)[1]
                except Exception:
                    si, ei = e.offsets[s][0], e.offsets[t][1]
            else:
                si, ei = e.offsets[s][0], e.offsets[t][1]
            answers.append({"score": score.item(), "start": si, "end": ei, "answer": context[si:ei]})
    if handle_impossible_answer:
        answers.append({"score": min_null_score, "start": 0, "end": 0, "answer": ""})
    return sorted(answers, key=lambda x: x["score"], reverse=True)[:top_k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "tests/data/pipelines"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    cases = []

    def case(model, family, task, inputs, expected, **options):
        cases.append({"model": model, "tokenizer": TOKENIZERS[family], "task": task, "options": options,
                      "inputs": inputs, "expected": expected})

    for family in ("v3", "v1"):
        # fill-mask
        name = family + "_mlm"
        m, tok = build(out, name, family, "ForMaskedLM", 501 if family == "v3" else 502)
        fm = pipeline("fill-mask", model=m, tokenizer=tok)
        texts = ["The capital of France is [MASK].", "The [MASK] sat on the [MASK] today."]
        for t in texts:
            r = fm(t, top_k=3)
            rows = r if isinstance(r[0], list) else [r]
            case(name, family, "fill-mask", [{"text": t}],
                 [[[{"score": f(x["score"]), "token": x["token"], "token_str": x["token_str"],
                     "sequence": x["sequence"]} for x in row] for row in rows]], top_k=3)
        targets = ["▁Paris" if family == "v3" else "ĠParis", "London", "the"]
        r = fm(texts[0], targets=targets, top_k=5)
        case(name, family, "fill-mask", [{"text": texts[0]}],
             [[[{"score": f(x["score"]), "token": x["token"], "token_str": x["token_str"], "sequence": x["sequence"]}
                for x in r]]], top_k=5, targets=targets)

        # text classification: NLI labels (softmax), pairs
        name = family + "_nli"
        m, tok = build(out, name, family, "ForSequenceClassification", 511 if family == "v3" else 512,
                       num_labels=3, id2label=dict(enumerate(NLI_LABELS)),
                       label2id={l: i for i, l in enumerate(NLI_LABELS)})
        tc = pipeline("text-classification", model=m, tokenizer=tok)
        pairs = [{"text": TEXTS[0], "text_pair": "John lives in a city."},
                 {"text": TEXTS[2], "text_pair": "A dog is sleeping."}]
        exp = [[{"label": x["label"], "score": f(x["score"])} for x in tc(p, top_k=None)] for p in pairs]
        case(name, family, "text-classification", [{"text": p["text"], "pair": p["text_pair"]} for p in pairs], exp)
        exp = [[{"label": x["label"], "score": f(x["score"])} for x in tc(t, top_k=None)] for t in TEXTS]
        case(name, family, "text-classification", [{"text": t} for t in TEXTS], exp)
        exp = [[{"label": x["label"], "score": f(x["score"])}
                for x in tc(t, top_k=2, function_to_apply="sigmoid")] for t in TEXTS]
        case(name, family, "text-classification", [{"text": t} for t in TEXTS], exp, function="sigmoid", top_k=2)
        # zero-shot
        zs = pipeline("zero-shot-classification", model=m, tokenizer=tok)
        labels = ["geography", "animals", "business"]
        for ml in (False, True):
            r = zs(TEXTS[0], candidate_labels=labels, multi_label=ml)
            case(name, family, "zero-shot", [{"text": TEXTS[0], "items": labels}],
                 [[{"label": l, "score": f(s)} for l, s in zip(r["labels"], r["scores"])]], multi_label=ml)
        r = zs(TEXTS[2], candidate_labels=labels, hypothesis_template="The topic is {}.")
        case(name, family, "zero-shot", [{"text": TEXTS[2], "items": labels}],
             [[{"label": l, "score": f(s)} for l, s in zip(r["labels"], r["scores"])]],
             hypothesis_template="The topic is {}.")

        # token classification, every aggregation strategy
        name = family + "_ner"
        m, tok = build(out, name, family, "ForTokenClassification", 521 if family == "v3" else 522,
                       num_labels=len(NER_LABELS), id2label=dict(enumerate(NER_LABELS)),
                       label2id={l: i for i, l in enumerate(NER_LABELS)})
        for agg in ("none", "simple", "first", "average", "max"):
            tcp = pipeline("token-classification", model=m, tokenizer=tok, aggregation_strategy=agg)
            exp = []
            for t in TEXTS[:2]:
                exp.append([{"label": x.get("entity_group", x.get("entity")), "score": f(x["score"]),
                             "word": x["word"], "start": x["start"], "end": x["end"]} for x in tcp(t)])
            case(name, family, "token-classification", [{"text": t} for t in TEXTS[:2]], exp, aggregation=agg)

        # question answering
        name = family + "_qa"
        m, tok = build(out, name, family, "ForQuestionAnswering", 531 if family == "v3" else 532)
        q = "How much of the rainforest is in Brazil?"
        short = "Brazil holds 60% of the Amazon rainforest, Peru 13%."
        for opts in ({}, {"top_k": 3}, {"handle_impossible_answer": True, "top_k": 2},
                     {"align_to_words": False, "top_k": 2}):
            r = qa_classic(m, tok, q, short, **opts)
            case(name, family, "question-answering", [{"text": q, "pair": short}], [r], **opts)
        # a context of a few tokens: every span and the empty answer make the list
        tiny = "In Brazil."
        r = qa_classic(m, tok, q, tiny, top_k=40, handle_impossible_answer=True)
        assert any(a["answer"] == "" for a in r)
        case(name, family, "question-answering", [{"text": q, "pair": tiny}], [r], top_k=40,
             handle_impossible_answer=True)
        for opts in ({"max_length": 48, "doc_stride": 16, "top_k": 3},
                     {"max_length": 64, "doc_stride": 24, "top_k": 2, "handle_impossible_answer": True}):
            kw = dict(opts)
            kw["max_seq_len"] = kw.pop("max_length")
            r = qa_classic(m, tok, q, CONTEXT, **kw)
            case(name, family, "question-answering", [{"text": q, "pair": CONTEXT}], [r], **opts)

    # v3 only: num_labels = 1, multi-label, multiple choice, features, rerank
    family = "v3"
    m, tok = build(out, "v3_score", family, "ForSequenceClassification", 541, num_labels=1)
    tc = pipeline("text-classification", model=m, tokenizer=tok)
    for fn in (None, "none", "softmax"):
        kw = {} if fn is None else {"function_to_apply": fn}
        exp = [[{"label": x["label"], "score": f(x["score"])} for x in tc(t, top_k=None, **kw)] for t in TEXTS]
        opts = {} if fn is None else {"function": fn}
        case("v3_score", family, "text-classification", [{"text": t} for t in TEXTS], exp, **opts)
    docs = ["Paris is the capital of France.", "Dogs are loyal animals.", "France has many cities."]
    query = "What is the capital of France?"
    scores = [f(tc({"text": query, "text_pair": d}, top_k=None)[0]["score"]) for d in docs]
    order = sorted(range(len(docs)), key=lambda i: -scores[i])
    case("v3_score", family, "rerank", [{"text": query, "items": docs}],
         [[{"label": docs[i], "score": scores[i], "index": i} for i in order]])

    labels = ["politics", "sports", "science", "art"]
    m, tok = build(out, "v3_multilabel", family, "ForSequenceClassification", 542, num_labels=4,
                   problem_type="multi_label_classification", id2label=dict(enumerate(labels)),
                   label2id={l: i for i, l in enumerate(labels)})
    tc = pipeline("text-classification", model=m, tokenizer=tok)
    exp = [[{"label": x["label"], "score": f(x["score"])} for x in tc(t, top_k=None)] for t in TEXTS]
    case("v3_multilabel", family, "text-classification", [{"text": t} for t in TEXTS], exp)

    m, tok = build(out, "v3_mc", family, "ForMultipleChoice", 543)
    prompt = "The weather today is"
    choices = ["sunny and warm.", "a kind of fish.", "cold with some rain in the afternoon."]
    enc = tok([prompt] * len(choices), choices, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = m(**{k: v.unsqueeze(0) for k, v in enc.items()}).logits[0]
    probs = torch.softmax(logits, -1).tolist()
    order = sorted(range(len(choices)), key=lambda i: -probs[i])
    case("v3_mc", family, "multiple-choice", [{"text": prompt, "items": choices}],
         [[{"label": choices[i], "score": probs[i], "index": i} for i in order]])

    m, tok = build(out, "v3_base", family, "Model", 544)
    fe = pipeline("feature-extraction", model=m, tokenizer=tok)
    for pooling in ("mean", "first"):
        exp = []
        for t in TEXTS[:2]:
            h = np.array(fe(t)[0], dtype=np.float64)
            v = h.mean(0) if pooling == "mean" else h[0]
            exp.append([float(x) for x in v])
        case("v3_base", family, "feature-extraction", [{"text": t} for t in TEXTS[:2]], exp, pooling=pooling)

    doc = {"transformers": transformers.__version__, "torch": torch.__version__,
           "tolerance": {"score": 1e-4, "embedding": 1e-4},
           "note": "labels, words, spans and answer texts must match exactly; scores within the tolerance",
           "cases": cases}
    with open(os.path.join(out, "cases.json"), "w", encoding="utf-8") as fp:
        json.dump(doc, fp, indent=1, ensure_ascii=False, sort_keys=True)
        fp.write("\n")
    print("%d cases in %s" % (len(cases), out))


if __name__ == "__main__":
    main()
