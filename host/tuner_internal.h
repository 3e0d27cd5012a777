/* SPDX-License-Identifier: Apache-2.0 */
/* The tuner's state, shared by host/tuner.c (the search) and host/tuner_work.c (the kernels it
 * times). Internal. */
#ifndef DCL_HOST_TUNER_INTERNAL_H
#define DCL_HOST_TUNER_INTERNAL_H

#include <CL/cl.h>
#include <cjson/cJSON.h>

#include "attention.h"
#include "config.h"
#include "context.h"
#include "ops.h"
#include "tuning_state.h"

#define MAX_P 16
#define MAX_V 16
#define REL_TOL 1e-5

typedef enum { K_LAYERNORM, K_ATTENTION, K_ELEMENTWISE, K_GEMM_NT, K_GEMM_NN, K_XGEMM, K_FUSED, K_COUNT } kernel_id;

typedef struct space {
    kernel_id kernel;
    const char *name;
    int n;
    dcl_tunable_id id[MAX_P];
    int nv[MAX_P];
    long v[MAX_P][MAX_V];
    double share; /* of the budget */
} space;

typedef struct tuner {
    dcl_context *ctx;
    const dcl_tune_params *par;
    dcl_config cfg;
    size_t B, L, NH, D, H, I, A, T, nsr;
    int use_c2p, use_p2c;
    dcl_ops ops;
    int ops_ok;
    dcl_attn attn; /* the fused attention built with the parameters in force */
    int attn_ok;
    cl_mem x, res, vec, vec1, out, act_src, act, sc_src, sc, c2p, p2c, slot, mask, ga, gb, gc;
    cl_mem fq, fk, fv, fo; /* the fused attention's heads and output */
    size_t gc_floats;
    float *ref[K_COUNT];
    size_t ref_n[K_COUNT];
    float *host;
    long start[DCL_T_COUNT]; /* the shipped parameters: the "default" of the table */
    long saved[DCL_T_COUNT]; /* the context's own values, restored at the end */
    long best[DCL_T_COUNT];  /* the winners so far */
    cJSON *db;
    char *db_path;
    char shape[160];
    double t0;
    unsigned rng;
    dcl_tune_progress prog;
} tuner;

/* Buffers with random contents for the model's shapes, and their release (with everything else
 * the tuner holds). */
dcl_status dcl_tuner_buffers(tuner *tn);
void dcl_tuner_release(tuner *tn);
/* Median seconds of a few event-timed runs of kernel k (after one untimed run). */
dcl_status dcl_tuner_measure(tuner *tn, kernel_id k, double *seconds);
/* Reads kernel k's output into tn->host. */
dcl_status dcl_tuner_read_output(tuner *tn, kernel_id k, float **out, size_t *n);
/* max |a - ref| / max |ref| (infinite when a holds a NaN). */
double dcl_tuner_rel_diff(const float *a, const float *ref, size_t n);
unsigned dcl_tuner_rand(tuner *tn);

#endif
