/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: text encoding and decoding with each tokenizer kind, the tokenizers fixed (the
 * real ones in tests/data/tokenizer), the text fuzzed.
 * Input: one control byte (tokenizer, pair, truncation, padding, invalid UTF-8 handling), then
 * the text; a FUZZ_SEPARATOR line splits it into text and pair. The text's bytes, taken as ids,
 * are decoded too. */
#include "fuzz_common.h"

#ifndef DCL_TEST_DATA_DIR
#error "DCL_TEST_DATA_DIR must name tests/data"
#endif

static const char *const folders[] = {"spm_v3", "spm_nobf", "bpe_v1"};
#define NTOK (sizeof folders / sizeof *folders)

static dcl_tokenizer *tokenizer(size_t i)
{
    static dcl_tokenizer *toks[NTOK];
    if (!toks[i]) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/tokenizer/%s", DCL_TEST_DATA_DIR, folders[i]);
        if (dcl_tokenizer_load(dir, &toks[i]) != DCL_OK) {
            fprintf(stderr, "fuzz_encode: %s: %s\n", dir, dcl_last_error());
            abort(); /* the harness cannot run without its fixtures */
        }
    }
    return toks[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init_once();
    if (size < 1)
        return 0;
    const unsigned ctl = data[0];
    const dcl_tokenizer *tok = tokenizer((ctl & 3) % NTOK);
    const uint8_t *parts[2];
    size_t sizes[2];
    size_t n = fuzz_split(data + 1, size - 1, parts, sizes, 2);

    dcl_tokenize_params p = dcl_tokenize_default_params();
    p.add_special_tokens = !(ctl & 4);
    p.truncation = (dcl_truncation)((ctl >> 3) & 3);
    p.max_length = (ctl & 32) ? 1 + (size % 40) : 0;
    p.padding = (ctl & 64) ? DCL_PAD_MAX_LENGTH : DCL_PAD_NONE;
    p.replace_invalid_utf8 = (ctl & 128) != 0;

    /* decoding of arbitrary ids: the text's bytes taken as int32 values */
    {
        int32_t ids[64];
        size_t nid = sizes[0] / sizeof *ids < 64 ? sizes[0] / sizeof *ids : 64;
        memcpy(ids, parts[0], nid * sizeof *ids);
        for (size_t i = 0; i < nid && (ctl & 8); i++)
            ids[i] = (int32_t)((uint32_t)ids[i] % (uint32_t)(dcl_tokenizer_vocab_size(tok) + 2)) - 1;
        char *text = NULL;
        size_t len = 0;
        if (dcl_tokenizer_decode(tok, ids, nid, ctl & 1, &text, &len) == DCL_OK) {
            if (strlen(text) > len)
                abort(); /* NUL-terminated at len (a decoded NUL may come earlier) */
            dcl_string_free(text);
        }
    }

    dcl_encoding *enc = NULL;
    dcl_status st;
    if (n == 2)
        st = dcl_tokenizer_encode_pair(tok, (const char *)parts[0], sizes[0], (const char *)parts[1], sizes[1], &p,
                                       &enc);
    else
        st = dcl_tokenizer_encode(tok, (const char *)parts[0], sizes[0], &p, &enc);
    if (st != DCL_OK)
        return 0;
    for (size_t i = 0; i < enc->length; i++) {
        if (enc->ids[i] < 0 || (size_t)enc->ids[i] >= dcl_tokenizer_vocab_size(tok))
            abort(); /* every id of an encoding is in the vocabulary */
        if (enc->offsets[2 * i] > enc->offsets[2 * i + 1])
            abort();
    }
    for (int skip = 0; skip < 2; skip++) {
        char *text = NULL;
        size_t len = 0;
        if (dcl_tokenizer_decode(tok, enc->ids, enc->length, skip, &text, &len) == DCL_OK)
            dcl_string_free(text);
    }
    /* the batch path with the same text twice */
    const char *texts[2] = {(const char *)parts[0], (const char *)parts[0]};
    const size_t lens[2] = {sizes[0], sizes[0] / 2};
    dcl_encoding *batch[2] = {NULL, NULL};
    p.padding = DCL_PAD_LONGEST;
    if (dcl_tokenizer_encode_batch(tok, texts, lens, NULL, NULL, 2, &p, batch) == DCL_OK) {
        if (batch[0]->length != batch[1]->length)
            abort();
        dcl_encoding_free(batch[0]);
        dcl_encoding_free(batch[1]);
    }
    dcl_encoding_free(enc);
    return 0;
}
