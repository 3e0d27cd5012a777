/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl forward: the encoder on ids from a JSON file, outputs to safetensors; the option
 * parser and model opening shared with debertacl bench (cmd_bench.c). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* [[...], ...] of equal-length rows of integers */
static int32_t *read_matrix(cJSON *arr, const char *what, int *B, int *L)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
        fprintf(stderr, "debertacl forward: %s must be a non-empty list of lists\n", what);
        return NULL;
    }
    int rows = cJSON_GetArraySize(arr), cols = cJSON_GetArraySize(cJSON_GetArrayItem(arr, 0));
    if (*B && (rows != *B || cols != *L)) {
        fprintf(stderr, "debertacl forward: %s is %d x %d but input_ids is %d x %d\n", what, rows, cols, *B, *L);
        return NULL;
    }
    if (cols == 0) {
        fprintf(stderr, "debertacl forward: %s has empty rows\n", what);
        return NULL;
    }
    int32_t *out = malloc((size_t)rows * (size_t)cols * sizeof *out);
    if (!out) {
        fprintf(stderr, "debertacl forward: out of memory for %s (%d x %d)\n", what, rows, cols);
        return NULL;
    }
    int r = 0;
    cJSON *row;
    cJSON_ArrayForEach(row, arr)
    {
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != cols) {
            fprintf(stderr, "debertacl forward: %s row %d does not have %d entries (pad the rows to one length)\n",
                    what, r, cols);
            free(out);
            return NULL;
        }
        int c = 0;
        cJSON *v;
        cJSON_ArrayForEach(v, row)
        {
            /* range first: converting an out-of-range double is undefined */
            if (!cJSON_IsNumber(v) || !(v->valuedouble >= INT32_MIN && v->valuedouble <= INT32_MAX) ||
                v->valuedouble != (double)(int32_t)v->valuedouble) {
                fprintf(stderr, "debertacl forward: %s[%d][%d] is not an integer\n", what, r, c);
                free(out);
                return NULL;
            }
            out[(size_t)r * cols + c++] = (int32_t)v->valuedouble;
        }
        r++;
    }
    *B = rows;
    *L = cols;
    return out;
}

int dcl_cli_fwd_parse(int argc, char **argv, dcl_cli_fwd_opts *o, int bench)
{
    memset(o, 0, sizeof *o);
    o->batch = 8;
    o->length = 128;
    o->runs = bench ? 10 : 1;
    o->warmup = bench ? 2 : 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define VAL(field)                                                                                                 \
    do {                                                                                                           \
        if (!(o->field = dcl_cli_value(argc, argv, &i)))                                                           \
            return 2;                                                                                              \
    } while (0)
#define INT(field)                                                                                                 \
    do {                                                                                                           \
        const char *v = dcl_cli_value(argc, argv, &i);                                                             \
        char *end;                                                                                                 \
        long x = v ? strtol(v, &end, 10) : 0;                                                                      \
        if (!v || *end || x < 0 || x > 1000000) {                                                                  \
            fprintf(stderr, "debertacl %s: %s needs a count\n", argv[0], a);                                        \
            return 2;                                                                                              \
        }                                                                                                          \
        o->field = (int)x;                                                                                         \
    } while (0)
        if (!strcmp(a, "--model"))
            VAL(model);
        else if (!strcmp(a, "--synthetic"))
            VAL(synthetic);
        else if (!strcmp(a, "--input"))
            VAL(input);
        else if (!strcmp(a, "--output"))
            VAL(output);
        else if (!strcmp(a, "--device"))
            VAL(device);
        else if (!strcmp(a, "--json")) /* FILE, or "-" / nothing: stdout */
            o->json_out = i + 1 < argc && strncmp(argv[i + 1], "--", 2) ? argv[++i] : "-";
        else if (!strcmp(a, "--hidden-states"))
            o->hidden_states = 1;
        else if (!strcmp(a, "--attentions"))
            o->attentions = 1;
        else if (!strcmp(a, "--profile"))
            o->profile = 1;
        else if (!strcmp(a, "--batch"))
            INT(batch);
        else if (!strcmp(a, "--length"))
            INT(length);
        else if (!strcmp(a, "--runs"))
            INT(runs);
        else if (!strcmp(a, "--warmup"))
            INT(warmup);
        else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return -1;
        else {
            fprintf(stderr, "debertacl %s: unknown option %s\n", argv[0], a);
            return 2;
        }
#undef VAL
#undef INT
    }
    if (!o->model == !o->synthetic) {
        fprintf(stderr, "debertacl %s: give --model DIR or --synthetic PRESET\n", argv[0]);
        return 2;
    }
    if (o->batch < 1 || o->length < 1 || o->runs < 1) {
        fprintf(stderr, "debertacl %s: --batch, --length and --runs must be at least 1\n", argv[0]);
        return 2;
    }
    return 0;
}

int dcl_cli_open_model(const dcl_cli_fwd_opts *o, int profiling, dcl_cli_run_state *r)
{
    memset(r, 0, sizeof *r);
    dcl_context_params cp = dcl_context_default_params();
    cp.device = dcl_cli_device_spec(o->device);
    cp.profiling = profiling;
    double t0 = cli_now();
    dcl_status st = dcl_context_create(&cp, &r->ctx);
    if (st != DCL_OK) {
        dcl_cli_error("creating the OpenCL context", st);
        return 1;
    }
    r->t_context = cli_now() - t0;
    t0 = cli_now();
    dcl_model_params mp = dcl_model_default_params();
    st = o->model ? dcl_model_load(r->ctx, o->model, &mp, &r->model)
                  : dcl_model_synthesize(r->ctx, o->synthetic, &mp, &r->model);
    r->t_model = cli_now() - t0;
    if (st != DCL_OK) {
        dcl_cli_error(o->model ? "loading the model" : "synthesising the model", st);
        dcl_context_free(r->ctx);
        return st == DCL_ERR_IO || st == DCL_ERR_FORMAT || st == DCL_ERR_UNSUPPORTED ? 2 : 1;
    }
    dcl_model_get_info(r->model, &r->info);
    return 0;
}

void dcl_cli_close_model(dcl_cli_run_state *r)
{
    dcl_model_free(r->model);
    dcl_context_free(r->ctx);
}

int dcl_cmd_forward(int argc, char **argv)
{
    dcl_cli_fwd_opts o;
    int rc = dcl_cli_fwd_parse(argc, argv, &o, 0);
    if (rc == -1) {
        printf("usage: debertacl forward (--model DIR | --synthetic PRESET) --input IN.json --output OUT.safetensors\n"
               "                         [--hidden-states] [--attentions] [--device SPEC]\n"
               "IN.json: {\"input_ids\": [[...]], \"attention_mask\": [[...]], \"token_type_ids\": [[...]]}\n"
               "(mask and types optional). OUT.safetensors: float32 last_hidden_state [B, L, H], and with the\n"
               "flags hidden_states.K [B, L, H] (K = 0 embeddings .. num_layers) and attentions.K [B, heads, L, L].\n");
        return 0;
    }
    if (rc)
        return rc;
    if (!o.input || !o.output) {
        fprintf(stderr, "debertacl forward: --input and --output are required\n");
        return 2;
    }
    char *text;
    size_t len;
    if (cli_read_file(o.input, &text, &len) != 0) {
        fprintf(stderr, "debertacl forward: %s\n", cli_error_text());
        return 2;
    }
    cJSON *in = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(in)) {
        fprintf(stderr, "debertacl forward: %s is not a JSON object\n", o.input);
        cJSON_Delete(in);
        return 2;
    }
    int B = 0, L = 0;
    int32_t *ids = read_matrix(cJSON_GetObjectItem(in, "input_ids"), "input_ids", &B, &L), *mask = NULL, *types = NULL;
    if (ids && cJSON_GetObjectItem(in, "attention_mask"))
        mask = read_matrix(cJSON_GetObjectItem(in, "attention_mask"), "attention_mask", &B, &L);
    if (ids && cJSON_GetObjectItem(in, "token_type_ids"))
        types = read_matrix(cJSON_GetObjectItem(in, "token_type_ids"), "token_type_ids", &B, &L);
    int bad = !ids || (cJSON_GetObjectItem(in, "attention_mask") && !mask) ||
              (cJSON_GetObjectItem(in, "token_type_ids") && !types);
    cJSON_Delete(in);
    if (bad) {
        free(ids);
        free(mask);
        free(types);
        return 2;
    }
    dcl_cli_run_state r;
    if ((rc = dcl_cli_open_model(&o, 0, &r))) {
        free(ids);
        free(mask);
        free(types);
        return rc;
    }
    const int NL = r.info.num_layers, NH = r.info.num_heads, H = r.info.hidden_size;
    const size_t T = (size_t)B * L;
    int count = 1 + (o.hidden_states ? NL + 1 : 0) + (o.attentions ? NL : 0);
    float **data = calloc((size_t)count, sizeof *data);
    char **names = calloc((size_t)count, sizeof *names);
    int64_t(*shapes)[4] = calloc((size_t)count, sizeof *shapes);
    int *ndims = calloc((size_t)count, sizeof *ndims);
    float **hs = o.hidden_states ? calloc((size_t)NL + 1, sizeof *hs) : NULL;
    float **at = o.attentions ? calloc((size_t)NL, sizeof *at) : NULL;
    int k = 0, oom = !data || !names || !shapes || !ndims || (o.hidden_states && !hs) || (o.attentions && !at);
    for (int i = 0; i < count && !oom; i++) {
        int is_attn = i > (o.hidden_states ? NL + 1 : 0);
        size_t n = is_attn ? (size_t)B * NH * L * L : T * H;
        data[i] = malloc(n * sizeof(float));
        names[i] = malloc(32);
        oom = !data[i] || !names[i];
        if (oom)
            break;
        ndims[i] = is_attn ? 4 : 3;
        shapes[i][0] = B;
        shapes[i][1] = is_attn ? NH : L;
        shapes[i][2] = L;
        shapes[i][3] = L;
        if (!is_attn)
            shapes[i][2] = H;
        if (i == 0)
            snprintf(names[i], 32, "last_hidden_state");
        else if (!is_attn) {
            snprintf(names[i], 32, "hidden_states.%d", i - 1);
            hs[i - 1] = data[i];
        } else {
            k = i - 1 - (o.hidden_states ? NL + 1 : 0);
            snprintf(names[i], 32, "attentions.%d", k);
            at[k] = data[i];
        }
    }
    rc = 1;
    if (oom) {
        fprintf(stderr, "debertacl forward: out of memory for the outputs\n");
    } else {
        dcl_session_params sp = dcl_session_default_params();
        sp.max_batch = B;
        sp.max_length = L;
        dcl_session *s = NULL;
        dcl_status st = dcl_session_create(r.model, &sp, &s);
        if (st == DCL_OK) {
            dcl_batch b = {B, L, ids, mask, types, NULL};
            dcl_outputs out = {data[0], hs, at};
            st = dcl_encode(s, &b, &out);
        }
        if (st != DCL_OK) {
            dcl_cli_error("forward", st);
            rc = st == DCL_ERR_RANGE || st == DCL_ERR_INVALID_ARGUMENT ? 2 : 1;
        } else {
            /* every tensor: 1 + (num_layers + 1) + num_layers of them with both flags */
            const int64_t **shp = malloc((size_t)count * sizeof *shp);
            const float **dp = malloc((size_t)count * sizeof *dp);
            const char **nm = malloc((size_t)count * sizeof *nm);
            const int c = count;
            for (int i = 0; shp && dp && nm && i < c; i++) {
                shp[i] = shapes[i];
                dp[i] = data[i];
                nm[i] = names[i];
            }
            int wrote = shp && dp && nm ? cli_st_write_f32(o.output, c, nm, ndims, shp, dp) == 0 : 0;
            if (!shp || !dp || !nm)
                fprintf(stderr, "debertacl forward: out of memory for the output list\n");
            else if (!wrote)
                fprintf(stderr, "debertacl forward: writing the output: %s\n", cli_error_text());
            free(shp);
            free(dp);
            free(nm);
            if (wrote) {
                dcl_timings t;
                dcl_session_timings(s, &t);
                printf("%s: %d x %d through %s (%d layers) in %.3f s; wrote %d tensor%s to %s\n",
                       o.model ? o.model : o.synthetic, B, L, r.info.model_type, NL, t.total_seconds, c,
                       c == 1 ? "" : "s", o.output);
                rc = 0;
            }
        }
        dcl_session_free(s);
    }
    for (int i = 0; i < count && data && names; i++) {
        free(data[i]);
        free(names[i]);
    }
    free(data);
    free(names);
    free(shapes);
    free(ndims);
    free(hs);
    free(at);
    free(ids);
    free(mask);
    free(types);
    dcl_cli_close_model(&r);
    return rc;
}
