/* SPDX-License-Identifier: Apache-2.0 */
/* SentencePiece unigram models (spm.model): the protobuf reader and the Viterbi segmentation of
 * tokenizers' Unigram (scores in double, unknown characters at min_score - 10, consecutive
 * unknowns fused into one [UNK], ties kept by the first candidate). */
#include <stdlib.h>
#include <string.h>

#include "tok_text.h"
#include "tokenizer.h"
#include "util.h"

/* ---- protobuf wire format --------------------------------------------------------------- */
typedef struct pb {
    const unsigned char *p, *end;
} pb;

static int pb_varint(pb *b, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (b->p >= b->end)
            return -1;
        unsigned char c = *b->p++;
        r |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* Reads one field header and, for length-delimited fields, the payload bounds. */
static int pb_field(pb *b, uint32_t *field, uint32_t *wire, pb *sub, uint64_t *val)
{
    uint64_t key;
    if (pb_varint(b, &key))
        return -1;
    *field = (uint32_t)(key >> 3);
    *wire = (uint32_t)(key & 7);
    switch (*wire) {
    case 0:
        return pb_varint(b, val);
    case 1:
        if (b->end - b->p < 8)
            return -1;
        memcpy(val, b->p, 8);
        b->p += 8;
        return 0;
    case 2: {
        uint64_t len;
        if (pb_varint(b, &len) || len > (uint64_t)(b->end - b->p))
            return -1;
        sub->p = b->p;
        sub->end = b->p + len;
        b->p += len;
        return 0;
    }
    case 5: {
        if (b->end - b->p < 4)
            return -1;
        uint32_t v32;
        memcpy(&v32, b->p, 4);
        *val = v32;
        b->p += 4;
        return 0;
    }
    default:
        return -1;
    }
}

static float bits_to_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

dcl_status tok_unigram_init(dcl_tokenizer *tok, size_t n, size_t blob)
{
    tok->vocab = calloc(n ? n : 1, sizeof *tok->vocab);
    tok->scores = malloc((n ? n : 1) * sizeof *tok->scores);
    tok->vocab_blob = malloc(blob ? blob : 1);
    if (!tok->vocab || !tok->scores || !tok->vocab_blob || tok_strmap_init(&tok->model_ids, n))
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "tokenizer: out of memory (unigram vocabulary)");
    tok->blob_used = 0;
    tok->min_score = 1e300;
    tok->max_piece_len = 0;
    tok->n_model = tok->n_vocab = n;
    tok->kind = TOK_UNIGRAM;
    return DCL_OK;
}

int tok_unigram_put(dcl_tokenizer *tok, size_t i, const char *piece, size_t plen, double score)
{
    char *dst = tok->vocab_blob + tok->blob_used;
    memcpy(dst, piece, plen);
    dst[plen] = 0;
    tok->blob_used += plen + 1;
    tok->vocab[i] = dst;
    tok->scores[i] = score;
    if (score < tok->min_score)
        tok->min_score = score;
    if (plen > tok->max_piece_len)
        tok->max_piece_len = plen;
    /* the first piece of a text keeps its id (as a vocab.index() lookup finds it) */
    if (tok_strmap_get(&tok->model_ids, dst, plen) < 0 && tok_strmap_put(&tok->model_ids, dst, plen, (int32_t)i))
        return -1;
    return 0;
}

dcl_status tok_unigram_load(dcl_tokenizer *tok, const char *data, size_t len, const char *path)
{
    dcl_status st;
    pb b = {(const unsigned char *)data, (const unsigned char *)data + len};
    size_t n = 0, blob = 0;
    int64_t unk_id = 0, model_type = 1;
    /* pass 1: count pieces, read the trainer spec */
    while (b.p < b.end) {
        uint32_t f, w;
        pb sub = {0};
        uint64_t v = 0;
        if (pb_field(&b, &f, &w, &sub, &v))
            goto bad;
        if (f == 1 && w == 2) {
            pb pc = sub;
            int has_piece = 0;
            while (pc.p < pc.end) {
                uint32_t f2, w2;
                pb s2 = {0};
                uint64_t v2;
                if (pb_field(&pc, &f2, &w2, &s2, &v2))
                    goto bad;
                if (f2 == 1 && w2 == 2) {
                    blob += (size_t)(s2.end - s2.p) + 1;
                    has_piece = 1;
                }
            }
            if (!has_piece)
                goto bad;
            n++;
        } else if (f == 2 && w == 2) {
            pb ts = sub;
            while (ts.p < ts.end) {
                uint32_t f2, w2;
                pb s2 = {0};
                uint64_t v2 = 0;
                if (pb_field(&ts, &f2, &w2, &s2, &v2))
                    goto bad;
                if (f2 == 40 && w2 == 0)
                    unk_id = (int32_t)(uint32_t)v2;
                else if (f2 == 3 && w2 == 0)
                    model_type = (int64_t)v2;
            }
        }
    }
    if (n == 0)
        goto bad;
    if (model_type != 1)
        return dcl_fail(NULL, DCL_ERR_UNSUPPORTED, "%s: SentencePiece model type %lld is not unigram", path,
                        (long long)model_type);
    if ((st = tok_unigram_init(tok, n, blob)) != DCL_OK)
        return st;
    /* pass 2: pieces and scores */
    b.p = (const unsigned char *)data;
    size_t i = 0;
    while (b.p < b.end) {
        uint32_t f, w;
        pb sub = {0};
        uint64_t v = 0;
        pb_field(&b, &f, &w, &sub, &v);
        if (!(f == 1 && w == 2))
            continue;
        pb pc = sub;
        double score = 0.0;
        const char *piece = NULL;
        size_t plen = 0;
        while (pc.p < pc.end) {
            uint32_t f2, w2;
            pb s2 = {0};
            uint64_t v2 = 0;
            pb_field(&pc, &f2, &w2, &s2, &v2);
            if (f2 == 1 && w2 == 2) {
                piece = (const char *)s2.p;
                plen = (size_t)(s2.end - s2.p);
            } else if (f2 == 2 && w2 == 5) {
                score = (double)bits_to_float((uint32_t)v2);
            }
        }
        if (tok_utf8_check(piece, plen) != plen)
            return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: piece %zu is not valid UTF-8", path, i);
        if (tok_unigram_put(tok, i, piece, plen, score))
            return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
        i++;
    }
    tok->unk_model_id = (unk_id >= 0 && (size_t)unk_id < n) ? (int32_t)unk_id : 0;
    return DCL_OK;
bad:
    return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: not a SentencePiece model (malformed protobuf)", path);
}

typedef struct node {
    double score;
    int32_t start; /* -1: not reached */
    int32_t id;
} node;

dcl_status tok_unigram_encode_word(const dcl_tokenizer *tok, const char *w, size_t n, tok_seq *seq,
                                   const uint32_t *align)
{
    node stack_nodes[257];
    node *best = n < 256 ? stack_nodes : malloc((n + 1) * sizeof *best);
    if (!best)
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "tokenizer: out of memory");
    for (size_t i = 0; i <= n; i++) {
        best[i].start = -1;
        best[i].score = 0.0;
        best[i].id = -1;
    }
    const double unk_score = tok->min_score - 10.0;
    size_t pos = 0;
    while (pos < n) {
        double here = best[pos].score;
        unsigned char c0 = (unsigned char)w[pos];
        size_t mblen = c0 < 0x80 ? 1 : c0 < 0xE0 ? 2 : c0 < 0xF0 ? 3 : 4;
        if (mblen > n - pos)
            mblen = n - pos;
        int single = 0;
        size_t maxl = n - pos < tok->max_piece_len ? n - pos : tok->max_piece_len;
        for (size_t l = 1; l <= maxl; l++) {
            if (pos + l < n && ((unsigned char)w[pos + l] & 0xC0) == 0x80)
                continue;
            int32_t id = tok_strmap_get(&tok->model_ids, w + pos, l);
            if (id < 0)
                continue;
            double cand = tok->scores[id] + here;
            node *t = &best[pos + l];
            if (t->start < 0 || cand > t->score) {
                t->score = cand;
                t->start = (int32_t)pos;
                t->id = id;
            }
            if (l == mblen)
                single = 1;
        }
        if (!single) {
            node *t = &best[pos + mblen];
            double cand = unk_score + here;
            if (t->start < 0 || cand > t->score) {
                t->score = cand;
                t->start = (int32_t)pos;
                t->id = tok->unk_model_id;
            }
        }
        pos += mblen;
    }
    /* backtrack into a small reversed list, fusing consecutive unknowns */
    size_t cnt = 0;
    for (size_t e = n; e > 0; e = (size_t)best[e].start)
        cnt++;
    int32_t *ids = malloc(cnt * sizeof *ids);
    uint32_t *st = malloc(cnt * sizeof *st);
    uint32_t *en = malloc(cnt * sizeof *en);
    if (!ids || !st || !en) {
        free(ids);
        free(st);
        free(en);
        if (best != stack_nodes)
            free(best);
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "tokenizer: out of memory");
    }
    size_t k = 0;
    for (size_t e = n; e > 0;) {
        size_t s = (size_t)best[e].start;
        int32_t id = best[e].id;
        if (id == tok->unk_model_id && k > 0 && ids[k - 1] == tok->unk_model_id && st[k - 1] == e) {
            st[k - 1] = (uint32_t)s; /* fuse with the unknown that follows */
        } else {
            ids[k] = id;
            st[k] = (uint32_t)s;
            en[k] = (uint32_t)e;
            k++;
        }
        e = s;
    }
    dcl_status rc = DCL_OK;
    for (size_t i = k; i-- > 0;) {
        uint32_t a = align[2 * st[i]], b = align[2 * (en[i] - 1) + 1];
        int32_t id = ids[i];
        if (id == tok->unk_model_id) {
            /* (fused) unknown text: the id of that text when it is a piece, else unk */
            int32_t id2 = tok_strmap_get(&tok->model_ids, w + st[i], en[i] - st[i]);
            id = id2 >= 0 ? id2 : tok->unk_model_id;
        }
        if (tok_seq_push(seq, id, a, b)) {
            rc = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "tokenizer: out of memory");
            break;
        }
    }
    free(ids);
    free(st);
    free(en);
    if (best != stack_nodes)
        free(best);
    return rc;
}
