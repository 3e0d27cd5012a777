/* SPDX-License-Identifier: Apache-2.0 */
/* Tokenizers: the pipelines, post-processing, truncation, padding, decoding (configuration and
 * added tokens: tok_config.c). See tokenizer.h for what is reproduced. */
#include "tokenizer.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "tok_text.h"
#include "util.h"

#define OOM(what) dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "tokenizer: out of memory (%s)", what)

int tok_seq_push(tok_seq *seq, int32_t id, uint32_t start, uint32_t end)
{
    if (seq->n == seq->cap) {
        size_t c = seq->cap ? seq->cap * 2 : 64;
        int32_t *ids = realloc(seq->ids, c * sizeof *ids);
        if (!ids)
            return -1;
        seq->ids = ids;
        uint32_t *s = realloc(seq->start, c * sizeof *s);
        if (!s)
            return -1;
        seq->start = s;
        uint32_t *e = realloc(seq->end, c * sizeof *e);
        if (!e)
            return -1;
        seq->end = e;
        seq->cap = c;
    }
    seq->ids[seq->n] = id;
    seq->start[seq->n] = start;
    seq->end[seq->n] = end;
    seq->n++;
    return 0;
}

void tok_seq_free(tok_seq *seq)
{
    free(seq->ids);
    free(seq->start);
    free(seq->end);
    memset(seq, 0, sizeof *seq);
}

void tok_free(dcl_tokenizer *tok)
{
    if (!tok)
        return;
    for (size_t i = tok->n_model; i < tok->n_vocab; i++)
        free(tok->vocab[i]);
    for (size_t i = 0; i < tok->n_added; i++) {
        free(tok->added[i].content);
        free(tok->added[i].ncontent);
    }
    free(tok->added);
    free(tok->vocab);
    free(tok->vocab_blob);
    free(tok->scores);
    tok_strmap_free(&tok->model_ids);
    tok_pairmap_free(&tok->merges);
    free(tok);
}

/* ---- encoding ----------------------------------------------------------------------------- */

/* The normalizers, in order. 0 or -1 (memory). */
static int apply_norms(const dcl_tokenizer *tok, tok_nstr *ns)
{
    for (size_t k = 0; k < tok->n_norms; k++) {
        int rc = 0;
        switch (tok->norms[k]) {
        case TOK_NORM_LOWERCASE: rc = tok_nstr_lowercase(ns); break;
        case TOK_NORM_REPLACE_WS: rc = tok_nstr_replace_ws(ns); break;
        case TOK_NORM_NFC: rc = tok_nstr_nfc(ns); break;
        case TOK_NORM_RSTRIP: tok_nstr_rstrip(ns); break;
        }
        if (rc)
            return -1;
    }
    return 0;
}

/* Pre-tokenizer and model on a normalized string. */
static dcl_status model_pipeline(const dcl_tokenizer *tok, tok_nstr *ns, tok_seq *seq)
{
    dcl_status st = DCL_OK;
    if (tok->kind == TOK_UNIGRAM) {
        /* pieces: the whole string, or split around punctuation (isolated) */
        size_t ps = 0;
        while (ps < ns->len && st == DCL_OK) {
            size_t pe = ns->len;
            if (tok->split_by_punct) {
                uint32_t cp;
                size_t k = tok_utf8_next(ns->s + ps, ns->len - ps, &cp);
                if (tok_is_punctuation(cp)) {
                    pe = ps + k;
                } else {
                    pe = ps + k;
                    while (pe < ns->len) {
                        size_t k2 = tok_utf8_next(ns->s + pe, ns->len - pe, &cp);
                        if (tok_is_punctuation(cp))
                            break;
                        pe += k2;
                    }
                }
            }
            tok_nstr piece;
            if (tok_nstr_init(&piece, ns->s + ps, pe - ps)) {
                st = OOM("piece");
                break;
            }
            memcpy(piece.a, ns->a + 2 * ps, (pe - ps) * 2 * sizeof *piece.a);
            /* prepend scheme: always, or "first" (only the piece at the very start of the text) */
            int prepend = tok->prepend == TOK_PREPEND_ALWAYS || (tok->prepend == TOK_PREPEND_FIRST && piece.a[0] == 0);
            if (tok_nstr_metaspace(&piece, prepend)) {
                tok_nstr_free(&piece);
                st = OOM("metaspace");
                break;
            }
            /* split before each U+2581 (merged with next), then the unigram on each word */
            size_t ws = 0;
            while (ws < piece.len && st == DCL_OK) {
                size_t we = ws + 1;
                while (we < piece.len && !(we + 3 <= piece.len && !memcmp(piece.s + we, "\xE2\x96\x81", 3)))
                    we++;
                st = tok_unigram_encode_word(tok, piece.s + ws, we - ws, seq, piece.a + 2 * ws);
                ws = we;
            }
            tok_nstr_free(&piece);
            ps = pe;
        }
    } else {
        if (tok->add_prefix_space && ns->len > 0 && ns->s[0] != ' ') {
            uint32_t first;
            size_t k = tok_utf8_next(ns->s, ns->len, &first);
            uint32_t cps[2] = {' ', first};
            int32_t chg[2] = {0, 1};
            if (tok_nstr_transform(ns, 0, k, cps, chg, 2, 0))
                return OOM("prefix space");
        }
        size_t i = 0;
        while (i < ns->len && st == DCL_OK) {
            size_t k = tok_gpt2_piece(ns->s + i, ns->len - i);
            st = tok_bpe_encode_word(tok, ns->s + i, k, seq, ns->a + 2 * i);
            i += k;
        }
    }
    return st;
}

static const tok_added *next_added(const dcl_tokenizer *tok, const char *text, size_t len, size_t from,
                                   size_t *at, int normalized);
static size_t ws_before(const char *text, size_t start, size_t limit);
static size_t ws_after(const char *text, size_t len, size_t end);

/* Splits a normalized string around the added tokens matched in it (normalized ones), and runs
 * the pre-tokenizer and the model on the rest. */
static dcl_status split_normalized(const dcl_tokenizer *tok, tok_nstr *ns, tok_seq *seq)
{
    size_t pos = 0;
    while (pos < ns->len) {
        size_t at = ns->len;
        const tok_added *a = next_added(tok, ns->s, ns->len, pos, &at, 1);
        size_t seg_end = a ? at : ns->len;
        size_t tok_end = a ? at + a->nlen : ns->len;
        if (a && a->lstrip)
            seg_end = ws_before(ns->s, at, pos);
        if (a && a->rstrip)
            tok_end = ws_after(ns->s, ns->len, tok_end);
        if (seg_end > pos) {
            tok_nstr sub;
            if (tok_nstr_init(&sub, ns->s + pos, seg_end - pos))
                return OOM("text");
            memcpy(sub.a, ns->a + 2 * pos, (seg_end - pos) * 2 * sizeof *sub.a);
            dcl_status st = model_pipeline(tok, &sub, seq);
            tok_nstr_free(&sub);
            if (st != DCL_OK)
                return st;
        }
        if (!a)
            break;
        if (tok_seq_push(seq, a->id, ns->a[2 * seg_end], ns->a[2 * (tok_end - 1) + 1]))
            return OOM("tokens");
        pos = tok_end;
    }
    return DCL_OK;
}

/* The pipeline of one segment [off, off+len) of the text (no raw-matched added token inside). */
static dcl_status encode_segment(const dcl_tokenizer *tok, const char *text, size_t off, size_t len,
                                 tok_seq *seq)
{
    tok_nstr ns;
    if (tok_nstr_init(&ns, text + off, len))
        return OOM("text");
    for (size_t i = 0; i < 2 * ns.len; i++)
        ns.a[i] += (uint32_t)off;
    dcl_status st;
    if (apply_norms(tok, &ns))
        st = OOM("normalizer");
    else
        st = tok->n_normalized_added ? split_normalized(tok, &ns, seq) : model_pipeline(tok, &ns, seq);
    tok_nstr_free(&ns);
    return st;
}

/* Resolves the normalized flag of the added tokens (default: not special) and normalizes the
 * content of those matched in the normalized text, as tokenizers' AddedVocabulary does. */
dcl_status tok_normalize_added(dcl_tokenizer *tok)
{
    tok->n_normalized_added = 0;
    for (size_t i = 0; i < tok->n_added; i++) {
        tok_added *a = &tok->added[i];
        if (a->normalized < 0)
            a->normalized = !a->special;
        if (!a->normalized)
            continue;
        tok_nstr ns;
        if (tok_nstr_init(&ns, a->content, a->len) || apply_norms(tok, &ns)) {
            tok_nstr_free(&ns);
            return OOM("added token");
        }
        free(a->ncontent);
        a->ncontent = NULL;
        a->nlen = ns.len;
        if (ns.len) {
            a->ncontent = ns.s; /* NUL-terminated */
            ns.s = NULL;
            tok->n_normalized_added++;
        }
        tok_nstr_free(&ns);
    }
    return DCL_OK;
}

static int is_word_char(uint32_t cp)
{
    return cp == '_' || tok_is_letter(cp) || tok_is_number(cp);
}

/* Finds the next added token at or after `from` (leftmost, then longest). */
static const tok_added *next_added(const dcl_tokenizer *tok, const char *text, size_t len, size_t from,
                                   size_t *at, int normalized)
{
    for (size_t i = from; i < len; i++) {
        const tok_added *best = NULL;
        size_t best_len = 0;
        for (size_t k = 0; k < tok->n_added; k++) {
            const tok_added *a = &tok->added[k];
            const char *c = normalized ? a->ncontent : a->content;
            if (!c || c[0] != text[i] || a->normalized != normalized)
                continue;
            size_t cl = normalized ? a->nlen : a->len;
            if (cl > len - i || memcmp(c, text + i, cl))
                continue;
            if (a->single_word) {
                uint32_t cp;
                if (i > 0) {
                    size_t p = i - 1;
                    while (p > 0 && ((unsigned char)text[p] & 0xC0) == 0x80)
                        p--;
                    tok_utf8_next(text + p, len - p, &cp);
                    if (is_word_char(cp))
                        continue;
                }
                if (i + cl < len) {
                    tok_utf8_next(text + i + cl, len - i - cl, &cp);
                    if (is_word_char(cp))
                        continue;
                }
            }
            if (!best || cl > best_len) {
                best = a;
                best_len = cl;
            }
        }
        if (best) {
            *at = i;
            return best;
        }
    }
    return NULL;
}

static size_t ws_before(const char *text, size_t start, size_t limit)
{
    while (start > limit) {
        size_t p = start - 1;
        while (p > limit && ((unsigned char)text[p] & 0xC0) == 0x80)
            p--;
        uint32_t cp;
        tok_utf8_next(text + p, start - p, &cp);
        if (!tok_is_white_space(cp))
            break;
        start = p;
    }
    return start;
}

static size_t ws_after(const char *text, size_t len, size_t end)
{
    while (end < len) {
        uint32_t cp;
        size_t k = tok_utf8_next(text + end, len - end, &cp);
        if (!tok_is_white_space(cp))
            break;
        end += k;
    }
    return end;
}

dcl_status tok_encode_text(const dcl_tokenizer *tok, const char *text, size_t len, tok_seq *seq)
{
    size_t pos = 0;
    while (pos < len) {
        size_t at = len;
        const tok_added *a = next_added(tok, text, len, pos, &at, 0);
        size_t seg_end = a ? at : len;
        size_t tok_end = a ? at + a->len : len;
        if (a && a->lstrip)
            seg_end = ws_before(text, at, pos);
        if (a && a->rstrip)
            tok_end = ws_after(text, len, tok_end);
        if (seg_end > pos) {
            dcl_status st = encode_segment(tok, text, pos, seg_end - pos, seq);
            if (st != DCL_OK)
                return st;
        }
        if (!a)
            break;
        if (tok_seq_push(seq, a->id, (uint32_t)seg_end, (uint32_t)tok_end))
            return OOM("tokens");
        pos = tok_end;
    }
    return DCL_OK;
}

/* Byte offsets -> code point offsets of `text`. */
static dcl_status to_char_offsets(const char *text, size_t len, tok_seq *seq)
{
    uint32_t *cum = malloc((len + 1) * sizeof *cum);
    if (!cum)
        return OOM("offsets");
    uint32_t c = 0;
    for (size_t i = 0; i < len; i++) {
        cum[i] = c;
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            c++;
    }
    cum[len] = c;
    /* a byte inside a character maps to the next character (never happens: spans are whole) */
    for (size_t i = 0; i < seq->n; i++) {
        seq->start[i] = cum[seq->start[i] <= len ? seq->start[i] : len];
        seq->end[i] = cum[seq->end[i] <= len ? seq->end[i] : len];
    }
    free(cum);
    return DCL_OK;
}

void tok_encoding_free(dcl_encoding *enc)
{
    if (!enc)
        return;
    free(enc->ids);
    free(enc->token_type_ids);
    free(enc->attention_mask);
    free(enc->special_tokens_mask);
    free(enc->offsets);
    free(enc->tokens); /* the strings belong to the tokenizer */
    free(enc);
}

static dcl_encoding *encoding_new(size_t n)
{
    dcl_encoding *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    size_t c = n ? n : 1;
    e->ids = malloc(c * sizeof *e->ids);
    e->token_type_ids = malloc(c * sizeof *e->token_type_ids);
    e->attention_mask = malloc(c * sizeof *e->attention_mask);
    e->special_tokens_mask = malloc(c * sizeof *e->special_tokens_mask);
    e->offsets = malloc(2 * c * sizeof *e->offsets);
    e->tokens = malloc(c * sizeof *e->tokens);
    if (!e->ids || !e->token_type_ids || !e->attention_mask || !e->special_tokens_mask || !e->offsets ||
        !e->tokens) {
        tok_encoding_free(e);
        return NULL;
    }
    return e;
}

static const char empty_token[] = "";

static void put_token(const dcl_tokenizer *tok, dcl_encoding *e, int32_t id, int32_t type, int special,
                      size_t start, size_t end)
{
    size_t i = e->length++;
    e->ids[i] = id;
    e->token_type_ids[i] = type;
    e->attention_mask[i] = 1;
    e->special_tokens_mask[i] = special;
    e->offsets[2 * i] = start;
    e->offsets[2 * i + 1] = end;
    e->tokens[i] = (id >= 0 && (size_t)id < tok->n_vocab && tok->vocab[id]) ? tok->vocab[id] : (char *)empty_token;
}

static dcl_status truncate_seqs(size_t *n1, size_t *n2, int has_pair, size_t max_len, dcl_truncation strategy)
{
    size_t total = *n1 + (has_pair ? *n2 : 0);
    if (total <= max_len)
        return DCL_OK;
    size_t to_remove = total - max_len;
    if (strategy == DCL_TRUNCATE_LONGEST_FIRST) {
        if (!has_pair) {
            *n1 = max_len;
            return DCL_OK;
        }
        size_t a = *n1, b = *n2;
        int swap = 0;
        if (a > b) {
            size_t t = a;
            a = b;
            b = t;
            swap = 1;
        }
        if (a > max_len)
            b = a;
        else
            b = a > max_len - a ? a : max_len - a;
        if (a + b > max_len) {
            a = max_len / 2;
            b = a + max_len % 2;
        }
        if (swap) {
            size_t t = a;
            a = b;
            b = t;
        }
        if (a < *n1)
            *n1 = a;
        if (b < *n2)
            *n2 = b;
        return DCL_OK;
    }
    size_t *target = strategy == DCL_TRUNCATE_ONLY_FIRST ? n1 : n2;
    if (strategy == DCL_TRUNCATE_ONLY_SECOND && !has_pair)
        return dcl_fail(NULL, DCL_ERR_RANGE, "tokenizer: only_second truncation needs a pair");
    if (*target > to_remove) {
        *target -= to_remove;
        return DCL_OK;
    }
    return dcl_fail(NULL, DCL_ERR_RANGE,
                    "tokenizer: cannot truncate to %zu tokens: the sequence to truncate is too short", max_len);
}

dcl_status tok_encode(const dcl_tokenizer *tok, const char *text, size_t len, const char *pair, size_t pair_len,
                      const dcl_tokenize_params *p, dcl_encoding **out)
{
    *out = NULL;
    tok_seq a = {0}, b = {0};
    dcl_status st = tok_encode_text(tok, text, len, &a);
    if (st == DCL_OK)
        st = to_char_offsets(text, len, &a);
    if (st == DCL_OK && pair) {
        st = tok_encode_text(tok, pair, pair_len, &b);
        if (st == DCL_OK)
            st = to_char_offsets(pair, pair_len, &b);
    }
    /* special tokens and token types: the post-processor's template */
    const tok_template *tp = pair ? &tok->pair : &tok->single;
    size_t n_special = 0;
    for (size_t k = 0; k < tp->n && p->add_special_tokens; k++)
        n_special += tp->p[k].seq == 0;
    size_t max_len = p->max_length ? p->max_length : tok->model_max_length;
    size_t n1 = a.n, n2 = b.n;
    if (st == DCL_OK && p->truncation != DCL_TRUNCATE_NONE && max_len) {
        if (max_len < n_special)
            st = dcl_fail(NULL, DCL_ERR_RANGE, "tokenizer: max_length %zu leaves no room for the special tokens",
                          max_len);
        else
            st = truncate_seqs(&n1, &n2, pair != NULL, max_len - n_special, p->truncation);
    }
    dcl_encoding *e = NULL;
    if (st == DCL_OK) {
        size_t total = n1 + n2 + n_special;
        size_t pad_len = 0;
        if (p->padding == DCL_PAD_MAX_LENGTH)
            pad_len = p->pad_to ? p->pad_to : max_len;
        e = encoding_new(total > pad_len ? total : pad_len);
        if (!e)
            st = OOM("encoding");
    }
    if (st == DCL_OK) {
        for (size_t k = 0; k < tp->n; k++) {
            const tok_piece *pc = &tp->p[k];
            if (pc->seq == 0 && p->add_special_tokens)
                put_token(tok, e, pc->id, pc->type, 1, 0, 0);
            for (size_t i = 0; pc->seq == 1 && i < n1; i++)
                put_token(tok, e, a.ids[i], pc->type, 0, a.start[i], a.end[i]);
            for (size_t i = 0; pc->seq == 2 && i < n2; i++)
                put_token(tok, e, b.ids[i], pc->type, 0, b.start[i], b.end[i]);
        }
        if (p->padding == DCL_PAD_MAX_LENGTH) {
            size_t pad_len = p->pad_to ? p->pad_to : max_len;
            st = tok_pad(tok, e, pad_len);
        }
    }
    tok_seq_free(&a);
    tok_seq_free(&b);
    if (st != DCL_OK) {
        tok_encoding_free(e);
        return st;
    }
    *out = e;
    return DCL_OK;
}

dcl_status tok_pad(const dcl_tokenizer *tok, dcl_encoding *e, size_t length)
{
    if (e->length >= length)
        return DCL_OK;
    int32_t *ids = realloc(e->ids, length * sizeof *ids);
    if (ids)
        e->ids = ids;
    int32_t *tt = realloc(e->token_type_ids, length * sizeof *tt);
    if (tt)
        e->token_type_ids = tt;
    int32_t *am = realloc(e->attention_mask, length * sizeof *am);
    if (am)
        e->attention_mask = am;
    int32_t *sm = realloc(e->special_tokens_mask, length * sizeof *sm);
    if (sm)
        e->special_tokens_mask = sm;
    size_t *of = realloc(e->offsets, 2 * length * sizeof *of);
    if (of)
        e->offsets = of;
    char **tk = realloc(e->tokens, length * sizeof *tk);
    if (tk)
        e->tokens = tk;
    if (!ids || !tt || !am || !sm || !of || !tk)
        return OOM("padding");
    int32_t pad = tok->pad_id >= 0 ? tok->pad_id : 0;
    while (e->length < length) {
        put_token(tok, e, pad, 0, 1, 0, 0);
        e->attention_mask[e->length - 1] = 0;
    }
    return DCL_OK;
}

/* ---- decoding ----------------------------------------------------------------------------- */

static int is_special_id(const dcl_tokenizer *tok, int32_t id)
{
    for (size_t i = 0; i < tok->n_added; i++)
        if (tok->added[i].id == id)
            return tok->added[i].special;
    return 0;
}

/* transformers' clean_up_tokenization: each replacement over the whole text, in this order. */
static size_t clean_up_spaces(char *s, size_t n)
{
    static const char *const from[10] = {" .", " ?", " !", " ,", " ' ", " n't", " 'm", " 's", " 've", " 're"};
    static const char *const to[10] = {".", "?", "!", ",", "'", "n't", "'m", "'s", "'ve", "'re"};
    for (int r = 0; r < 10; r++) {
        size_t fl = strlen(from[r]), tl = strlen(to[r]), o = 0;
        for (size_t i = 0; i < n;) {
            if (i + fl <= n && !memcmp(s + i, from[r], fl)) {
                memcpy(s + o, to[r], tl);
                o += tl;
                i += fl;
            } else {
                s[o++] = s[i++];
            }
        }
        n = o;
    }
    s[n] = 0;
    return n;
}

dcl_status tok_decode(const dcl_tokenizer *tok, const int32_t *ids, size_t n, int skip_special, char **text,
                      size_t *len)
{
    *text = NULL;
    size_t cap = 16;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= tok->n_vocab)
            return dcl_fail(NULL, DCL_ERR_RANGE, "tokenizer: id %d at %zu is outside the vocabulary (%zu)",
                            (int)ids[i], i, tok->n_vocab);
        if (tok->vocab[ids[i]])
            cap += strlen(tok->vocab[ids[i]]);
    }
    char *buf = malloc(cap);
    if (!buf)
        return OOM("decode");
    size_t o = 0;
    int first = 1;
    int16_t inv[512];
    for (int c = 0; c < 512; c++)
        inv[c] = -1;
    for (int b = 0; b < 256; b++)
        if (tok->byte_char[b] < 512)
            inv[tok->byte_char[b]] = (int16_t)b;
    for (size_t i = 0; i < n; i++) {
        const char *t = tok->vocab[ids[i]];
        if (!t || (skip_special && is_special_id(tok, ids[i])))
            continue;
        size_t tl = strlen(t);
        if (tok->kind == TOK_UNIGRAM) {
            /* Metaspace decoder: U+2581 -> ' ', dropped at the start of the first token */
            size_t j = 0;
            if (first && tl >= 3 && !memcmp(t, "\xE2\x96\x81", 3))
                j = 3;
            for (; j < tl;) {
                if (j + 3 <= tl && !memcmp(t + j, "\xE2\x96\x81", 3)) {
                    buf[o++] = ' ';
                    j += 3;
                } else {
                    buf[o++] = t[j++];
                }
            }
        } else {
            /* ByteLevel decoder: characters back to bytes (a token with a character outside the
             * map is kept as it is) */
            size_t o0 = o;
            int ok = 1;
            for (size_t j = 0; j < tl && ok;) {
                uint32_t cp;
                j += tok_utf8_next(t + j, tl - j, &cp);
                int byte = cp < 512 ? inv[cp] : -1;
                if (byte < 0)
                    ok = 0;
                else
                    buf[o++] = (char)byte;
            }
            if (!ok) {
                o = o0;
                memcpy(buf + o, t, tl);
                o += tl;
            }
        }
        first = 0;
    }
    dcl_status st = DCL_OK;
    if (tok->kind == TOK_BPE) {
        size_t ol;
        char *lossy = tok_utf8_lossy(buf, o, &ol);
        free(buf);
        if (!lossy)
            return OOM("decode");
        buf = lossy;
        o = ol;
    } else {
        buf[o] = 0;
    }
    if (tok->clean_up_spaces)
        o = clean_up_spaces(buf, o);
    *text = buf;
    if (len)
        *len = o;
    return st;
}
