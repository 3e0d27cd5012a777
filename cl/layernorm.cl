/* SPDX-License-Identifier: Apache-2.0 */
/* Row LayerNorm with the adds that precede it in DeBERTa fused in: y = LN(x + bias + residual),
 * then an optional per-row mask multiply. One work-group of LN_WG items per row. OpenCL C 1.2. */
#ifndef LN_WG
#define LN_WG 256 /* work-group size; any power of two 1..1024; the host launches exactly this */
#endif

#if (LN_WG < 1) || (LN_WG > 1024) || ((LN_WG & (LN_WG - 1)) != 0)
#error "LN_WG must be a power of two in [1, 1024]"
#endif

/* Sums a and b over the work-group (tree in local memory); every item gets the totals. Must be
 * reached by all items of the group. */
void dcl_ln_sum2(float *a, float *b, __local float *ra, __local float *rb)
{
    const uint lid = get_local_id(0);
    ra[lid] = *a;
    rb[lid] = *b;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = LN_WG / 2; s > 0; s >>= 1) {
        if (lid < s) {
            ra[lid] += ra[lid + s];
            rb[lid] += rb[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    *a = ra[0];
    *b = rb[0];
    barrier(CLK_LOCAL_MEM_FENCE); /* the arrays are reused by the next call */
}

/* out[t,:] = LN(v) (* mask[t] if use_mask), v = x[t,:] (+ bias[:] if use_bias) (+ residual[t,:] if
 * use_residual); LN(v) = (v - mean) / sqrt(var + eps) * gamma + beta, var biased.
 * Global size: (T rounded up to anything) * LN_WG, local size LN_WG; one group per row t.
 * `out` may alias `x` or `residual`: each item only ever reads and writes its own columns
 * (c = lid + k*LN_WG), reads before it writes. Statistics: corrected two-pass (mean from a first
 * pass, then sum(d) and sum(d^2) of d = v - mean0), accurate in fp32 even for large means. */
__kernel __attribute__((reqd_work_group_size(LN_WG, 1, 1))) void
dcl_layernorm(const uint T, const uint H, const float eps, __global const float *x, __global const float *bias,
              __global const float *residual, __global const float *gamma, __global const float *beta,
              __global const float *mask, const int use_bias, const int use_residual, const int use_mask,
              __global float *out)
{
    __local float ra[LN_WG];
    __local float rb[LN_WG];
    const uint t = get_group_id(0);
    const uint lid = get_local_id(0);
    /* Spare groups (t >= T) run empty loops but still reach every barrier: no early return in a
     * kernel with barriers (PoCL 3.1 miscompiles the column loops after one). */
    const uint n = t < T ? H : 0u;
    const size_t off = (size_t)(n ? t : 0u) * H; /* keeps the row pointers in range for spare groups */
    __global const float *xr = x + off;
    __global const float *rr = residual + off;
    __global float *orow = out + off;
    const float invH = 1.0f / (float)max(H, 1u);

#define DCL_LN_V(c) (xr[c] + (use_bias ? bias[c] : 0.0f) + (use_residual ? rr[c] : 0.0f))

#if LN_WG == 1
    /* one work-item per row (CPU drivers): the same two-pass statistics, eight lanes at a time */
    (void)ra;
    (void)rb;
    (void)lid;
    const uint n8 = n & ~7u;
#define DCL_LN_V8(c)                                                                                              \
    (vload8(0, xr + (c)) + (use_bias ? vload8(0, bias + (c)) : (float8)0.0f) +                                     \
     (use_residual ? vload8(0, rr + (c)) : (float8)0.0f))
#define DCL_LN_HSUM(v) (((v).s0 + (v).s1) + ((v).s2 + (v).s3)) + (((v).s4 + (v).s5) + ((v).s6 + (v).s7))
    float8 a8 = 0.0f;
    for (uint c = 0; c < n8; c += 8)
        a8 += DCL_LN_V8(c);
    float s = DCL_LN_HSUM(a8);
    for (uint c = n8; c < n; c++)
        s += DCL_LN_V(c);
    const float mean0 = s * invH;
    float8 d8 = 0.0f, q8 = 0.0f;
    for (uint c = 0; c < n8; c += 8) {
        const float8 d = DCL_LN_V8(c) - mean0;
        d8 += d;
        q8 = fma(d, d, q8);
    }
    float s1 = DCL_LN_HSUM(d8), s2 = DCL_LN_HSUM(q8);
    for (uint c = n8; c < n; c++) {
        const float d = DCL_LN_V(c) - mean0;
        s1 += d;
        s2 = fma(d, d, s2);
    }
    const float dm = s1 * invH;
    const float mean = mean0 + dm;
    const float var = fmax(s2 * invH - dm * dm, 0.0f);
    const float rstd = 1.0f / sqrt(var + eps);
    const float m = (use_mask && n) ? mask[t] : 1.0f;
    for (uint c = 0; c < n8; c += 8) {
        float8 y = fma((DCL_LN_V8(c) - mean) * rstd, vload8(0, gamma + c), vload8(0, beta + c));
        if (use_mask)
            y *= m;
        vstore8(y, 0, orow + c);
    }
    for (uint c = n8; c < n; c++) {
        float y = fma((DCL_LN_V(c) - mean) * rstd, gamma[c], beta[c]);
        if (use_mask)
            y *= m;
        orow[c] = y;
    }
#undef DCL_LN_V8
#undef DCL_LN_HSUM
#else

    float s = 0.0f, unused = 0.0f;
    for (uint c = lid; c < n; c += LN_WG)
        s += DCL_LN_V(c);
    dcl_ln_sum2(&s, &unused, ra, rb);
    const float mean0 = s * invH;

    float s1 = 0.0f, s2 = 0.0f;
    for (uint c = lid; c < n; c += LN_WG) {
        const float d = DCL_LN_V(c) - mean0;
        s1 += d;
        s2 = fma(d, d, s2);
    }
    dcl_ln_sum2(&s1, &s2, ra, rb);
    const float dm = s1 * invH; /* correction of the mean */
    const float mean = mean0 + dm;
    const float var = fmax(s2 * invH - dm * dm, 0.0f);
    const float rstd = 1.0f / sqrt(var + eps);
    const float m = (use_mask && n) ? mask[t] : 1.0f;

    for (uint c = lid; c < n; c += LN_WG) {
        const float v = DCL_LN_V(c);
        float y = fma((v - mean) * rstd, gamma[c], beta[c]);
        if (use_mask)
            y *= m;
        orow[c] = y;
    }
#endif
#undef DCL_LN_V
}
