/* SPDX-License-Identifier: Apache-2.0 */
/* Checkpoint loading: every fixture model, configs as in config.json, every kind of corrupt
 * file, sharded checkpoints, old names, F16/BF16, synthesised presets. */
#include <sys/stat.h>
#include <unistd.h>

#include "fixtures.h"
#include "model.h"
#include "ops.h"

static dcl_context *ctx;
static cJSON *manifest;
static char tmp[64];

/* ---- helpers: copy the v3 fixture folder with its safetensors header edited ---- */
typedef void (*edit_fn)(cJSON *hdr);

static void read_parts(const char *path, char **hdr, size_t *hlen, unsigned char **data, size_t *dlen)
{
    char *all;
    size_t n;
    assert_int_equal(dcl_read_file(NULL, path, &all, &n), DCL_OK);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--)
        h = (h << 8) | (unsigned char)all[i];
    *hlen = (size_t)h;
    *hdr = malloc(*hlen + 1);
    memcpy(*hdr, all + 8, *hlen);
    (*hdr)[*hlen] = '\0';
    *dlen = n - 8 - *hlen;
    *data = malloc(*dlen ? *dlen : 1);
    memcpy(*data, all + 8 + *hlen, *dlen);
    free(all);
}

static void write_parts(const char *path, const char *hdr, size_t hlen, uint64_t claimed, const unsigned char *data,
                        size_t dlen)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 8; i++)
        fputc((int)((claimed >> (8 * i)) & 0xff), f);
    fwrite(hdr, 1, hlen, f);
    fwrite(data, 1, dlen, f);
    fclose(f);
}

static void copy_file(const char *from, const char *to)
{
    char *d;
    size_t n;
    assert_int_equal(dcl_read_file(NULL, from, &d, &n), DCL_OK);
    assert_int_equal(dcl_write_file_atomic(NULL, to, d, n), DCL_OK);
    free(d);
}

/* Makes tmp/<name>/ from models/v3 with the header passed through edit (NULL: unchanged). */
static const char *variant(const char *name, edit_fn edit)
{
    static char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    mkdir(dir, 0755);
    char p[512];
    snprintf(p, sizeof p, "%s/config.json", dir);
    copy_file(fx_path("models/v3/config.json"), p);
    char *hdr;
    size_t hlen, dlen;
    unsigned char *data;
    read_parts(fx_path("models/v3/model.safetensors"), &hdr, &hlen, &data, &dlen);
    if (edit) {
        cJSON *j = cJSON_Parse(hdr);
        edit(j);
        free(hdr);
        hdr = cJSON_PrintUnformatted(j);
        hlen = strlen(hdr);
        cJSON_Delete(j);
    }
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    write_parts(p, hdr, hlen, hlen, data, dlen);
    free(hdr);
    free(data);
    return dir;
}

static dcl_status try_load(const char *dir)
{
    dcl_model *m = (dcl_model *)0x1;
    dcl_status st = dcl_model_load(ctx, dir, NULL, &m);
    if (st == DCL_OK)
        dcl_model_free(m);
    else
        assert_null(m);
    return st;
}

static void expect_error(const char *dir, dcl_status want, const char *needle1, const char *needle2)
{
    dcl_status st = try_load(dir);
    const char *msg = dcl_last_error();
    if (st != want || (needle1 && !strstr(msg, needle1)) || (needle2 && !strstr(msg, needle2)))
        fail_msg("%s: got %s \"%s\"; want %s with \"%s\" and \"%s\"", dir, dcl_status_string(st), msg,
                 dcl_status_string(want), needle1 ? needle1 : "", needle2 ? needle2 : "");
    assert_string_equal(dcl_context_last_error(ctx), msg);
}

/* ---- every fixture model loads, and reads as its config.json ---- */
static void test_fixture_models_load(void **state)
{
    (void)state;
    cJSON *m;
    int n = 0;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(manifest, "models"))
    {
        const char *name = cJSON_GetObjectItem(m, "name")->valuestring;
        dcl_model *model;
        dcl_status st = dcl_model_load(ctx, fx_path(cJSON_GetObjectItem(m, "folder")->valuestring), NULL, &model);
        if (st != DCL_OK)
            fail_msg("%s: %s", name, dcl_last_error());
        dcl_model_info info;
        assert_int_equal(dcl_model_get_info(model, &info), DCL_OK);
        cJSON *k = cJSON_GetObjectItem(m, "key_config");
        assert_string_equal(info.model_type, cJSON_GetObjectItem(m, "model_type")->valuestring);
        assert_int_equal(info.version, strcmp(info.model_type, "deberta") ? 2 : 1);
        assert_int_equal(info.hidden_size, cJSON_GetObjectItem(k, "hidden_size")->valueint);
        assert_int_equal(info.num_layers, cJSON_GetObjectItem(k, "num_hidden_layers")->valueint);
        assert_int_equal(info.num_heads, cJSON_GetObjectItem(k, "num_attention_heads")->valueint);
        assert_int_equal(info.intermediate_size, cJSON_GetObjectItem(k, "intermediate_size")->valueint);
        assert_int_equal(info.vocab_size, cJSON_GetObjectItem(k, "vocab_size")->valueint);
        assert_int_equal(info.type_vocab_size, cJSON_GetObjectItem(k, "type_vocab_size")->valueint);
        assert_int_equal(info.max_relative_positions, cJSON_GetObjectItem(k, "max_relative_positions")->valueint);
        cJSON *pb = cJSON_GetObjectItem(k, "position_buckets");
        assert_int_equal(info.position_buckets, cJSON_IsNumber(pb) ? pb->valueint : 0);
        cJSON *es = cJSON_GetObjectItem(k, "embedding_size");
        assert_int_equal(info.embedding_size, cJSON_IsNumber(es) ? es->valueint : info.hidden_size);
        assert_string_equal(info.architecture, cJSON_GetObjectItem(m, "architecture")->valuestring);
        assert_true(info.device_bytes >= info.parameters * 4);
        cJSON *head = cJSON_GetObjectItem(m, "head");
        const char *h = cJSON_IsString(head) ? head->valuestring : "";
        unsigned want = !strcmp(h, "mlm") ? DCL_HEAD_MLM
                      : !strcmp(h, "seqcls") ? DCL_HEAD_SEQUENCE_CLASS
                      : !strcmp(h, "tokcls") ? DCL_HEAD_TOKEN_CLASS
                      : !strcmp(h, "qa") ? DCL_HEAD_QA
                      : !strcmp(h, "mc") ? DCL_HEAD_MULTIPLE_CHOICE : 0;
        assert_int_equal(info.heads & ~DCL_HEAD_EMD, want);
        if (!strcmp(name, "v3_mlm"))
            assert_true(info.heads & DCL_HEAD_EMD);
        if (!strcmp(h, "seqcls")) {
            assert_int_equal(info.num_labels, 3);
            assert_string_equal(dcl_model_label(model, 0), "entailment");
            assert_string_equal(dcl_model_label(model, 2), "contradiction");
            assert_null(dcl_model_label(model, 3));
        }
        if (!strcmp(h, "tokcls"))
            assert_string_equal(dcl_model_label(model, 1), "B-PER");
        dcl_model_free(model);
        n++;
    }
    assert_true(n >= 16);
}

/* ---- corrupt files ---- */
static void e_unknown_dtype(cJSON *h)
{
    cJSON *t = cJSON_GetObjectItem(h, "encoder.layer.1.output.dense.weight");
    cJSON_ReplaceItemInObject(t, "dtype", cJSON_CreateString("F12"));
}
static void e_int_dtype(cJSON *h)
{
    /* a valid dtype of the right size for a tensor the model needs */
    cJSON *t = cJSON_GetObjectItem(h, "encoder.layer.1.output.dense.weight");
    cJSON_ReplaceItemInObject(t, "dtype", cJSON_CreateString("I32"));
}
static void e_span_mismatch(cJSON *h)
{
    cJSON *t = cJSON_GetObjectItem(h, "encoder.layer.0.intermediate.dense.bias");
    cJSON *shape = cJSON_GetObjectItem(t, "shape");
    cJSON_ReplaceItemInArray(shape, 0, cJSON_CreateNumber(36));
}
static void e_config_shape(cJSON *h)
{
    /* consistent in itself, but not the shape the config needs */
    cJSON *t = cJSON_GetObjectItem(h, "encoder.layer.0.intermediate.dense.bias");
    cJSON *shape = cJSON_GetObjectItem(t, "shape");
    cJSON_ReplaceItemInArray(shape, 0, cJSON_CreateNumber(1));
    cJSON_AddItemToArray(shape, cJSON_CreateNumber(37));
}
static void e_overlap(cJSON *h)
{
    cJSON *a = cJSON_GetObjectItem(h, "encoder.layer.0.intermediate.dense.bias");
    cJSON *b = cJSON_GetObjectItem(h, "encoder.layer.0.output.dense.bias");
    /* give b the bytes of a (same length: 37 vs 32 floats differ, so shrink to a's start) */
    double a0 = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "data_offsets"), 0)->valuedouble;
    cJSON *bo = cJSON_GetObjectItem(b, "data_offsets");
    cJSON_ReplaceItemInArray(bo, 0, cJSON_CreateNumber(a0 + 4));
    cJSON_ReplaceItemInArray(bo, 1, cJSON_CreateNumber(a0 + 4 + 32 * 4));
}
static void e_out_of_range(cJSON *h)
{
    cJSON *t = cJSON_GetObjectItem(h, "encoder.layer.0.output.dense.bias");
    cJSON *o = cJSON_GetObjectItem(t, "data_offsets");
    cJSON_ReplaceItemInArray(o, 0, cJSON_CreateNumber(1e9));
    cJSON_ReplaceItemInArray(o, 1, cJSON_CreateNumber(1e9 + 128));
}
static void e_missing(cJSON *h) { cJSON_DeleteItemFromObject(h, "encoder.layer.1.attention.self.key_proj.bias"); }
static void e_gamma_beta(cJSON *h)
{
    /* the old LayerNorm names */
    cJSON *w = cJSON_DetachItemFromObject(h, "embeddings.LayerNorm.weight");
    cJSON *b = cJSON_DetachItemFromObject(h, "embeddings.LayerNorm.bias");
    cJSON_AddItemToObject(h, "embeddings.LayerNorm.gamma", w);
    cJSON_AddItemToObject(h, "embeddings.LayerNorm.beta", b);
}

static void test_corrupt_headers(void **state)
{
    (void)state;
    expect_error(variant("dtype", e_unknown_dtype), DCL_ERR_FORMAT, "unknown dtype \"F12\"",
                 "encoder.layer.1.output.dense.weight");
    expect_error(variant("intdtype", e_int_dtype), DCL_ERR_FORMAT, "is not F32, F16 or BF16",
                 "encoder.layer.1.output.dense.weight");
    expect_error(variant("span", e_span_mismatch), DCL_ERR_FORMAT, "encoder.layer.0.intermediate.dense.bias",
                 "data_offsets span");
    expect_error(variant("cfgshape", e_config_shape), DCL_ERR_FORMAT, "encoder.layer.0.intermediate.dense.bias",
                 "config needs [37]");
    expect_error(variant("overlap", e_overlap), DCL_ERR_FORMAT, "overlap", "model.safetensors");
    expect_error(variant("range", e_out_of_range), DCL_ERR_FORMAT, "out of range",
                 "encoder.layer.0.output.dense.bias");
    expect_error(variant("missing", e_missing), DCL_ERR_FORMAT, "missing tensor",
                 "encoder.layer.1.attention.self.key_proj.bias");
    assert_int_equal(try_load(variant("gammabeta", e_gamma_beta)), DCL_OK);
}

static void test_corrupt_files(void **state)
{
    (void)state;
    const char *dir = variant("trunc", NULL);
    char p[512];
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    char *hdr;
    size_t hlen, dlen;
    unsigned char *data;
    read_parts(p, &hdr, &hlen, &data, &dlen);
    write_parts(p, hdr, hlen, hlen, data, dlen / 2); /* truncated file */
    expect_error(dir, DCL_ERR_FORMAT, "out of range", "model.safetensors");
    write_parts(p, hdr, hlen, hlen + dlen + 100, data, dlen); /* header length past the end */
    expect_error(dir, DCL_ERR_FORMAT, "runs past the end", NULL);
    write_parts(p, hdr, hlen, (uint64_t)1 << 40, data, dlen); /* absurd header length */
    expect_error(dir, DCL_ERR_FORMAT, "exceeds the limit", NULL);
    write_parts(p, hdr, hlen - 10, hlen - 10, data, dlen); /* bad JSON */
    expect_error(dir, DCL_ERR_FORMAT, "not a JSON object", NULL);
    write_parts(p, "", 0, 0, data, 0); /* nothing but a length */
    expect_error(dir, DCL_ERR_FORMAT, "not a JSON object", NULL);
    FILE *f = fopen(p, "wb");
    fputs("abc", f);
    fclose(f);
    expect_error(dir, DCL_ERR_FORMAT, "too short", NULL);
    free(hdr);
    free(data);
    /* no weights at all / only a pickle */
    remove(p);
    expect_error(dir, DCL_ERR_IO, "no model.safetensors", NULL);
    snprintf(p, sizeof p, "%s/pytorch_model.bin", dir);
    f = fopen(p, "wb");
    fputs("PK\x03\x04 not parsed", f);
    fclose(f);
    expect_error(dir, DCL_ERR_FORMAT, "pytorch_model.bin", "tools/convert_checkpoint.py");
    /* a sharded pickle: the converter too (and its installed name) */
    remove(p);
    snprintf(p, sizeof p, "%s/pytorch_model.bin.index.json", dir);
    f = fopen(p, "wb");
    fputs("{\"weight_map\": {}}", f);
    fclose(f);
    expect_error(dir, DCL_ERR_FORMAT, "pytorch_model.bin.index.json", "debertacl-convert-checkpoint");
    remove(p);
    /* no folder */
    expect_error("/nonexistent/dcl/model", DCL_ERR_IO, "/nonexistent/dcl/model", NULL);
}

static void write_config(const char *dir, const char *edit_key, cJSON *value)
{
    char p[512];
    snprintf(p, sizeof p, "%s/config.json", dir);
    cJSON *j = fx_read_json(fx_path("models/v3/config.json"));
    if (value)
        cJSON_ReplaceItemInObject(j, edit_key, value);
    else
        cJSON_DeleteItemFromObject(j, edit_key);
    char *text = cJSON_Print(j);
    assert_int_equal(dcl_write_file_atomic(NULL, p, text, strlen(text)), DCL_OK);
    free(text);
    cJSON_Delete(j);
}

static void test_bad_configs(void **state)
{
    (void)state;
    const char *dir = variant("config", NULL);
    write_config(dir, "model_type", cJSON_CreateString("bert"));
    expect_error(dir, DCL_ERR_UNSUPPORTED, "model_type \"bert\"", "config.json");
    write_config(dir, "hidden_act", cJSON_CreateString("quick_gelu_x"));
    expect_error(dir, DCL_ERR_UNSUPPORTED, "hidden_act \"quick_gelu_x\"", NULL);
    write_config(dir, "pos_att_type", cJSON_CreateString("c2p|p2p"));
    expect_error(dir, DCL_ERR_UNSUPPORTED, "pos_att_type", "p2p");
    write_config(dir, "hidden_size", cJSON_CreateString("32"));
    expect_error(dir, DCL_ERR_FORMAT, "hidden_size", "integer");
    write_config(dir, "model_type", NULL);
    expect_error(dir, DCL_ERR_FORMAT, "model_type", NULL);
    char p[512];
    snprintf(p, sizeof p, "%s/config.json", dir);
    assert_int_equal(dcl_write_file_atomic(NULL, p, "{\"model_type\": ", 15), DCL_OK);
    expect_error(dir, DCL_ERR_FORMAT, "not a JSON object", NULL);
    remove(p);
    expect_error(dir, DCL_ERR_IO, "config.json", NULL);
}

/* The pos_att_type string form of older configs, and the defaults of absent fields. */
static void test_config_defaults(void **state)
{
    (void)state;
    dcl_config c;
    const char *v3 = "{\"model_type\":\"deberta-v2\",\"relative_attention\":true,\"pos_att_type\":\"P2C|c2p\","
                     "\"position_buckets\":256,\"share_att_key\":true}";
    assert_int_equal(dcl_config_parse(v3, strlen(v3), "x", &c), DCL_OK);
    assert_int_equal(c.hidden_size, 1536);      /* DebertaV2Config's default */
    assert_int_equal(c.max_relative_positions, 512);
    assert_int_equal(c.position_biased_input, 1);
    assert_true(c.layer_norm_eps == 1e-7f);
    assert_int_equal(c.c2p + c.p2c, 2);
    assert_int_equal(c.scale_factor, 3);
    assert_int_equal(c.att_span, 256);
    dcl_config_free(&c);
    const char *v1 = "{\"model_type\":\"deberta\",\"relative_attention\":true,\"pos_att_type\":[\"c2p\"]}";
    assert_int_equal(dcl_config_parse(v1, strlen(v1), "x", &c), DCL_OK);
    assert_int_equal(c.hidden_size, 768);
    assert_int_equal(c.vocab_size, 50265);
    assert_int_equal(c.scale_factor, 2);
    dcl_config_free(&c);
    const char *th = "{\"model_type\":\"deberta\",\"talking_head\":true}";
    assert_int_equal(dcl_config_parse(th, strlen(th), "x", &c), DCL_ERR_UNSUPPORTED);
    assert_non_null(strstr(dcl_last_error(), "talking_head"));
}

/* Sharded: the v3 weights split over two files with an index give the same model. */
static void test_sharded(void **state)
{
    (void)state;
    char dir[256], p[512];
    snprintf(dir, sizeof dir, "%s/sharded", tmp);
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/config.json", dir);
    copy_file(fx_path("models/v3/config.json"), p);
    char *hdr;
    size_t hlen, dlen;
    unsigned char *data;
    read_parts(fx_path("models/v3/model.safetensors"), &hdr, &hlen, &data, &dlen);
    cJSON *all = cJSON_Parse(hdr), *h1 = cJSON_CreateObject(), *h2 = cJSON_CreateObject();
    cJSON *index = cJSON_CreateObject(), *map = cJSON_AddObjectToObject(index, "weight_map");
    int k = 0;
    cJSON *t;
    cJSON_ArrayForEach(t, all)
    {
        if (!strcmp(t->string, "__metadata__"))
            continue;
        int second = (k++ % 2) == 1;
        cJSON_AddItemToObject(second ? h2 : h1, t->string, cJSON_Duplicate(t, 1));
        cJSON_AddStringToObject(map, t->string, second ? "model-00002-of-00002.safetensors"
                                                       : "model-00001-of-00002.safetensors");
    }
    /* both shards keep the whole data area, each header naming half of it */
    char *t1 = cJSON_PrintUnformatted(h1), *t2 = cJSON_PrintUnformatted(h2), *ti = cJSON_Print(index);
    snprintf(p, sizeof p, "%s/model-00001-of-00002.safetensors", dir);
    write_parts(p, t1, strlen(t1), strlen(t1), data, dlen);
    snprintf(p, sizeof p, "%s/model-00002-of-00002.safetensors", dir);
    write_parts(p, t2, strlen(t2), strlen(t2), data, dlen);
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    assert_int_equal(dcl_write_file_atomic(NULL, p, ti, strlen(ti)), DCL_OK);
    dcl_model *m;
    assert_int_equal(dcl_model_load(ctx, dir, NULL, &m), DCL_OK);
    dcl_model_info info;
    dcl_model_get_info(m, &info);
    dcl_model *ref;
    assert_int_equal(dcl_model_load(ctx, fx_path("models/v3"), NULL, &ref), DCL_OK);
    dcl_model_info rinfo;
    dcl_model_get_info(ref, &rinfo);
    assert_int_equal(info.parameters, rinfo.parameters);
    dcl_model_free(ref);
    dcl_model_free(m);
    /* an index naming a shard that is not there */
    remove(p);
    cJSON_AddStringToObject(map, "extra.weight", "model-00003-of-00002.safetensors");
    free(ti);
    ti = cJSON_Print(index);
    assert_int_equal(dcl_write_file_atomic(NULL, p, ti, strlen(ti)), DCL_OK);
    expect_error(dir, DCL_ERR_IO, "model-00003-of-00002.safetensors", NULL);
    free(t1);
    free(t2);
    free(ti);
    cJSON_Delete(all);
    cJSON_Delete(h1);
    cJSON_Delete(h2);
    cJSON_Delete(index);
    free(hdr);
    free(data);
}

/* F16 and BF16 checkpoints load to the F32 values within their rounding. */
static void compare_dtype(const char *name, double rel)
{
    dcl_model *a, *b;
    assert_int_equal(dcl_model_load(ctx, fx_path("models/v3"), NULL, &a), DCL_OK);
    assert_int_equal(dcl_model_load(ctx, fx_path(name), NULL, &b), DCL_OK);
    size_t n = (size_t)a->cfg.vocab_size * a->cfg.embedding_size;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    assert_int_equal(dcl_buffer_read(ctx, a->word_emb, 0, n * sizeof *x, x), DCL_OK);
    assert_int_equal(dcl_buffer_read(ctx, b->word_emb, 0, n * sizeof *y, y), DCL_OK);
    int differ = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)x[i] - (double)y[i]);
        assert_true(d <= rel * fabs((double)x[i]) + 1e-30);
        differ += x[i] != y[i];
    }
    assert_true(differ > 0); /* the copy really was rounded */
    free(x);
    free(y);
    dcl_model_free(a);
    dcl_model_free(b);
}

static void test_f16_bf16(void **state)
{
    (void)state;
    compare_dtype("models/v3_f16", 1.0 / 2048); /* half a unit in the last place: 2^-11 */
    compare_dtype("models/v3_bf16", 1.0 / 256); /* 2^-8 */
}

static void test_synthesized(void **state)
{
    (void)state;
    dcl_model *m;
    dcl_model_params p = dcl_model_default_params();
    p.seed = 7;
    double t0 = dcl_now();
    assert_int_equal(dcl_model_synthesize(ctx, "deberta-v3-xsmall", &p, &m), DCL_OK);
    double secs = dcl_now() - t0;
    dcl_model_info info;
    dcl_model_get_info(m, &info);
    assert_int_equal(info.hidden_size, 384);
    assert_int_equal(info.num_layers, 12);
    assert_int_equal(info.vocab_size, 128100);
    assert_int_equal(info.position_buckets, 256);
    assert_true(info.synthetic);
    /* 128100*384 embeddings + 12 layers of 4*384^2 + 2*384*1536 (+ small vectors) */
    assert_true(info.parameters > 70000000 && info.parameters < 72000000);
    printf("  deberta-v3-xsmall synthesised in %.2f s (%.1f M parameters)\n", secs, info.parameters / 1e6);
    dcl_session *s;
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = 1;
    sp.max_length = 16;
    assert_int_equal(dcl_session_create(m, &sp, &s), DCL_OK);
    int32_t ids[16];
    for (int i = 0; i < 16; i++)
        ids[i] = i * 1000;
    float out[16 * 384];
    dcl_batch b = {1, 16, ids, NULL, NULL, NULL};
    dcl_outputs o = {out, NULL, NULL};
    assert_int_equal(dcl_encode(s, &b, &o), DCL_OK);
    assert_true(fx_all_finite(out, 16 * 384));
    dcl_session_free(s);
    dcl_model_free(m);
    dcl_model *bad = (dcl_model *)0x1;
    assert_int_equal(dcl_model_synthesize(ctx, "deberta-v9-huge", &p, &bad), DCL_ERR_IO);
    assert_null(bad);
    assert_non_null(strstr(dcl_last_error(), "deberta-v3-base"));
    assert_int_equal(dcl_model_synthesize(ctx, fx_path("models/v1_base/config.json"), &p, &m), DCL_OK);
    dcl_model_get_info(m, &info);
    assert_int_equal(info.hidden_size, 32);
    dcl_model_free(m);
    assert_int_equal(dcl_model_load(NULL, "x", NULL, &m), DCL_ERR_INVALID_ARGUMENT);
    dcl_model_free(NULL);
}

static int setup(void **state)
{
    (void)state;
    ctx = dcl_test_context(NULL);
    manifest = fx_manifest();
    snprintf(tmp, sizeof tmp, "/tmp/dcl_model_XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cJSON_Delete(manifest);
    dcl_context_free(ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    dcl_test_require_device();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_models_load), cmocka_unit_test(test_corrupt_headers),
        cmocka_unit_test(test_corrupt_files),       cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_config_defaults),     cmocka_unit_test(test_sharded),
        cmocka_unit_test(test_f16_bf16),            cmocka_unit_test(test_synthesized),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
