/* SPDX-License-Identifier: Apache-2.0 */
/* Tuning profiles without a device: parsing, the hierarchy, user over shipped, bad profiles, and
 * the -D options the builder receives. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_common.h"

#include "context.h"
#include "profiles.h"
#include "tuning.h"

static char tmp[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "%s/profiles_XXXXXX", DCL_TEST_BINARY_DIR);
    if (!mkdtemp(tmp))
        return -1;
    unsetenv("DEBERTACL_PROFILE_PATH");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    unsetenv("DEBERTACL_PROFILE_PATH");
    return system(cmd) == 0 ? 0 : -1;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *tmp_path(const char *name)
{
    static char p[2][512];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", tmp, name);
    return p[k];
}

static dcl_device_info device(dcl_device_type type, const char *vendor, const char *arch, const char *name)
{
    dcl_device_info d;
    memset(&d, 0, sizeof d);
    d.type = type;
    snprintf(d.vendor_short, sizeof d.vendor_short, "%s", vendor);
    snprintf(d.architecture, sizeof d.architecture, "%s", arch);
    snprintf(d.name, sizeof d.name, "%s", name);
    snprintf(d.platform_name, sizeof d.platform_name, "Test Platform");
    d.max_work_group_size = 1024;
    return d;
}

static dcl_tuning_state *resolve(const dcl_device_info *d, const char *cache_dir, dcl_status expect)
{
    static dcl_tuning_state t;
    assert_int_equal(dcl_profiles_resolve(NULL, d, cache_dir, 0, &t), expect);
    return &t;
}

/* Captured warnings of the process-wide log sink. */
static char warned[4096];
static void capture(dcl_log_level level, const char *message, void *user)
{
    (void)user;
    if (level == DCL_LOG_WARN && strlen(warned) + strlen(message) + 2 < sizeof warned) {
        strcat(warned, message);
        strcat(warned, "\n");
    }
}

/* Every shipped profile parses without a warning, and names only legal values. */
static void test_shipped_profiles_are_clean(void **state)
{
    (void)state;
    warned[0] = '\0';
    dcl_set_log_callback(capture, NULL, DCL_LOG_WARN);
    assert_true(dcl_embedded_profile_count >= 8);
    for (size_t i = 0; i < dcl_embedded_profile_count; i++) {
        dcl_profile p;
        dcl_status st = dcl_profile_parse(NULL, dcl_embedded_profiles[i].source, dcl_embedded_profiles[i].length,
                                          dcl_embedded_profiles[i].name, "x", 0, &p);
        if (st != DCL_OK)
            fail_msg("%s: %s", dcl_embedded_profiles[i].name, dcl_last_error());
    }
    dcl_set_log_callback(NULL, NULL, DCL_LOG_WARN);
    assert_string_equal(warned, "");
}

/* defaults < type < vendor < architecture < name; each level overrides only what it names. */
static void test_hierarchy(void **state)
{
    (void)state;
    dcl_device_info pocl = device(DCL_DEVICE_CPU, "PoCL", "", "pthread-skylake-avx512-AMD EPYC");
    dcl_tuning_state *t = resolve(&pocl, NULL, DCL_OK);
    assert_string_equal(t->chain, "defaults < cpu < pocl-cpu");
    assert_int_equal(t->value[DCL_T_GEMM_ROUTE_NT], DCL_GEMM_ROUTE_OWN); /* from cpu */
    assert_int_equal(t->value[DCL_T_HEADS_CHUNK_FLOATS], dcl_tunables[DCL_T_HEADS_CHUNK_FLOATS].def);
    assert_int_equal(t->source[DCL_T_HEADS_CHUNK_FLOATS], -1);

    dcl_device_info a100 = device(DCL_DEVICE_GPU, "NVIDIA", "SM8.0", "NVIDIA A100-SXM4-40GB");
    t = resolve(&a100, NULL, DCL_OK);
    assert_string_equal(t->chain, "defaults < gpu < nvidia < nvidia-ampere");
    assert_int_equal(t->value[DCL_T_GEMM_ROUTE_NT], DCL_GEMM_ROUTE_CLBLAST);
    assert_true(t->value[DCL_T_KWG] > 0); /* CLBlast's database values for Ampere */
    assert_int_equal(t->level_tuned[t->levels - 1], 0);

    dcl_device_info h100 = device(DCL_DEVICE_GPU, "NVIDIA", "SM9.0", "NVIDIA H100 80GB HBM3");
    t = resolve(&h100, NULL, DCL_OK);
    assert_string_equal(t->chain, "defaults < gpu < nvidia < nvidia-hopper");

    dcl_device_info rdna3 = device(DCL_DEVICE_GPU, "AMD", "gfx1100", "gfx1100");
    t = resolve(&rdna3, NULL, DCL_OK);
    assert_string_equal(t->chain, "defaults < gpu < amd < amd-rdna3");
    dcl_device_info mi = device(DCL_DEVICE_GPU, "AMD", "gfx90a", "gfx90a:sramecc+:xnack-");
    t = resolve(&mi, NULL, DCL_OK);
    assert_string_equal(t->chain, "defaults < gpu < amd < amd-cdna");
    dcl_device_info arc = device(DCL_DEVICE_GPU, "Intel", "", "Intel(R) Arc(TM) A770 Graphics");
    t = resolve(&arc, NULL, DCL_OK);
    assert_string_equal(t->chain, "defaults < gpu < intel-arc");

    /* an unknown accelerator gets the built-in defaults only */
    dcl_device_info other = device(DCL_DEVICE_ACCELERATOR, "Other", "", "X");
    t = resolve(&other, NULL, DCL_OK);
    assert_string_equal(t->chain, "defaults");
    for (int i = 0; i < DCL_T_COUNT; i++)
        assert_int_equal(t->value[i], dcl_tunables[i].def);
}

/* Most specific wins whatever the file names; a profile for another device is left out. */
static void test_specificity_order(void **state)
{
    (void)state;
    write_text(tmp_path("a.json"), "{\"match\": {\"name\": \"Box\"}, \"parameters\": {\"LN_WG\": 4}}");
    write_text(tmp_path("b.json"), "{\"match\": {\"type\": \"cpu\"}, \"parameters\": {\"LN_WG\": 8, \"ATT_WG\": 8}}");
    write_text(tmp_path("c.json"), "{\"match\": {\"vendor\": \"Acme\"}, \"parameters\": {\"LN_WG\": 16, \"EW_LOCAL\": 3}}");
    write_text(tmp_path("d.json"), "{\"match\": {\"vendor\": \"Other\"}, \"parameters\": {\"LN_WG\": 32}}");
    write_text(tmp_path("notes.txt"), "not a profile");
    setenv("DEBERTACL_PROFILE_PATH", tmp, 1);
    dcl_device_info d = device(DCL_DEVICE_CPU, "Acme", "", "Acme Box 9");
    dcl_tuning_state *t = resolve(&d, NULL, DCL_OK);
    assert_int_equal(t->value[DCL_T_LN_WG], 4);     /* name beats vendor beats type */
    assert_int_equal(t->value[DCL_T_ATT_WG], 8);    /* only the type level names it */
    assert_int_equal(t->value[DCL_T_EW_LOCAL], 3);  /* vendor level */
    assert_non_null(strstr(t->chain, "b.json < user:"));
    assert_null(strstr(t->chain, "d.json"));
    char *c = strstr(t->chain, "c.json"), *a = strstr(t->chain, "a.json");
    assert_true(c && a && c < a);
}

/* The tuner's results beat the shipped profiles; DEBERTACL_PROFILE_PATH beats both. */
static void test_user_over_shipped(void **state)
{
    (void)state;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/cache/profiles", tmp);
    char cache[600];
    snprintf(cache, sizeof cache, "%s/cache", tmp);
    assert_int_equal(mkdir(cache, 0700), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    char tuned[700];
    snprintf(tuned, sizeof tuned, "%s/mine.json", dir);
    write_text(tuned, "{\"match\": {\"type\": \"cpu\"}, \"parameters\": {\"LN_WG\": 2, \"ATT_WG\": 2, "
                      "\"GEMM_ROUTE_NT\": \"clblast\"}}");
    dcl_device_info pocl = device(DCL_DEVICE_CPU, "PoCL", "", "cpu-name");
    dcl_tuning_state *t = resolve(&pocl, cache, DCL_OK);
    assert_int_equal(t->value[DCL_T_LN_WG], 2); /* over pocl-cpu, which is more specific */
    assert_int_equal(t->value[DCL_T_GEMM_ROUTE_NT], DCL_GEMM_ROUTE_CLBLAST);
    assert_non_null(strstr(t->chain, "pocl-cpu < tuned:"));

    write_text(tmp_path("user.json"), "{\"parameters\": {\"ATT_WG\": 512}}");
    setenv("DEBERTACL_PROFILE_PATH", tmp_path("user.json"), 1);
    t = resolve(&pocl, cache, DCL_OK);
    assert_int_equal(t->value[DCL_T_ATT_WG], 512);
    assert_int_equal(t->value[DCL_T_LN_WG], 2);
    assert_non_null(strstr(t->chain, "< user:"));
    assert_true(strstr(t->chain, "tuned:") < strstr(t->chain, "user:"));
    /* a missing file named by the variable is an error, not a silent default */
    setenv("DEBERTACL_PROFILE_PATH", tmp_path("missing.json"), 1);
    resolve(&pocl, cache, DCL_ERR_IO);
    assert_non_null(strstr(dcl_last_error(), "DEBERTACL_PROFILE_PATH"));
}

static dcl_status parse(const char *text, dcl_profile *p)
{
    return dcl_profile_parse(NULL, text, strlen(text), "my.json", "my", 2, p);
}

static void test_malformed(void **state)
{
    (void)state;
    dcl_profile p;
    assert_int_equal(parse("{\"parameters\": {\"LN_WG\": 4,}", &p), DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "my.json"));
    assert_int_equal(parse("[1, 2]", &p), DCL_ERR_FORMAT);
    assert_int_equal(parse("{\"parameters\": {\"LN_WG\": \"big\"}}", &p), DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "my.json"));
    assert_non_null(strstr(dcl_last_error(), "parameters.LN_WG"));
    assert_int_equal(parse("{\"parameters\": {\"LN_WG\": 2.5}}", &p), DCL_ERR_FORMAT);
    assert_int_equal(parse("{\"parameters\": {\"GEMM_ROUTE_NN\": \"fast\"}}", &p), DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "parameters.GEMM_ROUTE_NN"));
    assert_int_equal(parse("{\"match\": {\"type\": \"toaster\"}}", &p), DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "match.type"));
    assert_int_equal(parse("{\"match\": {\"vendor\": 3}}", &p), DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "match.vendor"));
    assert_int_equal(parse("{\"tuned\": \"yes\"}", &p), DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "tuned"));
    /* through the resolution too: the whole chain fails, naming the file */
    write_text(tmp_path("bad.json"), "{\"parameters\": {\"ATT_WG\": []}}");
    setenv("DEBERTACL_PROFILE_PATH", tmp, 1);
    dcl_device_info d = device(DCL_DEVICE_CPU, "PoCL", "", "x");
    resolve(&d, NULL, DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "bad.json"));
    assert_non_null(strstr(dcl_last_error(), "parameters.ATT_WG"));
}

static void test_unknown_fields_warn(void **state)
{
    (void)state;
    warned[0] = '\0';
    dcl_set_log_callback(capture, NULL, DCL_LOG_WARN);
    dcl_profile p;
    dcl_status st = parse("{\"colour\": \"red\", \"match\": {\"size\": 1}, \"parameters\": {\"LN_WG\": 4, \"TURBO\": 1}}", &p);
    dcl_set_log_callback(NULL, NULL, DCL_LOG_WARN);
    assert_int_equal(st, DCL_OK);
    assert_int_equal(p.value[DCL_T_LN_WG], 4);
    assert_non_null(strstr(warned, "my.json"));
    assert_non_null(strstr(warned, "\"colour\""));
    assert_non_null(strstr(warned, "\"match.size\""));
    assert_non_null(strstr(warned, "\"TURBO\""));
}

static void test_out_of_range(void **state)
{
    (void)state;
    dcl_profile p;
    assert_int_equal(parse("{\"parameters\": {\"LN_WG\": 2048}}", &p), DCL_ERR_RANGE);
    assert_non_null(strstr(dcl_last_error(), "parameters.LN_WG"));
    assert_non_null(strstr(dcl_last_error(), "2048"));
    assert_int_equal(parse("{\"parameters\": {\"LN_WG\": 0}}", &p), DCL_ERR_RANGE);
    assert_int_equal(parse("{\"parameters\": {\"ATT_WG\": 48}}", &p), DCL_ERR_RANGE); /* not a power of two */
    assert_non_null(strstr(dcl_last_error(), "power of two"));
    assert_int_equal(parse("{\"parameters\": {\"GEMM_NT_CB\": -1}}", &p), DCL_ERR_RANGE);
    assert_int_equal(parse("{\"parameters\": {\"KWG\": -2}}", &p), DCL_ERR_RANGE);
    /* -1 means "unset" for CLBlast parameters only */
    assert_int_equal(parse("{\"parameters\": {\"KWG\": -1, \"GEMM_ROUTE_NT\": 1}}", &p), DCL_OK);
    assert_int_equal(p.value[DCL_T_KWG], DCL_TUNING_UNSET);
    assert_int_equal(p.value[DCL_T_GEMM_ROUTE_NT], DCL_GEMM_ROUTE_OWN);
}

/* The options the builder appends for a kernel file: exactly its group's tunables. */
static void test_defines(void **state)
{
    (void)state;
    dcl_context ctx;
    memset(&ctx, 0, sizeof ctx);
    dcl_tuning_state t;
    dcl_tuning_reset(&t);
    t.value[DCL_T_LN_WG] = 8;
    t.value[DCL_T_GEMM_NT_CB] = 12;
    ctx.tuning = &t;
    char buf[256] = "";
    assert_int_equal(dcl_tuning_defines(&ctx, "layernorm", buf, sizeof buf), DCL_OK);
    assert_string_equal(buf, " -DLN_WG=8");
    buf[0] = '\0';
    assert_int_equal(dcl_tuning_defines(&ctx, "gemm_cpu", buf, sizeof buf), DCL_OK);
    assert_string_equal(buf, " -DGEMM_NT_CB=12 -DGEMM_NN_RB=8 -DGEMM_PK_MR=6 -DGEMM_PK_RB=4 -DGEMM_PK_VW=0 -DGEMM_PK_NV=2");
    buf[0] = '\0';
    assert_int_equal(dcl_tuning_defines(&ctx, "embeddings", buf, sizeof buf), DCL_OK);
    assert_string_equal(buf, "");
    assert_int_equal(dcl_tuning_value(&ctx, DCL_T_LN_WG), 8);
    char small[12] = "";
    assert_int_not_equal(dcl_tuning_defines(&ctx, "gemm_cpu", small, sizeof small), DCL_OK);
    assert_int_equal(strlen(small), 0); /* nothing partial */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_profiles_are_clean),
        cmocka_unit_test_setup_teardown(test_hierarchy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_specificity_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_over_shipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test(test_unknown_fields_warn),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_defines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
