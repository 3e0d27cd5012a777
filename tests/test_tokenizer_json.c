/* SPDX-License-Identifier: Apache-2.0 */
/* tokenizer.json folders: which files a folder's tokenizer comes from (as transformers'
 * AutoTokenizer chooses), the in-memory loader, and malformed or unsupported tokenizer.json
 * (a clear status and a message naming the field; nothing leaked). The ids themselves are
 * checked against transformers in test_tokenizer.c. */
#include <cjson/cJSON.h>
#include <string.h>

#include "test_common.h"
#include "tokenizer.h"
#include "util.h"

#define DATA DCL_TEST_DATA_DIR "/tokenizer"

static char *slurp(const char *folder, const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", DATA, folder, name);
    char *data = NULL;
    if (dcl_read_file(NULL, path, &data, len) != DCL_OK)
        fail_msg("%s: %s", path, dcl_last_error());
    return data;
}

static void test_sources(void **state)
{
    (void)state;
    static const struct {
        const char *folder;
        dcl_tok_source source;
    } cases[] = {
        {"spm_v3", DCL_TOKENIZER_SPM},
        {"spm_nobf", DCL_TOKENIZER_SPM},
        {"bpe_v1", DCL_TOKENIZER_VOCAB_MERGES},
        {"spm_v3_json", DCL_TOKENIZER_JSON_MODEL},
        {"spm_v3_json4", DCL_TOKENIZER_JSON_MODEL},
        {"spm_added_hub", DCL_TOKENIZER_SPM},
        {"spm_nobf_json", DCL_TOKENIZER_JSON_MODEL},
        {"bpe_v1_json", DCL_TOKENIZER_JSON_MODEL},
        {"spm_both", DCL_TOKENIZER_JSON_MODEL}, /* tokenizer.json before spm.model */
        {"spm_generic", DCL_TOKENIZER_JSON},
        {"bpe_generic", DCL_TOKENIZER_JSON},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%s", DATA, cases[i].folder);
        dcl_tokenizer *tok = NULL;
        dcl_status st = dcl_tokenizer_load(dir, &tok);
        if (st != DCL_OK)
            fail_msg("%s: %s", dir, dcl_last_error());
        assert_int_equal(dcl_tokenizer_source(tok), cases[i].source);
        assert_string_not_equal(dcl_tok_source_string(cases[i].source), "unknown");
        dcl_tokenizer_free(tok);
    }
    assert_int_equal(dcl_tokenizer_source(NULL), 0);
    assert_string_equal(dcl_tok_source_string((dcl_tok_source)0), "unknown");
}

/* The folder loader and the in-memory one give the same tokenizer. */
static void test_from_memory(void **state)
{
    (void)state;
    size_t jl = 0, cl = 0;
    char *json = slurp("spm_v3_json", "tokenizer.json", &jl);
    char *cfg = slurp("spm_v3_json", "tokenizer_config.json", &cl);
    tok_files f = {.where = "memory", .tokenizer_json = {json, jl}, .tokenizer_config = {cfg, cl}};
    dcl_tokenizer *mem = NULL, *dir = NULL;
    assert_int_equal(tok_load_files(&f, &mem), DCL_OK);
    assert_int_equal(dcl_tokenizer_load(DATA "/spm_v3_json", &dir), DCL_OK);
    const char *t = "Paris is the [MASK] of FRANCE.\tNaïve café ¼ 日本語";
    dcl_encoding *a = NULL, *b = NULL;
    assert_int_equal(dcl_tokenizer_encode(mem, t, strlen(t), NULL, &a), DCL_OK);
    assert_int_equal(dcl_tokenizer_encode(dir, t, strlen(t), NULL, &b), DCL_OK);
    assert_int_equal(a->length, b->length);
    assert_memory_equal(a->ids, b->ids, a->length * sizeof *a->ids);
    assert_memory_equal(a->offsets, b->offsets, 2 * a->length * sizeof *a->offsets);
    assert_int_equal(dcl_tokenizer_vocab_size(mem), 4001);
    dcl_encoding_free(a);
    dcl_encoding_free(b);
    dcl_tokenizer_free(mem);
    dcl_tokenizer_free(dir);
    /* without tokenizer_class, the class is config.json's model_type's (no config: read whole) */
    static const struct {
        const char *config;
        dcl_status st;
        dcl_tok_source source;
    } by_type[] = {
        {NULL, DCL_OK, DCL_TOKENIZER_JSON},
        {"{\"model_type\": \"deberta-v2\"}", DCL_OK, DCL_TOKENIZER_JSON_MODEL},
        {"{\"model_type\": \"bert\"}", DCL_OK, DCL_TOKENIZER_JSON},
        {"{\"model_type\": \"deberta\"}", DCL_ERR_FORMAT, 0}, /* DebertaTokenizer needs BPE */
        {"[1]", DCL_ERR_FORMAT, 0},
    };
    for (size_t i = 0; i < sizeof by_type / sizeof by_type[0]; i++) {
        const char *c = by_type[i].config;
        tok_files g = {.where = "memory", .tokenizer_json = {json, jl}, .config = {c, c ? strlen(c) : 0}};
        assert_int_equal(tok_load_files(&g, &mem), by_type[i].st);
        assert_int_equal(dcl_tokenizer_source(mem), by_type[i].source);
        dcl_tokenizer_free(mem);
    }
    /* nothing at all */
    tok_files none = {0};
    assert_int_equal(tok_load_files(&none, &mem), DCL_ERR_IO);
    assert_null(mem);
    free(json);
    free(cfg);
}

/* Added tokens and their flags against transformers (expected_added.jsonl): normalized tokens are
 * matched in the normalized text, the others in the raw text, with lstrip, rstrip, single_word. */
static void test_added_tokens(void **state)
{
    (void)state;
    size_t len = 0, n = 0, bad = 0;
    char *data = NULL;
    assert_int_equal(dcl_read_file(NULL, DATA "/expected_added.jsonl", &data, &len), DCL_OK);
    char folder[64] = "";
    dcl_tokenizer *tok = NULL;
    for (char *line = data, *nl; line < data + len; line = nl + 1, n++) {
        nl = memchr(line, '\n', (size_t)(data + len - line));
        assert_non_null(nl);
        cJSON *rec = cJSON_ParseWithLength(line, (size_t)(nl - line));
        assert_non_null(rec);
        const char *f = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "folder"));
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "text"));
        const cJSON *ids = cJSON_GetObjectItem(rec, "ids"), *offs = cJSON_GetObjectItem(rec, "offsets");
        assert_true(f && text && ids && offs);
        if (strcmp(f, folder)) {
            dcl_tokenizer_free(tok);
            char dir[512];
            snprintf(dir, sizeof dir, "%s/%s", DATA, f);
            if (dcl_tokenizer_load(dir, &tok) != DCL_OK)
                fail_msg("%s: %s", dir, dcl_last_error());
            snprintf(folder, sizeof folder, "%s", f);
        }
        dcl_encoding *e = NULL;
        assert_int_equal(dcl_tokenizer_encode(tok, text, strlen(text), NULL, &e), DCL_OK);
        int ok = e->length == (size_t)cJSON_GetArraySize(ids);
        for (size_t i = 0; ok && i < e->length; i++) {
            const cJSON *o = cJSON_GetArrayItem(offs, (int)i);
            ok = e->ids[i] == cJSON_GetArrayItem(ids, (int)i)->valueint &&
                 e->offsets[2 * i] == (size_t)cJSON_GetArrayItem(o, 0)->valueint &&
                 e->offsets[2 * i + 1] == (size_t)cJSON_GetArrayItem(o, 1)->valueint;
        }
        if (!ok && bad++ < 10) {
            printf("  %s \"%s\": got", f, text);
            for (size_t i = 0; i < e->length; i++)
                printf(" %d(%zu-%zu)", e->ids[i], e->offsets[2 * i], e->offsets[2 * i + 1]);
            printf("\n    want %.*s\n", (int)(nl - line), line);
        }
        dcl_encoding_free(e);
        cJSON_Delete(rec);
    }
    dcl_tokenizer_free(tok);
    free(data);
    printf("added tokens: %zu/%zu texts equal to transformers\n", n - bad, n);
    assert_int_equal(bad, 0);
}

/* A folder's tokenizer with keys of tokenizer_config.json replaced (cfg: a JSON object or NULL). */
static dcl_tokenizer *load_with(const char *folder, const cJSON *cfg)
{
    dcl_tokenizer *tok = NULL;
    size_t jl = 0, cl = 0;
    char *json = slurp(folder, "tokenizer.json", &jl);
    char *conf = slurp(folder, "tokenizer_config.json", &cl);
    cJSON *k = cJSON_ParseWithLength(conf, cl);
    assert_non_null(k);
    for (const cJSON *it = cfg ? cfg->child : NULL; it; it = it->next) {
        cJSON_DeleteItemFromObjectCaseSensitive(k, it->string);
        cJSON_AddItemToObject(k, it->string, cJSON_Duplicate(it, 1));
    }
    char *k2 = cJSON_PrintUnformatted(k);
    tok_files f = {.where = folder, .tokenizer_json = {json, jl}, .tokenizer_config = {k2, strlen(k2)}};
    if (tok_load_files(&f, &tok) != DCL_OK)
        fail_msg("%s: %s", folder, dcl_last_error());
    cJSON_free(k2);
    cJSON_Delete(k);
    free(json);
    free(conf);
    return tok;
}

/* Decoding with clean_up_tokenization_spaces against transformers (expected_decode.jsonl). */
static void test_decode_cleanup(void **state)
{
    (void)state;
    size_t len = 0, n = 0, bad = 0;
    char *data = NULL;
    assert_int_equal(dcl_read_file(NULL, DATA "/expected_decode.jsonl", &data, &len), DCL_OK);
    char key[512] = "";
    dcl_tokenizer *tok = NULL;
    for (char *line = data, *nl; line < data + len; line = nl + 1, n++) {
        nl = memchr(line, '\n', (size_t)(data + len - line));
        assert_non_null(nl);
        cJSON *rec = cJSON_ParseWithLength(line, (size_t)(nl - line));
        assert_non_null(rec);
        const char *folder = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "folder"));
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "text"));
        const char *want = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "dec"));
        const cJSON *cfg = cJSON_GetObjectItem(rec, "cfg");
        assert_true(folder && text && want);
        char *cfg_text = cfg ? cJSON_PrintUnformatted(cfg) : NULL;
        char k[512];
        snprintf(k, sizeof k, "%s %s", folder, cfg_text ? cfg_text : "");
        cJSON_free(cfg_text);
        if (strcmp(k, key)) {
            dcl_tokenizer_free(tok);
            tok = load_with(folder, cfg);
            snprintf(key, sizeof key, "%s", k);
        }
        dcl_encoding *e = NULL;
        char *got = NULL;
        assert_int_equal(dcl_tokenizer_encode(tok, text, strlen(text), NULL, &e), DCL_OK);
        assert_int_equal(dcl_tokenizer_decode(tok, e->ids, e->length, 1, &got, NULL), DCL_OK);
        if (strcmp(got, want) && bad++ < 10)
            printf("  %s: \"%s\"\n    got  \"%s\"\n    want \"%s\"\n", k, text, got, want);
        dcl_string_free(got);
        dcl_encoding_free(e);
        cJSON_Delete(rec);
    }
    dcl_tokenizer_free(tok);
    free(data);
    printf("decode with clean_up_tokenization_spaces: %zu/%zu texts equal to transformers\n", n - bad, n);
    assert_int_equal(bad, 0);
}

/* Replaces (or adds, or with value NULL deletes) the item at a dotted path ("a.b.3.c"). */
static void set_path(cJSON *root, const char *path, const char *value)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    cJSON *node = root;
    char *save = NULL, *key = strtok_r(buf, ".", &save);
    for (char *next; (next = strtok_r(NULL, ".", &save)); key = next) {
        node = cJSON_IsArray(node) ? cJSON_GetArrayItem(node, atoi(key)) : cJSON_GetObjectItemCaseSensitive(node, key);
        if (!node)
            fail_msg("no %s in %s", key, path);
    }
    cJSON *v = value ? cJSON_Parse(value) : NULL;
    if (value && !v)
        fail_msg("bad test value %s", value);
    if (cJSON_IsArray(node)) {
        if (v)
            assert_true(cJSON_ReplaceItemInArray(node, atoi(key), v));
        else
            cJSON_DeleteItemFromArray(node, atoi(key));
    } else if (!v) {
        cJSON_DeleteItemFromObjectCaseSensitive(node, key);
    } else if (cJSON_GetObjectItemCaseSensitive(node, key)) {
        assert_true(cJSON_ReplaceItemInObjectCaseSensitive(node, key, v));
    } else {
        assert_true(cJSON_AddItemToObject(node, key, v));
    }
}

typedef struct json_case {
    const char *folder;
    const char *path; /* "cfg:" + path: in tokenizer_config.json */
    const char *value; /* JSON text; NULL deletes */
    dcl_status want;
    const char *message; /* a part of dcl_last_error() */
} json_case;

static const json_case CASES[] = {
    /* the model */
    {"spm_generic", "model", NULL, DCL_ERR_FORMAT, "no \"model\""},
    {"spm_generic", "model.type", "\"WordPiece\"", DCL_ERR_UNSUPPORTED, "model.type \"WordPiece\""},
    {"spm_generic", "model.vocab", "[]", DCL_ERR_FORMAT, "model.vocab"},
    {"spm_generic", "model.vocab.5", "[\"x\"]", DCL_ERR_FORMAT, "model.vocab[5]"},
    {"spm_generic", "model.vocab.6.0", "7", DCL_ERR_FORMAT, "model.vocab[6]"},
    {"spm_generic", "model.unk_id", "99999", DCL_ERR_FORMAT, "model.unk_id"},
    {"spm_generic", "model.unk_id", "-1", DCL_ERR_FORMAT, "model.unk_id"},
    {"spm_generic", "model.unk_id", "null", DCL_ERR_UNSUPPORTED, "model.unk_id"},
    {"spm_generic", "model.byte_fallback", "true", DCL_ERR_UNSUPPORTED, "model.byte_fallback"},
    {"bpe_generic", "model.vocab", "[]", DCL_ERR_FORMAT, "model.vocab"},
    {"bpe_generic", "model.vocab.[PAD]", "2000000000", DCL_ERR_FORMAT, "far beyond"},
    {"bpe_generic", "model.vocab.[PAD]", "\"0\"", DCL_ERR_FORMAT, "model.vocab: entry 0"},
    {"bpe_generic", "model.merges", "{}", DCL_ERR_FORMAT, "model.merges"},
    {"bpe_generic", "model.merges.0", "\"a b c\"", DCL_ERR_FORMAT, "model.merges[0]"},
    {"bpe_generic", "model.merges.2", "[\"zzzq\", \"yyyq\"]", DCL_ERR_FORMAT, "model.merges:2"},
    {"bpe_generic", "model.dropout", "0.1", DCL_ERR_UNSUPPORTED, "model.dropout"},
    {"bpe_generic", "model.continuing_subword_prefix", "\"##\"", DCL_ERR_UNSUPPORTED, "continuing_subword_prefix"},
    /* added tokens */
    {"spm_generic", "added_tokens", "{}", DCL_ERR_FORMAT, "added_tokens is not a list"},
    {"spm_generic", "added_tokens.0.id", "2000000000", DCL_ERR_FORMAT, "added_tokens[0]"},
    {"spm_generic", "added_tokens.1.id", "-3", DCL_ERR_FORMAT, "added_tokens[1]"},
    {"spm_generic", "added_tokens.0.lstrip", "\"yes\"", DCL_ERR_FORMAT, "added_tokens[0]"},
    {"spm_generic", "added_tokens.4.content", "5", DCL_ERR_FORMAT, "added_tokens[4]"},
    /* normalizers */
    {"spm_generic", "normalizer.normalizers.0", "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"}",
     DCL_ERR_UNSUPPORTED, "normalizer.normalizers[0] type \"Precompiled\""},
    {"spm_generic", "normalizer", "{\"type\": \"NFKC\"}", DCL_ERR_UNSUPPORTED, "normalizer type \"NFKC\""},
    {"spm_generic", "normalizer.normalizers.1.content", "\"_\"", DCL_ERR_UNSUPPORTED, "normalizers[1] Replace"},
    {"spm_generic", "normalizer.normalizers.3.strip_left", "true", DCL_ERR_UNSUPPORTED, "normalizers[3] Strip"},
    {"spm_generic", "normalizer.normalizers.2", "{}", DCL_ERR_FORMAT, "normalizers[2] has no type"},
    /* pre-tokenizer */
    {"spm_generic", "pre_tokenizer", "{\"type\": \"Whitespace\"}", DCL_ERR_UNSUPPORTED, "pre_tokenizer Whitespace"},
    {"spm_generic", "pre_tokenizer", "null", DCL_ERR_UNSUPPORTED, "pre_tokenizer null"},
    {"spm_generic", "pre_tokenizer.pretokenizers.1.replacement", "\"_\"", DCL_ERR_UNSUPPORTED, "Metaspace"},
    {"spm_generic", "pre_tokenizer.pretokenizers.1.split", "false", DCL_ERR_UNSUPPORTED, "Metaspace"},
    {"spm_generic", "pre_tokenizer.pretokenizers.1.prepend_scheme", "\"sometimes\"", DCL_ERR_FORMAT,
     "prepend_scheme \"sometimes\""},
    {"spm_generic", "pre_tokenizer.pretokenizers.0.behavior", "\"Removed\"", DCL_ERR_UNSUPPORTED, "Punctuation"},
    {"bpe_generic", "pre_tokenizer.use_regex", "false", DCL_ERR_UNSUPPORTED, "pre_tokenizer ByteLevel"},
    {"bpe_generic", "pre_tokenizer", "{\"type\": \"Metaspace\", \"replacement\": \"\\u2581\"}", DCL_ERR_UNSUPPORTED,
     "pre_tokenizer Metaspace is not supported with a BPE model"},
    /* post-processor */
    {"spm_generic", "post_processor", "{\"type\": \"RobertaProcessing\"}", DCL_ERR_UNSUPPORTED,
     "post_processor type \"RobertaProcessing\""},
    {"spm_generic", "post_processor.single.1.Sequence.id", "\"C\"", DCL_ERR_FORMAT, "post_processor.single[1]"},
    {"spm_generic", "post_processor.single.1.Sequence.id", "\"B\"", DCL_ERR_FORMAT, "post_processor.single[1]"},
    {"spm_generic", "post_processor.pair.3.Sequence.id", "\"A\"", DCL_ERR_FORMAT, "post_processor.pair[3]"},
    {"spm_generic", "post_processor.pair.3.Sequence.type_id", "-1", DCL_ERR_FORMAT, "post_processor.pair[3]"},
    {"spm_generic", "post_processor.special_tokens.[CLS].ids.0", "4000000", DCL_ERR_FORMAT, "outside the vocabulary"},
    {"spm_generic", "post_processor.special_tokens.[CLS]", NULL, DCL_ERR_FORMAT, "has no \"[CLS]\""},
    {"spm_generic", "post_processor.single", NULL, DCL_ERR_FORMAT, "post_processor.single"},
    /* decoder */
    {"spm_generic", "decoder", "null", DCL_ERR_UNSUPPORTED, "decoder null"},
    {"spm_generic", "decoder.prepend_scheme", "\"never\"", DCL_ERR_UNSUPPORTED, "never"},
    {"bpe_generic", "decoder.type", "\"Metaspace\"", DCL_ERR_UNSUPPORTED, "decoder Metaspace"},
    /* a DeBERTa class rebuilds the stages: the file's own are not read (as in transformers) */
    {"spm_v3_json", "normalizer", "{\"type\": \"Precompiled\"}", DCL_OK, NULL},
    {"spm_v3_json", "pre_tokenizer", "{\"type\": \"Whitespace\"}", DCL_OK, NULL},
    {"spm_v3_json", "model.byte_fallback", "true", DCL_OK, NULL},
    {"spm_v3_json", "cfg:unk_id", NULL, DCL_OK, NULL},
    {"spm_v3_json", "cfg:unk_id", "5000", DCL_ERR_FORMAT, "tokenizer_config.json: unk_id"},
    {"spm_v3_json", "cfg:tokenizer_class", "\"DebertaTokenizer\"", DCL_ERR_FORMAT, "DebertaTokenizer needs BPE"},
    {"bpe_v1_json", "cfg:tokenizer_class", "\"DebertaV2TokenizerFast\"", DCL_ERR_FORMAT, "needs Unigram"},
    {"bpe_v1_json", "model.type", "\"WordLevel\"", DCL_ERR_UNSUPPORTED, "model.type \"WordLevel\""},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const json_case *c = &CASES[i];
        size_t jl = 0, cl = 0;
        char *json = slurp(c->folder, "tokenizer.json", &jl);
        char *cfg = slurp(c->folder, "tokenizer_config.json", &cl);
        cJSON *j = cJSON_ParseWithLength(json, jl), *k = cJSON_ParseWithLength(cfg, cl);
        assert_non_null(j);
        assert_non_null(k);
        int in_cfg = !strncmp(c->path, "cfg:", 4);
        set_path(in_cfg ? k : j, c->path + (in_cfg ? 4 : 0), c->value);
        char *j2 = cJSON_PrintUnformatted(j), *k2 = cJSON_PrintUnformatted(k);
        tok_files f = {.where = c->folder, .tokenizer_json = {j2, strlen(j2)}, .tokenizer_config = {k2, strlen(k2)}};
        dcl_tokenizer *tok = (dcl_tokenizer *)&tok;
        dcl_status st = tok_load_files(&f, &tok);
        if (st != c->want || (c->message && !strstr(dcl_last_error(), c->message)))
            fail_msg("case %zu (%s %s = %s): status %d (want %d), message \"%s\" (want \"%s\")", i, c->folder, c->path,
                     c->value ? c->value : "deleted", (int)st, (int)c->want, dcl_last_error(),
                     c->message ? c->message : "");
        if (st == DCL_OK) {
            dcl_encoding *e = NULL;
            assert_int_equal(dcl_tokenizer_encode(tok, "a b", 3, NULL, &e), DCL_OK);
            dcl_encoding_free(e);
            dcl_tokenizer_free(tok);
        } else {
            assert_null(tok);
            assert_non_null(strstr(dcl_last_error(), c->folder));
        }
        cJSON_free(j2);
        cJSON_free(k2);
        cJSON_Delete(j);
        cJSON_Delete(k);
        free(json);
        free(cfg);
    }
    printf("%zu malformed or unsupported tokenizer.json cases\n", sizeof CASES / sizeof CASES[0]);
}

/* Every truncation of tokenizer.json (sampled) is DCL_ERR_FORMAT naming the file. */
static void test_truncated(void **state)
{
    (void)state;
    static const char *const folders[] = {"spm_generic", "bpe_v1_json"};
    for (int k = 0; k < 2; k++) {
        size_t jl = 0, cl = 0;
        char *json = slurp(folders[k], "tokenizer.json", &jl);
        char *cfg = slurp(folders[k], "tokenizer_config.json", &cl);
        size_t n = 0;
        for (size_t len = 0; len < jl; len += 1 + len / 7 + (len % 13), n++) {
            tok_files f = {.where = folders[k], .tokenizer_json = {json, len}, .tokenizer_config = {cfg, cl}};
            dcl_tokenizer *tok = (dcl_tokenizer *)&tok;
            assert_int_equal(tok_load_files(&f, &tok), DCL_ERR_FORMAT);
            assert_null(tok);
            assert_non_null(strstr(dcl_last_error(), "tokenizer.json"));
        }
        tok_files f = {.where = folders[k], .tokenizer_json = {json, jl}, .tokenizer_config = {cfg, cl / 2}};
        dcl_tokenizer *tok = NULL;
        assert_int_equal(tok_load_files(&f, &tok), DCL_ERR_FORMAT);
        assert_non_null(strstr(dcl_last_error(), "tokenizer_config.json"));
        printf("%s: %zu truncations of tokenizer.json refused\n", folders[k], n);
        free(json);
        free(cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sources),
        cmocka_unit_test(test_from_memory),
        cmocka_unit_test(test_added_tokens),
        cmocka_unit_test(test_decode_cleanup),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
