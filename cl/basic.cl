/* SPDX-License-Identifier: Apache-2.0 */
/* Elementwise helpers: fills, copies and scaled adds used across the encoder, and the smallest
 * kernels that tests run to check the runtime. OpenCL C 1.2. */
#ifndef BASIC_VW
#define BASIC_VW 1 /* reserved: vector width of the elementwise kernels */
#endif

/* y[i] = a * x[i] + y[i] for i < n */
__kernel void dcl_axpy(const uint n, const float a, __global const float *restrict x, __global float *restrict y)
{
    const uint i = get_global_id(0);
    if (i < n)
        y[i] = fma(a, x[i], y[i]);
}

/* x[i] = value for i < n */
__kernel void dcl_fill(const uint n, const float value, __global float *restrict x)
{
    const uint i = get_global_id(0);
    if (i < n)
        x[i] = value;
}
