/* Device peak probes in the style of clpeak: FP32 multiply-add throughput and global-memory read
 * bandwidth. The host (host/peak.c) times them; nothing else uses them. OpenCL C 1.2. */
#ifndef PEAK_FMA_ITERS
#define PEAK_FMA_ITERS 64 /* loop trips of dcl_peak_fma; each trip is 32 float4 multiply-adds */
#endif
#ifndef PEAK_READS
#define PEAK_READS 16 /* float4 loads per work-item in dcl_peak_read */
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

/* Eight independent float4 chains per work-item (enough independent work to hide the latency of
 * the multiply-add units): 256 * PEAK_FMA_ITERS flops per work-item. */
__kernel void dcl_peak_fma(__global float *restrict out, const float a_, const float b_)
{
    const float4 a = (float4)(a_), b = (float4)(b_);
    float4 x0 = (float4)((float)get_global_id(0) * 1e-7f);
    float4 x1 = x0 + 1.0f, x2 = x0 + 2.0f, x3 = x0 + 3.0f, x4 = x0 + 4.0f, x5 = x0 + 5.0f, x6 = x0 + 6.0f,
           x7 = x0 + 7.0f;
    for (int i = 0; i < PEAK_FMA_ITERS; i++) {
        PEAK_MAD8
        PEAK_MAD8
        PEAK_MAD8
        PEAK_MAD8
    }
    const float4 s = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7));
    out[get_global_id(0)] = (s.x + s.y) + (s.z + s.w);
}

/* Each work-item sums PEAK_READS float4 strided by the global size (consecutive work-items read
 * consecutive addresses) and writes one float: 16 * PEAK_READS + 4 bytes per work-item. */
__kernel void dcl_peak_read(__global const float4 *restrict in, __global float *restrict out)
{
    const size_t gid = get_global_id(0), n = get_global_size(0);
    float4 s = (float4)(0.0f);
    for (int i = 0; i < PEAK_READS; i++)
        s += in[gid + (size_t)i * n];
    out[gid] = (s.x + s.y) + (s.z + s.w);
}
