/* SPDX-License-Identifier: Apache-2.0 */
/* tokenizer.json (Hugging Face tokenizers' serialization), read into the stages of tokenizer.h:
 * the model (Unigram or BPE) with its added tokens, and, for a class that is not a DeBERTa one,
 * the normalizer, pre-tokenizer, post-processor and decoder. Components that the encoder does not
 * reproduce exactly are refused with DCL_ERR_UNSUPPORTED naming the field. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_text.h"
#include "tokenizer.h"
#include "util.h"

#define JFAIL(code, ...) dcl_fail(NULL, code, __VA_ARGS__)

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *type_of(const cJSON *o)
{
    return cJSON_GetStringValue(get(o, "type"));
}

/* A boolean field: def when absent or null, -1 when it is something else. */
static int flag(const cJSON *o, const char *key, int def)
{
    const cJSON *v = get(o, key);
    if (!v || cJSON_IsNull(v))
        return def;
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

/* An integer in [0, max]; -1 when it is not one. */
static int64_t int_in(const cJSON *v, int64_t max)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)max ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return -1;
    return (int64_t)v->valuedouble;
}

/* ---- the model -------------------------------------------------------------------------- */

static dcl_status unigram_model(dcl_tokenizer *tok, const cJSON *model, const char *w)
{
    const cJSON *vocab = get(model, "vocab");
    if (!cJSON_IsArray(vocab) || !vocab->child)
        return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: model.vocab is not a list of [piece, score]", w);
    size_t n = 0, blob = 0;
    for (const cJSON *it = vocab->child; it; it = it->next, n++) {
        const cJSON *p = cJSON_IsArray(it) ? it->child : NULL;
        if (!cJSON_IsString(p) || !cJSON_IsNumber(p->next) || p->next->next)
            return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: model.vocab[%zu] is not [piece, score]", w, n);
        size_t l = strlen(p->valuestring);
        if (tok_utf8_check(p->valuestring, l) != l)
            return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: model.vocab[%zu] is not valid UTF-8", w, n);
        blob += l + 1;
    }
    if (n > 0x7fffffff)
        return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: model.vocab is too large", w);
    dcl_status st = tok_unigram_init(tok, n, blob);
    if (st != DCL_OK)
        return st;
    size_t i = 0;
    for (const cJSON *it = vocab->child; it; it = it->next, i++) {
        const cJSON *p = it->child;
        if (tok_unigram_put(tok, i, p->valuestring, strlen(p->valuestring), p->next->valuedouble))
            return JFAIL(DCL_ERR_OUT_OF_MEMORY, "%s/tokenizer.json: out of memory", w);
    }
    const cJSON *unk = get(model, "unk_id");
    int64_t u = unk && !cJSON_IsNull(unk) ? int_in(unk, (int64_t)n - 1) : 0;
    if (u < 0)
        return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: model.unk_id is not an id of model.vocab", w);
    tok->unk_model_id = (int32_t)u;
    return DCL_OK;
}

static dcl_status bpe_model(dcl_tokenizer *tok, const cJSON *model, const char *w)
{
    char what[600];
    snprintf(what, sizeof what, "%s/tokenizer.json: model.vocab", w);
    dcl_status st = tok_bpe_set_vocab(tok, get(model, "vocab"), what);
    if (st != DCL_OK)
        return st;
    const cJSON *merges = get(model, "merges");
    if (!cJSON_IsArray(merges))
        return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: model.merges is not a list", w);
    snprintf(what, sizeof what, "%s/tokenizer.json: model.merges", w);
    int32_t rank = 0;
    for (const cJSON *it = merges->child; it; it = it->next, rank++) {
        if (rank == INT32_MAX)
            return JFAIL(DCL_ERR_FORMAT, "%s: too many merges", what);
        /* "a b" (tokenizers < 0.20) or ["a", "b"] */
        const char *a = NULL, *b = NULL;
        size_t la = 0, lb = 0;
        if (cJSON_IsString(it)) {
            const char *s = it->valuestring, *sp = strchr(s, ' ');
            if (sp && !strchr(sp + 1, ' ')) {
                a = s;
                la = (size_t)(sp - s);
                b = sp + 1;
                lb = strlen(b);
            }
        } else if (cJSON_IsArray(it) && cJSON_IsString(it->child) && cJSON_IsString(it->child->next) &&
                   !it->child->next->next) {
            a = it->child->valuestring;
            la = strlen(a);
            b = it->child->next->valuestring;
            lb = strlen(b);
        }
        if (!a)
            return JFAIL(DCL_ERR_FORMAT, "%s[%d] is not two tokens", what, (int)rank);
        st = tok_bpe_add_merge(tok, a, la, b, lb, rank, what, (size_t)rank);
        if (st != DCL_OK)
            return st;
    }
    return DCL_OK;
}

dcl_status tok_json_model(dcl_tokenizer *tok, const cJSON *root, const char *w, int with_added)
{
    const cJSON *model = get(root, "model");
    if (!cJSON_IsObject(model))
        return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: no \"model\" object", w);
    const char *type = type_of(model);
    if (!type) /* files of old tokenizers versions have no type: tell the two models by their vocab */
        type = cJSON_IsArray(get(model, "vocab")) ? "Unigram" : get(model, "merges") ? "BPE" : "";
    dcl_status st;
    if (!strcmp(type, "Unigram"))
        st = unigram_model(tok, model, w);
    else if (!strcmp(type, "BPE"))
        st = bpe_model(tok, model, w);
    else
        return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: model.type \"%s\" is not supported (Unigram, BPE)", w,
                     type);
    if (st != DCL_OK || !with_added)
        return st;
    const cJSON *added = get(root, "added_tokens");
    if (!added || cJSON_IsNull(added))
        return DCL_OK;
    if (!cJSON_IsArray(added))
        return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: added_tokens is not a list", w);
    /* added tokens take the model's ids or the ones right after it: an id far beyond both is an
     * error rather than a vocabulary table sized by it */
    const size_t n_added = (size_t)cJSON_GetArraySize(added);
    size_t i = 0;
    for (const cJSON *it = added->child; it && st == DCL_OK; it = it->next, i++) {
        const char *content = cJSON_GetStringValue(get(it, "content"));
        int64_t id = int_in(get(it, "id"), (int64_t)(tok->n_model + n_added));
        int special = flag(it, "special", 0), lstrip = flag(it, "lstrip", 0), rstrip = flag(it, "rstrip", 0);
        int single = flag(it, "single_word", 0), normalized = flag(it, "normalized", !special);
        if (!content || id < 0 || special < 0 || lstrip < 0 || rstrip < 0 || single < 0 || normalized < 0)
            return JFAIL(DCL_ERR_FORMAT,
                         "%s/tokenizer.json: added_tokens[%zu] is not {id (at most %zu), content, flags}", w, i,
                         tok->n_model + n_added);
        size_t l = strlen(content);
        if (tok_utf8_check(content, l) != l)
            return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: added_tokens[%zu] is not valid UTF-8", w, i);
        st = tok_add_token(tok, content, (int32_t)id, special, lstrip, rstrip, single, normalized);
    }
    return st;
}

/* ---- the stages of a generic tokenizer.json ---------------------------------------------- */

static dcl_status normalizer(dcl_tokenizer *tok, const cJSON *n, const char *w, const char *field)
{
    const char *t = type_of(n);
    tok_norm op = 0;
    if (!t) {
        return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: %s has no type", w, field);
    } else if (!strcmp(t, "Lowercase")) {
        op = TOK_NORM_LOWERCASE;
    } else if (!strcmp(t, "NFC")) {
        op = TOK_NORM_NFC;
    } else if (!strcmp(t, "Strip")) {
        if (flag(n, "strip_left", 1) != 0 || flag(n, "strip_right", 1) != 1)
            return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: %s Strip other than right-only is not supported", w,
                         field);
        op = TOK_NORM_RSTRIP;
    } else if (!strcmp(t, "Replace")) {
        const char *re = cJSON_GetStringValue(get(get(n, "pattern"), "Regex"));
        const char *content = cJSON_GetStringValue(get(n, "content"));
        if (!re || strcmp(re, "\\s{2,}|[\\n\\r\\t]") || !content || strcmp(content, " "))
            return JFAIL(DCL_ERR_UNSUPPORTED,
                         "%s/tokenizer.json: %s Replace is supported only for Regex \\s{2,}|[\\n\\r\\t] -> \" \"", w,
                         field);
        op = TOK_NORM_REPLACE_WS;
    } else {
        return JFAIL(DCL_ERR_UNSUPPORTED,
                     "%s/tokenizer.json: %s type \"%s\" is not supported (Lowercase, NFC, Strip, Replace)", w, field,
                     t);
    }
    if (tok->n_norms == TOK_MAX_NORMS)
        return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: more than %d normalizers", w, TOK_MAX_NORMS);
    tok->norms[tok->n_norms++] = op;
    return DCL_OK;
}

static dcl_status normalizers(dcl_tokenizer *tok, const cJSON *root, const char *w)
{
    tok->n_norms = 0;
    const cJSON *n = get(root, "normalizer");
    if (!n || cJSON_IsNull(n))
        return DCL_OK;
    const char *t = type_of(n);
    if (!t || strcmp(t, "Sequence"))
        return normalizer(tok, n, w, "normalizer");
    const cJSON *list = get(n, "normalizers");
    if (!cJSON_IsArray(list))
        return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: normalizer.normalizers is not a list", w);
    size_t i = 0;
    for (const cJSON *it = list->child; it; it = it->next, i++) {
        char field[64];
        snprintf(field, sizeof field, "normalizer.normalizers[%zu]", i);
        dcl_status st = normalizer(tok, it, w, field);
        if (st != DCL_OK)
            return st;
    }
    return DCL_OK;
}

/* Metaspace with U+2581 and split, as the unigram pipeline runs it; prepend scheme in *out. */
static dcl_status metaspace(const cJSON *m, const char *w, const char *field, tok_prepend *out)
{
    const char *r = cJSON_GetStringValue(get(m, "replacement"));
    if (!r || strcmp(r, "\xE2\x96\x81") || flag(m, "split", 1) != 1)
        return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: %s Metaspace is supported with replacement U+2581 and split",
                     w, field);
    const char *s = cJSON_GetStringValue(get(m, "prepend_scheme"));
    if (!s) /* files of tokenizers < 0.15: add_prefix_space */
        s = flag(m, "add_prefix_space", 1) == 1 ? "always" : "never";
    if (!strcmp(s, "always"))
        *out = TOK_PREPEND_ALWAYS;
    else if (!strcmp(s, "first"))
        *out = TOK_PREPEND_FIRST;
    else if (!strcmp(s, "never"))
        *out = TOK_PREPEND_NEVER;
    else
        return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: %s prepend_scheme \"%s\"", w, field, s);
    return DCL_OK;
}

static dcl_status pre_tokenizer(dcl_tokenizer *tok, const cJSON *root, const char *w)
{
    const cJSON *p = get(root, "pre_tokenizer");
    const cJSON *items[2];
    size_t n = 0;
    if (cJSON_IsObject(p) && type_of(p) && !strcmp(type_of(p), "Sequence")) {
        const cJSON *list = get(p, "pretokenizers");
        if (!cJSON_IsArray(list))
            return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: pre_tokenizer.pretokenizers is not a list", w);
        for (const cJSON *it = list->child; it; it = it->next)
            if (n++ < 2)
                items[n - 1] = it;
    } else if (cJSON_IsObject(p)) {
        items[n++] = p;
    }
    const char *want = tok->kind == TOK_UNIGRAM ? "[Punctuation(isolated)] Metaspace" : "ByteLevel";
    const char *t0 = n ? type_of(items[0]) : NULL, *t1 = n > 1 ? type_of(items[1]) : NULL;
    tok->split_by_punct = 0;
    if (tok->kind == TOK_UNIGRAM && n == 1 && t0 && !strcmp(t0, "Metaspace"))
        return metaspace(items[0], w, "pre_tokenizer", &tok->prepend);
    if (tok->kind == TOK_UNIGRAM && n == 2 && t0 && t1 && !strcmp(t0, "Punctuation") && !strcmp(t1, "Metaspace")) {
        const char *b = cJSON_GetStringValue(get(items[0], "behavior"));
        if (b && strcmp(b, "Isolated") && strcmp(b, "isolated"))
            return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: pre_tokenizer Punctuation behavior \"%s\" (Isolated)",
                         w, b);
        tok->split_by_punct = 1;
        return metaspace(items[1], w, "pre_tokenizer", &tok->prepend);
    }
    if (tok->kind == TOK_BPE && n == 1 && t0 && !strcmp(t0, "ByteLevel")) {
        int aps = flag(items[0], "add_prefix_space", 1), re = flag(items[0], "use_regex", 1);
        if (aps < 0 || re != 1)
            return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: pre_tokenizer ByteLevel is supported with use_regex",
                         w);
        tok->add_prefix_space = aps;
        return DCL_OK;
    }
    return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: pre_tokenizer %s%s is not supported with a %s model (%s)", w,
                 t0 ? t0 : "null", n > 1 ? " + ..." : "", tok->kind == TOK_UNIGRAM ? "Unigram" : "BPE", want);
}

/* One TemplateProcessing template ("single" or "pair"). */
static dcl_status template_of(const cJSON *pp, const char *name, int pair, tok_template *out, const char *w)
{
    const cJSON *list = get(pp, name), *specials = get(pp, "special_tokens");
    if (!cJSON_IsArray(list))
        return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: post_processor.%s is not a list", w, name);
    out->n = 0;
    int seen[3] = {0, 0, 0};
    size_t i = 0;
    for (const cJSON *it = list->child; it; it = it->next, i++) {
        const cJSON *sp = get(it, "SpecialToken"), *sq = get(it, "Sequence");
        const cJSON *body = sp ? sp : sq;
        const char *id = cJSON_GetStringValue(get(body, "id"));
        int64_t type = int_in(get(body, "type_id"), 0x7fffffff);
        if (!id || type < 0)
            return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: post_processor.%s[%zu] is not a SpecialToken or Sequence",
                         w, name, i);
        if (sq) {
            int seq = !strcmp(id, "A") ? 1 : !strcmp(id, "B") ? 2 : 0;
            if (!seq || seen[seq]++ || (seq == 2 && !pair))
                return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: post_processor.%s[%zu]: sequence \"%s\"", w, name, i,
                             id);
            if (out->n == TOK_MAX_PIECES)
                return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: post_processor.%s is too long", w, name);
            out->p[out->n++] = (tok_piece){0, seq, (int32_t)type};
            continue;
        }
        const cJSON *ids = get(get(specials, id), "ids");
        if (!cJSON_IsArray(ids))
            return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: post_processor.special_tokens has no \"%s\" with ids", w,
                         id);
        for (const cJSON *x = ids->child; x; x = x->next) {
            int64_t v = int_in(x, 0x7fffffff);
            if (v < 0)
                return JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: post_processor.special_tokens[\"%s\"]: bad id", w, id);
            if (out->n == TOK_MAX_PIECES)
                return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: post_processor.%s is too long", w, name);
            out->p[out->n++] = (tok_piece){(int32_t)v, 0, (int32_t)type};
        }
    }
    return DCL_OK;
}

static dcl_status post_processor(dcl_tokenizer *tok, const cJSON *root, const char *w)
{
    const cJSON *pp = get(root, "post_processor");
    if (!pp || cJSON_IsNull(pp)) { /* no special tokens; the pair's tokens have type 1 */
        tok->single = (tok_template){{{0, 1, 0}}, 1};
        tok->pair = (tok_template){{{0, 1, 0}, {0, 2, 1}}, 2};
        return DCL_OK;
    }
    const char *t = type_of(pp);
    if (!t || strcmp(t, "TemplateProcessing"))
        return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: post_processor type \"%s\" is not supported "
                                          "(TemplateProcessing)", w, t ? t : "(none)");
    dcl_status st = template_of(pp, "single", 0, &tok->single, w);
    if (st == DCL_OK)
        st = template_of(pp, "pair", 1, &tok->pair, w);
    /* ids of the template index the vocabulary */
    for (size_t k = 0; st == DCL_OK && k < tok->single.n + tok->pair.n; k++) {
        const tok_piece *p = k < tok->single.n ? &tok->single.p[k] : &tok->pair.p[k - tok->single.n];
        if (p->seq == 0 && (size_t)p->id >= tok->n_vocab)
            st = JFAIL(DCL_ERR_FORMAT, "%s/tokenizer.json: post_processor special id %d is outside the vocabulary (%zu)",
                       w, (int)p->id, tok->n_vocab);
    }
    return st;
}

static dcl_status decoder(const dcl_tokenizer *tok, const cJSON *root, const char *w)
{
    const cJSON *d = get(root, "decoder");
    const char *t = type_of(d);
    if (tok->kind == TOK_UNIGRAM && t && !strcmp(t, "Metaspace")) {
        tok_prepend pre;
        dcl_status st = metaspace(d, w, "decoder", &pre);
        if (st == DCL_OK && pre == TOK_PREPEND_NEVER)
            st = JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: decoder Metaspace with prepend_scheme never", w);
        return st;
    }
    if (tok->kind == TOK_BPE && t && !strcmp(t, "ByteLevel"))
        return DCL_OK;
    return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: decoder %s is not supported with a %s model (%s)", w,
                 t ? t : "null", tok->kind == TOK_UNIGRAM ? "Unigram" : "BPE",
                 tok->kind == TOK_UNIGRAM ? "Metaspace" : "ByteLevel");
}

/* Model options the encoder does not reproduce. */
static dcl_status model_options(const dcl_tokenizer *tok, const cJSON *root, const char *w)
{
    const cJSON *m = get(root, "model");
    if (flag(m, "byte_fallback", 0) != 0)
        return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: model.byte_fallback is not supported", w);
    if (tok->kind == TOK_UNIGRAM) {
        const cJSON *u = get(m, "unk_id");
        if (!u || cJSON_IsNull(u))
            return JFAIL(DCL_ERR_UNSUPPORTED, "%s/tokenizer.json: model.unk_id null (a Unigram without unknown piece)",
                         w);
        return DCL_OK;
    }
    const cJSON *dropout = get(m, "dropout");
    const char *cs = cJSON_GetStringValue(get(m, "continuing_subword_prefix"));
    const char *ew = cJSON_GetStringValue(get(m, "end_of_word_suffix"));
    if ((dropout && !cJSON_IsNull(dropout)) || (cs && *cs) || (ew && *ew) || flag(m, "ignore_merges", 0) != 0)
        return JFAIL(DCL_ERR_UNSUPPORTED,
                     "%s/tokenizer.json: model.dropout, continuing_subword_prefix, end_of_word_suffix or "
                     "ignore_merges is set: not supported",
                     w);
    return DCL_OK;
}

dcl_status tok_json_stages(dcl_tokenizer *tok, const cJSON *root, const char *w)
{
    dcl_status st = model_options(tok, root, w);
    if (st == DCL_OK)
        st = normalizers(tok, root, w);
    if (st == DCL_OK)
        st = pre_tokenizer(tok, root, w);
    if (st == DCL_OK)
        st = post_processor(tok, root, w);
    if (st == DCL_OK)
        st = decoder(tok, root, w);
    return st;
}
