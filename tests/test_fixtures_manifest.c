/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fixtures_manifest.c - checks the committed reference fixtures.
 *
 * Reads DCL_TEST_DATA_DIR "/reference/manifest.json" (written by
 * tools/reference/make_fixtures.py) and checks that every file it names
 * exists, every JSON file parses, every .safetensors file has a valid header
 * (8-byte little-endian header length, JSON header, each tensor's
 * data_offsets inside the file and equal to shape x dtype size, no overlap,
 * no hole) and that every tensor the manifest names is present with the
 * right shape and dtype.
 *
 * Build standalone:
 *   gcc -std=c11 -Wall -Wextra -Wpedantic \
 *       -DDCL_TEST_DATA_DIR='"/path/to/tests/data"' \
 *       tests/test_fixtures_manifest.c -lcjson -lcmocka -o test_fixtures_manifest
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#ifndef DCL_TEST_DATA_DIR
#error "DCL_TEST_DATA_DIR must be defined (a string literal: the tests/data directory)"
#endif

#define REF_DIR DCL_TEST_DATA_DIR "/reference"
#define MAX_PATH_LEN 4096

/* ------------------------------------------------------------------------ */
/* small helpers                                                             */
/* ------------------------------------------------------------------------ */

static void ref_path(char *out, size_t cap, const char *rel)
{
    int n = snprintf(out, cap, "%s/%s", REF_DIR, rel);
    assert_true(n > 0 && (size_t)n < cap);
}

/* Reads a whole file. Returns NULL if it cannot be opened. */
static unsigned char *read_all(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long size;
    size_t got;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)size + 1u);
    if (buf == NULL) {
        fclose(f);
        return NULL;
    }
    got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) {
        free(buf);
        return NULL;
    }
    buf[size] = '\0';
    *len_out = (size_t)size;
    return buf;
}

static cJSON *parse_json_file(const char *rel)
{
    char path[MAX_PATH_LEN];
    size_t len = 0;
    unsigned char *text;
    cJSON *json;

    ref_path(path, sizeof path, rel);
    text = read_all(path, &len);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    json = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    if (json == NULL)
        fail_msg("JSON does not parse: %s", path);
    return json;
}

static const char *get_string(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(item) || item->valuestring == NULL)
        fail_msg("missing string field \"%s\"", key);
    return item->valuestring;
}

static size_t dtype_size(const char *dt)
{
    static const struct {
        const char *name;
        size_t size;
    } table[] = {
        {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4},
        {"I16", 2}, {"I8", 1},  {"U8", 1},  {"U16", 2},  {"U32", 4}, {"U64", 8}, {"BOOL", 1},
    };
    size_t i;
    for (i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, dt) == 0)
            return table[i].size;
    return 0;
}

/* A parsed safetensors header. */
typedef struct {
    cJSON *header;      /* the JSON header object */
    size_t file_size;
    size_t data_size;   /* bytes after the header */
} st_file;

typedef struct {
    size_t begin, end;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

/* Opens and validates a safetensors file; fails the test on any error. */
static void st_open(const char *rel, st_file *st)
{
    char path[MAX_PATH_LEN];
    size_t len = 0, i, n_tensors = 0, covered = 0;
    unsigned char *buf;
    uint64_t hlen = 0;
    cJSON *t;
    span *spans;

    ref_path(path, sizeof path, rel);
    buf = read_all(path, &len);
    if (buf == NULL)
        fail_msg("cannot read %s", path);
    if (len < 8) {
        free(buf);
        fail_msg("%s: shorter than 8 bytes", rel);
    }
    for (i = 0; i < 8; i++)
        hlen |= (uint64_t)buf[i] << (8 * i);
    if (hlen < 2 || hlen > len - 8) {
        free(buf);
        fail_msg("%s: header length %llu does not fit in the file (%zu bytes)", rel,
                 (unsigned long long)hlen, len);
    }
    st->header = cJSON_ParseWithLength((const char *)buf + 8, (size_t)hlen);
    free(buf);
    if (st->header == NULL || !cJSON_IsObject(st->header))
        fail_msg("%s: header is not a JSON object", rel);
    st->file_size = len;
    st->data_size = len - 8 - (size_t)hlen;

    cJSON_ArrayForEach(t, st->header) n_tensors++;
    spans = calloc(n_tensors + 1, sizeof *spans);
    assert_non_null(spans);
    n_tensors = 0;
    cJSON_ArrayForEach(t, st->header)
    {
        const cJSON *dt, *shape, *offs, *d;
        size_t elems = 1, esz = 0, a, b;
        if (strcmp(t->string, "__metadata__") == 0)
            continue;
        if (!cJSON_IsObject(t))
            fail_msg("%s: entry %s is not an object", rel, t->string);
        dt = cJSON_GetObjectItemCaseSensitive(t, "dtype");
        shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
        offs = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
        if (!cJSON_IsString(dt) || (esz = dtype_size(dt->valuestring)) == 0)
            fail_msg("%s: %s: bad dtype", rel, t->string);
        if (!cJSON_IsArray(shape))
            fail_msg("%s: %s: shape is not an array", rel, t->string);
        cJSON_ArrayForEach(d, shape)
        {
            if (!cJSON_IsNumber(d) || d->valuedouble < 0)
                fail_msg("%s: %s: bad shape entry", rel, t->string);
            elems *= (size_t)d->valuedouble;
        }
        if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
            !cJSON_IsNumber(cJSON_GetArrayItem(offs, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(offs, 1)))
            fail_msg("%s: %s: bad data_offsets", rel, t->string);
        a = (size_t)cJSON_GetArrayItem(offs, 0)->valuedouble;
        b = (size_t)cJSON_GetArrayItem(offs, 1)->valuedouble;
        if (a > b || b > st->data_size)
            fail_msg("%s: %s: data_offsets [%zu,%zu) outside the data (%zu bytes)", rel, t->string, a,
                     b, st->data_size);
        if (b - a != elems * esz)
            fail_msg("%s: %s: span %zu != shape x dtype size %zu", rel, t->string, b - a, elems * esz);
        spans[n_tensors].begin = a;
        spans[n_tensors].end = b;
        n_tensors++;
    }
    qsort(spans, n_tensors, sizeof *spans, span_cmp);
    for (i = 0; i < n_tensors; i++) {
        if (spans[i].begin != covered)
            fail_msg("%s: tensor data overlaps or leaves a hole at byte %zu", rel, covered);
        covered = spans[i].end;
    }
    if (covered != st->data_size)
        fail_msg("%s: tensor data covers %zu of %zu bytes", rel, covered, st->data_size);
    free(spans);
}

static void st_close(st_file *st)
{
    cJSON_Delete(st->header);
    st->header = NULL;
}

/* Fails unless tensor `name` is present; checks dtype (if non-NULL) and shape
 * (if non-NULL: a JSON array of numbers). */
static void st_expect(const st_file *st, const char *rel, const char *name, const char *dtype,
                      const cJSON *shape)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(st->header, name);
    if (t == NULL || strcmp(name, "__metadata__") == 0)
        fail_msg("%s: tensor %s missing", rel, name);
    if (dtype != NULL) {
        const char *got = get_string(t, "dtype");
        if (strcmp(got, dtype) != 0)
            fail_msg("%s: tensor %s has dtype %s, expected %s", rel, name, got, dtype);
    }
    if (shape != NULL) {
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(t, "shape");
        if (!cJSON_Compare(got, shape, 1))
            fail_msg("%s: tensor %s has a different shape than the manifest says", rel, name);
    }
}

/* ------------------------------------------------------------------------ */
/* fixtures                                                                  */
/* ------------------------------------------------------------------------ */

static int setup_manifest(void **state)
{
    char path[MAX_PATH_LEN];
    size_t len = 0;
    unsigned char *text;
    cJSON *json;

    snprintf(path, sizeof path, "%s/manifest.json", REF_DIR);
    text = read_all(path, &len);
    if (text == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    json = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    if (json == NULL) {
        fprintf(stderr, "manifest does not parse: %s\n", path);
        return -1;
    }
    *state = json;
    return 0;
}

static int teardown_manifest(void **state)
{
    cJSON_Delete(*state);
    return 0;
}

static const cJSON *manifest_array(void **state, const char *key)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive((const cJSON *)*state, key);
    assert_true(cJSON_IsArray(a));
    assert_true(cJSON_GetArraySize(a) > 0);
    return a;
}

static const cJSON *find_model(void **state, const char *name)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, manifest_array(state, "models"))
    {
        if (strcmp(get_string(m, "name"), name) == 0)
            return m;
    }
    fail_msg("model %s not in the manifest", name);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* tests                                                                     */
/* ------------------------------------------------------------------------ */

static void test_manifest_parses(void **state)
{
    const cJSON *man = *state;
    const cJSON *v, *tol, *f32, *init;
    static const char *const required[] = {"schema_version", "versions", "tolerances", "models",
                                           "cases", "rel_index", "init", "seeds", "notes"};
    static const char *const versions[] = {"torch", "transformers", "safetensors", "numpy"};
    size_t i;

    for (i = 0; i < sizeof required / sizeof required[0]; i++)
        if (cJSON_GetObjectItemCaseSensitive(man, required[i]) == NULL)
            fail_msg("manifest lacks \"%s\"", required[i]);
    v = cJSON_GetObjectItemCaseSensitive(man, "schema_version");
    assert_true(cJSON_IsNumber(v));
    assert_int_equal(v->valueint, 1);
    for (i = 0; i < sizeof versions / sizeof versions[0]; i++)
        (void)get_string(cJSON_GetObjectItemCaseSensitive(man, "versions"), versions[i]);
    init = cJSON_GetObjectItemCaseSensitive(man, "init");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(init, "initializer_range")));

    tol = cJSON_GetObjectItemCaseSensitive(man, "tolerances");
    f32 = cJSON_GetObjectItemCaseSensitive(tol, "float32");
    assert_non_null(f32);
    {
        static const char *const keys[] = {"last_hidden_state", "hidden_states", "head_outputs",
                                           "attentions", "emd"};
        for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(f32, keys[i]);
            const cJSON *atol = cJSON_GetObjectItemCaseSensitive(e, "atol");
            if (!cJSON_IsNumber(atol) || atol->valuedouble <= 0 || atol->valuedouble > 1e-3)
                fail_msg("tolerances.float32.%s.atol missing or implausible", keys[i]);
        }
    }
}

static void test_models_present(void **state)
{
    const cJSON *m;
    int n = 0, have_v1 = 0, have_v2 = 0;

    cJSON_ArrayForEach(m, manifest_array(state, "models"))
    {
        const char *name = get_string(m, "name");
        const char *weights = get_string(m, "weights");
        const char *wdtype = get_string(m, "weights_dtype");
        const char *model_type = get_string(m, "model_type");
        const char *st_dtype = strcmp(wdtype, "float32") == 0   ? "F32"
                               : strcmp(wdtype, "float16") == 0 ? "F16"
                               : strcmp(wdtype, "bfloat16") == 0 ? "BF16"
                                                                 : NULL;
        cJSON *cfg = parse_json_file(get_string(m, "config"));
        const cJSON *w;
        st_file st;

        if (st_dtype == NULL)
            fail_msg("%s: unknown weights_dtype %s", name, wdtype);
        if (strcmp(get_string(cfg, "model_type"), model_type) != 0)
            fail_msg("%s: config.json model_type differs from the manifest", name);
        if (strcmp(model_type, "deberta") == 0)
            have_v1 = 1;
        else if (strcmp(model_type, "deberta-v2") == 0)
            have_v2 = 1;
        else
            fail_msg("%s: unexpected model_type %s", name, model_type);
        assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(cfg, "hidden_size")));
        cJSON_Delete(cfg);

        st_open(weights, &st);
        {
            /* real models: at most 2 MB of weights */
            if (st.file_size > 2u * 1024u * 1024u)
                fail_msg("%s: weights larger than 2 MB", name);
        }
        w = cJSON_GetObjectItemCaseSensitive(m, "weight_names");
        assert_true(cJSON_IsArray(w) && cJSON_GetArraySize(w) > 0);
        {
            const cJSON *wn;
            int n_names = 0, n_header = 0;
            const cJSON *t;
            cJSON_ArrayForEach(wn, w)
            {
                assert_true(cJSON_IsString(wn));
                st_expect(&st, weights, wn->valuestring, st_dtype, NULL);
                n_names++;
            }
            cJSON_ArrayForEach(t, st.header)
            {
                if (strcmp(t->string, "__metadata__") != 0)
                    n_header++;
            }
            assert_int_equal(n_names, n_header);
        }
        {
            const cJSON *x;
            cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(m, "extra_tensors"))
                st_expect(&st, weights, x->valuestring, st_dtype, NULL);
        }
        st_close(&st);
        n++;
    }
    assert_true(n >= 7);
    assert_true(have_v1 && have_v2);
}

static void test_cases_present(void **state)
{
    const cJSON *c;
    int n = 0;

    cJSON_ArrayForEach(c, manifest_array(state, "cases"))
    {
        const char *model = get_string(c, "model");
        const char *in_rel = get_string(c, "input");
        const char *out_rel = get_string(c, "output");
        const cJSON *mentry = find_model(state, model);
        const cJSON *ishape = cJSON_GetObjectItemCaseSensitive(c, "input_shape");
        const cJSON *tensors = cJSON_GetObjectItemCaseSensitive(c, "tensors");
        const cJSON *keys = cJSON_GetObjectItemCaseSensitive(c, "input_keys");
        const cJSON *t, *k;
        cJSON *in = parse_json_file(in_rel);
        st_file st;
        int rank = cJSON_GetArraySize(ishape);

        (void)mentry;
        assert_true(rank == 2 || rank == 3);
        /* every input key is an array with the input shape */
        cJSON_ArrayForEach(k, keys)
        {
            const cJSON *arr = cJSON_GetObjectItemCaseSensitive(in, k->valuestring);
            const cJSON *row = arr;
            int dim;
            if (!cJSON_IsArray(arr))
                fail_msg("%s: %s missing", in_rel, k->valuestring);
            for (dim = 0; dim < rank; dim++) {
                if (!cJSON_IsArray(row) ||
                    cJSON_GetArraySize(row) != cJSON_GetArrayItem(ishape, dim)->valueint)
                    fail_msg("%s: %s does not have the manifest's input_shape", in_rel,
                             k->valuestring);
                row = cJSON_GetArrayItem(row, 0);
            }
            assert_true(cJSON_IsNumber(row));
        }
        assert_non_null(cJSON_GetObjectItemCaseSensitive(in, "input_ids"));
        assert_non_null(cJSON_GetObjectItemCaseSensitive(in, "attention_mask"));
        cJSON_Delete(in);

        st_open(out_rel, &st);
        assert_true(cJSON_IsObject(tensors) && cJSON_GetArraySize(tensors) > 0);
        assert_non_null(cJSON_GetObjectItemCaseSensitive(tensors, "last_hidden_state"));
        assert_non_null(cJSON_GetObjectItemCaseSensitive(tensors, "hidden_states.0"));
        assert_non_null(cJSON_GetObjectItemCaseSensitive(tensors, "attentions.0"));
        cJSON_ArrayForEach(t, tensors) st_expect(&st, out_rel, t->string, "F32", t);
        st_close(&st);
        n++;
    }
    assert_true(n >= 21);
}

static void test_rel_index_present(void **state)
{
    const cJSON *ri = cJSON_GetObjectItemCaseSensitive((const cJSON *)*state, "rel_index");
    const char *file = get_string(ri, "file");
    const cJSON *tables = cJSON_GetObjectItemCaseSensitive(ri, "tables");
    const cJSON *t;
    st_file st;
    int n = 0;

    assert_true(cJSON_IsObject(tables));
    st_open(file, &st);
    cJSON_ArrayForEach(t, tables)
    {
        const cJSON *L = cJSON_GetObjectItemCaseSensitive(t, "L");
        const cJSON *full = cJSON_GetObjectItemCaseSensitive(t, "full_table");
        const char *family = get_string(t, "family");
        char name[256];
        cJSON *shape;
        assert_true(cJSON_IsNumber(L));

        if (cJSON_IsTrue(full)) {
            shape = cJSON_CreateArray();
            cJSON_AddItemToArray(shape, cJSON_CreateNumber(L->valuedouble));
            cJSON_AddItemToArray(shape, cJSON_CreateNumber(L->valuedouble));
            st_expect(&st, file, t->string, "I32", shape);
            if (strcmp(family, "v1") == 0) {
                snprintf(name, sizeof name, "%s_row", t->string);
                st_expect(&st, file, name, "I32", shape);
            }
            cJSON_Delete(shape);
        }
        shape = cJSON_CreateArray();
        cJSON_AddItemToArray(shape, cJSON_CreateNumber(2 * L->valuedouble - 1));
        snprintf(name, sizeof name, "%s_delta", t->string);
        st_expect(&st, file, name, "I32", shape);
        if (strcmp(family, "v2") == 0) {
            snprintf(name, sizeof name, "%s_bucket_delta", t->string);
            st_expect(&st, file, name, "I32", shape);
        }
        cJSON_Delete(shape);
        n++;
    }
    st_close(&st);
    /* the real-checkpoint tables are there */
    assert_non_null(cJSON_GetObjectItemCaseSensitive(tables, "v2_b256_m512_L512"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(tables, "v2_b256_m512_L1024"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(ri, "delta_511"));
    assert_true(n >= 4);
}

static void test_model_tables_referenced(void **state)
{
    /* every model that names a rel-index table points at an existing one */
    const cJSON *tables =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive((const cJSON *)*state, "rel_index"),
                                         "tables");
    const cJSON *m;
    cJSON_ArrayForEach(m, manifest_array(state, "models"))
    {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "rel_index_table");
        if (r == NULL)
            continue;
        assert_true(cJSON_IsString(r));
        if (cJSON_GetObjectItemCaseSensitive(tables, r->valuestring) == NULL)
            fail_msg("model %s names rel table %s, which is absent", get_string(m, "name"),
                     r->valuestring);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_parses),
        cmocka_unit_test(test_models_present),
        cmocka_unit_test(test_cases_present),
        cmocka_unit_test(test_rel_index_present),
        cmocka_unit_test(test_model_tables_referenced),
    };
    return cmocka_run_group_tests_name("fixtures_manifest", tests, setup_manifest, teardown_manifest);
}
