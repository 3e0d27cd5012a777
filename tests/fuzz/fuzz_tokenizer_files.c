/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the files of a tokenizer folder, written to a scratch folder and loaded with
 * tok_load (the loader dcl_tokenizer_load uses; there is no in-memory entry point yet). A loaded
 * tokenizer then encodes and decodes a fixed text.
 * Input: one selector byte (even: spm.model folder, odd: vocab.json + merges.txt folder), then
 * the files separated by FUZZ_SEPARATOR lines, in the order of the tables below (seeds.sh). */
#include "fuzz_common.h"
#include "tokenizer.h"

static const char *const spm_files[] = {"spm.model", "tokenizer_config.json", "added_tokens.json",
                                        "special_tokens_map.json"};
static const char *const bpe_files[] = {"vocab.json", "merges.txt", "tokenizer_config.json", "added_tokens.json",
                                        "special_tokens_map.json"};
static const char *const all_files[] = {"spm.model", "vocab.json", "merges.txt", "tokenizer_config.json",
                                        "added_tokens.json", "special_tokens_map.json"};

static const char text[] = "Hello [MASK] world! Ünïcödé\tand   spaces, [SEP] <mask> 12345 ...";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init_once();
    if (size < 1)
        return 0;
    const int bpe = data[0] & 1;
    const char *const *names = bpe ? bpe_files : spm_files;
    const size_t nnames = bpe ? 5 : 4;
    const uint8_t *parts[5];
    size_t sizes[5];
    size_t n = fuzz_split(data + 1, size - 1, parts, sizes, nnames);
    for (size_t i = 0; i < sizeof all_files / sizeof *all_files; i++)
        fuzz_put_file(all_files[i], NULL, 0);
    for (size_t i = 0; i < n; i++)
        fuzz_put_file(names[i], parts[i], sizes[i]);

    dcl_tokenizer *tok = NULL;
    if (tok_load(fuzz_scratch_dir(), &tok) != DCL_OK)
        return 0;
    dcl_tokenize_params p = dcl_tokenize_default_params();
    p.truncation = DCL_TRUNCATE_LONGEST_FIRST;
    p.max_length = 64;
    p.padding = DCL_PAD_MAX_LENGTH;
    dcl_encoding *enc = NULL;
    if (tok_encode(tok, text, sizeof text - 1, "pair", 4, &p, &enc) == DCL_OK) {
        char *back = NULL;
        size_t len = 0;
        if (tok_decode(tok, enc->ids, enc->length, 0, &back, &len) == DCL_OK)
            free(back);
        tok_encoding_free(enc);
    }
    for (int32_t id = -1; id < 8; id++)
        (void)dcl_tokenizer_id_to_token(tok, id);
    (void)dcl_tokenizer_token_to_id(tok, "[MASK]");
    tok_free(tok);
    return 0;
}
