/* SPDX-License-Identifier: Apache-2.0 */
/* Small utilities shared by every host module: errors, logging, hashing, locale-free numbers,
 * files. Internal header: never installed. */
#ifndef DCL_HOST_UTIL_H
#define DCL_HOST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "debertacl.h"

#if defined(__GNUC__)
#define DCL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DCL_PRINTF(a, b)
#endif

#define DCL_ERROR_MAX 8192

struct dcl_context;

/* Records an error: formats the message into the thread-local last error (and into ctx's own
 * buffer when ctx is not NULL), sends it to the log at ERROR level when `log` is set, and
 * returns `status` so that callers can write `return dcl_fail(ctx, DCL_ERR_X, "...")`. */
dcl_status dcl_fail(struct dcl_context *ctx, dcl_status status, const char *fmt, ...) DCL_PRINTF(3, 4);
/* Same, without logging (for errors that callers may recover from). */
dcl_status dcl_fail_quiet(struct dcl_context *ctx, dcl_status status, const char *fmt, ...) DCL_PRINTF(3, 4);
/* Appends text to the current thread-local error (and ctx's copy). */
void dcl_error_append(struct dcl_context *ctx, const char *fmt, ...) DCL_PRINTF(2, 3);
void dcl_clear_error(void);
const char *dcl_thread_error(void);
/* The context's copy of the last error (shared by the threads that use the context): set under
 * its lock; read into a thread-local copy (valid until the next call on this thread). */
void dcl_context_set_error(struct dcl_context *ctx, const char *text);
const char *dcl_context_error_copy(const struct dcl_context *ctx);

/* Logs through ctx's sink (or the global one when ctx is NULL). */
void dcl_log(const struct dcl_context *ctx, dcl_log_level level, const char *fmt, ...) DCL_PRINTF(3, 4);
void dcl_logv(const struct dcl_context *ctx, dcl_log_level level, const char *fmt, va_list ap);

/* 64-bit FNV-1a, chainable: pass the previous value as `h` (start with DCL_HASH_SEED). */
#define DCL_HASH_SEED 0xcbf29ce484222325ull
uint64_t dcl_hash64(uint64_t h, const void *data, size_t len);
uint64_t dcl_hash_str(uint64_t h, const char *s); /* hashes the string and its terminator */

/* Locale-independent number formatting and parsing (always '.' as decimal point). */
int dcl_format_double(char *buf, size_t size, double v); /* shortest "%.17g"-style round trip */
int dcl_format_float(char *buf, size_t size, float v);   /* "%.9g" */
double dcl_parse_double(const char *s, char **end);

/* Case-insensitive ASCII helpers. */
int dcl_strcasecmp(const char *a, const char *b);
const char *dcl_strcasestr(const char *hay, const char *needle);
/* Copies at most size-1 bytes and always terminates. */
void dcl_strlcpy(char *dst, const char *src, size_t size);
/* Duplicates a string (NULL on allocation failure). */
char *dcl_strdup(const char *s);

/* Reads a whole file into a NUL-terminated malloc'd buffer. DCL_ERR_IO on failure. */
dcl_status dcl_read_file(struct dcl_context *ctx, const char *path, char **data, size_t *len);
/* Writes a file atomically: a temporary file in the same folder, then rename(). */
dcl_status dcl_write_file_atomic(struct dcl_context *ctx, const char *path, const void *data, size_t len);
/* mkdir -p */
int dcl_mkdirs(const char *path);
int dcl_file_exists(const char *path);
/* Joins a folder and a file name into a malloc'd path. */
char *dcl_path_join(const char *dir, const char *name);

/* Wall clock in seconds (monotonic). */
double dcl_now(void);

#endif
