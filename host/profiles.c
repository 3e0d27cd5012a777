/* SPDX-License-Identifier: Apache-2.0 */
#include "profiles.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "context.h"

/* ---- parsing ---- */

static const char *const device_types[] = {"other", "cpu", "gpu", "accelerator"};

static dcl_status bad(const char *origin, const char *field, const char *what)
{
    return dcl_fail(NULL, DCL_ERR_FORMAT, "tuning profile %s: \"%s\" %s", origin, field, what);
}

static dcl_status get_match_string(const cJSON *match, const char *key, const char *origin, char *dst, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(match, key);
    if (!v)
        return DCL_OK;
    char field[64];
    snprintf(field, sizeof field, "match.%s", key);
    if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= cap)
        return bad(origin, field, "must be a non-empty string");
    dcl_strlcpy(dst, v->valuestring, cap);
    return DCL_OK;
}

static int is_route(int id) { return id == DCL_T_GEMM_ROUTE_NT || id == DCL_T_GEMM_ROUTE_NN; }
static int is_pow2_wg(int id) { return id == DCL_T_LN_WG || id == DCL_T_ATT_WG; }

/* One parameter: an integer in range (CLBlast parameters may be -1, unset), or for a route the
 * word "clblast" or "own". */
static dcl_status parse_value(const cJSON *v, int id, const char *origin, long *out)
{
    const dcl_tunable_desc *t = &dcl_tunables[id];
    char field[96];
    snprintf(field, sizeof field, "parameters.%s", t->name);
    if (is_route(id) && cJSON_IsString(v)) {
        if (strcmp(v->valuestring, "clblast") == 0)
            *out = DCL_GEMM_ROUTE_CLBLAST;
        else if (strcmp(v->valuestring, "own") == 0)
            *out = DCL_GEMM_ROUTE_OWN;
        else
            return bad(origin, field, "must be \"clblast\" or \"own\"");
        return DCL_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long)v->valuedouble || v->valuedouble > 1e12 ||
        v->valuedouble < -1e12)
        return bad(origin, field, is_route(id) ? "must be \"clblast\", \"own\" or an integer" : "must be an integer");
    long x = (long)v->valuedouble;
    int unset_ok = t->def == DCL_TUNING_UNSET && x == DCL_TUNING_UNSET;
    if (!unset_ok && (x < t->lo || x > t->hi))
        return dcl_fail(NULL, DCL_ERR_RANGE, "tuning profile %s: \"%s\" = %ld is outside [%ld, %ld]%s", origin, field,
                        x, t->lo, t->hi, t->def == DCL_TUNING_UNSET ? " (or -1: unset)" : "");
    if (is_pow2_wg(id) && (x & (x - 1)) != 0)
        return dcl_fail(NULL, DCL_ERR_RANGE, "tuning profile %s: \"%s\" = %ld is not a power of two", origin, field, x);
    *out = x;
    return DCL_OK;
}

dcl_status dcl_profile_parse(const dcl_context *log_ctx, const char *text, size_t len, const char *origin,
                             const char *label, int user, dcl_profile *out)
{
    dcl_profile_init(out, label);
    dcl_strlcpy(out->origin, origin, sizeof out->origin);
    out->user = user;
    out->tuned = 1;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        return dcl_fail(NULL, DCL_ERR_FORMAT, "tuning profile %s: not valid JSON (near byte %zu)", origin, at);
    }
    dcl_status st = DCL_OK;
    if (!cJSON_IsObject(root)) {
        st = dcl_fail(NULL, DCL_ERR_FORMAT, "tuning profile %s: the top level must be an object", origin);
        goto done;
    }
    for (const cJSON *f = root->child; f; f = f->next) {
        const char *k = f->string;
        if (strcmp(k, "description") == 0 || strcmp(k, "measured") == 0) {
            if (!cJSON_IsString(f)) {
                st = bad(origin, k, "must be a string");
                goto done;
            }
        } else if (strcmp(k, "tuned") == 0) {
            if (!cJSON_IsBool(f)) {
                st = bad(origin, k, "must be true or false");
                goto done;
            }
            out->tuned = cJSON_IsTrue(f);
        } else if (strcmp(k, "match") == 0) {
            if (!cJSON_IsObject(f)) {
                st = bad(origin, k, "must be an object");
                goto done;
            }
            for (const cJSON *m = f->child; m; m = m->next) {
                if (strcmp(m->string, "type") == 0) {
                    out->type = -2;
                    for (int i = 0; i < 4; i++)
                        if (cJSON_IsString(m) && strcmp(m->valuestring, device_types[i]) == 0)
                            out->type = i;
                    if (out->type == -2) {
                        st = bad(origin, "match.type", "must be \"cpu\", \"gpu\", \"accelerator\" or \"other\"");
                        goto done;
                    }
                } else if (strcmp(m->string, "vendor") && strcmp(m->string, "platform") &&
                           strcmp(m->string, "architecture") && strcmp(m->string, "name")) {
                    dcl_log(log_ctx, DCL_LOG_WARN, "tuning profile %s: unknown field \"match.%s\" ignored", origin,
                            m->string);
                }
            }
            if ((st = get_match_string(f, "vendor", origin, out->vendor, sizeof out->vendor)) ||
                (st = get_match_string(f, "platform", origin, out->platform, sizeof out->platform)) ||
                (st = get_match_string(f, "architecture", origin, out->architecture, sizeof out->architecture)) ||
                (st = get_match_string(f, "name", origin, out->name, sizeof out->name)))
                goto done;
        } else if (strcmp(k, "parameters") == 0) {
            if (!cJSON_IsObject(f)) {
                st = bad(origin, k, "must be an object");
                goto done;
            }
            for (const cJSON *p = f->child; p; p = p->next) {
                int id = dcl_tunable_find(p->string);
                if (id < 0) {
                    dcl_log(log_ctx, DCL_LOG_WARN, "tuning profile %s: unknown parameter \"%s\" ignored", origin,
                            p->string);
                    continue;
                }
                if ((st = parse_value(p, id, origin, &out->value[id])) != DCL_OK)
                    goto done;
            }
        } else {
            dcl_log(log_ctx, DCL_LOG_WARN, "tuning profile %s: unknown field \"%s\" ignored", origin, k);
        }
    }
done:
    cJSON_Delete(root);
    return st;
}

int dcl_profile_matches(const dcl_profile *p, const dcl_device_info *d)
{
    if (p->type >= 0 && (int)d->type != p->type)
        return 0;
    if (p->vendor[0] && dcl_strcasecmp(p->vendor, d->vendor_short) != 0)
        return 0;
    if (p->platform[0] && !dcl_strcasestr(d->platform_name, p->platform))
        return 0;
    if (p->architecture[0] && dcl_strcasestr(d->architecture, p->architecture) != d->architecture)
        return 0; /* a prefix: "SM8" matches "SM8.0" and "SM8.6" */
    if (p->name[0] && !dcl_strcasestr(d->name, p->name))
        return 0;
    return 1;
}

/* ---- resolution ---- */

static int specificity(const dcl_profile *p)
{
    return (p->type >= 0) + 2 * !!p->vendor[0] + 4 * !!p->platform[0] + 8 * !!p->architecture[0] + 16 * !!p->name[0];
}

typedef struct plist {
    dcl_profile *v;
    size_t n, cap;
} plist;

static dcl_status plist_push(plist *l, const dcl_profile *p)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        dcl_profile *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *p;
    return DCL_OK;
}

static int by_specificity(const void *a, const void *b)
{
    const dcl_profile *x = a, *y = b;
    int sx = specificity(x), sy = specificity(y);
    if (sx != sy)
        return sx < sy ? -1 : 1;
    return strcmp(x->label, y->label);
}

/* Parses a file and keeps it when it matches the device. */
static dcl_status load_file(const dcl_context *log_ctx, const dcl_device_info *d, const char *path,
                            const char *prefix, int user, plist *l)
{
    char *text;
    size_t len;
    dcl_status st = dcl_read_file(NULL, path, &text, &len);
    if (st != DCL_OK) {
        dcl_error_append(NULL, " (tuning profile)");
        return st;
    }
    dcl_profile p;
    char label[200];
    snprintf(label, sizeof label, "%s:%s", prefix, path);
    st = dcl_profile_parse(log_ctx, text, len, path, label, user, &p);
    free(text);
    if (st == DCL_OK && dcl_profile_matches(&p, d))
        st = plist_push(l, &p);
    return st;
}

static int json_name(const char *n)
{
    size_t len = strlen(n);
    return len > 5 && strcmp(n + len - 5, ".json") == 0 && n[0] != '.';
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A file, or every *.json of a folder in name order. A missing folder is no error when
 * `optional`. */
static dcl_status load_path(const dcl_context *log_ctx, const dcl_device_info *d, const char *path,
                            const char *prefix, int user, int optional, plist *l)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (optional)
            return DCL_OK;
        return dcl_fail(NULL, DCL_ERR_IO, "tuning profile %s: no such file or folder", path);
    }
    if (!S_ISDIR(sb.st_mode))
        return load_file(log_ctx, d, path, prefix, user, l);
    DIR *dir = opendir(path);
    if (!dir)
        return dcl_fail(NULL, DCL_ERR_IO, "tuning profiles: cannot read the folder %s", path);
    char **names = NULL;
    size_t n = 0, cap = 0;
    dcl_status st = DCL_OK;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        if (!json_name(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                st = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
                break;
            }
            names = nn;
        }
        if (!(names[n] = dcl_path_join(path, e->d_name))) {
            st = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
            break;
        }
        n++;
    }
    closedir(dir);
    if (st == DCL_OK && n)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        if (st == DCL_OK)
            st = load_file(log_ctx, d, names[i], prefix, user, l);
        free(names[i]);
    }
    free(names);
    return st;
}

dcl_status dcl_profiles_resolve(const dcl_context *log_ctx, const dcl_device_info *d, const char *cache_dir,
                                int shipped_only, dcl_tuning_state *t)
{
    dcl_tuning_reset(t);
    plist shipped = {0}, tuned = {0}, user = {0};
    dcl_status st = DCL_OK;
    for (size_t i = 0; i < dcl_embedded_profile_count && st == DCL_OK; i++) {
        const dcl_embedded_profile *e = &dcl_embedded_profiles[i];
        char label[200], origin[128];
        dcl_strlcpy(label, e->name, sizeof label);
        char *dot = strrchr(label, '.');
        if (dot)
            *dot = '\0';
        snprintf(origin, sizeof origin, "profiles/%s (built in)", e->name);
        dcl_profile p;
        st = dcl_profile_parse(log_ctx, e->source, e->length, origin, label, 0, &p);
        if (st == DCL_OK && dcl_profile_matches(&p, d))
            st = plist_push(&shipped, &p);
    }
    if (st == DCL_OK && cache_dir && !shipped_only) {
        char *dir = dcl_path_join(cache_dir, "profiles");
        st = dir ? load_path(log_ctx, d, dir, "tuned", 1, 1, &tuned) : dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        free(dir);
    }
    const char *env = getenv("DEBERTACL_PROFILE_PATH");
    if (st == DCL_OK && env && *env && !shipped_only) {
        st = load_path(log_ctx, d, env, "user", 2, 0, &user);
        if (st != DCL_OK)
            dcl_error_append(NULL, " (DEBERTACL_PROFILE_PATH=%s)", env);
    }
    if (st == DCL_OK) {
        plist *lists[] = {&shipped, &tuned, &user};
        for (int k = 0; k < 3; k++) {
            if (lists[k]->n)
                qsort(lists[k]->v, lists[k]->n, sizeof *lists[k]->v, by_specificity);
            for (size_t i = 0; i < lists[k]->n; i++)
                dcl_tuning_apply(t, &lists[k]->v[i]);
        }
    }
    free(shipped.v);
    free(tuned.v);
    free(user.v);
    return st;
}

/* ---- writing ---- */

char *dcl_profile_json(const dcl_tuning_state *t, const dcl_device_info *d, int all, int with_match)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "description", t->chain);
    if (with_match && d) {
        cJSON *m = cJSON_AddObjectToObject(root, "match");
        if (m) {
            cJSON_AddStringToObject(m, "type", device_types[d->type <= DCL_DEVICE_ACCELERATOR ? d->type : 0]);
            cJSON_AddStringToObject(m, "platform", d->platform_name);
            cJSON_AddStringToObject(m, "name", d->name);
        }
    }
    cJSON *params = cJSON_AddObjectToObject(root, "parameters");
    for (int i = 0; params && i < DCL_T_COUNT; i++) {
        if (!all && t->source[i] < 0)
            continue;
        if (is_route(i))
            cJSON_AddStringToObject(params, dcl_tunables[i].name,
                                    t->value[i] == DCL_GEMM_ROUTE_OWN ? "own" : "clblast");
        else
            cJSON_AddNumberToObject(params, dcl_tunables[i].name, (double)t->value[i]);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}
