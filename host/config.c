/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int dcl_activation_code(const char *name)
{
    static const struct { const char *name; int code; } acts[] = {
        {"gelu", DCL_ACT_GELU},           {"gelu_python", DCL_ACT_GELU},   {"gelu_new", DCL_ACT_GELU_TANH},
        {"gelu_pytorch_tanh", DCL_ACT_GELU_TANH}, {"relu", DCL_ACT_RELU}, {"tanh", DCL_ACT_TANH},
        {"sigmoid", DCL_ACT_SIGMOID},     {"silu", DCL_ACT_SILU},          {"swish", DCL_ACT_SILU},
        {"linear", DCL_ACT_IDENTITY}};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (!strcmp(name, acts[i].name))
            return acts[i].code;
    return -1;
}

void dcl_config_free(dcl_config *cfg)
{
    if (!cfg)
        return;
    for (int i = 0; cfg->labels && i < cfg->num_labels; i++)
        free(cfg->labels[i]);
    free(cfg->labels);
    cfg->labels = NULL;
}

typedef struct reader {
    cJSON *root;
    const char *path;
    dcl_status st;
} reader;

static int get_int(reader *r, const char *key, int def)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(r->root, key);
    if (!v || cJSON_IsNull(v))
        return def;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    /* range first: converting an out-of-range double to an integer is undefined */
    if (!cJSON_IsNumber(v) || !(v->valuedouble <= 1e9 && v->valuedouble >= -1e9) ||
        v->valuedouble != (double)(long)v->valuedouble) {
        if (r->st == DCL_OK)
            r->st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: \"%s\" must be an integer", r->path, key);
        return def;
    }
    return (int)v->valuedouble;
}

static double get_num(reader *r, const char *key, double def)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(r->root, key);
    if (!v || cJSON_IsNull(v))
        return def;
    if (!cJSON_IsNumber(v)) {
        if (r->st == DCL_OK)
            r->st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: \"%s\" must be a number", r->path, key);
        return def;
    }
    return v->valuedouble;
}

static const char *get_str(reader *r, const char *key, const char *def)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(r->root, key);
    if (!v || cJSON_IsNull(v))
        return def;
    if (!cJSON_IsString(v)) {
        if (r->st == DCL_OK)
            r->st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: \"%s\" must be a string", r->path, key);
        return def;
    }
    return v->valuestring;
}

static dcl_status unsupported(const char *path, const char *field, const char *value)
{
    return dcl_fail(NULL, DCL_ERR_UNSUPPORTED, "%s: unsupported %s \"%s\"", path, field, value);
}

static dcl_status parse_pos_att(reader *r, dcl_config *c, int *count)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(r->root, "pos_att_type");
    *count = 0;
    char items[8][16];
    int n = 0;
    if (!v || cJSON_IsNull(v)) {
        n = 0;
    } else if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        while (*s && n < 8) {
            size_t k = 0;
            while (*s && *s != '|') {
                if (k < sizeof items[0] - 1)
                    items[n][k++] = (char)tolower((unsigned char)*s);
                s++;
            }
            items[n][k] = '\0';
            n++;
            if (*s == '|')
                s++;
        }
    } else if (cJSON_IsArray(v)) {
        for (cJSON *it = v->child; it && n < 8; it = it->next) {
            if (!cJSON_IsString(it))
                return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: pos_att_type entries must be strings", r->path);
            size_t k = 0;
            for (const char *s = it->valuestring; *s && k < sizeof items[0] - 1; s++)
                items[n][k++] = (char)tolower((unsigned char)*s);
            items[n][k] = '\0';
            n++;
        }
    } else {
        return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: pos_att_type must be a string or a list", r->path);
    }
    for (int i = 0; i < n; i++) {
        /* strip blanks */
        char *s = items[i];
        while (*s == ' ')
            memmove(s, s + 1, strlen(s));
        size_t k = strlen(s);
        while (k && s[k - 1] == ' ')
            s[--k] = '\0';
        if (!*s)
            continue;
        if (!strcmp(s, "c2p"))
            c->c2p = 1;
        else if (!strcmp(s, "p2c"))
            c->p2c = 1;
        else
            return unsupported(r->path, "pos_att_type entry", s);
        (*count)++;
    }
    return DCL_OK;
}

/* Bounds that keep every size product (weights, activations, kernel indices) far from overflow:
 * larger than any released DeBERTa by an order of magnitude. */
#define MAX_DIM (1 << 16)        /* hidden, embedding, head, all-head, intermediate sizes */
#define MAX_COUNT (1 << 12)      /* layers, heads */
#define MAX_POSITIONS (1 << 20)  /* positions, relative span, buckets */
#define MAX_VOCAB (1 << 24)
#define MAX_TENSOR 0x7fffffffll  /* elements of one weight: OpenCL kernels index it with int */

static dcl_status check_sizes(const dcl_config *c, const char *path)
{
    const struct { const char *name; int64_t v, max; } f[] = {
        {"hidden_size", c->hidden_size, MAX_DIM},
        {"embedding_size", c->embedding_size, MAX_DIM},
        {"intermediate_size", c->intermediate_size, 4 * MAX_DIM},
        {"attention_head_size", c->head_size, MAX_DIM},
        {"num_attention_heads x attention_head_size", (int64_t)c->num_heads * c->head_size, MAX_DIM},
        {"num_hidden_layers", c->num_layers, MAX_COUNT},
        {"num_attention_heads", c->num_heads, MAX_COUNT},
        {"vocab_size", c->vocab_size, MAX_VOCAB},
        {"type_vocab_size", c->type_vocab_size, MAX_VOCAB},
        {"max_position_embeddings", c->max_position_embeddings, MAX_POSITIONS},
        {"max_relative_positions", c->max_relative_positions, MAX_POSITIONS},
        {"position_buckets", c->position_buckets, MAX_POSITIONS},
        {"conv_kernel_size", c->conv_kernel_size, 1024},
        {"vocab_size x embedding_size", (int64_t)c->vocab_size * c->embedding_size, MAX_TENSOR},
        {"max_position_embeddings x embedding_size", (int64_t)c->max_position_embeddings * c->embedding_size,
         MAX_TENSOR},
        {"intermediate_size x hidden_size", (int64_t)c->intermediate_size * c->hidden_size, MAX_TENSOR},
        {"3 x all-head size x hidden_size", 3 * (int64_t)c->num_heads * c->head_size * c->hidden_size, MAX_TENSOR},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].v > f[i].max)
            return dcl_fail(NULL, DCL_ERR_UNSUPPORTED, "%s: %s = %lld is larger than supported (%lld)", path,
                            f[i].name, (long long)f[i].v, (long long)f[i].max);
    return DCL_OK;
}

dcl_status dcl_config_parse(const char *text, size_t len, const char *path, dcl_config *c)
{
    memset(c, 0, sizeof *c);
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: not a JSON object", path);
    }
    reader r = {root, path, DCL_OK};
    dcl_status st = DCL_OK;
    const char *mt = get_str(&r, "model_type", NULL);
    if (!mt) {
        st = r.st != DCL_OK ? r.st : dcl_fail(NULL, DCL_ERR_FORMAT, "%s: no \"model_type\"", path);
        goto done;
    }
    if (!strcmp(mt, "deberta"))
        c->version = 1;
    else if (!strcmp(mt, "deberta-v2"))
        c->version = 2;
    else {
        st = dcl_fail(NULL, DCL_ERR_UNSUPPORTED, "%s: unsupported model_type \"%s\" (expected deberta or deberta-v2)",
                      path, mt);
        goto done;
    }
    dcl_strlcpy(c->model_type, mt, sizeof c->model_type);
    cJSON *arch = cJSON_GetObjectItemCaseSensitive(root, "architectures");
    if (cJSON_IsArray(arch) && cJSON_IsString(cJSON_GetArrayItem(arch, 0)))
        dcl_strlcpy(c->architecture, cJSON_GetArrayItem(arch, 0)->valuestring, sizeof c->architecture);

    int v1 = c->version == 1;
    c->vocab_size = get_int(&r, "vocab_size", v1 ? 50265 : 128100);
    c->hidden_size = get_int(&r, "hidden_size", v1 ? 768 : 1536);
    c->num_layers = get_int(&r, "num_hidden_layers", v1 ? 12 : 24);
    c->num_heads = get_int(&r, "num_attention_heads", v1 ? 12 : 24);
    c->intermediate_size = get_int(&r, "intermediate_size", v1 ? 3072 : 6144);
    c->max_position_embeddings = get_int(&r, "max_position_embeddings", 512);
    c->type_vocab_size = get_int(&r, "type_vocab_size", 0);
    double eps = get_num(&r, "layer_norm_eps", 1e-7);
    if (r.st == DCL_OK && !(eps > 0 && eps < 1)) {
        st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: layer_norm_eps must be in (0, 1)", path);
        goto done;
    }
    c->layer_norm_eps = (float)eps;
    c->relative_attention = get_int(&r, "relative_attention", 0);
    c->max_relative_positions = get_int(&r, "max_relative_positions", -1);
    if (c->max_relative_positions < 1)
        c->max_relative_positions = c->max_position_embeddings;
    c->position_biased_input = get_int(&r, "position_biased_input", 1);
    c->embedding_size = get_int(&r, "embedding_size", c->hidden_size);
    c->pad_token_id = get_int(&r, "pad_token_id", 0);
    c->legacy = get_int(&r, "legacy", 1);
    if (r.st != DCL_OK) {
        st = r.st;
        goto done;
    }
    if (c->hidden_size <= 0 || c->num_layers <= 0 || c->num_heads <= 0 || c->vocab_size <= 0 ||
        c->intermediate_size <= 0 || c->embedding_size <= 0 || c->max_position_embeddings <= 0 ||
        c->type_vocab_size < 0) {
        st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: sizes must be positive", path);
        goto done;
    }
    if (v1) {
        if (c->hidden_size % c->num_heads) {
            st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: hidden_size %d is not a multiple of num_attention_heads %d", path,
                          c->hidden_size, c->num_heads);
            goto done;
        }
        c->head_size = c->hidden_size / c->num_heads;
        c->position_buckets = 0;
        if (get_int(&r, "talking_head", 0)) {
            st = dcl_fail(NULL, DCL_ERR_UNSUPPORTED, "%s: unsupported talking_head true (v1 head mixing)", path);
            goto done;
        }
    } else {
        c->head_size = get_int(&r, "attention_head_size", c->hidden_size / c->num_heads);
        c->position_buckets = get_int(&r, "position_buckets", -1);
        if (c->position_buckets < 0)
            c->position_buckets = 0;
        c->share_att_key = get_int(&r, "share_att_key", 0);
        const char *norm = get_str(&r, "norm_rel_ebd", "none");
        c->norm_rel_ebd = strstr(norm, "layer_norm") != NULL;
        c->conv_kernel_size = get_int(&r, "conv_kernel_size", 0);
        c->conv_groups = get_int(&r, "conv_groups", 1);
        const char *ca = get_str(&r, "conv_act", "tanh");
        c->conv_act = dcl_activation_code(ca);
        if (c->conv_kernel_size > 0 && c->conv_act < 0) {
            st = unsupported(path, "conv_act", ca);
            goto done;
        }
        if (c->conv_kernel_size > 0 && (c->conv_groups <= 0 || c->hidden_size % c->conv_groups)) {
            st = dcl_fail(NULL, DCL_ERR_UNSUPPORTED, "%s: unsupported conv_groups %d for hidden_size %d", path,
                          c->conv_groups, c->hidden_size);
            goto done;
        }
        if (c->conv_kernel_size > 0 && c->conv_kernel_size % 2 == 0) {
            st = dcl_fail(NULL, DCL_ERR_UNSUPPORTED, "%s: unsupported even conv_kernel_size %d", path,
                          c->conv_kernel_size);
            goto done;
        }
    }
    if (c->head_size <= 0) {
        st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: attention_head_size must be positive", path);
        goto done;
    }
    st = check_sizes(c, path);
    if (st != DCL_OK)
        goto done;
    c->all_head_size = c->num_heads * c->head_size;
    int count = 0;
    st = parse_pos_att(&r, c, &count);
    if (st != DCL_OK)
        goto done;
    if (!c->relative_attention)
        c->c2p = c->p2c = 0;
    c->scale_factor = v1 ? 1 + count : 1 + c->c2p + c->p2c;
    if (c->relative_attention)
        c->att_span = (!v1 && c->position_buckets > 0) ? c->position_buckets : c->max_relative_positions;

    const char *ha = get_str(&r, "hidden_act", "gelu");
    c->hidden_act = dcl_activation_code(ha);
    if (c->hidden_act < 0) {
        st = unsupported(path, "hidden_act", ha);
        goto done;
    }
    const char *pa = get_str(&r, "pooler_hidden_act", "gelu");
    c->pooler_hidden_act = dcl_activation_code(pa);
    if (c->pooler_hidden_act < 0) {
        st = unsupported(path, "pooler_hidden_act", pa);
        goto done;
    }
    c->pooler_hidden_size = get_int(&r, "pooler_hidden_size", c->hidden_size);
    if (r.st == DCL_OK && (c->pooler_hidden_size <= 0 || c->pooler_hidden_size > MAX_DIM)) {
        st = dcl_fail(NULL, DCL_ERR_UNSUPPORTED, "%s: unsupported pooler_hidden_size %d", path, c->pooler_hidden_size);
        goto done;
    }

    /* labels */
    cJSON *id2label = cJSON_GetObjectItemCaseSensitive(root, "id2label");
    int nl = get_int(&r, "num_labels", 0);
    if (cJSON_IsObject(id2label) && cJSON_GetArraySize(id2label) > 0)
        nl = cJSON_GetArraySize(id2label);
    if (r.st != DCL_OK) {
        st = r.st;
        goto done;
    }
    if (nl < 0 || nl > 100000) {
        st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: bad number of labels %d", path, nl);
        goto done;
    }
    if (nl > 0) {
        c->labels = calloc((size_t)nl, sizeof *c->labels);
        if (!c->labels) {
            st = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
            goto done;
        }
        c->num_labels = nl;
        for (int i = 0; i < nl; i++) {
            char key[16], def[32];
            snprintf(key, sizeof key, "%d", i);
            snprintf(def, sizeof def, "LABEL_%d", i);
            cJSON *v = cJSON_IsObject(id2label) ? cJSON_GetObjectItemCaseSensitive(id2label, key) : NULL;
            if (cJSON_IsObject(id2label) && cJSON_GetArraySize(id2label) > 0 && !cJSON_IsString(v)) {
                st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: id2label has no string for id %d", path, i);
                goto done;
            }
            c->labels[i] = dcl_strdup(cJSON_IsString(v) ? v->valuestring : def);
            if (!c->labels[i]) {
                st = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
                goto done;
            }
        }
    }
done:
    cJSON_Delete(root);
    if (st != DCL_OK)
        dcl_config_free(c);
    return st;
}

dcl_status dcl_config_load(const char *path_or_dir, dcl_config *cfg)
{
    char *path = NULL;
    size_t n = strlen(path_or_dir);
    if (n >= 5 && !strcmp(path_or_dir + n - 5, ".json"))
        path = dcl_strdup(path_or_dir);
    else
        path = dcl_path_join(path_or_dir, "config.json");
    if (!path)
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    char *text;
    size_t len;
    dcl_status st = dcl_read_file(NULL, path, &text, &len);
    if (st == DCL_OK) {
        st = dcl_config_parse(text, len, path, cfg);
        free(text);
    }
    free(path);
    return st;
}
