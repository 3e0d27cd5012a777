/* SPDX-License-Identifier: Apache-2.0 */
/* Per-device tuning: the value of every tunable (host/tunables.def) for a context's device,
 * resolved once at context creation from the built-in defaults, the shipped profiles (profiles/,
 * embedded at build time) and the user's profiles. Internal. */
#ifndef DCL_HOST_TUNING_H
#define DCL_HOST_TUNING_H

#include <stddef.h>

#include "debertacl.h"

typedef enum {
#define DCL_TUNABLE(name, group, def, lo, hi, doc) DCL_T_##name,
#include "tunables.def"
#undef DCL_TUNABLE
    DCL_T_COUNT
} dcl_tunable_id;

/* Values of the GEMM_ROUTE_* tunables (profiles may spell them "clblast" and "own"). */
enum { DCL_GEMM_ROUTE_CLBLAST = 0, DCL_GEMM_ROUTE_OWN = 1 };

/* Value of CLBlast parameters that are not set (CLBlast's own database decides). */
#define DCL_TUNING_UNSET (-1L)

/* Static facts of one tunable, from host/tunables.def. */
typedef struct dcl_tunable_desc {
    const char *name;
    const char *group;
    long def, lo, hi;
    const char *doc;
} dcl_tunable_desc;

extern const dcl_tunable_desc dcl_tunables[DCL_T_COUNT];

/* The id of the tunable named `name` (case-sensitive), or -1. */
int dcl_tunable_find(const char *name);

/* The resolved value for the context's device (defaults < shipped profiles < user). */
long dcl_tuning_value(const dcl_context *ctx, dcl_tunable_id id);

/* Appends " -DNAME=value" for every tunable of `group` to buf (NUL-terminated, cap bytes);
 * returns DCL_OK or DCL_ERR_... when it does not fit. These options are part of the
 * program-cache key because they are part of the build options. */
dcl_status dcl_tuning_defines(const dcl_context *ctx, const char *group, char *buf, size_t cap);

/* Resolves the context's tuning (context creation); releases it. */
dcl_status dcl_tuning_init(dcl_context *ctx);
void dcl_tuning_free(dcl_context *ctx);

#endif
