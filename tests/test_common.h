/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the test programs. */
#ifndef DCL_TEST_COMMON_H
#define DCL_TEST_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "debertacl.h"

/* Exits with 77 (CTest: skipped) when no OpenCL device exists. */
static inline void dcl_test_require_device(void)
{
    int n = 0;
    if (dcl_device_count(&n) != DCL_OK || n == 0) {
        fprintf(stderr, "no OpenCL device: skipping\n");
        exit(77);
    }
}

/* A context on $DEBERTACL_DEVICE (default device otherwise), with the disk cache off unless
 * cache_dir is given. */
static inline dcl_context *dcl_test_context(const char *cache_dir)
{
    dcl_context_params p = dcl_context_default_params();
    p.device = getenv("DEBERTACL_DEVICE");
    p.cache_dir = cache_dir ? cache_dir : "off";
    dcl_context *ctx = NULL;
    dcl_status st = dcl_context_create(&p, &ctx);
    if (st != DCL_OK)
        fail_msg("dcl_context_create: %s: %s", dcl_status_string(st), dcl_last_error());
    return ctx;
}

/* Deterministic pseudo-random floats in [-1, 1). */
static inline float dcl_test_rand(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)((*state >> 8) & 0xffffff) / 8388608.0f - 1.0f;
}

#endif
