/* SPDX-License-Identifier: Apache-2.0 */
/* LD_PRELOAD helper of test_cli_forward (glibc): malloc of exactly $DCL_FAIL_MALLOC_SIZE bytes
 * fails, so that a test can fail one chosen allocation of the debertacl program. */
#include <stdlib.h>

extern void *__libc_malloc(size_t n);

void *malloc(size_t n)
{
    static size_t fail_size;
    static int configured;
    if (!configured) { /* the first calls can come before the environment is readable */
        const char *s = getenv("DCL_FAIL_MALLOC_SIZE");
        if (s) {
            fail_size = (size_t)strtoull(s, NULL, 10);
            configured = 1;
        }
    }
    if (configured && n == fail_size)
        return NULL;
    return __libc_malloc(n);
}
