/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by test_heads.c and test_cli_run.c: the fixture manifest, its models, sessions and
 * status checks. Each test program includes it once. */
#ifndef DCL_TESTS_HEADS_COMMON_H
#define DCL_TESTS_HEADS_COMMON_H

#include "encoder.h"
#include "fixtures.h"
#include "heads.h"
#include "model.h"

static dcl_context *ctx;
static cJSON *manifest;

static inline double tol(const char *kind)
{
    cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(manifest, "tolerances"), "float32"), kind);
    return cJSON_GetObjectItem(t, "atol")->valuedouble;
}

static inline const char *model_folder(const char *name)
{
    cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(manifest, "models")) if (!strcmp(
        cJSON_GetObjectItem(m, "name")->valuestring, name)) return fx_path(
        cJSON_GetObjectItem(m, "folder")->valuestring);
    fail_msg("model %s not in the manifest", name);
    return NULL;
}

static inline dcl_model *load(const char *name)
{
    dcl_model *m = NULL;
    dcl_status st = dcl_model_load(ctx, model_folder(name), NULL, &m);
    if (st != DCL_OK)
        fail_msg("loading %s: %s: %s", name, dcl_status_string(st), dcl_last_error());
    return m;
}

static inline dcl_session *session(dcl_model *m, int B, int L)
{
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = B;
    sp.max_length = L;
    dcl_session *s = NULL;
    assert_int_equal(dcl_session_create(m, &sp, &s), DCL_OK);
    return s;
}

static inline double max_diff(const float *got, const float *want, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= worst))
            worst = isnan(d) ? INFINITY : d;
    }
    return worst;
}

static inline void check_status(dcl_status st, const char *what)
{
    if (st != DCL_OK)
        fail_msg("%s: %s: %s", what, dcl_status_string(st), dcl_last_error());
}


#endif
