/* SPDX-License-Identifier: Apache-2.0 */
/* The tuner (dcl_tune): per kernel and GEMM shape class, a search over its tunables on the
 * model's real shapes. Small spaces are measured whole; large ones (CLBlast's Xgemm) get a random
 * sample, then local refinement around the best (one parameter one step at a time), in the
 * spirit of CLBlast's tuner and Kernel Tuner. Candidates are timed with OpenCL events (markers
 * around the work on the profiling queue) and refused when their output is off the output of
 * the parameters in force before tuning (the shipped profile) by more than 1e-5 relative. */
#include "tuner.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemm.h"
#include "model.h"
#include "profiles.h"
#include "relpos.h"
#include "tuner_internal.h"
static double now(void) { return dcl_now(); }

/* ---- candidates ---- */

static void config_string(const space *sp, const int *idx, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int p = 0; p < sp->n; p++) {
        /* with the CLBlast route the cl/gemm_cpu.cl blocking does not matter */
        if ((sp->kernel == K_GEMM_NT || sp->kernel == K_GEMM_NN) && p > 0 && sp->v[0][idx[0]] == DCL_GEMM_ROUTE_CLBLAST)
            break;
        int n = snprintf(buf + len, cap - len, "%s%s=%ld", len ? " " : "", dcl_tunables[sp->id[p]].name,
                         sp->v[p][idx[p]]);
        if (n < 0 || (size_t)n >= cap - len)
            break;
        len += (size_t)n;
    }
}

static void xgemm_fill(long *v);

/* Puts the candidate's values (on top of the best so far) into the context. */
static dcl_status install(tuner *tn, const space *sp, const int *idx)
{
    long *v = tn->ctx->tuning->value;
    memcpy(v, tn->best, sizeof tn->best);
    for (int p = 0; sp && p < sp->n; p++)
        v[sp->id[p]] = sp->v[p][idx[p]];
    if (sp && sp->kernel == K_XGEMM) {
        xgemm_fill(v);
        v[DCL_T_GEMM_ROUTE_NT] = DCL_GEMM_ROUTE_CLBLAST;
        v[DCL_T_GEMM_ROUTE_NN] = DCL_GEMM_ROUTE_CLBLAST;
    }
    dcl_status st = dcl_gemm_retune(tn->ctx);
    if (st != DCL_OK)
        return st;
    if (tn->ops_ok)
        dcl_ops_release(&tn->ops);
    tn->ops_ok = 0;
    st = dcl_ops_init(tn->ctx, &tn->ops);
    tn->ops_ok = st == DCL_OK;
    if (tn->attn_ok)
        dcl_attn_release(&tn->attn);
    tn->attn_ok = 0;
    if (st == DCL_OK) /* the padded batch the tuner times */
        st = dcl_attn_init(tn->ctx, (unsigned)tn->D, (unsigned)tn->NH, tn->T, &tn->attn);
    if (st == DCL_OK) {
        tn->attn_ok = 1;
        st = dcl_attn_layout(&tn->attn, (unsigned)tn->B, (unsigned)tn->L, NULL);
    }
    return st;
}

static void report(tuner *tn)
{
    tn->prog.elapsed = now() - tn->t0;
    if (tn->par->progress)
        tn->par->progress(&tn->prog, tn->par->user_data);
}

/* Measures one candidate (or takes an earlier run's figure). Returns its seconds, or a negative
 * value when it is refused. */
static double evaluate(tuner *tn, const space *sp, const int *idx, dcl_tune_row *row)
{
    char conf[256], key[512];
    config_string(sp, idx, conf, sizeof conf);
    snprintf(key, sizeof key, "%s|%s|%s", sp->name, tn->shape, conf);
    const cJSON *hit = tn->db ? cJSON_GetObjectItemCaseSensitive(tn->db, key) : NULL;
    double t = -1;
    row->candidates++;
    tn->prog.candidates++;
    if (cJSON_IsNumber(hit)) {
        t = hit->valuedouble;
        row->reused++;
    } else {
        dcl_status st = install(tn, sp, idx);
        if (st == DCL_OK)
            st = dcl_tuner_measure(tn, sp->kernel, &t);
        float *out;
        size_t n;
        if (st == DCL_OK && (st = dcl_tuner_read_output(tn, sp->kernel, &out, &n)) == DCL_OK && tn->ref[sp->kernel]) {
            double d = dcl_tuner_rel_diff(out, tn->ref[sp->kernel], n);
            if (!(d <= REL_TOL)) {
                dcl_log(tn->ctx, DCL_LOG_INFO, "tune %s: %s refused, output off by %.3g relative", sp->name, conf, d);
                t = -1;
            }
        } else if (st != DCL_OK) {
            dcl_log(tn->ctx, DCL_LOG_INFO, "tune %s: %s failed: %s", sp->name, conf, dcl_thread_error());
            dcl_clear_error();
            tn->ctx->last_error[0] = '\0';
            t = -1;
        }
        if (tn->db)
            cJSON_AddItemToObject(tn->db, key, cJSON_CreateNumber(t));
    }
    if (t < 0) {
        row->rejected++;
        tn->prog.rejected++;
    }
    return t;
}

/* ---- the search spaces ---- */

static void add_param(space *sp, dcl_tunable_id id, const long *vals, int n)
{
    sp->id[sp->n] = id;
    sp->nv[sp->n] = n;
    memcpy(sp->v[sp->n], vals, (size_t)n * sizeof *vals);
    sp->n++;
}

static void add_pow2(space *sp, dcl_tunable_id id, long hi, long max)
{
    long vals[MAX_V];
    int n = 0;
    for (long v = 1; v <= hi && v <= max && n < MAX_V; v *= 2)
        vals[n++] = v;
    add_param(sp, id, vals, n);
}

static size_t space_size(const space *sp)
{
    size_t s = 1;
    for (int p = 0; p < sp->n; p++)
        s *= (size_t)sp->nv[p];
    return s;
}

/* CLBlast's Xgemm constraints (GEMMK 0), and the local memory it would take. */
static int xgemm_valid(const tuner *tn, const space *sp, const int *idx)
{
    long v[DCL_T_COUNT];
    for (int p = 0; p < sp->n; p++)
        v[sp->id[p]] = sp->v[p][idx[p]];
    long mwg = v[DCL_T_MWG], nwg = v[DCL_T_NWG], kwg = v[DCL_T_KWG], mdimc = v[DCL_T_MDIMC], ndimc = v[DCL_T_NDIMC];
    long vwm = v[DCL_T_VWM], vwn = v[DCL_T_VWN], kwi = v[DCL_T_KWI];
    long mdima = mdimc, ndimb = ndimc; /* tied in this search */
    if (mwg % (mdimc * vwm) || nwg % (ndimc * vwn) || mwg % (mdima * vwm) || nwg % (ndimb * vwn) || kwg % kwi)
        return 0;
    if (kwg % ((mdimc * ndimc) / mdima) || kwg % ((mdimc * ndimc) / ndimb))
        return 0;
    if ((size_t)(mdimc * ndimc) > tn->ctx->info.max_work_group_size)
        return 0;
    uint64_t local = (uint64_t)(v[DCL_T_SA] * kwg * mwg + v[DCL_T_SB] * kwg * nwg) * sizeof(float);
    return local <= tn->ctx->info.local_mem_bytes;
}

static void xgemm_fill(long *v)
{
    v[DCL_T_GEMMK] = 0;
    v[DCL_T_KREG] = 1;
    v[DCL_T_MDIMA] = v[DCL_T_MDIMC];
    v[DCL_T_NDIMB] = v[DCL_T_NDIMC];
}

static int build_spaces(const tuner *tn, space *sp)
{
    const long maxwg = (long)tn->ctx->info.max_work_group_size;
    int n = 0;
    memset(sp, 0, K_COUNT * sizeof *sp);
    sp[n] = (space){K_LAYERNORM, "layernorm", 0, {0}, {0}, {{0}}, 0.08};
    add_pow2(&sp[n++], DCL_T_LN_WG, 1024, maxwg);
    sp[n] = (space){K_ATTENTION, "attention", 0, {0}, {0}, {{0}}, 0.08};
    add_pow2(&sp[n++], DCL_T_ATT_WG, 1024, maxwg);
    sp[n] = (space){K_ELEMENTWISE, "elementwise", 0, {0}, {0}, {{0}}, 0.06};
    add_pow2(&sp[n++], DCL_T_EW_LOCAL, 256, maxwg);
    static const long routes[] = {DCL_GEMM_ROUTE_OWN, DCL_GEMM_ROUTE_CLBLAST};
    static const long nt_cb[] = {1, 2, 4, 6, 8, 12, 16, 24, 32};
    static const long nn_rb[] = {1, 2, 4, 8, 16, 32};
    sp[n] = (space){K_GEMM_NT, "gemm_nt", 0, {0}, {0}, {{0}}, 0.2};
    add_param(&sp[n], DCL_T_GEMM_ROUTE_NT, routes, 2);
    add_param(&sp[n++], DCL_T_GEMM_NT_CB, nt_cb, 9);
    sp[n] = (space){K_GEMM_NN, "gemm_nn", 0, {0}, {0}, {{0}}, 0.13};
    add_param(&sp[n], DCL_T_GEMM_ROUTE_NN, routes, 2);
    add_param(&sp[n++], DCL_T_GEMM_NN_RB, nn_rb, 6);
    static const long mwg[] = {8, 16, 32, 64}, nwg[] = {4, 6, 8, 12, 16, 32}, kwg[] = {8, 16, 32, 64};
    static const long dim[] = {1, 2, 4, 8}, vw[] = {1, 2, 4, 8}, bit[] = {0, 1}, kwi[] = {1, 2, 4, 8};
    sp[n] = (space){K_XGEMM, "xgemm", 0, {0}, {0}, {{0}}, 0.45};
    add_param(&sp[n], DCL_T_MWG, mwg, 4);
    add_param(&sp[n], DCL_T_NWG, nwg, 6);
    add_param(&sp[n], DCL_T_KWG, kwg, 4);
    add_param(&sp[n], DCL_T_MDIMC, dim, 4);
    add_param(&sp[n], DCL_T_NDIMC, dim, 4);
    add_param(&sp[n], DCL_T_VWM, vw, 4);
    add_param(&sp[n], DCL_T_VWN, vw, 4);
    add_param(&sp[n], DCL_T_KWI, kwi, 4);
    add_param(&sp[n], DCL_T_SA, bit, 2);
    add_param(&sp[n], DCL_T_SB, bit, 2);
    add_param(&sp[n], DCL_T_STRM, bit, 2);
    add_param(&sp[n++], DCL_T_STRN, bit, 2);
    /* the fused attention (the forward's attention unless probabilities are asked for): the
     * kernel, then its shape; host/attention.c fits each candidate to the head size and device */
    static const long tq[] = {1, 2, 4, 8, 16, 32, 64}, kw[] = {8, 16}, fvw[] = {1, 4, 8, 16}, tk[] = {16, 32, 64};
    sp[n] = (space){K_FUSED, "fused_attention", 0, {0}, {0}, {{0}}, 0.15};
    add_param(&sp[n], DCL_T_FA_RB, bit, 2);
    add_param(&sp[n], DCL_T_FA_TQ, tq, 7);
    add_param(&sp[n], DCL_T_FA_KW, kw, 2);
    add_param(&sp[n], DCL_T_FA_VW, fvw, 4);
    add_param(&sp[n], DCL_T_FA_LOCAL, bit, 2);
    add_param(&sp[n++], DCL_T_FA_TK, tk, 3);
    return n;
}

/* The candidate index vector of the values in force (or the nearest listed values). */
static void current_index(const space *sp, const long *v, int *idx)
{
    for (int p = 0; p < sp->n; p++) {
        idx[p] = 0;
        for (int i = 0; i < sp->nv[p]; i++)
            if (labs(sp->v[p][i] - v[sp->id[p]]) < labs(sp->v[p][idx[p]] - v[sp->id[p]]))
                idx[p] = i;
    }
}

static void keep(tuner *tn, const space *sp, const int *idx)
{
    for (int p = 0; p < sp->n; p++)
        tn->best[sp->id[p]] = sp->v[p][idx[p]];
    if (sp->kernel == K_XGEMM)
        xgemm_fill(tn->best);
}

/* Puts the shipped parameters into the context (for Xgemm: through CLBlast). */
static dcl_status install_reference(tuner *tn, const space *sp)
{
    long saved_best[DCL_T_COUNT];
    memcpy(saved_best, tn->best, sizeof saved_best);
    memcpy(tn->best, tn->start, sizeof tn->best);
    dcl_status st = install(tn, NULL, NULL);
    if (sp->kernel == K_XGEMM) {
        tn->ctx->tuning->value[DCL_T_GEMM_ROUTE_NT] = DCL_GEMM_ROUTE_CLBLAST;
        tn->ctx->tuning->value[DCL_T_GEMM_ROUTE_NN] = DCL_GEMM_ROUTE_CLBLAST;
        if (st == DCL_OK)
            st = dcl_gemm_retune(tn->ctx);
    }
    memcpy(tn->best, saved_best, sizeof saved_best);
    return st;
}

static int cmp_seconds(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median3(double *v)
{
    qsort(v, 3, sizeof *v, cmp_seconds);
    return v[1];
}

/* The winner against the shipped parameters once more, in interleaved rounds (shipped, winner,
 * shipped, ...): a single figure of either may have caught a busy moment of the machine. Returns
 * 1 when the winner still wins; *t_ref and *t_win get the medians. */
static int confirm(tuner *tn, const space *sp, const int *win, double *t_ref, double *t_win)
{
    double a[3], b[3];
    dcl_status st = DCL_OK;
    for (int r = 0; r < 3 && st == DCL_OK; r++) {
        if ((st = install_reference(tn, sp)) == DCL_OK)
            st = dcl_tuner_measure(tn, sp->kernel, &a[r]);
        if (st == DCL_OK && (st = install(tn, sp, win)) == DCL_OK)
            st = dcl_tuner_measure(tn, sp->kernel, &b[r]);
    }
    if (st != DCL_OK) {
        dcl_clear_error();
        tn->ctx->last_error[0] = '\0';
        return 0;
    }
    *t_ref = median3(a);
    *t_win = median3(b);
    return *t_win < *t_ref;
}

/* Searches one space within `budget` seconds; row gets the summary. */
static dcl_status search(tuner *tn, const space *sp, double budget, dcl_tune_row *row)
{
    const double end = now() + budget;
    int idx[MAX_P], best_idx[MAX_P];
    dcl_strlcpy(row->kernel, sp->name, sizeof row->kernel);
    tn->prog.kernel = sp->name;
    /* the reference: the parameters in force (for Xgemm: CLBlast with the shipped values) */
    current_index(sp, tn->start, idx);
    dcl_status st = install_reference(tn, sp);
    double t_def = 0;
    if (st == DCL_OK)
        st = dcl_tuner_measure(tn, sp->kernel, &t_def);
    if (st != DCL_OK)
        return st;
    if (!tn->ref[sp->kernel] && sp->kernel != K_XGEMM) {
        float *out;
        size_t n;
        if ((st = dcl_tuner_read_output(tn, sp->kernel, &out, &n)) != DCL_OK)
            return st;
        if (!(tn->ref[sp->kernel] = malloc(n * sizeof *out)))
            return dcl_fail(tn->ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        memcpy(tn->ref[sp->kernel], out, n * sizeof *out);
        tn->ref_n[sp->kernel] = n;
    }
    double best = INFINITY;
    int have = 0;
    tn->prog.default_seconds = t_def;
    if (sp->kernel != K_XGEMM) {
        /* small spaces: every candidate, the one in force first */
        memcpy(best_idx, idx, sizeof idx);
        best = evaluate(tn, sp, idx, row);
        have = best >= 0;
        if (have) /* the same timing as every candidate (the first runs above touch fresh buffers) */
            t_def = best;
        else
            best = INFINITY;
        tn->prog.default_seconds = t_def;
        tn->prog.best_seconds = best;
        report(tn);
        size_t total = space_size(sp);
        for (size_t c = 0; c < total && now() < end; c++) {
            size_t r = c;
            for (int p = sp->n - 1; p >= 0; p--) {
                idx[p] = (int)(r % (size_t)sp->nv[p]);
                r /= (size_t)sp->nv[p];
            }
            char a[256], b[256];
            config_string(sp, idx, a, sizeof a);
            config_string(sp, best_idx, b, sizeof b);
            if (have && strcmp(a, b) == 0)
                continue;
            int dup = 0; /* the CLBlast route once, whatever the blocking */
            if ((sp->kernel == K_GEMM_NT || sp->kernel == K_GEMM_NN) && sp->v[0][idx[0]] == DCL_GEMM_ROUTE_CLBLAST)
                for (int p = 1; p < sp->n; p++)
                    dup |= idx[p] != 0;
            if (dup)
                continue;
            double t = evaluate(tn, sp, idx, row);
            if (t >= 0 && t < best) {
                best = t;
                have = 1;
                memcpy(best_idx, idx, sizeof idx);
            }
            tn->prog.best_seconds = best;
            report(tn);
        }
    } else {
        /* Xgemm: a random sample for 60% of the budget, then local refinement */
        tn->ref[K_XGEMM] = tn->ref[K_GEMM_NT]; /* the same products */
        if (xgemm_valid(tn, sp, idx)) { /* the values in force, timed like the candidates */
            memcpy(best_idx, idx, sizeof idx);
            best = evaluate(tn, sp, idx, row);
            have = best >= 0;
            if (have)
                t_def = best;
            else
                best = INFINITY;
            tn->prog.default_seconds = t_def;
        }
        const double sample_end = now() + 0.6 * budget;
        for (int tries = 0; tries < 5000 && now() < sample_end; tries++) {
            for (int p = 0; p < sp->n; p++)
                idx[p] = (int)(dcl_tuner_rand(tn) % (unsigned)sp->nv[p]);
            if (!xgemm_valid(tn, sp, idx))
                continue;
            double t = evaluate(tn, sp, idx, row);
            if (t >= 0 && t < best) {
                best = t;
                have = 1;
                memcpy(best_idx, idx, sizeof idx);
            }
            tn->prog.best_seconds = best;
            report(tn);
        }
        int improved = have;
        while (improved && now() < end) {
            improved = 0;
            for (int p = 0; p < sp->n && !improved && now() < end; p++)
                for (int dir = -1; dir <= 1 && !improved && now() < end; dir += 2) {
                    memcpy(idx, best_idx, sizeof idx);
                    idx[p] += dir;
                    if (idx[p] < 0 || idx[p] >= sp->nv[p] || !xgemm_valid(tn, sp, idx))
                        continue;
                    double t = evaluate(tn, sp, idx, row);
                    if (t >= 0 && t < best) {
                        best = t;
                        memcpy(best_idx, idx, sizeof idx);
                        improved = 1;
                    }
                    tn->prog.best_seconds = best;
                    report(tn);
                }
        }
        tn->ref[K_XGEMM] = NULL;
    }
    char a[256], b[256];
    current_index(sp, tn->start, idx);
    config_string(sp, idx, a, sizeof a);
    config_string(sp, best_idx, b, sizeof b);
    double t_ref = t_def, t_win = best;
    if (have && best < t_def && strcmp(a, b) != 0 && !confirm(tn, sp, best_idx, &t_ref, &t_win)) {
        dcl_log(tn->ctx, DCL_LOG_INFO, "tune %s: %s did not beat the shipped %s again (%.4g s vs %.4g s)", sp->name, b,
                a, t_win, t_ref);
        have = 0;
    }
    row->default_seconds = t_ref;
    tn->prog.default_seconds = t_ref;
    if (have && t_win < t_ref) {
        keep(tn, sp, best_idx);
        row->tuned_seconds = t_win;
        config_string(sp, best_idx, row->parameters, sizeof row->parameters);
    } else {
        t_def = t_ref;
        row->tuned_seconds = t_def; /* nothing beat the parameters in force */
        current_index(sp, tn->start, idx);
        config_string(sp, idx, row->parameters, sizeof row->parameters);
    }
    return DCL_OK;
}

/* ---- measurements kept between runs ---- */

static void db_open(tuner *tn)
{
    if (!tn->ctx->cache_dir)
        return;
    const dcl_device_info *d = &tn->ctx->info;
    uint64_t h = dcl_hash_str(DCL_HASH_SEED, d->platform_name);
    h = dcl_hash_str(h, d->name);
    h = dcl_hash_str(h, d->driver_version);
    h = dcl_hash_str(h, DCL_VERSION_STRING);
    char file[64];
    snprintf(file, sizeof file, "tuner/%016llx.json", (unsigned long long)h);
    tn->db_path = dcl_path_join(tn->ctx->cache_dir, file);
    char *text;
    size_t len;
    if (tn->db_path && dcl_file_exists(tn->db_path) && dcl_read_file(NULL, tn->db_path, &text, &len) == DCL_OK) {
        tn->db = cJSON_ParseWithLength(text, len);
        free(text);
        if (tn->db && !cJSON_IsObject(tn->db)) {
            cJSON_Delete(tn->db);
            tn->db = NULL;
        }
        if (!tn->db)
            dcl_log(tn->ctx, DCL_LOG_WARN, "tune: ignoring the unreadable measurements in %s", tn->db_path);
    }
    dcl_clear_error();
    if (!tn->db)
        tn->db = cJSON_CreateObject();
}

static void db_save(tuner *tn)
{
    if (!tn->db || !tn->db_path)
        return;
    char *text = cJSON_Print(tn->db);
    char *dir = dcl_path_join(tn->ctx->cache_dir, "tuner");
    if (text && dir && dcl_mkdirs(dir) == 0 && dcl_write_file_atomic(NULL, tn->db_path, text, strlen(text)) == DCL_OK)
        dcl_log(tn->ctx, DCL_LOG_DEBUG, "tune: measurements saved to %s", tn->db_path);
    else
        dcl_log(tn->ctx, DCL_LOG_WARN, "tune: cannot save the measurements to %s", tn->db_path);
    dcl_clear_error();
    free(dir);
    free(text);
}

/* ---- the profile ---- */

static void file_safe(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 1 < cap; in++) {
        char c = *in;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (ok)
            out[n++] = c;
        else if (n && out[n - 1] != '-')
            out[n++] = '-';
    }
    while (n && out[n - 1] == '-')
        n--;
    out[n] = '\0';
}

static dcl_status write_profile(tuner *tn, const char *path, const char *model)
{
    dcl_tuning_state *t = malloc(sizeof *t);
    if (!t)
        return dcl_fail(tn->ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    *t = *tn->ctx->tuning;
    memcpy(t->value, tn->best, sizeof t->value);
    char *text = dcl_profile_json(t, &tn->ctx->info, 1, 1);
    free(t);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!root)
        return dcl_fail(tn->ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    char desc[512], measured[512];
    snprintf(desc, sizeof desc, "debertacl tune results for %s (%s)", tn->ctx->info.name, tn->ctx->info.platform_name);
    snprintf(measured, sizeof measured, "debertacl %s tune, %s, batch %zu x length %zu, budget %.0f s, driver %s",
             DCL_VERSION_STRING, model, tn->B, tn->L, tn->par->budget_seconds, tn->ctx->info.driver_version);
    cJSON_ReplaceItemInObjectCaseSensitive(root, "description", cJSON_CreateString(desc));
    cJSON_AddBoolToObject(root, "tuned", 1);
    cJSON_AddStringToObject(root, "measured", measured);
    text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return dcl_fail(tn->ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    dcl_status st = DCL_OK;
    char *dir = dcl_strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = '\0';
        dcl_mkdirs(dir);
    }
    free(dir);
    size_t len = strlen(text);
    char *withnl = malloc(len + 2);
    if (!withnl)
        st = dcl_fail(tn->ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    else {
        memcpy(withnl, text, len);
        withnl[len] = '\n';
        st = dcl_write_file_atomic(tn->ctx, path, withnl, len + 1);
    }
    free(withnl);
    free(text);
    return st;
}

/* ---- the run ---- */

static dcl_status load_config(tuner *tn, const char **label)
{
    const dcl_tune_params *p = tn->par;
    if (p->model_dir) {
        *label = p->model_dir;
        return dcl_config_load(p->model_dir, &tn->cfg);
    }
    if (!p->synthetic)
        return dcl_fail(tn->ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_tune: give a model folder or a preset");
    *label = p->synthetic;
    const char *text = dcl_model_preset_config(p->synthetic);
    return text ? dcl_config_parse(text, strlen(text), p->synthetic, &tn->cfg) : dcl_config_load(p->synthetic, &tn->cfg);
}

dcl_status dcl_tuner_run(dcl_context *ctx, const dcl_tune_params *par, dcl_tune_result *result)
{
    memset(result, 0, sizeof *result);
    if (par->batch <= 0 || par->length <= 0 || par->batch > 4096 || par->length > 65536 || !(par->budget_seconds > 0))
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_tune: batch, length and budget must be positive");
    if (!par->output && !ctx->cache_dir)
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_tune: the cache folder is off; give an output file");
    tuner *tn = calloc(1, sizeof *tn);
    if (!tn)
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    tn->ctx = ctx;
    tn->par = par;
    tn->rng = par->seed ? par->seed : 1;
    tn->t0 = now();
    tn->prog.budget = par->budget_seconds;
    const char *model = NULL;
    memcpy(tn->saved, ctx->tuning->value, sizeof tn->saved);
    dcl_tuning_state *shipped = malloc(sizeof *shipped);
    dcl_status st = shipped ? load_config(tn, &model) : dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    if (st == DCL_OK)
        st = dcl_profiles_resolve(ctx, &ctx->info, NULL, 1, shipped);
    if (st == DCL_OK) {
        dcl_tuning_fit(ctx, shipped->value);
        memcpy(tn->start, shipped->value, sizeof tn->start);
        memcpy(tn->best, shipped->value, sizeof tn->best);
        const dcl_config *c = &tn->cfg;
        tn->B = (size_t)par->batch;
        tn->L = (size_t)par->length;
        tn->NH = (size_t)c->num_heads;
        tn->D = (size_t)c->head_size;
        tn->H = (size_t)c->hidden_size;
        tn->I = (size_t)c->intermediate_size;
        tn->A = (size_t)c->all_head_size;
        tn->T = tn->B * tn->L;
        tn->use_c2p = c->relative_attention && c->c2p;
        tn->use_p2c = c->relative_attention && c->p2c;
        snprintf(tn->shape, sizeof tn->shape, "B%zu L%zu H%zu I%zu NH%zu D%zu c2p%d p2c%d", tn->B, tn->L, tn->H, tn->I,
                 tn->NH, tn->D, tn->use_c2p, tn->use_p2c);
        if (c->relative_attention) { /* the relative slots this length uses: the c2p/p2c widths */
            int *slot = malloc((2 * tn->L - 1) * sizeof *slot), lo = 0, cnt = 1;
            if (!slot)
                st = dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
            else
                dcl_rel_slot_table(c, (int)tn->L, slot, &lo, &cnt);
            free(slot);
            tn->nsr = (size_t)cnt;
        }
        if (st == DCL_OK)
            st = dcl_tuner_buffers(tn);
    }
    free(shipped);
    if (st == DCL_OK) {
        db_open(tn);
        space sp[K_COUNT];
        int ns = build_spaces(tn, sp);
        double shares = 0;
        for (int i = 0; i < ns; i++)
            shares += sp[i].share;
        for (int i = 0; i < ns && st == DCL_OK; i++) {
            double left = par->budget_seconds - (now() - tn->t0);
            double slice = left * sp[i].share / shares;
            shares -= sp[i].share;
            st = search(tn, &sp[i], slice > 0 ? slice : 0, &result->row[result->rows++]);
            db_save(tn);
        }
        /* Xgemm through CLBlast against cl/gemm_cpu.cl for A B^T: the faster one takes it */
        const dcl_tune_row *nt = &result->row[K_GEMM_NT], *xg = &result->row[K_XGEMM];
        if (st == DCL_OK && result->rows == K_COUNT && xg->tuned_seconds < nt->tuned_seconds) {
            tn->best[DCL_T_GEMM_ROUTE_NT] = DCL_GEMM_ROUTE_CLBLAST;
            dcl_log(ctx, DCL_LOG_INFO, "tune: CLBlast with the tuned Xgemm beats cl/gemm_cpu.cl for A B^T");
        }
    }
    if (st == DCL_OK) {
        char path[1024];
        if (par->output)
            dcl_strlcpy(path, par->output, sizeof path);
        else {
            char name[300], file[320];
            snprintf(name, sizeof name, "%s-%s", ctx->info.vendor_short, ctx->info.name);
            file_safe(name, file, sizeof file - 16);
            strcat(file, ".json");
            char *dir = dcl_path_join(ctx->cache_dir, "profiles");
            char *full = dir ? dcl_path_join(dir, file) : NULL;
            dcl_strlcpy(path, full ? full : "", sizeof path);
            free(dir);
            free(full);
        }
        st = path[0] ? write_profile(tn, path, model) : dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        if (st == DCL_OK)
            dcl_strlcpy(result->output, path, sizeof result->output);
    }
    /* back to the context's own parameters */
    memcpy(ctx->tuning->value, tn->saved, sizeof tn->saved);
    dcl_status rst = dcl_gemm_retune(ctx);
    if (st == DCL_OK)
        st = rst;
    dcl_tuner_release(tn);
    free(tn);
    return st;
}
