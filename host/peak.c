/* SPDX-License-Identifier: Apache-2.0 */
#include "peak.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "program.h"

#define PEAK_FORMAT 2
#define PEAK_FMA_ITERS 64   /* cl/peak.cl's defaults */
#define PEAK_READS 16
#define PEAK_TARGET_S 0.02  /* grow the FMA probe until one launch takes this long */
#define PEAK_REPS 3         /* best of */

static dcl_status enqueue_timed(dcl_context *ctx, cl_kernel k, size_t global, size_t local, double *seconds)
{
    double t0 = dcl_now();
    cl_int err = clEnqueueNDRangeKernel(ctx->queue, k, 1, NULL, &global, local ? &local : NULL, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clFinish(ctx->queue);
    *seconds = dcl_now() - t0;
    return err == CL_SUCCESS ? DCL_OK : DCL_CL_FAIL(ctx, err, "peak probe");
}

static size_t round_down(size_t v, size_t m) { return v / m * m; }

static dcl_status set_args(dcl_context *ctx, cl_kernel k, int n, const size_t *sizes, const void *const *vals)
{
    for (int i = 0; i < n; i++) {
        cl_int err = clSetKernelArg(k, (cl_uint)i, sizes[i], vals[i]);
        if (err != CL_SUCCESS)
            return DCL_CL_FAIL(ctx, err, "peak probe: clSetKernelArg");
    }
    return DCL_OK;
}

/* GFLOP/s of one vector width: grows the launch until it takes PEAK_TARGET_S, keeps the best. */
static dcl_status fma_rate(dcl_context *ctx, int vw, size_t local, size_t items, size_t max_items, cl_mem res,
                           double *gflops)
{
    char opts[64];
    snprintf(opts, sizeof opts, "-DPEAK_VW=%d", vw);
    cl_kernel k = NULL;
    dcl_status st = dcl_kernel_create(ctx, "peak", opts, "dcl_peak_fma", &k);
    const float a = 0.999f, b = 0.001f;
    const size_t sizes[] = {sizeof res, sizeof a, sizeof b};
    const void *const vals[] = {&res, &a, &b};
    double t, best;
    if (st == DCL_OK)
        st = set_args(ctx, k, 3, sizes, vals);
    if (st == DCL_OK) /* warm-up: some drivers compile per work-group size at the first launch */
        st = enqueue_timed(ctx, k, items, local, &t);
    while (st == DCL_OK && (st = enqueue_timed(ctx, k, items, local, &t)) == DCL_OK && t < PEAK_TARGET_S &&
           items * 2 <= max_items)
        items *= 2;
    best = t;
    for (int r = 0; r < PEAK_REPS && st == DCL_OK; r++)
        if ((st = enqueue_timed(ctx, k, items, local, &t)) == DCL_OK && t < best)
            best = t;
    if (k)
        clReleaseKernel(k);
    if (st == DCL_OK)
        *gflops = (double)items * 64.0 * vw * PEAK_FMA_ITERS / best * 1e-9;
    return st;
}

/* GB/s of one access order over `items` work-items. */
static dcl_status read_rate(dcl_context *ctx, int contiguous, size_t local, size_t items, cl_mem in, cl_mem res,
                            double *gbytes)
{
    char opts[64];
    snprintf(opts, sizeof opts, "-DPEAK_CONTIGUOUS=%d", contiguous);
    cl_kernel k = NULL;
    dcl_status st = dcl_kernel_create(ctx, "peak", opts, "dcl_peak_read", &k);
    const size_t sizes[] = {sizeof in, sizeof res};
    const void *const vals[] = {&in, &res};
    double t, best = 0;
    if (st == DCL_OK)
        st = set_args(ctx, k, 2, sizes, vals);
    if (st == DCL_OK)
        st = enqueue_timed(ctx, k, items, local, &best);
    for (int r = 0; r < PEAK_REPS && st == DCL_OK; r++)
        if ((st = enqueue_timed(ctx, k, items, local, &t)) == DCL_OK && t < best)
            best = t;
    if (k)
        clReleaseKernel(k);
    if (st == DCL_OK)
        *gbytes = (double)items * (16.0 * PEAK_READS + sizeof(float)) / best * 1e-9;
    return st;
}

static dcl_status measure(dcl_context *ctx, dcl_device_peak *out)
{
    cl_mem in = NULL, res = NULL;
    dcl_status st;
    const size_t local = ctx->info.max_work_group_size >= 64 ? 64 : 1;
    const size_t cu = ctx->info.compute_units ? ctx->info.compute_units : 1;
    /* read bandwidth: a buffer well beyond the caches, within what the device allows */
    uint64_t bytes = (uint64_t)256 << 20;
    if (ctx->info.max_alloc_bytes && bytes > ctx->info.max_alloc_bytes / 2)
        bytes = ctx->info.max_alloc_bytes / 2;
    if (ctx->info.global_mem_bytes && bytes > ctx->info.global_mem_bytes / 8)
        bytes = ctx->info.global_mem_bytes / 8;
    const size_t per_item = 16 * PEAK_READS;
    size_t items = round_down((size_t)(bytes / per_item), local);
    size_t fma_items = round_down(cu * 256, local);
    if (items == 0 || fma_items == 0)
        return dcl_fail(ctx, DCL_ERR_UNSUPPORTED, "peak probe: the device's limits leave no room for the probe");
    size_t res_items = items > fma_items * 256 ? items : fma_items * 256;
    if ((st = dcl_buffer_create(ctx, items * per_item, NULL, &in)) ||
        (st = dcl_buffer_create(ctx, res_items * sizeof(float), NULL, &res)))
        goto done;
    const float zero = 0.0f;
    cl_int err = clEnqueueFillBuffer(ctx->queue, in, &zero, sizeof zero, 0, items * per_item, 0, NULL, NULL);
    if (err != CL_SUCCESS) {
        st = DCL_CL_FAIL(ctx, err, "peak probe: clEnqueueFillBuffer");
        goto done;
    }
    out->gflops = out->gbytes = 0;
    static const int widths[] = {1, 4, 16};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0] && st == DCL_OK; i++) {
        double g = 0;
        if ((st = fma_rate(ctx, widths[i], local, fma_items, res_items, res, &g)) == DCL_OK && g > out->gflops)
            out->gflops = g;
    }
    for (int contiguous = 0; contiguous < 2 && st == DCL_OK; contiguous++) {
        double g = 0;
        if ((st = read_rate(ctx, contiguous, local, items, in, res, &g)) == DCL_OK && g > out->gbytes)
            out->gbytes = g;
    }
    out->cached = 0;
done:
    if (in)
        clReleaseMemObject(in);
    if (res)
        clReleaseMemObject(res);
    return st;
}

static char *cache_path(dcl_context *ctx)
{
    if (!ctx->cache_dir)
        return NULL;
    const char *src = NULL;
    size_t len = 0;
    char *owned = NULL;
    uint64_t h = DCL_HASH_SEED;
    if (dcl_kernel_source(ctx, "peak", &src, &len, &owned) == DCL_OK)
        h = dcl_hash64(h, src, len);
    free(owned);
    h = dcl_hash_str(h, ctx->info.platform_name);
    h = dcl_hash_str(h, ctx->info.name);
    h = dcl_hash_str(h, ctx->info.driver_version);
    h = dcl_hash_str(h, dcl_version_string());
    char name[48];
    snprintf(name, sizeof name, "peak-%016llx.json", (unsigned long long)h);
    return dcl_path_join(ctx->cache_dir, name);
}

static int read_cache(const char *path, dcl_device_peak *out)
{
    char *text = NULL;
    size_t len = 0;
    if (!dcl_file_exists(path) || dcl_read_file(NULL, path, &text, &len) != DCL_OK)
        return 0;
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *f = cJSON_GetObjectItem(j, "gflops"), *b = cJSON_GetObjectItem(j, "gbytes");
    const cJSON *v = cJSON_GetObjectItem(j, "format");
    int ok = cJSON_IsNumber(f) && cJSON_IsNumber(b) && cJSON_IsNumber(v) && v->valueint == PEAK_FORMAT &&
             f->valuedouble > 0 && b->valuedouble > 0;
    if (ok) {
        out->gflops = f->valuedouble;
        out->gbytes = b->valuedouble;
        out->cached = 1;
    }
    cJSON_Delete(j);
    return ok;
}

static void write_cache(dcl_context *ctx, const char *path, const dcl_device_peak *p)
{
    char f[40], b[40], text[1024];
    dcl_format_double(f, sizeof f, p->gflops);
    dcl_format_double(b, sizeof b, p->gbytes);
    cJSON *dev = cJSON_CreateString(ctx->info.name), *drv = cJSON_CreateString(ctx->info.driver_version);
    char *dev_s = cJSON_PrintUnformatted(dev), *drv_s = cJSON_PrintUnformatted(drv);
    cJSON_Delete(dev);
    cJSON_Delete(drv);
    if (dev_s && drv_s) {
        int n = snprintf(text, sizeof text, "{\"format\": %d, \"gflops\": %s, \"gbytes\": %s, \"device\": %s, "
                         "\"driver\": %s}\n", PEAK_FORMAT, f, b, dev_s, drv_s);
        if (n > 0 && (size_t)n < sizeof text && dcl_mkdirs(ctx->cache_dir) == 0 &&
            dcl_write_file_atomic(NULL, path, text, (size_t)n) != DCL_OK)
            dcl_log(ctx, DCL_LOG_WARN, "peak probe: cannot write the cache file %s", path);
    }
    free(dev_s);
    free(drv_s);
}

dcl_status dcl_peak_get(dcl_context *ctx, int refresh, dcl_device_peak *out)
{
    memset(out, 0, sizeof *out);
    char *path = cache_path(ctx);
    if (path && !refresh && read_cache(path, out)) {
        free(path);
        return DCL_OK;
    }
    dcl_status st = measure(ctx, out);
    if (st == DCL_OK && path)
        write_cache(ctx, path, out);
    free(path);
    return st;
}
