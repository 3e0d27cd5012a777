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
int dcl_cmd_tune(int argc, char **argv);

/* The device spec from --device, else $DEBERTACL_DEVICE, else NULL (the default device). */
const char *dcl_cli_device_spec(const char *arg);

/* Prints "debertacl: <what>: <status text>: <detail>" to stderr. */
void dcl_cli_error(const char *what, dcl_status st);

/* Returns argv[i+1] for an option that takes a value, or NULL (after printing a usage error). */
const char *dcl_cli_value(int argc, char **argv, int *i);

#endif
