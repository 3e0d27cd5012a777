/* SPDX-License-Identifier: Apache-2.0 */
/* Kernels for packed batches (sequences back to back, no padding): the ones whose result depends
 * on where a token sits in its sequence. tok[t] = (position of token t in its sequence, length of
 * that sequence), so token t's sequence is tokens t - tok[t].x .. t - tok[t].x + tok[t].y - 1.
 * OpenCL C 1.2. */

/* out[t*E+e] = word[ids[t]*E+e] + (use_pos ? pos[tok[t].x*E+e] : 0) + (use_type ? type_emb[types[t]*E+e] : 0)
 * Global size (E, T) rounded up to any local size. ids/types validated on the host. */
__kernel void dcl_embed_gather_seq(const uint T, const uint E, __global const int *ids, __global const int *types,
                                   __global const float *word, __global const float *pos,
                                   __global const float *type_emb, const int use_pos, const int use_type,
                                   __global const int2 *tok, __global float *out)
{
    const uint e = get_global_id(0);
    const uint t = get_global_id(1);
    if (e >= E || t >= T)
        return;
    float v = word[(size_t)ids[t] * E + e];
    if (use_pos)
        v += pos[(size_t)tok[t].x * E + e];
    if (use_type)
        v += type_emb[(size_t)types[t] * E + e];
    out[(size_t)t * E + e] = v;
}

/* cols[t*(C*K) + c*K + k] = x[(t + k - pad)*C + c] when position i + k - pad (i = tok[t].x) lies in
 * [0, tok[t].y), else 0: the v2 ConvLayer's zero padding at each sequence's ends.
 * Global size (C*K, T) rounded up to any local size. */
__kernel void dcl_im2col1d_seq(const uint T, const uint C, const uint K, const uint pad, __global const int2 *tok,
                               __global const float *restrict x, __global float *restrict cols)
{
    const uint ck = get_global_id(0);
    const uint t = get_global_id(1);
    const uint CK = C * K;
    if (ck >= CK || t >= T)
        return;
    const uint c = ck / K, k = ck % K;
    const int2 pl = tok[t];
    const int src = pl.x + (int)k - (int)pad;
    float v = 0.0f;
    if (src >= 0 && src < pl.y)
        v = x[((size_t)t - (size_t)pl.x + (size_t)src) * C + c];
    cols[(size_t)t * CK + ck] = v;
}

/* out[t*C + o] = bias[o] + sum_{c<C/groups, k<K} w[(o*(C/groups) + c)*K + k]
 *                          * x[(t + k - pad)*C + g*(C/groups) + c],  g = o / (C/groups),
 * zero outside the token's sequence; w is the Conv1d weight [C, C/groups, K]. C % groups == 0.
 * Global size (C, T) rounded up to any local size. */
__kernel void dcl_conv1d_grouped_seq(const uint T, const uint C, const uint K, const uint pad, const uint groups,
                                     __global const int2 *tok, __global const float *restrict x,
                                     __global const float *restrict w, __global const float *restrict bias,
                                     __global float *restrict out)
{
    const uint o = get_global_id(0);
    const uint t = get_global_id(1);
    if (o >= C || t >= T || groups == 0)
        return;
    const uint Cg = C / groups;
    const uint g = o / Cg;
    const int2 pl = tok[t];
    __global const float *wo = w + (size_t)o * Cg * K;
    float acc = 0.0f;
    for (uint k = 0; k < K; k++) {
        const int src = pl.x + (int)k - (int)pad;
        if (src < 0 || src >= pl.y)
            continue;
        __global const float *xr = x + ((size_t)t - (size_t)pl.x + (size_t)src) * C + (size_t)g * Cg;
        for (uint c = 0; c < Cg; c++)
            acc = fma(wo[c * K + k], xr[c], acc);
    }
    out[(size_t)t * C + o] = acc + bias[o];
}
