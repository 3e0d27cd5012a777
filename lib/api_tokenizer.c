/* SPDX-License-Identifier: Apache-2.0 */
/* Public tokenizer API: argument checks, UTF-8 validation; the work is in host/tokenizer*.c. */
#include <stdlib.h>
#include <string.h>

#include "debertacl.h"
#include "tok_text.h"
#include "tokenizer.h"
#include "util.h"

dcl_status dcl_tokenizer_load(const char *model_dir, dcl_tokenizer **out)
{
    if (!out)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_tokenizer_load: out is NULL");
    *out = NULL;
    if (!model_dir || !*model_dir)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_tokenizer_load: model_dir is NULL or empty");
    return tok_load(model_dir, out);
}

void dcl_tokenizer_free(dcl_tokenizer *tok)
{
    tok_free(tok);
}

dcl_tokenize_params dcl_tokenize_default_params(void)
{
    dcl_tokenize_params p;
    memset(&p, 0, sizeof p);
    p.add_special_tokens = 1;
    p.truncation = DCL_TRUNCATE_NONE;
    p.padding = DCL_PAD_NONE;
    return p;
}

void dcl_encoding_free(dcl_encoding *enc)
{
    tok_encoding_free(enc);
}

void dcl_string_free(char *s)
{
    free(s);
}

static dcl_status check_params(const dcl_tokenize_params *p)
{
    if ((unsigned)p->truncation > DCL_TRUNCATE_ONLY_SECOND)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "tokenizer: unknown truncation strategy %d",
                        (int)p->truncation);
    if ((unsigned)p->padding > DCL_PAD_MAX_LENGTH)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "tokenizer: unknown padding %d", (int)p->padding);
    return DCL_OK;
}

/* Validates (or repairs) one text; *fixed is a malloc'd replacement when it had to be repaired. */
static dcl_status check_text(const char *what, const char *text, size_t len, const dcl_tokenize_params *p,
                             char **fixed, size_t *fixed_len)
{
    *fixed = NULL;
    if (!text && len)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "tokenizer: %s is NULL", what);
    if (len > 0xF0000000u)
        return dcl_fail(NULL, DCL_ERR_RANGE, "tokenizer: %s is longer than 3.7 GiB", what);
    size_t bad = len ? tok_utf8_check(text, len) : 0;
    if (bad == len)
        return DCL_OK;
    if (!p->replace_invalid_utf8)
        return dcl_fail(NULL, DCL_ERR_FORMAT, "tokenizer: %s is not valid UTF-8 (byte %zu)", what, bad);
    *fixed = tok_utf8_lossy(text, len, fixed_len);
    if (!*fixed)
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "tokenizer: out of memory");
    return DCL_OK;
}

static dcl_status encode_one(const dcl_tokenizer *tok, const char *text, size_t len, const char *pair,
                             size_t pair_len, int has_pair, const dcl_tokenize_params *p, dcl_encoding **out)
{
    char *f1 = NULL, *f2 = NULL;
    size_t l1 = 0, l2 = 0;
    dcl_status st = check_text("text", text, len, p, &f1, &l1);
    if (st == DCL_OK && has_pair)
        st = check_text("pair text", pair, pair_len, p, &f2, &l2);
    if (st == DCL_OK)
        st = tok_encode(tok, f1 ? f1 : (text ? text : ""), f1 ? l1 : len,
                        has_pair ? (f2 ? f2 : (pair ? pair : "")) : NULL, f2 ? l2 : pair_len, p, out);
    free(f1);
    free(f2);
    return st;
}

dcl_status dcl_tokenizer_encode(const dcl_tokenizer *tok, const char *text, size_t len,
                                        const dcl_tokenize_params *params, dcl_encoding **out)
{
    if (!out)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_tokenizer_encode: out is NULL");
    *out = NULL;
    if (!tok)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_tokenizer_encode: tokenizer is NULL");
    dcl_tokenize_params p = params ? *params : dcl_tokenize_default_params();
    dcl_status st = check_params(&p);
    if (st != DCL_OK)
        return st;
    return encode_one(tok, text, len, NULL, 0, 0, &p, out);
}

dcl_status dcl_tokenizer_encode_pair(const dcl_tokenizer *tok, const char *text, size_t len,
                                             const char *pair, size_t pair_len,
                                             const dcl_tokenize_params *params, dcl_encoding **out)
{
    if (!out)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_tokenizer_encode_pair: out is NULL");
    *out = NULL;
    if (!tok)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_tokenizer_encode_pair: tokenizer is NULL");
    dcl_tokenize_params p = params ? *params : dcl_tokenize_default_params();
    dcl_status st = check_params(&p);
    if (st != DCL_OK)
        return st;
    return encode_one(tok, text, len, pair, pair_len, 1, &p, out);
}

dcl_status dcl_tokenizer_encode_batch(const dcl_tokenizer *tok, const char *const *texts,
                                              const size_t *lens, const char *const *pairs,
                                              const size_t *pair_lens, size_t n,
                                              const dcl_tokenize_params *params, dcl_encoding **out)
{
    if (!out || !tok || (n && (!texts || !lens)) || (pairs && !pair_lens))
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_tokenizer_encode_batch: NULL argument");
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    dcl_tokenize_params p = params ? *params : dcl_tokenize_default_params();
    dcl_status st = check_params(&p);
    if (st != DCL_OK)
        return st;
    int longest = p.padding == DCL_PAD_LONGEST;
    if (longest)
        p.padding = DCL_PAD_NONE;
    size_t maxlen = 0;
    for (size_t i = 0; i < n && st == DCL_OK; i++) {
        st = encode_one(tok, texts[i], lens[i], pairs ? pairs[i] : NULL, pairs ? pair_lens[i] : 0, pairs != NULL,
                        &p, &out[i]);
        if (st == DCL_OK && out[i]->length > maxlen)
            maxlen = out[i]->length;
    }
    for (size_t i = 0; i < n && st == DCL_OK && longest; i++)
        st = tok_pad(tok, out[i], maxlen);
    if (st != DCL_OK) {
        for (size_t i = 0; i < n; i++) {
            tok_encoding_free(out[i]);
            out[i] = NULL;
        }
    }
    return st;
}

dcl_status dcl_tokenizer_decode(const dcl_tokenizer *tok, const int32_t *ids, size_t n,
                                        int skip_special_tokens, char **text, size_t *len)
{
    if (!text)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_tokenizer_decode: text is NULL");
    *text = NULL;
    if (!tok || (n && !ids))
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_tokenizer_decode: NULL argument");
    return tok_decode(tok, ids, n, skip_special_tokens, text, len);
}

size_t dcl_tokenizer_vocab_size(const dcl_tokenizer *tok)
{
    return tok ? tok->n_vocab : 0;
}

size_t dcl_tokenizer_model_max_length(const dcl_tokenizer *tok)
{
    return tok ? tok->model_max_length : 0;
}

int32_t dcl_tokenizer_special_id(const dcl_tokenizer *tok, dcl_special_token which)
{
    if (!tok)
        return -1;
    switch (which) {
    case DCL_TOKEN_CLS: return tok->cls_id;
    case DCL_TOKEN_SEP: return tok->sep_id;
    case DCL_TOKEN_PAD: return tok->pad_id;
    case DCL_TOKEN_MASK: return tok->mask_id;
    case DCL_TOKEN_UNK: return tok->unk_id;
    default: return -1;
    }
}

int32_t dcl_tokenizer_token_to_id(const dcl_tokenizer *tok, const char *token)
{
    if (!tok || !token)
        return -1;
    size_t len = strlen(token);
    for (size_t i = 0; i < tok->n_added; i++)
        if (tok->added[i].len == len && !memcmp(tok->added[i].content, token, len))
            return tok->added[i].id;
    return tok_strmap_get(&tok->model_ids, token, len);
}

const char *dcl_tokenizer_id_to_token(const dcl_tokenizer *tok, int32_t id)
{
    if (!tok || id < 0 || (size_t)id >= tok->n_vocab)
        return NULL;
    return tok->vocab[id];
}

dcl_tok_source dcl_tokenizer_source(const dcl_tokenizer *tok)
{
    return tok ? tok->source : (dcl_tok_source)0;
}

const char *dcl_tok_source_string(dcl_tok_source source)
{
    switch (source) {
    case DCL_TOKENIZER_SPM: return "spm.model (DebertaV2Tokenizer)";
    case DCL_TOKENIZER_VOCAB_MERGES: return "vocab.json + merges.txt (DebertaTokenizer)";
    case DCL_TOKENIZER_JSON_MODEL: return "tokenizer.json model, stages of the DeBERTa tokenizer class";
    case DCL_TOKENIZER_JSON: return "tokenizer.json, every stage as written";
    default: return "unknown";
    }
}
