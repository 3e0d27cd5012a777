/* SPDX-License-Identifier: Apache-2.0 */
/* host/util: hashing, locale-independent numbers, strings, files. */
#include <locale.h>
#include <string.h>
#include <unistd.h>

#include "test_common.h"
#include "util.h"

static void test_hash_known_values(void **state)
{
    (void)state;
    /* FNV-1a 64 reference values */
    assert_true(dcl_hash64(DCL_HASH_SEED, "", 0) == 0xcbf29ce484222325ull);
    assert_true(dcl_hash64(DCL_HASH_SEED, "a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(dcl_hash64(DCL_HASH_SEED, "foobar", 6) == 0x85944171f73967e8ull);
    assert_true(dcl_hash_str(DCL_HASH_SEED, "ab") != dcl_hash_str(DCL_HASH_SEED, "ba"));
}

static void check_numbers(void)
{
    char buf[64];
    dcl_format_double(buf, sizeof buf, 1.5);
    assert_string_equal(buf, "1.5");
    dcl_format_double(buf, sizeof buf, 1e-7);
    assert_null(strchr(buf, ','));
    assert_string_equal(buf, "1e-07");
    assert_true(dcl_parse_double(buf, NULL) == 1e-7);
    dcl_format_double(buf, sizeof buf, 0.1);
    assert_string_equal(buf, "0.1");
    dcl_format_float(buf, sizeof buf, 0.25f);
    assert_string_equal(buf, "0.25");
    char *end;
    assert_true(dcl_parse_double("2.75x", &end) == 2.75);
    assert_int_equal(*end, 'x');
}

static void test_numbers_c_locale(void **state)
{
    (void)state;
    check_numbers();
}

static void test_numbers_comma_locale(void **state)
{
    (void)state;
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "C.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !got; i++)
        got = setlocale(LC_ALL, names[i]);
    /* whatever locale the process is in, the output uses '.' */
    check_numbers();
    setlocale(LC_ALL, "C");
}

static void test_strings(void **state)
{
    (void)state;
    assert_int_equal(dcl_strcasecmp("PoCL", "pocl"), 0);
    assert_true(dcl_strcasecmp("a", "b") < 0);
    assert_non_null(dcl_strcasestr("pthread-haswell-AMD EPYC", "amd epyc"));
    assert_null(dcl_strcasestr("GeForce", "radeon"));
    char small[4];
    dcl_strlcpy(small, "abcdef", sizeof small);
    assert_string_equal(small, "abc");
    char *p = dcl_path_join("/tmp/x", "y.bin");
    assert_string_equal(p, "/tmp/x/y.bin");
    free(p);
    p = dcl_path_join("/tmp/x/", "y.bin");
    assert_string_equal(p, "/tmp/x/y.bin");
    free(p);
}

static void test_files_and_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/dcl_util_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *sub = dcl_path_join(dir, "a/b/c");
    assert_int_equal(dcl_mkdirs(sub), 0);
    char *file = dcl_path_join(sub, "f.txt");
    assert_int_equal(dcl_write_file_atomic(NULL, file, "hello", 5), DCL_OK);
    char *data;
    size_t len;
    assert_int_equal(dcl_read_file(NULL, file, &data, &len), DCL_OK);
    assert_int_equal(len, 5);
    assert_string_equal(data, "hello");
    free(data);
    remove(file);
    assert_int_equal(dcl_read_file(NULL, file, &data, &len), DCL_ERR_IO);
    assert_non_null(strstr(dcl_last_error(), "f.txt"));
    assert_null(data);
    free(file);
    free(sub);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_status_strings(void **state)
{
    (void)state;
    const dcl_status all[] = {DCL_OK, DCL_ERR_INVALID_ARGUMENT, DCL_ERR_OUT_OF_MEMORY, DCL_ERR_IO,
                              DCL_ERR_FORMAT, DCL_ERR_UNSUPPORTED, DCL_ERR_NO_DEVICE, DCL_ERR_OPENCL,
                              DCL_ERR_BUILD, DCL_ERR_DEVICE_MEMORY, DCL_ERR_RANGE, DCL_ERR_GEMM,
                              DCL_ERR_INTERNAL};
    /* the numbers are part of the ABI */
    assert_int_equal(DCL_ERR_FORMAT, -4);
    assert_int_equal(DCL_ERR_BUILD, -8);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *s = dcl_status_string(all[i]);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown status");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, dcl_status_string(all[j]));
    }
    assert_string_equal(dcl_status_string((dcl_status)12345), "unknown status");
}

static int log_count;
static char log_text[256];
static void sink(dcl_log_level level, const char *msg, void *user)
{
    (void)level;
    *(int *)user += 1;
    log_count++;
    snprintf(log_text, sizeof log_text, "%s", msg);
}

static void test_log_callback(void **state)
{
    (void)state;
    int calls = 0;
    dcl_set_log_callback(sink, &calls, DCL_LOG_INFO);
    dcl_log(NULL, DCL_LOG_INFO, "value %d", 42);
    dcl_log(NULL, DCL_LOG_DEBUG, "not shown");
    assert_int_equal(calls, 1);
    assert_string_equal(log_text, "value 42");
    dcl_set_log_callback(NULL, NULL, DCL_LOG_WARN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_known_values), cmocka_unit_test(test_numbers_c_locale),
        cmocka_unit_test(test_numbers_comma_locale), cmocka_unit_test(test_strings),
        cmocka_unit_test(test_files_and_errors), cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_log_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
