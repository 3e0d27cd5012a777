/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers of the debertacl command-line program. */
#ifndef DCL_CLI_H
#define DCL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "debertacl.h"

/* One subcommand: argv[0] is the subcommand's name. Returns the process exit status
 * (0 success, 1 failure at run time, 2 bad usage or bad input). */
typedef int (*dcl_cli_fn)(int argc, char **argv);

int dcl_cmd_devices(int argc, char **argv);
/* DCL-CLI-DECLS */
int dcl_cmd_attnbench(int argc, char **argv);
int dcl_cmd_run(int argc, char **argv);
int dcl_cmd_tokenize(int argc, char **argv);
int dcl_cmd_forward(int argc, char **argv);
int dcl_cmd_bench(int argc, char **argv);
int dcl_cmd_profile(int argc, char **argv);
int dcl_cmd_tune(int argc, char **argv);

/* The device spec from --device, else $DEBERTACL_DEVICE, else NULL (the default device). */
const char *dcl_cli_device_spec(const char *arg);

/* Prints "debertacl: <what>: <status text>: <detail>" to stderr. */
void dcl_cli_error(const char *what, dcl_status st);

/* Returns argv[i+1] for an option that takes a value, or NULL (after printing a usage error). */
const char *dcl_cli_value(int argc, char **argv, int *i);

/* ---- debertacl profile: one run's results, shared by its table, JSON, CSV, trace and SVG
 * writers (cmd_profile*.c). Times are per forward, averaged over the timed runs. ---- */
typedef struct dcl_cli_prof_class {
    double seconds, flops, bytes;
    double launches;
} dcl_cli_prof_class;

typedef struct dcl_cli_prof_device {
    int index;               /* flat device index */
    dcl_device_info info;
    int ok;                  /* 0: it failed, error[] says why */
    int bad_input;           /* the failure is the input's (model folder, preset, shapes) */
    char error[512];
    dcl_device_peak peak;
    int has_peak;
    double wall_median, wall_mean, wall_min, wall_max; /* seconds */
    double events;           /* sum of the operations' device times */
    double span;             /* first start to last end */
    double idle;             /* gaps between operations inside the span */
    dcl_cli_prof_class cls[DCL_OPC_COUNT];
    int has_overhead;        /* --overhead: the same forward without profiling, alternating */
    double overhead_median, overhead_min, overhead_max; /* per-round ratios profiled / unprofiled */
    double unprofiled_median, max_abs_diff;             /* seconds; largest |output difference| */
    dcl_profile_record *records; /* the last run's records (malloc'd copy) */
    size_t count;
} dcl_cli_prof_device;

typedef struct dcl_cli_prof_run {
    const char *model; /* folder or preset */
    int synthetic, batch, length, runs, warmup;
    dcl_cli_prof_device *dev;
    int ndev;
} dcl_cli_prof_run;

/* Formats v with `prec` decimals and always '.' as the decimal point, whatever the locale. */
const char *dcl_cli_num(char *buf, size_t size, double v, int prec);

void dcl_cli_prof_table(const dcl_cli_prof_run *r, FILE *f);
/* The writers return 0, or -1 when the output could not be built or written. */
int dcl_cli_prof_json(const dcl_cli_prof_run *r, FILE *f);
int dcl_cli_prof_csv(const dcl_cli_prof_run *r, FILE *f);
int dcl_cli_prof_trace(const dcl_cli_prof_run *r, FILE *f);
int dcl_cli_prof_svg(const dcl_cli_prof_run *r, FILE *f);
/* ---- debertacl run (cmd_run.c, run_args.c, run_input.c, run_output.c) ---- */
typedef struct run_opts {
    const char *model, *tokenizer, *device, *file, *ids, *types, *task_name;
    const char *text, *pair_a, *pair_b, *question, *context, *choices, *labels, *query, *targets;
    dcl_task task;
    int nli; /* --task nli: a pair is required */
    int json, batch, max_length;
    dcl_pipeline_params pp;
} run_opts;

/* One input built from the options or from a line of --file, with the storage it points into. */
typedef struct run_input {
    dcl_pipeline_input in;
    char *buf;            /* copy of the line (fields point into it) */
    const char **items;   /* split choices / labels / documents */
    int32_t *ids, *types, *mask;
    int line;             /* line number in --file, 0 for direct input */
    char err[512];        /* a bad line: why (the input is then not run) */
} run_input;

/* Returns 0, 2 (bad usage, message printed) or -1 (help printed). */
int run_parse_args(int argc, char **argv, run_opts *o);
void run_usage(FILE *f);
/* Checks the inputs against the task once it is known (from config.json); 0 or 2. */
int run_check_task(run_opts *o, dcl_task task);
/* Builds the input of the direct options (line 0) or of one line of --file. 0, or -1 when memory
 * fails; a bad line sets ri->err. */
int run_input_from_options(const run_opts *o, run_input *ri);
int run_input_from_line(const run_opts *o, const char *line, size_t len, int lineno, run_input *ri);
/* rerank --file: every line is a document of one input. */
int run_input_documents(const run_opts *o, char *text, size_t len, run_input *ri);
void run_input_free(run_input *ri);
/* Splits s at sep into malloc'd pieces (trimmed when `trim`), NUL-terminating them in s. */
int run_split(char *s, char sep, int trim, const char ***parts);
/* Prints one result (JSON or text); 0, or -1 when memory fails (reported). */
int run_print(const run_opts *o, const dcl_pipeline *p, const run_input *ri, const dcl_result *r, int demo);
void run_print_error(const run_opts *o, int line, const char *msg);

/* cli_util.c: what the public library does not export. Functions returning int give 0 on
 * success and -1 on failure, with the reason in cli_error_text(). */
const char *cli_error_text(void);
double cli_now(void);
int cli_read_file(const char *path, char **data, size_t *len); /* NUL-terminated, malloc'd */
int cli_write_file_atomic(const char *path, const void *data, size_t len);
void cli_format_double(char *buf, size_t size, double v); /* shortest round trip, '.' always */
int cli_st_write_f32(const char *path, int count, const char *const *names, const int *ndims,
                     const int64_t *const *shapes, const float *const *data);


/* ---- debertacl forward and bench (cmd_forward.c, cmd_bench.c) ---- */
typedef struct dcl_cli_fwd_opts {
    const char *model, *synthetic, *input, *output, *device, *json_out;
    int hidden_states, attentions, batch, length, runs, warmup, profile;
} dcl_cli_fwd_opts;

typedef struct dcl_cli_run_state {
    dcl_context *ctx;
    dcl_model *model;
    dcl_model_info info;
    double t_context, t_model;
} dcl_cli_run_state;

/* Options of forward (bench = 0) or bench (bench = 1): 0 ok, -1 help printed, else the exit code. */
int dcl_cli_fwd_parse(int argc, char **argv, dcl_cli_fwd_opts *o, int bench);
/* Context and model (folder or preset), timed; 0 or the exit code after printing the error. */
int dcl_cli_open_model(const dcl_cli_fwd_opts *o, int profiling, dcl_cli_run_state *r);
void dcl_cli_close_model(dcl_cli_run_state *r);

#endif
