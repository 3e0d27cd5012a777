#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Makes the tokenizer fixtures of tests/data/tokenizer (deterministic; only local text).

    python3 tools/reference/tokenizer/make_tokenizer_fixtures.py [--out tests/data/tokenizer]

1. Assembles a multilingual training text from files on this machine: the translations of the
   installed programs (/usr/share/locale/*/LC_MESSAGES/*.mo) and the CJK samples of Python's
   test suite.
2. Trains three small tokenizers and saves them as Hugging Face folders that look like the real
   microsoft ones:
     spm_v3/   SentencePiece unigram with byte fallback (like deberta-v3: spm.model, [MASK] in
               added_tokens.json, tokenizer_config.json, special_tokens_map.json)
     spm_nobf/ SentencePiece unigram without byte fallback, do_lower_case (like deberta-v2)
     bpe_v1/   byte-level BPE (like deberta-base: vocab.json, merges.txt)
3. Writes corpus.jsonl (one JSON string per line: the test texts, at least 3,000) and, for each
   tokenizer, what transformers' AutoTokenizer (its default, the tokenizers-backed class) gives:
     expected_<name>.jsonl        one line per corpus text: ids, offsets (flat), and "dec" (the
                                  decode with skip_special_tokens) where it differs from the text
     expected_<name>_cases.jsonl  pairs, truncation, padding, no special tokens, lookups
Pinned versions: requirements.txt beside this file.
"""
import argparse
import glob
import json
import os
import struct
import sys
import unicodedata

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

LANGS = ["en", "de", "fr", "es", "it", "pt_BR", "pl", "cs", "tr", "vi", "ru", "uk", "el", "he",
         "ar", "fa", "hi", "bn", "ta", "th", "ka", "ja", "ko", "zh_CN", "zh_TW", "sv", "fi", "hu",
         "ro", "ca", "eo", "ga", "is", "lt", "am"]


def read_mo(path):
    """(msgid, msgstr) pairs of a GNU .mo file, sorted by msgid."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 28:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic == 0x950412DE else ">"
    _, n, orig, trans = struct.unpack(end + "4I", data[4:20])
    out = []
    for i in range(n):
        ol, oo = struct.unpack(end + "2I", data[orig + 8 * i:orig + 8 * i + 8])
        tl, to = struct.unpack(end + "2I", data[trans + 8 * i:trans + 8 * i + 8])
        try:
            mid = data[oo:oo + ol].decode("utf-8")
            mstr = data[to:to + tl].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if mid and mstr:
            out.append((mid.split("\0")[0], mstr.split("\0")[0]))
    out.sort()
    return out


def texts_of_lang(lang, limit):
    seen = set()
    out = []
    total = 0
    src = "en" if lang == "en" else lang
    files = sorted(glob.glob(f"/usr/share/locale/{'de' if lang == 'en' else src}/LC_MESSAGES/*.mo"))
    for f in files:
        for mid, mstr in read_mo(f):
            t = mid if lang == "en" else mstr
            for line in t.split("\n"):
                line = line.strip()
                if len(line) < 3 or line in seen:
                    continue
                seen.add(line)
                out.append(line)
                total += len(line.encode())
                if total > limit:
                    return out
    return out


def cjk_samples():
    out = []
    base = os.path.join(os.path.dirname(os.__file__), "test", "cjkencodings")
    for f in sorted(glob.glob(os.path.join(base, "*-utf8.txt"))):
        with open(f, "rb") as fh:
            for line in fh.read().decode("utf-8", "replace").split("\n"):
                line = line.strip()
                if line:
                    out.append(line)
    return out


def training_text():
    lines = []
    for lang in LANGS:
        lines += texts_of_lang(lang, 150_000 if lang in ("en", "de", "fr", "ja", "zh_CN", "ru", "ar") else 60_000)
    lines += cjk_samples()
    return lines


def special_lines():
    """Hand-made texts for the corners of the normalisers and pre-tokenisers."""
    s = []
    s += ["", " ", "  ", "\t", "a", " a", "a ", "  a  b  ", "a\tb", "a\t\tb", "a\nb", "a\r\nb", "a \u00a0b",
          "a\u00a0b", "a\u00a0\u00a0b", "a\u3000b", "\u3000a\u3000", "a\u2003b\u2009c", "a\u200bb", "a\u200db",
          "a\u200cb", "\ufeffa", "a\u2028b", "a\u0085b", "a\x0bb", "a\x0cb", "a  \u00a0  b", "   leading",
          "trailing   ", "\u00a0leading nbsp", "trailing nbsp\u00a0", "x" * 300, "supercalifragilistic" * 12, "lorem ipsum dolor " * 100,
          "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft",
          "pneumonoultramicroscopicsilicovolcanoconiosis", "1234567890" * 20, "a" * 1000,
          "e\u0301", "cafe\u0301 re\u0301sume\u0301", "n\u0303o", "A\u030a", "\u212b", "\u2126", "e\u0316\u0301",
          "a\u0301\u0316", "\u1e0b\u0323", "q\u0307\u0323", "\u0344", "\u0958", "\ufb01 \ufb02", "\u2460\u2461",
          "\uff21\uff22\uff23 \uff11\uff12\uff13", "x\u0308\u0308\u0308\u0308", "\u0915\u094d\u0937",
          "\u1100\u1161\u11a8", "\ud55c\uad6d\uc5b4", "\u3131\u314f", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324",
          "İstanbul ıi İI", "ǅ ǈ ǋ", "ß ẞ ﬀ", "ΣΑΣ σας ς", "\u0130\u0307",
          "😀", "😀😃😄", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🇫🇷🇯🇵", "❤️", "#️⃣", "a😀b", "emoji 🎉 party 🎉🎉",
          "\U0001f600 \U0001f9d1\u200d\U0001f4bb", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙𝟚", "\U00020000\U0002a6d6",
          "<b>bold</b> & <i>italic</i>", "<a href=\"https://example.org/x?y=1&z=2\">link</a>",
          "{\"key\": [1, 2.5, null]}", "def f(x):\n    return x ** 2", "// C++ comment\n#include <stdio.h>",
          "SELECT * FROM t WHERE a='b';", "**markdown** _it_ `code` [l](u)", "&amp; &lt; &#x20AC; &nbsp;",
          "user@example.com https://www.example.com/path?q=1#frag", "C:\\Windows\\System32", "~/.bashrc",
          "It's don't I'll we've they're she'd I'm", "IT'S DON'T", "'s 't 're", "rock 'n' roll", "“quoted” ‘single’ «guillemets» „low“",
          "— – - ‐ ‑ ‒ …", "$100.00 €50 £30 ¥1000 ₹500", "3.14159 1e-10 -42 +7 1,000,000", "½ ¼ ¾ ² ³ ⁴",
          "°C °F µm Å ℃ №", "@#$%^&*()_+-=[]{}|;':\",./<>?", "!!!???...", "a.b.c", "U.S.A.", "Mr. Smith",
          "[MASK]", "Paris is the [MASK] of France.", "Paris is the[MASK]of France.", "[CLS] hello [SEP]",
          "[cls] [mask] [Mask]", "x[PAD]y", "[UNK]", "a [UNK] b", "[MASK][MASK] [MASK]", "[SEP][SEP]",
          "hello [MASK]", "[MASK] hello", "  [MASK]  ", "\u2581", "\u2581\u2581a", "a\u2581b", "\u0120hello", "Ġ",
          "\ufffd", "\ufffd\ufffd", "\u0000", "a\u0000b", "\u0001\u0002\u001f\u007f", "\u0080\u009f",
          "\ue000\uf8ff", "\U000f0000", "\u0600\u0601 \u061c", "\u202e reversed \u202c", "\u200e\u200f",
          "مرحبا بالعالم", "السلام عليكم ورحمة الله", "١٢٣٤٥٦٧٨٩٠", "עברית עם ניקוד: שָׁלוֹם", "हिन्दी भाषा",
          "ภาษาไทยไม่มีช่องว่าง", "日本語のテキストです。", "中文文本，没有空格。", "한국어 텍스트입니다.",
          "ｶﾀｶﾅ ﾊﾝｶｸ", "Ελληνικά κείμενα", "Русский текст", "Tiếng Việt có dấu", "ქართული",
          "ÀÉÎÕÜ àéîõü çñ ÿ", "Ångström naïve façade coöperate", "ŁÓDŹ łódź", "ĳ Ĳ ŉ",
          ]
    # every whitespace and some control characters between words
    for cp in [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
               0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
               0x3000, 0x180E, 0x200B, 0xFEFF, 0x1C, 0x1D, 0x1E, 0x1F]:
        c = chr(cp)
        s += [f"word{c}word", f"word{c}{c}word", f"{c}word", f"word{c}", f"word {c} word", f"{c}"]
    return s


def corpus_lines(train):
    lines = special_lines()
    # every 7th training line (all languages), with some variations
    picked = train[::7]
    for i, t in enumerate(picked):
        if i % 11 == 0:
            t = "  " + t
        elif i % 11 == 1:
            t = t + "\t" + t[: len(t) // 2]
        elif i % 11 == 2:
            t = t.upper()
        elif i % 11 == 3:
            t = unicodedata.normalize("NFD", t)
        elif i % 11 == 4:
            t = t.replace(" ", "  ")
        elif i % 11 == 5:
            t = t.replace(" ", "\u00a0", 2)
        if len(t) > 100:
            t = t[:100]
        lines.append(t)
        if len(lines) >= 3050:
            break
    return lines


# ---- training -------------------------------------------------------------------------------

def train_spm(lines, path, vocab_size, byte_fallback, rule):
    """Trains and writes path (through model_writer, so that no temporary path is recorded)."""
    import io

    import sentencepiece as spm

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=buf, vocab_size=vocab_size,
        model_type="unigram", character_coverage=0.9995, byte_fallback=byte_fallback,
        pad_id=0, pad_piece="[PAD]", bos_id=1, bos_piece="[CLS]", eos_id=2, eos_piece="[SEP]",
        unk_id=3, unk_piece="[UNK]", num_threads=1, shuffle_input_sentence=False,
        input_sentence_size=0, split_digits=False, max_sentence_length=8192, normalization_rule_name=rule,
        minloglevel=2)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def train_bpe(lines, vocab_size):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2,
                                  special_tokens=["[PAD]", "[CLS]", "[SEP]", "[UNK]"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(lines, trainer=trainer)
    data = json.loads(tok.to_str())
    vocab = data["model"]["vocab"]
    merges = data["model"]["merges"]
    vocab = dict(sorted(vocab.items(), key=lambda kv: kv[1]))
    vocab["[MASK]"] = len(vocab)
    merges = [m if isinstance(m, str) else " ".join(m) for m in merges]
    return vocab, merges


SPECIAL_MAP = {"bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "[UNK]", "sep_token": "[SEP]",
               "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def make_folders(out, train):
    # spm_nobf without the NFKC charsmap (transformers 5 does not use it; it keeps files small)
    for name, bf, vs, rule in (("spm_v3", True, 4000, "nmt_nfkc"), ("spm_nobf", False, 3000, "identity")):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        train_spm(train, os.path.join(d, "spm.model"), vs, bf, rule)
        import sentencepiece as spm
        n = spm.SentencePieceProcessor(model_file=os.path.join(d, "spm.model")).get_piece_size()
        write_json(os.path.join(d, "config.json"), {"model_type": "deberta-v2", "vocab_size": n + 1})
        cfg = {"do_lower_case": name == "spm_nobf", "vocab_type": "spm", "split_by_punct": False}
        if name == "spm_v3":
            cfg["model_max_length"] = 512
        write_json(os.path.join(d, "tokenizer_config.json"), cfg)
        write_json(os.path.join(d, "special_tokens_map.json"), SPECIAL_MAP)
        write_json(os.path.join(d, "added_tokens.json"), {"[MASK]": n})
    d = os.path.join(out, "bpe_v1")
    os.makedirs(d, exist_ok=True)
    vocab, merges = train_bpe(train, 4000)
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for m in merges:
            f.write(m + "\n")
    write_json(os.path.join(d, "config.json"), {"model_type": "deberta", "vocab_size": len(vocab)})
    write_json(os.path.join(d, "tokenizer_config.json"),
               {"do_lower_case": False, "vocab_type": "gpt2", "model_max_length": 512})


# ---- expectations ---------------------------------------------------------------------------

def flat(offsets):
    """Offsets as a compact string: per token "L" (it starts where the previous one ended, the
    first at 0, and is L code points long) or "D:L" (it starts D after the previous end; D may be
    negative), separated by spaces."""
    out = []
    prev = 0
    for a, b in offsets:
        out.append(f"{b - a}" if a == prev else f"{a - prev}:{b - a}")
        prev = b
    return " ".join(out)


def record(tok, corpus, path):
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(corpus):
            e = tok(t, return_offsets_mapping=True)
            rec = {"ids": e["input_ids"], "o": flat(e["offset_mapping"])}
            assert all(x == 0 for x in e["token_type_ids"])
            if i % 3 == 0:
                rec["dec"] = tok.decode(e["input_ids"], skip_special_tokens=True)
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def enc_case(tok, corpus, kind, **kw):
    """kw: t (corpus index of the text), p (of the pair), and the transformers call's options."""
    ti = kw.pop("t")
    pi = kw.pop("p", None)
    text = corpus[ti]
    pair = corpus[pi] if pi is not None else None
    rec = {"kind": kind, "t": ti}
    if pi is not None:
        rec["p"] = pi
    rec.update({k: v for k, v in kw.items()})
    try:
        e = tok(text, pair, return_offsets_mapping=True, return_special_tokens_mask=True,
                return_attention_mask=True, **kw)
    except Exception as ex:  # only_second that cannot be satisfied, ...
        rec["error"] = type(ex).__name__
        return rec
    rec["ids"] = e["input_ids"]
    rec["types"] = e["token_type_ids"]
    if "padding" in kw:
        rec["mask"] = e["attention_mask"]
    rec["special"] = e["special_tokens_mask"]
    rec["o"] = flat(e["offset_mapping"])
    return rec


def record_cases(tok, corpus, path):
    cases = []
    idx = [i for i, t in enumerate(corpus) if 0 < len(t) < 200]
    c = lambda kind, **kw: cases.append(enc_case(tok, corpus, kind, **kw))  # noqa: E731
    # pairs
    for i in range(0, 180, 3):
        c("pair", t=idx[i], p=idx[i + 1])
    # truncation of pairs and singles
    for i in range(0, 80, 4):
        for ml in (5, 9, 16, 33):
            for strat in ("longest_first", "only_first", "only_second"):
                c("trunc", t=idx[i + 300], p=idx[i + 301], max_length=ml, truncation=strat)
            c("trunc", t=idx[i + 300], max_length=ml, truncation="longest_first")
    # truncation to the configured model_max_length (truncation=True without max_length)
    long_i = max(range(len(corpus)), key=lambda i: len(corpus[i]))
    c("trunc_model_max", t=long_i, truncation=True)
    # no special tokens
    for i in range(0, 100):
        c("nospecial", t=idx[i + 700], add_special_tokens=False)
    for i in range(0, 20):
        c("nospecial_pair", t=idx[i + 800], p=idx[i + 900], add_special_tokens=False)
    # padding to a length
    for i in range(0, 40):
        c("pad", t=idx[i + 1000], padding="max_length", max_length=48, truncation=True)
    # batch padding to the longest
    bi = idx[1100:1108]
    e = tok([corpus[i] for i in bi], padding="longest", return_attention_mask=True)
    cases.append({"kind": "batch_longest", "t": bi, "ids": e["input_ids"], "mask": e["attention_mask"],
                  "types": e["token_type_ids"]})
    # lookups
    look = {"kind": "lookup", "vocab_size": tok.vocab_size, "len": len(tok), "cls": tok.cls_token_id,
            "sep": tok.sep_token_id, "pad": tok.pad_token_id, "mask": tok.mask_token_id, "unk": tok.unk_token_id,
            "model_max_length": tok.model_max_length if tok.model_max_length < 1 << 40 else 0,
            "tokens": {}}
    for i in list(range(0, 40)) + list(range(len(tok) - 5, len(tok))):
        look["tokens"][str(i)] = tok.convert_ids_to_tokens(i)
    cases.append(look)
    with open(path, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "..", "tests", "data", "tokenizer"))
    ap.add_argument("--skip-train", action="store_true", help="reuse the tokenizer folders in --out")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    train = training_text()
    print(f"training text: {len(train)} lines, {sum(len(t.encode()) for t in train) / 1e6:.2f} MB", file=sys.stderr)
    if not args.skip_train:
        make_folders(out, train)
    corpus = corpus_lines(train)
    with open(os.path.join(out, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for t in corpus:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    print(f"corpus: {len(corpus)} lines", file=sys.stderr)

    from transformers import AutoTokenizer
    import transformers
    for name in ("spm_v3", "spm_nobf", "bpe_v1"):
        tok = AutoTokenizer.from_pretrained(os.path.join(out, name))
        print(f"{name}: {type(tok).__name__} (transformers {transformers.__version__})", file=sys.stderr)
        record(tok, corpus, os.path.join(out, f"expected_{name}.jsonl"))
        record_cases(tok, corpus, os.path.join(out, f"expected_{name}_cases.jsonl"))


if __name__ == "__main__":
    main()
