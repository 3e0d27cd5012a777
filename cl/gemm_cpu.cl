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
