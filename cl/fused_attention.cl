/* SPDX-License-Identifier: Apache-2.0 */
/* DeBERTa's disentangled attention in one pass, for the forward that does not return attention
 * probabilities: scores (c2c + gathered c2p + gathered p2c, scaled and masked), an online softmax
 * (running maximum and sum, FlashAttention style) and the product with V, tile by tile, so that no
 * [L, L] matrix ever exists. Memory is O(tokens x slots) for the c2p / p2c tables the GEMMs made.
 *
 * Shape: one work-group per (query tile, head); one work-item per query row, holding its query
 * vector and its output accumulator in private memory; the keys and values of FA_TK keys at a
 * time are staged in local memory by the whole group. Works on the packed token layout: every
 * tile belongs to one sequence, and attention never crosses a sequence. OpenCL C 1.2. */
#ifndef FA_D
#define FA_D 64 /* head size; the host builds one program per head size */
#endif
#ifndef FA_TQ
#define FA_TQ 16 /* queries per work-group = work-group size */
#endif
#ifndef FA_TK
#define FA_TK 32 /* keys per tile staged in local memory (2 * FA_TK * FA_D floats) */
#endif

#ifndef FA_LOCAL
#define FA_LOCAL 1 /* 1: stage key/value tiles in local memory; 0: read them from global memory
                      (CPU drivers, where the caches do it and barriers cost) */
#endif
#ifndef FA_VW
#define FA_VW 1 /* vector width of the loops over the head dimension: 1, 4, 8 or 16 (divides FA_D) */
#endif

#if (FA_D < 1) || (FA_TQ < 1) || (FA_TQ > 1024) || (FA_TK < 1)
#error "FA_D, FA_TQ and FA_TK must be positive (FA_TQ at most 1024)"
#endif
#if (FA_VW != 1 && FA_VW != 4 && FA_VW != 8 && FA_VW != 16) || (FA_D % FA_VW != 0)
#error "FA_VW must be 1, 4, 8 or 16 and divide FA_D"
#endif

#if FA_VW == 1
typedef float fa_vec;
#define FA_LOAD(c, p) ((p)[c])
#define FA_STORE(v, c, p) ((p)[c] = (v))
#define FA_HSUM(v) (v)
#elif FA_VW == 4
typedef float4 fa_vec;
#define FA_LOAD(c, p) vload4((c), (p))
#define FA_STORE(v, c, p) vstore4((v), (c), (p))
#define FA_HSUM(v) (((v).s0 + (v).s1) + ((v).s2 + (v).s3))
#elif FA_VW == 8
typedef float8 fa_vec;
#define FA_LOAD(c, p) vload8((c), (p))
#define FA_STORE(v, c, p) vstore8((v), (c), (p))
#define FA_HSUM(v) ((((v).s0 + (v).s1) + ((v).s2 + (v).s3)) + (((v).s4 + (v).s5) + ((v).s6 + (v).s7)))
#else
typedef float16 fa_vec;
#define FA_LOAD(c, p) vload16((c), (p))
#define FA_STORE(v, c, p) vstore16((v), (c), (p))
#define FA_HSUM(v)                                                                                                 \
    (((((v).s0 + (v).s1) + ((v).s2 + (v).s3)) + (((v).s4 + (v).s5) + ((v).s6 + (v).s7))) +                        \
     ((((v).s8 + (v).s9) + ((v).sa + (v).sb)) + (((v).sc + (v).sd) + ((v).se + (v).sf))))
#endif
#define FA_NV (FA_D / FA_VW)

/* Tile g: tiles[g] = (q0, nq, s0, n): queries are tokens q0 .. q0+nq-1 (nq <= FA_TQ) of the
 * sequence of tokens s0 .. s0+n-1. For head h, query token t (position i = t - s0) and key token
 * u (position j = u - s0), with k = slot[Lmax - 1 + i - j] in [0, NSR):
 *   s = (q[h,t] . k[h,u] (+ c2p[h,t,k] if use_c2p) (+ p2c[h,u,k] if use_p2c)) * inv_scale,
 *   s = -FLT_MAX instead where use_mask and (mask[t] == 0 or mask[u] == 0),
 *   ctx[t, h*FA_D + e] = sum_u softmax_u(s) * v[h,u,e].
 * q, k, v are [NH, T, FA_D]; c2p, p2c are [NH, T, NSR]; ctx is [T, ctx_stride].
 * A fully masked query row (a padding position) gets the uniform mean of the sequence's values,
 * as transformers >= 4.47 (masked_fill with finfo.min, then softmax): every score is -FLT_MAX,
 * so the running maximum stays -FLT_MAX and every exp() is exp(0) = 1. A masked key in a row
 * with a real key weighs exp(-FLT_MAX - max) = 0, also after the rescaling of earlier tiles.
 * Global size (NT * FA_TQ, NH), local size (FA_TQ, 1). */
__kernel __attribute__((reqd_work_group_size(FA_TQ, 1, 1))) void
dcl_fused_attention(const uint T, const uint NH, const uint ctx_stride, __global const int4 *tiles,
                    __global const float *restrict q, __global const float *restrict k,
                    __global const float *restrict v, __global const float *restrict c2p,
                    __global const float *restrict p2c, __global const int *restrict slot, const uint Lmax,
                    const uint NSR, __global const float *restrict mask, const int use_mask,
                    const float inv_scale, const int use_c2p, const int use_p2c, __global float *restrict ctx)
{
#if FA_LOCAL
    __local float ks[FA_TK * FA_D];
    __local float vs[FA_TK * FA_D];
#endif
    const uint lid = get_local_id(0);
    const uint h = get_group_id(1);
    const int4 tile = tiles[get_group_id(0)];
    const uint q0 = (uint)tile.x, nq = (uint)tile.y, s0 = (uint)tile.z, n = (uint)tile.w;
    const int active = lid < nq;
    const uint t = q0 + (active ? lid : 0u);
    const uint i = t - s0;
    const int use_rel = use_c2p || use_p2c;
    const int query_ok = !use_mask || mask[t] != 0.0f;
    __global const float *qrow = q + ((size_t)h * T + t) * FA_D;
    __global const float *c2p_row = c2p + ((size_t)h * T + t) * NSR;
    __global const float *p2c_head = p2c + (size_t)h * T * NSR;
    __global const float *kh = k + ((size_t)h * T + s0) * FA_D;
    __global const float *vh = v + ((size_t)h * T + s0) * FA_D;
    __global const int *slot_i = slot + (Lmax - 1 + i); /* slot_i[-j] is the slot of key j */

    fa_vec qr[FA_NV], acc[FA_NV];
    for (uint c = 0; c < FA_NV; c++) {
        qr[c] = active ? FA_LOAD(c, qrow) : (fa_vec)0.0f;
        acc[c] = (fa_vec)0.0f;
    }
    float m = -FLT_MAX, l = 0.0f;
    for (uint j0 = 0; j0 < n; j0 += FA_TK) {
        const uint nk = min((uint)FA_TK, n - j0);
#if FA_LOCAL
        /* stage keys and values j0 .. j0+nk-1 (contiguous: nk * FA_D floats each) */
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint x = lid; x < nk * FA_D; x += FA_TQ) {
            ks[x] = kh[(size_t)j0 * FA_D + x];
            vs[x] = vh[(size_t)j0 * FA_D + x];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (!active)
            continue;
#define FA_KROW(jj) (ks + (jj) * FA_D)
#define FA_VROW(jj) (vs + (jj) * FA_D)
#else
        if (!active)
            break;
#define FA_KROW(jj) (kh + (size_t)(j0 + (jj)) * FA_D)
#define FA_VROW(jj) (vh + (size_t)(j0 + (jj)) * FA_D)
#endif
        float s[FA_TK];
        float mt = m;
        for (uint jj = 0; jj < nk; jj++) {
            const uint j = j0 + jj;
            float sc = -FLT_MAX;
            if (query_ok && (!use_mask || mask[s0 + j] != 0.0f)) {
                fa_vec dv = (fa_vec)0.0f;
                for (uint c = 0; c < FA_NV; c++)
                    dv = fma(qr[c], FA_LOAD(c, FA_KROW(jj)), dv);
                float dot = FA_HSUM(dv);
                if (use_rel) {
                    const uint ks_ = (uint)slot_i[-(int)j];
                    if (use_c2p)
                        dot += c2p_row[ks_];
                    if (use_p2c)
                        dot += p2c_head[(size_t)(s0 + j) * NSR + ks_];
                }
                sc = dot * inv_scale;
            }
            s[jj] = sc;
            mt = fmax(mt, sc);
        }
        const float corr = exp(m - mt); /* 1 while both are -FLT_MAX; 0 once a real score appears */
        l *= corr;
        for (uint c = 0; c < FA_NV; c++)
            acc[c] *= corr;
#if FA_VW > 1 && FA_TK % FA_VW == 0
        /* the exponentials a vector at a time (entries past nk are computed and not used) */
        for (uint jj = nk; jj < FA_TK; jj++)
            s[jj] = mt;
        for (uint c = 0; c < FA_TK / FA_VW; c++)
            FA_STORE(exp(FA_LOAD(c, s) - (fa_vec)mt), c, s);
#else
        for (uint jj = 0; jj < nk; jj++)
            s[jj] = exp(s[jj] - mt);
#endif
        for (uint jj = 0; jj < nk; jj++) {
            const float p = s[jj];
            l += p;
            for (uint c = 0; c < FA_NV; c++)
                acc[c] = fma((fa_vec)p, FA_LOAD(c, FA_VROW(jj)), acc[c]);
        }
        m = mt;
#undef FA_KROW
#undef FA_VROW
    }
    if (active) {
        const float inv = 1.0f / l; /* l >= 1: the maximum's term is exp(0) */
        __global float *out = ctx + (size_t)t * ctx_stride + (size_t)h * FA_D;
        for (uint c = 0; c < FA_NV; c++)
            FA_STORE(acc[c] * inv, c, out);
    }
}
