/* SPDX-License-Identifier: Apache-2.0 */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "ops.h"
#include "safetensors.h"

/* ---- presets: the config.json of released checkpoints ---- */
#define V3_COMMON                                                                                                  \
    "\"model_type\":\"deberta-v2\",\"relative_attention\":true,\"position_buckets\":256,\"norm_rel_ebd\":"       \
    "\"layer_norm\",\"share_att_key\":true,\"pos_att_type\":\"p2c|c2p\",\"layer_norm_eps\":1e-7,"                \
    "\"max_relative_positions\":-1,\"position_biased_input\":false,\"type_vocab_size\":0,"                       \
    "\"max_position_embeddings\":512,\"hidden_act\":\"gelu\""
#define V1_COMMON                                                                                                  \
    "\"model_type\":\"deberta\",\"relative_attention\":true,\"pos_att_type\":\"c2p|p2c\",\"layer_norm_eps\":1e-7," \
    "\"max_relative_positions\":-1,\"position_biased_input\":false,\"type_vocab_size\":0,"                       \
    "\"max_position_embeddings\":512,\"hidden_act\":\"gelu\",\"vocab_size\":50265"

static const struct { const char *name, *config; } presets[] = {
    {"deberta-v3-xsmall", "{" V3_COMMON ",\"vocab_size\":128100,\"hidden_size\":384,\"num_hidden_layers\":12,"
                          "\"num_attention_heads\":6,\"intermediate_size\":1536}"},
    {"deberta-v3-small", "{" V3_COMMON ",\"vocab_size\":128100,\"hidden_size\":768,\"num_hidden_layers\":6,"
                         "\"num_attention_heads\":12,\"intermediate_size\":3072}"},
    {"deberta-v3-base", "{" V3_COMMON ",\"vocab_size\":128100,\"hidden_size\":768,\"num_hidden_layers\":12,"
                        "\"num_attention_heads\":12,\"intermediate_size\":3072}"},
    {"deberta-v3-large", "{" V3_COMMON ",\"vocab_size\":128100,\"hidden_size\":1024,\"num_hidden_layers\":24,"
                         "\"num_attention_heads\":16,\"intermediate_size\":4096}"},
    {"mdeberta-v3-base", "{" V3_COMMON ",\"vocab_size\":251000,\"hidden_size\":768,\"num_hidden_layers\":12,"
                         "\"num_attention_heads\":12,\"intermediate_size\":3072}"},
    {"deberta-v2-xlarge", "{" V3_COMMON ",\"vocab_size\":128100,\"hidden_size\":1536,\"num_hidden_layers\":24,"
                          "\"num_attention_heads\":24,\"attention_head_size\":64,\"intermediate_size\":6144,"
                          "\"conv_kernel_size\":3,\"conv_act\":\"gelu\"}"},
    {"deberta-v2-xxlarge", "{" V3_COMMON ",\"vocab_size\":128100,\"hidden_size\":1536,\"num_hidden_layers\":48,"
                           "\"num_attention_heads\":24,\"attention_head_size\":64,\"intermediate_size\":6144,"
                           "\"conv_kernel_size\":3,\"conv_act\":\"gelu\"}"},
    {"deberta-base", "{" V1_COMMON ",\"hidden_size\":768,\"num_hidden_layers\":12,\"num_attention_heads\":12,"
                     "\"intermediate_size\":3072}"},
    {"deberta-large", "{" V1_COMMON ",\"hidden_size\":1024,\"num_hidden_layers\":24,\"num_attention_heads\":16,"
                      "\"intermediate_size\":4096}"},
};

const char *dcl_model_preset_config(const char *name)
{
    const char *base = strrchr(name, '/'); /* accept "microsoft/deberta-v3-base" */
    base = base ? base + 1 : name;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!dcl_strcasecmp(base, presets[i].name))
            return presets[i].config;
    return NULL;
}

/* ---- weight source: a checkpoint or random numbers ---- */
typedef struct loader {
    dcl_model *m;
    dcl_context *ctx;
    dcl_checkpoint *ck; /* NULL: synthesise */
    uint64_t rng;
    float *scratch;
    size_t scratch_cap;
    uint64_t done_bytes, total_bytes, progress_bytes;
    int last_pct;
} loader;

static float rng_uniform(uint64_t *s)
{
    /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (float)((*s * 0x2545F4914F6CDD1Dull) >> 40) / 16777216.0f * 2.0f - 1.0f;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* The tensor of a name, with or without the "deberta." prefix and with the old LayerNorm
 * gamma/beta names. */
static const dcl_st_tensor *find(const loader *ld, const char *name)
{
    char alt[512];
    const dcl_st_tensor *t = dcl_checkpoint_find(ld->ck, name);
    if (t)
        return t;
    if (!strncmp(name, "deberta.", 8))
        t = dcl_checkpoint_find(ld->ck, name + 8);
    else {
        snprintf(alt, sizeof alt, "deberta.%s", name);
        t = dcl_checkpoint_find(ld->ck, alt);
    }
    if (t)
        return t;
    const char *dot = strrchr(name, '.');
    if (dot && strstr(name, "LayerNorm.") && (!strcmp(dot, ".weight") || !strcmp(dot, ".bias"))) {
        snprintf(alt, sizeof alt, "%.*s%s", (int)(dot - name), name, !strcmp(dot, ".weight") ? ".gamma" : ".beta");
        loader tmp = *ld;
        if (strcmp(alt, name))
            return find(&tmp, alt);
    }
    return NULL;
}

static const char *ck_file(const loader *ld) { return ld->ck->nfiles ? ld->ck->files[0].path : "checkpoint"; }

static void shape_text(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
}

/* Fetches a tensor as float32 into the loader's scratch. *found = 0 when an optional tensor is
 * absent (then nothing is fetched). */
static dcl_status fetch(loader *ld, const char *name, int ndim, const int64_t *shape, int required, int *found)
{
    uint64_t numel = 1;
    for (int i = 0; i < ndim; i++)
        numel *= (uint64_t)shape[i];
    *found = 0;
    if (numel > ld->scratch_cap) {
        float *p = realloc(ld->scratch, (size_t)numel * sizeof(float));
        if (!p)
            return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory for tensor %s (%llu floats)", name,
                            (unsigned long long)numel);
        ld->scratch = p;
        ld->scratch_cap = (size_t)numel;
    }
    if (!ld->ck) {
        if (!required)
            return DCL_OK;
        /* LayerNorm weights 1 + noise, biases and betas small, matrices ~ N(0, 0.02)-like */
        float base = 0.0f, amp = 0.035f;
        if (ends_with(name, "LayerNorm.weight")) {
            base = 1.0f;
            amp = 0.05f;
        } else if (ends_with(name, "bias")) {
            amp = 0.01f;
        }
        for (uint64_t i = 0; i < numel; i++)
            ld->scratch[i] = base + amp * rng_uniform(&ld->rng);
        *found = 1;
        return DCL_OK;
    }
    const dcl_st_tensor *t = find(ld, name);
    if (!t) {
        if (required)
            return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: missing tensor %s", ck_file(ld), name);
        return DCL_OK;
    }
    int ok = t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = t->shape[i] == shape[i];
    if (!ok) {
        char want[128], got[128];
        shape_text(want, sizeof want, ndim, shape);
        shape_text(got, sizeof got, t->ndim, t->shape);
        return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensor %s has shape %s but the config needs %s", t->file, t->name,
                        got, want);
    }
    dcl_status st = dcl_st_to_f32(t, ld->scratch);
    if (st != DCL_OK)
        return st;
    *found = 1;
    ld->done_bytes += t->nbytes;
    if (ld->progress_bytes && ld->total_bytes > ld->progress_bytes) {
        int pct = (int)(100.0 * (double)ld->done_bytes / (double)ld->total_bytes);
        if (pct / 10 > ld->last_pct / 10) {
            ld->last_pct = pct;
            dcl_log(ld->ctx, DCL_LOG_INFO, "loading weights: %d%%", pct);
        }
    }
    return DCL_OK;
}

static dcl_status upload(loader *ld, const char *name, int ndim, const int64_t *shape, int required, cl_mem *out)
{
    int found;
    *out = NULL;
    dcl_status st = fetch(ld, name, ndim, shape, required, &found);
    if (st != DCL_OK || !found)
        return st;
    size_t numel = 1;
    for (int i = 0; i < ndim; i++)
        numel *= (size_t)shape[i];
    st = dcl_buffer_create(ld->ctx, numel * sizeof(float), ld->scratch, out);
    if (st == DCL_OK) {
        ld->m->parameters += numel;
        ld->m->device_bytes += numel * sizeof(float);
    } else {
        dcl_error_append(ld->ctx, " (uploading %s)", name);
    }
    return st;
}

static dcl_status up1(loader *ld, const char *name, int64_t a, int req, cl_mem *out)
{
    int64_t s[1] = {a};
    return upload(ld, name, 1, s, req, out);
}
static dcl_status up2(loader *ld, const char *name, int64_t a, int64_t b, int req, cl_mem *out)
{
    int64_t s[2] = {a, b};
    return upload(ld, name, 2, s, req, out);
}

/* Writes a fetched [rows, cols] tensor at a row offset into an existing buffer. */
static dcl_status put_rows(loader *ld, const char *name, int64_t rows, int64_t cols, cl_mem buf, size_t row_off)
{
    int64_t s[2] = {rows, cols};
    int found;
    dcl_status st = fetch(ld, name, 2, s, 1, &found);
    if (st != DCL_OK)
        return st;
    ld->m->parameters += (uint64_t)(rows * cols);
    return dcl_buffer_write(ld->ctx, buf, row_off * (size_t)cols * sizeof(float), (size_t)(rows * cols) * sizeof(float),
                            ld->scratch);
}

static int exists(const loader *ld, const char *name) { return !ld->ck ? 0 : find(ld, name) != NULL; }

static void release(cl_mem *m)
{
    if (*m) {
        clReleaseMemObject(*m);
        *m = NULL;
    }
}

void dcl_model_free_impl(dcl_model *m)
{
    if (!m)
        return;
    if (m->ctx && m->ctx->queue)
        (void)clFinish(m->ctx->queue); /* nothing to report while freeing: release regardless */
    for (int l = 0; m->layers && l < m->cfg.num_layers; l++) {
        dcl_layer *y = &m->layers[l];
        cl_mem *all[] = {&y->w_qkv, &y->b_q, &y->b_k, &y->b_v, &y->pk, &y->pq, &y->w_o, &y->b_o, &y->ln1_g,
                         &y->ln1_b, &y->w_i, &y->b_i, &y->w_out, &y->b_out, &y->ln2_g, &y->ln2_b};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            release(all[i]);
    }
    free(m->layers);
    cl_mem *all[] = {&m->word_emb, &m->pos_emb, &m->type_emb, &m->embed_proj, &m->emb_ln_g, &m->emb_ln_b,
                     &m->conv_w,   &m->conv_b,  &m->conv_ln_g, &m->conv_ln_b, &m->mlm_w,   &m->mlm_b,
                     &m->mlm_ln_g, &m->mlm_ln_b, &m->mlm_bias, &m->pooler_w,  &m->pooler_b, &m->cls_w,
                     &m->cls_b,    &m->qa_w,    &m->qa_b};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        release(all[i]);
    dcl_config_free(&m->cfg);
    free(m);
}

/* PK = R·Wkᵀ + bk and PQ = R·Wqᵀ + bq for every layer: the relative keys and queries do not
 * depend on the input, so they are computed once here. */
static dcl_status relative_constants(loader *ld, cl_mem rel, const dcl_layer *src_w, cl_mem *pos_w, cl_mem *pos_b,
                                     int layer)
{
    (void)src_w;
    (void)pos_w;
    (void)pos_b;
    (void)layer;
    (void)rel;
    return DCL_OK;
}

static dcl_status load_weights(loader *ld)
{
    dcl_model *m = ld->m;
    const dcl_config *c = &m->cfg;
    const int64_t H = c->hidden_size, E = c->embedding_size, A = c->all_head_size, I = c->intermediate_size;
    char n[256];
    dcl_status st;
    m->v1_layout = c->version == 1;
    m->ns = c->relative_attention ? 2 * c->att_span : 0;

    /* embeddings */
    if ((st = up2(ld, "deberta.embeddings.word_embeddings.weight", c->vocab_size, E, 1, &m->word_emb)))
        return st;
    int want_pos = c->position_biased_input || exists(ld, "deberta.embeddings.position_embeddings.weight");
    if (want_pos &&
        (st = up2(ld, "deberta.embeddings.position_embeddings.weight", c->max_position_embeddings, E,
                  c->position_biased_input, &m->pos_emb)))
        return st;
    if (c->type_vocab_size > 0 &&
        (st = up2(ld, "deberta.embeddings.token_type_embeddings.weight", c->type_vocab_size, E, 1, &m->type_emb)))
        return st;
    if (E != H && (st = up2(ld, "deberta.embeddings.embed_proj.weight", H, E, 1, &m->embed_proj)))
        return st;
    if ((st = up1(ld, "deberta.embeddings.LayerNorm.weight", H, 1, &m->emb_ln_g)) ||
        (st = up1(ld, "deberta.embeddings.LayerNorm.bias", H, 1, &m->emb_ln_b)))
        return st;

    /* relative embeddings (temporary: only PK and PQ stay on the device) */
    cl_mem rel = NULL, rel_ln_g = NULL, rel_ln_b = NULL;
    if (m->ns) {
        if ((st = up2(ld, "deberta.encoder.rel_embeddings.weight", m->ns, H, 1, &rel)))
            return st;
        if (c->version == 2 && c->norm_rel_ebd &&
            ((st = up1(ld, "deberta.encoder.LayerNorm.weight", H, 1, &rel_ln_g)) ||
             (st = up1(ld, "deberta.encoder.LayerNorm.bias", H, 1, &rel_ln_b))))
            goto out;
    }
    if (c->version == 2 && c->conv_kernel_size > 0) {
        int64_t s3[3] = {H, H / c->conv_groups, c->conv_kernel_size};
        if ((st = upload(ld, "deberta.encoder.conv.conv.weight", 3, s3, 1, &m->conv_w)) ||
            (st = up1(ld, "deberta.encoder.conv.conv.bias", H, 1, &m->conv_b)) ||
            (st = up1(ld, "deberta.encoder.conv.LayerNorm.weight", H, 1, &m->conv_ln_g)) ||
            (st = up1(ld, "deberta.encoder.conv.LayerNorm.bias", H, 1, &m->conv_ln_b)))
            goto out;
    }

    m->layers = calloc((size_t)c->num_layers, sizeof *m->layers);
    if (!m->layers) {
        st = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        goto out;
    }
    dcl_ops ops;
    int have_ops = 0;
    cl_mem rln = NULL; /* the LayerNorm'd relative table */
    if (m->ns) {
        if ((st = dcl_ops_init(ld->ctx, &ops)))
            goto out;
        have_ops = 1;
        if (rel_ln_g) {
            if ((st = dcl_buffer_create(ld->ctx, (size_t)(m->ns * H) * sizeof(float), NULL, &rln)) ||
                (st = dcl_op_layernorm(&ops, (unsigned)m->ns, (unsigned)H, c->layer_norm_eps, rel, NULL, NULL, rel_ln_g,
                                       rel_ln_b, NULL, rln)))
                goto layers_out;
        } else {
            cl_int err = clRetainMemObject(rel);
            if (err != CL_SUCCESS) {
                st = DCL_CL_FAIL(NULL, err, "clRetainMemObject");
                goto layers_out;
            }
            rln = rel;
        }
    }
    for (int l = 0; l < c->num_layers; l++) {
        dcl_layer *y = &m->layers[l];
#define NAME(fmt) (snprintf(n, sizeof n, "deberta.encoder.layer.%d." fmt, l), n)
        cl_mem pkw = NULL, pkb = NULL, pqw = NULL, pqb = NULL; /* separate relative projections */
        if ((st = dcl_buffer_create(ld->ctx, (size_t)(3 * A * H) * sizeof(float), NULL, &y->w_qkv)))
            goto layer_fail;
        m->device_bytes += (uint64_t)(3 * A * H) * sizeof(float);
        if (c->version == 1) {
            if ((st = put_rows(ld, NAME("attention.self.in_proj.weight"), 3 * H, H, y->w_qkv, 0)) ||
                (st = up1(ld, NAME("attention.self.q_bias"), H, 1, &y->b_q)) ||
                (st = up1(ld, NAME("attention.self.v_bias"), H, 1, &y->b_v)))
                goto layer_fail;
            if (m->ns && c->c2p && (st = up2(ld, NAME("attention.self.pos_proj.weight"), H, H, 1, &pkw)))
                goto layer_fail;
            if (m->ns && c->p2c &&
                ((st = up2(ld, NAME("attention.self.pos_q_proj.weight"), H, H, 1, &pqw)) ||
                 (st = up1(ld, NAME("attention.self.pos_q_proj.bias"), H, 1, &pqb))))
                goto layer_fail;
        } else {
            if ((st = put_rows(ld, NAME("attention.self.query_proj.weight"), A, H, y->w_qkv, 0)) ||
                (st = put_rows(ld, NAME("attention.self.key_proj.weight"), A, H, y->w_qkv, (size_t)A)) ||
                (st = put_rows(ld, NAME("attention.self.value_proj.weight"), A, H, y->w_qkv, (size_t)(2 * A))) ||
                (st = up1(ld, NAME("attention.self.query_proj.bias"), A, 1, &y->b_q)) ||
                (st = up1(ld, NAME("attention.self.key_proj.bias"), A, 1, &y->b_k)) ||
                (st = up1(ld, NAME("attention.self.value_proj.bias"), A, 1, &y->b_v)))
                goto layer_fail;
            if (m->ns && !c->share_att_key) {
                if (c->c2p && ((st = up2(ld, NAME("attention.self.pos_key_proj.weight"), A, H, 1, &pkw)) ||
                               (st = up1(ld, NAME("attention.self.pos_key_proj.bias"), A, 1, &pkb))))
                    goto layer_fail;
                if (c->p2c && ((st = up2(ld, NAME("attention.self.pos_query_proj.weight"), A, H, 1, &pqw)) ||
                               (st = up1(ld, NAME("attention.self.pos_query_proj.bias"), A, 1, &pqb))))
                    goto layer_fail;
            }
        }
        if ((st = up2(ld, NAME("attention.output.dense.weight"), H, A, 1, &y->w_o)) ||
            (st = up1(ld, NAME("attention.output.dense.bias"), H, 1, &y->b_o)) ||
            (st = up1(ld, NAME("attention.output.LayerNorm.weight"), H, 1, &y->ln1_g)) ||
            (st = up1(ld, NAME("attention.output.LayerNorm.bias"), H, 1, &y->ln1_b)) ||
            (st = up2(ld, NAME("intermediate.dense.weight"), I, H, 1, &y->w_i)) ||
            (st = up1(ld, NAME("intermediate.dense.bias"), I, 1, &y->b_i)) ||
            (st = up2(ld, NAME("output.dense.weight"), H, I, 1, &y->w_out)) ||
            (st = up1(ld, NAME("output.dense.bias"), H, 1, &y->b_out)) ||
            (st = up1(ld, NAME("output.LayerNorm.weight"), H, 1, &y->ln2_g)) ||
            (st = up1(ld, NAME("output.LayerNorm.bias"), H, 1, &y->ln2_b)))
            goto layer_fail;
#undef NAME
        /* relative keys and queries of this layer */
        if (m->ns) {
            size_t bytes = (size_t)(m->ns * A) * sizeof(float);
            /* which weight rows and bias: shared with the content projections, or separate */
            struct { int on; cl_mem w; size_t w_row; cl_mem b; cl_mem *out; } proj[2] = {
                {c->c2p, pkw ? pkw : y->w_qkv, pkw ? 0 : (size_t)A, pkw ? pkb : y->b_k, &y->pk},
                {c->p2c, pqw ? pqw : y->w_qkv, pqw ? 0 : 0, pqw ? pqb : y->b_q, &y->pq}};
            for (int k = 0; k < 2; k++) {
                if (!proj[k].on)
                    continue;
                if ((st = dcl_buffer_create(ld->ctx, bytes, NULL, proj[k].out)))
                    goto layer_fail;
                m->device_bytes += bytes;
                if ((st = dcl_linear(ld->ctx, (size_t)m->ns, (size_t)A, (size_t)H, rln, 0, proj[k].w,
                                     proj[k].w_row * (size_t)H, 0.0f, *proj[k].out, 0, NULL)))
                    goto layer_fail;
                if (proj[k].b &&
                    (st = dcl_op_bias_act(&ops, (unsigned)m->ns, (unsigned)A, *proj[k].out, proj[k].b, NULL,
                                          DCL_ACT_IDENTITY)))
                    goto layer_fail;
            }
        }
        release(&pkw);
        release(&pkb);
        release(&pqw);
        release(&pqb);
        continue;
    layer_fail:
        release(&pkw);
        release(&pkb);
        release(&pqw);
        release(&pqb);
        goto layers_out;
    }
    if (m->ns) {
        cl_int err = clFinish(ld->ctx->queue);
        if (err != CL_SUCCESS)
            st = DCL_CL_FAIL(ld->ctx, err, "clFinish (relative-position projections)");
    }
layers_out:
    if (rln)
        clReleaseMemObject(rln);
    if (have_ops)
        dcl_ops_release(&ops);
out:
    release(&rel);
    release(&rel_ln_g);
    release(&rel_ln_b);
    (void)relative_constants;
    return st;
}

static dcl_status load_heads(loader *ld)
{
    dcl_model *m = ld->m;
    const dcl_config *c = &m->cfg;
    const int64_t H = c->hidden_size, E = c->embedding_size;
    dcl_status st = DCL_OK;
    if (!ld->ck)
        return DCL_OK;
    const dcl_st_tensor *t;
    /* masked LM: the legacy=False head, else the legacy one */
    if ((t = find(ld, "lm_predictions.lm_head.dense.weight")) && t->ndim == 2) {
        m->mlm_dim = (int)t->shape[0];
        if (m->mlm_dim != E)
            return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: lm_predictions.lm_head.dense.weight has %d outputs; the tied "
                            "word embeddings need %lld", t->file, m->mlm_dim, (long long)E);
        if ((st = up2(ld, "lm_predictions.lm_head.dense.weight", E, H, 1, &m->mlm_w)) ||
            (st = up1(ld, "lm_predictions.lm_head.dense.bias", E, 1, &m->mlm_b)) ||
            (st = up1(ld, "lm_predictions.lm_head.LayerNorm.weight", E, 1, &m->mlm_ln_g)) ||
            (st = up1(ld, "lm_predictions.lm_head.LayerNorm.bias", E, 1, &m->mlm_ln_b)) ||
            (st = up1(ld, "lm_predictions.lm_head.bias", c->vocab_size, 1, &m->mlm_bias)))
            return st;
        m->heads |= DCL_HEAD_MLM;
    } else if ((t = find(ld, "cls.predictions.transform.dense.weight")) && t->ndim == 2) {
        m->mlm_dim = (int)t->shape[0];
        m->mlm_legacy = 1;
        if (m->mlm_dim != E)
            return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: cls.predictions.transform.dense.weight has %d outputs; the "
                            "tied word embeddings need %lld", t->file, m->mlm_dim, (long long)E);
        if ((st = up2(ld, "cls.predictions.transform.dense.weight", E, H, 1, &m->mlm_w)) ||
            (st = up1(ld, "cls.predictions.transform.dense.bias", E, 1, &m->mlm_b)) ||
            (st = up1(ld, "cls.predictions.transform.LayerNorm.weight", E, 1, &m->mlm_ln_g)) ||
            (st = up1(ld, "cls.predictions.transform.LayerNorm.bias", E, 1, &m->mlm_ln_b)) ||
            (st = up1(ld, "cls.predictions.bias", c->vocab_size, 1, &m->mlm_bias)))
            return st;
        m->heads |= DCL_HEAD_MLM;
    }
    if (m->pos_emb && !c->position_biased_input)
        m->heads |= DCL_HEAD_EMD;
    /* pooler + classifier, or a per-token classifier */
    int has_pooler = find(ld, "pooler.dense.weight") != NULL;
    if (has_pooler) {
        m->pooler_size = c->pooler_hidden_size;
        if ((st = up2(ld, "pooler.dense.weight", m->pooler_size, H, 1, &m->pooler_w)) ||
            (st = up1(ld, "pooler.dense.bias", m->pooler_size, 1, &m->pooler_b)))
            return st;
    }
    if ((t = find(ld, "classifier.weight")) && t->ndim == 2) {
        int64_t in = has_pooler ? m->pooler_size : H;
        m->cls_out = (int)t->shape[0];
        if ((st = up2(ld, "classifier.weight", m->cls_out, in, 1, &m->cls_w)) ||
            (st = up1(ld, "classifier.bias", m->cls_out, 1, &m->cls_b)))
            return st;
        if (!has_pooler)
            m->heads |= DCL_HEAD_TOKEN_CLASS;
        else if (strstr(c->architecture, "MultipleChoice") && m->cls_out == 1)
            m->heads |= DCL_HEAD_MULTIPLE_CHOICE;
        else
            m->heads |= DCL_HEAD_SEQUENCE_CLASS;
        if (!(m->heads & DCL_HEAD_MULTIPLE_CHOICE) && c->num_labels && c->num_labels != m->cls_out)
            return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: classifier.weight has %d outputs but config.json names %d labels",
                            t->file, m->cls_out, c->num_labels);
    }
    if (find(ld, "qa_outputs.weight")) {
        if ((st = up2(ld, "qa_outputs.weight", 2, H, 1, &m->qa_w)) || (st = up1(ld, "qa_outputs.bias", 2, 1, &m->qa_b)))
            return st;
        m->heads |= DCL_HEAD_QA;
    }
    return DCL_OK;
}

static dcl_status finish_load(dcl_context *ctx, loader *ld, dcl_model **out)
{
    dcl_status st = load_weights(ld);
    if (st == DCL_OK)
        st = load_heads(ld);
    if (st == DCL_OK)
        st = dcl_model_pack_weights(ld->m);
    free(ld->scratch);
    if (st != DCL_OK) {
        dcl_context_set_error(ctx, dcl_thread_error());
        dcl_model_free_impl(ld->m);
        return st;
    }
    dcl_log(ctx, DCL_LOG_INFO, "model: %s, %d layers, hidden %d, %.1f M parameters, %.1f MiB on the device",
            ld->m->cfg.model_type, ld->m->cfg.num_layers, ld->m->cfg.hidden_size, (double)ld->m->parameters / 1e6,
            (double)ld->m->device_bytes / (1 << 20));
    *out = ld->m;
    return DCL_OK;
}

dcl_status dcl_model_load_impl(dcl_context *ctx, const char *path, const dcl_model_params *p, dcl_model **out)
{
    dcl_model *m = calloc(1, sizeof *m);
    if (!m)
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    m->ctx = ctx;
    dcl_status st = dcl_config_load(path, &m->cfg);
    if (st != DCL_OK) {
        free(m);
        dcl_context_set_error(ctx, dcl_thread_error());
        return st;
    }
    loader ld = {0};
    ld.m = m;
    ld.ctx = ctx;
    ld.progress_bytes = p->progress_bytes;
    st = dcl_checkpoint_open(path, &ld.ck);
    if (st != DCL_OK) {
        dcl_context_set_error(ctx, dcl_thread_error());
        dcl_model_free_impl(m);
        return st;
    }
    ld.total_bytes = ld.ck->total_bytes;
    st = finish_load(ctx, &ld, out);
    dcl_checkpoint_close(ld.ck);
    return st;
}

dcl_status dcl_model_synthesize_impl(dcl_context *ctx, const char *preset, const dcl_model_params *p, dcl_model **out)
{
    dcl_model *m = calloc(1, sizeof *m);
    if (!m)
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    m->ctx = ctx;
    const char *text = dcl_model_preset_config(preset);
    dcl_status st = text ? dcl_config_parse(text, strlen(text), preset, &m->cfg) : dcl_config_load(preset, &m->cfg);
    if (st != DCL_OK) {
        free(m);
        if (!text && st == DCL_ERR_IO)
            dcl_error_append(ctx, " (not a preset either: deberta-v3-xsmall, -small, -base, -large, mdeberta-v3-base, "
                                  "deberta-v2-xlarge, -xxlarge, deberta-base, deberta-large)");
        dcl_context_set_error(ctx, dcl_thread_error());
        return st;
    }
    m->synthetic = 1;
    loader ld = {0};
    ld.m = m;
    ld.ctx = ctx;
    ld.rng = p->seed ? p->seed : 0x9e3779b97f4a7c15ull;
    return finish_load(ctx, &ld, out);
}
