/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the Hugging Face reference fixtures in tests/data/reference (see its manifest.json). */
#ifndef DCL_TEST_FIXTURES_H
#define DCL_TEST_FIXTURES_H

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "safetensors.h"
#include "test_common.h"
#include "util.h"

#define FX_DIR DCL_TEST_DATA_DIR "/reference"

static inline cJSON *fx_read_json(const char *path)
{
    char *text;
    size_t len;
    if (dcl_read_file(NULL, path, &text, &len) != DCL_OK)
        fail_msg("cannot read %s", path);
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    if (!j)
        fail_msg("bad JSON in %s", path);
    return j;
}

static inline cJSON *fx_manifest(void) { return fx_read_json(FX_DIR "/manifest.json"); }

static inline char *fx_path(const char *rel)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", FX_DIR, rel);
    return buf;
}

/* An input case, flattened to [B, L] (multiple-choice [B, C, L] becomes [B*C, L]). */
typedef struct fx_input {
    int B, L, choices;
    int32_t *ids, *mask, *types; /* types NULL when absent */
} fx_input;

static inline int32_t *fx_flat(cJSON *arr, int *B, int *L, int *C)
{
    int n0 = cJSON_GetArraySize(arr);
    cJSON *first = cJSON_GetArrayItem(arr, 0);
    int three = cJSON_IsArray(cJSON_GetArrayItem(first, 0));
    int n1 = cJSON_GetArraySize(first);
    int n2 = three ? cJSON_GetArraySize(cJSON_GetArrayItem(first, 0)) : 1;
    *B = three ? n0 * n1 : n0;
    *L = three ? n2 : n1;
    *C = three ? n1 : 0;
    int32_t *out = calloc((size_t)*B * (size_t)*L, sizeof *out);
    size_t k = 0;
    cJSON *r, *c, *v;
    cJSON_ArrayForEach(r, arr)
    {
        if (three) {
            cJSON_ArrayForEach(c, r) cJSON_ArrayForEach(v, c) out[k++] = (int32_t)v->valuedouble;
        } else {
            cJSON_ArrayForEach(v, r) out[k++] = (int32_t)v->valuedouble;
        }
    }
    return out;
}

static inline fx_input fx_load_input(const char *rel)
{
    fx_input in;
    memset(&in, 0, sizeof in);
    cJSON *j = fx_read_json(fx_path(rel));
    int B, L, C;
    in.ids = fx_flat(cJSON_GetObjectItem(j, "input_ids"), &in.B, &in.L, &in.choices);
    cJSON *m = cJSON_GetObjectItem(j, "attention_mask");
    if (m) {
        in.mask = fx_flat(m, &B, &L, &C);
    } else {
        in.mask = malloc((size_t)in.B * in.L * sizeof *in.mask);
        for (int i = 0; i < in.B * in.L; i++)
            in.mask[i] = 1;
    }
    cJSON *t = cJSON_GetObjectItem(j, "token_type_ids");
    if (t)
        in.types = fx_flat(t, &B, &L, &C);
    cJSON_Delete(j);
    return in;
}

static inline void fx_free_input(fx_input *in)
{
    free(in->ids);
    free(in->mask);
    free(in->types);
}

/* A float32 tensor of an output file (NULL if absent). */
static inline const float *fx_tensor(const dcl_st_file *f, const char *name, uint64_t *numel)
{
    for (int i = 0; i < f->count; i++)
        if (!strcmp(f->tensors[i].name, name)) {
            if (f->tensors[i].dtype != DCL_DT_F32)
                fail_msg("%s: %s is not F32", f->path, name);
            if (numel)
                *numel = f->tensors[i].numel;
            return (const float *)f->tensors[i].data;
        }
    return NULL;
}

/* Max absolute difference over real tokens of a per-token tensor [B, L, W]. */
static inline double fx_max_diff_tokens(const float *got, const float *want, const fx_input *in, size_t W)
{
    double worst = 0;
    for (int t = 0; t < in->B * in->L; t++) {
        if (!in->mask[t])
            continue;
        for (size_t e = 0; e < W; e++) {
            double d = fabs((double)got[t * W + e] - (double)want[t * W + e]);
            if (!(d <= worst)) /* NaN counts as worst */
                worst = isnan(d) ? INFINITY : d;
        }
    }
    return worst;
}

/* Max absolute difference of attentions [B, NH, L, L] over real query rows. */
static inline double fx_max_diff_attn(const float *got, const float *want, const fx_input *in, int NH)
{
    double worst = 0;
    size_t L = (size_t)in->L;
    for (int b = 0; b < in->B; b++)
        for (int h = 0; h < NH; h++)
            for (size_t i = 0; i < L; i++) {
                if (!in->mask[b * L + i])
                    continue;
                for (size_t j = 0; j < L; j++) {
                    size_t k = (((size_t)b * NH + h) * L + i) * L + j;
                    double d = fabs((double)got[k] - (double)want[k]);
                    if (!(d <= worst))
                        worst = isnan(d) ? INFINITY : d;
                }
            }
    return worst;
}

static inline int fx_all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

#endif
