/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl run: the library's pipelines (dcl_pipeline) from the command line.
 *
 *   debertacl run --model DIR [--task TASK] INPUT [options]
 *
 * Every input becomes one JSON object (the --json output; JSON lines with --file), and the
 * human-readable output is printed from that object. --file lines are read in windows, run in
 * batches sorted by length, and printed in their order. Exit status: 0 success, 1 a failure at run
 * time (device, OpenCL, memory), 2 bad usage or bad input (an empty text, no [MASK], a task the
 * model has no head for, a missing file); every error is one line on stderr. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* 2 for statuses that mean bad input, 1 for failures at run time */
static int exit_code(dcl_status st)
{
    return st == DCL_ERR_INVALID_ARGUMENT || st == DCL_ERR_RANGE || st == DCL_ERR_FORMAT ||
                   st == DCL_ERR_UNSUPPORTED || st == DCL_ERR_IO || st == DCL_ERR_NO_DEVICE
               ? 2
               : 1;
}

/* config.json's "debertacl_demo": true marks the random-weight demo model */
static int is_demo(const char *dir)
{
    char path[4096], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (cli_read_file(path, &text, &len) != 0)
        return 0;
    cJSON *j = cJSON_ParseWithLength(text, len);
    int demo = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "debertacl_demo"));
    cJSON_Delete(j);
    free(text);
    return demo;
}

/* The command reports every failure itself, in one line: the library's error log is not printed. */
static void log_sink(dcl_log_level level, const char *message, void *user_data)
{
    (void)user_data;
    if (level != DCL_LOG_ERROR)
        fprintf(stderr, "debertacl: %s: %s\n", level == DCL_LOG_WARN ? "warning" : "info", message);
}

typedef struct runner {
    run_opts o;
    dcl_pipeline *p;
    int demo; /* 1: a demo model, note not printed yet; 2: printed */
    const char **labels; /* zero-shot --labels, shared by the lines */
    int n_labels;
    char *labels_buf;
} runner;

/* Runs inputs ri[0..n) (those without an error) and prints every one in order. Returns the worst
 * exit status. */
static int run_chunk(runner *r, run_input *ri, int n)
{
    dcl_pipeline_input *in = malloc((size_t)n * sizeof *in);
    dcl_result **res = calloc((size_t)n, sizeof *res);
    int *map = malloc((size_t)n * sizeof *map), k = 0, worst = 0;
    if (!in || !res || !map) {
        free(in);
        free(res);
        free(map);
        run_print_error(&r->o, 0, "out of memory");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        if (ri[i].err[0])
            continue;
        if (r->o.task == DCL_TASK_ZERO_SHOT && !ri[i].in.items) {
            ri[i].in.items = r->labels;
            ri[i].in.n_items = r->n_labels;
        }
        in[k] = ri[i].in;
        map[k++] = i;
    }
    dcl_result **out = calloc((size_t)(k ? k : 1), sizeof *out);
    dcl_status st = DCL_OK;
    if (!out)
        st = DCL_ERR_OUT_OF_MEMORY;
    else if (k > 0)
        st = dcl_pipeline_run(r->p, in, k, out);
    if (st != DCL_OK) {
        dcl_cli_error("run", st);
        worst = 1;
    }
    for (int j = 0; j < k && st == DCL_OK; j++)
        res[map[j]] = out[j];
    for (int i = 0; i < n && st == DCL_OK; i++) {
        if (ri[i].err[0]) {
            run_print_error(&r->o, ri[i].line, ri[i].err);
            worst = worst > 2 ? worst : 2;
        } else if (res[i]->status != DCL_OK) {
            run_print_error(&r->o, ri[i].line, res[i]->error);
            int e = exit_code(res[i]->status);
            worst = worst > e ? worst : e;
        } else {
            if (r->demo == 1 && !r->o.json) { /* once, before the first answer */
                printf("note: %s is a demo model with RANDOM weights: the predictions below are meaningless\n",
                       r->o.model);
                r->demo = 2;
            }
            if (run_print(&r->o, r->p, &ri[i], res[i], r->demo != 0) != 0) {
                worst = 1;
                break;
            }
        }
    }
    for (int i = 0; i < n; i++)
        dcl_result_free(res[i]);
    free(out);
    free(in);
    free(res);
    free(map);
    return worst;
}

static int run_file(runner *r)
{
    FILE *f = strcmp(r->o.file, "-") ? fopen(r->o.file, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "debertacl run: cannot open %s\n", r->o.file);
        return 2;
    }
    const int W = r->o.batch * 8; /* lines per window: sorted and batched together */
    run_input *ri = calloc((size_t)W, sizeof *ri);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int worst = ri ? 0 : 1, lineno = 0, n = 0;
    while (worst != 1 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (run_input_from_line(&r->o, line, (size_t)len, lineno, &ri[n++]) != 0) {
            run_print_error(&r->o, lineno, "out of memory");
            worst = 1;
        }
        if (n == W || worst == 1) {
            int rc = worst == 1 ? 1 : run_chunk(r, ri, n);
            worst = rc > worst ? rc : worst;
            for (int i = 0; i < n; i++)
                run_input_free(&ri[i]);
            n = 0;
        }
    }
    if (n > 0 && worst != 1) {
        int rc = run_chunk(r, ri, n);
        worst = rc > worst ? rc : worst;
    }
    for (int i = 0; ri && i < n; i++)
        run_input_free(&ri[i]);
    free(ri);
    free(line);
    if (f != stdin)
        fclose(f);
    return worst;
}

static int run_documents(runner *r)
{
    char *text = NULL;
    size_t len = 0;
    if (cli_read_file(r->o.file, &text, &len) != 0) {
        fprintf(stderr, "debertacl run: %s\n", cli_error_text());
        return 2;
    }
    run_input ri;
    int rc = run_input_documents(&r->o, text, len, &ri) != 0 ? 1 : run_chunk(r, &ri, 1);
    run_input_free(&ri);
    free(text);
    return rc;
}

/* fill-mask --targets "a,b" */
static int set_targets(run_opts *o, char **buf, const char ***v)
{
    if (!o->targets)
        return 0;
    if (!(*buf = strdup(o->targets)))
        return -1;
    int n = run_split(*buf, ',', 1, v);
    if (n < 0)
        return -1;
    o->pp.targets = *v;
    o->pp.n_targets = n;
    return 0;
}

int dcl_cmd_run(int argc, char **argv)
{
    runner r;
    memset(&r, 0, sizeof r);
    dcl_set_log_callback(log_sink, NULL, DCL_LOG_WARN);
    int rc = run_parse_args(argc, argv, &r.o);
    if (rc)
        return rc < 0 ? 0 : rc;
    run_opts *o = &r.o;
    if (o->file && strcmp(o->file, "-")) { /* fail early, before the device work */
        FILE *f = fopen(o->file, "rb");
        if (!f) {
            fprintf(stderr, "debertacl run: cannot open %s\n", o->file);
            return 2;
        }
        fclose(f);
    }
    char *tbuf = NULL;
    const char **targets = NULL;
    if (set_targets(o, &tbuf, &targets) != 0) {
        fprintf(stderr, "debertacl run: out of memory\n");
        return 1;
    }
    dcl_status st = dcl_pipeline_create(NULL, o->model, &o->pp, &r.p);
    if (st != DCL_OK) {
        dcl_cli_error("loading the model", st);
        rc = exit_code(st);
        goto out;
    }
    if (o->task == DCL_TASK_AUTO && (rc = run_check_task(o, dcl_pipeline_task(r.p))) != 0)
        goto out;
    r.demo = is_demo(o->model);
    if (o->task == DCL_TASK_ZERO_SHOT && o->labels) {
        if (!(r.labels_buf = strdup(o->labels)) || (r.n_labels = run_split(r.labels_buf, ',', 1, &r.labels)) < 0) {
            fprintf(stderr, "debertacl run: out of memory\n");
            rc = 1;
            goto out;
        }
        int k = 0; /* transformers drops empty labels */
        for (int i = 0; i < r.n_labels; i++)
            if (*r.labels[i])
                r.labels[k++] = r.labels[i];
        r.n_labels = k;
    }
    if (o->task == DCL_TASK_RERANK) {
        rc = run_documents(&r);
    } else if (o->file) {
        rc = run_file(&r);
    } else {
        run_input ri;
        if (run_input_from_options(o, &ri) != 0) {
            fprintf(stderr, "debertacl run: out of memory\n");
            rc = 1;
        } else {
            rc = run_chunk(&r, &ri, 1);
        }
        run_input_free(&ri);
    }
out:
    dcl_pipeline_free(r.p);
    free(r.labels);
    free(r.labels_buf);
    free(targets);
    free(tbuf);
    return rc;
}
