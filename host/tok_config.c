/* SPDX-License-Identifier: Apache-2.0 */
/* Tokenizers: configuration (tokenizer_config.json, special_tokens_map.json, added_tokens.json)
 * and the added-token table. See tokenizer.h. */
#include "tokenizer.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "tok_text.h"
#include "util.h"

#define OOM(what) dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "tokenizer: out of memory (%s)", what)

/* ---- configuration ------------------------------------------------------------------------ */

/* A token setting: a string, or an object with "content". */
static const char *token_string(const cJSON *v)
{
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsObject(v)) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "content");
        if (cJSON_IsString(c))
            return c->valuestring;
    }
    return NULL;
}

static int json_bool(const cJSON *obj, const char *key, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    return def;
}

static int32_t lookup_any(const dcl_tokenizer *tok, const char *s, size_t len)
{
    for (size_t i = 0; i < tok->n_added; i++)
        if (tok->added[i].len == len && !memcmp(tok->added[i].content, s, len))
            return tok->added[i].id;
    return tok_strmap_get(&tok->model_ids, s, len);
}

/* Adds (or updates) an added token; id < 0: the model's id of that text, else the next free id. */
static dcl_status add_token(dcl_tokenizer *tok, const char *content, int32_t id, int special, int lstrip,
                            int rstrip, int single_word)
{
    size_t len = strlen(content);
    if (len == 0)
        return DCL_OK;
    for (size_t i = 0; i < tok->n_added; i++) {
        if (tok->added[i].len == len && !memcmp(tok->added[i].content, content, len)) {
            tok->added[i].special |= special;
            return DCL_OK;
        }
    }
    if (id < 0)
        id = tok_strmap_get(&tok->model_ids, content, len);
    if (id < 0)
        id = (int32_t)tok->n_vocab;
    if ((size_t)id >= tok->n_vocab) {
        size_t nv = (size_t)id + 1;
        char **v = realloc(tok->vocab, nv * sizeof *v);
        if (!v)
            return OOM("vocabulary");
        memset(v + tok->n_vocab, 0, (nv - tok->n_vocab) * sizeof *v);
        tok->vocab = v;
        tok->n_vocab = nv;
    }
    if (!tok->vocab[id]) {
        if ((size_t)id < tok->n_model)
            return dcl_fail(NULL, DCL_ERR_FORMAT, "tokenizer: added token id %d is a hole in the model", (int)id);
        tok->vocab[id] = dcl_strdup(content);
        if (!tok->vocab[id])
            return OOM("token");
    }
    tok_added *a = realloc(tok->added, (tok->n_added + 1) * sizeof *a);
    if (!a)
        return OOM("added tokens");
    tok->added = a;
    tok_added *t = &tok->added[tok->n_added];
    t->content = dcl_strdup(content);
    if (!t->content)
        return OOM("token");
    t->len = len;
    t->id = id;
    t->special = special;
    t->lstrip = lstrip;
    t->rstrip = rstrip;
    t->single_word = single_word;
    t->normalized = -1;
    t->ncontent = NULL;
    t->nlen = 0;
    tok->n_added++;
    return DCL_OK;
}

dcl_status tok_add_token(dcl_tokenizer *tok, const char *content, int32_t id, int special, int lstrip, int rstrip,
                         int single_word, int normalized)
{
    dcl_status st = add_token(tok, content, id, special, lstrip, rstrip, single_word);
    size_t len = strlen(content);
    for (size_t i = 0; st == DCL_OK && i < tok->n_added; i++)
        if (tok->added[i].len == len && !memcmp(tok->added[i].content, content, len))
            tok->added[i].normalized = normalized;
    return st;
}

dcl_status tok_load_configs(dcl_tokenizer *tok, const cJSON *cfg, const cJSON *map, const cJSON *added,
                            const char *dir)
{
    dcl_status st = DCL_OK;
    /* added ids take the model's ids or the ones right after it: at most one new id per entry of
     * these files, so that an id cannot size the vocabulary table beyond what the files hold */
    const size_t id_limit =
        tok->n_vocab + 8 + (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cfg, "added_tokens_decoder")) +
        (size_t)cJSON_GetArraySize(added) +
        (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cfg, "extra_special_tokens")) +
        (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cfg, "additional_special_tokens")) +
        (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(map, "additional_special_tokens"));
    tok->do_lower_case = json_bool(cfg, "do_lower_case", 0);
    tok->split_by_punct = json_bool(cfg, "split_by_punct", 0);
    /* transformers skips the clean-up for BPE unless told to anyway */
    tok->clean_up_spaces = json_bool(cfg, "clean_up_tokenization_spaces", 0) &&
                           (tok->kind != TOK_BPE ||
                            json_bool(cfg, "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output", 0));
    tok->add_prefix_space = json_bool(cfg, "add_prefix_space", tok->kind == TOK_UNIGRAM);
    const cJSON *mml = cJSON_GetObjectItemCaseSensitive(cfg, "model_max_length");
    if (cJSON_IsNumber(mml) && mml->valuedouble > 0 && mml->valuedouble < 1e15)
        tok->model_max_length = (size_t)mml->valuedouble;

    /* added_tokens_decoder (id -> flags), then added_tokens.json (content -> id) */
    const cJSON *dec = cJSON_GetObjectItemCaseSensitive(cfg, "added_tokens_decoder");
    if (cJSON_IsObject(dec)) {
        for (const cJSON *it = dec->child; it && st == DCL_OK; it = it->next) {
            const char *c = token_string(it);
            char *end = NULL;
            long id = strtol(it->string ? it->string : "", &end, 10);
            if (!c || !end || *end || id < 0 || id > 0x7fffffff) {
                st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s/tokenizer_config.json: bad added_tokens_decoder entry", dir);
                break;
            }
            if ((size_t)id >= id_limit) {
                st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s/tokenizer_config.json: added token id %ld is beyond the %zu "
                              "ids that the vocabulary and the added tokens can have", dir, id, id_limit);
                break;
            }
            st = tok_add_token(tok, c, (int32_t)id, json_bool(it, "special", 0), json_bool(it, "lstrip", 0),
                               json_bool(it, "rstrip", 0), json_bool(it, "single_word", 0),
                               json_bool(it, "normalized", -1));
        }
    }
    if (added && st == DCL_OK) {
        for (const cJSON *it = added->child; it && st == DCL_OK; it = it->next) {
            if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0 && it->valuedouble <= INT32_MAX) ||
                it->valuedouble != (double)(int32_t)it->valuedouble) {
                st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s/added_tokens.json: bad entry", dir);
                break;
            }
            if ((size_t)it->valuedouble >= id_limit) {
                st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s/added_tokens.json: id %.0f of \"%s\" is beyond the %zu ids "
                              "that the vocabulary and the added tokens can have", dir, it->valuedouble, it->string,
                              id_limit);
                break;
            }
            st = add_token(tok, it->string, (int32_t)it->valuedouble, 0, 0, 0, 0);
        }
    }
    /* the special tokens: defaults, special_tokens_map.json, tokenizer_config.json */
    static const char *const keys[5] = {"cls_token", "sep_token", "pad_token", "mask_token", "unk_token"};
    static const char *const defaults[5] = {"[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"};
    int32_t *ids[5] = {&tok->cls_id, &tok->sep_id, &tok->pad_id, &tok->mask_id, &tok->unk_id};
    for (int k = 0; k < 5 && st == DCL_OK; k++) {
        const char *s = defaults[k];
        const char *v = token_string(cJSON_GetObjectItemCaseSensitive(map, keys[k]));
        if (v)
            s = v;
        v = token_string(cJSON_GetObjectItemCaseSensitive(cfg, keys[k]));
        if (v)
            s = v;
        if (!*s) {
            st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: %s is empty (name the token, or leave the setting out)", dir,
                          keys[k]);
            break;
        }
        st = add_token(tok, s, -1, 1, 0, 0, 0);
        if (st == DCL_OK)
            *ids[k] = lookup_any(tok, s, strlen(s));
    }
    /* extra special tokens of tokenizer_config.json (transformers 5 writes them) */
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(cfg, "extra_special_tokens");
    if (!cJSON_IsArray(extra) || !cJSON_GetArraySize(extra))
        extra = cJSON_GetObjectItemCaseSensitive(cfg, "additional_special_tokens");
    if (cJSON_IsArray(extra))
        for (const cJSON *it = extra->child; it && st == DCL_OK; it = it->next) {
            const char *s = token_string(it);
            if (s)
                st = add_token(tok, s, -1, 1, 0, 0, 0);
        }
    /* additional special tokens */
    extra = cJSON_GetObjectItemCaseSensitive(map, "additional_special_tokens");
    if (cJSON_IsArray(extra))
        for (const cJSON *it = extra->child; it && st == DCL_OK; it = it->next) {
            const char *s = token_string(it);
            if (s)
                st = add_token(tok, s, -1, 1, 0, 0, 0);
        }
    /* the unigram's unknown piece: the piece named like unk_token with score 0, else the model's */
    if (st == DCL_OK && tok->kind == TOK_UNIGRAM) {
        const char *u = tok->vocab[tok->unk_id];
        int32_t mid = u ? tok_strmap_get(&tok->model_ids, u, strlen(u)) : -1;
        if (mid >= 0 && tok->scores[mid] == 0.0)
            tok->unk_model_id = mid;
    }
    return st;
}
