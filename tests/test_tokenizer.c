/* SPDX-License-Identifier: Apache-2.0 */
/* Tokenizers against Hugging Face transformers: tests/data/tokenizer holds three small
 * tokenizer folders (spm_v3: unigram like deberta-v3, spm_nobf: unigram with do_lower_case like
 * deberta-v2, bpe_v1: byte-level BPE like deberta-base), a corpus of texts and what
 * transformers' AutoTokenizer gives for each (tools/reference/tokenizer/make_tokenizer_fixtures.py).
 * The same tokenizers saved by transformers 5 (<name>_json: tokenizer.json + tokenizer_config.json)
 * and by transformers 4 (spm_v3_json4),
 * spm_both (tokenizer.json beside spm.model) and two folders read as tokenizer.json writes every
 * stage (spm_generic, bpe_generic) come from make_tokenizer_json_fixtures.py.
 * Every id, token type and offset must be equal. */
#include <cjson/cJSON.h>
#include <string.h>
#include <unistd.h>

#include "test_common.h"
#include "util.h"

#define DATA DCL_TEST_DATA_DIR "/tokenizer"

static const char *const NAMES[3] = {"spm_v3", "spm_nobf", "bpe_v1"};

/* ---- fixtures ------------------------------------------------------------------------------ */

typedef struct text {
    char *s;
    size_t len;
} text;

/* Decodes the JSON string literal at *p (which points at the opening quote) into a malloc'd
 * buffer; NUL characters are kept (cJSON would cut them). */
static text json_string(const char **p)
{
    const char *s = *p;
    assert_true(*s == '"');
    s++;
    size_t cap = strlen(s) + 1;
    text t = {malloc(cap), 0};
    assert_non_null(t.s);
    while (*s && *s != '"') {
        if (*s != '\\') {
            t.s[t.len++] = *s++;
            continue;
        }
        s++;
        char c = *s++;
        switch (c) {
        case 'n': t.s[t.len++] = '\n'; break;
        case 't': t.s[t.len++] = '\t'; break;
        case 'r': t.s[t.len++] = '\r'; break;
        case 'b': t.s[t.len++] = '\b'; break;
        case 'f': t.s[t.len++] = '\f'; break;
        case 'u': {
            unsigned cp = (unsigned)strtoul((char[5]){s[0], s[1], s[2], s[3], 0}, NULL, 16);
            s += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && s[0] == '\\' && s[1] == 'u') {
                unsigned lo = (unsigned)strtoul((char[5]){s[2], s[3], s[4], s[5], 0}, NULL, 16);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                s += 6;
            }
            unsigned char *d = (unsigned char *)t.s + t.len;
            if (cp < 0x80) {
                d[0] = (unsigned char)cp;
                t.len += 1;
            } else if (cp < 0x800) {
                d[0] = (unsigned char)(0xC0 | (cp >> 6));
                d[1] = (unsigned char)(0x80 | (cp & 0x3F));
                t.len += 2;
            } else if (cp < 0x10000) {
                d[0] = (unsigned char)(0xE0 | (cp >> 12));
                d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                d[2] = (unsigned char)(0x80 | (cp & 0x3F));
                t.len += 3;
            } else {
                d[0] = (unsigned char)(0xF0 | (cp >> 18));
                d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
                d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                d[3] = (unsigned char)(0x80 | (cp & 0x3F));
                t.len += 4;
            }
            break;
        }
        default: t.s[t.len++] = c; break;
        }
    }
    t.s[t.len] = 0;
    *p = *s ? s + 1 : s;
    return t;
}

static char **read_lines(const char *path, size_t *n, char **storage)
{
    size_t len = 0;
    dcl_status st = dcl_read_file(NULL, path, storage, &len);
    if (st != DCL_OK)
        fail_msg("%s: %s", path, dcl_last_error());
    size_t cnt = 0;
    for (size_t i = 0; i < len; i++)
        cnt += (*storage)[i] == '\n';
    char **lines = malloc((cnt + 1) * sizeof *lines);
    assert_non_null(lines);
    size_t k = 0;
    char *s = *storage;
    for (size_t i = 0; i < len; i++) {
        if ((*storage)[i] == '\n') {
            (*storage)[i] = 0;
            lines[k++] = s;
            s = *storage + i + 1;
        }
    }
    *n = k;
    return lines;
}

static text *g_corpus;
static size_t g_ncorpus;

static void load_corpus(void)
{
    if (g_corpus)
        return;
    char *storage = NULL;
    char **lines = read_lines(DATA "/corpus.jsonl", &g_ncorpus, &storage);
    g_corpus = malloc(g_ncorpus * sizeof *g_corpus);
    assert_non_null(g_corpus);
    for (size_t i = 0; i < g_ncorpus; i++) {
        const char *p = lines[i];
        g_corpus[i] = json_string(&p);
    }
    free(lines);
    free(storage);
}

static dcl_tokenizer *load(const char *name)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", DATA, name);
    dcl_tokenizer *tok = NULL;
    dcl_status st = dcl_tokenizer_load(dir, &tok);
    if (st != DCL_OK)
        fail_msg("load %s: %s: %s", name, dcl_status_string(st), dcl_last_error());
    return tok;
}

/* Expands the compact offsets ("L" or "D:L" per token) into start, end pairs. */
static size_t expand_offsets(const char *o, size_t *out, size_t max)
{
    size_t n = 0, prev = 0;
    while (*o && n < max) {
        long d = 0, l;
        char *end;
        l = strtol(o, &end, 10);
        if (*end == ':') {
            d = l;
            l = strtol(end + 1, &end, 10);
        }
        out[2 * n] = (size_t)((long)prev + d);
        out[2 * n + 1] = out[2 * n] + (size_t)l;
        prev = out[2 * n + 1];
        n++;
        o = end;
        while (*o == ' ')
            o++;
    }
    return n;
}

static void print_text(const text *t)
{
    putchar('"');
    for (size_t i = 0; i < t->len && i < 80; i++) {
        unsigned char c = (unsigned char)t->s[i];
        if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    printf("%s\"", t->len > 80 ? "..." : "");
}

static void print_ids(const char *what, const int32_t *ids, size_t n)
{
    printf("    %s:", what);
    for (size_t i = 0; i < n && i < 40; i++)
        printf(" %d", ids[i]);
    printf("%s\n", n > 40 ? " ..." : "");
}

/* Compares an encoding with ids, types (may be NULL: all 0), offsets and masks of a record. */
static int same(const dcl_encoding *e, const cJSON *rec, int *first_diff)
{
    const cJSON *ids = cJSON_GetObjectItem(rec, "ids");
    size_t n = (size_t)cJSON_GetArraySize(ids);
    int ok = e->length == n;
    size_t *off = malloc((n + 1) * 2 * sizeof *off);
    assert_non_null(off);
    const cJSON *o = cJSON_GetObjectItem(rec, "o");
    size_t no = expand_offsets(cJSON_GetStringValue(o), off, n);
    ok &= no == n;
    const cJSON *types = cJSON_GetObjectItem(rec, "types");
    const cJSON *mask = cJSON_GetObjectItem(rec, "mask");
    const cJSON *special = cJSON_GetObjectItem(rec, "special");
    *first_diff = -1;
    for (size_t i = 0; ok && i < n; i++) {
        int good = e->ids[i] == cJSON_GetArrayItem(ids, (int)i)->valueint;
        good &= e->offsets[2 * i] == off[2 * i] && e->offsets[2 * i + 1] == off[2 * i + 1];
        good &= e->token_type_ids[i] == (types ? cJSON_GetArrayItem(types, (int)i)->valueint : 0);
        if (mask)
            good &= e->attention_mask[i] == cJSON_GetArrayItem(mask, (int)i)->valueint;
        if (special)
            good &= e->special_tokens_mask[i] == cJSON_GetArrayItem(special, (int)i)->valueint;
        if (!good) {
            *first_diff = (int)i;
            ok = 0;
        }
    }
    free(off);
    return ok;
}

/* ---- the corpus: ids, offsets, decode --------------------------------------------------- */

/* folder: the tokenizer folder; name: whose expectations it must give (decode too unless !decode) */
static void corpus_for(const char *folder, const char *name, int decode)
{
    load_corpus();
    dcl_tokenizer *tok = load(folder);
    char path[512];
    snprintf(path, sizeof path, "%s/expected_%s.jsonl", DATA, name);
    char *storage = NULL;
    size_t n = 0;
    char **lines = read_lines(path, &n, &storage);
    assert_int_equal(n, g_ncorpus);
    size_t bad = 0, bad_dec = 0, n_dec = 0, tokens = 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *rec = cJSON_Parse(lines[i]);
        assert_non_null(rec);
        dcl_encoding *e = NULL;
        dcl_status st = dcl_tokenizer_encode(tok, g_corpus[i].s, g_corpus[i].len, NULL, &e);
        if (st != DCL_OK)
            fail_msg("%s line %zu: %s", name, i, dcl_last_error());
        tokens += e->length;
        int diff;
        if (!same(e, rec, &diff)) {
            if (bad++ < 12) {
                printf("  %s line %zu: ", name, i);
                print_text(&g_corpus[i]);
                printf(" (first difference at token %d)\n", diff);
                const cJSON *ids = cJSON_GetObjectItem(rec, "ids");
                int32_t want[64];
                size_t m = (size_t)cJSON_GetArraySize(ids);
                for (size_t k = 0; k < m && k < 64; k++)
                    want[k] = cJSON_GetArrayItem(ids, (int)k)->valueint;
                print_ids("want", want, m < 64 ? m : 64);
                print_ids("got ", e->ids, e->length);
                printf("    want offsets: %s\n    got offsets: ", cJSON_GetStringValue(cJSON_GetObjectItem(rec, "o")));
                for (size_t k = 0; k < e->length && k < 40; k++)
                    printf(" %zu-%zu", e->offsets[2 * k], e->offsets[2 * k + 1]);
                printf("\n");
            }
        }
        const char *dp = decode ? strstr(lines[i], "\"dec\": ") : NULL;
        if (dp) {
            dp += 7;
            text want = json_string(&dp);
            char *got = NULL;
            size_t got_len = 0;
            st = dcl_tokenizer_decode(tok, e->ids, e->length, 1, &got, &got_len);
            assert_int_equal(st, DCL_OK);
            n_dec++;
            if (got_len != want.len || memcmp(got, want.s, want.len)) {
                if (bad_dec++ < 8) {
                    printf("  %s decode line %zu: want ", name, i);
                    print_text(&want);
                    text g = {got, got_len};
                    printf(" got ");
                    print_text(&g);
                    printf("\n");
                }
            }
            dcl_string_free(got);
            free(want.s);
        }
        dcl_encoding_free(e);
        cJSON_Delete(rec);
    }
    printf("%s: %zu/%zu texts equal to transformers (%.2f%%), %zu tokens; decode %zu/%zu equal\n", folder,
           n - bad, n, 100.0 * (double)(n - bad) / (double)n, tokens, n_dec - bad_dec, n_dec);
    free(lines);
    free(storage);
    dcl_tokenizer_free(tok);
    assert_int_equal(bad, 0);
    assert_int_equal(bad_dec, 0);
}

static void test_corpus_spm_v3(void **state) { (void)state; corpus_for("spm_v3", "spm_v3", 1); }
static void test_corpus_spm_nobf(void **state) { (void)state; corpus_for("spm_nobf", "spm_nobf", 1); }
static void test_corpus_bpe_v1(void **state) { (void)state; corpus_for("bpe_v1", "bpe_v1", 1); }
static void test_corpus_json(void **state)
{
    (void)state;
    corpus_for("spm_v3_json", "spm_v3", 1);
    corpus_for("spm_v3_json4", "spm_v3", 0); /* its clean-up of decoded text: test_tokenizer_json */
    corpus_for("spm_nobf_json", "spm_nobf", 1);
    corpus_for("bpe_v1_json", "bpe_v1", 1);
    corpus_for("spm_both", "spm_nobf", 1);
    corpus_for("spm_generic", "spm_generic", 1);
    corpus_for("bpe_generic", "bpe_generic", 1);
}

/* ---- pairs, truncation, padding, lookups ---------------------------------------------------- */

static dcl_truncation strategy(const cJSON *rec)
{
    const cJSON *t = cJSON_GetObjectItem(rec, "truncation");
    if (!t)
        return DCL_TRUNCATE_NONE;
    if (cJSON_IsTrue(t))
        return DCL_TRUNCATE_LONGEST_FIRST;
    const char *s = cJSON_GetStringValue(t);
    if (!strcmp(s, "only_first"))
        return DCL_TRUNCATE_ONLY_FIRST;
    if (!strcmp(s, "only_second"))
        return DCL_TRUNCATE_ONLY_SECOND;
    return DCL_TRUNCATE_LONGEST_FIRST;
}

static void cases_for(const char *folder, const char *name)
{
    load_corpus();
    dcl_tokenizer *tok = load(folder);
    char path[512];
    snprintf(path, sizeof path, "%s/expected_%s_cases.jsonl", DATA, name);
    char *storage = NULL;
    size_t n = 0;
    char **lines = read_lines(path, &n, &storage);
    size_t bad = 0, count = 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *rec = cJSON_Parse(lines[i]);
        assert_non_null(rec);
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "kind"));
        if (!strcmp(kind, "lookup")) {
            assert_int_equal(dcl_tokenizer_vocab_size(tok), cJSON_GetObjectItem(rec, "len")->valueint);
            assert_int_equal(dcl_tokenizer_special_id(tok, DCL_TOKEN_CLS), cJSON_GetObjectItem(rec, "cls")->valueint);
            assert_int_equal(dcl_tokenizer_special_id(tok, DCL_TOKEN_SEP), cJSON_GetObjectItem(rec, "sep")->valueint);
            assert_int_equal(dcl_tokenizer_special_id(tok, DCL_TOKEN_PAD), cJSON_GetObjectItem(rec, "pad")->valueint);
            assert_int_equal(dcl_tokenizer_special_id(tok, DCL_TOKEN_MASK), cJSON_GetObjectItem(rec, "mask")->valueint);
            assert_int_equal(dcl_tokenizer_special_id(tok, DCL_TOKEN_UNK), cJSON_GetObjectItem(rec, "unk")->valueint);
            assert_int_equal(dcl_tokenizer_model_max_length(tok),
                             cJSON_GetObjectItem(rec, "model_max_length")->valueint);
            for (const cJSON *it = cJSON_GetObjectItem(rec, "tokens")->child; it; it = it->next) {
                int32_t id = (int32_t)atoi(it->string);
                const char *t = dcl_tokenizer_id_to_token(tok, id);
                assert_non_null(t);
                assert_string_equal(t, it->valuestring);
                assert_int_equal(dcl_tokenizer_token_to_id(tok, it->valuestring), id);
            }
            count++;
            cJSON_Delete(rec);
            continue;
        }
        if (!strcmp(kind, "batch_longest")) {
            const cJSON *t = cJSON_GetObjectItem(rec, "t");
            size_t bn = (size_t)cJSON_GetArraySize(t);
            const char *texts[16];
            size_t lens[16];
            dcl_encoding *out[16];
            for (size_t k = 0; k < bn; k++) {
                const text *tx = &g_corpus[cJSON_GetArrayItem(t, (int)k)->valueint];
                texts[k] = tx->s;
                lens[k] = tx->len;
            }
            dcl_tokenize_params p = dcl_tokenize_default_params();
            p.padding = DCL_PAD_LONGEST;
            assert_int_equal(dcl_tokenizer_encode_batch(tok, texts, lens, NULL, NULL, bn, &p, out), DCL_OK);
            for (size_t k = 0; k < bn; k++) {
                const cJSON *ids = cJSON_GetArrayItem(cJSON_GetObjectItem(rec, "ids"), (int)k);
                const cJSON *mask = cJSON_GetArrayItem(cJSON_GetObjectItem(rec, "mask"), (int)k);
                assert_int_equal(out[k]->length, cJSON_GetArraySize(ids));
                for (size_t j = 0; j < out[k]->length; j++) {
                    assert_int_equal(out[k]->ids[j], cJSON_GetArrayItem(ids, (int)j)->valueint);
                    assert_int_equal(out[k]->attention_mask[j], cJSON_GetArrayItem(mask, (int)j)->valueint);
                }
                dcl_encoding_free(out[k]);
            }
            count++;
            cJSON_Delete(rec);
            continue;
        }
        const text *a = &g_corpus[cJSON_GetObjectItem(rec, "t")->valueint];
        const cJSON *pi = cJSON_GetObjectItem(rec, "p");
        const text *b = pi ? &g_corpus[pi->valueint] : NULL;
        dcl_tokenize_params p = dcl_tokenize_default_params();
        const cJSON *ml = cJSON_GetObjectItem(rec, "max_length");
        if (ml)
            p.max_length = (size_t)ml->valueint;
        p.truncation = strategy(rec);
        const cJSON *ast = cJSON_GetObjectItem(rec, "add_special_tokens");
        if (ast)
            p.add_special_tokens = cJSON_IsTrue(ast);
        const cJSON *pad = cJSON_GetObjectItem(rec, "padding");
        if (pad && !strcmp(cJSON_GetStringValue(pad), "max_length"))
            p.padding = DCL_PAD_MAX_LENGTH;
        dcl_encoding *e = NULL;
        dcl_status st = b ? dcl_tokenizer_encode_pair(tok, a->s, a->len, b->s, b->len, &p, &e)
                          : dcl_tokenizer_encode(tok, a->s, a->len, &p, &e);
        int ok, diff = -1;
        if (cJSON_GetObjectItem(rec, "error"))
            ok = st == DCL_ERR_RANGE && e == NULL;
        else
            ok = st == DCL_OK && same(e, rec, &diff);
        if (!ok && bad++ < 10) {
            printf("  %s case %zu (%s): status %d, first difference at %d: %s\n", name, i, kind, (int)st, diff,
                   lines[i]);
            if (e)
                print_ids("got", e->ids, e->length);
        }
        dcl_encoding_free(e);
        count++;
        cJSON_Delete(rec);
    }
    printf("%s: %zu/%zu cases (pairs, truncation, padding, no special tokens, lookups) equal\n", folder,
           count - bad, count);
    free(lines);
    free(storage);
    dcl_tokenizer_free(tok);
    assert_int_equal(bad, 0);
}

static void test_cases_spm_v3(void **state) { (void)state; cases_for("spm_v3", "spm_v3"); }
static void test_cases_spm_nobf(void **state) { (void)state; cases_for("spm_nobf", "spm_nobf"); }
static void test_cases_bpe_v1(void **state) { (void)state; cases_for("bpe_v1", "bpe_v1"); }
static void test_cases_json(void **state)
{
    (void)state;
    cases_for("spm_v3_json", "spm_v3");
    cases_for("spm_v3_json4", "spm_v3");
    cases_for("spm_nobf_json", "spm_nobf");
    cases_for("bpe_v1_json", "bpe_v1");
    cases_for("spm_both", "spm_nobf");
    cases_for("spm_generic", "spm_generic");
    cases_for("bpe_generic", "bpe_generic");
}

/* ---- decode round trips, errors, odd input ------------------------------------------------ */

static void test_decode_round_trip(void **state)
{
    (void)state;
    const char *texts[] = {"Hello world", "naïve café", "日本語のテキスト", "x = y + 1;", "a [MASK] b"};
    for (int k = 0; k < 3; k += 2) { /* spm_v3 and bpe_v1 (spm_nobf lowercases) */
        dcl_tokenizer *tok = load(NAMES[k]);
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
            dcl_encoding *e = NULL;
            assert_int_equal(dcl_tokenizer_encode(tok, texts[i], strlen(texts[i]), NULL, &e), DCL_OK);
            char *s = NULL;
            size_t len = 0;
            /* without [CLS]/[SEP], keeping [MASK]: the text comes back, except that the unigram
             * loses the space before [MASK] ("a[MASK] b", as transformers decodes it too) */
            const char *want = k == 0 && i == 4 ? "a[MASK] b" : texts[i];
            assert_int_equal(dcl_tokenizer_decode(tok, e->ids + 1, e->length - 2, 0, &s, &len), DCL_OK);
            assert_string_equal(s, want);
            assert_int_equal(len, strlen(want));
            dcl_string_free(s);
            dcl_encoding_free(e);
        }
        int32_t bad = (int32_t)dcl_tokenizer_vocab_size(tok);
        char *s = (char *)"x";
        assert_int_equal(dcl_tokenizer_decode(tok, &bad, 1, 0, &s, NULL), DCL_ERR_RANGE);
        assert_null(s);
        dcl_tokenizer_free(tok);
    }
}

static void test_special_tokens(void **state)
{
    (void)state;
    dcl_tokenizer *tok = load("spm_v3");
    assert_int_equal(dcl_tokenizer_token_to_id(tok, "[MASK]"), 4000);
    assert_int_equal(dcl_tokenizer_token_to_id(tok, "[CLS]"), 1);
    assert_int_equal(dcl_tokenizer_token_to_id(tok, "no such token"), -1);
    assert_string_equal(dcl_tokenizer_id_to_token(tok, 4000), "[MASK]");
    assert_null(dcl_tokenizer_id_to_token(tok, 4001));
    assert_null(dcl_tokenizer_id_to_token(tok, -1));
    assert_int_equal(dcl_tokenizer_special_id(NULL, DCL_TOKEN_CLS), -1);
    /* [MASK] in the text is the mask token, with its span */
    const char *t = "Paris is the [MASK] of France.";
    dcl_encoding *e = NULL;
    assert_int_equal(dcl_tokenizer_encode(tok, t, strlen(t), NULL, &e), DCL_OK);
    int found = 0;
    for (size_t i = 0; i < e->length; i++)
        if (e->ids[i] == 4000) {
            found = 1;
            assert_int_equal(e->offsets[2 * i], 13);
            assert_int_equal(e->offsets[2 * i + 1], 19);
            assert_string_equal(e->tokens[i], "[MASK]");
            assert_int_equal(e->special_tokens_mask[i], 0);
        }
    assert_true(found);
    assert_int_equal(e->ids[0], 1);
    assert_int_equal(e->special_tokens_mask[0], 1);
    dcl_encoding_free(e);
    dcl_tokenizer_free(tok);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void copy_file(const char *from, const char *to, size_t keep)
{
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(dcl_read_file(NULL, from, &data, &len), DCL_OK);
    write_file(to, data, keep < len ? keep : len);
    free(data);
}

static void test_errors(void **state)
{
    (void)state;
    dcl_tokenizer *tok = (dcl_tokenizer *)&tok;
    assert_int_equal(dcl_tokenizer_load(DATA "/no_such_folder", &tok), DCL_ERR_IO);
    assert_null(tok);
    assert_non_null(strstr(dcl_last_error(), "no_such_folder"));
    assert_int_equal(dcl_tokenizer_load(NULL, &tok), DCL_ERR_INVALID_ARGUMENT);
    assert_int_equal(dcl_tokenizer_load(DATA, NULL), DCL_ERR_INVALID_ARGUMENT);
    assert_int_equal(dcl_tokenizer_load(DATA, &tok), DCL_ERR_IO); /* a folder without a model */
    dcl_tokenizer_free(NULL);
    dcl_encoding_free(NULL);
    dcl_string_free(NULL);

    char dir[] = DCL_TEST_BINARY_DIR "/tok_err_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[600], path2[600];
    /* corrupt spm.model: truncated, then garbage */
    snprintf(path, sizeof path, "%s/spm.model", dir);
    copy_file(DATA "/spm_v3/spm.model", path, 1001);
    assert_int_equal(dcl_tokenizer_load(dir, &tok), DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "spm.model"));
    write_file(path, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11);
    assert_int_equal(dcl_tokenizer_load(dir, &tok), DCL_ERR_FORMAT);
    write_file(path, "", 0);
    assert_int_equal(dcl_tokenizer_load(dir, &tok), DCL_ERR_FORMAT);
    remove(path);
    /* truncated vocab.json */
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    snprintf(path2, sizeof path2, "%s/merges.txt", dir);
    copy_file(DATA "/bpe_v1/vocab.json", path, 30000);
    copy_file(DATA "/bpe_v1/merges.txt", path2, (size_t)-1);
    assert_int_equal(dcl_tokenizer_load(dir, &tok), DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "vocab.json"));
    /* merges that name unknown tokens */
    copy_file(DATA "/bpe_v1/vocab.json", path, (size_t)-1);
    write_file(path2, "#version: 0.2\nzzzq yyyq\n", 24);
    assert_int_equal(dcl_tokenizer_load(dir, &tok), DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "merges.txt"));
    /* a malformed tokenizer_config.json */
    copy_file(DATA "/bpe_v1/merges.txt", path2, (size_t)-1);
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/tokenizer_config.json", dir);
    write_file(cfg, "{\"do_lower_case\": ", 18);
    assert_int_equal(dcl_tokenizer_load(dir, &tok), DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "tokenizer_config.json"));
    remove(cfg);
    assert_int_equal(dcl_tokenizer_load(dir, &tok), DCL_OK);
    dcl_tokenizer_free(tok);
    remove(path);
    remove(path2);
    rmdir(dir);
}

static void test_odd_input(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++) {
        dcl_tokenizer *tok = load(NAMES[k]);
        dcl_encoding *e = (dcl_encoding *)&e;
        /* invalid UTF-8: an error naming the byte, or U+FFFD on request */
        const char bad[] = "ab\xC3(\xff z";
        assert_int_equal(dcl_tokenizer_encode(tok, bad, sizeof bad - 1, NULL, &e), DCL_ERR_FORMAT);
        assert_null(e);
        assert_non_null(strstr(dcl_last_error(), "byte 2"));
        dcl_tokenize_params p = dcl_tokenize_default_params();
        p.replace_invalid_utf8 = 1;
        assert_int_equal(dcl_tokenizer_encode(tok, bad, sizeof bad - 1, &p, &e), DCL_OK);
        dcl_encoding *e2 = NULL;
        const char fixed[] = "ab\xEF\xBF\xBD(\xEF\xBF\xBD z";
        assert_int_equal(dcl_tokenizer_encode(tok, fixed, sizeof fixed - 1, NULL, &e2), DCL_OK);
        assert_int_equal(e->length, e2->length);
        assert_memory_equal(e->ids, e2->ids, e->length * sizeof *e->ids);
        assert_memory_equal(e->offsets, e2->offsets, 2 * e->length * sizeof *e->offsets);
        dcl_encoding_free(e);
        dcl_encoding_free(e2);
        /* NUL inside the text is a character */
        const char nul[] = "a\0b";
        assert_int_equal(dcl_tokenizer_encode(tok, nul, 3, NULL, &e), DCL_OK);
        assert_true(e->length >= 3);
        assert_int_equal(e->offsets[2 * (e->length - 2) + 1], 3);
        dcl_encoding_free(e);
        /* empty text, NULL with length 0, NULL arguments */
        assert_int_equal(dcl_tokenizer_encode(tok, NULL, 0, NULL, &e), DCL_OK);
        assert_int_equal(e->length, 2);
        dcl_encoding_free(e);
        assert_int_equal(dcl_tokenizer_encode(tok, NULL, 3, NULL, &e), DCL_ERR_INVALID_ARGUMENT);
        assert_int_equal(dcl_tokenizer_encode(NULL, "a", 1, NULL, &e), DCL_ERR_INVALID_ARGUMENT);
        assert_int_equal(dcl_tokenizer_encode(tok, "a", 1, NULL, NULL), DCL_ERR_INVALID_ARGUMENT);
        p = dcl_tokenize_default_params();
        p.truncation = (dcl_truncation)9;
        assert_int_equal(dcl_tokenizer_encode(tok, "a", 1, &p, &e), DCL_ERR_INVALID_ARGUMENT);
        /* max_length shorter than the special tokens */
        p = dcl_tokenize_default_params();
        p.truncation = DCL_TRUNCATE_LONGEST_FIRST;
        p.max_length = 1;
        assert_int_equal(dcl_tokenizer_encode(tok, "a b c", 5, &p, &e), DCL_ERR_RANGE);
        /* a batch with one bad text leaves nothing allocated */
        const char *texts[2] = {"fine", "bad\xff"};
        size_t lens[2] = {4, 4};
        dcl_encoding *out[2];
        assert_int_equal(dcl_tokenizer_encode_batch(tok, texts, lens, NULL, NULL, 2, NULL, out), DCL_ERR_FORMAT);
        assert_null(out[0]);
        assert_null(out[1]);
        /* padding to a length, then a batch of pairs */
        p = dcl_tokenize_default_params();
        p.padding = DCL_PAD_MAX_LENGTH;
        p.pad_to = 16;
        assert_int_equal(dcl_tokenizer_encode(tok, "x", 1, &p, &e), DCL_OK);
        assert_int_equal(e->length, 16);
        assert_int_equal(e->attention_mask[15], 0);
        assert_int_equal(e->ids[15], dcl_tokenizer_special_id(tok, DCL_TOKEN_PAD));
        dcl_encoding_free(e);
        const char *pairs[2] = {"second one", "and another second text"};
        texts[1] = "ok";
        lens[1] = 2;
        size_t plens[2] = {10, 23};
        p.padding = DCL_PAD_LONGEST;
        assert_int_equal(dcl_tokenizer_encode_batch(tok, texts, lens, pairs, plens, 2, &p, out), DCL_OK);
        assert_int_equal(out[0]->length, out[1]->length);
        dcl_encoding_free(out[0]);
        dcl_encoding_free(out[1]);
        dcl_tokenizer_free(tok);
    }
}

/* Not asserted: the speed of tokenizing 1 MB of the corpus on one core. */
static void test_speed(void **state)
{
    (void)state;
    load_corpus();
    for (int k = 0; k < 3; k++) {
        dcl_tokenizer *tok = load(NAMES[k]);
        size_t bytes = 0, tokens = 0;
        double t0 = dcl_now();
        for (size_t rep = 0; bytes < (1u << 20); rep++)
            for (size_t i = 0; i < g_ncorpus && bytes < (1u << 20); i++) {
                dcl_encoding *e = NULL;
                assert_int_equal(dcl_tokenizer_encode(tok, g_corpus[i].s, g_corpus[i].len, NULL, &e), DCL_OK);
                bytes += g_corpus[i].len;
                tokens += e->length;
                dcl_encoding_free(e);
            }
        double s = dcl_now() - t0;
        printf("%s: %zu bytes (%zu tokens) in %.3f s: %.2f MB/s, %.0f tokens/s\n", NAMES[k], bytes, tokens, s,
               (double)bytes / 1e6 / s, (double)tokens / s);
        dcl_tokenizer_free(tok);
    }
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_ncorpus; i++)
        free(g_corpus[i].s);
    free(g_corpus);
    g_corpus = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_spm_v3),   cmocka_unit_test(test_corpus_spm_nobf),
        cmocka_unit_test(test_corpus_bpe_v1),   cmocka_unit_test(test_cases_spm_v3),
        cmocka_unit_test(test_cases_spm_nobf),  cmocka_unit_test(test_cases_bpe_v1),
        cmocka_unit_test(test_corpus_json),     cmocka_unit_test(test_cases_json),
        cmocka_unit_test(test_decode_round_trip), cmocka_unit_test(test_special_tokens),
        cmocka_unit_test(test_errors),          cmocka_unit_test(test_odd_input),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
