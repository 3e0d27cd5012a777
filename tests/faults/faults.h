/* SPDX-License-Identifier: Apache-2.0 */
/* Fault injection for tests/faults: every OpenCL and CLBlast call the library makes and its
 * allocations are wrapped at link time (-Wl,--wrap=, list in tests/faults/CMakeLists.txt). The
 * wrappers count calls, fail the N-th one when armed, and keep count of live OpenCL objects
 * (creates and retains against releases) and live heap blocks. */
#ifndef DCL_FAULTS_H
#define DCL_FAULTS_H

#include <stddef.h>

typedef struct fault_stats {
    long calls;          /* injectable calls since fault_arm() */
    long injected_call;  /* the call that was failed (0: none) */
    const char *injected_fn; /* its function name, NULL when none */
    long live_objects;   /* OpenCL objects created through the wrappers and not yet released */
    long live_blocks;    /* heap blocks allocated through the wrappers and not yet freed */
    size_t live_bytes;
    long unknown_frees;  /* frees of blocks the wrappers did not allocate (libc-internal ones) */
} fault_stats;

/* Starts counting calls; fail_at > 0 fails that call (1-based), 0 fails none. */
void fault_arm(long fail_at);
/* Stops failing and counting (live objects and blocks are still tracked). */
void fault_disarm(void);
fault_stats fault_get(void);
/* Names the live OpenCL objects' kinds to stderr (diagnostics of a failed check). */
void fault_dump_live(void);

#endif
