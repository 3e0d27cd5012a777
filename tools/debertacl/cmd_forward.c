/* debertacl forward: the encoder on ids from a JSON file, outputs to safetensors.
 * debertacl bench: time the encoder on a model folder or a synthesised preset. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct fwd_opts {
    const char *model, *synthetic, *input, *output, *device, *json_out;
    int hidden_states, attentions, batch, length, runs, warmup, profile;
} fwd_opts;

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

static int parse(int argc, char **argv, fwd_opts *o, int bench)
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct run_state {
    dcl_context *ctx;
    dcl_model *model;
    dcl_model_info info;
    double t_context, t_model;
} run_state;

static int open_model(const fwd_opts *o, int profiling, run_state *r)
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

static void close_model(run_state *r)
{
    dcl_model_free(r->model);
    dcl_context_free(r->ctx);
}

int dcl_cmd_forward(int argc, char **argv)
{
    fwd_opts o;
    int rc = parse(argc, argv, &o, 0);
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
    run_state r;
    if ((rc = open_model(&o, 0, &r))) {
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
    close_model(&r);
    return rc;
}

/* The bench progress line on stderr (rewritten in place on a terminal); what == NULL clears it. */
static void progress(const char *what, int i, int n)
{
    static int tty = -1;
    if (tty < 0)
        tty = isatty(fileno(stderr));
    if (!what) {
        if (tty)
            fprintf(stderr, "\r\033[K");
        return;
    }
    if (tty)
        fprintf(stderr, "\r\033[Kbench: %s %d/%d", what, i, n);
    else if (i == n)
        fprintf(stderr, "bench: %s %d/%d\n", what, i, n);
    fflush(stderr);
}

int dcl_cmd_bench(int argc, char **argv)
{
    fwd_opts o;
    int rc = parse(argc, argv, &o, 1);
    if (rc == -1) {
        printf("usage: debertacl bench (--model DIR | --synthetic PRESET) [--batch 8] [--length 128] [--runs 10]\n"
               "                       [--warmup 2] [--profile] [--json [FILE]] [--device SPEC]\n"
               "Times dcl_encode (wall clock, ending in clFinish) on random ids: cold start (context, model,\n"
               "first pass with kernel builds) apart from warm runs (median of --runs after --warmup).\n"
               "--profile adds one profiled pass and splits its device time by OpenCL events (debertacl\n"
               "profile gives the full table). --json writes the results as JSON to FILE, or to stdout\n"
               "without FILE (or with \"-\"). A progress line goes to stderr.\n");
        return 0;
    }
    if (rc)
        return rc;
    run_state r;
    if ((rc = open_model(&o, o.profile, &r)))
        return rc;
    const int B = o.batch, L = o.length;
    int32_t *ids = malloc((size_t)B * L * sizeof *ids);
    double *times = malloc((size_t)o.runs * sizeof *times);
    dcl_session *s = NULL, *sp_s = NULL;
    rc = 1;
    if (!ids || !times)
        goto out;
    uint64_t seed = 12345;
    for (int i = 0; i < B * L; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = (int32_t)((seed >> 33) % (uint64_t)r.info.vocab_size);
    }
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = B;
    sp.max_length = L;
    double t0 = cli_now();
    dcl_status st = dcl_session_create(r.model, &sp, &s);
    double t_session = cli_now() - t0;
    dcl_batch b = {B, L, ids, NULL, NULL, NULL};
    double t_first = 0;
    if (st == DCL_OK) {
        t0 = cli_now();
        st = dcl_encode(s, &b, NULL);
        t_first = cli_now() - t0;
    }
    for (int i = 0; i < o.warmup && st == DCL_OK; i++) {
        progress("warm-up", i + 1, o.warmup);
        st = dcl_encode(s, &b, NULL);
    }
    for (int i = 0; i < o.runs && st == DCL_OK; i++) {
        progress("run", i + 1, o.runs);
        t0 = cli_now();
        st = dcl_encode(s, &b, NULL);
        times[i] = cli_now() - t0;
    }
    dcl_timings prof = {0};
    double prof_transfer = 0, prof_idle = 0, prof_span = 0;
    if (st == DCL_OK && o.profile) {
        progress("profiled pass", 1, 1);
        sp.profile = 1;
        st = dcl_session_create(r.model, &sp, &sp_s);
        if (st == DCL_OK)
            st = dcl_encode(sp_s, &b, NULL); /* warm the profiled session's path */
        if (st == DCL_OK)
            st = dcl_encode(sp_s, &b, NULL);
        const dcl_profile_record *rec = NULL;
        size_t n = 0;
        if (st == DCL_OK && (st = dcl_session_profile(sp_s, &rec, &n)) == DCL_OK) {
            dcl_session_timings(sp_s, &prof);
            uint64_t reach = n ? rec[0].end_ns : 0;
            for (size_t i = 0; i < n; i++) {
                if (rec[i].op_class == DCL_OPC_TRANSFER)
                    prof_transfer += (double)(rec[i].end_ns - rec[i].start_ns) * 1e-9;
                if (rec[i].start_ns > reach)
                    prof_idle += (double)(rec[i].start_ns - reach) * 1e-9;
                if (rec[i].end_ns > reach)
                    reach = rec[i].end_ns;
            }
            prof_span = n ? (double)(reach - rec[0].start_ns) * 1e-9 : 0;
        }
    }
    progress(NULL, 0, 0);
    if (st != DCL_OK) {
        dcl_cli_error("bench", st);
        goto out;
    }
    qsort(times, (size_t)o.runs, sizeof *times, cmp_double);
    double med = o.runs % 2 ? times[o.runs / 2] : 0.5 * (times[o.runs / 2 - 1] + times[o.runs / 2]);
    dcl_device_info dev;
    dcl_context_device_info(r.ctx, &dev);
    int text_out = !o.json_out || strcmp(o.json_out, "-");
    if (text_out) {
        printf("device: %s (%s, driver %s)\n", dev.name, dev.platform_name, dev.driver_version);
        printf("model: %s%s (%s, %d layers, hidden %d, %.1f M parameters)\n", o.model ? o.model : o.synthetic,
               o.model ? "" : " [synthesised]", r.info.model_type, r.info.num_layers, r.info.hidden_size,
               r.info.parameters / 1e6);
        printf("cold: context %.3f s, model %.3f s, session %.3f s, first pass %.3f s\n", r.t_context, r.t_model,
               t_session, t_first);
        printf("warm: batch %d x %d, median %.4f s over %d runs (min %.4f, max %.4f); %.1f sequences/s\n", B, L, med,
               o.runs, times[0], times[o.runs - 1], B / med);
        if (o.profile)
            printf("profile (one pass, OpenCL events): wall %.4f s; GEMM %.4f s (%u calls), kernels %.4f s "
                   "(%u launches), transfers %.4f s, idle between them %.4f s, host outside them %.4f s\n",
                   prof.total_seconds, prof.gemm_seconds, prof.gemm_calls, prof.kernel_seconds, prof.kernel_launches,
                   prof_transfer, prof_idle, prof.total_seconds - prof_span);
    }
    if (o.json_out) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "tool", "debertacl bench");
        cJSON_AddNumberToObject(j, "format_version", 1);
        cJSON_AddStringToObject(j, "version", dcl_version_string());
        cJSON_AddStringToObject(j, "device", dev.name);
        cJSON_AddStringToObject(j, "driver", dev.driver_version);
        cJSON_AddStringToObject(j, "model", o.model ? o.model : o.synthetic);
        cJSON_AddNumberToObject(j, "batch", B);
        cJSON_AddNumberToObject(j, "length", L);
        cJSON_AddNumberToObject(j, "runs", o.runs);
        cJSON_AddNumberToObject(j, "median_s", med);
        cJSON_AddNumberToObject(j, "min_s", times[0]);
        cJSON_AddNumberToObject(j, "max_s", times[o.runs - 1]);
        cJSON_AddNumberToObject(j, "cold_context_s", r.t_context);
        cJSON_AddNumberToObject(j, "cold_model_s", r.t_model);
        cJSON_AddNumberToObject(j, "cold_first_pass_s", t_first);
        if (o.profile) {
            cJSON_AddNumberToObject(j, "profile_total_s", prof.total_seconds);
            cJSON_AddNumberToObject(j, "profile_gemm_s", prof.gemm_seconds);
            cJSON_AddNumberToObject(j, "profile_kernels_s", prof.kernel_seconds);
            cJSON_AddNumberToObject(j, "profile_transfers_s", prof_transfer);
            cJSON_AddNumberToObject(j, "profile_idle_s", prof_idle);
            cJSON_AddNumberToObject(j, "profile_gemm_calls", prof.gemm_calls);
            cJSON_AddNumberToObject(j, "profile_kernel_launches", prof.kernel_launches);
        }
        cJSON_AddStringToObject(j, "status", "ok");
        char *text = cJSON_Print(j);
        cJSON_Delete(j);
        if (text && !text_out) {
            int ok = puts(text) >= 0 && fflush(stdout) == 0;
            free(text);
            text = NULL;
            if (ok)
                goto written;
        }
        if (!text || cli_write_file_atomic(o.json_out, text, strlen(text)) != 0) {
            fprintf(stderr, "debertacl bench: cannot write %s\n", o.json_out);
            free(text);
            goto out;
        }
        free(text);
    }
written:
    rc = 0;
out:
    dcl_session_free(sp_s);
    dcl_session_free(s);
    free(ids);
    free(times);
    close_model(&r);
    return rc;
}
