#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Makes the tokenizer.json folders of tests/data/tokenizer from the hub-style ones there.

    python3 tools/reference/tokenizer/make_tokenizer_json_fixtures.py [--out tests/data/tokenizer]

Run after make_tokenizer_fixtures.py (it reuses its folders, corpus and expectations).

1. <name>_json/ for spm_v3, spm_nobf and bpe_v1: what transformers 5's save_pretrained writes for
   a fine-tune, tokenizer.json + tokenizer_config.json only (tokenizer_class DebertaV2Tokenizer /
   DebertaTokenizer, so AutoTokenizer takes the model from tokenizer.json and rebuilds the other
   stages from tokenizer_config.json). AutoTokenizer on these folders must give exactly the
   expectations of the hub-style folder (checked here: the script fails otherwise), so the tests
   reuse expected_<name>*.jsonl.
   spm_v3_json4/ is spm_v3 as transformers 4's DebertaV2TokenizerFast saved it (tokenizer.json with
   the Precompiled normalizer of spm.model, Strip, Replace(" {2,}"); added_tokens_decoder,
   special_tokens_map.json), the most common fine-tune folder: transformers 5 ignores those
   stages and gives spm_v3's ids, types and offsets (checked); its clean_up_tokenization_spaces
   changes the decoded text: expected_decode.jsonl.
2. spm_both/: spm_v3's spm.model beside spm_nobf_json's tokenizer.json and tokenizer_config.json:
   AutoTokenizer takes tokenizer.json, so this folder gives spm_nobf's expectations (checked).
3. Two folders read "whole" (tokenizer_class TokenizersBackend: every stage as tokenizer.json
   writes it), with stages the DeBERTa folders above do not use, and their own expectations:
     spm_generic/  Unigram, Lowercase, Punctuation(isolated) + Metaspace(prepend_scheme "first")
     bpe_generic/  byte-level BPE with add_prefix_space
   expected_<name>.jsonl and expected_<name>_cases.jsonl as make_tokenizer_fixtures.py writes them.
   Their tokenizer_config.json flags (do_lower_case, split_by_punct, add_prefix_space) contradict
   the stages on purpose: that class does not read them.
4. Added tokens with their flags (normalized ones are matched in the normalized text, others in
   the raw text; lstrip, rstrip, single_word, special):
     spm_added/      spm_nobf_json (lowercase) with ADDED below, saved by transformers 5
     bpe_added/      bpe_v1_json with ADDED, saved by transformers 5
     spm_added_hub/  spm_nobf with an added_tokens.json of non-special tokens (legacy folders)
   expected_added.jsonl: {"folder", "text", "ids", "offsets"} for hand-made texts and the corpus
   lines that contain one of the tokens.
5. expected_decode.jsonl: {"folder", "cfg" (overrides of tokenizer_config.json), "text", "dec"}:
   decode(encode(text), skip_special_tokens=True) with clean_up_tokenization_spaces (ignored by
   transformers for BPE unless forced).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import make_tokenizer_fixtures as base  # noqa: E402

# written by save_pretrained, but about the machine that saved the folder
DROP_KEYS = ("is_local", "local_files_only", "name_or_path")


def save(tok, d, tokenizer_class=None, **overrides):
    if os.path.isdir(d):
        shutil.rmtree(d)
    tok.save_pretrained(d)
    path = os.path.join(d, "tokenizer_config.json")
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    for k in DROP_KEYS:
        cfg.pop(k, None)
    if tokenizer_class:
        cfg["tokenizer_class"] = tokenizer_class
    cfg.update(overrides)
    base.write_json(path, cfg)
    files = sorted(os.listdir(d))
    assert files == ["tokenizer.json", "tokenizer_config.json"], files


def same_expectations(tok, corpus, out, name, ignore_decode=False):
    """Records tok as make_tokenizer_fixtures does and compares with expected_<name>*.jsonl."""
    with tempfile.TemporaryDirectory() as tmp:
        base.record(tok, corpus, os.path.join(tmp, "a.jsonl"))
        base.record_cases(tok, corpus, os.path.join(tmp, "b.jsonl"))
        for mine, theirs in (("a.jsonl", f"expected_{name}.jsonl"), ("b.jsonl", f"expected_{name}_cases.jsonl")):
            with open(os.path.join(tmp, mine), encoding="utf-8") as f1, \
                    open(os.path.join(out, theirs), encoding="utf-8") as f2:
                a, b = f1.read(), f2.read()
            if ignore_decode:
                a, b = ([{k: v for k, v in json.loads(x).items() if k != "dec"} for x in y.splitlines()]
                        for y in (a, b))
            if a != b:
                sys.exit(f"{theirs}: transformers gives something else on the tokenizer.json folder")


def v4_folder(out, d):
    """spm_v3 in the layout of transformers 4 (DebertaV2Converter's tokenizer.json)."""
    import sentencepiece.sentencepiece_model_pb2 as pb
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    m = pb.ModelProto()
    with open(os.path.join(out, "spm_v3", "spm.model"), "rb") as f:
        m.ParseFromString(f.read())
    tok = Tokenizer(Unigram([(p.piece, p.score) for p in m.pieces], unk_id=m.trainer_spec.unk_id,
                            byte_fallback=m.trainer_spec.byte_fallback))
    tok.normalizer = normalizers.Sequence([normalizers.Strip(), normalizers.Precompiled(
        m.normalizer_spec.precompiled_charsmap), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Metaspace(replacement="\u2581",
                                                                          prepend_scheme="always")])
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 1), ("[SEP]", 2)])
    n = len(m.pieces)
    from tokenizers import AddedToken
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in
                            ("[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]")])
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    tok.save(os.path.join(d, "tokenizer.json"))
    decoder = {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
                        "special": True} for i, t in ((0, "[PAD]"), (1, "[CLS]"), (2, "[SEP]"), (3, "[UNK]"),
                                                      (n, "[MASK]"))}
    base.write_json(os.path.join(d, "tokenizer_config.json"), {
        "added_tokens_decoder": decoder, "bos_token": "[CLS]", "clean_up_tokenization_spaces": True,
        "cls_token": "[CLS]", "do_lower_case": False, "eos_token": "[SEP]", "mask_token": "[MASK]",
        "model_max_length": 512, "pad_token": "[PAD]", "sep_token": "[SEP]", "split_by_punct": False,
        "tokenizer_class": "DebertaV2Tokenizer", "unk_token": "[UNK]", "vocab_type": "spm"})
    base.write_json(os.path.join(d, "special_tokens_map.json"), base.SPECIAL_MAP)


def added_tokens():
    from transformers import AddedToken
    return ["hello", AddedToken("wörld", normalized=True), AddedToken("Straße", normalized=True, lstrip=True),
            AddedToken("<ENT>", normalized=False, lstrip=True, rstrip=True),
            AddedToken("cat", normalized=False, single_word=True),
            AddedToken("[E1]", special=True, normalized=False, rstrip=True)]


ADDED_TEXTS = ["say HELLO  there", "hello world", "x hello", "WÖRLD wörld", "a <ENT> b", "a <ent> b",
               "hello   \t <ENT>  wörld  ", "STRASSE Straße straße  STRAẞE", "the cat sat", "concatenate cat's cat_x",
               "cat", " cat ", "[E1]  x [E1]", "hellohello", "ahelloa", "x  hello  ", "Hello, World! hello.",
               "\u00a0hello\u00a0", "hello\nworld", "caté cat", "<ENT><ENT>", "[MASK] hello [MASK]"]


def record_added(out, corpus):
    from transformers import AutoTokenizer

    rows = []
    for name in ("spm_added", "bpe_added", "spm_added_hub"):
        tok = AutoTokenizer.from_pretrained(os.path.join(out, name))
        words = [str(t) for t in tok.added_tokens_decoder.values()]
        texts = ADDED_TEXTS + [t for t in corpus if "\0" not in t and any(w.lower() in t.lower() for w in words)]
        for t in texts:
            e = tok(t, return_offsets_mapping=True)
            rows.append({"folder": name, "text": t, "ids": e["input_ids"],
                         "offsets": [list(o) for o in e["offset_mapping"]]})
    with open(os.path.join(out, "expected_added.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"expected_added.jsonl: {len(rows)} texts", file=sys.stderr)


DECODE_TEXTS = ["Hello , world . Is it ? Yes ! I don't , we 've , they 're , I 'm , it 's .", "a ' b", "a . . .",
                "x ,y", " n't", "rock 'n' roll", "Paris is the [MASK] of France ."]


def record_decode(out, corpus):
    from transformers import AutoTokenizer

    pats = (" .", " ?", " !", " ,", " ' ", " n't", " 'm", " 's", " 've", " 're")
    texts = DECODE_TEXTS + [t for t in corpus if "\0" not in t and any(p in t for p in pats)][:300]
    rows = []
    for folder, cfg in (("spm_v3_json4", None), ("spm_v3_json", {"clean_up_tokenization_spaces": True}),
                        ("bpe_v1_json", {"clean_up_tokenization_spaces": True}),
                        ("bpe_v1_json", {"clean_up_tokenization_spaces": True,
                                         "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output": True})):
        tok = AutoTokenizer.from_pretrained(os.path.join(out, folder), **(cfg or {}))
        for t in texts:
            row = {"folder": folder, "text": t, "dec": tok.decode(tok(t)["input_ids"], skip_special_tokens=True)}
            if cfg:
                row["cfg"] = cfg
            rows.append(row)
    with open(os.path.join(out, "expected_decode.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"expected_decode.jsonl: {len(rows)} texts", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "..", "tests", "data", "tokenizer"))
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    with open(os.path.join(out, "corpus.jsonl"), encoding="utf-8") as f:
        corpus = [json.loads(line) for line in f]

    import transformers
    from transformers import AutoTokenizer, DebertaTokenizer, DebertaV2Tokenizer

    for name in ("spm_v3", "spm_nobf", "bpe_v1"):
        d = os.path.join(out, f"{name}_json")
        save(AutoTokenizer.from_pretrained(os.path.join(out, name)), d)
        tok = AutoTokenizer.from_pretrained(d)
        print(f"{name}_json: {type(tok).__name__} (transformers {transformers.__version__})", file=sys.stderr)
        same_expectations(tok, corpus, out, name)

    d = os.path.join(out, "spm_v3_json4")
    v4_folder(out, d)
    same_expectations(AutoTokenizer.from_pretrained(d), corpus, out, "spm_v3", ignore_decode=True)
    print("spm_v3_json4: transformers 4 layout gives spm_v3's ids, types and offsets", file=sys.stderr)

    d = os.path.join(out, "spm_both")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    shutil.copy(os.path.join(out, "spm_v3", "spm.model"), d)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(out, "spm_nobf_json", f), d)
    same_expectations(AutoTokenizer.from_pretrained(d), corpus, out, "spm_nobf")
    print("spm_both: tokenizer.json taken before spm.model", file=sys.stderr)

    generic = {
        "spm_generic": DebertaV2Tokenizer.from_pretrained(os.path.join(out, "spm_nobf_json"), split_by_punct=True,
                                                          add_prefix_space=False),
        "bpe_generic": DebertaTokenizer.from_pretrained(os.path.join(out, "bpe_v1_json"), add_prefix_space=True),
    }
    for name, src in generic.items():
        d = os.path.join(out, name)
        # flags that contradict the file's stages: TokenizersBackend must not use them
        save(src, d, tokenizer_class="TokenizersBackend", do_lower_case=False, split_by_punct=False,
             add_prefix_space=not src.add_prefix_space)
        tok = AutoTokenizer.from_pretrained(d)
        assert type(tok).__name__ == "TokenizersBackend", type(tok).__name__
        print(f"{name}: {type(tok).__name__}", file=sys.stderr)
        # that class returns no token types unless asked; the records compare them
        tok.model_input_names = ["input_ids", "token_type_ids", "attention_mask"]
        base.record(tok, corpus, os.path.join(out, f"expected_{name}.jsonl"))
        base.record_cases(tok, corpus, os.path.join(out, f"expected_{name}_cases.jsonl"))

    for name, src in (("spm_added", "spm_nobf_json"), ("bpe_added", "bpe_v1_json")):
        tok = AutoTokenizer.from_pretrained(os.path.join(out, src))
        tok.add_tokens(added_tokens())
        save(tok, os.path.join(out, name))
    d = os.path.join(out, "spm_added_hub")
    if os.path.isdir(d):
        shutil.rmtree(d)
    shutil.copytree(os.path.join(out, "spm_nobf"), d)
    with open(os.path.join(d, "added_tokens.json"), encoding="utf-8") as f:
        extra = json.load(f)
    extra.update({"hello": len(extra) + 3000, "Wörld": len(extra) + 3001})
    base.write_json(os.path.join(d, "added_tokens.json"), extra)
    record_added(out, corpus)
    record_decode(out, corpus)


if __name__ == "__main__":
    main()
