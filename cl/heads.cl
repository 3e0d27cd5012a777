/* SPDX-License-Identifier: Apache-2.0 */
/* Head split (with bias and scale) and merge between [T, ...] projections and [NH*B, L, D]
 * per-head matrices. OpenCL C 1.2. */

/* dst[((h*B + b)*L + i)*D + e] = (src[(b*L+i)*src_stride + src_offset + h*head_stride + e]
 *                                 (+ bias[h*D+e] if use_bias)) * scale
 * Global size (D, B*L, NH), each rounded up to any local size: gid0 = e, gid1 = b*L + i, gid2 = h.
 * v2 fused QKV [T, 3A]: src_stride 3A, src_offset 0/A/2A, head_stride D.
 * v1 in_proj (per-head interleaved): src_stride 3A, src_offset 0/D/2D, head_stride 3D. */
__kernel void dcl_split_heads(const uint B, const uint L, const uint NH, const uint D, const uint src_stride,
                              const uint src_offset, const uint head_stride, __global const float *src,
                              __global const float *bias, const int use_bias, const float scale,
                              __global float *dst)
{
    const uint e = get_global_id(0);
    const uint bi = get_global_id(1);
    const uint h = get_global_id(2);
    if (e >= D || bi >= B * L || h >= NH)
        return;
    float v = src[(size_t)bi * src_stride + src_offset + (size_t)h * head_stride + e];
    if (use_bias)
        v += bias[h * D + e];
    dst[((size_t)h * B * L + bi) * D + e] = v * scale;
}

/* dst[(b*L+i)*(NH*D) + h*D + e] = src[((h*B+b)*L+i)*D + e]
 * Global size (D, B*L, NH), each rounded up to any local size: gid0 = e, gid1 = b*L + i, gid2 = h. */
__kernel void dcl_merge_heads(const uint B, const uint L, const uint NH, const uint D,
                              __global const float *restrict src, __global float *restrict dst)
{
    const uint e = get_global_id(0);
    const uint bi = get_global_id(1);
    const uint h = get_global_id(2);
    if (e >= D || bi >= B * L || h >= NH)
        return;
    dst[(size_t)bi * NH * D + (size_t)h * D + e] = src[((size_t)h * B * L + bi) * D + e];
}
