/* SPDX-License-Identifier: Apache-2.0 */
#include "runtime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "program.h"
#include "tuning.h"

#ifndef CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV
#define CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV 0x4000
#define CL_DEVICE_COMPUTE_CAPABILITY_MINOR_NV 0x4001
#endif
#ifndef CL_DEVICE_BOARD_NAME_AMD
#define CL_DEVICE_BOARD_NAME_AMD 0x4038
#endif

const char *dcl_cl_error_name(cl_int err)
{
    switch (err) {
#define E(x) case x: return #x;
    E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
    E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
    E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP) E(CL_IMAGE_FORMAT_MISMATCH)
    E(CL_IMAGE_FORMAT_NOT_SUPPORTED) E(CL_BUILD_PROGRAM_FAILURE) E(CL_MAP_FAILURE)
    E(CL_MISALIGNED_SUB_BUFFER_OFFSET) E(CL_COMPILE_PROGRAM_FAILURE) E(CL_LINKER_NOT_AVAILABLE)
    E(CL_LINK_PROGRAM_FAILURE) E(CL_INVALID_VALUE) E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM)
    E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT) E(CL_INVALID_QUEUE_PROPERTIES)
    E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR) E(CL_INVALID_MEM_OBJECT)
    E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS) E(CL_INVALID_PROGRAM)
    E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME) E(CL_INVALID_KERNEL_DEFINITION)
    E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX) E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE)
    E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE)
    E(CL_INVALID_WORK_ITEM_SIZE) E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST)
    E(CL_INVALID_EVENT) E(CL_INVALID_OPERATION) E(CL_INVALID_BUFFER_SIZE)
    E(CL_INVALID_GLOBAL_WORK_SIZE) E(CL_INVALID_PROPERTY)
#undef E
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "unknown OpenCL error";
    }
}

dcl_status dcl_runtime_devices(dcl_device_ref **refs, int *count)
{
    *refs = NULL;
    *count = 0;
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &np);
    if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || np == 0)
        return DCL_OK;
    if (err != CL_SUCCESS)
        return DCL_CL_FAIL(NULL, err, "clGetPlatformIDs");
    cl_platform_id *plats = calloc(np, sizeof *plats);
    if (!plats)
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    clGetPlatformIDs(np, plats, NULL);
    dcl_device_ref *list = NULL;
    int n = 0;
    for (cl_uint p = 0; p < np; p++) {
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || nd == 0)
            continue;
        cl_device_id *devs = calloc(nd, sizeof *devs);
        dcl_device_ref *grown = realloc(list, (size_t)(n + (int)nd) * sizeof *list);
        if (!devs || !grown) {
            free(devs);
            free(grown ? grown : list);
            free(plats);
            return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        }
        list = grown;
        clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, nd, devs, NULL);
        for (cl_uint d = 0; d < nd; d++) {
            list[n].platform = plats[p];
            list[n].device = devs[d];
            list[n].platform_index = (int)p;
            list[n].device_index = (int)d;
            n++;
        }
        free(devs);
    }
    free(plats);
    *refs = list;
    *count = n;
    return DCL_OK;
}

static void get_str(cl_device_id d, cl_device_info what, char *out, size_t size)
{
    out[0] = '\0';
    if (clGetDeviceInfo(d, what, size, out, NULL) != CL_SUCCESS)
        out[0] = '\0';
    out[size - 1] = '\0';
    /* trim trailing blanks some drivers leave */
    size_t n = strlen(out);
    while (n && isspace((unsigned char)out[n - 1]))
        out[--n] = '\0';
}

void dcl_vendor_short(const char *vendor, const char *platform, char *out, size_t size)
{
    const char *v = "Unknown";
    if (dcl_strcasestr(platform, "Portable Computing Language") || dcl_strcasestr(platform, "pocl"))
        v = "PoCL";
    else if (dcl_strcasestr(vendor, "NVIDIA"))
        v = "NVIDIA";
    else if (dcl_strcasestr(vendor, "Advanced Micro Devices") || dcl_strcasestr(vendor, "AMD"))
        v = "AMD";
    else if (dcl_strcasestr(vendor, "Intel"))
        v = "Intel";
    else if (dcl_strcasestr(vendor, "Apple"))
        v = "Apple";
    else if (dcl_strcasestr(vendor, "ARM"))
        v = "ARM";
    else if (dcl_strcasestr(vendor, "QUALCOMM"))
        v = "Qualcomm";
    else if (vendor[0])
        v = vendor;
    dcl_strlcpy(out, v, size);
}

dcl_status dcl_runtime_device_info(cl_platform_id platform, cl_device_id d, dcl_device_info *info)
{
    memset(info, 0, sizeof *info);
    clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof info->platform_name, info->platform_name, NULL);
    clGetPlatformInfo(platform, CL_PLATFORM_VERSION, sizeof info->platform_version, info->platform_version, NULL);
    info->platform_name[sizeof info->platform_name - 1] = '\0';
    info->platform_version[sizeof info->platform_version - 1] = '\0';
    get_str(d, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    get_str(d, CL_DEVICE_NAME, info->name, sizeof info->name);
    get_str(d, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    get_str(d, CL_DEVICE_VERSION, info->device_version, sizeof info->device_version);
    get_str(d, CL_DEVICE_OPENCL_C_VERSION, info->opencl_c_version, sizeof info->opencl_c_version);
    dcl_vendor_short(info->vendor, info->platform_name, info->vendor_short, sizeof info->vendor_short);

    cl_device_type t = 0;
    cl_uint u = 0;
    cl_ulong ul = 0;
    size_t sz = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, NULL) != CL_SUCCESS)
        return DCL_CL_FAIL(NULL, CL_INVALID_DEVICE, "clGetDeviceInfo(CL_DEVICE_TYPE)");
    info->type = (t & CL_DEVICE_TYPE_GPU) ? DCL_DEVICE_GPU
               : (t & CL_DEVICE_TYPE_CPU) ? DCL_DEVICE_CPU
               : (t & CL_DEVICE_TYPE_ACCELERATOR) ? DCL_DEVICE_ACCELERATOR : DCL_DEVICE_OTHER;
    if (clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof u, &u, NULL) == CL_SUCCESS)
        info->compute_units = u;
    if (clGetDeviceInfo(d, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof u, &u, NULL) == CL_SUCCESS)
        info->max_clock_mhz = u;
    if (clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof ul, &ul, NULL) == CL_SUCCESS)
        info->global_mem_bytes = ul;
    if (clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof ul, &ul, NULL) == CL_SUCCESS)
        info->local_mem_bytes = ul;
    if (clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof ul, &ul, NULL) == CL_SUCCESS)
        info->max_alloc_bytes = ul;
    if (clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof sz, &sz, NULL) == CL_SUCCESS)
        info->max_work_group_size = sz;

    size_t ext_len = 0;
    clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_len);
    char *ext = calloc(ext_len + 1, 1);
    if (ext && clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, ext_len, ext, NULL) == CL_SUCCESS) {
        info->has_fp16 = strstr(ext, "cl_khr_fp16") != NULL;
        info->has_fp64 = strstr(ext, "cl_khr_fp64") != NULL;
        info->has_subgroups = strstr(ext, "cl_khr_subgroups") != NULL ||
                              strstr(ext, "cl_intel_subgroups") != NULL;
        if (strstr(ext, "cl_nv_device_attribute_query")) {
            cl_uint ma = 0, mi = 0;
            if (clGetDeviceInfo(d, CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV, sizeof ma, &ma, NULL) == CL_SUCCESS &&
                clGetDeviceInfo(d, CL_DEVICE_COMPUTE_CAPABILITY_MINOR_NV, sizeof mi, &mi, NULL) == CL_SUCCESS)
                snprintf(info->architecture, sizeof info->architecture, "SM%u.%u", ma, mi);
        }
    }
    free(ext);
    if (!info->architecture[0] && strcmp(info->vendor_short, "AMD") == 0 && info->type == DCL_DEVICE_GPU) {
        /* AMD's driver reports the gfx target as the device name ("gfx1100") */
        if (strncmp(info->name, "gfx", 3) == 0)
            dcl_strlcpy(info->architecture, info->name, sizeof info->architecture);
    }
    return DCL_OK;
}

/* ---- device specs ---- */
static int parse_uint(const char *s, const char **end, int *value)
{
    if (!isdigit((unsigned char)*s))
        return 0;
    long v = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s++ - '0');
        if (v > 1000000)
            return 0;
    }
    *end = s;
    *value = (int)v;
    return 1;
}

static void list_found(const dcl_device_info *infos, int n)
{
    if (n == 0) {
        dcl_error_append(NULL, "; no OpenCL device was found (is an ICD installed? see clinfo)");
        return;
    }
    dcl_error_append(NULL, "; devices found:");
    for (int i = 0; i < n; i++)
        dcl_error_append(NULL, " [%d] %d:%d %s (%s)%s", i, infos[i].platform_index, infos[i].device_index,
                         infos[i].name, infos[i].platform_name, i + 1 < n ? "," : "");
}

dcl_status dcl_spec_resolve(const char *spec, const dcl_device_info *infos, int n, int *index)
{
    *index = -1;
    while (spec && isspace((unsigned char)*spec))
        spec++;
    if (!spec || !*spec) {
        if (n == 0) {
            dcl_fail(NULL, DCL_ERR_NO_DEVICE, "no OpenCL device");
            list_found(infos, n);
            return DCL_ERR_NO_DEVICE;
        }
        for (int i = 0; i < n; i++)
            if (infos[i].type == DCL_DEVICE_GPU) {
                *index = i;
                return DCL_OK;
            }
        *index = 0;
        return DCL_OK;
    }
    const char *end;
    int a, b;
    if (parse_uint(spec, &end, &a)) {
        if (*end == '\0') {
            if (a < n) {
                *index = a;
                return DCL_OK;
            }
            dcl_fail(NULL, DCL_ERR_NO_DEVICE, "device index %d is out of range (%d device%s)", a, n, n == 1 ? "" : "s");
            list_found(infos, n);
            return DCL_ERR_NO_DEVICE;
        }
        if (*end == ':' && parse_uint(end + 1, &end, &b) && *end == '\0') {
            for (int i = 0; i < n; i++)
                if (infos[i].platform_index == a && infos[i].device_index == b) {
                    *index = i;
                    return DCL_OK;
                }
            dcl_fail(NULL, DCL_ERR_NO_DEVICE, "no device %d:%d", a, b);
            list_found(infos, n);
            return DCL_ERR_NO_DEVICE;
        }
        /* digits followed by other text: fall through to a name match ("4090") */
    }
    static const struct { const char *word; dcl_device_type type; } types[] = {
        {"cpu", DCL_DEVICE_CPU}, {"gpu", DCL_DEVICE_GPU}, {"accelerator", DCL_DEVICE_ACCELERATOR}};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        if (dcl_strcasecmp(spec, types[t].word) == 0) {
            for (int i = 0; i < n; i++)
                if (infos[i].type == types[t].type) {
                    *index = i;
                    return DCL_OK;
                }
            dcl_fail(NULL, DCL_ERR_NO_DEVICE, "no %s device", types[t].word);
            list_found(infos, n);
            return DCL_ERR_NO_DEVICE;
        }
    static const char *const vendors[] = {"nvidia", "amd", "intel", "pocl", "apple", "arm", "qualcomm"};
    for (size_t v = 0; v < sizeof vendors / sizeof vendors[0]; v++)
        if (dcl_strcasecmp(spec, vendors[v]) == 0) {
            for (int i = 0; i < n; i++)
                if (dcl_strcasecmp(infos[i].vendor_short, vendors[v]) == 0) {
                    *index = i;
                    return DCL_OK;
                }
            /* a vendor word may also be part of a device name; try that next */
            break;
        }
    for (int i = 0; i < n; i++)
        if (dcl_strcasestr(infos[i].name, spec)) {
            *index = i;
            return DCL_OK;
        }
    dcl_fail(NULL, DCL_ERR_NO_DEVICE, "no device matches \"%s\" (an index, platform:device, cpu, gpu, "
             "accelerator, a vendor or part of a device name)", spec);
    list_found(infos, n);
    return DCL_ERR_NO_DEVICE;
}

/* ---- contexts ---- */
static char *default_cache_dir(const char *param)
{
    const char *env = param ? param : getenv("DEBERTACL_CACHE_DIR");
    if (env && *env)
        return dcl_strcasecmp(env, "off") == 0 ? NULL : dcl_strdup(env);
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg)
        return dcl_path_join(xdg, "debertacl");
    const char *home = getenv("HOME");
    if (home && *home)
        return dcl_path_join(home, ".cache/debertacl");
    return NULL;
}

char *dcl_default_cache_dir(const char *param) { return default_cache_dir(param); }

dcl_status dcl_context_create_impl(const dcl_context_params *params, dcl_context **out)
{
    dcl_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    if (pthread_mutex_init(&ctx->program_lock, NULL) != 0) {
        free(ctx);
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "cannot create a mutex");
    }
    if (pthread_mutex_init(&ctx->error_lock, NULL) != 0) {
        pthread_mutex_destroy(&ctx->program_lock);
        free(ctx);
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "cannot create a mutex");
    }
    ctx->log_cb = params->log_callback;
    ctx->log_user = params->log_user_data;
    ctx->log_level = params->log_level;
    ctx->profiling = params->profiling != 0;
    dcl_status st = DCL_OK;
    cl_int err;

    if (params->cl_context || params->cl_queue) {
        if (!params->cl_context || !params->cl_queue) {
            st = dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "cl_context and cl_queue must be given together");
            goto fail;
        }
        ctx->cl_ctx = (cl_context)params->cl_context;
        ctx->queue = (cl_command_queue)params->cl_queue;
        err = clGetCommandQueueInfo(ctx->queue, CL_QUEUE_DEVICE, sizeof ctx->device, &ctx->device, NULL);
        if (err != CL_SUCCESS) {
            ctx->cl_ctx = NULL;
            ctx->queue = NULL;
            st = DCL_CL_FAIL(NULL, err, "clGetCommandQueueInfo(CL_QUEUE_DEVICE)");
            goto fail;
        }
        cl_command_queue_properties qp = 0;
        clGetCommandQueueInfo(ctx->queue, CL_QUEUE_PROPERTIES, sizeof qp, &qp, NULL);
        if (qp & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE) {
            ctx->cl_ctx = NULL;
            ctx->queue = NULL;
            st = dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "the application's queue must be in-order");
            goto fail;
        }
        ctx->profiling = (qp & CL_QUEUE_PROFILING_ENABLE) != 0;
        clGetDeviceInfo(ctx->device, CL_DEVICE_PLATFORM, sizeof ctx->platform, &ctx->platform, NULL);
        clRetainContext(ctx->cl_ctx);
        clRetainCommandQueue(ctx->queue);
    } else {
        dcl_device_ref *refs = NULL;
        int n = 0;
        st = dcl_runtime_devices(&refs, &n);
        if (st != DCL_OK)
            goto fail;
        dcl_device_info *infos = n ? calloc((size_t)n, sizeof *infos) : NULL;
        if (n && !infos) {
            free(refs);
            st = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
            goto fail;
        }
        for (int i = 0; i < n; i++) {
            dcl_runtime_device_info(refs[i].platform, refs[i].device, &infos[i]);
            infos[i].platform_index = refs[i].platform_index;
            infos[i].device_index = refs[i].device_index;
        }
        int idx = -1;
        st = dcl_spec_resolve(params->device, infos, n, &idx);
        free(infos);
        if (st != DCL_OK) {
            free(refs);
            goto fail;
        }
        ctx->platform = refs[idx].platform;
        ctx->device = refs[idx].device;
        free(refs);
        cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)ctx->platform, 0};
        ctx->cl_ctx = clCreateContext(props, 1, &ctx->device, NULL, NULL, &err);
        if (!ctx->cl_ctx) {
            st = DCL_CL_FAIL(NULL, err, "clCreateContext");
            goto fail;
        }
        ctx->queue = clCreateCommandQueue(ctx->cl_ctx, ctx->device,
                                          ctx->profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
        if (!ctx->queue) {
            st = DCL_CL_FAIL(NULL, err, "clCreateCommandQueue");
            goto fail;
        }
        ctx->owns_cl = 1;
    }
    st = dcl_runtime_device_info(ctx->platform, ctx->device, &ctx->info);
    if (st != DCL_OK)
        goto fail;
    ctx->cache_dir = default_cache_dir(params->cache_dir);
    st = dcl_tuning_init(ctx);
    if (st != DCL_OK)
        goto fail;
    st = dcl_program_init(ctx);
    if (st != DCL_OK)
        goto fail;
    st = dcl_gemm_init(ctx);
    if (st != DCL_OK)
        goto fail;
    dcl_log(ctx, DCL_LOG_INFO, "device: %s (%s, %s); program cache: %s", ctx->info.name,
            ctx->info.platform_name, ctx->info.driver_version, ctx->cache_dir ? ctx->cache_dir : "off");
    *out = ctx;
    return DCL_OK;
fail:
    dcl_context_free_impl(ctx);
    return st;
}

void dcl_context_free_impl(dcl_context *ctx)
{
    if (!ctx)
        return;
    if (ctx->queue)
        (void)clFinish(ctx->queue); /* nothing to report while freeing: release regardless */
    dcl_program_release_all(ctx);
    dcl_gemm_release(ctx);
    if (ctx->queue)
        clReleaseCommandQueue(ctx->queue);
    if (ctx->cl_ctx)
        clReleaseContext(ctx->cl_ctx);
    free(ctx->cache_dir);
    free(ctx->defines);
    dcl_tuning_free(ctx);
    pthread_mutex_destroy(&ctx->program_lock);
    pthread_mutex_destroy(&ctx->error_lock);
    free(ctx);
}
