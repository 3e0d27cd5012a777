/* SPDX-License-Identifier: Apache-2.0 */
/* Dense products shaped for CPU OpenCL drivers (PoCL): C = alpha * A op(B) + beta * C, row-major,
 * strided batched over dimension 2. Work-group size 1: each work-item is one straight-line
 * register-blocked loop that the driver's compiler turns into SIMD FMAs (float8 = one AVX
 * register); no local memory, no barriers. The host (host/gemm.c) uses these instead of CLBlast
 * where the tuning routes them here (GEMM_ROUTE_*, profiles/: CPU devices); GPUs keep CLBlast. OpenCL C 1.2.
 *
 * beta == 0 never reads C (NaN in C does not leak), as BLAS does. */

#ifndef GEMM_NT_CB
#define GEMM_NT_CB 16 /* column triples per work-item of dcl_gemm_nt */
#endif
#ifndef GEMM_NN_RB
#define GEMM_NN_RB 8 /* six-row blocks per work-item of dcl_gemm_nn */
#endif

float dcl_gemm_out(float acc, float alpha, float beta, __global const float *c)
{
    return beta != 0.0f ? alpha * acc + beta * *c : alpha * acc;
}

/* C[M,N] = alpha A[M,K] B[N,K]^T + beta C: both operands contiguous along K (the torch Linear
 * layout, Q K^T). One work-item: 4 rows x 3 columns at a time, GEMM_NT_CB column triples.
 * Dot products run 8 lanes wide over K, then a horizontal sum and a scalar tail (K % 8).
 * Global size: (ceil(M/4), ceil(N / (3*GEMM_NT_CB)), batch); local (1,1,1). */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
dcl_gemm_nt(const uint M, const uint N, const uint K, const float alpha, const float beta,
            __global const float *A, const ulong a_off, const uint lda, const ulong a_stride,
            __global const float *B, const ulong b_off, const uint ldb, const ulong b_stride,
            __global float *C, const ulong c_off, const uint ldc, const ulong c_stride)
{
    const uint row = get_global_id(0) * 4;
    if (row >= M)
        return;
    const ulong z = get_global_id(2);
    A += a_off + z * a_stride;
    B += b_off + z * b_stride;
    C += c_off + z * c_stride;
    const uint last = M - 1, nlast = N - 1, K8 = K & ~7u;
    __global const float *a0 = A + (ulong)min(row + 0, last) * lda;
    __global const float *a1 = A + (ulong)min(row + 1, last) * lda;
    __global const float *a2 = A + (ulong)min(row + 2, last) * lda;
    __global const float *a3 = A + (ulong)min(row + 3, last) * lda;
    for (uint cb = 0; cb < GEMM_NT_CB; cb++) {
        const uint col = (get_global_id(1) * GEMM_NT_CB + cb) * 3;
        if (col >= N)
            return;
        __global const float *w0 = B + (ulong)min(col + 0, nlast) * ldb;
        __global const float *w1 = B + (ulong)min(col + 1, nlast) * ldb;
        __global const float *w2 = B + (ulong)min(col + 2, nlast) * ldb;
        float8 c00 = 0, c01 = 0, c02 = 0, c10 = 0, c11 = 0, c12 = 0;
        float8 c20 = 0, c21 = 0, c22 = 0, c30 = 0, c31 = 0, c32 = 0;
        for (uint k = 0; k < K8; k += 8) {
            const float8 b0 = vload8(0, w0 + k), b1 = vload8(0, w1 + k), b2 = vload8(0, w2 + k);
            float8 x = vload8(0, a0 + k);
            c00 = fma(x, b0, c00);
            c01 = fma(x, b1, c01);
            c02 = fma(x, b2, c02);
            x = vload8(0, a1 + k);
            c10 = fma(x, b0, c10);
            c11 = fma(x, b1, c11);
            c12 = fma(x, b2, c12);
            x = vload8(0, a2 + k);
            c20 = fma(x, b0, c20);
            c21 = fma(x, b1, c21);
            c22 = fma(x, b2, c22);
            x = vload8(0, a3 + k);
            c30 = fma(x, b0, c30);
            c31 = fma(x, b1, c31);
            c32 = fma(x, b2, c32);
        }
        const float8 acc[12] = {c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32};
        __global const float *ar[4] = {a0, a1, a2, a3};
        __global const float *wr[3] = {w0, w1, w2};
        for (uint i = 0; i < 4 && row + i < M; i++)
            for (uint j = 0; j < 3 && col + j < N; j++) {
                const float8 v = acc[i * 3 + j];
                const float4 h = v.lo + v.hi;
                float s = (h.x + h.y) + (h.z + h.w);
                for (uint k = K8; k < K; k++)
                    s = fma(ar[i][k], wr[j][k], s);
                __global float *c = C + (ulong)(row + i) * ldc + col + j;
                *c = dcl_gemm_out(s, alpha, beta, c);
            }
    }
}

/* C[M,N] = alpha A[M,K] B[K,N] + beta C: B contiguous along N (P V). One work-item: 6 rows x 16
 * columns (12 float8 accumulators, A broadcast), GEMM_NN_RB row blocks down one 16-column panel.
 * A panel that runs past N takes a scalar path. Global size: (ceil(ceil(M/6) / GEMM_NN_RB),
 * ceil(N/16), batch); local (1,1,1). */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
dcl_gemm_nn(const uint M, const uint N, const uint K, const float alpha, const float beta,
            __global const float *A, const ulong a_off, const uint lda, const ulong a_stride,
            __global const float *B, const ulong b_off, const uint ldb, const ulong b_stride,
            __global float *C, const ulong c_off, const uint ldc, const ulong c_stride)
{
    const uint col = get_global_id(1) * 16;
    const ulong z = get_global_id(2);
    A += a_off + z * a_stride;
    B += b_off + z * b_stride + col;
    C += c_off + z * c_stride + col;
    const uint last = M - 1;
    const uint rb0 = get_global_id(0) * GEMM_NN_RB;
    for (uint rb = rb0; rb < rb0 + GEMM_NN_RB; rb++) {
        const uint row = rb * 6;
        if (row >= M)
            return;
        if (col + 16 > N) { /* ragged last panel */
            for (uint i = 0; i < 6 && row + i < M; i++)
                for (uint j = 0; col + j < N; j++) {
                    float s = 0.0f;
                    for (uint k = 0; k < K; k++)
                        s = fma(A[(ulong)(row + i) * lda + k], B[(ulong)k * ldb + j], s);
                    __global float *c = C + (ulong)(row + i) * ldc + j;
                    *c = dcl_gemm_out(s, alpha, beta, c);
                }
            continue;
        }
        __global const float *a0 = A + (ulong)min(row + 0, last) * lda;
        __global const float *a1 = A + (ulong)min(row + 1, last) * lda;
        __global const float *a2 = A + (ulong)min(row + 2, last) * lda;
        __global const float *a3 = A + (ulong)min(row + 3, last) * lda;
        __global const float *a4 = A + (ulong)min(row + 4, last) * lda;
        __global const float *a5 = A + (ulong)min(row + 5, last) * lda;
        float8 c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0;
        float8 c30 = 0, c31 = 0, c40 = 0, c41 = 0, c50 = 0, c51 = 0;
        __global const float *b = B;
        for (uint k = 0; k < K; k++, b += ldb) {
            const float8 b0 = vload8(0, b), b1 = vload8(1, b);
            float8 s = (float8)(a0[k]);
            c00 = fma(s, b0, c00);
            c01 = fma(s, b1, c01);
            s = (float8)(a1[k]);
            c10 = fma(s, b0, c10);
            c11 = fma(s, b1, c11);
            s = (float8)(a2[k]);
            c20 = fma(s, b0, c20);
            c21 = fma(s, b1, c21);
            s = (float8)(a3[k]);
            c30 = fma(s, b0, c30);
            c31 = fma(s, b1, c31);
            s = (float8)(a4[k]);
            c40 = fma(s, b0, c40);
            c41 = fma(s, b1, c41);
            s = (float8)(a5[k]);
            c50 = fma(s, b0, c50);
            c51 = fma(s, b1, c51);
        }
        const float8 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
        for (uint i = 0; i < 6 && row + i < M; i++) {
            __global float *c = C + (ulong)(row + i) * ldc;
            float8 v0 = alpha * acc[2 * i], v1 = alpha * acc[2 * i + 1];
            if (beta != 0.0f) {
                v0 += beta * vload8(0, c);
                v1 += beta * vload8(1, c);
            }
            vstore8(v0, 0, c);
            vstore8(v1, 1, c);
        }
    }
}

/* ---- Linear layers on packed weights: C = act(alpha A W^T + bias (+ beta C)) ----
 * W[N,K] (torch Linear layout, or any B with op(B) = B^T) is packed once, at model load, into
 * panels of GEMM_PK_W columns: packed column pc = p*GEMM_PK_W + j, row k lives at
 * Wp[(p*K + k)*GEMM_PK_W + j], columns past the end are zero. A work-item then runs the
 * outer-product form (GEMM_PK_MR rows of A broadcast against the GEMM_PK_NV vectors of a panel
 * row, GEMM_PK_MR * GEMM_PK_NV accumulators, no horizontal sums) and applies bias and the
 * activation ACT (a build-time constant) on whole vectors. */

#ifndef GEMM_PK_MR
#define GEMM_PK_MR 6 /* rows per register tile: 4, 6, 8 or 12 */
#endif
#ifndef GEMM_PK_VW
#define GEMM_PK_VW 8 /* vector width: 8 (AVX2, 256-bit) or 16 (AVX-512); the host resolves 0 */
#endif
#if GEMM_PK_VW == 0
#define DCL_PK_VW 8
#else
#define DCL_PK_VW GEMM_PK_VW
#endif
#ifndef GEMM_PK_NV
#define GEMM_PK_NV 2 /* vectors per panel row: 2 or 4 */
#endif
#define GEMM_PK_W (DCL_PK_VW * GEMM_PK_NV) /* panel width (the host packs with the same value) */
#ifndef GEMM_PK_RB
#define GEMM_PK_RB 4 /* register tiles per work-item, down one panel */
#endif
#ifndef ACT
#define ACT 0 /* the epilogue's activation: the codes of cl/activation.cl (0, 1, 2, 3 here) */
#endif

#if GEMM_PK_MR == 4
#define DCL_PK_ROWS(X) X(0) X(1) X(2) X(3)
#elif GEMM_PK_MR == 6
#define DCL_PK_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#elif GEMM_PK_MR == 8
#define DCL_PK_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#elif GEMM_PK_MR == 12
#define DCL_PK_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#else
#error "GEMM_PK_MR must be 4, 6, 8 or 12"
#endif
#if GEMM_PK_NV == 2
#define DCL_PK_VECS(X, i) X(i, 0) X(i, 1)
#elif GEMM_PK_NV == 4
#define DCL_PK_VECS(X, i) X(i, 0) X(i, 1) X(i, 2) X(i, 3)
#else
#error "GEMM_PK_NV must be 2 or 4"
#endif
#if DCL_PK_VW == 8
typedef float8 dcl_pkv;
#define DCL_PK_VLOAD vload8
#define DCL_PK_VSTORE vstore8
#elif DCL_PK_VW == 16
typedef float16 dcl_pkv;
#define DCL_PK_VLOAD vload16
#define DCL_PK_VSTORE vstore16
#else
#error "GEMM_PK_VW must be 0, 8 or 16"
#endif

/* The activations of cl/activation.cl on vectors (same formulas, lane by lane). */
dcl_pkv dcl_pk_erfc(const dcl_pkv z)
{
    const dcl_pkv a = fabs(z);
    const dcl_pkv t = 1.0f / fma(0.5f, a, 1.0f);
    dcl_pkv p = 0.17087277f;
    p = fma(p, t, -0.82215223f);
    p = fma(p, t, 1.48851587f);
    p = fma(p, t, -1.13520398f);
    p = fma(p, t, 0.27886807f);
    p = fma(p, t, -0.18628806f);
    p = fma(p, t, 0.09678418f);
    p = fma(p, t, 0.37409196f);
    p = fma(p, t, 1.00002368f);
    p = fma(p, t, -1.26551223f);
    const dcl_pkv r = t * exp(fma(-a, a, p));
    return select(2.0f - r, r, z >= 0.0f);
}

dcl_pkv dcl_pk_act(const dcl_pkv v)
{
#if ACT == 1
    return 0.5f * v * dcl_pk_erfc(-v * M_SQRT1_2_F);
#elif ACT == 2
    const dcl_pkv z = 0.7978845608028654f * fma(0.044715f * v, v * v, v);
    return v / (1.0f + exp(-2.0f * z));
#elif ACT == 3
    return fmax(v, 0.0f);
#elif ACT == 0
    return v;
#else
#error "ACT: the packed GEMM epilogue knows activations 0..3"
#endif
}

/* Wp (panels as above) from W[N,K] with row stride ldw, batched over dimension 2 (w_stride,
 * wp_stride). Global size (K, ceil(N/GEMM_PK_W), batch), any local size. */
__kernel void dcl_gemm_pack(const uint N, const uint K, __global const float *W, const ulong w_off, const uint ldw,
                            const ulong w_stride, __global float *Wp, const ulong wp_stride)
{
    const uint k = get_global_id(0), p = get_global_id(1);
    if (k >= K)
        return;
    const ulong z = get_global_id(2);
    W += w_off + z * w_stride;
    __global float *dst = Wp + z * wp_stride + ((ulong)p * K + k) * GEMM_PK_W;
    for (uint j = 0; j < GEMM_PK_W; j++) {
        const uint n = p * GEMM_PK_W + j;
        dst[j] = n < N ? W[(ulong)n * ldw + k] : 0.0f;
    }
}

/* C[M, N] (columns n0 .. n0+N-1 of the packed matrix) = act(alpha A[M,K] Wp^T + bias + beta C).
 * bias is indexed by output column and read only when use_bias; beta == 0 never reads C.
 * Global size (ceil(ceil(M/GEMM_PK_MR) / GEMM_PK_RB), ceil((n0+N)/GEMM_PK_W) - n0/GEMM_PK_W,
 * batch); local (1,1,1). */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
dcl_gemm_pk(const uint M, const uint N, const uint K, const uint n0, const float alpha, const float beta,
            __global const float *A, const ulong a_off, const uint lda, const ulong a_stride,
            __global const float *Wp, const ulong wp_stride, __global const float *bias, const int use_bias,
            __global float *C, const ulong c_off, const uint ldc, const ulong c_stride)
{
    const uint p = n0 / GEMM_PK_W + get_global_id(1);
    const int col = (int)(p * GEMM_PK_W) - (int)n0; /* output column of the panel's lane 0 */
    const ulong z = get_global_id(2);
    A += a_off + z * a_stride;
    C += c_off + z * c_stride;
    __global const float *bp = Wp + z * wp_stride + (ulong)p * K * GEMM_PK_W;
    const int full = col >= 0 && (uint)col + GEMM_PK_W <= N;
    const uint last = M - 1;
    const uint rb0 = get_global_id(0) * GEMM_PK_RB;
    for (uint rb = rb0; rb < rb0 + GEMM_PK_RB; rb++) {
        const uint row = rb * GEMM_PK_MR;
        if (row >= M)
            return;
#define DCL_PK_ACC(i, v) dcl_pkv c##i##_##v = 0.0f;
#define DCL_PK_DECL(i)                                                                                            \
    __global const float *a##i = A + (ulong)min(row + (i), last) * lda;                                           \
    DCL_PK_VECS(DCL_PK_ACC, i)
        DCL_PK_ROWS(DCL_PK_DECL)
#undef DCL_PK_DECL
#undef DCL_PK_ACC
        __global const float *b = bp;
        for (uint k = 0; k < K; k++, b += GEMM_PK_W) {
            const dcl_pkv b_0 = DCL_PK_VLOAD(0, b), b_1 = DCL_PK_VLOAD(1, b);
#if GEMM_PK_NV == 4
            const dcl_pkv b_2 = DCL_PK_VLOAD(2, b), b_3 = DCL_PK_VLOAD(3, b);
#endif
#define DCL_PK_MAC(i, v) c##i##_##v = fma(s, b_##v, c##i##_##v);
#define DCL_PK_FMA(i)                                                                                             \
    {                                                                                                             \
        const dcl_pkv s = (dcl_pkv)(a##i[k]);                                                                       \
        DCL_PK_VECS(DCL_PK_MAC, i)                                                                                \
    }
            DCL_PK_ROWS(DCL_PK_FMA)
#undef DCL_PK_FMA
#undef DCL_PK_MAC
        }
        /* epilogue, one vector at a time: full panels vectorised, the ragged ones lane by lane */
#define DCL_PK_OUT(i, v)                                                                                          \
    {                                                                                                             \
        const int cv = col + DCL_PK_VW * (v);                                                                             \
        __global float *c = C + (ulong)(row + (i)) * ldc + cv;                                                    \
        dcl_pkv x = alpha * c##i##_##v;                                                                            \
        if (full) {                                                                                               \
            if (beta != 0.0f)                                                                                     \
                x = fma(beta, DCL_PK_VLOAD(0, c), x);                                                              \
            if (use_bias)                                                                                         \
                x += DCL_PK_VLOAD(0, bias + cv);                                                                   \
            DCL_PK_VSTORE(dcl_pk_act(x), 0, c);                                                                        \
        } else {                                                                                                  \
            float t[DCL_PK_VW];                                                                                   \
            DCL_PK_VSTORE(x, 0, t);                                                                                \
            for (int j = 0; j < DCL_PK_VW; j++)                                                                           \
                if (cv + j >= 0 && (uint)(cv + j) < N) {                                                          \
                    float y = t[j];                                                                               \
                    if (beta != 0.0f)                                                                             \
                        y = fma(beta, c[j], y);                                                                   \
                    if (use_bias)                                                                                 \
                        y += bias[cv + j];                                                                        \
                    c[j] = dcl_pk_act((dcl_pkv)(y)).s0;                                                           \
                }                                                                                                 \
        }                                                                                                         \
    }
#define DCL_PK_STORE(i)                                                                                           \
    if (row + (i) < M) {                                                                                          \
        DCL_PK_VECS(DCL_PK_OUT, i)                                                                                \
    }
        DCL_PK_ROWS(DCL_PK_STORE)
#undef DCL_PK_STORE
#undef DCL_PK_OUT
    }
}
