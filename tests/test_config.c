/* SPDX-License-Identifier: Apache-2.0 */
/* config.json and safetensors headers with numbers out of every range: a clear error, no
 * wrapped products, no out-of-range float-to-integer conversion (run under -DDCL_SANITIZE=ON,
 * which traps float-cast-overflow, to see the last). */
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "safetensors.h"
#include "test_common.h"
#include "util.h"

#define BASE "{\"model_type\":\"deberta-v2\",\"hidden_size\":32,\"num_hidden_layers\":2,\"intermediate_size\":64,"

static void expect(const char *json, dcl_status want, const char *needle)
{
    dcl_config c;
    dcl_status st = dcl_config_parse(json, strlen(json), "config.json", &c);
    if (st == DCL_OK)
        dcl_config_free(&c);
    if (st != want || (needle && !strstr(dcl_last_error(), needle)))
        fail_msg("%s: got %s \"%s\"; want %s with \"%s\"", json, dcl_status_string(st), dcl_last_error(),
                 dcl_status_string(want), needle ? needle : "");
}

static void test_products_do_not_wrap(void **state)
{
    (void)state;
    /* 65536 x 65537 wrapped to 65536 in int: the split-heads kernel then wrote out of bounds */
    expect(BASE "\"num_attention_heads\":65536,\"attention_head_size\":65537}", DCL_ERR_UNSUPPORTED,
           "attention_head_size");
    expect(BASE "\"num_attention_heads\":4,\"attention_head_size\":1000000}", DCL_ERR_UNSUPPORTED,
           "attention_head_size");
    expect(BASE "\"num_attention_heads\":4,\"vocab_size\":100000000}", DCL_ERR_UNSUPPORTED, "vocab_size");
    expect("{\"model_type\":\"deberta\",\"hidden_size\":32,\"num_attention_heads\":4,\"num_hidden_layers\":100000000}",
           DCL_ERR_UNSUPPORTED, "num_hidden_layers");
    expect(BASE "\"num_attention_heads\":4,\"max_position_embeddings\":1000000000}", DCL_ERR_UNSUPPORTED,
           "max_position_embeddings");
    expect(BASE "\"num_attention_heads\":4,\"pooler_hidden_size\":-3}", DCL_ERR_UNSUPPORTED, "pooler_hidden_size");
    /* the same folder with sane numbers parses */
    expect(BASE "\"num_attention_heads\":4,\"attention_head_size\":8}", DCL_OK, NULL);
}

static void test_huge_numbers(void **state)
{
    (void)state;
    expect(BASE "\"num_attention_heads\":1e300}", DCL_ERR_FORMAT, "num_attention_heads");
    expect(BASE "\"num_attention_heads\":-1e300}", DCL_ERR_FORMAT, "num_attention_heads");
    expect(BASE "\"num_attention_heads\":4,\"position_buckets\":9.3e18}", DCL_ERR_FORMAT, "position_buckets");
    expect(BASE "\"num_attention_heads\":4,\"layer_norm_eps\":1e300}", DCL_ERR_FORMAT, "layer_norm_eps");
    expect(BASE "\"num_attention_heads\":4,\"layer_norm_eps\":-1}", DCL_ERR_FORMAT, "layer_norm_eps");
}

static void write_st(const char *path, const char *header, size_t data_bytes)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint64_t n = strlen(header);
    for (int i = 0; i < 8; i++)
        fputc((int)((n >> (8 * i)) & 0xff), f);
    fwrite(header, 1, n, f);
    for (size_t i = 0; i < data_bytes; i++)
        fputc(0, f);
    fclose(f);
}

static void test_safetensors_offsets(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/test_config_%d.safetensors", DCL_TEST_BINARY_DIR, (int)getpid());
    static const char *const bad[] = {
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1e300,1e300]}}",
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,3e19]}}",
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-1e300,8]}}",
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,8]}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_st(path, bad[i], 8);
        dcl_st_file f;
        dcl_status st = dcl_st_open(path, &f);
        if (st == DCL_OK)
            dcl_st_close(&f);
        if (st != DCL_ERR_FORMAT)
            fail_msg("%s: got %s", bad[i], dcl_status_string(st));
        assert_non_null(strstr(dcl_last_error(), "tensor t"));
    }
    write_st(path, "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    dcl_st_file f;
    assert_int_equal(dcl_st_open(path, &f), DCL_OK);
    dcl_st_close(&f);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_products_do_not_wrap),
        cmocka_unit_test(test_huge_numbers),
        cmocka_unit_test(test_safetensors_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
