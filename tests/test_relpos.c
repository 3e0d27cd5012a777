/* SPDX-License-Identifier: Apache-2.0 */
/* The delta -> slot table against the index tables transformers builds (fixtures). */
#include "fixtures.h"
#include "relpos.h"

static dcl_st_file tables;
static cJSON *manifest;

static const int32_t *table(const char *name, uint64_t *n)
{
    for (int i = 0; i < tables.count; i++)
        if (!strcmp(tables.tensors[i].name, name)) {
            *n = tables.tensors[i].numel;
            return (const int32_t *)tables.tensors[i].data;
        }
    fail_msg("no table %s", name);
    return NULL;
}

static dcl_config config_for(cJSON *t)
{
    dcl_config c;
    memset(&c, 0, sizeof c);
    c.version = strcmp(cJSON_GetObjectItem(t, "family")->valuestring, "v1") ? 2 : 1;
    c.relative_attention = 1;
    c.max_relative_positions = cJSON_GetObjectItem(t, "max_relative_positions")->valueint;
    cJSON *pb = cJSON_GetObjectItem(t, "position_buckets");
    c.position_buckets = cJSON_IsNumber(pb) ? pb->valueint : 0;
    c.att_span = c.version == 2 && c.position_buckets > 0 ? c.position_buckets : c.max_relative_positions;
    return c;
}

static void test_every_table(void **state)
{
    (void)state;
    cJSON *t;
    int checked = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(cJSON_GetObjectItem(manifest, "rel_index"), "tables"))
    {
        dcl_config c = config_for(t);
        int L = cJSON_GetObjectItem(t, "L")->valueint;
        char name[128];
        uint64_t n;
        /* 1-D over delta: for v1 the table indexes the slice; the _row table is the whole table */
        snprintf(name, sizeof name, "%s_delta", t->string);
        const int32_t *d = table(name, &n);
        assert_int_equal(n, 2 * L - 1);
        int span = c.version == 1 ? (L < c.max_relative_positions ? L : c.max_relative_positions) : 0;
        for (int k = 0; k < 2 * L - 1; k++) {
            long delta = k - (L - 1);
            int want = c.version == 1 ? d[k] + c.max_relative_positions - span : d[k];
            if (dcl_rel_slot(&c, delta) != want)
                fail_msg("%s: delta %ld: slot %d, transformers %d", t->string, delta, dcl_rel_slot(&c, delta), want);
        }
        /* the full [L, L] table where present */
        if (cJSON_IsTrue(cJSON_GetObjectItem(t, "full_table"))) {
            snprintf(name, sizeof name, c.version == 1 ? "%s_row" : "%s", t->string);
            const int32_t *full = table(name, &n);
            assert_int_equal(n, (uint64_t)L * L);
            for (int i = 0; i < L; i++)
                for (int j = 0; j < L; j++)
                    assert_int_equal(dcl_rel_slot(&c, i - j), full[i * L + j]);
        }
        /* the compact table the encoder uploads */
        int *slot = malloc((2 * (size_t)L - 1) * sizeof *slot), lo, cnt;
        dcl_rel_slot_table(&c, L, slot, &lo, &cnt);
        for (int k = 0; k < 2 * L - 1; k++) {
            assert_int_equal(slot[k] + lo, dcl_rel_slot(&c, k - (L - 1)));
            assert_true(slot[k] >= 0 && slot[k] < cnt);
        }
        free(slot);
        checked++;
    }
    assert_true(checked >= 7);
}

static void test_distance_511(void **state)
{
    (void)state;
    /* deberta-v3: 256 buckets, 512 relative positions; |i-j| = 511 lands exactly on 255 */
    assert_int_equal(dcl_log_bucket(511, 256, 512), 255);
    assert_int_equal(dcl_log_bucket(-511, 256, 512), -255);
    assert_int_equal(dcl_log_bucket(129, 256, 512), 129);
    assert_int_equal(dcl_log_bucket(140, 256, 512), 137);
    assert_int_equal(dcl_log_bucket(400, 256, 512), 233);
    assert_int_equal(dcl_log_bucket(-128, 256, 512), -128);
    dcl_config c;
    memset(&c, 0, sizeof c);
    c.version = 2;
    c.position_buckets = 256;
    c.max_relative_positions = 512;
    c.att_span = 256;
    assert_int_equal(dcl_rel_slot(&c, 511), 511);
    assert_int_equal(dcl_rel_slot(&c, -511), 1);
    assert_int_equal(dcl_rel_slot(&c, -600), 0);
    assert_int_equal(dcl_rel_slot(&c, 0), 256);
}

int main(void)
{
    manifest = fx_manifest();
    if (dcl_st_open(FX_DIR "/rel_index.safetensors", &tables) != DCL_OK) {
        fprintf(stderr, "%s\n", dcl_last_error());
        return 1;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_table), cmocka_unit_test(test_distance_511)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    dcl_st_close(&tables);
    cJSON_Delete(manifest);
    return rc;
}
