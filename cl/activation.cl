/* SPDX-License-Identifier: Apache-2.0 */
/* Bias add, optional row mask and activation, in place. OpenCL C 1.2. */

/* Activation codes; the host uses the same numbers. */
#define DCL_ACT_IDENTITY 0
#define DCL_ACT_GELU 1      /* 0.5 x (1 + erf(x / sqrt 2)), exact form (HF "gelu") */
#define DCL_ACT_GELU_TANH 2 /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) ("gelu_new") */
#define DCL_ACT_RELU 3
#define DCL_ACT_TANH 4
#define DCL_ACT_SIGMOID 5
#define DCL_ACT_SILU 6 /* x * sigmoid(x) */

/* erfc(z), relative error < 1.2e-7 in exact arithmetic (Chebyshev fit, Numerical Recipes' erfcc),
 * a few ulp in float. Straight-line (one exp, one divide, FMAs, a select), so CPU drivers
 * vectorise it across work-items; their libm erfc is a scalar call ~20x slower. */
float dcl_erfc(const float z)
{
    const float a = fabs(z);
    const float t = 1.0f / fma(0.5f, a, 1.0f);
    float p = 0.17087277f;
    p = fma(p, t, -0.82215223f);
    p = fma(p, t, 1.48851587f);
    p = fma(p, t, -1.13520398f);
    p = fma(p, t, 0.27886807f);
    p = fma(p, t, -0.18628806f);
    p = fma(p, t, 0.09678418f);
    p = fma(p, t, 0.37409196f);
    p = fma(p, t, 1.00002368f);
    p = fma(p, t, -1.26551223f);
    const float r = t * exp(fma(-a, a, p));
    return z >= 0.0f ? r : 2.0f - r;
}

float dcl_activate(const float v, const int act)
{
    switch (act) {
    case DCL_ACT_GELU:
        /* 0.5 x (1 + erf(x/sqrt2)) == 0.5 x erfc(-x/sqrt2), without the cancellation for x < 0 */
        return 0.5f * v * dcl_erfc(-v * M_SQRT1_2_F);
    case DCL_ACT_GELU_TANH: {
        /* 0.5 (1 + tanh z) == 1 / (1 + exp(-2z)): same value, no cancellation for z < 0 */
        const float z = 0.7978845608028654f * fma(0.044715f * v, v * v, v);
        return v / (1.0f + exp(-2.0f * z));
    }
    case DCL_ACT_RELU:
        return fmax(v, 0.0f);
    case DCL_ACT_TANH:
        return tanh(v);
    case DCL_ACT_SIGMOID:
        return 1.0f / (1.0f + exp(-v));
    case DCL_ACT_SILU:
        return v / (1.0f + exp(-v));
    default:
        return v;
    }
}

/* x[r*cols+c] = act((x[r*cols+c] (+ bias[c] if use_bias)) (* mask[r] if use_mask)).
 * Global size (cols, rows) rounded up to any local size: gid0 = c, gid1 = r. */
__kernel void dcl_bias_act(const uint rows, const uint cols, __global float *x, __global const float *bias,
                           __global const float *mask, const int use_bias, const int use_mask, const int act)
{
    const uint c = get_global_id(0);
    const uint r = get_global_id(1);
    if (c >= cols || r >= rows)
        return;
    const size_t idx = (size_t)r * cols + c;
    float v = x[idx];
    if (use_bias)
        v += bias[c];
    if (use_mask)
        v *= mask[r];
    x[idx] = dcl_activate(v, act);
}

/* ---- the same, specialised at build time: -DACT=code (and the tuning's EW_VW) ----
 * dcl_bias_act_fixed: EW_VW consecutive columns per work-item, loaded and activated as one
 * vector (a straight-line body that CPU drivers keep in SIMD registers); a work-item whose
 * columns run past the row end takes them one by one. */
#ifndef EW_VW
#define EW_VW 1 /* columns per work-item: 1, 4, 8 or 16 */
#endif

#ifdef ACT
#if EW_VW == 1
typedef float dcl_ewv;
#define DCL_EW_LOAD(p) (*(p))
#define DCL_EW_STORE(v, p) (*(p) = (v))
#elif EW_VW == 4
typedef float4 dcl_ewv;
#define DCL_EW_LOAD(p) vload4(0, p)
#define DCL_EW_STORE(v, p) vstore4(v, 0, p)
#elif EW_VW == 8
typedef float8 dcl_ewv;
#define DCL_EW_LOAD(p) vload8(0, p)
#define DCL_EW_STORE(v, p) vstore8(v, 0, p)
#elif EW_VW == 16
typedef float16 dcl_ewv;
#define DCL_EW_LOAD(p) vload16(0, p)
#define DCL_EW_STORE(v, p) vstore16(v, 0, p)
#else
#error "EW_VW must be 1, 4, 8 or 16"
#endif

/* dcl_activate's formulas for activation ACT, on one vector (or one float) */
#define DCL_EW_ACT_BODY(T)                                                                                         \
    {                                                                                                              \
        if (ACT == DCL_ACT_GELU) {                                                                                 \
            const T z = -v * M_SQRT1_2_F, a = fabs(z);                                                             \
            const T t = 1.0f / fma(0.5f, a, 1.0f);                                                                 \
            T p = 0.17087277f;                                                                                     \
            p = fma(p, t, -0.82215223f);                                                                           \
            p = fma(p, t, 1.48851587f);                                                                            \
            p = fma(p, t, -1.13520398f);                                                                           \
            p = fma(p, t, 0.27886807f);                                                                            \
            p = fma(p, t, -0.18628806f);                                                                           \
            p = fma(p, t, 0.09678418f);                                                                            \
            p = fma(p, t, 0.37409196f);                                                                            \
            p = fma(p, t, 1.00002368f);                                                                            \
            p = fma(p, t, -1.26551223f);                                                                           \
            const T r = t * exp(fma(-a, a, p));                                                                    \
            return 0.5f * v * (T)select(2.0f - r, r, z >= 0.0f);                                                  \
        }                                                                                                          \
        if (ACT == DCL_ACT_GELU_TANH)                                                                              \
            return v / (1.0f + exp(-2.0f * (0.7978845608028654f * fma(0.044715f * v, v * v, v))));                \
        if (ACT == DCL_ACT_RELU)                                                                                   \
            return fmax(v, 0.0f);                                                                                  \
        if (ACT == DCL_ACT_TANH)                                                                                   \
            return tanh(v);                                                                                        \
        if (ACT == DCL_ACT_SIGMOID)                                                                                \
            return 1.0f / (1.0f + exp(-v));                                                                        \
        if (ACT == DCL_ACT_SILU)                                                                                   \
            return v / (1.0f + exp(-v));                                                                           \
        return v;                                                                                                  \
    }

float dcl_ew_act1(const float v) DCL_EW_ACT_BODY(float)
dcl_ewv dcl_ew_act(const dcl_ewv v) DCL_EW_ACT_BODY(dcl_ewv)

/* dcl_bias_act with act = ACT. Global size (ceil(cols / EW_VW), rows) rounded up to any local
 * size: gid0 = column block, gid1 = r. */
__kernel void dcl_bias_act_fixed(const uint rows, const uint cols, __global float *x, __global const float *bias,
                                 __global const float *mask, const int use_bias, const int use_mask)
{
    const uint c0 = get_global_id(0) * EW_VW;
    const uint r = get_global_id(1);
    if (c0 >= cols || r >= rows)
        return;
    __global float *row = x + (size_t)r * cols;
    const float m = use_mask ? mask[r] : 1.0f;
    if (c0 + EW_VW <= cols) {
        dcl_ewv v = DCL_EW_LOAD(row + c0);
        if (use_bias)
            v += DCL_EW_LOAD(bias + c0);
        if (use_mask)
            v *= m;
        DCL_EW_STORE(dcl_ew_act(v), row + c0);
        return;
    }
    for (uint c = c0; c < cols; c++) {
        float v = row[c];
        if (use_bias)
            v += bias[c];
        if (use_mask)
            v *= m;
        row[c] = dcl_ew_act1(v);
    }
}
#endif
