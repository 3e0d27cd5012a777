/* SPDX-License-Identifier: Apache-2.0 */
/* Device-spec parsing and resolution on made-up device lists (no OpenCL needed). */
#include <string.h>

#include "runtime.h"
#include "test_common.h"

static dcl_device_info dev(int p, int d, const char *name, const char *vendor_short, dcl_device_type t)
{
    dcl_device_info i;
    memset(&i, 0, sizeof i);
    i.platform_index = p;
    i.device_index = d;
    snprintf(i.name, sizeof i.name, "%s", name);
    snprintf(i.vendor_short, sizeof i.vendor_short, "%s", vendor_short);
    snprintf(i.platform_name, sizeof i.platform_name, "platform %d", p);
    i.type = t;
    return i;
}

static dcl_device_info list[4];

static int setup(void **state)
{
    (void)state;
    list[0] = dev(0, 0, "pthread-haswell-AMD EPYC 7B13", "PoCL", DCL_DEVICE_CPU);
    list[1] = dev(1, 0, "NVIDIA H100 80GB HBM3", "NVIDIA", DCL_DEVICE_GPU);
    list[2] = dev(2, 0, "gfx1100", "AMD", DCL_DEVICE_GPU);
    list[3] = dev(2, 1, "Intel(R) FPGA Emulation Device", "Intel", DCL_DEVICE_ACCELERATOR);
    return 0;
}

static int resolve(const char *spec)
{
    int idx = -2;
    dcl_status st = dcl_spec_resolve(spec, list, 4, &idx);
    return st == DCL_OK ? idx : -1;
}

static void test_default_prefers_gpu(void **state)
{
    (void)state;
    assert_int_equal(resolve(NULL), 1);
    assert_int_equal(resolve(""), 1);
    assert_int_equal(resolve("   "), 1);
    int idx;
    assert_int_equal(dcl_spec_resolve(NULL, list, 1, &idx), DCL_OK); /* only a CPU: take it */
    assert_int_equal(idx, 0);
}

static void test_indices(void **state)
{
    (void)state;
    assert_int_equal(resolve("0"), 0);
    assert_int_equal(resolve("3"), 3);
    assert_int_equal(resolve("2:1"), 3);
    assert_int_equal(resolve("1:0"), 1);
    assert_int_equal(resolve("4"), -1);
    assert_int_equal(resolve("1:1"), -1);
    assert_int_equal(resolve("9999999999"), -1);
}

static void test_types_and_vendors(void **state)
{
    (void)state;
    assert_int_equal(resolve("cpu"), 0);
    assert_int_equal(resolve("GPU"), 1);
    assert_int_equal(resolve("accelerator"), 3);
    assert_int_equal(resolve("amd"), 2);
    assert_int_equal(resolve("NVIDIA"), 1);
    assert_int_equal(resolve("pocl"), 0);
    assert_int_equal(resolve("intel"), 3);
}

static void test_name_substrings(void **state)
{
    (void)state;
    assert_int_equal(resolve("h100"), 1);
    assert_int_equal(resolve("epyc"), 0);
    assert_int_equal(resolve("GFX11"), 2);
    assert_int_equal(resolve("radeon"), -1);
}

static void test_error_lists_devices(void **state)
{
    (void)state;
    int idx;
    assert_int_equal(dcl_spec_resolve("radeon", list, 4, &idx), DCL_ERR_NO_DEVICE);
    const char *msg = dcl_last_error();
    assert_non_null(strstr(msg, "radeon"));
    assert_non_null(strstr(msg, "NVIDIA H100"));
    assert_non_null(strstr(msg, "gfx1100"));
    assert_int_equal(dcl_spec_resolve(NULL, list, 0, &idx), DCL_ERR_NO_DEVICE);
    assert_non_null(strstr(dcl_last_error(), "no OpenCL device"));
    assert_int_equal(dcl_spec_resolve("apple", list, 4, &idx), DCL_ERR_NO_DEVICE);
}

static void test_vendor_normalisation(void **state)
{
    (void)state;
    char v[32];
    dcl_vendor_short("Advanced Micro Devices, Inc.", "AMD Accelerated Parallel Processing", v, sizeof v);
    assert_string_equal(v, "AMD");
    dcl_vendor_short("Intel(R) Corporation", "Intel(R) OpenCL", v, sizeof v);
    assert_string_equal(v, "Intel");
    dcl_vendor_short("NVIDIA Corporation", "NVIDIA CUDA", v, sizeof v);
    assert_string_equal(v, "NVIDIA");
    dcl_vendor_short("AuthenticAMD", "Portable Computing Language", v, sizeof v);
    assert_string_equal(v, "PoCL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_prefers_gpu), cmocka_unit_test(test_indices),
        cmocka_unit_test(test_types_and_vendors), cmocka_unit_test(test_name_substrings),
        cmocka_unit_test(test_error_lists_devices), cmocka_unit_test(test_vendor_normalisation),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
