/* SPDX-License-Identifier: Apache-2.0 */
#include "util.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "context.h"

static _Thread_local char tls_error[DCL_ERROR_MAX];

/* ---- logging ---- */
static void default_sink(dcl_log_level level, const char *message, void *user_data)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    (void)user_data;
    fprintf(stderr, "debertacl: %s: %s\n", names[level < 0 || level > 3 ? 0 : level], message);
}

static dcl_log_callback g_log_cb = NULL;
static void *g_log_user = NULL;
static dcl_log_level g_log_level = DCL_LOG_WARN;

void dcl_set_log_callback(dcl_log_callback callback, void *user_data, dcl_log_level max_level)
{
    g_log_cb = callback;
    g_log_user = user_data;
    g_log_level = max_level;
}

void dcl_logv(const struct dcl_context *ctx, dcl_log_level level, const char *fmt, va_list ap)
{
    dcl_log_callback cb = g_log_cb ? g_log_cb : default_sink;
    void *user = g_log_user;
    dcl_log_level max = g_log_level;
    if (ctx && ctx->log_cb) {
        cb = ctx->log_cb;
        user = ctx->log_user;
    }
    if (ctx)
        max = ctx->log_level;
    if (level > max)
        return;
    char msg[DCL_ERROR_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    cb(level, msg, user);
}

void dcl_log(const struct dcl_context *ctx, dcl_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dcl_logv(ctx, level, fmt, ap);
    va_end(ap);
}

/* ---- errors ---- */
static dcl_status failv(struct dcl_context *ctx, dcl_status status, int log, const char *fmt, va_list ap)
{
    vsnprintf(tls_error, sizeof tls_error, fmt, ap);
    if (ctx)
        dcl_context_set_error(ctx, tls_error);
    if (log)
        dcl_log(ctx, DCL_LOG_ERROR, "%s", tls_error);
    return status;
}

dcl_status dcl_fail(struct dcl_context *ctx, dcl_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(ctx, status, 0, fmt, ap);
    va_end(ap);
    /* errors are reported to the caller through the status; the log gets them at DEBUG level
     * so that a library user is not flooded with messages they already handle */
    dcl_log(ctx, DCL_LOG_DEBUG, "%s", tls_error);
    return status;
}

dcl_status dcl_fail_quiet(struct dcl_context *ctx, dcl_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(ctx, status, 0, fmt, ap);
    va_end(ap);
    return status;
}

void dcl_error_append(struct dcl_context *ctx, const char *fmt, ...)
{
    size_t n = strlen(tls_error);
    va_list ap;
    va_start(ap, fmt);
    if (n < sizeof tls_error - 1)
        vsnprintf(tls_error + n, sizeof tls_error - n, fmt, ap);
    va_end(ap);
    if (ctx)
        dcl_context_set_error(ctx, tls_error);
}

void dcl_clear_error(void) { tls_error[0] = '\0'; }

void dcl_context_set_error(struct dcl_context *ctx, const char *text)
{
    pthread_mutex_lock(&ctx->error_lock);
    dcl_strlcpy(ctx->last_error, text, sizeof ctx->last_error);
    pthread_mutex_unlock(&ctx->error_lock);
}

const char *dcl_context_error_copy(const struct dcl_context *ctx)
{
    static _Thread_local char copy[DCL_ERROR_MAX];
    pthread_mutex_t *lock = (pthread_mutex_t *)&ctx->error_lock; /* the text is const, not its lock */
    pthread_mutex_lock(lock);
    dcl_strlcpy(copy, ctx->last_error, sizeof copy);
    pthread_mutex_unlock(lock);
    return copy;
}
const char *dcl_thread_error(void) { return tls_error; }

/* ---- hashing ---- */
uint64_t dcl_hash64(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t dcl_hash_str(uint64_t h, const char *s)
{
    if (!s)
        s = "";
    return dcl_hash64(h, s, strlen(s) + 1);
}

/* ---- locale-independent numbers ---- */
static locale_t c_locale(void)
{
    static locale_t loc = (locale_t)0;
    if (!loc)
        loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return loc;
}

int dcl_format_double(char *buf, size_t size, double v)
{
    locale_t loc = c_locale(), old = loc ? uselocale(loc) : (locale_t)0;
    int n = snprintf(buf, size, "%.17g", v);
    /* prefer the shortest form that reads back exactly */
    for (int prec = 1; prec < 17; prec++) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) {
            n = snprintf(buf, size, "%s", tmp);
            break;
        }
    }
    if (loc)
        uselocale(old);
    return n;
}

int dcl_format_float(char *buf, size_t size, float v)
{
    locale_t loc = c_locale(), old = loc ? uselocale(loc) : (locale_t)0;
    int n = snprintf(buf, size, "%.9g", (double)v);
    if (loc)
        uselocale(old);
    return n;
}

double dcl_parse_double(const char *s, char **end)
{
    locale_t loc = c_locale(), old = loc ? uselocale(loc) : (locale_t)0;
    double v = strtod(s, end);
    if (loc)
        uselocale(old);
    return v;
}

/* ---- strings ---- */
static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

int dcl_strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int d = lower((unsigned char)*a) - lower((unsigned char)*b);
        if (d || !*a)
            return d;
    }
}

const char *dcl_strcasestr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!n)
        return hay;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && lower((unsigned char)hay[i]) == lower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return hay;
    }
    return NULL;
}

void dcl_strlcpy(char *dst, const char *src, size_t size)
{
    if (!size)
        return;
    size_t n = src ? strlen(src) : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

char *dcl_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* ---- files ---- */
dcl_status dcl_read_file(struct dcl_context *ctx, const char *path, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return dcl_fail(ctx, DCL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return dcl_fail(ctx, DCL_ERR_IO, "cannot seek %s: %s", path, strerror(errno));
    }
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return dcl_fail(ctx, DCL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    }
    char *buf = malloc((size_t)size + 1);
    if (!buf) {
        fclose(f);
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory reading %s (%ld bytes)", path, size);
    }
    if (size && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        fclose(f);
        return dcl_fail(ctx, DCL_ERR_IO, "short read on %s", path);
    }
    fclose(f);
    buf[size] = '\0';
    *data = buf;
    *len = (size_t)size;
    return DCL_OK;
}

dcl_status dcl_write_file_atomic(struct dcl_context *ctx, const char *path, const void *data, size_t len)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        dcl_status st = dcl_fail(ctx, DCL_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return st;
    }
    int ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        dcl_status st = dcl_fail(ctx, DCL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return st;
    }
    free(tmp);
    return DCL_OK;
}

int dcl_mkdirs(const char *path)
{
    char *p = dcl_strdup(path);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *s = '/';
        }
    }
    int rc = (mkdir(p, 0755) != 0 && errno != EEXIST) ? -1 : 0;
    free(p);
    return rc;
}

int dcl_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *dcl_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

double dcl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
