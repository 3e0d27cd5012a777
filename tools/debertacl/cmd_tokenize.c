/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl tokenize --model DIR (--text T | --file F) [--pair-file F2] [--max-length N]
 *                    [--no-special-tokens] [--bench] [--verbose]
 * One JSON line per input line: {"input_ids", "token_type_ids", "offsets", "tokens"}; --bench
 * prints one JSON line with the tokenization speed instead. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: debertacl tokenize --model DIR (--text T | --file F) [--pair-file F2] [--max-length N]\n"
               "                          [--no-special-tokens] [--bench] [--verbose]\n"
               "  prints one JSON line per input line: input_ids, token_type_ids, offsets (code points), tokens;\n"
               "  --max-length truncates (longest first); --bench times the tokenization instead;\n"
               "  --verbose says on stderr which files of the folder the tokenizer was built from\n");
}

/* Splits text into lines (on \n) in place; returns the count. */
static size_t split_lines(char *text, size_t len, char ***lines, size_t **lens)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    if (len && text[len - 1] != '\n')
        n++;
    *lines = malloc((n ? n : 1) * sizeof **lines);
    *lens = malloc((n ? n : 1) * sizeof **lens);
    if (!*lines || !*lens)
        return (size_t)-1;
    size_t k = 0, s = 0;
    for (size_t i = 0; i <= len && k < n; i++) {
        if (i == len || text[i] == '\n') {
            (*lines)[k] = text + s;
            (*lens)[k] = i - s;
            k++;
            s = i + 1;
        }
    }
    return n;
}

static void print_encoding(const dcl_encoding *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(o, "input_ids");
    cJSON *types = cJSON_AddArrayToObject(o, "token_type_ids");
    cJSON *offs = cJSON_AddArrayToObject(o, "offsets");
    cJSON *toks = cJSON_AddArrayToObject(o, "tokens");
    for (size_t i = 0; i < e->length; i++) {
        cJSON_AddItemToArray(ids, cJSON_CreateNumber(e->ids[i]));
        cJSON_AddItemToArray(types, cJSON_CreateNumber(e->token_type_ids[i]));
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)e->offsets[2 * i]));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)e->offsets[2 * i + 1]));
        cJSON_AddItemToArray(offs, pair);
        cJSON_AddItemToArray(toks, cJSON_CreateString(e->tokens[i]));
    }
    char *s = cJSON_PrintUnformatted(o);
    if (s) {
        puts(s);
        free(s);
    }
    cJSON_Delete(o);
}

int dcl_cmd_tokenize(int argc, char **argv)
{
    const char *model = NULL, *text = NULL, *file = NULL, *pair_file = NULL, *maxlen = NULL;
    int special = 1, bench = 0, verbose = 0;
    for (int i = 1; i < argc; i++) {
        const char **dst = NULL;
        if (!strcmp(argv[i], "--model"))
            dst = &model;
        else if (!strcmp(argv[i], "--text"))
            dst = &text;
        else if (!strcmp(argv[i], "--file"))
            dst = &file;
        else if (!strcmp(argv[i], "--pair-file"))
            dst = &pair_file;
        else if (!strcmp(argv[i], "--max-length"))
            dst = &maxlen;
        else if (!strcmp(argv[i], "--no-special-tokens"))
            special = 0;
        else if (!strcmp(argv[i], "--bench"))
            bench = 1;
        else if (!strcmp(argv[i], "--verbose"))
            verbose = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "debertacl tokenize: unknown option %s\n", argv[i]);
            return 2;
        }
        if (dst && !(*dst = dcl_cli_value(argc, argv, &i)))
            return 2;
    }
    if (!model || (!text == !file)) {
        fprintf(stderr, "debertacl tokenize: needs --model and one of --text, --file\n");
        return 2;
    }
    dcl_tokenize_params p = dcl_tokenize_default_params();
    p.add_special_tokens = special;
    if (maxlen) {
        char *end = NULL;
        long v = strtol(maxlen, &end, 10);
        if (!end || *end || v <= 0) {
            fprintf(stderr, "debertacl tokenize: --max-length needs a positive integer\n");
            return 2;
        }
        p.max_length = (size_t)v;
        p.truncation = DCL_TRUNCATE_LONGEST_FIRST;
    }
    dcl_tokenizer *tok = NULL;
    dcl_status st = dcl_tokenizer_load(model, &tok);
    if (st != DCL_OK) {
        dcl_cli_error("loading the tokenizer", st);
        return 2;
    }
    if (verbose)
        fprintf(stderr, "debertacl tokenize: %s: %s\n", model, dcl_tok_source_string(dcl_tokenizer_source(tok)));
    char *data = NULL, *pdata = NULL;
    size_t dlen = 0, plen = 0;
    char **lines = NULL, **plines = NULL;
    size_t *lens = NULL, *plens = NULL, n = 0, pn = 0;
    int rc = 0;
    if (file) {
        if (cli_read_file(file, &data, &dlen) != 0) {
            fprintf(stderr, "debertacl tokenize: --file: %s\n", cli_error_text());
            rc = 2;
            goto done;
        }
        n = split_lines(data, dlen, &lines, &lens);
    } else {
        n = 1;
        lines = malloc(sizeof *lines);
        lens = malloc(sizeof *lens);
        if (lines && lens) {
            lines[0] = (char *)text;
            lens[0] = strlen(text);
        } else {
            n = (size_t)-1;
        }
    }
    if (pair_file) {
        if (cli_read_file(pair_file, &pdata, &plen) != 0) {
            fprintf(stderr, "debertacl tokenize: --pair-file: %s\n", cli_error_text());
            rc = 2;
            goto done;
        }
        pn = split_lines(pdata, plen, &plines, &plens);
        if (pn != n) {
            fprintf(stderr, "debertacl tokenize: --pair-file has %zu lines, the input %zu\n", pn, n);
            rc = 2;
            goto done;
        }
    }
    if (n == (size_t)-1) {
        fprintf(stderr, "debertacl tokenize: out of memory\n");
        rc = 1;
        goto done;
    }
    double t0 = cli_now();
    size_t tokens = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        dcl_encoding *e = NULL;
        st = plines ? dcl_tokenizer_encode_pair(tok, lines[i], lens[i], plines[i], plens[i], &p, &e)
                    : dcl_tokenizer_encode(tok, lines[i], lens[i], &p, &e);
        if (st != DCL_OK) {
            char what[64];
            snprintf(what, sizeof what, "line %zu", i + 1);
            dcl_cli_error(what, st);
            rc = 2;
            goto done;
        }
        tokens += e->length;
        bytes += lens[i] + (plines ? plens[i] : 0);
        if (!bench)
            print_encoding(e);
        dcl_encoding_free(e);
    }
    if (bench) {
        double secs = cli_now() - t0;
        char s1[64], s2[64], s3[64];
        cli_format_double(s1, sizeof s1, secs);
        cli_format_double(s2, sizeof s2, secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
        cli_format_double(s3, sizeof s3, secs > 0 ? (double)tokens / secs : 0.0);
        printf("{\"lines\": %zu, \"bytes\": %zu, \"tokens\": %zu, \"seconds\": %s, \"mb_per_s\": %s, "
               "\"tokens_per_s\": %s}\n",
               n, bytes, tokens, s1, s2, s3);
    }
done:
    free(lines);
    free(lens);
    free(plines);
    free(plens);
    free(data);
    free(pdata);
    dcl_tokenizer_free(tok);
    return rc;
}
