/* SPDX-License-Identifier: Apache-2.0 */
#include "heads.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tuning.h"

/* The vocabulary GEMM of the masked LM is done in chunks of rows so that its output buffer stays
 * below HEADS_CHUNK_FLOATS floats (the tuning; 32 MiB by default); each chunk is read back before
 * the next one overwrites it (the queue is in order). */

typedef struct heads_ws {
    size_t T;          /* rows every buffer holds: the session's max_batch x max_length */
    size_t chunk;      /* rows of vocabulary logits per GEMM */
    cl_mem rows;       /* int32 [T]: row indices to gather */
    cl_mem iota;       /* int32 [T]: 0, 1, ..., T-1 (the enhanced mask decoder's identity gather) */
    cl_mem g;          /* [T, H]: gathered rows, pooled embeddings */
    cl_mem e;          /* [T, max(E, P)]: MLM transform or pooler output */
    cl_mem logits;     /* logits of one chunk (MLM) or of all rows (classifiers, QA) */
    cl_mem weights;    /* [T]: mean-pooling weights */
    cl_mem temp;       /* CLBlast's temporary buffer for the head GEMMs, or NULL */
    size_t temp_bytes;
    int32_t *h_rows;   /* host staging, alive until the queue is finished */
    float *h_weights;
    float *h_out;      /* [T, 2]: QA logits before they are split */
} heads_ws;

static void release(cl_mem *m)
{
    if (*m) {
        clReleaseMemObject(*m);
        *m = NULL;
    }
}

static void ws_free(void *p)
{
    heads_ws *w = p;
    if (!w)
        return;
    cl_mem *all[] = {&w->rows, &w->iota, &w->g, &w->e, &w->logits, &w->weights, &w->temp};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        release(all[i]);
    free(w->h_rows);
    free(w->h_weights);
    free(w->h_out);
    free(w);
}

static size_t max_z(size_t a, size_t b) { return a > b ? a : b; }


/* Allocates the workspace once per session (the first head call). */
static dcl_status ws_get(dcl_session *s, heads_ws **out)
{
    if (s->heads_ws) {
        *out = s->heads_ws;
        return DCL_OK;
    }
    const dcl_model *m = s->model;
    const dcl_config *c = &m->cfg;
    dcl_context *ctx = s->ctx;
    heads_ws *w = calloc(1, sizeof *w);
    if (!w)
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    const size_t T = (size_t)s->max_batch * (size_t)s->max_length, H = (size_t)c->hidden_size;
    const size_t E = (size_t)c->embedding_size, V = (size_t)c->vocab_size;
    const size_t P = m->pooler_size > 0 ? (size_t)m->pooler_size : H;
    const size_t N = m->cls_out > 0 ? (size_t)m->cls_out : 1;
    w->T = T;
    w->chunk = (m->heads & DCL_HEAD_MLM) ? max_z(1, (size_t)dcl_tuning_value(ctx, DCL_T_HEADS_CHUNK_FLOATS) / V) : 1;
    if (w->chunk > T)
        w->chunk = T;
    size_t logits = max_z(T * max_z(N, 2), (m->heads & DCL_HEAD_MLM) ? w->chunk * V : 0);
    w->h_rows = malloc(T * sizeof *w->h_rows);
    w->h_weights = malloc(T * sizeof *w->h_weights);
    w->h_out = malloc(T * 2 * sizeof *w->h_out);
    if (!w->h_rows || !w->h_weights || !w->h_out) {
        ws_free(w);
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (size_t t = 0; t < T; t++)
        w->h_rows[t] = (int32_t)t;
    dcl_status st;
    if ((st = dcl_buffer_create(ctx, T * sizeof(int32_t), NULL, &w->rows)) ||
        (st = dcl_buffer_create(ctx, T * sizeof(int32_t), w->h_rows, &w->iota)) ||
        (st = dcl_buffer_create(ctx, T * H * sizeof(float), NULL, &w->g)) ||
        (st = dcl_buffer_create(ctx, T * max_z(E, P) * sizeof(float), NULL, &w->e)) ||
        (st = dcl_buffer_create(ctx, logits * sizeof(float), NULL, &w->logits)) ||
        (st = dcl_buffer_create(ctx, T * sizeof(float), NULL, &w->weights))) {
        dcl_error_append(ctx, " (head workspace for %d x %d)", s->max_batch, s->max_length);
        ws_free(w);
        return st;
    }
    /* CLBlast's temporary buffer for the largest head GEMM, allocated once */
    size_t shapes[][3] = {{T, E, H}, {w->chunk, V, E}, {T, P, H}, {T, N, P}, {T, N, H},
                          {T, 2, H}, {1, H, (size_t)s->max_length}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        dcl_gemm_args g = dcl_linear_args(shapes[i][0], shapes[i][1], shapes[i][2], NULL, 0, NULL, 0, NULL, 0);
        size_t bytes = 0;
        if (dcl_gemm_temp_size(ctx, &g, &bytes) == DCL_OK && bytes > w->temp_bytes)
            w->temp_bytes = bytes;
    }
    if (w->temp_bytes && (st = dcl_buffer_create(ctx, w->temp_bytes, NULL, &w->temp))) {
        ws_free(w);
        return st;
    }
    s->heads_ws = w;
    s->heads_ws_free = ws_free;
    *out = w;
    return DCL_OK;
}

/* A GEMM with the workspace's temporary buffer (CLBlast's own when a shape would need more). */
static dcl_status gemm(dcl_session *s, heads_ws *w, const dcl_gemm_args *g)
{
    cl_mem temp = w->temp;
    size_t need = 0;
    if (g->batch <= 1 && dcl_gemm_temp_size(s->ctx, g, &need) == DCL_OK && need > w->temp_bytes)
        temp = NULL;
    return dcl_session_gemm(s, g, temp);
}

static dcl_status linear(dcl_session *s, heads_ws *w, size_t m, size_t n, size_t k, cl_mem x, size_t x_off,
                         cl_mem wt, cl_mem y)
{
    dcl_gemm_args g = dcl_linear_args(m, n, k, x, x_off, wt, 0, y, 0);
    return gemm(s, w, &g);
}

static dcl_status write_async(dcl_session *s, cl_mem m, size_t bytes, const void *host)
{
    return dcl_session_write(s, m, bytes, host);
}

static dcl_status read_async(dcl_session *s, cl_mem m, size_t off, size_t bytes, void *host)
{
    return dcl_session_read(s, m, off, bytes, host);
}

/* Checks the batch, gets the workspace, enqueues the encoder (no wait). */
static dcl_status begin(dcl_session *s, const dcl_batch *b, heads_ws **w, double *t0)
{
    *t0 = dcl_now();
    dcl_status st = dcl_batch_check(s, b);
    if (st == DCL_OK)
        st = ws_get(s, w);
    if (st == DCL_OK)
        st = dcl_encoder_run(s, b, NULL, 0);
    dcl_prof_op(&s->prof, DCL_OPC_HEADS, 0, 0, "head");
    return st;
}

/* Waits for the queue once; on an error, still drains it so that no transfer is left pending. */
static dcl_status end(dcl_session *s, dcl_status st, double t0)
{
    if (st != DCL_OK) {
        clFinish(s->ctx->queue);
        dcl_prof_clear(&s->prof);
        return st;
    }
    return dcl_session_finish(s, t0);
}

/* The first token of each sequence ([CLS] with right padding): row * length, or offsets[row]. */
static void first_tokens(const dcl_batch *b, int32_t *rows)
{
    for (int r = 0; r < b->batch; r++)
        rows[r] = b->offsets ? b->offsets[r] : (int32_t)((size_t)r * (size_t)b->length);
}

/* Gathers rows[i] of src [*, H] into w->g (n rows), from host indices already in w->h_rows. */
static dcl_status gather(dcl_session *s, heads_ws *w, size_t n, cl_mem src)
{
    const unsigned H = (unsigned)s->model->cfg.hidden_size;
    dcl_status st = write_async(s, w->rows, n * sizeof(int32_t), w->h_rows);
    if (st == DCL_OK)
        st = dcl_op_embed_gather(&s->ops, (unsigned)n, 1, H, w->rows, NULL, src, NULL, NULL, w->g);
    return st;
}

/* The original enhanced mask decoder (deberta.md §6.4, tools/reference/make_fixtures.py run_emd):
 * query = position_embeddings[arange(L)] + layer N-1 output; twice: query = last layer(query,
 * keys/values = layer N-1 output). Leaves the result in s->h[3]; overwrites s->out. */
static dcl_status run_emd(dcl_session *s, heads_ws *w, cl_mem *result)
{
    dcl_model *m = s->model;
    const dcl_config *c = &m->cfg;
    const unsigned L = (unsigned)s->L, T = (unsigned)s->T, H = (unsigned)c->hidden_size;
    cl_mem free3 = NULL; /* the hidden-state buffer that holds neither s->out nor s->prev */
    for (int i = 0; i < 3; i++)
        if (s->h[i] != s->out && s->h[i] != s->prev)
            free3 = s->h[i];
    cl_mem q = s->h[3];
    int last = c->num_layers - 1;
    dcl_status st;
    /* absolute positions restart at every sequence of a packed batch */
    dcl_prof_op(&s->prof, DCL_OPC_HEADS, (double)T * H, 4.0 * (3.0 * T * H + T), "emd.query");
    if ((st = s->packed ? dcl_attn_embed_gather(&s->attn, T, H, w->iota, NULL, s->prev, m->pos_emb, NULL, q)
                        : dcl_op_embed_gather(&s->ops, T, L, H, w->iota, NULL, s->prev, m->pos_emb, NULL, q)) ||
        (st = dcl_layer_run(s, last, q, s->prev, free3, s->out, NULL)) ||
        (st = dcl_layer_run(s, last, free3, s->prev, q, s->out, NULL)))
        return st;
    dcl_prof_op(&s->prof, DCL_OPC_HEADS, 0, 0, "head");
    *result = q;
    return DCL_OK;
}

dcl_status dcl_heads_mlm(dcl_session *s, const dcl_batch *b, const int32_t *pos, int n, int emd, float *out)
{
    dcl_model *m = s->model;
    const dcl_config *c = &m->cfg;
    const size_t H = (size_t)c->hidden_size, E = (size_t)c->embedding_size, V = (size_t)c->vocab_size;
    heads_ws *w = NULL;
    double t0;
    dcl_status st = begin(s, b, &w, &t0);
    cl_mem src = s->out, rows_src;
    if (st == DCL_OK && emd)
        st = run_emd(s, w, &src);
    if (st == DCL_OK) {
        if (pos) {
            for (int i = 0; i < n; i++)
                w->h_rows[i] = pos[i];
            st = gather(s, w, (size_t)n, src);
            rows_src = w->g;
        } else {
            rows_src = src;
        }
    }
    /* t = LN(act(dense(h))); logits = t · word_embeddingsᵀ + bias, chunk by chunk */
    if (st == DCL_OK && (st = linear(s, w, (size_t)n, E, H, rows_src, 0, m->mlm_w, w->e)) == DCL_OK &&
        (st = dcl_op_bias_act(&s->ops, (unsigned)n, (unsigned)E, w->e, m->mlm_b, NULL, c->hidden_act)) == DCL_OK)
        st = dcl_op_layernorm(&s->ops, (unsigned)n, (unsigned)E, c->layer_norm_eps, w->e, NULL, NULL, m->mlm_ln_g,
                              m->mlm_ln_b, NULL, w->e);
    for (size_t r0 = 0; st == DCL_OK && r0 < (size_t)n; r0 += w->chunk) {
        size_t rows = (size_t)n - r0 < w->chunk ? (size_t)n - r0 : w->chunk;
        if ((st = linear(s, w, rows, V, E, w->e, r0 * E, m->word_emb, w->logits)) ||
            (st = dcl_op_bias_act(&s->ops, (unsigned)rows, (unsigned)V, w->logits, m->mlm_bias, NULL,
                                  DCL_ACT_IDENTITY)))
            break;
        st = read_async(s, w->logits, 0, rows * V * sizeof(float), out + r0 * V);
    }
    return end(s, st, t0);
}

dcl_status dcl_heads_emd_hidden(dcl_session *s, const dcl_batch *b, float *out)
{
    heads_ws *w = NULL;
    double t0;
    dcl_status st = begin(s, b, &w, &t0);
    cl_mem src = NULL;
    if (st == DCL_OK)
        st = run_emd(s, w, &src);
    if (st == DCL_OK)
        st = read_async(s, src, 0, (size_t)s->T * (size_t)s->model->cfg.hidden_size * sizeof(float), out);
    return end(s, st, t0);
}

dcl_status dcl_heads_pooled(dcl_session *s, const dcl_batch *b, float *out)
{
    dcl_model *m = s->model;
    const dcl_config *c = &m->cfg;
    const size_t H = (size_t)c->hidden_size, P = (size_t)m->pooler_size, N = (size_t)m->cls_out;
    heads_ws *w = NULL;
    double t0;
    dcl_status st = begin(s, b, &w, &t0);
    const size_t B = (size_t)b->batch;
    if (st == DCL_OK) {
        first_tokens(b, w->h_rows);
        if (!(st = gather(s, w, B, s->out)) && !(st = linear(s, w, B, P, H, w->g, 0, m->pooler_w, w->e)) &&
            !(st = dcl_op_bias_act(&s->ops, (unsigned)B, (unsigned)P, w->e, m->pooler_b, NULL, c->pooler_hidden_act)) &&
            !(st = linear(s, w, B, N, P, w->e, 0, m->cls_w, w->logits)) &&
            !(st = dcl_op_bias_act(&s->ops, (unsigned)B, (unsigned)N, w->logits, m->cls_b, NULL, DCL_ACT_IDENTITY)))
            st = read_async(s, w->logits, 0, B * N * sizeof(float), out);
    }
    return end(s, st, t0);
}

dcl_status dcl_heads_token(dcl_session *s, const dcl_batch *b, float *out)
{
    dcl_model *m = s->model;
    const size_t H = (size_t)m->cfg.hidden_size, N = (size_t)m->cls_out;
    heads_ws *w = NULL;
    double t0;
    dcl_status st = begin(s, b, &w, &t0);
    const size_t T = dcl_batch_tokens(b);
    if (st == DCL_OK && !(st = linear(s, w, T, N, H, s->out, 0, m->cls_w, w->logits)) &&
        !(st = dcl_op_bias_act(&s->ops, (unsigned)T, (unsigned)N, w->logits, m->cls_b, NULL, DCL_ACT_IDENTITY)))
        st = read_async(s, w->logits, 0, T * N * sizeof(float), out);
    return end(s, st, t0);
}

dcl_status dcl_heads_qa(dcl_session *s, const dcl_batch *b, float *start, float *end_out)
{
    dcl_model *m = s->model;
    const size_t H = (size_t)m->cfg.hidden_size;
    heads_ws *w = NULL;
    double t0;
    dcl_status st = begin(s, b, &w, &t0);
    const size_t T = dcl_batch_tokens(b);
    if (st == DCL_OK && !(st = linear(s, w, T, 2, H, s->out, 0, m->qa_w, w->logits)) &&
        !(st = dcl_op_bias_act(&s->ops, (unsigned)T, 2, w->logits, m->qa_b, NULL, DCL_ACT_IDENTITY)))
        st = read_async(s, w->logits, 0, T * 2 * sizeof(float), w->h_out);
    if ((st = end(s, st, t0)) != DCL_OK)
        return st;
    for (size_t t = 0; t < T; t++) {
        start[t] = w->h_out[2 * t];
        end_out[t] = w->h_out[2 * t + 1];
    }
    return DCL_OK;
}

dcl_status dcl_heads_embed(dcl_session *s, const dcl_batch *b, int pooling, int normalize, float *out)
{
    const size_t H = (size_t)s->model->cfg.hidden_size;
    heads_ws *w = NULL;
    double t0;
    dcl_status st = begin(s, b, &w, &t0);
    const size_t B = (size_t)b->batch, L = (size_t)b->length;
    if (st == DCL_OK && pooling == 0) {
        first_tokens(b, w->h_rows);
        st = gather(s, w, B, s->out);
    } else if (st == DCL_OK && b->offsets) {
        /* packed: out[r] = mean of the sequence's tokens, one product per sequence */
        const size_t T = dcl_batch_tokens(b);
        for (size_t r = 0; r < B; r++)
            for (size_t t = (size_t)b->offsets[r]; t < (size_t)b->offsets[r + 1]; t++)
                w->h_weights[t] = 1.0f / (float)(b->offsets[r + 1] - b->offsets[r]);
        st = write_async(s, w->weights, T * sizeof(float), w->h_weights);
        for (size_t r = 0; r < B && st == DCL_OK; r++) {
            dcl_gemm_args g;
            memset(&g, 0, sizeof g);
            g.m = 1;
            g.n = H;
            g.k = (size_t)(b->offsets[r + 1] - b->offsets[r]);
            g.alpha = 1.0f;
            g.a = w->weights;
            g.a_off = (size_t)b->offsets[r];
            g.lda = g.k;
            g.b = s->out;
            g.b_off = (size_t)b->offsets[r] * H;
            g.ldb = H;
            g.c = w->g;
            g.c_off = r * H;
            g.ldc = H;
            st = gemm(s, w, &g);
        }
    } else if (st == DCL_OK) {
        /* mean over real tokens: out[r] = weights[r] · h[r], weights = mask / count */
        for (size_t r = 0; r < B; r++) {
            size_t count = 0;
            for (size_t i = 0; i < L; i++)
                count += b->attention_mask ? b->attention_mask[r * L + i] != 0 : 1;
            for (size_t i = 0; i < L; i++) {
                int real = b->attention_mask ? b->attention_mask[r * L + i] != 0 : 1;
                w->h_weights[r * L + i] = real && count ? 1.0f / (float)count : 0.0f;
            }
        }
        dcl_gemm_args g;
        memset(&g, 0, sizeof g);
        g.m = 1;
        g.n = H;
        g.k = L;
        g.alpha = 1.0f;
        g.a = w->weights;
        g.lda = L;
        g.a_stride = L;
        g.b = s->out;
        g.ldb = H;
        g.b_stride = L * H;
        g.c = w->g;
        g.ldc = H;
        g.c_stride = H;
        g.batch = B > 1 ? B : 0;
        if ((st = write_async(s, w->weights, B * L * sizeof(float), w->h_weights)) == DCL_OK)
            st = gemm(s, w, &g);
    }
    if (st == DCL_OK)
        st = read_async(s, w->g, 0, B * H * sizeof(float), out);
    if ((st = end(s, st, t0)) != DCL_OK)
        return st;
    if (normalize) {
        for (size_t r = 0; r < B; r++) {
            double ss = 0;
            for (size_t e = 0; e < H; e++)
                ss += (double)out[r * H + e] * out[r * H + e];
            double norm = sqrt(ss);
            float inv = (float)(1.0 / (norm > 1e-12 ? norm : 1e-12)); /* torch.nn.functional.normalize */
            for (size_t e = 0; e < H; e++)
                out[r * H + e] *= inv;
        }
    }
    return DCL_OK;
}

/* ---- post-processing on the host ------------------------------------------------------------- */

/* The softmax normaliser of x: its maximum and the sum of exp(x - max), in double. */
static double softmax_sum(const float *x, int n, float *max)
{
    float mx = -INFINITY;
    for (int i = 0; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += exp((double)x[i] - (double)mx);
    *max = mx;
    return sum;
}

void dcl_heads_softmax(const float *x, int n, float *p)
{
    float mx;
    double sum = softmax_sum(x, n, &mx);
    for (int i = 0; i < n; i++)
        p[i] = (float)(exp((double)x[i] - (double)mx) / sum);
}

void dcl_heads_top_k(const float *x, int n, int k, int32_t *idx, float *prob)
{
    if (k > n)
        k = n;
    int have = 0;
    for (int i = 0; i < n; i++) {
        /* insertion into the sorted best-k list; equal values keep the earlier index first */
        if (have == k && !(x[i] > x[idx[k - 1]]))
            continue;
        int j = have < k ? have++ : k - 1;
        while (j > 0 && x[i] > x[idx[j - 1]]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    if (!prob)
        return;
    float mx;
    double sum = softmax_sum(x, n, &mx);
    for (int j = 0; j < k; j++)
        prob[j] = (float)(exp((double)x[idx[j]] - (double)mx) / sum);
}

/* softmax over the allowed tokens (the others get probability 0) */
static void masked_softmax(const float *x, int n, const int32_t *allowed, double *p)
{
    double mx = -INFINITY, sum = 0;
    for (int i = 0; i < n; i++)
        if (!allowed || allowed[i])
            mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < n; i++) {
        p[i] = !allowed || allowed[i] ? exp((double)x[i] - mx) : 0.0;
        sum += p[i];
    }
    for (int i = 0; i < n; i++)
        p[i] /= sum;
}

dcl_status dcl_heads_best_span(const float *start, const float *end, int n, const int32_t *allowed, int max_len,
                               dcl_span *span)
{
    double *ps = malloc(2 * (size_t)n * sizeof *ps);
    if (!ps)
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    double *pe = ps + n;
    masked_softmax(start, n, allowed, ps);
    masked_softmax(end, n, allowed, pe);
    double best = -1;
    for (int i = 0; i < n; i++) {
        if (allowed && !allowed[i])
            continue;
        for (int j = i; j < n && j < i + max_len; j++) {
            if (allowed && !allowed[j])
                continue;
            double v = ps[i] * pe[j];
            if (v > best) {
                best = v;
                span->start = i;
                span->end = j;
                span->score = (float)v;
            }
        }
    }
    free(ps);
    return DCL_OK;
}

/* config.json's id2label name of class i, or transformers' default "LABEL_<i>" */
static const char *label_name(const dcl_model *m, int i, char *buf, size_t size)
{
    if (i < m->cfg.num_labels && m->cfg.labels && m->cfg.labels[i])
        return m->cfg.labels[i];
    snprintf(buf, size, "LABEL_%d", i);
    return buf;
}

/* transformers' TokenClassificationPipeline.get_tag: "B-X" / "I-X", anything else continues */
static const char *tag_of(const char *label, int *begin)
{
    if ((label[0] == 'B' || label[0] == 'I') && label[1] == '-') {
        *begin = label[0] == 'B';
        return label + 2;
    }
    *begin = 0;
    return label;
}

dcl_status dcl_heads_group(const dcl_model *m, const float *logits, int length, const int32_t *skip,
                           const size_t *offsets, dcl_entity *out, int capacity, int *count)
{
    const int N = m->cls_out;
    float *p = malloc((size_t)N * sizeof *p);
    if (!p)
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    int found = 0;
    dcl_entity cur;
    int open = 0, cur_n = 0, last_label = -1;
    double score_sum = 0;
    for (int t = 0; t <= length; t++) {
        int label = -1;
        float score = 0;
        if (t < length) {
            if (skip && skip[t])
                continue;
            dcl_heads_softmax(logits + (size_t)t * N, N, p);
            label = 0;
            for (int c = 1; c < N; c++)
                if (p[c] > p[label])
                    label = c;
            score = p[label];
        }
        int join = 0, b_new = 0;
        const char *tag = NULL;
        char buf[2][32];
        if (label >= 0) {
            tag = tag_of(label_name(m, label, buf[0], sizeof buf[0]), &b_new);
            if (open) {
                int b_last;
                const char *last_tag = tag_of(label_name(m, last_label, buf[1], sizeof buf[1]), &b_last);
                join = !b_new && !strcmp(tag, last_tag);
            }
        }
        if (open && !join) { /* close the current group */
            cur.score = (float)(score_sum / cur_n);
            if (strcmp(cur.group, "O")) {
                if (found < capacity)
                    out[found] = cur;
                found++;
            }
            open = 0;
        }
        if (label < 0)
            break;
        if (!open) {
            memset(&cur, 0, sizeof cur);
            cur.label = label;
            dcl_strlcpy(cur.group, tag, sizeof cur.group);
            cur.first_token = t;
            cur.start = offsets ? (long)offsets[2 * (size_t)t] : -1;
            cur_n = 0;
            score_sum = 0;
            open = 1;
        }
        cur.last_token = t;
        cur.end = offsets ? (long)offsets[2 * (size_t)t + 1] : -1;
        score_sum += score;
        cur_n++;
        last_label = label;
    }
    free(p);
    *count = found;
    return DCL_OK;
}
