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

/* ---- CPU shape: register blocks, keys vectorised (FA_RB = 1) ----
 * The same result as dcl_fused_attention, computed the way a CPU likes it: one work-item (a
 * work-group of one) per FA_TQ queries of one head, FA_KW keys at a time in one vector. The
 * scores of a key block are FA_TQ vector accumulators (s[q] += q[t_q, e] * kT[e, keys]: one vector
 * load and FA_TQ broadcast multiply-adds per head dimension e); the online softmax works on whole
 * vectors (a horizontal maximum and sum per query and block); P V walks the head dimension a
 * vector at a time with FA_TQ accumulators (one value-row load and FA_TQ multiply-adds per key).
 * Keys come transposed, kT [NH, FA_D, kts] (dcl_fa_split), so a key block is one contiguous
 * load; columns past a sequence's end are read (kts >= T + FA_KW keeps them inside the buffer)
 * and masked off. Tiles as in dcl_fused_attention with nq <= FA_TQ.
 * Global size (NT, NH), local size (1, 1). */
#ifndef FA_KW
#define FA_KW 16 /* keys per block = vector width: 8 or 16 */
#endif
/* horizontal maximum and sum of 8 lanes; the 16-lane ones fold their halves first */
static inline float fk_hmax8(float8 v)
{
    float4 a = fmax(v.lo, v.hi);
    float2 b = fmax(a.lo, a.hi);
    return fmax(b.lo, b.hi);
}
static inline float fk_hsum8(float8 v)
{
    float4 a = v.lo + v.hi;
    float2 b = a.lo + a.hi;
    return b.lo + b.hi;
}
#if FA_KW == 8
typedef float8 fk_vec;
typedef int8 fk_ivec;
#define FK_LOAD vload8
#define FK_STORE vstore8
#define FK_LANES ((fk_ivec)(0, 1, 2, 3, 4, 5, 6, 7))
#define fk_hmax fk_hmax8
#define fk_hsum fk_hsum8
#elif FA_KW == 16
typedef float16 fk_vec;
typedef int16 fk_ivec;
#define FK_LOAD vload16
#define FK_STORE vstore16
#define FK_LANES ((fk_ivec)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
static inline float fk_hmax(float16 v) { return fk_hmax8(fmax(v.lo, v.hi)); }
static inline float fk_hsum(float16 v) { return fk_hsum8(v.lo + v.hi); }
#else
#error "FA_KW must be 8 or 16"
#endif
#if FA_D % FA_KW == 0 /* the host takes the FA_RB kernel only where a key vector divides the head */
#define FK_NV (FA_D / FA_KW)
#define FK_P2C_T (FA_TQ == FA_KW) /* p2c of whole linear blocks by an in-register transpose */

#if FA_TQ == FA_KW
/* In-register transpose of a square block: m[r][c] -> m[c][r], by swapping the off-diagonal
 * half-blocks of size b = FA_KW/2 .. 1 with two-vector shuffles. */
#if FA_KW == 16
typedef uint16 fk_mask;
#define FK_MASK(f) ((fk_mask)(f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7), f(8), f(9), f(10), f(11), f(12), f(13), f(14), f(15)))
#else
typedef uint8 fk_mask;
#define FK_MASK(f) ((fk_mask)(f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7)))
#endif
static inline void fk_transpose(fk_vec *m)
{
    _Pragma("unroll")
    for (uint b = FA_KW / 2; b > 0; b /= 2) {
#define FK_LO(l) (((l) & b) ? FA_KW + (l) - b : (l))
#define FK_HI(l) (((l) & b) ? FA_KW + (l) : (l) + b)
        const fk_mask lo = FK_MASK(FK_LO), hi = FK_MASK(FK_HI);
#undef FK_LO
#undef FK_HI
        _Pragma("unroll")
        for (uint i = 0; i < FA_KW; i++)
            if (!(i & b)) {
                const fk_vec x = m[i], y = m[i + b];
                m[i] = shuffle2(x, y, lo);
                m[i + b] = shuffle2(x, y, hi);
            }
    }
}
#endif

/* The heads of the fused QKV projection for the FA_RB kernel, in one pass: for token t and each
 * head h < NH, q, k, v [NH, T, FA_D] = src[t, off + h * hs + e] (+ bias[h * FA_D + e]); and the
 * keys transposed, kT [NH, FA_D, kts] (zeros for T <= t < kts), written a whole vector of FA_KW
 * tokens at a time (scalar stores of neighbouring tokens from different work-items share cache
 * lines across cores): work-item t writes, for the block of FA_KW tokens holding t, the rows
 * e = t % FA_KW + i * FA_KW. want_q 0: q is not written (the enhanced mask decoder's queries come
 * from another projection). Global size (kts). */
__kernel void dcl_fa_split(const uint T, const uint NH, const uint kts, const uint src_stride, const uint hs,
                           const uint q_off, const uint k_off, const uint v_off, __global const float *restrict src,
                           __global const float *restrict bq, __global const float *restrict bk,
                           __global const float *restrict bv, const int use_bq, const int use_bk, const int use_bv,
                           const int want_q, __global float *restrict q, __global float *restrict k,
                           __global float *restrict v, __global float *restrict kT)
{
    const uint t = get_global_id(0);
    if (t >= kts)
        return;
    const uint t0 = t / FA_KW * FA_KW, e0 = t % FA_KW;
    for (uint h = 0; h < NH; h++) {
        if (t < T) {
            __global const float *row = src + (size_t)t * src_stride + (size_t)h * hs;
            const size_t dst = ((size_t)h * T + t) * FA_D;
            _Pragma("unroll")
            for (uint x = 0; x < FK_NV; x++) {
                fk_vec kv = FK_LOAD(x, row + k_off), vv = FK_LOAD(x, row + v_off);
                if (use_bk)
                    kv += FK_LOAD(x, bk + (size_t)h * FA_D);
                if (use_bv)
                    vv += FK_LOAD(x, bv + (size_t)h * FA_D);
                FK_STORE(kv, x, k + dst);
                FK_STORE(vv, x, v + dst);
                if (want_q) {
                    fk_vec qv = FK_LOAD(x, row + q_off);
                    if (use_bq)
                        qv += FK_LOAD(x, bq + (size_t)h * FA_D);
                    FK_STORE(qv, x, q + dst);
                }
            }
        }
        __global const float *col = src + (size_t)h * hs + k_off;
        for (uint e = e0; e < FA_D; e += FA_KW) {
            const float b = use_bk ? bk[(size_t)h * FA_D + e] : 0.0f;
            float x[FA_KW];
            _Pragma("unroll")
            for (uint c = 0; c < FA_KW; c++)
                x[c] = t0 + c < T ? col[(size_t)(t0 + c) * src_stride + e] + b : 0.0f;
            FK_STORE(FK_LOAD(0, x), 0, kT + ((size_t)h * FA_D + e) * kts + t0);
        }
    }
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
dcl_fused_attention_rb(const uint T, const uint NH, const uint ctx_stride, __global const int4 *tiles,
                       __global const float *restrict q, __global const float *restrict kT, const uint kts,
                       __global const float *restrict v, __global const float *restrict c2p,
                       __global const float *restrict p2c, __global const int *restrict slot, const uint Lmax,
                       const uint NSR, __global const float *restrict mask, const int use_mask,
                       const float inv_scale, const int use_c2p, const int use_p2c, __global float *restrict ctx)
{
    const uint h = get_global_id(1);
    const int4 tile = tiles[get_global_id(0)];
    const uint q0 = (uint)tile.x, nq = (uint)tile.y, s0 = (uint)tile.z, n = (uint)tile.w;
    const uint i0 = q0 - s0;
    const int use_rel = use_c2p || use_p2c;
    __global const float *kh = kT + (size_t)h * FA_D * kts + s0;
    __global const float *vh = v + ((size_t)h * T + s0) * FA_D;
    __global const float *qrow[FA_TQ];
    int qok[FA_TQ];
    float m[FA_TQ], l[FA_TQ];
    fk_vec acc[FA_TQ][FK_NV];
    _Pragma("unroll")
    for (uint r = 0; r < FA_TQ; r++) {
        const uint t = q0 + min(r, nq - 1); /* rows past nq repeat the last query, never written */
        qrow[r] = q + ((size_t)h * T + t) * FA_D;
        qok[r] = !use_mask || mask[t] != 0.0f;
        m[r] = -FLT_MAX;
        l[r] = 0.0f;
        _Pragma("unroll")
        for (uint c = 0; c < FK_NV; c++)
            acc[r][c] = (fk_vec)0.0f;
    }
    for (uint j0 = 0; j0 < n; j0 += FA_KW) {
        const uint nk = min((uint)FA_KW, n - j0);
        /* lanes that are keys of this sequence (and not padding) */
        fk_ivec ok = FK_LANES < (fk_ivec)nk;
        if (use_mask) {
            float mk[FA_KW];
            _Pragma("unroll")
            for (uint c = 0; c < FA_KW; c++)
                mk[c] = c < nk ? mask[s0 + j0 + c] : 0.0f;
            ok = ok & (FK_LOAD(0, mk) != (fk_vec)0.0f);
        }
        fk_vec s[FA_TQ];
        _Pragma("unroll")
        for (uint r = 0; r < FA_TQ; r++)
            s[r] = (fk_vec)0.0f;
        for (uint e = 0; e < FA_D; e++) {
            const fk_vec kv = FK_LOAD(0, kh + (size_t)e * kts + j0);
            _Pragma("unroll")
            for (uint r = 0; r < FA_TQ; r++)
                s[r] = fma((fk_vec)qrow[r][e], kv, s[r]);
        }
        if (use_rel) {
            /* slot of (query i0 + r, key j0 + c) is slot[Lmax - 1 + i0 + r - j0 - c] */
            int sl[FA_TQ + FA_KW];
            for (uint x = 0; x < FA_TQ + FA_KW - 1; x++) {
                const int d = (int)(i0 + x) - (int)(j0 + FA_KW - 1); /* i - j of this entry */
                sl[x] = (d > -(int)Lmax && d < (int)Lmax) ? slot[(int)Lmax - 1 + d] : 0;
            }
            /* consecutive slots over the whole block (the linear part of the buckets, every pair
             * of a sequence up to half the bucket count): row r's c2p entries are one reversed
             * vector, c2p_row[sl[0] + r .. + FA_KW - 1] */
            int lin = (int)(i0 + FA_TQ - 1) - (int)j0 < (int)Lmax && (int)i0 - (int)(j0 + FA_KW - 1) > -(int)Lmax;
            for (uint x = 0; x + 1 < FA_TQ + FA_KW - 1; x++)
                lin &= sl[x + 1] == sl[x] + 1;
            /* the key rows of p2c (past-the-end lanes read the block's first key: masked) */
            __global const float *pk[FA_KW];
            _Pragma("unroll")
            for (uint c = 0; c < FA_KW; c++)
                pk[c] = p2c + ((size_t)h * T + s0 + j0 + (c < nk ? c : 0)) * NSR;
            _Pragma("unroll")
            for (uint r = 0; r < FA_TQ; r++) {
                float rel[FA_KW];
                __global const float *c2p_row = c2p + ((size_t)h * T + q0 + min(r, nq - 1)) * NSR;
                const int *slr = sl + r + FA_KW - 1; /* slr[-c]: slot of key j0 + c */
                /* s + c2p, then + p2c, on every path alike: a block's result does not depend on
                 * which path it took (nor, so, on the batch around the sequence) */
                if (use_c2p && lin) {
                    fk_vec cv = FK_LOAD(0, c2p_row + sl[0] + r);
#if FA_KW == 16
                    cv = shuffle(cv, (uint16)(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
#else
                    cv = shuffle(cv, (uint8)(7, 6, 5, 4, 3, 2, 1, 0));
#endif
                    s[r] += cv;
                } else if (use_c2p) {
                    _Pragma("unroll")
                    for (uint c = 0; c < FA_KW; c++)
                        rel[c] = c2p_row[slr[-(int)c]];
                    s[r] += FK_LOAD(0, rel);
                }
#if FK_P2C_T
                const int p2c_gather = use_p2c && !(lin && nk == FA_KW);
#else
                const int p2c_gather = use_p2c;
#endif
                if (p2c_gather) {
                    _Pragma("unroll")
                    for (uint c = 0; c < FA_KW; c++)
                        rel[c] = pk[c][slr[-(int)c]];
                    s[r] += FK_LOAD(0, rel);
                }
            }
#if FK_P2C_T
            if (use_p2c && lin && nk == FA_KW) {
                /* consecutive slots and a whole key block: key c's entries for rows r = 0 .. FA_TQ-1
                 * are p2c[key c, sl[0] + FA_KW - 1 - c + r], one vector per key; transposed, one
                 * vector per row */
                fk_vec pc[FA_KW];
                _Pragma("unroll")
                for (uint c = 0; c < FA_KW; c++)
                    pc[c] = FK_LOAD(0, pk[c] + sl[0] + FA_KW - 1 - c);
                fk_transpose(pc);
                _Pragma("unroll")
                for (uint r = 0; r < FA_TQ; r++)
                    s[r] += pc[r];
            }
#endif
        }
        for (uint r = 0; r < FA_TQ; r++) {
            const fk_ivec okr = qok[r] ? ok : (fk_ivec)0;
            /* masked and past-the-end lanes: -FLT_MAX (the same rules as dcl_fused_attention) */
            fk_vec sc = select((fk_vec)(-FLT_MAX), s[r] * inv_scale, okr);
            const float mt = fmax(m[r], fk_hmax(select((fk_vec)(-FLT_MAX), sc, FK_LANES < (fk_ivec)nk)));
            const float corr = exp(m[r] - mt);
            fk_vec p = exp(sc - (fk_vec)mt);
            p = select((fk_vec)0.0f, p, FK_LANES < (fk_ivec)nk); /* only keys of the sequence count */
            l[r] = l[r] * corr + fk_hsum(p);
            m[r] = mt;
            s[r] = p;
            _Pragma("unroll")
            for (uint c = 0; c < FK_NV; c++)
                acc[r][c] *= corr;
        }
        /* P V: keys of the block one at a time, the head dimension a vector at a time */
        float pb[FA_TQ][FA_KW];
        _Pragma("unroll")
        for (uint r = 0; r < FA_TQ; r++)
            FK_STORE(s[r], 0, pb[r]);
        _Pragma("unroll")
        for (uint c = 0; c < FK_NV; c++) {
            fk_vec a[FA_TQ];
            _Pragma("unroll")
            for (uint r = 0; r < FA_TQ; r++)
                a[r] = acc[r][c];
            for (uint jj = 0; jj < nk; jj++) {
                const fk_vec vv = FK_LOAD(c, vh + (size_t)(j0 + jj) * FA_D);
                _Pragma("unroll")
                for (uint r = 0; r < FA_TQ; r++)
                    a[r] = fma((fk_vec)pb[r][jj], vv, a[r]);
            }
            _Pragma("unroll")
            for (uint r = 0; r < FA_TQ; r++)
                acc[r][c] = a[r];
        }
    }
    for (uint r = 0; r < nq && r < FA_TQ; r++) {
        const float inv = 1.0f / l[r];
        __global float *out = ctx + (size_t)(q0 + r) * ctx_stride + (size_t)h * FA_D;
        _Pragma("unroll")
        for (uint c = 0; c < FK_NV; c++)
            FK_STORE(acc[r][c] * inv, c, out);
    }
}
#endif /* FA_D % FA_KW == 0 */
