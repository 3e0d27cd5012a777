/* SPDX-License-Identifier: Apache-2.0 */
/* Per-session profiling: one OpenCL event per enqueued operation of a forward, read after the
 * forward has finished (no clFinish between operations). Internal.
 *
 * Use: the encoder and the heads name the operation they are about to enqueue with
 * dcl_prof_op(); the launch helper of host/ops.c, the session's GEMM wrapper and the transfer
 * helpers each ask for an event slot (dcl_prof_kernel, dcl_prof_gemm_begin/end,
 * dcl_prof_transfer) and pass it to their clEnqueue* call. Every call is a no-op returning NULL
 * when profiling is off.
 *
 * Counting convention of flops and bytes: a multiply-add is 2 flops; a GEMM moves its three
 * matrices once (C twice when beta != 0); the row and elementwise kernels count the arithmetic
 * per element as the kernel writes it (exp, erf and sqrt count 1) and every global read and write
 * once. These are lower bounds of the traffic, as a roofline needs. */
#ifndef DCL_HOST_PROFILE_H
#define DCL_HOST_PROFILE_H

#include <CL/cl.h>

#include "context.h"
#include "gemm.h"

typedef struct dcl_prof {
    int on;
    dcl_context *ctx;
    dcl_profile_record *rec;
    cl_event (*ev)[2]; /* [0]: the operation's (last) kernel or transfer; [1]: a CLBlast GEMM's start marker */
    size_t n, cap;
    /* the current operation, set by dcl_prof_op() */
    char op[64];
    dcl_op_class opc;
    double flops, bytes;
    int fresh; /* set and not yet used by an enqueue: later enqueues record 0 flops and bytes */
} dcl_prof;

void dcl_prof_init(dcl_prof *p, dcl_context *ctx, int on);
/* Releases every pending event and the memory. */
void dcl_prof_release(dcl_prof *p);
/* A new forward: releases the pending events of the last one, forgets its records. */
void dcl_prof_clear(dcl_prof *p);

/* Names the next operation ("layer3.attention.c2p_gemm"): its class, flops and bytes. */
void dcl_prof_op(dcl_prof *p, dcl_op_class opc, double flops, double bytes, const char *fmt, ...)
    DCL_PRINTF(5, 6);

/* An event slot for a kernel launch (NULL when off); the record is dropped when the enqueue
 * fails and leaves the slot empty. */
cl_event *dcl_prof_kernel(dcl_prof *p, const char *kernel, cl_uint dims, const size_t *global, const size_t *local);
/* An event slot for a host <-> device copy of `bytes` (write != 0: to the device). */
cl_event *dcl_prof_transfer(dcl_prof *p, int write, size_t bytes);
/* An event slot for one GEMM (its kernel, or the last kernel of a CLBlast routine); flops and
 * bytes come from its shape. A CLBlast routine may run several kernels: a marker enqueued here,
 * before it, gives its start. Where the driver leaves markers without timestamps (Intel's CPU
 * runtime) the record covers the routine's last kernel only. */
cl_event *dcl_prof_gemm(dcl_prof *p, const dcl_gemm_args *g, const char *routine);

/* After the queue has finished: reads the timestamps, releases the events, drops the records of
 * enqueues that failed, and adds the device seconds of GEMMs and of other kernels. */
dcl_status dcl_prof_resolve(dcl_prof *p, double *gemm_seconds, double *kernel_seconds);

/* flops and bytes of a GEMM by the convention above. */
void dcl_prof_gemm_cost(const dcl_gemm_args *g, double *flops, double *bytes);

#endif
