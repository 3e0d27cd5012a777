/* SPDX-License-Identifier: Apache-2.0 */
/* Kernel sources: embedded at build time from the cl folder, or read from DEBERTACL_KERNEL_DIR. */
#ifndef DCL_HOST_KERNELS_H
#define DCL_HOST_KERNELS_H

#include <stddef.h>

typedef struct dcl_embedded_kernel {
    const char *name; /* file name without .cl */
    const char *source;
    size_t length;
} dcl_embedded_kernel;

extern const dcl_embedded_kernel dcl_embedded_kernels[];
extern const size_t dcl_embedded_kernel_count;

#endif
