/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl: command-line front end of the library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    dcl_cli_fn fn;
    const char *help;
} commands[] = {
    {"devices", dcl_cmd_devices, "list OpenCL platforms and devices, with their tuning [--json | --tuning] [--device SPEC]"},
    /* DCL-CLI-TABLE */
    {"attnbench", dcl_cmd_attnbench, "fused vs materialised attention over lengths (--lengths), packed vs padded batches (--mix N)"},
    {"run", dcl_cmd_run, "pipelines from text or ids: fill-mask, classify, nli, zero-shot, rerank, ner, qa, choice, embed"},
    {"tokenize", dcl_cmd_tokenize, "text to ids as JSON lines --model DIR (--text T | --file F) [--pair-file F2] [--max-length N] [--no-special-tokens] [--bench]"},
    {"forward", dcl_cmd_forward, "run the encoder on ids from JSON, write safetensors (--model DIR --input IN.json --output OUT.safetensors)"},
    {"bench", dcl_cmd_bench, "time the encoder (--model DIR or --synthetic PRESET, --batch B --length L)"},
    {"profile", dcl_cmd_profile, "per-operation device times on one or every device (--device all), "
                                 "with tables, JSON, CSV, traces and SVG charts"},
    {"tune", dcl_cmd_tune, "tune the kernels for a device (--model DIR | --synthetic PRESET) [--budget S] [--output FILE]"},
};

const char *dcl_cli_device_spec(const char *arg)
{
    if (arg && *arg)
        return arg;
    const char *env = getenv("DEBERTACL_DEVICE");
    return env && *env ? env : NULL;
}

void dcl_cli_error(const char *what, dcl_status st)
{
    const char *detail = dcl_last_error();
    fprintf(stderr, "debertacl: %s: %s%s%s\n", what, dcl_status_string(st), *detail ? ": " : "", detail);
}

const char *dcl_cli_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "debertacl %s: option %s needs a value\n", argv[0], argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static void usage(FILE *f)
{
    fprintf(f, "usage: debertacl COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nenvironment: DEBERTACL_DEVICE (default --device), DEBERTACL_CACHE_DIR (program cache, "
               "\"off\" to disable), DEBERTACL_KERNEL_DIR (read cl/*.cl from disk), DEBERTACL_PROFILE_PATH (tuning "
               "profiles: a file or folder)\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("debertacl %s\n", dcl_version_string());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "debertacl: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
