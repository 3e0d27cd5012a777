/* SPDX-License-Identifier: Apache-2.0 */
/* Tokenizer encoding when an allocation fails: malloc, calloc and realloc are wrapped at link time
 * (-Wl,--wrap), the N-th allocation inside one dcl_tokenizer_encode() fails for every N, and each
 * run must return DCL_ERR_OUT_OF_MEMORY (or succeed when N is past the last allocation) with every
 * block it allocated freed again. */
#include <string.h>

#include "test_common.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static int g_armed;   /* count and fail only inside the window */
static long g_calls;  /* allocation calls in the window */
static long g_fail_at; /* 1-based call to fail; 0: none */
static long g_live;   /* blocks allocated minus blocks freed in the window */

static int should_fail(void)
{
    if (!g_armed)
        return 0;
    return ++g_calls == g_fail_at;
}

void *__wrap_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = __real_malloc(n);
    if (g_armed && p)
        g_live++;
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    void *p = __real_calloc(n, size);
    if (g_armed && p)
        g_live++;
    return p;
}

void *__wrap_realloc(void *old, size_t n)
{
    if (should_fail())
        return NULL;
    void *p = __real_realloc(old, n);
    if (g_armed && p && !old)
        g_live++;
    return p;
}

void __wrap_free(void *p)
{
    if (g_armed && p)
        g_live--;
    __real_free(p);
}

static void sweep(const char *folder, const char *text, const char *pair)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tokenizer/%s", DCL_TEST_DATA_DIR, folder);
    dcl_tokenizer *tok = NULL;
    assert_int_equal(dcl_tokenizer_load(dir, &tok), DCL_OK);
    long failures = 0;
    for (long n = 1;; n++) {
        dcl_encoding *e = NULL;
        g_calls = 0;
        g_live = 0;
        g_fail_at = n;
        g_armed = 1;
        dcl_status st = dcl_tokenizer_encode_pair(tok, text, strlen(text), pair, pair ? strlen(pair) : 0, NULL, &e);
        dcl_encoding_free(e);
        g_armed = 0;
        if (g_live != 0)
            fail_msg("%s: failing allocation %ld: %ld blocks leaked (status %s)", folder, n, g_live,
                     dcl_status_string(st));
        if (g_calls < n) { /* nothing failed: the whole sweep is done */
            assert_int_equal(st, DCL_OK);
            break;
        }
        if (st != DCL_ERR_OUT_OF_MEMORY)
            fail_msg("%s: failing allocation %ld gave %s", folder, n, dcl_status_string(st));
        assert_null(e);
        assert_non_null(strstr(dcl_last_error(), "out of memory"));
        failures++;
    }
    printf("%s: %ld allocation failures, no leak\n", folder, failures);
    dcl_tokenizer_free(tok);
}

static void test_encode_alloc_failures(void **state)
{
    (void)state;
    /* long enough to grow every buffer more than once; added tokens, spaces, an accent, a pair */
    static const char text[] =
        "Hello  world, [MASK] this is  a test of the tokenizer's growing buffers: caf\xC3\xA9 \xE2\x80\x94 "
        "\xC3\x85ngstr\xC3\xB6m 12345 ... and a rather long tail of words to make the sequences grow past their "
        "first capacity, again and again and again and again and again and again and again and again and again.";
    sweep("spm_v3", text, "a second text for the pair");
    sweep("spm_nobf", text, NULL);
    sweep("bpe_v1", text, "a second text for the pair");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_encode_alloc_failures)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
