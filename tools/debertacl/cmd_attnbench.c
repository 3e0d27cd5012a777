/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl attnbench: the fused attention against the materialised one over sequence lengths,
 * and packed against padded batches on an NLI-like length mix. Interleaved rounds (A, B, A, B, ...),
 * the median of per-round ratios; wall clock around each call, which ends in clFinish. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cjson/cJSON.h>
#include "cli.h"

typedef struct ab_opts {
    const char *model, *synthetic, *device, *json_out, *path;
    const char *lengths;
    int batch, rounds, mix, mix_batch, max_len, warmup;
    uint64_t seed;
} ab_opts;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

static uint64_t rng_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

static double rng_unit(uint64_t *s) { return ((double)rng_next(s) + 0.5) / 9007199254740992.0; /* 2^53 */ }

static int usage(void)
{
    printf("usage: debertacl attnbench (--model DIR | --synthetic PRESET) [--device SPEC] [--json FILE]\n"
           "  lengths: [--lengths 512,1024,...] [--batch 1] [--path both|fused|materialized] [--rounds 3]\n"
           "           time of one encoder pass per length, fused vs materialised attention, interleaved\n"
           "           rounds after a first pass (--rounds 0: the first pass only); a path that cannot\n"
           "           allocate reports its error as the figure; peak RSS of the process (run one --path\n"
           "           per process to see each path's memory).\n"
           "  mix:     --mix N [--mix-batch 32] [--max-len 200] [--seed 1] [--rounds 3]\n"
           "           N sequences with NLI-like lengths (20 + lognormal(log 20, 0.8), at most --max-len),\n"
           "           first-token embeddings; padded batches of --mix-batch sequences (padded to the\n"
           "           longest of each) against packed batches of up to mix-batch x max-len tokens;\n"
           "           sequences per second of each, the median ratio and the largest output difference.\n");
    return 0;
}

static int parse(int argc, char **argv, ab_opts *o)
{
    memset(o, 0, sizeof *o);
    o->batch = 1;
    o->rounds = 3;
    o->mix_batch = 32;
    o->max_len = 200;
    o->warmup = 1;
    o->seed = 1;
    o->path = "both";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
#define VAL()                                                                                                      \
    do {                                                                                                           \
        if (!(v = dcl_cli_value(argc, argv, &i)))                                                                  \
            return 2;                                                                                              \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return -1;
        VAL();
        char *end;
        long n = strtol(v, &end, 10);
        int is_num = *v && !*end && n >= 0 && n <= 100000000;
        if (!strcmp(a, "--model"))
            o->model = v;
        else if (!strcmp(a, "--synthetic"))
            o->synthetic = v;
        else if (!strcmp(a, "--device"))
            o->device = v;
        else if (!strcmp(a, "--json"))
            o->json_out = v;
        else if (!strcmp(a, "--lengths"))
            o->lengths = v;
        else if (!strcmp(a, "--path"))
            o->path = v;
        else if (is_num && !strcmp(a, "--batch"))
            o->batch = (int)n;
        else if (is_num && !strcmp(a, "--rounds"))
            o->rounds = (int)n;
        else if (is_num && !strcmp(a, "--warmup"))
            o->warmup = (int)n;
        else if (is_num && !strcmp(a, "--mix"))
            o->mix = (int)n;
        else if (is_num && !strcmp(a, "--mix-batch"))
            o->mix_batch = (int)n;
        else if (is_num && !strcmp(a, "--max-len"))
            o->max_len = (int)n;
        else if (is_num && !strcmp(a, "--seed"))
            o->seed = (uint64_t)n;
        else {
            fprintf(stderr, "debertacl %s: unknown option or bad value: %s %s\n", argv[0], a, v);
            return 2;
        }
#undef VAL
    }
    if (!o->model == !o->synthetic || (!o->lengths == !o->mix)) {
        fprintf(stderr, "debertacl %s: give --model DIR or --synthetic PRESET, and --lengths or --mix\n", argv[0]);
        return 2;
    }
    if (o->batch < 1 || (o->rounds < 1 && !o->lengths) || o->mix_batch < 1 || o->max_len < 21 ||
        (strcmp(o->path, "both") && strcmp(o->path, "fused") && strcmp(o->path, "materialized"))) {
        fprintf(stderr, "debertacl %s: bad --batch, --rounds, --mix-batch, --max-len (> 20) or --path\n", argv[0]);
        return 2;
    }
    return 0;
}

typedef struct bench {
    dcl_context *ctx;
    dcl_model *model;
    dcl_model_info info;
    dcl_device_info dev;
} bench;

static int open_bench(const ab_opts *o, bench *b)
{
    memset(b, 0, sizeof *b);
    dcl_context_params cp = dcl_context_default_params();
    cp.device = dcl_cli_device_spec(o->device);
    dcl_model_params mp = dcl_model_default_params();
    dcl_status st = dcl_context_create(&cp, &b->ctx);
    if (st == DCL_OK)
        st = o->model ? dcl_model_load(b->ctx, o->model, &mp, &b->model)
                      : dcl_model_synthesize(b->ctx, o->synthetic, &mp, &b->model);
    if (st == DCL_OK)
        st = dcl_model_get_info(b->model, &b->info);
    if (st == DCL_OK)
        st = dcl_context_device_info(b->ctx, &b->dev);
    if (st != DCL_OK) {
        dcl_cli_error("attnbench", st);
        dcl_model_free(b->model);
        dcl_context_free(b->ctx);
        return 1;
    }
    printf("device: %s (%s, driver %s)\n", b->dev.name, b->dev.platform_name, b->dev.driver_version);
    printf("model: %s (%d layers, hidden %d, %d heads)\n", o->model ? o->model : o->synthetic, b->info.num_layers,
           b->info.hidden_size, b->info.num_heads);
    return 0;
}

static void close_bench(bench *b)
{
    dcl_model_free(b->model);
    dcl_context_free(b->ctx);
}

static void random_ids(int32_t *ids, size_t n, int vocab, uint64_t *seed)
{
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)(rng_next(seed) % (uint64_t)vocab);
}

/* ---- fused vs materialised over lengths ---- */

static int run_lengths(const ab_opts *o, bench *b, cJSON *rows)
{
    const char *p = o->lengths;
    const int want_f = strcmp(o->path, "materialized") != 0, want_m = strcmp(o->path, "fused") != 0;
    printf("%7s %6s %12s %12s %9s %14s %12s\n", "length", "batch", "fused_s", "materialized_s", "ratio",
           "scores_MiB", "peak_rss_MiB");
    while (*p) {
        char *end;
        long L = strtol(p, &end, 10);
        if (end == p || L < 1 || L > 1000000) {
            fprintf(stderr, "debertacl attnbench: bad --lengths near \"%s\"\n", p);
            return 2;
        }
        p = *end == ',' ? end + 1 : end;
        const int B = o->batch;
        int32_t *ids = malloc((size_t)B * (size_t)L * sizeof *ids);
        if (!ids)
            return 1;
        uint64_t seed = o->seed;
        random_ids(ids, (size_t)B * (size_t)L, b->info.vocab_size, &seed);
        dcl_session *sf = NULL, *sm = NULL;
        dcl_session_params sp = dcl_session_default_params();
        sp.max_batch = B;
        sp.max_length = (int)L;
        char err_f[512] = "", err_m[512] = "";
        dcl_batch batch = {B, (int)L, ids, NULL, NULL, NULL};
        dcl_status st;
        double first_f = 0, first_m = 0, t0;
        /* the first pass of each (kernel builds included): the only one with --rounds 0 */
        if (want_f && ((st = dcl_session_create(b->model, &sp, &sf)) ||
                       (t0 = now_s(), st = dcl_encode(sf, &batch, NULL), first_f = now_s() - t0, st))) {
            snprintf(err_f, sizeof err_f, "%s: %s", dcl_status_string(st), dcl_last_error());
            dcl_session_free(sf);
            sf = NULL;
        }
        sp.materialized_attention = 1;
        if (want_m && ((st = dcl_session_create(b->model, &sp, &sm)) ||
                       (t0 = now_s(), st = dcl_encode(sm, &batch, NULL), first_m = now_s() - t0, st))) {
            snprintf(err_m, sizeof err_m, "%s: %s", dcl_status_string(st), dcl_last_error());
            dcl_session_free(sm);
            sm = NULL;
        }
        if (o->rounds == 0)
            printf("        first pass: fused %.3f s, materialized %.3f s (0: not run or failed)\n", first_f, first_m);
        for (int w = 1; w < o->warmup; w++) {
            if (sf)
                dcl_encode(sf, &batch, NULL);
            if (sm)
                dcl_encode(sm, &batch, NULL);
        }
        double *tf = calloc((size_t)o->rounds + 1, sizeof *tf), *tm = calloc((size_t)o->rounds + 1, sizeof *tm);
        double *ratio = calloc((size_t)o->rounds + 1, sizeof *ratio);
        for (int r = 0; r < o->rounds && tf && tm && ratio; r++) {
            t0 = now_s();
            if (sf && dcl_encode(sf, &batch, NULL) == DCL_OK)
                tf[r] = now_s() - t0;
            t0 = now_s();
            if (sm && dcl_encode(sm, &batch, NULL) == DCL_OK)
                tm[r] = now_s() - t0;
            ratio[r] = tf[r] > 0 ? tm[r] / tf[r] : 0;
        }
        const int nr = o->rounds;
        double mf = sf && nr ? median(tf, nr) : first_f, mm = sm && nr ? median(tm, nr) : first_m;
        double mr = sf && sm && nr ? median(ratio, nr) : 0;
        double scores = (double)b->info.num_heads * B * (double)L * (double)L * 4.0 / (1 << 20);
        double rss = peak_rss_mib();
        printf("%7ld %6d %12.4f %12.4f %9.3f %14.1f %12.1f\n", L, B, mf, mm, mr, scores, rss);
        if (want_f && !sf)
            printf("        fused failed: %s\n", err_f);
        if (want_m && !sm)
            printf("        materialized failed: %s\n", err_m);
        cJSON *row = cJSON_CreateObject();
        cJSON_AddNumberToObject(row, "length", (double)L);
        cJSON_AddNumberToObject(row, "batch", B);
        cJSON_AddNumberToObject(row, "rounds", o->rounds);
        cJSON_AddNumberToObject(row, "fused_first_pass_s", first_f);
        cJSON_AddNumberToObject(row, "materialized_first_pass_s", first_m);
        if (sf)
            cJSON_AddNumberToObject(row, "fused_median_s", mf);
        else if (want_f)
            cJSON_AddStringToObject(row, "fused_error", err_f);
        if (sm)
            cJSON_AddNumberToObject(row, "materialized_median_s", mm);
        else if (want_m)
            cJSON_AddStringToObject(row, "materialized_error", err_m);
        if (sf && sm)
            cJSON_AddNumberToObject(row, "median_ratio_materialized_over_fused", mr);
        cJSON_AddNumberToObject(row, "scores_buffer_mib", scores);
        cJSON_AddNumberToObject(row, "peak_rss_mib", rss);
        cJSON_AddStringToObject(row, "status", (want_f && !sf) || (want_m && !sm) ? "error" : "ok");
        cJSON_AddItemToArray(rows, row);
        free(tf);
        free(tm);
        free(ratio);
        dcl_session_free(sf);
        dcl_session_free(sm);
        free(ids);
    }
    return 0;
}

/* ---- packed vs padded on a length mix ---- */

typedef struct mix {
    int n;
    int *len;
    int32_t **ids;
} mix;

static int mix_make(const ab_opts *o, const bench *b, mix *m)
{
    uint64_t seed = o->seed;
    m->n = o->mix;
    m->len = calloc((size_t)m->n, sizeof *m->len);
    m->ids = calloc((size_t)m->n, sizeof *m->ids);
    if (!m->len || !m->ids)
        return 1;
    for (int i = 0; i < m->n; i++) {
        /* 20 + lognormal(median 20, sigma 0.8): median 40, mean about 47, a long tail to max_len */
        double u1 = rng_unit(&seed), u2 = rng_unit(&seed);
        double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        int len = 20 + (int)floor(20.0 * exp(0.8 * z));
        m->len[i] = len > o->max_len ? o->max_len : len;
        if (!(m->ids[i] = malloc((size_t)m->len[i] * sizeof(int32_t))))
            return 1;
        random_ids(m->ids[i], (size_t)m->len[i], b->info.vocab_size, &seed);
    }
    return 0;
}

static void mix_free(mix *m)
{
    for (int i = 0; m->ids && i < m->n; i++)
        free(m->ids[i]);
    free(m->ids);
    free(m->len);
}

/* One pass over the mix, padded (packed == 0) or packed; embeddings into out[n, H]. */
static dcl_status mix_pass(const ab_opts *o, dcl_session *s, const mix *m, int packed, int32_t *ids, int32_t *mask,
                           int32_t *off, int H, float *out, int *batches)
{
    const size_t budget = (size_t)o->mix_batch * (size_t)o->max_len;
    int i = 0;
    *batches = 0;
    while (i < m->n) {
        int B = 0, L = 0;
        size_t tokens = 0;
        if (packed) {
            off[0] = 0;
            while (i + B < m->n && tokens + (size_t)m->len[i + B] <= budget) {
                memcpy(ids + tokens, m->ids[i + B], (size_t)m->len[i + B] * sizeof *ids);
                tokens += (size_t)m->len[i + B];
                off[++B] = (int32_t)tokens;
            }
        } else {
            for (B = 0; B < o->mix_batch && i + B < m->n; B++)
                L = m->len[i + B] > L ? m->len[i + B] : L;
            for (int r = 0; r < B; r++)
                for (int t = 0; t < L; t++) {
                    int real = t < m->len[i + r];
                    ids[(size_t)r * L + t] = real ? m->ids[i + r][t] : 0;
                    mask[(size_t)r * L + t] = real;
                }
        }
        dcl_batch batch = {B, L, ids, packed ? NULL : mask, NULL, packed ? off : NULL};
        dcl_status st = dcl_embed(s, &batch, DCL_POOL_FIRST, 0, out + (size_t)i * H);
        if (st != DCL_OK)
            return st;
        i += B;
        ++*batches;
    }
    return DCL_OK;
}

static int run_mix(const ab_opts *o, bench *b, cJSON *rows)
{
    mix m = {0};
    const int H = b->info.hidden_size;
    const size_t budget = (size_t)o->mix_batch * (size_t)o->max_len;
    int rc = 1;
    dcl_session *s = NULL;
    int32_t *ids = malloc(budget * sizeof *ids), *mask = malloc(budget * sizeof *mask);
    int32_t *off = malloc(((size_t)o->mix + 1) * sizeof *off);
    float *e_pad = malloc((size_t)o->mix * H * sizeof(float)), *e_pack = malloc((size_t)o->mix * H * sizeof(float));
    double *tp = calloc((size_t)o->rounds, sizeof *tp), *tk = calloc((size_t)o->rounds, sizeof *tk);
    double *ratio = calloc((size_t)o->rounds, sizeof *ratio);
    if (!ids || !mask || !off || !e_pad || !e_pack || !tp || !tk || !ratio || mix_make(o, b, &m))
        goto out;
    long total = 0;
    for (int i = 0; i < m.n; i++)
        total += m.len[i];
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = o->mix_batch;
    sp.max_length = o->max_len;
    dcl_status st = dcl_session_create(b->model, &sp, &s);
    int nb_pad = 0, nb_pack = 0;
    /* warm-up: both ways once */
    if (st == DCL_OK)
        st = mix_pass(o, s, &m, 0, ids, mask, off, H, e_pad, &nb_pad);
    if (st == DCL_OK)
        st = mix_pass(o, s, &m, 1, ids, mask, off, H, e_pack, &nb_pack);
    for (int r = 0; r < o->rounds && st == DCL_OK; r++) {
        double t0 = now_s();
        st = mix_pass(o, s, &m, 0, ids, mask, off, H, e_pad, &nb_pad);
        tp[r] = now_s() - t0;
        t0 = now_s();
        if (st == DCL_OK)
            st = mix_pass(o, s, &m, 1, ids, mask, off, H, e_pack, &nb_pack);
        tk[r] = now_s() - t0;
        ratio[r] = tp[r] / tk[r];
    }
    if (st != DCL_OK) {
        dcl_cli_error("attnbench --mix", st);
        goto out;
    }
    double worst = 0;
    for (size_t i = 0; i < (size_t)m.n * H; i++) {
        double d = fabs((double)e_pad[i] - (double)e_pack[i]);
        worst = d > worst || isnan(d) ? d : worst;
    }
    double mp = median(tp, o->rounds), mk = median(tk, o->rounds), mr = median(ratio, o->rounds);
    printf("mix: %d sequences, %ld real tokens (mean %.1f, max %d); padded %d batches of up to %d sequences, "
           "packed %d batches of up to %zu tokens\n",
           m.n, total, (double)total / m.n, o->max_len, nb_pad, o->mix_batch, nb_pack, budget);
    printf("padded: median %.3f s (%.1f sequences/s); packed: median %.3f s (%.1f sequences/s); "
           "median per-round ratio %.2fx over %d rounds; largest embedding difference %.2e\n",
           mp, m.n / mp, mk, m.n / mk, mr, o->rounds, worst);
    cJSON *row = cJSON_CreateObject();
    cJSON_AddNumberToObject(row, "sequences", m.n);
    cJSON_AddNumberToObject(row, "tokens", (double)total);
    cJSON_AddNumberToObject(row, "mix_batch", o->mix_batch);
    cJSON_AddNumberToObject(row, "max_len", o->max_len);
    cJSON_AddNumberToObject(row, "rounds", o->rounds);
    cJSON_AddNumberToObject(row, "padded_median_s", mp);
    cJSON_AddNumberToObject(row, "packed_median_s", mk);
    cJSON_AddNumberToObject(row, "padded_seq_per_s", m.n / mp);
    cJSON_AddNumberToObject(row, "packed_seq_per_s", m.n / mk);
    cJSON_AddNumberToObject(row, "median_ratio_padded_over_packed", mr);
    cJSON_AddNumberToObject(row, "max_abs_diff", worst);
    cJSON_AddStringToObject(row, "status", "ok");
    cJSON_AddItemToArray(rows, row);
    rc = 0;
out:
    dcl_session_free(s);
    mix_free(&m);
    free(ids);
    free(mask);
    free(off);
    free(e_pad);
    free(e_pack);
    free(tp);
    free(tk);
    free(ratio);
    return rc;
}

int dcl_cmd_attnbench(int argc, char **argv)
{
    ab_opts o;
    int rc = parse(argc, argv, &o);
    if (rc == -1)
        return usage();
    if (rc)
        return rc;
    bench b;
    if ((rc = open_bench(&o, &b)))
        return rc;
    printf("(interleaved rounds on a shared machine: ratios are the median of per-round ratios)\n");
    cJSON *doc = cJSON_CreateObject(), *rows = cJSON_CreateArray();
    cJSON_AddStringToObject(doc, "tool", "debertacl attnbench");
    cJSON_AddNumberToObject(doc, "format_version", 1);
    cJSON_AddStringToObject(doc, "version", dcl_version_string());
    cJSON_AddStringToObject(doc, "device", b.dev.name);
    cJSON_AddStringToObject(doc, "driver", b.dev.driver_version);
    cJSON_AddStringToObject(doc, "model", o.model ? o.model : o.synthetic);
    rc = o.lengths ? run_lengths(&o, &b, rows) : run_mix(&o, &b, rows);
    cJSON_AddItemToObject(doc, o.lengths ? "lengths" : "mix", rows);
    if (rc == 0 && o.json_out) {
        char *text = cJSON_Print(doc);
        FILE *f = text ? fopen(o.json_out, "w") : NULL;
        if (!f || fputs(text, f) < 0) {
            fprintf(stderr, "debertacl attnbench: cannot write %s\n", o.json_out);
            rc = 1;
        }
        if (f)
            fclose(f);
        free(text);
    }
    cJSON_Delete(doc);
    close_bench(&b);
    return rc;
}
