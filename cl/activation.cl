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
