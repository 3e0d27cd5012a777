/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl profile: the device time of every operation of the encoder, from OpenCL events, on one
 * device or on every device present (--device all), with the device's measured peak; printed as
 * tables and written as JSON, CSV, a Chrome trace and an SVG chart (cmd_profile_out.c,
 * cmd_profile_svg.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

typedef struct prof_opts {
    const char *model, *synthetic, *device, *json, *csv, *trace, *svg;
    int batch, length, runs, warmup, refresh_peak, no_peak, overhead;
} prof_opts;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int parse_count(int argc, char **argv, int *i, int min, int *out)
{
    const char *opt = argv[*i], *v = dcl_cli_value(argc, argv, i);
    char *end;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || x < min || x > 1000000) {
        fprintf(stderr, "debertacl profile: %s needs a count of at least %d\n", opt, min);
        return 0;
    }
    *out = (int)x;
    return 1;
}

static int parse(int argc, char **argv, prof_opts *o)
{
    memset(o, 0, sizeof *o);
    o->batch = 1;
    o->length = 128;
    o->runs = 5;
    o->warmup = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **str = !strcmp(a, "--model")       ? &o->model
                           : !strcmp(a, "--synthetic") ? &o->synthetic
                           : !strcmp(a, "--device")    ? &o->device
                           : !strcmp(a, "--json")      ? &o->json
                           : !strcmp(a, "--csv")       ? &o->csv
                           : !strcmp(a, "--trace")     ? &o->trace
                           : !strcmp(a, "--svg")       ? &o->svg
                                                       : NULL;
        int *num = !strcmp(a, "--batch")    ? &o->batch
                   : !strcmp(a, "--length") ? &o->length
                   : !strcmp(a, "--runs")   ? &o->runs
                   : !strcmp(a, "--warmup") ? &o->warmup
                                            : NULL;
        if (str) {
            if (!(*str = dcl_cli_value(argc, argv, &i)))
                return 2;
        } else if (num) {
            if (!parse_count(argc, argv, &i, num == &o->warmup ? 0 : 1, num))
                return 2;
        } else if (!strcmp(a, "--refresh-peak")) {
            o->refresh_peak = 1;
        } else if (!strcmp(a, "--no-peak")) {
            o->no_peak = 1;
        } else if (!strcmp(a, "--overhead")) {
            o->overhead = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            return -1;
        } else {
            fprintf(stderr, "debertacl profile: unknown option %s\n", a);
            return 2;
        }
    }
    if (!o->model == !o->synthetic) {
        fprintf(stderr, "debertacl profile: give --model DIR or --synthetic PRESET\n");
        return 2;
    }
    return 0;
}

static void usage(void)
{
    printf("usage: debertacl profile (--model DIR | --synthetic PRESET) [--batch 1] [--length 128]\n"
           "                         [--device SPEC | --device all] [--runs 5] [--warmup 1]\n"
           "                         [--json FILE] [--csv FILE] [--trace FILE] [--svg FILE]\n"
           "                         [--refresh-peak] [--no-peak] [--overhead]\n"
           "Runs the encoder on random ids with OpenCL profiling on and reads one event per kernel, GEMM\n"
           "(between two markers) and transfer. Prints, per device, the time of each op class (mean per\n"
           "forward over --runs after --warmup), its share of the wall clock, launches, GFLOP/s, GB/s and\n"
           "the fraction of the roofline bound set by the device's measured peak (FP32 multiply-add and\n"
           "read bandwidth, cached per device and driver; --refresh-peak measures again). Gaps between\n"
           "operations are their own line. --device all runs every OpenCL device in turn and compares them.\n"
           "--json: every record (schema in the README), --csv: every record, --trace: Chrome trace event\n"
           "format (Perfetto, chrome://tracing), --svg: time per op class per device and a roofline.\n"
           "FILE \"-\" writes to stdout. --overhead also runs the forward on a context without profiling,\n"
           "alternating with the profiled one, and reports the median of the per-round wall-clock ratios\n"
           "and the largest difference between the two outputs (last_hidden_state).\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v and returns its median. */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* --overhead: the same model on a context of the same device without profiling. */
typedef struct twin {
    dcl_context *ctx;
    dcl_model *model;
    dcl_session *s;
} twin;

static dcl_status twin_open(const prof_opts *o, const char *spec, twin *t)
{
    dcl_context_params cp = dcl_context_default_params();
    cp.device = spec;
    dcl_model_params mp = dcl_model_default_params();
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = o->batch;
    sp.max_length = o->length;
    dcl_status st = dcl_context_create(&cp, &t->ctx);
    if (st == DCL_OK)
        st = o->model ? dcl_model_load(t->ctx, o->model, &mp, &t->model)
                      : dcl_model_synthesize(t->ctx, o->synthetic, &mp, &t->model);
    if (st == DCL_OK)
        st = dcl_session_create(t->model, &sp, &t->s);
    return st;
}

static void twin_close(twin *t)
{
    dcl_session_free(t->s);
    dcl_model_free(t->model);
    dcl_context_free(t->ctx);
}

/* Adds one forward's records into the device's per-class sums, span and idle time. */
static void accumulate(dcl_cli_prof_device *d, const dcl_profile_record *rec, size_t n)
{
    uint64_t first = 0, reach = 0;
    double idle = 0, events = 0;
    for (size_t i = 0; i < n; i++) {
        const dcl_profile_record *r = &rec[i];
        double sec = (double)(r->end_ns - r->start_ns) * 1e-9;
        dcl_cli_prof_class *c = &d->cls[(int)r->op_class >= 0 && r->op_class < DCL_OPC_COUNT ? r->op_class
                                                                                            : DCL_OPC_OTHER];
        c->seconds += sec;
        c->flops += r->flops;
        c->bytes += r->bytes;
        c->launches += 1;
        events += sec;
        if (i == 0) {
            first = r->start_ns;
            reach = r->end_ns;
            continue;
        }
        if (r->start_ns > reach)
            idle += (double)(r->start_ns - reach) * 1e-9;
        if (r->end_ns > reach)
            reach = r->end_ns;
        if (r->start_ns < first)
            first = r->start_ns;
    }
    d->events += events;
    d->idle += idle;
    d->span += n ? (double)(reach - first) * 1e-9 : 0;
}

/* One progress line on stderr, rewritten in place on a terminal; elsewhere only the steps. */
static void progress(int dev, int ndev, const char *name, const char *what, int i, int n)
{
    static int tty = -1;
    if (tty < 0)
        tty = isatty(fileno(stderr));
    if (tty)
        fprintf(stderr, "\r\033[Kprofile: device %d/%d %.40s: %s %d/%d", dev + 1, ndev, name, what, i, n);
    else if (i == 1)
        fprintf(stderr, "profile: device %d/%d %s: %s\n", dev + 1, ndev, name, what);
    fflush(stderr);
}

static void progress_done(void)
{
    if (isatty(fileno(stderr)))
        fprintf(stderr, "\r\033[K");
}

static void fail(dcl_cli_prof_device *d, const char *what, dcl_status st)
{
    d->ok = 0;
    d->bad_input = st == DCL_ERR_IO || st == DCL_ERR_FORMAT || st == DCL_ERR_UNSUPPORTED || st == DCL_ERR_RANGE ||
                   st == DCL_ERR_INVALID_ARGUMENT;
    snprintf(d->error, sizeof d->error, "%s: %s: %s", what, dcl_status_string(st), dcl_last_error());
}

/* Profiles one device; on failure d->ok is 0 and d->error says why (the other devices go on). */
static void profile_device(const prof_opts *o, int index, int pos, int ndev, dcl_cli_prof_device *d)
{
    dcl_context *ctx = NULL;
    dcl_model *model = NULL;
    dcl_session *s = NULL;
    int32_t *ids = NULL;
    double *walls = NULL, *walls0 = NULL, *ratios = NULL;
    float *out0 = NULL, *out1 = NULL;
    twin plain = {NULL, NULL, NULL};
    char spec[16];
    snprintf(spec, sizeof spec, "%d", index);
    d->index = index;
    d->ok = 1;
    dcl_status st = dcl_device_get_info(index, &d->info);
    dcl_context_params cp = dcl_context_default_params();
    cp.device = spec;
    cp.profiling = 1;
    if (st != DCL_OK || (st = dcl_context_create(&cp, &ctx)) != DCL_OK) {
        fail(d, "creating the OpenCL context", st);
        return;
    }
    const char *name = d->info.name;
    progress(pos, ndev, name, "loading the model", 1, 1);
    dcl_model_params mp = dcl_model_default_params();
    st = o->model ? dcl_model_load(ctx, o->model, &mp, &model) : dcl_model_synthesize(ctx, o->synthetic, &mp, &model);
    if (st != DCL_OK) {
        fail(d, o->model ? "loading the model" : "synthesising the model", st);
        goto out;
    }
    dcl_model_info mi;
    dcl_model_get_info(model, &mi);
    if (!o->no_peak) {
        progress(pos, ndev, name, "peak probe", 1, 1);
        d->has_peak = dcl_context_peak(ctx, o->refresh_peak, &d->peak) == DCL_OK;
        if (!d->has_peak)
            fprintf(stderr, "debertacl profile: peak probe on %s failed: %s\n", name, dcl_last_error());
    }
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = o->batch;
    sp.max_length = o->length;
    sp.profile = 1;
    if ((st = dcl_session_create(model, &sp, &s)) != DCL_OK) {
        fail(d, "creating the session", st);
        goto out;
    }
    if (o->overhead) {
        progress(pos, ndev, name, "loading the model without profiling", 1, 1);
        if ((st = twin_open(o, spec, &plain)) != DCL_OK) {
            fail(d, "the unprofiled twin (--overhead)", st);
            goto out;
        }
    }
    const size_t T = (size_t)o->batch * (size_t)o->length, TH = T * (size_t)mi.hidden_size;
    ids = malloc(T * sizeof *ids);
    walls = malloc((size_t)o->runs * sizeof *walls);
    if (o->overhead) {
        walls0 = malloc((size_t)o->runs * sizeof *walls0);
        ratios = malloc((size_t)o->runs * sizeof *ratios);
        out0 = malloc(TH * sizeof *out0);
        out1 = malloc(TH * sizeof *out1);
    }
    if (!ids || !walls || (o->overhead && (!walls0 || !ratios || !out0 || !out1))) {
        d->ok = 0;
        snprintf(d->error, sizeof d->error, "out of memory");
        goto out;
    }
    uint64_t seed = 12345;
    for (size_t i = 0; i < T; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = (int32_t)((seed >> 33) % (uint64_t)mi.vocab_size);
    }
    dcl_batch b = {o->batch, o->length, ids, NULL, NULL, NULL};
    dcl_outputs o0 = {out0, NULL, NULL}, o1 = {out1, NULL, NULL};
    for (int i = 0; i <= o->warmup && st == DCL_OK; i++) { /* one more: the first pass builds kernels */
        progress(pos, ndev, name, "warm-up", i + 1, o->warmup + 1);
        st = dcl_encode(s, &b, &o1);
        if (st == DCL_OK && plain.s)
            st = dcl_encode(plain.s, &b, &o0);
    }
    const dcl_profile_record *rec = NULL;
    size_t n = 0;
    for (int i = 0; i < o->runs && st == DCL_OK; i++) {
        progress(pos, ndev, name, "run", i + 1, o->runs);
        /* with --overhead, rounds alternate which of the two goes first */
        for (int k = 0; k < 2 && st == DCL_OK; k++) {
            int profiled = (k == 0) != (i % 2 == 1);
            if (!profiled && !plain.s)
                continue;
            double t0 = now_s();
            st = dcl_encode(profiled ? s : plain.s, &b, profiled ? &o1 : &o0);
            (profiled ? walls : walls0)[i] = now_s() - t0;
            if (profiled && st == DCL_OK && (st = dcl_session_profile(s, &rec, &n)) == DCL_OK)
                accumulate(d, rec, n);
        }
        if (plain.s)
            ratios[i] = walls[i] / walls0[i];
    }
    if (st != DCL_OK) {
        fail(d, "forward", st);
        goto out;
    }
    double inv = 1.0 / o->runs, sum = 0;
    for (int i = 0; i < o->runs; i++)
        sum += walls[i];
    if (plain.s) {
        double diff = 0;
        for (size_t i = 0; i < TH; i++) {
            double x = fabs((double)out0[i] - (double)out1[i]);
            diff = x > diff || x != x ? x : diff;
        }
        d->has_overhead = 1;
        d->max_abs_diff = diff;
        d->unprofiled_median = median(walls0, o->runs);
        d->overhead_median = median(ratios, o->runs);
        d->overhead_min = ratios[0];
        d->overhead_max = ratios[o->runs - 1];
    }
    d->wall_mean = sum * inv;
    d->wall_median = median(walls, o->runs);
    d->wall_min = walls[0];
    d->wall_max = walls[o->runs - 1];
    d->events *= inv;
    d->span *= inv;
    d->idle *= inv;
    for (int c = 0; c < DCL_OPC_COUNT; c++) {
        d->cls[c].seconds *= inv;
        d->cls[c].flops *= inv;
        d->cls[c].bytes *= inv;
        d->cls[c].launches *= inv;
    }
    d->records = n ? malloc(n * sizeof *d->records) : NULL;
    if (d->records) {
        memcpy(d->records, rec, n * sizeof *rec);
        d->count = n;
    }
out:
    free(ids);
    free(walls);
    free(walls0);
    free(ratios);
    free(out0);
    free(out1);
    twin_close(&plain);
    dcl_session_free(s);
    dcl_model_free(model);
    dcl_context_free(ctx);
}

typedef int (*writer_fn)(const dcl_cli_prof_run *, FILE *);

static int write_to(const char *path, writer_fn fn, const dcl_cli_prof_run *r)
{
    if (!path)
        return 0;
    int to_stdout = !strcmp(path, "-");
    FILE *f = to_stdout ? stdout : fopen(path, "wb");
    int err = !f || fn(r, f) != 0;
    if (f && !to_stdout)
        err |= fclose(f) != 0;
    else if (f)
        err |= fflush(f) != 0;
    if (err)
        fprintf(stderr, "debertacl profile: cannot write %s\n", path);
    return err;
}

int dcl_cmd_profile(int argc, char **argv)
{
    prof_opts o;
    int rc = parse(argc, argv, &o);
    if (rc == -1) {
        usage();
        return 0;
    }
    if (rc)
        return rc;
    int count = 0;
    dcl_status st = dcl_device_count(&count);
    if (st != DCL_OK || count == 0) {
        fprintf(stderr, "debertacl profile: no OpenCL device%s%s\n", st ? ": " : "", st ? dcl_last_error() : "");
        return 1;
    }
    int all = o.device && !strcmp(o.device, "all");
    int ndev = all ? count : 1, single = -1;
    if (!all && (st = dcl_device_select(dcl_cli_device_spec(o.device), &single)) != DCL_OK) {
        dcl_cli_error("selecting the device", st);
        return 2;
    }
    dcl_cli_prof_run run = {o.model ? o.model : o.synthetic, o.synthetic != NULL, o.batch, o.length, o.runs,
                            o.warmup, calloc((size_t)ndev, sizeof(dcl_cli_prof_device)), ndev};
    if (!run.dev) {
        fprintf(stderr, "debertacl profile: out of memory\n");
        return 1;
    }
    int failed = 0, bad_input = 0;
    for (int i = 0; i < ndev; i++) {
        profile_device(&o, all ? i : single, i, ndev, &run.dev[i]);
        progress_done();
        if (!run.dev[i].ok) {
            fprintf(stderr, "debertacl profile: device %d (%s): %s\n", run.dev[i].index, run.dev[i].info.name,
                    run.dev[i].error);
            failed++;
            bad_input += run.dev[i].bad_input;
        }
    }
    int quiet = (o.json && !strcmp(o.json, "-")) || (o.csv && !strcmp(o.csv, "-")) ||
                (o.trace && !strcmp(o.trace, "-")) || (o.svg && !strcmp(o.svg, "-"));
    if (!quiet)
        dcl_cli_prof_table(&run, stdout);
    int werr = write_to(o.json, dcl_cli_prof_json, &run) | write_to(o.csv, dcl_cli_prof_csv, &run) |
               write_to(o.trace, dcl_cli_prof_trace, &run) | write_to(o.svg, dcl_cli_prof_svg, &run);
    for (int i = 0; i < ndev; i++)
        free(run.dev[i].records);
    free(run.dev);
    if (failed && bad_input == failed)
        return 2;
    return werr || failed ? 1 : 0;
}
