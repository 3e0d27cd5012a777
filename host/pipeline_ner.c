/* SPDX-License-Identifier: Apache-2.0 */
/* Token classification as transformers' TokenClassificationPipeline: per-token softmax, the
 * aggregation strategies none / simple / first / average / max, B-/I- grouping, and words as its
 * convert_tokens_to_string gives them (byte-level BPE keeps a word's leading space). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "tok_text.h"
#include "tokenizer.h"
#include "util.h"


dcl_status pl_prepare_ner(dcl_pipeline *p, const dcl_pipeline_input *in, int input, pl_state *st, pl_rows *rows)
{
    if (in->ids)
        return pl_rows_from_ids(p, in, input, st, rows);
    if (!in->text)
        return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "no text");
    dcl_status s = pl_encode(p, st, in->text, NULL, DCL_TRUNCATE_LONGEST_FIRST, &st->enc);
    if (s != DCL_OK || !st->enc)
        return s;
    return pl_row_from_enc(p, rows, input, st->enc) < 0 ? DCL_ERR_OUT_OF_MEMORY : DCL_OK;
}

char *pl_tokens_to_string(const dcl_pipeline *p, const char *const *tokens, int n)
{
    size_t cap = 1;
    for (int i = 0; i < n; i++)
        cap += strlen(tokens[i]);
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    const int bpe = p->tok && p->tok->kind == TOK_BPE;
    for (int i = 0; i < n; i++) {
        const char *s = tokens[i];
        size_t len = strlen(s);
        if (bpe) { /* ByteLevel decoder: bytes of the byte-level characters, else the raw text */
            char *start = o;
            int all = 1;
            for (size_t j = 0; j < len && all;) {
                uint32_t cp;
                j += tok_utf8_next(s + j, len - j, &cp);
                int b = -1;
                for (int k = 0; k < 256 && b < 0; k++)
                    if (p->tok->byte_char[k] == cp)
                        b = k;
                if (b < 0)
                    all = 0;
                else
                    *o++ = (char)b;
            }
            if (!all) {
                o = start;
                memcpy(o, s, len);
                o += len;
            }
        } else { /* Metaspace decoder: U+2581 is a space, the first token's leading one dropped */
            size_t j = 0;
            if (i == 0 && !strncmp(s, "\xE2\x96\x81", 3))
                j = 3;
            while (j < len) {
                if (!strncmp(s + j, "\xE2\x96\x81", 3)) {
                    *o++ = ' ';
                    j += 3;
                } else {
                    *o++ = s[j++];
                }
            }
        }
    }
    *o = '\0';
    if (!bpe)
        return out;
    size_t n_out = 0; /* bytes may not be UTF-8: replace as from_utf8_lossy */
    char *fixed = tok_utf8_lossy(out, (size_t)(o - out), &n_out);
    free(out);
    return fixed;
}

typedef struct ent {
    int label;
    float score;
    const double *scores; /* the token's class probabilities (word strategies) */
    char *word;
    long start, end;
    int index;
    int is_subword;
} ent;

static const char *label_of(const dcl_pipeline *p, int i) { return dcl_model_label(p->model, i); }

/* "B-PER" -> (B, "PER"); "I-PER" -> (I, "PER"); other -> (I, whole) */
static const char *tag_of(const char *label, int *begin)
{
    *begin = !strncmp(label, "B-", 2);
    if (*begin || !strncmp(label, "I-", 2))
        return label + 2;
    return label;
}

static int argmax(const double *x, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b])
            b = i;
    return b;
}

/* Groups adjacent entities e[0..n) of the same tag into items (group_entities + filtering "O"). */
static dcl_status group(dcl_pipeline *p, pl_state *st, ent *e, int n)
{
    for (int i = 0; i < n;) {
        int j = i + 1, b;
        const char *tag = tag_of(label_of(p, e[i].label), &b);
        for (; j < n; j++) {
            const char *t = tag_of(label_of(p, e[j].label), &b);
            if (strcmp(t, tag) || b)
                break;
        }
        const char *name = label_of(p, e[i].label), *dash = strchr(name, '-');
        const char *grp = dash ? dash + 1 : name; /* split("-", 1)[-1] */
        double sum = 0;
        const char **words = malloc((size_t)(j - i) * sizeof *words);
        if (!words)
            return DCL_ERR_OUT_OF_MEMORY;
        for (int k = i; k < j; k++) {
            sum += e[k].score;
            words[k - i] = e[k].word;
        }
        if (strcmp(grp, "O")) {
            char *w = words[0] ? pl_tokens_to_string(p, words, j - i) : NULL;
            dcl_result_item *it = w || !words[0] ? pl_item_add(st->res, grp, w, (float)(sum / (j - i))) : NULL;
            free(w);
            if (!it) {
                free(words);
                return DCL_ERR_OUT_OF_MEMORY;
            }
            it->index = e[i].label;
            it->start = e[i].start;
            it->end = e[j - 1].end;
        }
        free(words);
        i = j;
    }
    return DCL_OK;
}

/* aggregate_words: tokens of one word (a token and the subwords after it) become one entity. */
static dcl_status words_of(dcl_pipeline *p, ent *e, int n, int N, ent *w, int *nw)
{
    const dcl_aggregation a = p->p.aggregation;
    *nw = 0;
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && e[j].is_subword)
            j++;
        const char **toks = malloc((size_t)(j - i) * sizeof *toks);
        if (!toks)
            return DCL_ERR_OUT_OF_MEMORY;
        for (int k = i; k < j; k++)
            toks[k - i] = e[k].word;
        ent *o = &w[(*nw)++];
        memset(o, 0, sizeof *o);
        o->word = toks[0] ? pl_tokens_to_string(p, toks, j - i) : NULL;
        int failed = toks[0] && !o->word;
        free(toks);
        if (failed)
            return DCL_ERR_OUT_OF_MEMORY;
        o->start = e[i].start;
        o->end = e[j - 1].end;
        if (a == DCL_AGGREGATE_FIRST) {
            o->label = argmax(e[i].scores, N);
            o->score = (float)e[i].scores[o->label];
        } else if (a == DCL_AGGREGATE_MAX) {
            int best = i;
            for (int k = i + 1; k < j; k++)
                if (e[k].scores[argmax(e[k].scores, N)] > e[best].scores[argmax(e[best].scores, N)])
                    best = k;
            o->label = argmax(e[best].scores, N);
            o->score = (float)e[best].scores[o->label];
        } else { /* average */
            double *mean = malloc((size_t)N * sizeof *mean);
            if (!mean)
                return DCL_ERR_OUT_OF_MEMORY;
            for (int c = 0; c < N; c++) {
                mean[c] = 0;
                for (int k = i; k < j; k++)
                    mean[c] += e[k].scores[c];
                mean[c] /= j - i;
            }
            o->label = argmax(mean, N);
            o->score = (float)mean[o->label];
            free(mean);
        }
        i = j;
    }
    return DCL_OK;
}

dcl_status pl_finish_ner(dcl_pipeline *p, const dcl_pipeline_input *in, pl_state *st, pl_rows *rows)
{
    const pl_row *r = &rows->v[st->first_row];
    const int L = r->len, N = p->info.num_labels;
    const dcl_encoding *enc = st->enc;
    double *prob = malloc((size_t)L * N * sizeof *prob);
    ent *e = calloc((size_t)L, sizeof *e), *w = calloc((size_t)L, sizeof *w);
    int n = 0, nw = 0;
    dcl_status s = prob && e && w ? DCL_OK : DCL_ERR_OUT_OF_MEMORY;
    for (int t = 0; t < L && s == DCL_OK; t++) {
        const float *x = r->out + (size_t)t * N;
        double *q = prob + (size_t)t * N, mx = x[0], sum = 0;
        for (int c = 1; c < N; c++)
            mx = x[c] > mx ? x[c] : mx;
        for (int c = 0; c < N; c++)
            sum += q[c] = exp(x[c] - mx);
        for (int c = 0; c < N; c++)
            q[c] /= sum;
        int special = enc ? enc->special_tokens_mask[t]
                          : !r->mask[t] || (p->tok ? r->ids[t] == p->cls_id || r->ids[t] == p->sep_id ||
                                                         r->ids[t] == p->pad_id
                                                   : t == 0 || t == L - 1);
        if (special)
            continue;
        ent *o = &e[n++];
        o->scores = q;
        o->label = argmax(q, N);
        o->score = (float)q[o->label];
        o->index = t;
        o->start = o->end = -1;
        const char *tok = p->tok ? dcl_tokenizer_id_to_token(p->tok, r->ids[t]) : NULL;
        if (enc) {
            const char *text = in->text;
            size_t a = enc->offsets[2 * t], b = enc->offsets[2 * t + 1];
            size_t ba = pl_cp_byte(text, a), bb = pl_cp_byte(text, b);
            o->start = (long)a;
            o->end = (long)b;
            /* the fallback heuristic of transformers for tokenizers without word boundaries */
            o->is_subword = a > 0 && text[pl_cp_byte(text, a - 1)] != ' ' && text[ba] != ' ';
            if (r->ids[t] == p->unk_id) {
                o->word = pl_strndup(text + ba, bb - ba);
                o->is_subword = 0;
            }
        }
        if ((enc || tok) && !o->word && !(o->word = dcl_strdup(tok ? tok : ""))) /* no tokenizer: no words */
            s = DCL_ERR_OUT_OF_MEMORY;
    }
    const dcl_aggregation a = p->p.aggregation;
    if (s == DCL_OK && a == DCL_AGGREGATE_NONE) {
        for (int i = 0; i < n && s == DCL_OK; i++) {
            const char *name = label_of(p, e[i].label);
            if (!strcmp(name, "O"))
                continue;
            dcl_result_item *it = pl_item_add(st->res, name, e[i].word, e[i].score);
            if (!it) {
                s = DCL_ERR_OUT_OF_MEMORY;
                break;
            }
            it->index = e[i].index;
            it->start = e[i].start;
            it->end = e[i].end;
        }
    } else if (s == DCL_OK && a == DCL_AGGREGATE_SIMPLE) {
        s = group(p, st, e, n);
    } else if (s == DCL_OK) {
        if ((s = words_of(p, e, n, N, w, &nw)) == DCL_OK)
            s = group(p, st, w, nw);
    }
    for (int i = 0; e && i < n; i++)
        free(e[i].word);
    for (int i = 0; w && i < L; i++)
        free(w[i].word);
    free(e);
    free(w);
    free(prob);
    return s;
}
