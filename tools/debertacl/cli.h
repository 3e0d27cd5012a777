/* Shared helpers of the debertacl command-line program. */
#ifndef DCL_CLI_H
#define DCL_CLI_H

#include <stdio.h>

#include "debertacl.h"

/* One subcommand: argv[0] is the subcommand's name. Returns the process exit status
 * (0 success, 1 failure at run time, 2 bad usage or bad input). */
typedef int (*dcl_cli_fn)(int argc, char **argv);

int dcl_cmd_devices(int argc, char **argv);
/* DCL-CLI-DECLS */
int dcl_cmd_run(int argc, char **argv);
int dcl_cmd_tokenize(int argc, char **argv);
int dcl_cmd_forward(int argc, char **argv);
int dcl_cmd_bench(int argc, char **argv);
int dcl_cmd_profile(int argc, char **argv);

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

#endif
