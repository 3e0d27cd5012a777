/* SPDX-License-Identifier: Apache-2.0 */
/* Device peak probes in the style of clpeak: FP32 multiply-add throughput and global-memory read
 * bandwidth. The host (host/peak.c) builds them with several vector widths and access orders and
 * keeps the best, as no single form is fastest on every driver. OpenCL C 1.2. */
#ifndef PEAK_FMA_ITERS
#define PEAK_FMA_ITERS 64 /* loop trips of dcl_peak_fma; each trip is 32 multiply-adds of PEAK_VW lanes */
#endif
#ifndef PEAK_VW
#define PEAK_VW 4 /* 1, 2, 4, 8 or 16 */
#endif
#ifndef PEAK_READS
#define PEAK_READS 16 /* float4 loads per work-item in dcl_peak_read */
#endif
#ifndef PEAK_CONTIGUOUS
#define PEAK_CONTIGUOUS 0 /* 0: consecutive work-items read consecutive float4 (GPUs); 1: each work-item
                             reads PEAK_READS consecutive float4 (CPU drivers that do not vectorise
                             across work-items) */
#endif

#if PEAK_VW == 1
#define PEAK_REAL float
#elif PEAK_VW == 2
#define PEAK_REAL float2
#elif PEAK_VW == 8
#define PEAK_REAL float8
#elif PEAK_VW == 16
#define PEAK_REAL float16
#else
#define PEAK_REAL float4
#endif

#define PEAK_MAD8                                                                                                  \
    x0 = mad(x0, a, b);                                                                                            \
    x1 = mad(x1, a, b);                                                                                            \
    x2 = mad(x2, a, b);                                                                                            \
    x3 = mad(x3, a, b);                                                                                            \
    x4 = mad(x4, a, b);                                                                                            \
    x5 = mad(x5, a, b);                                                                                            \
    x6 = mad(x6, a, b);                                                                                            \
    x7 = mad(x7, a, b);

/* Eight independent chains per work-item (enough independent work to hide the latency of the
 * multiply-add units): 64 * PEAK_VW * PEAK_FMA_ITERS flops per work-item. */
__kernel void dcl_peak_fma(__global float *restrict out, const float a_, const float b_)
{
    const PEAK_REAL a = (PEAK_REAL)(a_), b = (PEAK_REAL)(b_);
    PEAK_REAL x0 = (PEAK_REAL)((float)get_global_id(0) * 1e-7f);
    PEAK_REAL x1 = x0 + 1.0f, x2 = x0 + 2.0f, x3 = x0 + 3.0f, x4 = x0 + 4.0f, x5 = x0 + 5.0f, x6 = x0 + 6.0f,
              x7 = x0 + 7.0f;
    for (int i = 0; i < PEAK_FMA_ITERS; i++) {
        PEAK_MAD8
        PEAK_MAD8
        PEAK_MAD8
        PEAK_MAD8
    }
    const PEAK_REAL s = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7));
    /* every lane reaches the output, so that no lane's work can be dropped */
#if PEAK_VW >= 16
    const float8 s8 = s.lo + s.hi;
#elif PEAK_VW == 8
    const float8 s8 = s;
#endif
#if PEAK_VW >= 8
    const float4 s4 = s8.lo + s8.hi;
#elif PEAK_VW == 4
    const float4 s4 = s;
#endif
#if PEAK_VW >= 4
    const float2 s2 = s4.lo + s4.hi;
#elif PEAK_VW == 2
    const float2 s2 = s;
#endif
#if PEAK_VW >= 2
    out[get_global_id(0)] = s2.x + s2.y;
#else
    out[get_global_id(0)] = s;
#endif
}

/* Each work-item sums PEAK_READS float4 and writes one float: 16 * PEAK_READS + 4 bytes per
 * work-item. */
__kernel void dcl_peak_read(__global const float4 *restrict in, __global float *restrict out)
{
    const size_t gid = get_global_id(0), n = get_global_size(0);
    float4 s = (float4)(0.0f);
    for (int i = 0; i < PEAK_READS; i++)
#if PEAK_CONTIGUOUS
        s += in[gid * PEAK_READS + i];
#else
        s += in[gid + (size_t)i * n];
#endif
    out[gid] = (s.x + s.y) + (s.z + s.w);
}
