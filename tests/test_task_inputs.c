/* SPDX-License-Identifier: Apache-2.0 */
/* The host-side task functions on hostile inputs (regressions found by tests/fuzz/fuzz_heads). */
#include <math.h>
#include <string.h>

#include "test_common.h"

/* NaN or infinite logits made every span score NaN: DCL_OK came back with *span unset. */
static void qa_best_span_rejects_non_finite_logits(void **state)
{
    (void)state;
    const float bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        float start[5] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f}, end[5] = {0.1f, 0.1f, 0.1f, 0.1f, 0.9f};
        start[2] = bad[b];
        dcl_span span = {-7, -7, -7.0f};
        assert_int_equal(dcl_qa_best_span(start, end, 5, NULL, 30, &span), DCL_ERR_INVALID_ARGUMENT);
        assert_non_null(strstr(dcl_last_error(), "not finite"));
        /* a non-finite logit of a token that is not allowed does not matter */
        const int32_t allowed[5] = {1, 1, 0, 1, 1};
        assert_int_equal(dcl_qa_best_span(start, end, 5, allowed, 30, &span), DCL_OK);
        assert_int_equal(span.start, 4);
        assert_int_equal(span.end, 4);
        /* the same with the bad value in the end logits */
        start[2] = 0.3f;
        end[4] = bad[b];
        assert_int_equal(dcl_qa_best_span(start, end, 5, NULL, 30, &span), DCL_ERR_INVALID_ARGUMENT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(qa_best_span_rejects_non_finite_logits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
