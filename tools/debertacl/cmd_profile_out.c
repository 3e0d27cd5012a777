/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl profile: the text tables and the JSON, CSV and Chrome trace writers. Every number goes
 * through dcl_cli_num() or cJSON, so the output never depends on the locale. */
#include <cjson/cJSON.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PROF_FORMAT_VERSION 1

const char *dcl_cli_num(char *buf, size_t size, double v, int prec)
{
    snprintf(buf, size, "%.*f", prec, v);
    const char *dp = localeconv()->decimal_point;
    if (dp && *dp && strcmp(dp, ".")) { /* a process that called setlocale(): put the '.' back */
        char *p = strstr(buf, dp);
        if (p) {
            size_t n = strlen(dp);
            *p = '.';
            memmove(p + 1, p + n, strlen(p + n) + 1);
        }
    }
    return buf;
}

/* The fraction of the roofline bound (min(peak FLOP/s, intensity x peak bandwidth)) that an op
 * class reaches; bandwidth alone for classes without arithmetic. -1 when unknown. */
static double peak_fraction(const dcl_cli_prof_device *d, const dcl_cli_prof_class *c)
{
    if (!d->has_peak || c->seconds <= 0 || d->peak.gflops <= 0 || d->peak.gbytes <= 0 ||
        c == &d->cls[DCL_OPC_TRANSFER]) /* host copies are not bound by the device's memory */
        return -1;
    double gbs = c->bytes / c->seconds * 1e-9;
    if (c->flops <= 0)
        return c->bytes > 0 ? gbs / d->peak.gbytes : -1;
    double gflops = c->flops / c->seconds * 1e-9;
    double bound = c->bytes > 0 ? c->flops / c->bytes * d->peak.gbytes : d->peak.gflops;
    if (bound > d->peak.gflops)
        bound = d->peak.gflops;
    return gflops / bound;
}

static const char *type_name(dcl_device_type t)
{
    return t == DCL_DEVICE_CPU           ? "cpu"
           : t == DCL_DEVICE_GPU         ? "gpu"
           : t == DCL_DEVICE_ACCELERATOR ? "accelerator"
                                         : "other";
}

/* ---- text ---- */

typedef struct op_sum {
    char op[64], kernel[48];
    double seconds, flops;
    unsigned count;
} op_sum;

/* "layer3.attention.softmax" -> "attention.softmax", "emd.layer11.ffn.act" -> "emd.ffn.act" */
static void strip_layer(const char *op, char *out, size_t size)
{
    const char *p = strstr(op, "layer");
    size_t pre = p ? (size_t)(p - op) : 0;
    if (!p || (pre && op[pre - 1] != '.')) {
        snprintf(out, size, "%s", op);
        return;
    }
    const char *dot = strchr(p, '.');
    snprintf(out, size, "%.*s%s", (int)pre, op, dot ? dot + 1 : "");
}

static int by_time(const void *a, const void *b)
{
    double x = ((const op_sum *)a)->seconds, y = ((const op_sum *)b)->seconds;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The operations of the last run summed over the layers, longest first. */
static void top_ops(const dcl_cli_prof_device *d, FILE *f, int top)
{
    op_sum *sums = d->count ? calloc(d->count, sizeof *sums) : NULL;
    if (!sums)
        return;
    size_t n = 0;
    for (size_t i = 0; i < d->count; i++) {
        const dcl_profile_record *r = &d->records[i];
        char key[64];
        strip_layer(r->op, key, sizeof key);
        size_t k = 0;
        while (k < n && (strcmp(sums[k].op, key) || strcmp(sums[k].kernel, r->kernel)))
            k++;
        if (k == n) {
            snprintf(sums[k].op, sizeof sums[k].op, "%s", key);
            snprintf(sums[k].kernel, sizeof sums[k].kernel, "%s", r->kernel);
            n++;
        }
        sums[k].seconds += (double)(r->end_ns - r->start_ns) * 1e-9;
        sums[k].flops += r->flops;
        sums[k].count++;
    }
    qsort(sums, n, sizeof *sums, by_time);
    char a[32], b[32];
    fprintf(f, "  longest operations of the last run, summed over the layers:\n");
    fprintf(f, "  %-28s %-28s %5s %10s %9s\n", "op", "kernel or routine", "count", "time ms", "GFLOP/s");
    for (size_t k = 0; k < n && (int)k < top; k++) {
        const op_sum *o = &sums[k];
        fprintf(f, "  %-28s %-28s %5u %10s %9s\n", o->op, o->kernel, o->count,
                dcl_cli_num(a, sizeof a, o->seconds * 1e3, 3),
                o->flops > 0 && o->seconds > 0 ? dcl_cli_num(b, sizeof b, o->flops / o->seconds * 1e-9, 2) : "-");
    }
    fprintf(f, "\n");
    free(sums);
}

static void device_table(const dcl_cli_prof_run *r, const dcl_cli_prof_device *d, FILE *f)
{
    char a[32], b[32], c[32], e[32], g[32], h[32];
    fprintf(f, "device %d: %s (%s, driver %s)\n", d->index, d->info.name, d->info.platform_name,
            d->info.driver_version);
    if (!d->ok) {
        fprintf(f, "  failed: %s\n\n", d->error);
        return;
    }
    if (d->has_peak)
        fprintf(f, "  peak (probe%s): %s GFLOP/s FP32 multiply-add, %s GB/s read\n", d->peak.cached ? ", cached" : "",
                dcl_cli_num(a, sizeof a, d->peak.gflops, 1), dcl_cli_num(b, sizeof b, d->peak.gbytes, 1));
    fprintf(f, "  model %s%s, batch %d x %d, %d runs after %d warm-up passes\n", r->model,
            r->synthetic ? " [synthesised]" : "", r->batch, r->length, r->runs, r->warmup + 1);
    fprintf(f, "  wall clock: median %s s (min %s, max %s, mean %s); operations %s s = %s %% of the mean\n",
            dcl_cli_num(a, sizeof a, d->wall_median, 4), dcl_cli_num(b, sizeof b, d->wall_min, 4),
            dcl_cli_num(c, sizeof c, d->wall_max, 4), dcl_cli_num(e, sizeof e, d->wall_mean, 4),
            dcl_cli_num(g, sizeof g, d->events, 4),
            dcl_cli_num(h, sizeof h, d->wall_mean > 0 ? 100.0 * d->events / d->wall_mean : 0, 1));
    if (d->has_overhead)
        fprintf(f, "  profiling overhead: wall clock profiled / unprofiled, median of %d rounds %s (min %s, max %s); "
                "unprofiled median %s s; outputs differ by at most %g\n",
                r->runs, dcl_cli_num(a, sizeof a, d->overhead_median, 4), dcl_cli_num(b, sizeof b, d->overhead_min, 4),
                dcl_cli_num(c, sizeof c, d->overhead_max, 4), dcl_cli_num(e, sizeof e, d->unprofiled_median, 4),
                d->max_abs_diff);
    fprintf(f, "  %-24s %10s %7s %9s %9s %9s %6s\n", "op class", "time ms", "share", "launches", "GFLOP/s", "GB/s",
            "%peak");
    double wall = d->wall_mean > 0 ? d->wall_mean : 1;
    double launches = 0;
    for (int k = 0; k < DCL_OPC_COUNT; k++) {
        const dcl_cli_prof_class *cl = &d->cls[k];
        if (cl->launches <= 0)
            continue;
        launches += cl->launches;
        double pf = peak_fraction(d, cl);
        char p[32];
        fprintf(f, "  %-24s %10s %6s%% %9s %9s %9s %6s\n", dcl_op_class_name((dcl_op_class)k),
                dcl_cli_num(a, sizeof a, cl->seconds * 1e3, 3), dcl_cli_num(b, sizeof b, 100.0 * cl->seconds / wall, 1),
                dcl_cli_num(c, sizeof c, cl->launches, 0),
                cl->flops > 0 ? dcl_cli_num(e, sizeof e, cl->flops / cl->seconds * 1e-9, 2) : "-",
                cl->bytes > 0 ? dcl_cli_num(h, sizeof h, cl->bytes / cl->seconds * 1e-9, 2) : "-",
                pf >= 0 ? dcl_cli_num(p, sizeof p, 100.0 * pf, 1) : "-");
    }
    fprintf(f, "  %-24s %10s %6s%%\n", "idle (gaps between ops)", dcl_cli_num(a, sizeof a, d->idle * 1e3, 3),
            dcl_cli_num(b, sizeof b, 100.0 * d->idle / wall, 1));
    double host = d->wall_mean - d->span;
    fprintf(f, "  %-24s %10s %6s%%\n", "host (outside the ops)", dcl_cli_num(a, sizeof a, host * 1e3, 3),
            dcl_cli_num(b, sizeof b, 100.0 * host / wall, 1));
    fprintf(f, "  %-24s %10s %6s%% %9s\n\n", "total (wall clock, mean)",
            dcl_cli_num(a, sizeof a, d->wall_mean * 1e3, 3),
            "100.0", dcl_cli_num(c, sizeof c, launches, 0));
    top_ops(d, f, 8);
}

void dcl_cli_prof_table(const dcl_cli_prof_run *r, FILE *f)
{
    for (int i = 0; i < r->ndev; i++)
        device_table(r, &r->dev[i], f);
    if (r->ndev < 2)
        return;
    char a[32];
    fprintf(f, "comparison, ms per forward:\n");
    for (int i = 0; i < r->ndev; i++)
        fprintf(f, "  #%d = %s (%s)%s\n", r->dev[i].index, r->dev[i].info.name, r->dev[i].info.platform_name,
                r->dev[i].ok ? "" : " failed");
    fprintf(f, "  %-24s", "op class");
    for (int i = 0; i < r->ndev; i++)
        fprintf(f, " %10s%-2d", "#", r->dev[i].index);
    fprintf(f, "\n");
    for (int k = -1; k < DCL_OPC_COUNT + 3; k++) {
        const char *label = k < 0                   ? "total (wall, median)"
                            : k < DCL_OPC_COUNT     ? dcl_op_class_name((dcl_op_class)k)
                            : k == DCL_OPC_COUNT    ? "idle (gaps between ops)"
                            : k == DCL_OPC_COUNT + 1 ? "host (outside the ops)"
                                                     : "%peak (GEMM classes)";
        int any = k < 0 || k >= DCL_OPC_COUNT;
        for (int i = 0; i < r->ndev && !any; i++)
            any = r->dev[i].ok && r->dev[i].cls[k].launches > 0;
        if (!any || k == DCL_OPC_COUNT + 2)
            continue;
        fprintf(f, "  %-24s", label);
        for (int i = 0; i < r->ndev; i++) {
            const dcl_cli_prof_device *d = &r->dev[i];
            double v = k < 0 ? d->wall_median : k < DCL_OPC_COUNT ? d->cls[k].seconds
                             : k == DCL_OPC_COUNT ? d->idle : d->wall_mean - d->span;
            fprintf(f, " %12s", d->ok ? dcl_cli_num(a, sizeof a, v * 1e3, 3) : "-");
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
}

/* ---- JSON (schema: README.md, "Profile JSON") ---- */

static cJSON *size3(const size_t *v, unsigned n)
{
    cJSON *a = cJSON_CreateArray();
    for (unsigned i = 0; i < n && a; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
    return a;
}

static cJSON *record_json(const dcl_profile_record *rec, uint64_t origin)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "op", rec->op);
    cJSON_AddStringToObject(o, "class", dcl_op_class_name(rec->op_class));
    cJSON_AddStringToObject(o, "kernel", rec->kernel);
    cJSON_AddItemToObject(o, "global", size3(rec->global, rec->work_dim));
    cJSON_AddItemToObject(o, "local", size3(rec->local, rec->work_dim));
    if (rec->gemm[0]) {
        cJSON *g = cJSON_AddObjectToObject(o, "gemm");
        cJSON_AddNumberToObject(g, "m", (double)rec->gemm[0]);
        cJSON_AddNumberToObject(g, "n", (double)rec->gemm[1]);
        cJSON_AddNumberToObject(g, "k", (double)rec->gemm[2]);
        cJSON_AddNumberToObject(g, "batch", (double)rec->gemm[3]);
    }
    cJSON_AddNumberToObject(o, "flops", rec->flops);
    cJSON_AddNumberToObject(o, "bytes", rec->bytes);
    /* relative to the device's origin: absolute device clocks exceed what a double holds exactly */
    cJSON_AddNumberToObject(o, "queued_ns", (double)(rec->queued_ns >= origin ? rec->queued_ns - origin : 0));
    cJSON_AddNumberToObject(o, "start_ns", (double)(rec->start_ns - origin));
    cJSON_AddNumberToObject(o, "end_ns", (double)(rec->end_ns - origin));
    return o;
}

static uint64_t origin_of(const dcl_cli_prof_device *d)
{
    uint64_t o = d->count ? d->records[0].start_ns : 0;
    for (size_t i = 0; i < d->count; i++) {
        if (d->records[i].start_ns < o)
            o = d->records[i].start_ns;
        if (d->records[i].queued_ns && d->records[i].queued_ns < o)
            o = d->records[i].queued_ns;
    }
    return o;
}

static cJSON *device_json(const dcl_cli_prof_device *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", d->index);
    cJSON_AddStringToObject(o, "name", d->info.name);
    cJSON_AddStringToObject(o, "platform", d->info.platform_name);
    cJSON_AddStringToObject(o, "vendor", d->info.vendor_short);
    cJSON_AddStringToObject(o, "driver", d->info.driver_version);
    cJSON_AddStringToObject(o, "type", type_name(d->info.type));
    cJSON_AddStringToObject(o, "status", d->ok ? "ok" : "error");
    if (!d->ok) {
        cJSON_AddStringToObject(o, "error", d->error);
        return o;
    }
    if (d->has_peak) {
        cJSON *p = cJSON_AddObjectToObject(o, "peak");
        cJSON_AddNumberToObject(p, "gflops", d->peak.gflops);
        cJSON_AddNumberToObject(p, "gbytes_per_s", d->peak.gbytes);
        cJSON_AddBoolToObject(p, "cached", d->peak.cached);
    }
    cJSON *w = cJSON_AddObjectToObject(o, "wall_s");
    cJSON_AddNumberToObject(w, "median", d->wall_median);
    cJSON_AddNumberToObject(w, "mean", d->wall_mean);
    cJSON_AddNumberToObject(w, "min", d->wall_min);
    cJSON_AddNumberToObject(w, "max", d->wall_max);
    if (d->has_overhead) {
        cJSON *ov = cJSON_AddObjectToObject(o, "overhead");
        cJSON_AddNumberToObject(ov, "ratio_median", d->overhead_median);
        cJSON_AddNumberToObject(ov, "ratio_min", d->overhead_min);
        cJSON_AddNumberToObject(ov, "ratio_max", d->overhead_max);
        cJSON_AddNumberToObject(ov, "unprofiled_median_s", d->unprofiled_median);
        cJSON_AddNumberToObject(ov, "max_abs_diff", d->max_abs_diff);
    }
    cJSON_AddNumberToObject(o, "ops_s", d->events);
    cJSON_AddNumberToObject(o, "span_s", d->span);
    cJSON_AddNumberToObject(o, "idle_s", d->idle);
    cJSON *classes = cJSON_AddArrayToObject(o, "classes");
    for (int k = 0; k < DCL_OPC_COUNT; k++) {
        const dcl_cli_prof_class *c = &d->cls[k];
        if (c->launches <= 0)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "class", dcl_op_class_name((dcl_op_class)k));
        cJSON_AddNumberToObject(e, "seconds", c->seconds);
        cJSON_AddNumberToObject(e, "share", d->wall_mean > 0 ? c->seconds / d->wall_mean : 0);
        cJSON_AddNumberToObject(e, "launches", c->launches);
        cJSON_AddNumberToObject(e, "flops", c->flops);
        cJSON_AddNumberToObject(e, "bytes", c->bytes);
        double pf = peak_fraction(d, c);
        if (pf >= 0)
            cJSON_AddNumberToObject(e, "peak_fraction", pf);
        cJSON_AddItemToArray(classes, e);
    }
    cJSON *recs = cJSON_AddArrayToObject(o, "records");
    uint64_t origin = origin_of(d);
    for (size_t i = 0; i < d->count; i++)
        cJSON_AddItemToArray(recs, record_json(&d->records[i], origin));
    return o;
}

static int emit(cJSON *j, FILE *f)
{
    char *text = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    int ok = text && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    free(text);
    return ok ? 0 : -1;
}

int dcl_cli_prof_json(const dcl_cli_prof_run *r, FILE *f)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "tool", "debertacl profile");
    cJSON_AddNumberToObject(j, "format_version", PROF_FORMAT_VERSION);
    cJSON_AddStringToObject(j, "version", dcl_version_string());
    cJSON_AddStringToObject(j, "model", r->model);
    cJSON_AddBoolToObject(j, "synthetic", r->synthetic);
    cJSON_AddNumberToObject(j, "batch", r->batch);
    cJSON_AddNumberToObject(j, "length", r->length);
    cJSON_AddNumberToObject(j, "runs", r->runs);
    cJSON *devs = cJSON_AddArrayToObject(j, "devices");
    for (int i = 0; i < r->ndev; i++)
        cJSON_AddItemToArray(devs, device_json(&r->dev[i]));
    return emit(j, f);
}

/* ---- CSV: one row per record ---- */

static void csv_text(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_dims(FILE *f, const size_t *v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "%s%zu", i ? "x" : "", v[i]);
}

int dcl_cli_prof_csv(const dcl_cli_prof_run *r, FILE *f)
{
    fprintf(f, "device_index,device,driver,op,class,kernel,global,local,gemm_m,gemm_n,gemm_k,gemm_batch,flops,bytes,"
               "queued_us,start_us,end_us,duration_us\n");
    char a[40], b[40], c[40], d_[40], e[40], g[40];
    for (int i = 0; i < r->ndev; i++) {
        const dcl_cli_prof_device *d = &r->dev[i];
        uint64_t origin = origin_of(d);
        for (size_t k = 0; k < d->count; k++) {
            const dcl_profile_record *rec = &d->records[k];
            fprintf(f, "%d,", d->index);
            csv_text(f, d->info.name);
            fputc(',', f);
            csv_text(f, d->info.driver_version);
            fputc(',', f);
            csv_text(f, rec->op);
            fprintf(f, ",%s,", dcl_op_class_name(rec->op_class));
            csv_text(f, rec->kernel);
            fputc(',', f);
            csv_dims(f, rec->global, rec->work_dim);
            fputc(',', f);
            csv_dims(f, rec->local, rec->work_dim);
            double queued = rec->queued_ns >= origin ? (double)(rec->queued_ns - origin) * 1e-3 : 0;
            fprintf(f, ",%llu,%llu,%llu,%llu,%s,%s,%s,%s,%s,%s\n", (unsigned long long)rec->gemm[0],
                    (unsigned long long)rec->gemm[1], (unsigned long long)rec->gemm[2],
                    (unsigned long long)rec->gemm[3], dcl_cli_num(a, sizeof a, rec->flops, 0),
                    dcl_cli_num(b, sizeof b, rec->bytes, 0),
                    dcl_cli_num(c, sizeof c, queued, 3),
                    dcl_cli_num(d_, sizeof d_, (double)(rec->start_ns - origin) * 1e-3, 3),
                    dcl_cli_num(e, sizeof e, (double)(rec->end_ns - origin) * 1e-3, 3),
                    dcl_cli_num(g, sizeof g, (double)(rec->end_ns - rec->start_ns) * 1e-3, 3));
        }
    }
    return ferror(f) ? -1 : 0;
}

/* ---- Chrome trace event format: one process per device, one thread per queue ---- */

static cJSON *meta(const char *what, int pid, int tid, const char *name)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "name", what);
    cJSON_AddStringToObject(m, "ph", "M");
    cJSON_AddNumberToObject(m, "pid", pid);
    cJSON_AddNumberToObject(m, "tid", tid);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "args"), "name", name);
    return m;
}

int dcl_cli_prof_trace(const dcl_cli_prof_run *r, FILE *f)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *ev = cJSON_AddArrayToObject(j, "traceEvents");
    cJSON_AddStringToObject(j, "displayTimeUnit", "ms");
    for (int i = 0; i < r->ndev; i++) {
        const dcl_cli_prof_device *d = &r->dev[i];
        char name[512];
        snprintf(name, sizeof name, "#%d %s (%s)", d->index, d->info.name, d->info.platform_name);
        cJSON_AddItemToArray(ev, meta("process_name", d->index, 0, name));
        cJSON_AddItemToArray(ev, meta("thread_name", d->index, 0, "in-order queue"));
        uint64_t origin = origin_of(d);
        for (size_t k = 0; k < d->count; k++) {
            const dcl_profile_record *rec = &d->records[k];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "name", rec->op);
            cJSON_AddStringToObject(e, "cat", dcl_op_class_name(rec->op_class));
            cJSON_AddStringToObject(e, "ph", "X");
            cJSON_AddNumberToObject(e, "pid", d->index);
            cJSON_AddNumberToObject(e, "tid", 0);
            cJSON_AddNumberToObject(e, "ts", (double)(rec->start_ns - origin) * 1e-3);
            cJSON_AddNumberToObject(e, "dur", (double)(rec->end_ns - rec->start_ns) * 1e-3);
            cJSON *args = cJSON_AddObjectToObject(e, "args");
            cJSON_AddStringToObject(args, "kernel", rec->kernel);
            cJSON_AddNumberToObject(args, "flops", rec->flops);
            cJSON_AddNumberToObject(args, "bytes", rec->bytes);
            if (rec->work_dim) {
                cJSON_AddItemToObject(args, "global", size3(rec->global, rec->work_dim));
                cJSON_AddItemToObject(args, "local", size3(rec->local, rec->work_dim));
            }
            cJSON_AddItemToArray(ev, e);
        }
    }
    return emit(j, f);
}
