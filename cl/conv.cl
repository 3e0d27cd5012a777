/* SPDX-License-Identifier: Apache-2.0 */
/* The v2 ConvLayer's Conv1d over the sequence: im2col for the GEMM path (groups == 1) and a
 * direct kernel for groups > 1. PyTorch cross-correlation, zero padding. OpenCL C 1.2. */

/* cols[(b*L+i)*(C*K) + c*K + k] = (0 <= i+k-pad < L) ? x[(b*L + i+k-pad)*C + c] : 0
 * x [B*L, C], cols [B*L, C*K]; then out = cols @ W^T with W the Conv1d weight viewed [Cout, C*K].
 * Global size (C*K, B*L) rounded up to any local size: gid0 = c*K + k, gid1 = b*L + i. */
__kernel void dcl_im2col1d(const uint B, const uint L, const uint C, const uint K, const uint pad,
                           __global const float *restrict x, __global float *restrict cols)
{
    const uint ck = get_global_id(0);
    const uint bi = get_global_id(1);
    const uint CK = C * K;
    if (ck >= CK || bi >= B * L)
        return;
    const uint c = ck / K, k = ck % K;
    const uint b = bi / L, i = bi % L;
    const int src = (int)i + (int)k - (int)pad;
    float v = 0.0f;
    if (src >= 0 && src < (int)L)
        v = x[((size_t)b * L + (uint)src) * C + c];
    cols[(size_t)bi * CK + ck] = v;
}

/* out[(b*L+i)*C + o] = bias[o] + sum_{c<C/groups, k<K} w[(o*(C/groups) + c)*K + k]
 *                                  * x[(b*L + i+k-pad)*C + g*(C/groups) + c],  g = o / (C/groups)
 * (zero outside [0, L)); w is the Conv1d weight [C, C/groups, K]. C % groups == 0.
 * Global size (C, B*L) rounded up to any local size: gid0 = o, gid1 = b*L + i. */
__kernel void dcl_conv1d_grouped(const uint B, const uint L, const uint C, const uint K, const uint pad,
                                 const uint groups, __global const float *restrict x,
                                 __global const float *restrict w, __global const float *restrict bias,
                                 __global float *restrict out)
{
    const uint o = get_global_id(0);
    const uint bi = get_global_id(1);
    if (o >= C || bi >= B * L || groups == 0)
        return;
    const uint Cg = C / groups;
    const uint g = o / Cg;
    const uint b = bi / L, i = bi % L;
    __global const float *wo = w + (size_t)o * Cg * K;
    float acc = 0.0f;
    for (uint k = 0; k < K; k++) {
        const int src = (int)i + (int)k - (int)pad;
        if (src < 0 || src >= (int)L)
            continue;
        __global const float *xr = x + ((size_t)b * L + (uint)src) * C + (size_t)g * Cg;
        for (uint c = 0; c < Cg; c++)
            acc = fma(wo[c * K + k], xr[c], acc);
    }
    out[(size_t)bi * C + o] = acc + bias[o];
}
