/* SPDX-License-Identifier: Apache-2.0 */
/* OpenCL runtime on the real device: selection, contexts (own and the app's), a kernel from cl/
 * run and checked against C. */
#include <math.h>
#include <string.h>

#include "context.h"
#include "program.h"
#include "test_common.h"

static void test_select_real_device(void **state)
{
    (void)state;
    int n = 0;
    assert_int_equal(dcl_device_count(&n), DCL_OK);
    assert_true(n > 0);
    int idx = -1;
    assert_int_equal(dcl_device_select(NULL, &idx), DCL_OK);
    assert_true(idx >= 0 && idx < n);
    dcl_device_info info;
    assert_int_equal(dcl_device_get_info(idx, &info), DCL_OK);
    assert_true(strlen(info.name) > 0);
    assert_true(info.compute_units > 0);
    assert_true(info.global_mem_bytes > 0);
    assert_true(info.max_work_group_size > 0);
    /* the same device by index, by platform:device and by part of its name */
    char spec[32];
    int j = -1;
    snprintf(spec, sizeof spec, "%d:%d", info.platform_index, info.device_index);
    assert_int_equal(dcl_device_select(spec, &j), DCL_OK);
    assert_int_equal(j, idx);
    char part[8];
    snprintf(part, sizeof part, "%.5s", info.name);
    assert_int_equal(dcl_device_select(part, &j), DCL_OK);
    dcl_device_info other;
    assert_int_equal(dcl_device_get_info(j, &other), DCL_OK);
    assert_non_null(strstr(other.name, part));
    assert_int_equal(dcl_device_select("no-such-device-xyz", &j), DCL_ERR_NO_DEVICE);
    assert_non_null(strstr(dcl_last_error(), info.name));
}

static void test_context_and_info(void **state)
{
    (void)state;
    dcl_context *ctx = dcl_test_context(NULL);
    dcl_device_info info;
    assert_int_equal(dcl_context_device_info(ctx, &info), DCL_OK);
    assert_true(strlen(info.vendor_short) > 0);
    assert_string_equal(dcl_context_last_error(ctx), "");
    cl_command_queue_properties qp = 1;
    clGetCommandQueueInfo(ctx->queue, CL_QUEUE_PROPERTIES, sizeof qp, &qp, NULL);
    assert_int_equal(qp & CL_QUEUE_PROFILING_ENABLE, 0);
    dcl_context_free(ctx);

    dcl_context_params p = dcl_context_default_params();
    p.cache_dir = "off";
    p.profiling = 1;
    p.device = getenv("DEBERTACL_DEVICE");
    assert_int_equal(dcl_context_create(&p, &ctx), DCL_OK);
    clGetCommandQueueInfo(ctx->queue, CL_QUEUE_PROPERTIES, sizeof qp, &qp, NULL);
    assert_true(qp & CL_QUEUE_PROFILING_ENABLE);
    assert_null(ctx->cache_dir);
    dcl_context_free(ctx);
}

static void test_context_bad_arguments(void **state)
{
    (void)state;
    assert_int_equal(dcl_context_create(NULL, NULL), DCL_ERR_INVALID_ARGUMENT);
    dcl_context_params p = dcl_context_default_params();
    p.device = "no-such-device-xyz";
    dcl_context *ctx = (dcl_context *)0x1;
    assert_int_equal(dcl_context_create(&p, &ctx), DCL_ERR_NO_DEVICE);
    assert_null(ctx);
    assert_non_null(strstr(dcl_last_error(), "no-such-device-xyz"));
    p = dcl_context_default_params();
    p.cl_context = (void *)0x1; /* without a queue */
    assert_int_equal(dcl_context_create(&p, &ctx), DCL_ERR_INVALID_ARGUMENT);
    dcl_context_free(NULL);
}

static void run_axpy(dcl_context *ctx, unsigned n)
{
    cl_kernel k;
    assert_int_equal(dcl_kernel_create(ctx, "basic", NULL, "dcl_axpy", &k), DCL_OK);
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *ref = malloc(n * sizeof *ref);
    uint32_t seed = 1234 + n;
    for (unsigned i = 0; i < n; i++) {
        x[i] = dcl_test_rand(&seed);
        y[i] = dcl_test_rand(&seed);
        ref[i] = fmaf(0.75f, x[i], y[i]);
    }
    cl_int err;
    cl_mem bx = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * sizeof *x, x, &err);
    assert_int_equal(err, CL_SUCCESS);
    cl_mem by = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * sizeof *y, y, &err);
    assert_int_equal(err, CL_SUCCESS);
    cl_uint cn = n;
    float a = 0.75f;
    clSetKernelArg(k, 0, sizeof cn, &cn);
    clSetKernelArg(k, 1, sizeof a, &a);
    clSetKernelArg(k, 2, sizeof bx, &bx);
    clSetKernelArg(k, 3, sizeof by, &by);
    size_t local = 64, global = (n + local - 1) / local * local;
    assert_int_equal(clEnqueueNDRangeKernel(ctx->queue, k, 1, NULL, &global, &local, 0, NULL, NULL), CL_SUCCESS);
    assert_int_equal(clEnqueueReadBuffer(ctx->queue, by, CL_TRUE, 0, n * sizeof *y, y, 0, NULL, NULL), CL_SUCCESS);
    for (unsigned i = 0; i < n; i++)
        assert_float_equal(y[i], ref[i], 1e-6f);
    clReleaseMemObject(bx);
    clReleaseMemObject(by);
    clReleaseKernel(k);
    free(x);
    free(y);
    free(ref);
}

static void test_kernel_matches_c(void **state)
{
    (void)state;
    dcl_context *ctx = dcl_test_context(NULL);
    run_axpy(ctx, 1);
    run_axpy(ctx, 1000); /* not a multiple of the work-group size */
    run_axpy(ctx, 4096);
    dcl_cache_stats s;
    assert_int_equal(dcl_context_cache_stats(ctx, &s), DCL_OK);
    assert_int_equal(s.builds, 1); /* built once, then served from memory */
    assert_int_equal(s.memory_hits, 2);
    dcl_context_free(ctx);
}

static void test_application_context(void **state)
{
    (void)state;
    /* the app makes its own context and queue and hands them over */
    dcl_context *probe = dcl_test_context(NULL);
    cl_device_id dev = probe->device;
    cl_platform_id plat = probe->platform;
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)plat, 0};
    cl_context app_ctx = clCreateContext(props, 1, &dev, NULL, NULL, &err);
    assert_int_equal(err, CL_SUCCESS);
    cl_command_queue app_q = clCreateCommandQueue(app_ctx, dev, 0, &err);
    assert_int_equal(err, CL_SUCCESS);
    dcl_context_free(probe);

    dcl_context_params p = dcl_context_default_params();
    p.cl_context = app_ctx;
    p.cl_queue = app_q;
    p.cache_dir = "off";
    dcl_context *ctx;
    assert_int_equal(dcl_context_create(&p, &ctx), DCL_OK);
    assert_ptr_equal(ctx->cl_ctx, app_ctx);
    assert_ptr_equal(ctx->queue, app_q);
    run_axpy(ctx, 777);
    dcl_context_free(ctx);
    /* still usable by the app after the library let go */
    assert_int_equal(clFinish(app_q), CL_SUCCESS);
    clReleaseCommandQueue(app_q);
    clReleaseContext(app_ctx);
}

int main(void)
{
    dcl_test_require_device();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_real_device), cmocka_unit_test(test_context_and_info),
        cmocka_unit_test(test_context_bad_arguments), cmocka_unit_test(test_kernel_matches_c),
        cmocka_unit_test(test_application_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
