/* SPDX-License-Identifier: Apache-2.0 */
/* Extractive question answering as the classic question-answering pipeline of transformers
 * (4.x; 5.x has none): the context is cut into windows of max_seq_len tokens that overlap by
 * doc_stride; in each window the start and end logits outside the context (except [CLS]) are
 * set to -10000, a softmax runs over the window, [CLS] is then zeroed (its product is the "no
 * answer" score), spans start <= end < start + max_answer_len are scored p_start * p_end, and
 * answers are extended to whole words (align_to_words). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "tok_text.h"
#include "tokenizer.h"
#include "util.h"


/* Word index of every context token (enc tokens [cs, ce)), as the tokenizer's pre-tokenizer
 * splits words: Metaspace words start at U+2581; byte-level words are the GPT-2 pieces. */
static int *context_words(const dcl_pipeline *p, const dcl_encoding *enc, int cs, int ce, const char *context)
{
    int *w = malloc((size_t)(ce - cs + 1) * sizeof *w);
    if (!w)
        return NULL;
    int word = -1;
    if (p->tok->kind == TOK_BPE) {
        /* code point starts of the GPT-2 pieces */
        size_t n = strlen(context), cp = 0, piece_end = 0;
        size_t *starts = malloc((n + 1) * sizeof *starts), ns = 0;
        if (!starts) {
            free(w);
            return NULL;
        }
        for (size_t i = 0; i < n;) {
            if (i == piece_end) {
                starts[ns++] = cp;
                piece_end = i + tok_gpt2_piece(context + i, n - i);
            }
            uint32_t c;
            i += tok_utf8_next(context + i, n - i, &c);
            cp++;
        }
        size_t k = 0;
        for (int t = cs; t < ce; t++) {
            size_t a = enc->offsets[2 * t];
            int fresh = word < 0;
            while (k < ns && starts[k] <= a) { /* a piece starts at or before this token */
                if (t == cs || starts[k] > enc->offsets[2 * (t - 1)])
                    fresh = 1;
                k++;
            }
            word += fresh;
            w[t - cs] = word;
        }
        free(starts);
        return w;
    }
    int prev_punct = 0;
    for (int t = cs; t < ce; t++) {
        const char *s = dcl_tokenizer_id_to_token(p->tok, enc->ids[t]);
        int punct = 0;
        if (p->tok->split_by_punct && s) {
            uint32_t c;
            tok_utf8_next(s, strlen(s), &c);
            punct = tok_is_punctuation(c);
        }
        if (word < 0 || (s && !strncmp(s, "\xE2\x96\x81", 3)) || punct || prev_punct)
            word++;
        prev_punct = punct;
        w[t - cs] = word;
    }
    return w;
}

dcl_status pl_prepare_qa(dcl_pipeline *p, const dcl_pipeline_input *in, int input, pl_state *st, pl_rows *rows)
{
    if (in->ids)
        return pl_rows_from_ids(p, in, input, st, rows);
    if (!in->text || !in->pair)
        return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "question answering needs a question and a context");
    if (!p->tok)
        return pl_input_error(st, DCL_ERR_UNSUPPORTED, "the model folder has no tokenizer: give token ids");
    if (pl_blank(in->text) || pl_blank(in->pair))
        return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "%s", pl_blank(in->text) ? "empty question" : "empty context");
    dcl_tokenize_params tp = dcl_tokenize_default_params();
    dcl_status s = dcl_tokenizer_encode_pair(p->tok, in->text, strlen(in->text), in->pair, strlen(in->pair), &tp,
                                             &st->enc);
    if (s == DCL_ERR_OUT_OF_MEMORY)
        return s;
    if (s != DCL_OK)
        return pl_input_error(st, s, "tokenizing: %s", dcl_last_error());
    const dcl_encoding *e = st->enc;
    const int len = (int)e->length;
    int t = 1;
    while (t < len && !e->special_tokens_mask[t]) /* the question */
        t++;
    while (t < len && e->special_tokens_mask[t]) /* its separator(s) */
        t++;
    int cs = t, ce = len;
    while (ce > cs && e->special_tokens_mask[ce - 1])
        ce--;
    if (ce <= cs)
        return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "the context gives no token");
    for (int i = 0; i < len; i++)
        if (e->ids[i] >= p->info.vocab_size)
            return pl_input_error(st, DCL_ERR_FORMAT, "the tokenizer gives id %d, outside the model's vocabulary "
                                  "of %d", (int)e->ids[i], p->info.vocab_size);
    const int max_seq = p->p.max_length > 0 ? p->p.max_length : (p->limit < 384 ? p->limit : 384);
    const int stride = p->p.doc_stride > 0 ? p->p.doc_stride : (max_seq / 2 < 128 ? max_seq / 2 : 128);
    const int fixed = cs + (len - ce), C = ce - cs, room = max_seq - fixed;
    if (room < 1)
        return pl_input_error(st, DCL_ERR_RANGE, "the question is %d tokens with its special tokens: windows of "
                              "max_length %d leave no room for the context (set max_length, "
                              "debertacl run --max-length N)", fixed, max_seq);
    int nw = 1;
    if (C > room) {
        if (stride >= room)
            return pl_input_error(st, DCL_ERR_RANGE, "doc_stride %d must be smaller than the context part of a "
                                  "window (%d tokens of max_length %d)", stride, room, max_seq);
        nw = 1 + (C - room + (room - stride) - 1) / (room - stride);
    }
    if (!(st->win_start = malloc((size_t)nw * sizeof *st->win_start)) ||
        !(st->words = context_words(p, e, cs, ce, in->pair)))
        return DCL_ERR_OUT_OF_MEMORY;
    st->ctx_start = cs;
    st->ctx_end = ce;
    for (int k = 0; k < nw; k++) {
        int a = k * (room - stride), b = a + room < C ? a + room : C;
        st->win_start[k] = a;
        pl_row *r = pl_row_add(rows, input, fixed + (b - a));
        if (!r)
            return DCL_ERR_OUT_OF_MEMORY;
        int o = 0;
        for (int i = 0; i < len; i++) {
            if (i >= cs && i < ce && (i - cs < a || i - cs >= b))
                continue;
            r->ids[o] = e->ids[i];
            r->types[o] = e->token_type_ids[i];
            r->mask[o] = 1;
            o++;
        }
    }
    return DCL_OK;
}

typedef struct answer {
    double score;
    long start, end;
    int s, e, win;
} answer;

static int answers_add(answer **v, int *n, int *cap, answer a)
{
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 16;
        answer *nv = realloc(*v, (size_t)c * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = a;
    return 0;
}

static void softmax_masked(const float *x, const int *ok, int n, double *p)
{
    double mx = -1e300, sum = 0;
    for (int i = 0; i < n; i++) {
        double v = ok[i] ? x[i] : -10000.0;
        mx = v > mx ? v : mx;
    }
    for (int i = 0; i < n; i++)
        sum += p[i] = exp((ok[i] ? x[i] : -10000.0) - mx);
    for (int i = 0; i < n; i++)
        p[i] /= sum;
}

dcl_status pl_finish_qa(dcl_pipeline *p, const dcl_pipeline_input *in, pl_state *st, pl_rows *rows)
{
    const int topk = p->p.top_k > 0 ? p->p.top_k : 1;
    const int maxlen = p->p.max_answer_length > 0 ? p->p.max_answer_length : 15;
    const dcl_encoding *e = st->enc;
    answer *ans = NULL;
    int na = 0, cap = 0;
    double min_null = 1e6;
    dcl_status s = DCL_OK;
    for (int w = 0; w < st->n_rows && s == DCL_OK; w++) {
        const pl_row *r = &rows->v[st->first_row + w];
        const int L = r->len, cs = st->ctx_start;
        const int a = e ? st->win_start[w] : 0, nctx = e ? L - cs - (int)(e->length - st->ctx_end) : 0;
        int *ok = malloc((size_t)L * sizeof *ok);
        double *ps = malloc((size_t)L * sizeof *ps), *pe = malloc((size_t)L * sizeof *pe);
        if (!ok || !ps || !pe)
            s = DCL_ERR_OUT_OF_MEMORY;
        for (int t = 0; t < L && s == DCL_OK; t++) {
            if (e)
                ok[t] = t >= cs && t < cs + nctx;
            else /* token ids: the context is type 1, without special tokens */
                ok[t] = r->types[t] == 1 && r->mask[t] &&
                        (p->tok ? r->ids[t] != p->sep_id && r->ids[t] != p->cls_id && r->ids[t] != p->pad_id
                                : t != L - 1);
            ok[t] |= p->cls_id >= 0 && r->ids[t] == p->cls_id; /* [CLS] stays in the softmax */
        }
        if (s == DCL_OK) {
            softmax_masked(r->out, ok, L, ps);
            softmax_masked(r->out + L, ok, L, pe);
            if (p->p.handle_impossible_answer && ps[0] * pe[0] < min_null)
                min_null = ps[0] * pe[0];
            ps[0] = pe[0] = 0.0;
            for (int i = 0; i < L && s == DCL_OK; i++) {
                if (!ok[i] || ps[i] == 0.0)
                    continue;
                for (int j = i; j < L && j < i + maxlen; j++) {
                    double sc = ps[i] * pe[j];
                    if (!ok[j] || sc <= 0.0)
                        continue;
                    answer x = {sc, -1, -1, i, j, w};
                    if (e && i >= cs && j < cs + nctx) {
                        int ti = st->ctx_start + a + (i - cs), tj = st->ctx_start + a + (j - cs);
                        x.start = (long)e->offsets[2 * ti];
                        x.end = (long)e->offsets[2 * tj + 1];
                        if (p->p.align_to_words) { /* word_to_chars inside this window */
                            int wi = st->words[ti - st->ctx_start], wj = st->words[tj - st->ctx_start];
                            for (int k = a; k < a + nctx; k++) {
                                size_t k0 = (size_t)(st->ctx_start + k);
                                if (st->words[k] == wi && (long)e->offsets[2 * k0] < x.start)
                                    x.start = (long)e->offsets[2 * k0];
                                if (st->words[k] == wj && (long)e->offsets[2 * k0 + 1] > x.end)
                                    x.end = (long)e->offsets[2 * k0 + 1];
                            }
                        }
                    }
                    if (answers_add(&ans, &na, &cap, x) < 0)
                        s = DCL_ERR_OUT_OF_MEMORY;
                }
            }
        }
        free(ok);
        free(ps);
        free(pe);
    }
    if (s == DCL_OK && p->p.handle_impossible_answer) {
        answer x = {min_null, 0, 0, -1, -1, -1};
        if (answers_add(&ans, &na, &cap, x) < 0)
            s = DCL_ERR_OUT_OF_MEMORY;
    }
    /* the best top_k: a partial selection sort, stable */
    for (int k = 0; k < topk && k < na && s == DCL_OK; k++) {
        int b = k;
        for (int i = k + 1; i < na; i++)
            if (ans[i].score > ans[b].score)
                b = i;
        answer x = ans[b];
        memmove(ans + k + 1, ans + k, (size_t)(b - k) * sizeof *ans);
        ans[k] = x;
        char *text = NULL;
        if (x.win < 0) {
            text = dcl_strdup("");
        } else if (e) {
            size_t b0 = pl_cp_byte(in->pair, (size_t)x.start), b1 = pl_cp_byte(in->pair, (size_t)x.end);
            text = pl_strndup(in->pair + b0, b1 - b0);
        } else if (p->tok) {
            const pl_row *r = &rows->v[st->first_row + x.win];
            size_t n = 0;
            if ((s = dcl_tokenizer_decode(p->tok, r->ids + x.s, (size_t)(x.e - x.s + 1), 1, &text, &n)) != DCL_OK)
                break;
        }
        if ((x.win < 0 || e) && !text) {
            s = DCL_ERR_OUT_OF_MEMORY;
            break;
        }
        dcl_result_item *it = pl_item_add(st->res, NULL, text, (float)x.score);
        free(text);
        if (!it) {
            s = DCL_ERR_OUT_OF_MEMORY;
            break;
        }
        it->start = e || x.win < 0 ? x.start : x.s; /* token ids: token positions [s, e + 1) */
        it->end = e || x.win < 0 ? x.end : x.e + 1;
        it->index = x.s;
        it->group = x.win;
    }
    free(ans);
    return s;
}
