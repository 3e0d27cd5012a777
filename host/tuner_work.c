/* SPDX-License-Identifier: Apache-2.0 */
/* The work the tuner times: the model-shaped buffers, one run of each kernel or GEMM class, and
 * event timing (markers around the work on the profiling queue). */
#include "tuner_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "relpos.h"

unsigned dcl_tuner_rand(tuner *tn)
{
    tn->rng = tn->rng * 1664525u + 1013904223u;
    return tn->rng >> 8;
}

/* ---- buffers ---- */

static dcl_status make(tuner *tn, size_t floats, float scale, float offset, cl_mem *out)
{
    float *h = malloc(floats * sizeof *h);
    if (!h)
        return dcl_fail(tn->ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < floats; i++)
        h[i] = offset + scale * ((float)(dcl_tuner_rand(tn) & 0xffff) / 32768.0f - 1.0f);
    dcl_status st = dcl_buffer_create(tn->ctx, floats * sizeof *h, h, out);
    free(h);
    return st;
}

static size_t max_z(size_t a, size_t b) { return a > b ? a : b; }

dcl_status dcl_tuner_buffers(tuner *tn)
{
    const size_t T = tn->T, H = tn->H, I = tn->I, L = tn->L, B = tn->B, NH = tn->NH;
    const size_t S = NH * B * L * L, R = NH * T * max_z(tn->nsr, 1);
    tn->gc_floats = T * tn->A + T * H + T * I + T * H + S;
    dcl_status st;
    if ((st = make(tn, T * H, 1.0f, 0.5f, &tn->x)) || (st = make(tn, T * H, 1.0f, 0.0f, &tn->res)) ||
        (st = make(tn, max_z(max_z(H, I), tn->A), 0.2f, 1.0f, &tn->vec)) ||
        (st = make(tn, max_z(max_z(H, I), tn->A), 0.2f, 0.0f, &tn->vec1)) ||
        (st = dcl_buffer_create(tn->ctx, T * H * sizeof(float), NULL, &tn->out)) ||
        (st = make(tn, T * I, 3.0f, 0.0f, &tn->act_src)) ||
        (st = dcl_buffer_create(tn->ctx, T * I * sizeof(float), NULL, &tn->act)) ||
        (st = make(tn, S, 4.0f, 0.0f, &tn->sc_src)) || (st = dcl_buffer_create(tn->ctx, S * sizeof(float), NULL, &tn->sc)) ||
        (st = make(tn, R, 2.0f, 0.0f, &tn->c2p)) || (st = make(tn, R, 2.0f, 0.0f, &tn->p2c)) ||
        (st = make(tn, max_z(T * max_z(max_z(H, I), 3 * tn->A), S), 1.0f, 0.0f, &tn->ga)) ||
        (st = dcl_buffer_create(tn->ctx, T * tn->A * sizeof(float), NULL, &tn->fq)) ||
        (st = dcl_buffer_create(tn->ctx, T * tn->A * sizeof(float), NULL, &tn->fk)) ||
        (st = dcl_buffer_create(tn->ctx, T * tn->A * sizeof(float), NULL, &tn->fv)) ||
        (st = dcl_buffer_create(tn->ctx, T * tn->A * sizeof(float), NULL, &tn->fo)) ||
        (st = make(tn, max_z(I * H, max_z(T * tn->A, NH * B * L * tn->D)), 0.05f, 0.0f, &tn->gb)) ||
        (st = dcl_buffer_create(tn->ctx, tn->gc_floats * sizeof(float), NULL, &tn->gc)))
        return st;
    /* all tokens valid but the last quarter of every other sequence, like padded batches */
    float *m = malloc(B * L * sizeof *m);
    int *slot = malloc((2 * L - 1) * sizeof *slot);
    tn->host = malloc(max_z(tn->gc_floats, max_z(S, T * I)) * sizeof *tn->host);
    if (!m || !slot || !tn->host) {
        free(m);
        free(slot);
        return dcl_fail(tn->ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < L; i++)
            m[b * L + i] = (b % 2 == 1 && i >= L - L / 4) ? 0.0f : 1.0f;
    int smin = 0, scount = 1;
    if (tn->cfg.relative_attention)
        dcl_rel_slot_table(&tn->cfg, (int)L, slot, &smin, &scount);
    else
        memset(slot, 0, (2 * L - 1) * sizeof *slot);
    st = dcl_buffer_create(tn->ctx, B * L * sizeof *m, m, &tn->mask);
    if (st == DCL_OK)
        st = dcl_buffer_create(tn->ctx, (2 * L - 1) * sizeof *slot, slot, &tn->slot);
    free(m);
    free(slot);
    return st;
}

void dcl_tuner_release(tuner *tn)
{
    cl_mem *all[] = {&tn->x,    &tn->res,  &tn->vec, &tn->vec1, &tn->out, &tn->act_src, &tn->act,
                     &tn->sc_src, &tn->sc,   &tn->c2p, &tn->p2c,  &tn->slot, &tn->mask,    &tn->ga,
                     &tn->gb,   &tn->gc,   &tn->fq,  &tn->fk,   &tn->fv,  &tn->fo};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (*all[i])
            clReleaseMemObject(*all[i]);
    if (tn->ops_ok)
        dcl_ops_release(&tn->ops);
    if (tn->attn_ok)
        dcl_attn_release(&tn->attn);
    for (int k = 0; k < K_COUNT; k++)
        if (k != K_XGEMM) /* borrows the gemm_nt reference */
            free(tn->ref[k]);
    free(tn->host);
    cJSON_Delete(tn->db);
    free(tn->db_path);
    dcl_config_free(&tn->cfg);
}

/* ---- the work of each kernel ---- */

static dcl_status copy(tuner *tn, cl_mem src, cl_mem dst, size_t floats)
{
    cl_int err = clEnqueueCopyBuffer(tn->ctx->queue, src, dst, 0, 0, floats * sizeof(float), 0, NULL, NULL);
    return err == CL_SUCCESS ? DCL_OK : DCL_CL_FAIL(tn->ctx, err, "clEnqueueCopyBuffer");
}

/* Untimed set-up before each run (in-place kernels get fresh input). */
static dcl_status prepare(tuner *tn, kernel_id k)
{
    if (k == K_ATTENTION)
        return copy(tn, tn->sc_src, tn->sc, tn->NH * tn->B * tn->L * tn->L);
    if (k == K_ELEMENTWISE)
        return copy(tn, tn->act_src, tn->act, tn->T * tn->I);
    return DCL_OK;
}

static dcl_status linear(tuner *tn, size_t m, size_t n, size_t k, size_t *c_off)
{
    dcl_gemm_args g = dcl_linear_args(m, n, k, tn->ga, 0, tn->gb, 0, tn->gc, *c_off);
    *c_off += m * n;
    return dcl_gemm(tn->ctx, &g, NULL);
}

static dcl_status work(tuner *tn, kernel_id k)
{
    const size_t T = tn->T, H = tn->H, I = tn->I, L = tn->L, D = tn->D, BH = tn->NH * tn->B;
    switch (k) {
    case K_LAYERNORM:
        return dcl_op_layernorm(&tn->ops, (unsigned)T, (unsigned)H, 1e-7f, tn->x, tn->vec1, tn->res, tn->vec,
                                tn->vec1, NULL, tn->out);
    case K_ATTENTION:
        return dcl_op_disentangled_softmax(&tn->ops, (unsigned)tn->B, (unsigned)L, (unsigned)tn->NH, tn->sc,
                                           tn->use_c2p ? tn->c2p : NULL, tn->use_p2c ? tn->p2c : NULL, tn->slot,
                                           (unsigned)max_z(tn->nsr, 1), tn->mask, 1.0f / sqrtf((float)D * 3.0f));
    case K_ELEMENTWISE:
        return dcl_op_bias_act(&tn->ops, (unsigned)T, (unsigned)I, tn->act, tn->vec1, NULL, DCL_ACT_GELU);
    case K_GEMM_NT:
    case K_XGEMM: {
        /* the encoder's Linear layers (Q, K, V, output, FFN up, FFN down), then Q K^T per head */
        size_t off = 0;
        dcl_status st;
        if ((st = linear(tn, T, tn->A, H, &off)) || (st = linear(tn, T, H, tn->A, &off)) ||
            (st = linear(tn, T, I, H, &off)) || (st = linear(tn, T, H, I, &off)))
            return st;
        dcl_gemm_args g = dcl_attn_qk_args(L, D, BH, tn->ga, tn->gb, tn->gc, off);
        return dcl_gemm(tn->ctx, &g, NULL);
    }
    case K_GEMM_NN: {
        /* probabilities times values, per head */
        dcl_gemm_args g = dcl_attn_pv_args(L, D, BH, tn->ga, tn->gb, tn->gc);
        return dcl_gemm(tn->ctx, &g, NULL);
    }
    case K_FUSED: {
        /* the encoder's attention: heads of a [T, 3A] projection with biases, then the kernel */
        const unsigned A = (unsigned)tn->A, Du = (unsigned)D, NH = (unsigned)tn->NH, Tu = (unsigned)T;
        dcl_status st;
        if (tn->attn.rb) {
            dcl_attn_qkv in = {tn->ga, tn->vec1, tn->vec1, tn->vec1, 3 * A, Du, 0, A, 2 * A};
            st = dcl_attn_split(&tn->attn, Tu, NH, &in, tn->fq, tn->fk, tn->fv);
        } else if (!(st = dcl_op_split_heads(&tn->ops, 1, Tu, NH, Du, 3 * A, 0, Du, tn->ga, tn->vec1, 1.0f, tn->fq)) &&
                   !(st = dcl_op_split_heads(&tn->ops, 1, Tu, NH, Du, 3 * A, A, Du, tn->ga, tn->vec1, 1.0f, tn->fk))) {
            st = dcl_op_split_heads(&tn->ops, 1, Tu, NH, Du, 3 * A, 2 * A, Du, tn->ga, tn->vec1, 1.0f, tn->fv);
        }
        if (st != DCL_OK)
            return st;
        return dcl_attn_fused(&tn->attn, Tu, NH, A, tn->fq, tn->fk, tn->fv, tn->use_c2p ? tn->c2p : NULL,
                              tn->use_p2c ? tn->p2c : NULL, tn->slot, (unsigned)max_z(tn->nsr, 1), tn->mask,
                              1.0f / sqrtf((float)D * 3.0f), tn->fo);
    }
    default:
        return DCL_ERR_INTERNAL;
    }
}

static cl_mem output(tuner *tn, kernel_id k, size_t *floats)
{
    switch (k) {
    case K_LAYERNORM: *floats = tn->T * tn->H; return tn->out;
    case K_ATTENTION: *floats = tn->NH * tn->B * tn->L * tn->L; return tn->sc;
    case K_ELEMENTWISE: *floats = tn->T * tn->I; return tn->act;
    case K_GEMM_NN: *floats = tn->NH * tn->B * tn->L * tn->D; return tn->gc;
    case K_FUSED: *floats = tn->T * tn->A; return tn->fo;
    default: *floats = tn->gc_floats; return tn->gc;
    }
}

/* Seconds of one run of the work, from the end of a marker before it to the end of one after. */
static dcl_status time_once(tuner *tn, kernel_id k, double *seconds)
{
    cl_event e0 = NULL, e1 = NULL;
    dcl_status st = prepare(tn, k);
    if (st != DCL_OK)
        return st;
    double w0 = dcl_now();
    cl_int err = clEnqueueMarkerWithWaitList(tn->ctx->queue, 0, NULL, &e0);
    if (err != CL_SUCCESS)
        return DCL_CL_FAIL(tn->ctx, err, "clEnqueueMarkerWithWaitList");
    st = work(tn, k);
    if (st == DCL_OK && (err = clEnqueueMarkerWithWaitList(tn->ctx->queue, 0, NULL, &e1)) != CL_SUCCESS)
        st = DCL_CL_FAIL(tn->ctx, err, "clEnqueueMarkerWithWaitList");
    clFinish(tn->ctx->queue);
    double wall = dcl_now() - w0;
    cl_ulong a = 0, b = 0;
    if (st == DCL_OK) {
        if (clGetEventProfilingInfo(e0, CL_PROFILING_COMMAND_END, sizeof a, &a, NULL) == CL_SUCCESS &&
            clGetEventProfilingInfo(e1, CL_PROFILING_COMMAND_END, sizeof b, &b, NULL) == CL_SUCCESS && b > a)
            *seconds = (double)(b - a) * 1e-9;
        else
            *seconds = wall; /* a driver without marker timestamps */
    }
    if (e0)
        clReleaseEvent(e0);
    if (e1)
        clReleaseEvent(e1);
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of a few timed runs after one untimed (it compiles). */
dcl_status dcl_tuner_measure(tuner *tn, kernel_id k, double *seconds)
{
    double t[5];
    dcl_status st = time_once(tn, k, &t[0]);
    int reps = t[0] > 1.0 ? 1 : t[0] > 0.2 ? 3 : 5;
    for (int r = 0; r < reps && st == DCL_OK; r++)
        st = time_once(tn, k, &t[r]);
    if (st != DCL_OK)
        return st;
    qsort(t, (size_t)reps, sizeof t[0], cmp_double);
    *seconds = t[reps / 2];
    return DCL_OK;
}

dcl_status dcl_tuner_read_output(tuner *tn, kernel_id k, float **out, size_t *n)
{
    cl_mem m = output(tn, k, n);
    *out = tn->host;
    return dcl_buffer_read(tn->ctx, m, 0, *n * sizeof(float), tn->host);
}

double dcl_tuner_rel_diff(const float *a, const float *ref, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)ref[i]);
        if (!(d <= num)) /* NaN counts as infinitely off */
            num = isnan(d) ? INFINITY : d;
        if (fabs((double)ref[i]) > den)
            den = fabs((double)ref[i]);
    }
    return den > 0 ? num / den : num;
}
