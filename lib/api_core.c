/* SPDX-License-Identifier: Apache-2.0 */
/* Public API, first part: version, status, errors, logging, devices, contexts. Thin: checks
 * arguments, then calls host/. */
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "program.h"
#include "runtime.h"
#include "util.h"

unsigned dcl_version_number(void) { return DCL_VERSION_NUMBER; }
const char *dcl_version_string(void) { return DCL_VERSION_STRING; }

const char *dcl_status_string(dcl_status status)
{
    switch (status) {
    case DCL_OK: return "success";
    case DCL_ERR_INVALID_ARGUMENT: return "invalid argument";
    case DCL_ERR_OUT_OF_MEMORY: return "out of host memory";
    case DCL_ERR_IO: return "input/output error";
    case DCL_ERR_FORMAT: return "malformed file";
    case DCL_ERR_UNSUPPORTED: return "unsupported";
    case DCL_ERR_NO_DEVICE: return "no OpenCL device";
    case DCL_ERR_OPENCL: return "OpenCL error";
    case DCL_ERR_BUILD: return "kernel build failed";
    case DCL_ERR_DEVICE_MEMORY: return "out of device memory";
    case DCL_ERR_RANGE: return "value out of range";
    case DCL_ERR_GEMM: return "CLBlast error";
    case DCL_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *dcl_last_error(void) { return dcl_thread_error(); }

dcl_status dcl_device_count(int *count)
{
    if (!count)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_device_count: count is NULL");
    dcl_device_ref *refs;
    dcl_status st = dcl_runtime_devices(&refs, count);
    free(refs);
    return st;
}

dcl_status dcl_device_get_info(int index, dcl_device_info *info)
{
    if (!info)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_device_get_info: info is NULL");
    dcl_device_ref *refs;
    int n;
    dcl_status st = dcl_runtime_devices(&refs, &n);
    if (st != DCL_OK)
        return st;
    if (index < 0 || index >= n) {
        free(refs);
        return dcl_fail(NULL, DCL_ERR_NO_DEVICE, "device index %d out of range (%d devices)", index, n);
    }
    st = dcl_runtime_device_info(refs[index].platform, refs[index].device, info);
    info->platform_index = refs[index].platform_index;
    info->device_index = refs[index].device_index;
    free(refs);
    return st;
}

dcl_status dcl_device_select(const char *spec, int *index)
{
    if (!index)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_device_select: index is NULL");
    int n;
    dcl_device_ref *refs;
    dcl_status st = dcl_runtime_devices(&refs, &n);
    if (st != DCL_OK)
        return st;
    dcl_device_info *infos = n ? calloc((size_t)n, sizeof *infos) : NULL;
    if (n && !infos) {
        free(refs);
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        dcl_runtime_device_info(refs[i].platform, refs[i].device, &infos[i]);
        infos[i].platform_index = refs[i].platform_index;
        infos[i].device_index = refs[i].device_index;
    }
    free(refs);
    st = dcl_spec_resolve(spec, infos, n, index);
    free(infos);
    return st;
}

dcl_context_params dcl_context_default_params(void)
{
    dcl_context_params p;
    memset(&p, 0, sizeof p);
    p.log_level = DCL_LOG_WARN;
    return p;
}

dcl_status dcl_context_create(const dcl_context_params *params, dcl_context **out)
{
    if (!out)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_context_create: out is NULL");
    *out = NULL;
    dcl_context_params def = dcl_context_default_params();
    dcl_clear_error();
    return dcl_context_create_impl(params ? params : &def, out);
}

void dcl_context_free(dcl_context *ctx) { dcl_context_free_impl(ctx); }

const char *dcl_context_last_error(const dcl_context *ctx) { return ctx ? dcl_context_error_copy(ctx) : ""; }

dcl_status dcl_context_device_info(const dcl_context *ctx, dcl_device_info *info)
{
    if (!ctx || !info)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_context_device_info: NULL argument");
    *info = ctx->info;
    return DCL_OK;
}

dcl_status dcl_context_cache_stats(const dcl_context *ctx, dcl_cache_stats *stats)
{
    if (!ctx || !stats)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_context_cache_stats: NULL argument");
    dcl_program_cache_stats(ctx, stats);
    return DCL_OK;
}

dcl_status dcl_context_build_program(dcl_context *ctx, const char *name, const char *options, double *seconds)
{
    if (!ctx || !name)
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_context_build_program: NULL argument");
    double t0 = dcl_now();
    cl_program prog;
    dcl_status st = dcl_program_get(ctx, name, options, &prog);
    if (seconds)
        *seconds = dcl_now() - t0;
    return st;
}
