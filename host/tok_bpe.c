/* SPDX-License-Identifier: Apache-2.0 */
/* Byte-level BPE (vocab.json + merges.txt) as tokenizers' BPE with the ByteLevel
 * pre-tokenizer: GPT-2 split, bytes_to_unicode, merges applied lowest rank first, leftmost
 * first among equal ranks. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "tok_text.h"
#include "tokenizer.h"
#include "util.h"

static void bytes_to_unicode(uint32_t map[256])
{
    int n = 0;
    for (int b = 0; b < 256; b++) {
        if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))
            map[b] = (uint32_t)b;
        else
            map[b] = (uint32_t)(256 + n++);
    }
}

dcl_status tok_bpe_set_vocab(dcl_tokenizer *tok, const cJSON *root, const char *what)
{
    if (!cJSON_IsObject(root))
        return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: not a JSON object of token -> id", what);
    size_t n = 0, blob = 0;
    int64_t max_id = -1;
    for (const cJSON *it = root->child; it; it = it->next) {
        if (!cJSON_IsNumber(it) || !it->string || it->valuedouble < 0 || it->valuedouble > 2e9 ||
            it->valuedouble != (double)(int64_t)it->valuedouble)
            return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: entry %zu is not token: id", what, n);
        if ((int64_t)it->valuedouble > max_id)
            max_id = (int64_t)it->valuedouble;
        blob += strlen(it->string) + 1;
        n++;
    }
    if (n == 0)
        return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: empty vocabulary", what);
    /* ids index an array: a few holes are fine, a vocabulary that is mostly holes is not */
    if ((uint64_t)max_id >= 2 * (uint64_t)n + 1024)
        return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: id %lld is far beyond the %zu tokens of the vocabulary", what,
                        (long long)max_id, n);
    tok->n_model = tok->n_vocab = (size_t)max_id + 1;
    tok->vocab = calloc(tok->n_vocab, sizeof *tok->vocab);
    tok->vocab_blob = malloc(blob);
    if (!tok->vocab || !tok->vocab_blob || tok_strmap_init(&tok->model_ids, n))
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "%s: out of memory", what);
    size_t o = 0;
    for (const cJSON *it = root->child; it; it = it->next) {
        size_t l = strlen(it->string);
        int32_t id = (int32_t)it->valuedouble;
        memcpy(tok->vocab_blob + o, it->string, l + 1);
        if (!tok->vocab[id])
            tok->vocab[id] = tok->vocab_blob + o;
        if (tok_strmap_put(&tok->model_ids, tok->vocab_blob + o, l, id))
            return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "%s: out of memory", what);
        o += l + 1;
    }
    bytes_to_unicode(tok->byte_char);
    for (int b = 0; b < 256; b++) {
        char buf[4];
        size_t k = tok_utf8_put(buf, tok->byte_char[b]);
        tok->byte_id[b] = tok_strmap_get(&tok->model_ids, buf, k);
    }
    if (tok_pairmap_init(&tok->merges, 1024))
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "%s: out of memory", what);
    tok->kind = TOK_BPE;
    return DCL_OK;
}

dcl_status tok_bpe_add_merge(dcl_tokenizer *tok, const char *a, size_t la, const char *b, size_t lb, int32_t rank,
                             const char *what, size_t index)
{
    int32_t ia = tok_strmap_get(&tok->model_ids, a, la);
    int32_t ib = tok_strmap_get(&tok->model_ids, b, lb);
    char stack[256], *tmp = la + lb <= sizeof stack ? stack : malloc(la + lb);
    if (!tmp)
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "%s: out of memory", what);
    memcpy(tmp, a, la);
    memcpy(tmp + la, b, lb);
    int32_t m = tok_strmap_get(&tok->model_ids, tmp, la + lb);
    if (tmp != stack)
        free(tmp);
    if (ia < 0 || ib < 0 || m < 0)
        return dcl_fail(NULL, DCL_ERR_FORMAT, "%s:%zu: merge of tokens that are not in the vocabulary", what, index);
    if (tok_pairmap_put(&tok->merges, ia, ib, rank, m))
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "%s: out of memory", what);
    return DCL_OK;
}

dcl_status tok_bpe_load(dcl_tokenizer *tok, const char *vocab, size_t vocab_len, const char *vocab_path,
                        const char *merges, size_t merges_len, const char *merges_path)
{
    cJSON *root = cJSON_ParseWithLength(vocab, vocab_len);
    dcl_status st = tok_bpe_set_vocab(tok, root, vocab_path);
    cJSON_Delete(root);
    if (st != DCL_OK)
        return st;
    size_t pos = 0, lineno = 0;
    int32_t rank = 0;
    while (pos < merges_len) {
        size_t e = pos;
        while (e < merges_len && merges[e] != '\n')
            e++;
        size_t le = e;
        if (le > pos && merges[le - 1] == '\r')
            le--;
        lineno++;
        const char *line = merges + pos;
        size_t ll = le - pos;
        pos = e + 1;
        if (ll == 0 || (lineno == 1 && ll >= 8 && !memcmp(line, "#version", 8)))
            continue;
        const char *sp = memchr(line, ' ', ll);
        if (!sp || memchr(sp + 1, ' ', ll - (size_t)(sp + 1 - line)))
            return dcl_fail(NULL, DCL_ERR_FORMAT, "%s:%zu: a merge is two tokens separated by one space",
                            merges_path, lineno);
        size_t la = (size_t)(sp - line);
        st = tok_bpe_add_merge(tok, line, la, sp + 1, ll - la - 1, rank++, merges_path, lineno);
        if (st != DCL_OK)
            return st;
    }
    return DCL_OK;
}

/* ---- GPT-2 pre-tokenization ------------------------------------------------------------- */
/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ with \s the
 * White_Space property, as Oniguruma runs it for tokenizers' ByteLevel pre-tokenizer. */
enum { C_WS, C_L, C_N, C_O };

static int cls_at(const char *s, size_t n, size_t *k)
{
    uint32_t cp;
    *k = tok_utf8_next(s, n, &cp);
    if (tok_is_white_space(cp))
        return C_WS;
    if (tok_is_letter(cp))
        return C_L;
    if (tok_is_number(cp))
        return C_N;
    return C_O;
}

static size_t run_of(const char *s, size_t n, size_t i, int cls)
{
    while (i < n) {
        size_t k;
        if (cls_at(s + i, n - i, &k) != cls)
            break;
        i += k;
    }
    return i;
}

size_t tok_gpt2_piece(const char *s, size_t n)
{
    if (s[0] == '\'' && n >= 2) {
        char c = s[1];
        if (c == 's' || c == 't' || c == 'm' || c == 'd')
            return 2;
        if (n >= 3 && ((c == 'r' && s[2] == 'e') || (c == 'v' && s[2] == 'e') || (c == 'l' && s[2] == 'l')))
            return 3;
    }
    size_t k;
    int c0 = cls_at(s, n, &k);
    size_t start = 0;
    int c = c0;
    if (s[0] == ' ' && n > 1) {
        size_t k2;
        int c1 = cls_at(s + 1, n - 1, &k2);
        if (c1 != C_WS) {
            start = 1;
            c = c1;
        }
    }
    if (c != C_WS)
        return run_of(s, n, start, c);
    /* whitespace: \s+(?!\S) then \s+ */
    size_t j = run_of(s, n, 0, C_WS);
    if (j == n)
        return j;
    /* j < n: text[j] is not whitespace; back off one character if that leaves any */
    size_t last = j - 1;
    while (last > 0 && ((unsigned char)s[last] & 0xC0) == 0x80)
        last--;
    return last > 0 ? last : j;
}

/* ---- BPE of one pre-token --------------------------------------------------------------- */
/* Merges the pair of lowest rank, leftmost first, until none applies: a min-heap of candidate
 * pairs keyed (rank << 32 | left symbol), checked when popped (a merge leaves stale entries), so
 * a word of n bytes takes O(n log n) instead of one scan per merge. */
static void heap_push(uint64_t *h, size_t *n, uint64_t v)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] <= v)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0], v = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (v <= h[c])
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = v;
    return top;
}

typedef struct bpe_sym {
    int32_t id;
    uint32_t start, end; /* bytes of the word */
    uint32_t prev, next; /* neighbours in the list; NONE at the ends */
} bpe_sym;

#define NONE UINT32_MAX

static void push_pair(const dcl_tokenizer *tok, const bpe_sym *s, uint32_t i, uint64_t *heap, size_t *nh)
{
    int32_t rank, id;
    if (s[i].next != NONE && tok_pairmap_get(&tok->merges, s[i].id, s[s[i].next].id, &rank, &id))
        heap_push(heap, nh, (uint64_t)(uint32_t)rank << 32 | i);
}

dcl_status tok_bpe_encode_word(const dcl_tokenizer *tok, const char *w, size_t n, tok_seq *seq,
                               const uint32_t *align)
{
    if (n >= NONE / 3)
        return dcl_fail(NULL, DCL_ERR_RANGE, "tokenizer: a word of %zu bytes is too long", n);
    /* symbols: one per byte (ids of the byte-level characters); at most 3n heap entries (n - 1
     * initial pairs, two new pairs per merge) */
    bpe_sym sym_stack[64];
    uint64_t heap_stack[3 * 64];
    bpe_sym *sym = n <= 64 ? sym_stack : malloc(n * sizeof *sym);
    uint64_t *heap = n <= 64 ? heap_stack : malloc(3 * n * sizeof *heap);
    if (!sym || !heap) {
        if (sym != sym_stack)
            free(sym);
        if (heap != heap_stack)
            free(heap);
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "tokenizer: out of memory");
    }
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t id = tok->byte_id[(unsigned char)w[i]];
        if (id < 0)
            continue; /* no unknown token: tokenizers drops the byte */
        sym[m] = (bpe_sym){id, (uint32_t)i, (uint32_t)(i + 1), m ? m - 1 : NONE, NONE};
        if (m)
            sym[m - 1].next = m;
        m++;
    }
    size_t nh = 0;
    for (uint32_t i = 0; i + 1 < m; i++)
        push_pair(tok, sym, i, heap, &nh);
    while (nh) {
        uint64_t top = heap_pop(heap, &nh);
        uint32_t i = (uint32_t)top, r = sym[i].next;
        int32_t rank, id;
        /* stale: i was merged into its left neighbour, or its right neighbour changed */
        if (sym[i].id < 0 || r == NONE || !tok_pairmap_get(&tok->merges, sym[i].id, sym[r].id, &rank, &id) ||
            (uint32_t)rank != (uint32_t)(top >> 32))
            continue;
        sym[i].id = id;
        sym[i].end = sym[r].end;
        sym[i].next = sym[r].next;
        if (sym[r].next != NONE)
            sym[sym[r].next].prev = i;
        sym[r].id = -1;
        if (sym[i].prev != NONE)
            push_pair(tok, sym, sym[i].prev, heap, &nh);
        push_pair(tok, sym, i, heap, &nh);
    }
    dcl_status rc = DCL_OK;
    for (uint32_t i = 0; m && i != NONE; i = sym[i].next) {
        if (tok_seq_push(seq, sym[i].id, align[2 * sym[i].start], align[2 * (sym[i].end - 1) + 1])) {
            rc = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "tokenizer: out of memory");
            break;
        }
    }
    if (sym != sym_stack)
        free(sym);
    if (heap != heap_stack)
        free(heap);
    return rc;
}
