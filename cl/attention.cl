/* SPDX-License-Identifier: Apache-2.0 */
/* DeBERTa's disentangled attention scores fused with the mask and the row softmax, and a plain
 * row softmax. One work-group of ATT_WG items per score row; item lid handles columns
 * j = lid, lid + ATT_WG, ... in every pass (coalesced, and each item re-reads only what it wrote
 * itself, so the row can be kept in place in `scores`). OpenCL C 1.2. */
#ifndef ATT_WG
#define ATT_WG 128 /* work-group size; any power of two 1..1024; the host launches exactly this */
#endif

#if (ATT_WG < 1) || (ATT_WG > 1024) || ((ATT_WG & (ATT_WG - 1)) != 0)
#error "ATT_WG must be a power of two in [1, 1024]"
#endif

/* Max / sum of v over the work-group (tree in local memory); every item gets the result. Must be
 * reached by all items of the group. */
float dcl_att_group_max(float v, __local float *red)
{
    const uint lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = ATT_WG / 2; s > 0; s >>= 1) {
        if (lid < s)
            red[lid] = fmax(red[lid], red[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

float dcl_att_group_sum(float v, __local float *red)
{
    const uint lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = ATT_WG / 2; s > 0; s >>= 1) {
        if (lid < s)
            red[lid] += red[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

/* Softmax of row[0..n) in place, given per-item partial max `m` over the item's columns, which
 * already hold the final scores. Masked scores are -FLT_MAX (never -inf): with every score
 * -FLT_MAX the max is -FLT_MAX, s - max == 0 and the row becomes uniform; a masked score in a
 * row with a finite max gives (-FLT_MAX - max) <= -FLT_MAX (or -inf), exp of which is 0. */
void dcl_att_softmax_tail(__global float *row, const uint n, float m, __local float *red)
{
#if ATT_WG == 1
    /* one work-item per row (CPU drivers): the exp and scale passes eight lanes at a time */
    (void)red;
    const uint n8 = n & ~7u;
    float8 s8 = 0.0f;
    for (uint j = 0; j < n8; j += 8) {
        const float8 e = exp(vload8(0, row + j) - m);
        vstore8(e, 0, row + j);
        s8 += e;
    }
    float sum = ((s8.s0 + s8.s1) + (s8.s2 + s8.s3)) + ((s8.s4 + s8.s5) + (s8.s6 + s8.s7));
    for (uint j = n8; j < n; j++) {
        const float e = exp(row[j] - m);
        row[j] = e;
        sum += e;
    }
    const float inv = 1.0f / sum;
    for (uint j = 0; j < n8; j += 8)
        vstore8(vload8(0, row + j) * inv, 0, row + j);
    for (uint j = n8; j < n; j++)
        row[j] *= inv;
#else
    const uint lid = get_local_id(0);
    m = dcl_att_group_max(m, red);
    float sum = 0.0f;
    for (uint j = lid; j < n; j += ATT_WG) {
        const float e = exp(row[j] - m);
        row[j] = e;
        sum += e;
    }
    sum = dcl_att_group_sum(sum, red);
    const float inv = 1.0f / sum; /* sum >= 1: the max term is exp(0) */
    for (uint j = lid; j < n; j += ATT_WG)
        row[j] *= inv;
#endif
}

/* Row r = (h*B + b)*L + i (h < NH, b < B, i < L) of scores [NH*B, L, L], which holds Q_i.K_j:
 *   s_j = (scores[r*L+j] (+ c2p[r*NSR + k] if use_c2p) (+ p2c[(r - i + j)*NSR + k] if use_p2c))
 *         * inv_scale,   k = slot[i - j + L - 1]  (in [0, NSR))
 * (c2p, p2c are [NH, B*L, NSR]: their row h*B*L + b*L + i is r); s_j = -FLT_MAX where
 * mask[b*L+i] == 0 or mask[b*L+j] == 0; then scores[r*L + j] = softmax_j(s).
 * A fully masked query row is uniform 1/L (transformers >= 4.47). c2p / p2c are not read when
 * their flag is 0, slot not when both are 0, none of them for masked pairs. mask is always read
 * (pass all ones for no mask).
 * Global size: (NH*B*L rounded up to anything) * ATT_WG, local size ATT_WG; one group per row. */
__kernel __attribute__((reqd_work_group_size(ATT_WG, 1, 1))) void
dcl_disentangled_softmax(const uint B, const uint L, const uint NH, __global float *scores, __global const float *c2p,
                         __global const float *p2c, __global const int *slot, const uint NSR,
                         __global const float *mask, const float inv_scale, const int use_c2p, const int use_p2c)
{
    __local float red[ATT_WG];
    const uint r = get_group_id(0);
    const uint lid = get_local_id(0);
    /* Spare groups (r >= NH*B*L) run empty loops but still reach every barrier: no early return
     * in a kernel with barriers (PoCL 3.1 miscompiles the loops after one). */
    const uint n = r < NH * B * L ? L : 0u;
    const uint rr = n ? r : 0u; /* keeps the row pointers in range for spare groups */
    const uint i = rr % max(L, 1u);
    const uint b = (rr / max(L, 1u)) % max(B, 1u);
    __global float *row = scores + (size_t)rr * L;
    __global const float *mrow = mask + (size_t)b * L;
    /* a padding query masks every pair: all scores -FLT_MAX, softmax uniform 1/L */
    const int query_ok = n && mrow[i] != 0.0f;
    const int use_rel = use_c2p || use_p2c; /* slot is not read when both are off */
    __global const float *c2p_row = c2p + (size_t)rr * NSR;
    __global const float *p2c_rows = p2c + (size_t)(rr - i) * NSR; /* row of key j: + j*NSR */

    float m = -FLT_MAX;
    for (uint j = lid; j < n; j += ATT_WG) {
        float s = -FLT_MAX;
        if (query_ok && mrow[j] != 0.0f) {
            float acc = row[j];
            if (use_rel) {
                const uint k = (uint)slot[L - 1 + i - j];
                if (use_c2p)
                    acc += c2p_row[k];
                if (use_p2c)
                    acc += p2c_rows[(size_t)j * NSR + k];
            }
            s = acc * inv_scale;
        }
        row[j] = s;
        m = fmax(m, s);
    }
    dcl_att_softmax_tail(row, n, m, red);
}

/* x[r*n + j] = softmax_j(x[r*n + :]) in place, for r < rows.
 * Global size: (rows rounded up to anything) * ATT_WG, local size ATT_WG; one group per row. */
__kernel __attribute__((reqd_work_group_size(ATT_WG, 1, 1))) void dcl_softmax_rows(const uint rows, const uint n,
                                                                                 __global float *x)
{
    __local float red[ATT_WG];
    const uint r = get_group_id(0);
    const uint lid = get_local_id(0);
    const uint nn = r < rows ? n : 0u; /* spare groups: empty loops, every barrier reached */
    __global float *row = x + (size_t)(nn ? r : 0u) * n;
    float m = -FLT_MAX;
#if ATT_WG == 1
    const uint n8 = nn & ~7u;
    float8 m8 = -FLT_MAX;
    for (uint j = 0; j < n8; j += 8)
        m8 = fmax(m8, vload8(0, row + j));
    m = fmax(fmax(fmax(m8.s0, m8.s1), fmax(m8.s2, m8.s3)), fmax(fmax(m8.s4, m8.s5), fmax(m8.s6, m8.s7)));
    for (uint j = n8; j < nn; j++)
        m = fmax(m, row[j]);
#else
    for (uint j = lid; j < nn; j += ATT_WG)
        m = fmax(m, row[j]);
#endif
    dcl_att_softmax_tail(row, nn, m, red);
}
