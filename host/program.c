/* SPDX-License-Identifier: Apache-2.0 */
#include "program.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "tuning.h"

static const char cache_magic[8] = {'D', 'C', 'L', 'P', 'R', 'G', 'C', '\n'};

typedef struct cache_header {
    char magic[8];
    uint32_t format;
    uint32_t reserved;
    uint64_t key1, key2;
    uint64_t length;
    uint64_t content_hash;
} cache_header;

dcl_status dcl_program_init(dcl_context *ctx)
{
    /* Device-quirk and feature macros. Tunables keep their #ifndef defaults until the profile
     * system supplies values. */
    char buf[512];
    snprintf(buf, sizeof buf,
             "#define DCL_DEVICE_IS_CPU %d\n#define DCL_DEVICE_IS_GPU %d\n#define DCL_HAS_FP16 %d\n"
             "#define DCL_HAS_FP64 %d\n#define DCL_MAX_WG %u\n",
             ctx->info.type == DCL_DEVICE_CPU, ctx->info.type == DCL_DEVICE_GPU, ctx->info.has_fp16,
             ctx->info.has_fp64, (unsigned)ctx->info.max_work_group_size);
    ctx->defines = dcl_strdup(buf);
    if (!ctx->defines)
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    return DCL_OK;
}

void dcl_program_release_all(dcl_context *ctx)
{
    dcl_program_entry *e = ctx->programs;
    while (e) {
        dcl_program_entry *next = e->next;
        if (e->program)
            clReleaseProgram(e->program);
        free(e->name);
        free(e->options);
        free(e);
        e = next;
    }
    ctx->programs = NULL;
}

dcl_status dcl_kernel_source(dcl_context *ctx, const char *name, const char **src, size_t *len, char **owned)
{
    *owned = NULL;
    const char *dir = getenv("DEBERTACL_KERNEL_DIR");
    if (dir && *dir) {
        size_t n = strlen(name) + 4;
        char *file = malloc(n);
        if (!file)
            return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        snprintf(file, n, "%s.cl", name);
        char *path = dcl_path_join(dir, file);
        free(file);
        if (!path)
            return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        char *data;
        size_t dlen;
        dcl_status st = dcl_read_file(ctx, path, &data, &dlen);
        free(path);
        if (st != DCL_OK) {
            dcl_error_append(ctx, " (DEBERTACL_KERNEL_DIR=%s)", dir);
            return st;
        }
        *owned = data;
        *src = data;
        *len = dlen;
        return DCL_OK;
    }
    for (size_t i = 0; i < dcl_embedded_kernel_count; i++)
        if (strcmp(dcl_embedded_kernels[i].name, name) == 0) {
            *src = dcl_embedded_kernels[i].source;
            *len = dcl_embedded_kernels[i].length;
            return DCL_OK;
        }
    return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "no kernel file named %s.cl", name);
}

char *dcl_program_cache_path(const dcl_context *ctx, uint64_t k1, uint64_t k2)
{
    if (!ctx->cache_dir)
        return NULL;
    char file[64];
    snprintf(file, sizeof file, "%016llx%016llx.clbin", (unsigned long long)k1, (unsigned long long)k2);
    return dcl_path_join(ctx->cache_dir, file);
}

static void cache_key(const dcl_context *ctx, const char *src, size_t len, const char *options, uint64_t *k1,
                      uint64_t *k2)
{
    uint64_t seeds[2] = {DCL_HASH_SEED, 0x84222325cbf29ce4ull};
    uint64_t out[2];
    for (int i = 0; i < 2; i++) {
        uint64_t h = seeds[i];
        uint32_t fmt = DCL_CACHE_FORMAT_VERSION;
        h = dcl_hash64(h, &fmt, sizeof fmt);
        h = dcl_hash64(h, src, len);
        h = dcl_hash_str(h, options);
        h = dcl_hash_str(h, ctx->info.platform_name);
        h = dcl_hash_str(h, ctx->info.platform_version);
        h = dcl_hash_str(h, ctx->info.name);
        h = dcl_hash_str(h, ctx->info.driver_version);
        h = dcl_hash_str(h, DCL_VERSION_STRING);
        out[i] = h;
    }
    *k1 = out[0];
    *k2 = out[1];
}

/* Tries the disk cache. Returns a built program or NULL (and counts a reject when a file existed
 * but could not be used). */
static cl_program cache_load(dcl_context *ctx, const char *path, uint64_t k1, uint64_t k2, const char *options)
{
    char *data;
    size_t len;
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return NULL;
    fclose(probe);
    if (dcl_read_file(ctx, path, &data, &len) != DCL_OK) {
        dcl_clear_error();
        dcl_context_set_error(ctx, "");
        ctx->stats.disk_rejects++;
        return NULL;
    }
    cache_header h;
    const char *why = NULL;
    if (len < sizeof h)
        why = "too short";
    else {
        memcpy(&h, data, sizeof h);
        if (memcmp(h.magic, cache_magic, sizeof cache_magic) != 0)
            why = "bad magic";
        else if (h.format != DCL_CACHE_FORMAT_VERSION)
            why = "other format version";
        else if (h.key1 != k1 || h.key2 != k2)
            why = "foreign key";
        else if (h.length != len - sizeof h)
            why = "length mismatch";
        else if (dcl_hash64(DCL_HASH_SEED, data + sizeof h, (size_t)h.length) != h.content_hash)
            why = "content hash mismatch";
    }
    cl_program prog = NULL;
    if (!why) {
        const unsigned char *bin = (const unsigned char *)data + sizeof h;
        size_t blen = (size_t)h.length;
        cl_int bstatus = CL_SUCCESS, err;
        prog = clCreateProgramWithBinary(ctx->cl_ctx, 1, &ctx->device, &blen, &bin, &bstatus, &err);
        if (!prog || err != CL_SUCCESS || bstatus != CL_SUCCESS) {
            why = "driver refused the binary";
        } else if (clBuildProgram(prog, 1, &ctx->device, options, NULL, NULL) != CL_SUCCESS) {
            why = "binary failed to build";
        }
        if (why && prog) {
            clReleaseProgram(prog);
            prog = NULL;
        }
    }
    free(data);
    if (why) {
        ctx->stats.disk_rejects++;
        dcl_log(ctx, DCL_LOG_INFO, "program cache: ignoring %s (%s); rebuilding", path, why);
        return NULL;
    }
    ctx->stats.disk_hits++;
    dcl_log(ctx, DCL_LOG_DEBUG, "program cache: loaded %s", path);
    return prog;
}

static void cache_store(dcl_context *ctx, const char *path, uint64_t k1, uint64_t k2, cl_program prog)
{
    size_t blen = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof blen, &blen, NULL) != CL_SUCCESS || blen == 0)
        return;
    unsigned char *buf = malloc(sizeof(cache_header) + blen);
    if (!buf)
        return;
    unsigned char *bin = buf + sizeof(cache_header);
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) != CL_SUCCESS) {
        free(buf);
        return;
    }
    cache_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, cache_magic, sizeof cache_magic);
    h.format = DCL_CACHE_FORMAT_VERSION;
    h.key1 = k1;
    h.key2 = k2;
    h.length = blen;
    h.content_hash = dcl_hash64(DCL_HASH_SEED, bin, blen);
    memcpy(buf, &h, sizeof h);
    char saved[DCL_ERROR_MAX];
    dcl_strlcpy(saved, dcl_thread_error(), sizeof saved);
    if (dcl_mkdirs(ctx->cache_dir) == 0 &&
        dcl_write_file_atomic(ctx, path, buf, sizeof h + blen) == DCL_OK) {
        ctx->stats.disk_writes++;
    } else {
        /* a cache that cannot be written is not an error for the caller */
        dcl_log(ctx, DCL_LOG_WARN, "program cache: cannot write %s", path);
        dcl_fail_quiet(NULL, DCL_OK, "%s", saved);
        dcl_context_set_error(ctx, "");
    }
    free(buf);
}

/* The unlocked forms of dcl_program_build_source and dcl_program_get: the caller holds
 * ctx->program_lock. */
static dcl_status build_source(dcl_context *ctx, const char *label, const char *src, size_t len, const char *options,
                               cl_program *out)
{
    *out = NULL;
    if (!options)
        options = "";
    uint64_t k1, k2;
    cache_key(ctx, src, len, options, &k1, &k2);
    char *path = dcl_program_cache_path(ctx, k1, k2);
    if (path) {
        cl_program p = cache_load(ctx, path, k1, k2, options);
        if (p) {
            free(path);
            *out = p;
            return DCL_OK;
        }
    }
    cl_int err;
    cl_program prog = clCreateProgramWithSource(ctx->cl_ctx, 1, &src, &len, &err);
    if (!prog) {
        free(path);
        return DCL_CL_FAIL(ctx, err, "clCreateProgramWithSource");
    }
    err = clBuildProgram(prog, 1, &ctx->device, options, NULL, NULL);
    ctx->stats.builds++;
    if (err != CL_SUCCESS) {
        size_t log_len = 0;
        clGetProgramBuildInfo(prog, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_len);
        char *log = calloc(log_len + 1, 1);
        if (log)
            clGetProgramBuildInfo(prog, ctx->device, CL_PROGRAM_BUILD_LOG, log_len, log, NULL);
        dcl_status st = dcl_fail(ctx, DCL_ERR_BUILD, "building %s.cl failed: %s (%d); options \"%s\"; build log:\n%s",
                                 label, dcl_cl_error_name(err), (int)err, options, log ? log : "(none)");
        free(log);
        clReleaseProgram(prog);
        free(path);
        return st;
    }
    if (path)
        cache_store(ctx, path, k1, k2, prog);
    free(path);
    *out = prog;
    return DCL_OK;
}

/* Does `options` define macro `name` (a "-DNAME" token, NAME of n characters)? */
static int defines(const char *options, const char *name, size_t n)
{
    for (const char *p = options; (p = strstr(p, "-D")) != NULL; p += 2)
        if ((p == options || p[-1] == ' ') && strncmp(p + 2, name, n) == 0 &&
            (p[2 + n] == '=' || p[2 + n] == ' ' || p[2 + n] == '\0'))
            return 1;
    return 0;
}

/* Removes from the tuned " -DNAME=value" list every macro the caller's options set themselves
 * (values fitted to the call, host/attention.c), so that no macro is defined twice. */
static void drop_overridden(char *tuned, const char *options)
{
    char *w = tuned;
    for (const char *r = tuned; *r;) {
        const char *tok = r + (*r == ' ');
        const char *end = strchr(tok, ' ');
        end = end ? end : tok + strlen(tok);
        size_t n = 0;
        if (strncmp(tok, "-D", 2) == 0)
            while (tok + 2 + n < end && tok[2 + n] != '=')
                n++;
        const int drop = n > 0 && defines(options, tok + 2, n);
        if (!drop) {
            memmove(w, r, (size_t)(end - r));
            w += end - r;
        }
        r = end;
    }
    *w = '\0';
}

static dcl_status program_get(dcl_context *ctx, const char *name, const char *options, cl_program *out)
{
    if (!options)
        options = "";
    /* the tuned parameters of this kernel file (-DNAME=value) go before the caller's options;
     * both are part of the memory and disk cache keys */
    char tuned[1024] = "";
    dcl_status st = dcl_tuning_defines(ctx, name, tuned, sizeof tuned);
    if (st != DCL_OK)
        return st;
    drop_overridden(tuned, options);
    char *key = malloc(strlen(tuned) + strlen(options) + 2);
    if (!key)
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    const char *tu = tuned[0] == ' ' ? tuned + 1 : tuned;
    sprintf(key, "%s%s%s", tu, *tu && *options ? " " : "", options);
    for (dcl_program_entry *e = ctx->programs; e; e = e->next)
        if (strcmp(e->name, name) == 0 && strcmp(e->options, key) == 0) {
            free(key);
            ctx->stats.memory_hits++;
            *out = e->program;
            return DCL_OK;
        }
    const char *src;
    size_t len;
    char *owned;
    st = dcl_kernel_source(ctx, name, &src, &len, &owned);
    if (st != DCL_OK) {
        free(key);
        return st;
    }
    /* the define header goes first, then the file; #line keeps the compiler's line numbers
     * pointing into the .cl file */
    size_t dlen = strlen(ctx->defines);
    char line[64];
    int llen = snprintf(line, sizeof line, "#line 1\n");
    char *full = malloc(dlen + (size_t)llen + len + 1);
    if (!full) {
        free(owned);
        free(key);
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    }
    memcpy(full, ctx->defines, dlen);
    memcpy(full + dlen, line, (size_t)llen);
    memcpy(full + dlen + llen, src, len);
    size_t flen = dlen + (size_t)llen + len;
    full[flen] = '\0';
    free(owned);
    char *opts = malloc(strlen(key) + 32);
    if (!opts) {
        free(full);
        free(key);
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    }
    sprintf(opts, "-cl-std=CL1.2%s%s", *key ? " " : "", key);
    cl_program prog;
    st = build_source(ctx, name, full, flen, opts, &prog);
    free(full);
    free(opts);
    if (st != DCL_OK) {
        free(key);
        return st;
    }
    dcl_program_entry *e = calloc(1, sizeof *e);
    if (!e || !(e->name = dcl_strdup(name))) {
        free(e);
        free(key);
        clReleaseProgram(prog);
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    }
    e->options = key; /* tuned -D options and the caller's */
    e->program = prog;
    e->next = ctx->programs;
    ctx->programs = e;
    *out = prog;
    return DCL_OK;
}

/* One lock around lookup, build and insertion: threads that want the same program at once wait
 * for the one build instead of each building it. */
dcl_status dcl_program_get(dcl_context *ctx, const char *name, const char *options, cl_program *out)
{
    pthread_mutex_lock(&ctx->program_lock);
    dcl_status st = program_get(ctx, name, options, out);
    pthread_mutex_unlock(&ctx->program_lock);
    return st;
}

dcl_status dcl_program_get_once(dcl_context *ctx, cl_program *slot, const char *name, const char *options)
{
    pthread_mutex_lock(&ctx->program_lock);
    dcl_status st = DCL_OK;
    if (!*slot)
        st = program_get(ctx, name, options, slot);
    pthread_mutex_unlock(&ctx->program_lock);
    return st;
}

dcl_status dcl_program_build_source(dcl_context *ctx, const char *label, const char *src, size_t len,
                                    const char *options, cl_program *out)
{
    pthread_mutex_lock(&ctx->program_lock);
    dcl_status st = build_source(ctx, label, src, len, options, out);
    pthread_mutex_unlock(&ctx->program_lock);
    return st;
}

void dcl_program_cache_stats(const dcl_context *ctx, dcl_cache_stats *out)
{
    pthread_mutex_t *lock = (pthread_mutex_t *)&ctx->program_lock; /* the statistics are const, not the lock */
    pthread_mutex_lock(lock);
    *out = ctx->stats;
    pthread_mutex_unlock(lock);
}

dcl_status dcl_kernel_create(dcl_context *ctx, const char *file, const char *options, const char *kernel,
                             cl_kernel *out)
{
    cl_program prog;
    dcl_status st = dcl_program_get(ctx, file, options, &prog);
    if (st != DCL_OK)
        return st;
    cl_int err;
    *out = clCreateKernel(prog, kernel, &err);
    if (!*out)
        return dcl_fail(ctx, DCL_ERR_OPENCL, "clCreateKernel(%s in %s.cl) failed: %s (%d)", kernel, file,
                        dcl_cl_error_name(err), (int)err);
    return DCL_OK;
}
