/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl bench: time the encoder on a model folder or a synthesised preset (cold start apart,
 * warm median, min, max; --profile splits the device time by OpenCL events; --json). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
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
    dcl_cli_fwd_opts o;
    int rc = dcl_cli_fwd_parse(argc, argv, &o, 1);
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
    dcl_cli_run_state r;
    if ((rc = dcl_cli_open_model(&o, o.profile, &r)))
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
    dcl_cli_close_model(&r);
    return rc;
}
