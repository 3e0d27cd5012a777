/* SPDX-License-Identifier: Apache-2.0 */
/* Public API: tuning profiles and the tuner. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "profiles.h"
#include "runtime.h"
#include "tuner.h"

static char *chain_json(const dcl_tuning_state *t)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "chain", t->chain);
    cJSON *levels = cJSON_AddArrayToObject(root, "levels");
    for (int i = 0; levels && i < t->levels; i++) {
        cJSON *l = cJSON_CreateObject();
        if (!l)
            break;
        cJSON_AddStringToObject(l, "name", t->level[i]);
        cJSON_AddBoolToObject(l, "tuned", t->level_tuned[i]);
        cJSON_AddItemToArray(levels, l);
    }
    cJSON *params = cJSON_AddObjectToObject(root, "parameters");
    cJSON *sources = cJSON_AddObjectToObject(root, "sources");
    for (int i = 0; params && sources && i < DCL_T_COUNT; i++) {
        cJSON_AddNumberToObject(params, dcl_tunables[i].name, (double)t->value[i]);
        cJSON_AddStringToObject(sources, dcl_tunables[i].name, t->source[i] < 0 ? "defaults" : t->level[t->source[i]]);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

static dcl_status state_json(const dcl_tuning_state *t, const dcl_device_info *d, int flags, char **json)
{
    *json = flags & DCL_TUNING_JSON_PROFILE ? dcl_profile_json(t, d, 1, 1) : chain_json(t);
    return *json ? DCL_OK : dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
}

dcl_status dcl_context_tuning_json(const dcl_context *ctx, int flags, char **json)
{
    if (!ctx || !json)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_context_tuning_json: NULL argument");
    *json = NULL;
    if (!ctx->tuning)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_context_tuning_json: the context has no tuning");
    return state_json(ctx->tuning, &ctx->info, flags, json);
}

dcl_status dcl_device_tuning_json(const dcl_device_info *info, const char *cache_dir, int flags, char **json)
{
    if (!info || !json)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_device_tuning_json: NULL argument");
    *json = NULL;
    dcl_tuning_state *t = malloc(sizeof *t);
    char *dir = dcl_default_cache_dir(cache_dir);
    dcl_status st = t ? dcl_profiles_resolve(NULL, info, dir, 0, t) : dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    free(dir);
    if (st == DCL_OK)
        st = state_json(t, info, flags, json);
    free(t);
    return st;
}

dcl_tune_params dcl_tune_default_params(void)
{
    dcl_tune_params p;
    memset(&p, 0, sizeof p);
    p.batch = 8;
    p.length = 128;
    p.budget_seconds = 600;
    p.seed = 1;
    return p;
}

dcl_status dcl_tune(dcl_context *ctx, const dcl_tune_params *params, dcl_tune_result *result)
{
    if (!ctx || !params || !result)
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_tune: NULL argument");
    return dcl_tuner_run(ctx, params, result);
}
