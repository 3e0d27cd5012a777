/* SPDX-License-Identifier: Apache-2.0 */
#include "profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const class_names[DCL_OPC_COUNT] = {
    "embeddings", "qkv_gemm", "rel_gemm", "scores", "pv",       "out_gemm",
    "ffn_gemm",   "layernorm", "conv",    "heads",  "transfer", "other",
};

const char *dcl_op_class_name(dcl_op_class c)
{
    return (int)c >= 0 && c < DCL_OPC_COUNT ? class_names[c] : "other";
}

void dcl_prof_init(dcl_prof *p, dcl_context *ctx, int on)
{
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->on = on;
    p->opc = DCL_OPC_OTHER;
    dcl_strlcpy(p->op, "unnamed", sizeof p->op);
}

static void release_events(dcl_prof *p)
{
    for (size_t i = 0; i < p->n; i++)
        for (int j = 0; j < 2; j++)
            if (p->ev[i][j]) {
                clReleaseEvent(p->ev[i][j]);
                p->ev[i][j] = NULL;
            }
}

void dcl_prof_clear(dcl_prof *p)
{
    release_events(p);
    p->n = 0;
    p->fresh = 0;
    p->opc = DCL_OPC_OTHER;
    dcl_strlcpy(p->op, "unnamed", sizeof p->op);
}

void dcl_prof_release(dcl_prof *p)
{
    release_events(p);
    free(p->rec);
    free(p->ev);
    p->rec = NULL;
    p->ev = NULL;
    p->n = p->cap = 0;
}

void dcl_prof_op(dcl_prof *p, dcl_op_class opc, double flops, double bytes, const char *fmt, ...)
{
    if (!p || !p->on)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->op, sizeof p->op, fmt, ap);
    va_end(ap);
    p->opc = opc;
    p->flops = flops;
    p->bytes = bytes;
    p->fresh = 1;
}

/* A new record named after the current operation; NULL when memory runs out (that operation
 * then goes unrecorded, the forward itself is not affected). */
static dcl_profile_record *next(dcl_prof *p)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 256;
        dcl_profile_record *r = realloc(p->rec, cap * sizeof *r);
        if (r)
            p->rec = r;
        cl_event(*e)[2] = r ? realloc(p->ev, cap * sizeof *e) : NULL;
        if (!r || !e) {
            dcl_log(p->ctx, DCL_LOG_WARN, "profiling: out of memory, operations go unrecorded");
            return NULL;
        }
        p->ev = e;
        p->cap = cap;
    }
    dcl_profile_record *r = &p->rec[p->n];
    memset(r, 0, sizeof *r);
    p->ev[p->n][0] = p->ev[p->n][1] = NULL;
    p->n++;
    dcl_strlcpy(r->op, p->op, sizeof r->op);
    r->op_class = p->opc;
    if (p->fresh) {
        r->flops = p->flops;
        r->bytes = p->bytes;
        p->fresh = 0;
    }
    return r;
}

cl_event *dcl_prof_kernel(dcl_prof *p, const char *kernel, cl_uint dims, const size_t *global, const size_t *local)
{
    if (!p || !p->on)
        return NULL;
    dcl_profile_record *r = next(p);
    if (!r)
        return NULL;
    dcl_strlcpy(r->kernel, kernel, sizeof r->kernel);
    r->work_dim = dims;
    for (cl_uint d = 0; d < dims && d < 3; d++) {
        r->global[d] = global[d];
        r->local[d] = local ? local[d] : 0;
    }
    return &p->ev[p->n - 1][0];
}

cl_event *dcl_prof_transfer(dcl_prof *p, int write, size_t bytes)
{
    if (!p || !p->on)
        return NULL;
    /* transfers keep their own name: they are not part of the operation around them */
    char op[64];
    dcl_op_class opc = p->opc;
    int fresh = p->fresh;
    memcpy(op, p->op, sizeof op);
    dcl_strlcpy(p->op, write ? "transfer.write" : "transfer.read", sizeof p->op);
    p->opc = DCL_OPC_TRANSFER;
    p->fresh = 0;
    dcl_profile_record *r = next(p);
    memcpy(p->op, op, sizeof op);
    p->opc = opc;
    p->fresh = fresh;
    if (!r)
        return NULL;
    dcl_strlcpy(r->kernel, write ? "write" : "read", sizeof r->kernel);
    r->bytes = (double)bytes;
    return &p->ev[p->n - 1][0];
}

void dcl_prof_gemm_cost(const dcl_gemm_args *g, double *flops, double *bytes)
{
    double batch = g->batch > 1 ? (double)g->batch : 1.0;
    double m = (double)g->m, n = (double)g->n, k = (double)g->k;
    *flops = 2.0 * m * n * k * batch;
    *bytes = 4.0 * batch * (m * k + k * n + m * n * (g->beta != 0.0f ? 2.0 : 1.0));
}

cl_event *dcl_prof_gemm(dcl_prof *p, const dcl_gemm_args *g, const char *routine)
{
    if (!p || !p->on || g->m == 0 || g->n == 0)
        return NULL;
    dcl_profile_record *r = next(p);
    if (!r)
        return NULL;
    dcl_strlcpy(r->kernel, routine, sizeof r->kernel);
    r->gemm[0] = g->m;
    r->gemm[1] = g->n;
    r->gemm[2] = g->k;
    r->gemm[3] = g->batch > 1 ? g->batch : 1;
    dcl_prof_gemm_cost(g, &r->flops, &r->bytes);
    cl_event *e = p->ev[p->n - 1];
    if (!strncmp(routine, "CLBlast", 7) && clEnqueueMarkerWithWaitList(p->ctx->queue, 0, NULL, &e[1]) != CL_SUCCESS)
        e[1] = NULL;
    return &e[0];
}

static cl_int stamp(cl_event e, cl_profiling_info what, uint64_t *out)
{
    cl_ulong v = 0;
    cl_int err = clGetEventProfilingInfo(e, what, sizeof v, &v, NULL);
    *out = (uint64_t)v;
    return err;
}

dcl_status dcl_prof_resolve(dcl_prof *p, double *gemm_seconds, double *kernel_seconds)
{
    *gemm_seconds = *kernel_seconds = 0;
    if (!p || !p->on)
        return DCL_OK;
    size_t kept = 0;
    uint64_t prev_end = 0;
    cl_int bad = CL_SUCCESS;
    for (size_t i = 0; i < p->n; i++) {
        dcl_profile_record r = p->rec[i];
        cl_event *e = p->ev[i];
        int ok = e[0] != NULL;
        if (ok) {
            cl_int err = stamp(e[0], CL_PROFILING_COMMAND_QUEUED, &r.queued_ns);
            if (err == CL_SUCCESS)
                err = stamp(e[0], CL_PROFILING_COMMAND_START, &r.start_ns);
            if (err == CL_SUCCESS)
                err = stamp(e[0], CL_PROFILING_COMMAND_END, &r.end_ns);
            if (err != CL_SUCCESS) {
                bad = err;
                ok = 0;
            }
        }
        if (ok && e[1]) { /* a CLBlast routine: it started when its marker completed */
            uint64_t mq = 0, me = 0;
            /* drivers without marker timestamps (0) keep the start of the last kernel */
            if (stamp(e[1], CL_PROFILING_COMMAND_QUEUED, &mq) == CL_SUCCESS &&
                stamp(e[1], CL_PROFILING_COMMAND_END, &me) == CL_SUCCESS && me != 0 && me <= r.start_ns &&
                me >= prev_end) {
                r.start_ns = me;
                r.queued_ns = mq;
            }
        }
        for (int j = 0; j < 2; j++)
            if (e[j]) {
                clReleaseEvent(e[j]);
                e[j] = NULL;
            }
        if (!ok)
            continue;
        if (r.end_ns < r.start_ns)
            r.end_ns = r.start_ns;
        prev_end = r.end_ns;
        double sec = (double)(r.end_ns - r.start_ns) * 1e-9;
        if (r.gemm[0])
            *gemm_seconds += sec;
        else if (r.op_class != DCL_OPC_TRANSFER)
            *kernel_seconds += sec;
        p->rec[kept++] = r;
    }
    p->n = kept;
    if (bad != CL_SUCCESS)
        return DCL_CL_FAIL(p->ctx, bad, "clGetEventProfilingInfo");
    return DCL_OK;
}
