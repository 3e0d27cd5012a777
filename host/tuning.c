/* SPDX-License-Identifier: Apache-2.0 */
#include "tuning.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "profiles.h"
#include "tuning_state.h"

const dcl_tunable_desc dcl_tunables[DCL_T_COUNT] = {
#define DCL_TUNABLE(name, group, def, lo, hi, doc) {#name, #group, (def), (lo), (hi), doc},
#include "tunables.def"
#undef DCL_TUNABLE
};

int dcl_tunable_find(const char *name)
{
    for (int i = 0; i < DCL_T_COUNT; i++)
        if (strcmp(dcl_tunables[i].name, name) == 0)
            return i;
    return -1;
}

/* Work-group sizes: launched as given, so a power of two no larger than the device allows. */
static int is_work_group(int id) { return id == DCL_T_LN_WG || id == DCL_T_ATT_WG || id == DCL_T_EW_LOCAL; }
static int needs_pow2(int id) { return id == DCL_T_LN_WG || id == DCL_T_ATT_WG; }

static long pow2_floor(long v)
{
    long p = 1;
    while (p <= v / 2)
        p *= 2;
    return p;
}

/* Fits a work-group size to the device: no larger than its maximum, a power of two where the
 * kernel asks for one. */
static long fit_work_group(const dcl_context *ctx, int id, long v)
{
    long max = ctx->info.max_work_group_size ? (long)ctx->info.max_work_group_size : 1;
    if (v > max)
        v = max;
    return needs_pow2(id) ? pow2_floor(v) : v;
}

void dcl_tuning_fit(const dcl_context *ctx, long *values)
{
    for (int i = 0; i < DCL_T_COUNT; i++)
        if (is_work_group(i))
            values[i] = fit_work_group(ctx, i, values[i]);
}

long dcl_tuning_value(const dcl_context *ctx, dcl_tunable_id id)
{
    if ((int)id < 0 || id >= DCL_T_COUNT)
        return 0;
    return ctx->tuning ? ctx->tuning->value[id] : dcl_tunables[id].def;
}

dcl_status dcl_tuning_defines(const dcl_context *ctx, const char *group, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return DCL_ERR_INVALID_ARGUMENT;
    size_t len = strlen(buf);
    for (int i = 0; i < DCL_T_COUNT; i++) {
        if (strcmp(dcl_tunables[i].group, group) != 0)
            continue;
        /* integers only: no locale can change how they print */
        int n = snprintf(buf + len, cap - len, " -D%s=%ld", dcl_tunables[i].name,
                         dcl_tuning_value(ctx, (dcl_tunable_id)i));
        if (n < 0 || (size_t)n >= cap - len) {
            buf[len] = '\0';
            return dcl_fail((dcl_context *)ctx, DCL_ERR_INVALID_ARGUMENT,
                            "the build options of %s do not fit in %zu bytes", group, cap);
        }
        len += (size_t)n;
    }
    return DCL_OK;
}

/* ---- resolution ---- */

void dcl_tuning_apply(dcl_tuning_state *t, const dcl_profile *p)
{
    if (t->levels >= DCL_TUNING_MAX_LEVELS)
        return;
    int lv = t->levels++;
    dcl_strlcpy(t->level[lv], p->label, sizeof t->level[lv]);
    t->level_tuned[lv] = p->tuned;
    for (int i = 0; i < DCL_T_COUNT; i++)
        if (p->value[i] != DCL_TUNING_NOT_NAMED) {
            t->value[i] = p->value[i];
            t->source[i] = (signed char)lv;
        }
    size_t len = strlen(t->chain);
    snprintf(t->chain + len, sizeof t->chain - len, " < %s", p->label);
}

void dcl_tuning_reset(dcl_tuning_state *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < DCL_T_COUNT; i++) {
        t->value[i] = dcl_tunables[i].def;
        t->source[i] = -1;
    }
    dcl_strlcpy(t->chain, "defaults", sizeof t->chain);
}

void dcl_profile_init(dcl_profile *p, const char *label)
{
    memset(p, 0, sizeof *p);
    dcl_strlcpy(p->label, label, sizeof p->label);
    p->type = -1;
    for (int i = 0; i < DCL_T_COUNT; i++)
        p->value[i] = DCL_TUNING_NOT_NAMED;
}

dcl_status dcl_tuning_init(dcl_context *ctx)
{
    dcl_tuning_state *t = calloc(1, sizeof *t);
    if (!t)
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    dcl_status st = dcl_profiles_resolve(ctx, &ctx->info, ctx->cache_dir, 0, t);
    if (st != DCL_OK) {
        free(t);
        char *msg = dcl_strdup(dcl_thread_error()); /* the message goes on the context too */
        dcl_fail(ctx, st, "%s", msg ? msg : "tuning profiles");
        free(msg);
        return st;
    }
    dcl_tuning_fit(ctx, t->value);
    ctx->tuning = t;
    dcl_log(ctx, DCL_LOG_INFO, "tuning: %s", t->chain);
    return DCL_OK;
}

void dcl_tuning_free(dcl_context *ctx)
{
    free(ctx->tuning);
    ctx->tuning = NULL;
}
