/* SPDX-License-Identifier: Apache-2.0 */
/* Program build and the two-level program cache (memory per context, disk per user). */
#ifndef DCL_HOST_PROGRAM_H
#define DCL_HOST_PROGRAM_H

#include <CL/cl.h>

#include "context.h"

#define DCL_CACHE_FORMAT_VERSION 1u

/* Sets up the context's define header (built-in defaults and device quirks). */
dcl_status dcl_program_init(dcl_context *ctx);
void dcl_program_release_all(dcl_context *ctx);

/* Source of kernel file `name` (without .cl): from $DEBERTACL_KERNEL_DIR when set, else the
 * embedded copy. *owned is set to a malloc'd buffer to free when the text came from disk. */
dcl_status dcl_kernel_source(dcl_context *ctx, const char *name, const char **src, size_t *len, char **owned);

/* Returns the built program of kernel file `name` with `options` (may be NULL). The program
 * stays owned by the context. Thread-safe: the cache is locked while a program is looked up and
 * built, so each program is built once however many threads ask for it. */
dcl_status dcl_program_get(dcl_context *ctx, const char *name, const char *options, cl_program *out);

/* The program in *slot, built through dcl_program_get on first use: for programs that a module
 * keeps in the context (thread-safe; *slot is read and written under the cache's lock). */
dcl_status dcl_program_get_once(dcl_context *ctx, cl_program *slot, const char *name, const char *options);

/* The cache statistics, read under the cache's lock. */
void dcl_program_cache_stats(const dcl_context *ctx, dcl_cache_stats *out);

/* Builds a program from the given source through the same disk cache (no memory cache); the
 * caller owns the returned program. Used by dcl_program_get and by tests. */
dcl_status dcl_program_build_source(dcl_context *ctx, const char *label, const char *src, size_t len,
                                    const char *options, cl_program *out);

/* Path of the cache file for a key (malloc'd), for tests. */
char *dcl_program_cache_path(const dcl_context *ctx, uint64_t k1, uint64_t k2);

/* Creates a kernel from a context-owned program. */
dcl_status dcl_kernel_create(dcl_context *ctx, const char *file, const char *options, const char *kernel,
                             cl_kernel *out);

#endif
