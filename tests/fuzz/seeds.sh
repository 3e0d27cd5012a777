#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Gathers the fuzz targets' seed corpora from tests/data into OUT/<target>/ (a build folder; the
# corpora are not committed). Usage: seeds.sh OUT DATA_DIR
set -eu
out=$1
data=$2
sep='
%%DCL-FILE%%
'
rm -rf "$out"
for t in safetensors config tokenizer_files encode forward_input heads batch; do
  mkdir -p "$out/$t"
done

n=0
for f in "$data"/reference/models/*/model.safetensors "$data"/reference/cases/*/single.safetensors \
         "$data"/reference/rel_index.safetensors; do
  n=$((n + 1))
  cp "$f" "$out/safetensors/seed$n"
done

n=0
for f in "$data"/reference/models/*/config.json "$data"/tokenizer/*/config.json "$data"/demo/config.json; do
  n=$((n + 1))
  cp "$f" "$out/config/seed$n"
done

# tokenizer folders: selector byte (0 spm, 1 bpe), then the files in fuzz_tokenizer_files.c's order
spm=$data/tokenizer/spm_nobf
bpe=$data/tokenizer/bpe_v1
{ printf '\0'; cat "$spm/spm.model"; printf '%s' "$sep"; cat "$spm/tokenizer_config.json"; printf '%s' "$sep";
  cat "$spm/added_tokens.json"; printf '%s' "$sep"; cat "$spm/special_tokens_map.json"; } > "$out/tokenizer_files/spm"
{ printf '\0'; cat "$spm/spm.model"; } > "$out/tokenizer_files/spm_alone"
{ printf '\1'; cat "$bpe/vocab.json"; printf '%s' "$sep"; cat "$bpe/merges.txt"; printf '%s' "$sep";
  cat "$bpe/tokenizer_config.json"; } > "$out/tokenizer_files/bpe"
{ printf '\1{"a": 0, "b": 1, "ab": 2, "[CLS]": 3, "[SEP]": 4, "[UNK]": 5}%s#version: 0.2\na b\n%s' "$sep" "$sep";
  printf '{"unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]", "model_max_length": 16}'; printf '%s' "$sep";
  printf '{"[MASK]": 6}'; } > "$out/tokenizer_files/bpe_small"

# texts: every seventh line of the tokenizer corpus (JSON string literals: close enough to text),
# with a varying control byte
i=0
while IFS= read -r line; do
  i=$((i + 1))
  [ $((i % 7)) -eq 0 ] || continue
  printf "\\$(printf '%03o' $((i % 256)))" > "$out/encode/seed$i"
  printf '%s' "$line" >> "$out/encode/seed$i"
done < "$data/tokenizer/corpus.jsonl"
{ printf '\2Which is it?%sThe answer is here, in the second text.' "$sep"; } > "$out/encode/pair"

n=0
for f in "$data"/reference/cases/*/single.json "$data"/reference/cases/*/batch.json; do
  n=$((n + 1))
  cp "$f" "$out/forward_input/seed$n"
done
printf '{"input_ids": [[1, 2, 3], [4, 5, 6]], "token_type_ids": [[0, 0, 1], [0, 1, 1]]}' > "$out/forward_input/types"

# heads: control bytes, then floats taken from a fixture's tensors
f=$data/reference/cases/v3_mlm/single.safetensors
for c in 0 1 2 3; do
  { printf "\\$(printf '%03o' $c)\\040\\011\\003"; tail -c 2048 "$f"; } > "$out/heads/seed$c"
done
{ printf '\3\100\005\010'; tail -c 1024 "$f"; printf '%sO\nB-PER\nI-PER\nB-LOC\nI-LOC' "$sep"; } > "$out/heads/labels"

# batches: control bytes (model and function, B, L, count, flags), then int32 values
for c in 0 1 2 3 4 5 6 7 8 10; do
  { printf "\\$(printf '%03o' $c)\\002\\005\\003\\031"; head -c 256 "$f"; } > "$out/batch/seed$c"
done
