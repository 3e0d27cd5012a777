/* SPDX-License-Identifier: Apache-2.0 */
/* Tokenizer folders: which files make the tokenizer (as transformers' AutoTokenizer chooses
 * them), read from a folder or from memory, and the stages of the DeBERTa tokenizer classes. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer.h"
#include "util.h"

#define OOM(what) dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "tokenizer: out of memory (%s)", what)

/* Parses one optional JSON file of the folder (absent: *out = NULL). */
static dcl_status parse_json(const tok_file *file, const char *where, const char *name, cJSON **out)
{
    *out = NULL;
    if (!file->data)
        return DCL_OK;
    cJSON *j = cJSON_ParseWithLength(file->data, file->len);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return dcl_fail(NULL, DCL_ERR_FORMAT, "%s/%s: not a JSON object", where, name);
    }
    *out = j;
    return DCL_OK;
}

/* The DeBERTa tokenizer classes rebuild every stage but the model from tokenizer_config.json:
 * 2 for DebertaV2Tokenizer, 1 for DebertaTokenizer, 0 for any other class (or none). The class
 * is tokenizer_config.json's tokenizer_class, else the one of config.json's model_type. */
static int deberta_class(const cJSON *cfg, const cJSON *config)
{
    const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "tokenizer_class"));
    if (c) {
        if (!strcmp(c, "DebertaV2Tokenizer") || !strcmp(c, "DebertaV2TokenizerFast"))
            return 2;
        if (!strcmp(c, "DebertaTokenizer") || !strcmp(c, "DebertaTokenizerFast"))
            return 1;
        return 0;
    }
    const char *mt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, "model_type"));
    if (mt && !strcmp(mt, "deberta-v2"))
        return 2;
    if (mt && !strcmp(mt, "deberta"))
        return 1;
    return 0;
}

/* The stages of DebertaV2Tokenizer / DebertaTokenizer from the configuration flags. */
static void class_stages(dcl_tokenizer *tok)
{
    tok->n_norms = 0;
    if (tok->kind == TOK_UNIGRAM) {
        if (tok->do_lower_case)
            tok->norms[tok->n_norms++] = TOK_NORM_LOWERCASE;
        tok->norms[tok->n_norms++] = TOK_NORM_REPLACE_WS;
        tok->norms[tok->n_norms++] = TOK_NORM_NFC;
        tok->norms[tok->n_norms++] = TOK_NORM_RSTRIP;
        tok->prepend = tok->add_prefix_space ? TOK_PREPEND_ALWAYS : TOK_PREPEND_FIRST;
    }
    /* [CLS] A [SEP] | [CLS] A [SEP] B [SEP] (v2/v3, B typed 1) | [CLS] A [SEP] [SEP] B [SEP] (v1, all 0);
     * a special token the tokenizer does not have is left out */
    const int bpe = tok->kind == TOK_BPE;
    const tok_piece cls = {tok->cls_id, 0, 0}, sep = {tok->sep_id, 0, 0}, sep_b = {tok->sep_id, 0, bpe ? 0 : 1};
    const tok_piece a = {0, 1, 0}, b = {0, 2, bpe ? 0 : 1};
    const tok_piece single[3] = {cls, a, sep};
    const tok_piece pair[6] = {cls, a, sep, sep, b, sep_b};
    tok->single.n = tok->pair.n = 0;
    for (size_t i = 0; i < 3; i++)
        if (single[i].seq || single[i].id >= 0)
            tok->single.p[tok->single.n++] = single[i];
    for (size_t i = 0; i < 6; i++)
        if ((bpe || i != 3) && (pair[i].seq || pair[i].id >= 0))
            tok->pair.p[tok->pair.n++] = pair[i];
}

dcl_status tok_load_files(const tok_files *f, dcl_tokenizer **out)
{
    *out = NULL;
    const char *w = f->where ? f->where : "(memory)";
    dcl_tokenizer *tok = calloc(1, sizeof *tok);
    if (!tok)
        return OOM("tokenizer");
    tok->cls_id = tok->sep_id = tok->pad_id = tok->mask_id = tok->unk_id = -1;
    cJSON *cfg = NULL, *map = NULL, *added = NULL, *config = NULL, *tj = NULL;
    dcl_status st = parse_json(&f->tokenizer_config, w, "tokenizer_config.json", &cfg);
    if (st == DCL_OK)
        st = parse_json(&f->special_tokens_map, w, "special_tokens_map.json", &map);
    if (st == DCL_OK)
        st = parse_json(&f->added_tokens, w, "added_tokens.json", &added);
    if (st == DCL_OK)
        st = parse_json(&f->config, w, "config.json", &config);
    if (st == DCL_OK)
        st = parse_json(&f->tokenizer_json, w, "tokenizer.json", &tj);
    const int cls = deberta_class(cfg, config);
    if (st != DCL_OK) {
    } else if (tj) {
        /* transformers prefers tokenizer.json to spm.model and vocab.json; a DeBERTa class takes
         * the added tokens of tokenizer_config.json's added_tokens_decoder when it has one */
        int with_added = !cls || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(cfg, "added_tokens_decoder"));
        st = tok_json_model(tok, tj, w, with_added);
        if (st == DCL_OK && cls && (int)tok->kind != (cls == 2 ? TOK_UNIGRAM : TOK_BPE))
            st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s/tokenizer.json: model.type is %s but the tokenizer class %s needs %s",
                          w, tok->kind == TOK_BPE ? "BPE" : "Unigram",
                          cls == 2 ? "DebertaV2Tokenizer" : "DebertaTokenizer", cls == 2 ? "Unigram" : "BPE");
        if (st == DCL_OK && cls == 2) {
            /* DebertaV2Tokenizer: unk_id of tokenizer_config.json (default 1), the model's own is unused */
            const cJSON *u = cJSON_GetObjectItemCaseSensitive(cfg, "unk_id");
            double v = cJSON_IsNumber(u) ? u->valuedouble : 1.0;
            if (v < 0 || v >= (double)tok->n_model || v != (double)(int64_t)v)
                st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s/tokenizer_config.json: unk_id is outside the %zu pieces", w,
                              tok->n_model);
            else
                tok->unk_model_id = (int32_t)v;
        }
        tok->source = cls ? DCL_TOKENIZER_JSON_MODEL : DCL_TOKENIZER_JSON;
    } else if (f->spm_model.data) {
        char *name = dcl_path_join(w, "spm.model");
        st = name ? tok_unigram_load(tok, f->spm_model.data, f->spm_model.len, name) : OOM("path");
        free(name);
        tok->source = DCL_TOKENIZER_SPM;
    } else if (f->vocab_json.data && f->merges_txt.data) {
        char *vn = dcl_path_join(w, "vocab.json"), *mn = dcl_path_join(w, "merges.txt");
        st = vn && mn ? tok_bpe_load(tok, f->vocab_json.data, f->vocab_json.len, vn, f->merges_txt.data,
                                     f->merges_txt.len, mn)
                      : OOM("path");
        free(vn);
        free(mn);
        tok->source = DCL_TOKENIZER_VOCAB_MERGES;
    } else {
        st = dcl_fail(NULL, DCL_ERR_IO, "%s: no tokenizer.json, spm.model, nor vocab.json and merges.txt", w);
    }
    if (st == DCL_OK)
        st = tok_load_configs(tok, cfg, map, added, w);
    if (st == DCL_OK) {
        class_stages(tok);
        if (tok->source == DCL_TOKENIZER_JSON)
            st = tok_json_stages(tok, tj, w);
    }
    if (st == DCL_OK)
        st = tok_normalize_added(tok);
    cJSON_Delete(cfg);
    cJSON_Delete(map);
    cJSON_Delete(added);
    cJSON_Delete(config);
    cJSON_Delete(tj);
    if (st != DCL_OK) {
        tok_free(tok);
        return st;
    }
    *out = tok;
    return DCL_OK;
}

dcl_status tok_load(const char *dir, dcl_tokenizer **out)
{
    *out = NULL;
    if (!dcl_file_exists(dir))
        return dcl_fail(NULL, DCL_ERR_IO, "%s: no such tokenizer folder", dir);
    static const char *const names[8] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                         "added_tokens.json", "config.json", "spm.model", "vocab.json",
                                         "merges.txt"};
    char *data[8] = {0};
    size_t len[8] = {0};
    dcl_status st = DCL_OK;
    for (int i = 0; i < 8 && st == DCL_OK; i++) {
        char *path = dcl_path_join(dir, names[i]);
        if (!path)
            st = OOM("path");
        else if (dcl_file_exists(path))
            st = dcl_read_file(NULL, path, &data[i], &len[i]);
        free(path);
    }
    if (st == DCL_OK) {
        tok_files f = {dir,
                       {data[0], len[0]},
                       {data[1], len[1]},
                       {data[2], len[2]},
                       {data[3], len[3]},
                       {data[4], len[4]},
                       {data[5], len[5]},
                       {data[6], len[6]},
                       {data[7], len[7]}};
        st = tok_load_files(&f, out);
    }
    for (int i = 0; i < 8; i++)
        free(data[i]);
    return st;
}
