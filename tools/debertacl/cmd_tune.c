/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl tune (--model DIR | --synthetic PRESET) [--batch B --length L] [--budget SECONDS]
 * [--device SPEC] [--output FILE] [--seed N]: searches the kernel parameters of a device for a
 * model's shapes (dcl_tune) and writes the winning profile; ends with a table per kernel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: debertacl tune (--model DIR | --synthetic PRESET) [--batch 8] [--length 128]\n"
               "                      [--budget 600] [--device SPEC] [--output FILE] [--seed 1] [--quiet]\n"
               "Searches the kernel parameters (work-group sizes, GEMM routes and blocking, CLBlast's Xgemm\n"
               "parameters) on the device for the model's shapes, timing candidates with OpenCL events and\n"
               "refusing any whose output is off the shipped parameters' output by more than 1e-5 relative.\n"
               "Writes the profile to FILE, else to the cache folder's profiles/, where every later context\n"
               "on the device picks it up (it beats the shipped profiles). A second run with the same\n"
               "arguments reuses the measurements of the first.\n");
}

static void progress(const dcl_tune_progress *p, void *user)
{
    const int width = 30;
    double f = p->budget > 0 ? p->elapsed / p->budget : 1;
    if (f > 1)
        f = 1;
    int fill = (int)(f * width + 0.5);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    int tty = *(int *)user;
    fprintf(stderr, "%s[%s] %3.0f%% %-11s best %9.3f ms (shipped %9.3f ms)  %d tried, %d refused%s", tty ? "\r" : "",
            bar, 100 * f, p->kernel, p->best_seconds < 1e30 ? p->best_seconds * 1e3 : 0.0, p->default_seconds * 1e3,
            p->candidates, p->rejected, tty ? "" : "\n");
    fflush(stderr);
}

int dcl_cmd_tune(int argc, char **argv)
{
    dcl_tune_params tp = dcl_tune_default_params();
    const char *dev = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (!(v = dcl_cli_value(argc, argv, &i)))
            return 2;
        char *end = NULL;
        if (!strcmp(a, "--model"))
            tp.model_dir = v;
        else if (!strcmp(a, "--synthetic"))
            tp.synthetic = v;
        else if (!strcmp(a, "--device"))
            dev = v;
        else if (!strcmp(a, "--output"))
            tp.output = v;
        else if (!strcmp(a, "--batch"))
            tp.batch = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--length"))
            tp.length = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--seed"))
            tp.seed = (unsigned)strtoul(v, &end, 10);
        else if (!strcmp(a, "--budget")) {
            long s = strtol(v, &end, 10); /* whole seconds: no locale-dependent parsing */
            tp.budget_seconds = (double)s;
        } else {
            fprintf(stderr, "debertacl tune: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
        if (end && (*end || end == v)) {
            fprintf(stderr, "debertacl tune: %s needs a whole number, not \"%s\"\n", a, v);
            return 2;
        }
    }
    if (!tp.model_dir == !tp.synthetic) {
        fprintf(stderr, "debertacl tune: give one of --model DIR and --synthetic PRESET\n");
        usage(stderr);
        return 2;
    }
    if (tp.batch <= 0 || tp.length <= 0 || tp.budget_seconds <= 0) {
        fprintf(stderr, "debertacl tune: --batch, --length and --budget must be positive\n");
        return 2;
    }
    int tty = isatty(2);
    if (!quiet) {
        tp.progress = progress;
        tp.user_data = &tty;
    }
    dcl_context_params cp = dcl_context_default_params();
    cp.device = dcl_cli_device_spec(dev);
    cp.profiling = 1; /* candidates are timed with events */
    dcl_context *ctx = NULL;
    dcl_status st = dcl_context_create(&cp, &ctx);
    if (st != DCL_OK) {
        dcl_cli_error("creating the context", st);
        return 1;
    }
    dcl_device_info d;
    dcl_context_device_info(ctx, &d);
    fprintf(stderr, "tuning %s (%s), %s, batch %d x length %d, budget %.0f s\n", d.name, d.platform_name,
            tp.model_dir ? tp.model_dir : tp.synthetic, tp.batch, tp.length, tp.budget_seconds);
    dcl_tune_result r;
    st = dcl_tune(ctx, &tp, &r);
    if (!quiet && tty)
        fprintf(stderr, "\n");
    if (st != DCL_OK) {
        dcl_cli_error("tuning", st);
        dcl_context_free(ctx);
        return 1;
    }
    printf("%-12s %12s %12s %8s %6s %6s  %s\n", "kernel", "shipped ms", "tuned ms", "speed-up", "tried", "reused",
           "parameters");
    for (int i = 0; i < r.rows; i++) {
        const dcl_tune_row *w = &r.row[i];
        printf("%-12s %12.3f %12.3f %7.2fx %6d %6d  %s\n", w->kernel, w->default_seconds * 1e3, w->tuned_seconds * 1e3,
               w->tuned_seconds > 0 ? w->default_seconds / w->tuned_seconds : 0.0, w->candidates, w->reused,
               w->parameters);
    }
    printf("profile written to %s\n", r.output);
    dcl_context_free(ctx);
    return 0;
}
