/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl run: one JSON object per input (the --json output), and the human-readable text
 * printed from that same object, so that both always agree. Numbers do not depend on the
 * locale (cJSON and "%.7g" in the C locale, which this program never changes). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static double tidy(double v) /* 7 significant digits: short, stable JSON */
{
    char b[32];
    snprintf(b, sizeof b, "%.7g", v);
    return strtod(b, NULL);
}

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
}

static cJSON *to_json(const run_opts *o, const dcl_pipeline *p, const run_input *ri, const dcl_result *r, int demo)
{
    cJSON *res = cJSON_CreateObject(), *arr = NULL;
    if (!res)
        return NULL;
    if (ri->line > 0)
        cJSON_AddNumberToObject(res, "line", ri->line);
    cJSON_AddStringToObject(res, "task", o->task_name);
    if (demo)
        cJSON_AddStringToObject(res, "warning", "demo model with random weights: the predictions are meaningless");
    const dcl_result_item *it = r->items;
    switch (r->task) {
    case DCL_TASK_FILL_MASK:
        cJSON_AddBoolToObject(res, "emd", o->pp.emd == DCL_EMD_ON);
        arr = cJSON_AddArrayToObject(res, "masks");
        for (int m = 0; m < r->groups; m++) {
            cJSON *mo = cJSON_CreateObject(), *preds;
            cJSON_AddItemToArray(arr, mo);
            for (int i = 0; i < r->count; i++)
                if (it[i].group == m) {
                    cJSON_AddNumberToObject(mo, "position", (double)it[i].start);
                    break;
                }
            preds = cJSON_AddArrayToObject(mo, "predictions");
            for (int i = 0; i < r->count; i++) {
                if (it[i].group != m)
                    continue;
                cJSON *x = cJSON_CreateObject();
                cJSON_AddItemToArray(preds, x);
                cJSON_AddNumberToObject(x, "score", tidy(it[i].score));
                cJSON_AddNumberToObject(x, "token", it[i].index);
                add_str(x, "token_str", it[i].label);
                add_str(x, "sequence", it[i].text);
            }
        }
        break;
    case DCL_TASK_TEXT_CLASSIFICATION:
    case DCL_TASK_ZERO_SHOT:
        if (r->count > 0) {
            add_str(res, "label", it[0].label);
            cJSON_AddNumberToObject(res, "score", tidy(it[0].score));
        }
        arr = cJSON_AddArrayToObject(res, "labels");
        for (int i = 0; i < r->count; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddItemToArray(arr, x);
            add_str(x, "label", it[i].label);
            cJSON_AddNumberToObject(x, "score", tidy(it[i].score));
        }
        break;
    case DCL_TASK_RERANK:
    case DCL_TASK_MULTIPLE_CHOICE:
        if (r->count > 0) {
            cJSON_AddNumberToObject(res, r->task == DCL_TASK_RERANK ? "best" : "choice", it[0].index);
            add_str(res, "text", it[0].label);
            cJSON_AddNumberToObject(res, "score", tidy(it[0].score));
        }
        arr = cJSON_AddArrayToObject(res, r->task == DCL_TASK_RERANK ? "documents" : "choices");
        for (int i = 0; i < r->count; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddItemToArray(arr, x);
            cJSON_AddNumberToObject(x, "index", it[i].index);
            add_str(x, "text", it[i].label);
            cJSON_AddNumberToObject(x, "score", tidy(it[i].score));
        }
        break;
    case DCL_TASK_TOKEN_CLASSIFICATION:
        arr = cJSON_AddArrayToObject(res, "entities");
        for (int i = 0; i < r->count; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddItemToArray(arr, x);
            int none = o->pp.aggregation == DCL_AGGREGATE_NONE;
            add_str(x, none ? "entity" : "entity_group", it[i].label);
            cJSON_AddNumberToObject(x, "score", tidy(it[i].score));
            add_str(x, "word", it[i].text);
            if (it[i].start >= 0) {
                cJSON_AddNumberToObject(x, "start", (double)it[i].start);
                cJSON_AddNumberToObject(x, "end", (double)it[i].end);
            }
            if (none)
                cJSON_AddNumberToObject(x, "index", it[i].index);
        }
        break;
    case DCL_TASK_QUESTION_ANSWERING: /* the best answer, then all of them (top_k), best first */
        for (int i = -1; i < r->count; i++) {
            cJSON *x = i < 0 ? res : cJSON_CreateObject();
            const dcl_result_item *a = &it[i < 0 ? 0 : i];
            if (i < 0 && r->count == 0)
                break;
            add_str(x, "answer", a->text);
            cJSON_AddNumberToObject(x, "score", tidy(a->score));
            /* token ids: token positions [start, end); text: characters of the context */
            cJSON_AddNumberToObject(x, ri->in.ids ? "start_token" : "start", (double)a->start);
            cJSON_AddNumberToObject(x, ri->in.ids ? "end_token" : "end", (double)a->end);
            if (i < 0)
                arr = cJSON_AddArrayToObject(res, "answers");
            else
                cJSON_AddItemToArray(arr, x);
        }
        break;
    default: {
        (void)p;
        cJSON_AddStringToObject(res, "pooling", o->pp.pooling == DCL_POOL_MEAN ? "mean" : "first");
        cJSON_AddBoolToObject(res, "normalized", o->pp.normalize);
        cJSON_AddNumberToObject(res, "dim", r->dim);
        arr = cJSON_AddArrayToObject(res, "embedding");
        for (int i = 0; i < r->dim; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateNumber(tidy(r->values[i])));
        break;
    }
    }
    return res;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static int pad_width(const char *s, int width) /* spaces that pad s to `width` code points */
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n < width ? width - n : 0;
}

static void print_qa(const cJSON *x, int ids)
{
    printf("answer: \"%s\"  score %.4f", jstr(x, "answer"), jnum(x, "score"));
    if (ids)
        printf("  tokens %d-%d\n", (int)jnum(x, "start_token"), (int)jnum(x, "end_token") - 1);
    else
        printf("  characters [%d, %d) of the context\n", (int)jnum(x, "start"), (int)jnum(x, "end"));
}

static void print_human(const cJSON *res, dcl_task task, int ids)
{
    const cJSON *it, *jt;
    if (cJSON_GetObjectItem(res, "line"))
        printf("line %d:\n", (int)jnum(res, "line"));
    switch (task) {
    case DCL_TASK_FILL_MASK: {
        const cJSON *masks = cJSON_GetObjectItem(res, "masks");
        int n = cJSON_GetArraySize(masks), i = 0;
        cJSON_ArrayForEach(it, masks)
        {
            printf("mask %d of %d (token %d), %s:\n", ++i, n, (int)jnum(it, "position"),
                   cJSON_IsTrue(cJSON_GetObjectItem(res, "emd")) ? "enhanced mask decoder"
                                                                   : "masked-LM head (no enhanced mask decoder)");
            int rank = 0;
            cJSON_ArrayForEach(jt, cJSON_GetObjectItem(it, "predictions"))
            {
                const char *ts = cJSON_GetObjectItem(jt, "token_str") ? jstr(jt, "token_str") : "";
                printf("  %2d. %s%*s %.4f", ++rank, ts, pad_width(ts, 16), "", jnum(jt, "score"));
                if (!*ts)
                    printf("   (token %d)", (int)jnum(jt, "token"));
                if (cJSON_GetObjectItem(jt, "sequence"))
                    printf("   %s", jstr(jt, "sequence"));
                printf("\n");
            }
        }
        break;
    }
    case DCL_TASK_TEXT_CLASSIFICATION:
    case DCL_TASK_ZERO_SHOT:
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "labels"))
            printf("%-24s %.4f\n", jstr(it, "label"), jnum(it, "score"));
        break;
    case DCL_TASK_RERANK:
    case DCL_TASK_MULTIPLE_CHOICE: {
        int best = (int)jnum(res, task == DCL_TASK_RERANK ? "best" : "choice");
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, task == DCL_TASK_RERANK ? "documents" : "choices"))
        {
            int i = (int)jnum(it, "index");
            printf("%s %d. %.4f  %s\n", i == best ? "*" : " ", i + 1, jnum(it, "score"),
                   cJSON_GetObjectItem(it, "text") ? jstr(it, "text") : "(a row of the ids)");
        }
        break;
    }
    case DCL_TASK_TOKEN_CLASSIFICATION: {
        const cJSON *ents = cJSON_GetObjectItem(res, "entities");
        if (cJSON_GetArraySize(ents) == 0)
            printf("(no entities)\n");
        cJSON_ArrayForEach(it, ents)
        {
            const char *g = cJSON_GetObjectItem(it, "entity") ? jstr(it, "entity") : jstr(it, "entity_group");
            printf("%-10s %.4f  \"%s\"", g, jnum(it, "score"), jstr(it, "word"));
            if (cJSON_GetObjectItem(it, "start"))
                printf("  characters [%d, %d)", (int)jnum(it, "start"), (int)jnum(it, "end"));
            printf("\n");
        }
        break;
    }
    case DCL_TASK_QUESTION_ANSWERING:
        if (!cJSON_GetObjectItem(res, "score"))
            printf("(no answer)\n");
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "answers")) print_qa(it, ids);
        break;
    default: {
        const cJSON *arr = cJSON_GetObjectItem(res, "embedding");
        printf("embedding: %d values (%s pooling%s)\n", (int)jnum(res, "dim"), jstr(res, "pooling"),
               cJSON_IsTrue(cJSON_GetObjectItem(res, "normalized")) ? ", L2-normalized" : "");
        int i = 0;
        cJSON_ArrayForEach(it, arr) printf("%s% .6f", i++ % 8 ? " " : (i > 1 ? "\n  " : "  "), it->valuedouble);
        printf("\n");
        break;
    }
    }
}

void run_print_error(const run_opts *o, int line, const char *msg)
{
    if (line <= 0) {
        fprintf(stderr, "debertacl run: %s\n", msg);
        return;
    }
    fprintf(stderr, "debertacl run: %s:%d: %s\n", o->file, line, msg);
    if (o->json) { /* keep one output line per input line */
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "line", line);
        cJSON_AddStringToObject(e, "error", msg);
        char *t = cJSON_PrintUnformatted(e);
        if (t)
            puts(t);
        free(t);
        cJSON_Delete(e);
    }
}

int run_print(const run_opts *o, const dcl_pipeline *p, const run_input *ri, const dcl_result *r, int demo)
{
    int rc = 0;
    cJSON *res = to_json(o, p, ri, r, demo);
    char *t = NULL;
    if (res && o->json)
        t = ri->line > 0 ? cJSON_PrintUnformatted(res) : cJSON_Print(res);
    if (!res || (o->json && !t)) {
        run_print_error(o, ri->line, "out of memory printing the result");
        rc = -1;
    } else if (o->json) {
        puts(t);
    } else {
        print_human(res, r->task, ri->in.ids != NULL);
    }
    free(t);
    cJSON_Delete(res);
    fflush(stdout);
    return rc;
}
