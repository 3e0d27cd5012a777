/* SPDX-License-Identifier: Apache-2.0 */
/* The context object: one device, its queue, program cache and settings. Internal. */
#ifndef DCL_HOST_CONTEXT_H
#define DCL_HOST_CONTEXT_H

#include <CL/cl.h>
#include <pthread.h>

#include "debertacl.h"
#include "util.h"

typedef struct dcl_program_entry {
    char *name;    /* kernel file name without .cl */
    char *options; /* tuned -D options and the caller's (without -cl-std) */
    cl_program program;
    struct dcl_program_entry *next;
} dcl_program_entry;

struct dcl_context {
    cl_platform_id platform;
    cl_device_id device;
    cl_context cl_ctx;
    cl_command_queue queue;
    int owns_cl; /* 0 when the app gave us its context and queue (we hold references anyway) */
    int profiling;
    dcl_device_info info;

    char *cache_dir; /* NULL: disk cache off */
    char *defines;   /* the #define header prepended to every program (profile + quirks) */
    /* Threads share a context (through a shared model): the program cache, its statistics and
     * every lazily built program (gemm_prog) are read and written only under program_lock
     * (host/program.c); last_error only under error_lock (host/util.c). The order is
     * program_lock, then error_lock. Everything else is set at creation and read-only after. */
    pthread_mutex_t program_lock, error_lock;
    dcl_program_entry *programs;
    dcl_cache_stats stats;
    struct dcl_tuning_state *tuning; /* resolved parameters (host/tuning.c) */

    /* dense products (host/gemm.c): set by dcl_gemm_init from the tuning */
    int gemm_own;         /* 1: some products with op(A) = A run cl/gemm_cpu.cl instead of CLBlast */
    cl_program gemm_prog; /* built on first use; owned by the program cache */
    int gemm_registered;  /* counted among the contexts holding the device's CLBlast parameters */

    dcl_log_callback log_cb;
    void *log_user;
    dcl_log_level log_level;
    char last_error[DCL_ERROR_MAX];
};

/* Text for an OpenCL error code ("CL_OUT_OF_RESOURCES"). */
const char *dcl_cl_error_name(cl_int err);

/* Shorthand for an OpenCL failure: keeps the raw code in the message. */
#define DCL_CL_FAIL(ctx, err, what)                                                              \
    dcl_fail((ctx), DCL_ERR_OPENCL, "%s failed: %s (%d)", (what), dcl_cl_error_name(err), (int)(err))

#endif
