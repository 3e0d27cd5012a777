/* SPDX-License-Identifier: Apache-2.0 */
/* The link-time wrappers of tests/faults (see faults.h). Every __wrap_X calls __real_X unless the
 * call is the one to fail, in which case it returns the API's error (NULL / CL_OUT_OF_RESOURCES /
 * CLBlastOpenCLOutOfResources) without calling the real function. Releases are never failed: a
 * failed release cannot be handled by the caller, it only leaks. */
#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 300
#endif
#ifndef CL_USE_DEPRECATED_OPENCL_1_2_APIS
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#endif
#include <CL/cl.h>
#include <clblast_c.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"

/* ---- counting and failing ---------------------------------------------------------------- */
static int armed;
static long fail_at, calls, injected_call;
static const char *injected_fn;

/* a place for a debugger's breakpoint: called at call number $DCL_FAULTS_TRAP */
void fault_trap(long n);
__attribute__((noinline)) void fault_trap(long n)
{
    __asm__ volatile("" : : "r"(n) : "memory");
}

static int inject(const char *fn)
{
    if (!armed)
        return 0;
    static long trap = -1;
    static const char *only;
    if (trap < 0) {
        trap = getenv("DCL_FAULTS_TRAP") ? atol(getenv("DCL_FAULTS_TRAP")) : 0;
        only = getenv("DCL_FAULTS_ONLY");
    }
    if (only && strncmp(fn, only, strlen(only)) != 0)
        return 0; /* only the functions named by the prefix count */
    if (++calls == trap)
        fault_trap(calls);
    if (calls != fail_at)
        return 0;
    injected_call = calls;
    injected_fn = fn;
    return 1;
}

void fault_arm(long n)
{
    fail_at = n;
    calls = injected_call = 0;
    injected_fn = NULL;
    armed = 1;
}

void fault_disarm(void)
{
    armed = 0;
}

/* ---- tables of live things (open addressing, no allocation of their own) ------------------- */
#define TABLE_BITS 20
#define TABLE_SIZE (1u << TABLE_BITS)
typedef struct slot {
    const void *key; /* NULL: empty; TOMB: deleted */
    size_t value;    /* bytes, or reference count */
    const char *kind;
    long created_at; /* the call count when it was made */
} slot;
static const char tomb_mark;
#define TOMB ((const void *)&tomb_mark)
static slot blocks[TABLE_SIZE], objects[TABLE_SIZE];
static long live_blocks, live_objects, unknown_frees;
static size_t live_bytes;

static size_t hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)(x & (TABLE_SIZE - 1));
}

static slot *table_find(slot *t, const void *key)
{
    for (size_t i = hash(key), n = 0; n < TABLE_SIZE; i = (i + 1) & (TABLE_SIZE - 1), n++) {
        if (t[i].key == key)
            return &t[i];
        if (!t[i].key)
            return NULL;
    }
    return NULL;
}

static void table_put(slot *t, const void *key, size_t value, const char *kind)
{
    for (size_t i = hash(key), n = 0; n < TABLE_SIZE; i = (i + 1) & (TABLE_SIZE - 1), n++) {
        if (!t[i].key || t[i].key == TOMB) {
            t[i].key = key;
            t[i].value = value;
            t[i].kind = kind;
            t[i].created_at = calls;
            return;
        }
    }
    fprintf(stderr, "faults: table full\n");
    abort();
}

fault_stats fault_get(void)
{
    fault_stats s = {calls, injected_call, injected_fn, live_objects, live_blocks, live_bytes, unknown_frees};
    return s;
}

void fault_dump_live(void)
{
    for (size_t i = 0; i < TABLE_SIZE; i++)
        if (blocks[i].key && blocks[i].key != TOMB && blocks[i].created_at > 0)
            fprintf(stderr, "faults: live block %p of %zu bytes, made by call %ld\n", blocks[i].key, blocks[i].value,
                    blocks[i].created_at);
    for (size_t i = 0; i < TABLE_SIZE; i++)
        if (objects[i].key && objects[i].key != TOMB)
            fprintf(stderr, "faults: live %s %p (references: %zu), made by call %ld\n", objects[i].kind,
                    objects[i].key, objects[i].value, objects[i].created_at);
}

/* ---- allocations --------------------------------------------------------------------------- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static void block_add(void *p, size_t n)
{
    table_put(blocks, p, n, "block");
    live_blocks++;
    live_bytes += n;
}

static int block_remove(void *p)
{
    slot *s = table_find(blocks, p);
    if (!s)
        return 0;
    live_blocks--;
    live_bytes -= s->value;
    s->key = TOMB;
    return 1;
}

void *__wrap_malloc(size_t n)
{
    if (inject("malloc")) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __real_malloc(n);
    if (p)
        block_add(p, n);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (inject("calloc")) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __real_calloc(n, size);
    if (p)
        block_add(p, n * size);
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (inject("realloc")) {
        errno = ENOMEM;
        return NULL;
    }
    void *q = __real_realloc(p, n);
    if (q || n == 0) {
        if (p && !block_remove(p))
            unknown_frees++;
        if (q)
            block_add(q, n);
    }
    return q;
}

void __wrap_free(void *p)
{
    if (p && !block_remove(p))
        unknown_frees++;
    __real_free(p);
}

char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = __wrap_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *__wrap_strndup(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *d = __wrap_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* ---- OpenCL objects ------------------------------------------------------------------------ */
static void object_created(const void *o, const char *kind)
{
    if (!o)
        return;
    slot *s = table_find(objects, o);
    if (s) { /* a handle the driver reused after its release */
        s->value++;
        return;
    }
    table_put(objects, o, 1, kind);
    live_objects++;
}

static void object_retained(const void *o)
{
    slot *s = o ? table_find(objects, o) : NULL;
    if (s)
        s->value++;
}

static void object_released(const void *o)
{
    slot *s = o ? table_find(objects, o) : NULL;
    if (s && --s->value == 0) {
        s->key = TOMB;
        live_objects--;
    }
}

#define FAIL_CREATE(fn, err)                                                                                 \
    do {                                                                                                     \
        if (inject(fn)) {                                                                                    \
            if (err)                                                                                         \
                *(err) = CL_OUT_OF_RESOURCES;                                                                \
            return NULL;                                                                                     \
        }                                                                                                    \
    } while (0)
#define FAIL_CALL(fn)                                                                                        \
    do {                                                                                                     \
        if (inject(fn))                                                                                      \
            return CL_OUT_OF_RESOURCES;                                                                      \
    } while (0)

/* creation */
cl_context __real_clCreateContext(const cl_context_properties *, cl_uint, const cl_device_id *,
                                  void(CL_CALLBACK *)(const char *, const void *, size_t, void *), void *, cl_int *);
cl_context __wrap_clCreateContext(const cl_context_properties *props, cl_uint n, const cl_device_id *devices,
                                  void(CL_CALLBACK *notify)(const char *, const void *, size_t, void *), void *user,
                                  cl_int *err)
{
    FAIL_CREATE("clCreateContext", err);
    cl_context c = __real_clCreateContext(props, n, devices, notify, user, err);
    object_created(c, "context");
    return c;
}

cl_command_queue __real_clCreateCommandQueue(cl_context, cl_device_id, cl_command_queue_properties, cl_int *);
cl_command_queue __wrap_clCreateCommandQueue(cl_context c, cl_device_id d, cl_command_queue_properties p, cl_int *err)
{
    FAIL_CREATE("clCreateCommandQueue", err);
    cl_command_queue q = __real_clCreateCommandQueue(c, d, p, err);
    object_created(q, "command queue");
    return q;
}

cl_mem __real_clCreateBuffer(cl_context, cl_mem_flags, size_t, void *, cl_int *);
cl_mem __wrap_clCreateBuffer(cl_context c, cl_mem_flags flags, size_t size, void *host, cl_int *err)
{
    FAIL_CREATE("clCreateBuffer", err);
    cl_mem m = __real_clCreateBuffer(c, flags, size, host, err);
    object_created(m, "buffer");
    return m;
}

cl_program __real_clCreateProgramWithSource(cl_context, cl_uint, const char **, const size_t *, cl_int *);
cl_program __wrap_clCreateProgramWithSource(cl_context c, cl_uint n, const char **src, const size_t *lens, cl_int *err)
{
    FAIL_CREATE("clCreateProgramWithSource", err);
    cl_program p = __real_clCreateProgramWithSource(c, n, src, lens, err);
    object_created(p, "program");
    return p;
}

cl_program __real_clCreateProgramWithBinary(cl_context, cl_uint, const cl_device_id *, const size_t *,
                                            const unsigned char **, cl_int *, cl_int *);
cl_program __wrap_clCreateProgramWithBinary(cl_context c, cl_uint n, const cl_device_id *d, const size_t *lens,
                                            const unsigned char **bins, cl_int *status, cl_int *err)
{
    FAIL_CREATE("clCreateProgramWithBinary", err);
    cl_program p = __real_clCreateProgramWithBinary(c, n, d, lens, bins, status, err);
    object_created(p, "program");
    return p;
}

cl_kernel __real_clCreateKernel(cl_program, const char *, cl_int *);
cl_kernel __wrap_clCreateKernel(cl_program p, const char *name, cl_int *err)
{
    FAIL_CREATE("clCreateKernel", err);
    cl_kernel k = __real_clCreateKernel(p, name, err);
    object_created(k, "kernel");
    return k;
}

/* reference counts */
#define RETAIN_RELEASE(type, name)                                                                           \
    cl_int __real_clRetain##name(type);                                                                      \
    cl_int __wrap_clRetain##name(type o)                                                                     \
    {                                                                                                        \
        FAIL_CALL("clRetain" #name);                                                                         \
        cl_int e = __real_clRetain##name(o);                                                                 \
        if (e == CL_SUCCESS)                                                                                 \
            object_retained(o);                                                                              \
        return e;                                                                                            \
    }                                                                                                        \
    cl_int __real_clRelease##name(type);                                                                     \
    cl_int __wrap_clRelease##name(type o)                                                                    \
    {                                                                                                        \
        cl_int e = __real_clRelease##name(o);                                                                \
        if (e == CL_SUCCESS)                                                                                 \
            object_released(o);                                                                              \
        return e;                                                                                            \
    }
RETAIN_RELEASE(cl_context, Context)
RETAIN_RELEASE(cl_command_queue, CommandQueue)
RETAIN_RELEASE(cl_mem, MemObject)
RETAIN_RELEASE(cl_program, Program)
RETAIN_RELEASE(cl_kernel, Kernel)

/* everything else */
cl_int __real_clBuildProgram(cl_program, cl_uint, const cl_device_id *, const char *,
                             void(CL_CALLBACK *)(cl_program, void *), void *);
cl_int __wrap_clBuildProgram(cl_program p, cl_uint n, const cl_device_id *d, const char *opts,
                             void(CL_CALLBACK *notify)(cl_program, void *), void *user)
{
    if (inject("clBuildProgram"))
        return CL_BUILD_PROGRAM_FAILURE;
    return __real_clBuildProgram(p, n, d, opts, notify, user);
}

cl_int __real_clEnqueueNDRangeKernel(cl_command_queue, cl_kernel, cl_uint, const size_t *, const size_t *,
                                     const size_t *, cl_uint, const cl_event *, cl_event *);
cl_int __wrap_clEnqueueNDRangeKernel(cl_command_queue q, cl_kernel k, cl_uint dims, const size_t *off,
                                     const size_t *global, const size_t *local, cl_uint nw, const cl_event *w,
                                     cl_event *ev)
{
    FAIL_CALL("clEnqueueNDRangeKernel");
    return __real_clEnqueueNDRangeKernel(q, k, dims, off, global, local, nw, w, ev);
}

cl_int __real_clEnqueueReadBuffer(cl_command_queue, cl_mem, cl_bool, size_t, size_t, void *, cl_uint,
                                  const cl_event *, cl_event *);
cl_int __wrap_clEnqueueReadBuffer(cl_command_queue q, cl_mem m, cl_bool block, size_t off, size_t n, void *dst,
                                  cl_uint nw, const cl_event *w, cl_event *ev)
{
    FAIL_CALL("clEnqueueReadBuffer");
    return __real_clEnqueueReadBuffer(q, m, block, off, n, dst, nw, w, ev);
}

cl_int __real_clEnqueueWriteBuffer(cl_command_queue, cl_mem, cl_bool, size_t, size_t, const void *, cl_uint,
                                   const cl_event *, cl_event *);
cl_int __wrap_clEnqueueWriteBuffer(cl_command_queue q, cl_mem m, cl_bool block, size_t off, size_t n,
                                   const void *src, cl_uint nw, const cl_event *w, cl_event *ev)
{
    FAIL_CALL("clEnqueueWriteBuffer");
    return __real_clEnqueueWriteBuffer(q, m, block, off, n, src, nw, w, ev);
}

cl_int __real_clFinish(cl_command_queue);
cl_int __wrap_clFinish(cl_command_queue q)
{
    if (inject("clFinish")) {
        __real_clFinish(q); /* the work is done; the error is what a device reports after a failure */
        return CL_OUT_OF_RESOURCES;
    }
    return __real_clFinish(q);
}

cl_int __real_clSetKernelArg(cl_kernel, cl_uint, size_t, const void *);
cl_int __wrap_clSetKernelArg(cl_kernel k, cl_uint i, size_t n, const void *v)
{
    FAIL_CALL("clSetKernelArg");
    return __real_clSetKernelArg(k, i, n, v);
}

#define INFO_CALL(name, obj_t, param_t)                                                                      \
    cl_int __real_##name(obj_t, param_t, size_t, void *, size_t *);                                          \
    cl_int __wrap_##name(obj_t o, param_t p, size_t n, void *v, size_t *ret)                                 \
    {                                                                                                        \
        FAIL_CALL(#name);                                                                                    \
        return __real_##name(o, p, n, v, ret);                                                               \
    }
INFO_CALL(clGetCommandQueueInfo, cl_command_queue, cl_command_queue_info)
INFO_CALL(clGetDeviceInfo, cl_device_id, cl_device_info)
INFO_CALL(clGetPlatformInfo, cl_platform_id, cl_platform_info)
INFO_CALL(clGetProgramInfo, cl_program, cl_program_info)

cl_int __real_clGetProgramBuildInfo(cl_program, cl_device_id, cl_program_build_info, size_t, void *, size_t *);
cl_int __wrap_clGetProgramBuildInfo(cl_program p, cl_device_id d, cl_program_build_info i, size_t n, void *v,
                                    size_t *ret)
{
    FAIL_CALL("clGetProgramBuildInfo");
    return __real_clGetProgramBuildInfo(p, d, i, n, v, ret);
}

cl_int __real_clGetPlatformIDs(cl_uint, cl_platform_id *, cl_uint *);
cl_int __wrap_clGetPlatformIDs(cl_uint n, cl_platform_id *ids, cl_uint *count)
{
    FAIL_CALL("clGetPlatformIDs");
    return __real_clGetPlatformIDs(n, ids, count);
}

cl_int __real_clGetDeviceIDs(cl_platform_id, cl_device_type, cl_uint, cl_device_id *, cl_uint *);
cl_int __wrap_clGetDeviceIDs(cl_platform_id p, cl_device_type t, cl_uint n, cl_device_id *ids, cl_uint *count)
{
    FAIL_CALL("clGetDeviceIDs");
    return __real_clGetDeviceIDs(p, t, n, ids, count);
}

/* ---- CLBlast ------------------------------------------------------------------------------- */
#define FAIL_BLAS(fn)                                                                                        \
    do {                                                                                                     \
        if (inject(fn))                                                                                      \
            return CLBlastOpenCLOutOfResources;                                                              \
    } while (0)

CLBlastStatusCode __real_CLBlastSgemm(const CLBlastLayout, const CLBlastTranspose, const CLBlastTranspose,
                                      const size_t, const size_t, const size_t, const float, const cl_mem,
                                      const size_t, const size_t, const cl_mem, const size_t, const size_t,
                                      const float, cl_mem, const size_t, const size_t, cl_command_queue *,
                                      cl_event *);
CLBlastStatusCode __wrap_CLBlastSgemm(const CLBlastLayout l, const CLBlastTranspose ta, const CLBlastTranspose tb,
                                      const size_t m, const size_t n, const size_t k, const float alpha,
                                      const cl_mem a, const size_t ao, const size_t lda, const cl_mem b,
                                      const size_t bo, const size_t ldb, const float beta, cl_mem c,
                                      const size_t co, const size_t ldc, cl_command_queue *q, cl_event *ev)
{
    FAIL_BLAS("CLBlastSgemm");
    return __real_CLBlastSgemm(l, ta, tb, m, n, k, alpha, a, ao, lda, b, bo, ldb, beta, c, co, ldc, q, ev);
}

CLBlastStatusCode __real_CLBlastSgemmStridedBatched(const CLBlastLayout, const CLBlastTranspose,
                                                    const CLBlastTranspose, const size_t, const size_t,
                                                    const size_t, const float, const cl_mem, const size_t,
                                                    const size_t, const size_t, const cl_mem, const size_t,
                                                    const size_t, const size_t, const float, cl_mem,
                                                    const size_t, const size_t, const size_t, const size_t,
                                                    cl_command_queue *, cl_event *);
CLBlastStatusCode __wrap_CLBlastSgemmStridedBatched(const CLBlastLayout l, const CLBlastTranspose ta,
                                                    const CLBlastTranspose tb, const size_t m, const size_t n,
                                                    const size_t k, const float alpha, const cl_mem a,
                                                    const size_t ao, const size_t lda, const size_t as,
                                                    const cl_mem b, const size_t bo, const size_t ldb,
                                                    const size_t bs, const float beta, cl_mem c, const size_t co,
                                                    const size_t ldc, const size_t cs, const size_t count,
                                                    cl_command_queue *q, cl_event *ev)
{
    FAIL_BLAS("CLBlastSgemmStridedBatched");
    return __real_CLBlastSgemmStridedBatched(l, ta, tb, m, n, k, alpha, a, ao, lda, as, b, bo, ldb, bs, beta, c,
                                             co, ldc, cs, count, q, ev);
}

CLBlastStatusCode __real_CLBlastSgemmWithTempBuffer(const CLBlastLayout, const CLBlastTranspose,
                                                    const CLBlastTranspose, const size_t, const size_t,
                                                    const size_t, const float, const cl_mem, const size_t,
                                                    const size_t, const cl_mem, const size_t, const size_t,
                                                    const float, cl_mem, const size_t, const size_t,
                                                    cl_command_queue *, cl_event *, cl_mem);
CLBlastStatusCode __wrap_CLBlastSgemmWithTempBuffer(const CLBlastLayout l, const CLBlastTranspose ta,
                                                    const CLBlastTranspose tb, const size_t m, const size_t n,
                                                    const size_t k, const float alpha, const cl_mem a,
                                                    const size_t ao, const size_t lda, const cl_mem b,
                                                    const size_t bo, const size_t ldb, const float beta, cl_mem c,
                                                    const size_t co, const size_t ldc, cl_command_queue *q,
                                                    cl_event *ev, cl_mem tmp)
{
    FAIL_BLAS("CLBlastSgemmWithTempBuffer");
    return __real_CLBlastSgemmWithTempBuffer(l, ta, tb, m, n, k, alpha, a, ao, lda, b, bo, ldb, beta, c, co, ldc, q,
                                             ev, tmp);
}

CLBlastStatusCode __real_CLBlastSGemmTempBufferSize(const CLBlastLayout, const CLBlastTranspose,
                                                    const CLBlastTranspose, const size_t, const size_t,
                                                    const size_t, const size_t, const size_t, const size_t,
                                                    const size_t, const size_t, const size_t, cl_command_queue *,
                                                    size_t *);
CLBlastStatusCode __wrap_CLBlastSGemmTempBufferSize(const CLBlastLayout l, const CLBlastTranspose ta,
                                                    const CLBlastTranspose tb, const size_t m, const size_t n,
                                                    const size_t k, const size_t ao, const size_t lda,
                                                    const size_t bo, const size_t ldb, const size_t co,
                                                    const size_t ldc, cl_command_queue *q, size_t *size)
{
    FAIL_BLAS("CLBlastSGemmTempBufferSize");
    return __real_CLBlastSGemmTempBufferSize(l, ta, tb, m, n, k, ao, lda, bo, ldb, co, ldc, q, size);
}

CLBlastStatusCode __real_CLBlastOverrideParameters(const cl_device_id, const char *, const CLBlastPrecision,
                                                   const size_t, const char **, const size_t *);
CLBlastStatusCode __wrap_CLBlastOverrideParameters(const cl_device_id d, const char *kernel,
                                                   const CLBlastPrecision p, const size_t n, const char **names,
                                                   const size_t *values)
{
    FAIL_BLAS("CLBlastOverrideParameters");
    return __real_CLBlastOverrideParameters(d, kernel, p, n, names, values);
}

/* profiling: markers and timestamps (events are released, never failed) */
cl_int __real_clEnqueueFillBuffer(cl_command_queue, cl_mem, const void *, size_t, size_t, size_t, cl_uint,
                                  const cl_event *, cl_event *);
cl_int __wrap_clEnqueueFillBuffer(cl_command_queue q, cl_mem m, const void *pat, size_t psize, size_t off, size_t n,
                                  cl_uint nw, const cl_event *w, cl_event *ev)
{
    FAIL_CALL("clEnqueueFillBuffer");
    return __real_clEnqueueFillBuffer(q, m, pat, psize, off, n, nw, w, ev);
}

cl_int __real_clEnqueueMarkerWithWaitList(cl_command_queue, cl_uint, const cl_event *, cl_event *);
cl_int __wrap_clEnqueueMarkerWithWaitList(cl_command_queue q, cl_uint nw, const cl_event *w, cl_event *ev)
{
    FAIL_CALL("clEnqueueMarkerWithWaitList");
    return __real_clEnqueueMarkerWithWaitList(q, nw, w, ev);
}

cl_int __real_clGetEventProfilingInfo(cl_event, cl_profiling_info, size_t, void *, size_t *);
cl_int __wrap_clGetEventProfilingInfo(cl_event e, cl_profiling_info what, size_t size, void *value, size_t *ret)
{
    FAIL_CALL("clGetEventProfilingInfo");
    return __real_clGetEventProfilingInfo(e, what, size, value, ret);
}

cl_int __real_clReleaseEvent(cl_event);
cl_int __wrap_clReleaseEvent(cl_event e)
{
    return __real_clReleaseEvent(e);
}

/* the tuner's copies */
cl_int __real_clEnqueueCopyBuffer(cl_command_queue, cl_mem, cl_mem, size_t, size_t, size_t, cl_uint, const cl_event *,
                                  cl_event *);
cl_int __wrap_clEnqueueCopyBuffer(cl_command_queue q, cl_mem src, cl_mem dst, size_t so, size_t dof, size_t n,
                                  cl_uint nw, const cl_event *w, cl_event *ev)
{
    FAIL_CALL("clEnqueueCopyBuffer");
    return __real_clEnqueueCopyBuffer(q, src, dst, so, dof, n, nw, w, ev);
}
