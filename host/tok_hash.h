/* SPDX-License-Identifier: Apache-2.0 */
/* String -> int32 hash map (open addressing) and (int32,int32) -> (rank,id) map, used by the
 * tokenizers for vocabularies and BPE merges. Internal. */
#ifndef DCL_TOK_HASH_H
#define DCL_TOK_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct tok_strmap {
    uint32_t *slots; /* entry index + 1, 0 = empty */
    size_t mask;
    size_t count;
    const char **keys; /* borrowed: key i points into storage the owner keeps */
    uint32_t *key_lens;
    int32_t *values;
    size_t cap;
} tok_strmap;

int tok_strmap_init(tok_strmap *m, size_t expected);
void tok_strmap_free(tok_strmap *m);
/* Inserts (or overwrites) key -> value. The key memory must outlive the map. 0 on success. */
int tok_strmap_put(tok_strmap *m, const char *key, size_t len, int32_t value);
/* The value, or -1 when absent. */
int32_t tok_strmap_get(const tok_strmap *m, const char *key, size_t len);

typedef struct tok_pairmap {
    uint64_t *keys; /* (a << 32 | b) + 1, 0 = empty */
    int32_t *rank;
    int32_t *id;
    size_t mask;
    size_t count;
} tok_pairmap;

int tok_pairmap_init(tok_pairmap *m, size_t expected);
void tok_pairmap_free(tok_pairmap *m);
/* Keeps the first insertion of a pair (like a merges file read top to bottom). */
int tok_pairmap_put(tok_pairmap *m, int32_t a, int32_t b, int32_t rank, int32_t id);
/* 1 and rank/id when found, else 0. */
int tok_pairmap_get(const tok_pairmap *m, int32_t a, int32_t b, int32_t *rank, int32_t *id);

#endif
