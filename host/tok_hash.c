/* SPDX-License-Identifier: Apache-2.0 */
/* Hash maps for the tokenizers. */
#include "tok_hash.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static size_t pow2_at_least(size_t n)
{
    size_t c = 16;
    while (c < n)
        c <<= 1;
    return c;
}

int tok_strmap_init(tok_strmap *m, size_t expected)
{
    memset(m, 0, sizeof *m);
    size_t nslots = pow2_at_least(expected * 2 + 2);
    m->slots = calloc(nslots, sizeof *m->slots);
    m->cap = expected > 0 ? expected : 1;
    m->keys = malloc(m->cap * sizeof *m->keys);
    m->key_lens = malloc(m->cap * sizeof *m->key_lens);
    m->values = malloc(m->cap * sizeof *m->values);
    if (!m->slots || !m->keys || !m->key_lens || !m->values) {
        tok_strmap_free(m);
        return -1;
    }
    m->mask = nslots - 1;
    return 0;
}

void tok_strmap_free(tok_strmap *m)
{
    free(m->slots);
    free(m->keys);
    free(m->key_lens);
    free(m->values);
    memset(m, 0, sizeof *m);
}

static int strmap_grow(tok_strmap *m)
{
    size_t nslots = (m->mask + 1) * 2;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < m->count; i++) {
        size_t j = hash_bytes(m->keys[i], m->key_lens[i]) & (nslots - 1);
        while (slots[j])
            j = (j + 1) & (nslots - 1);
        slots[j] = (uint32_t)(i + 1);
    }
    free(m->slots);
    m->slots = slots;
    m->mask = nslots - 1;
    return 0;
}

int tok_strmap_put(tok_strmap *m, const char *key, size_t len, int32_t value)
{
    size_t j = hash_bytes(key, len) & m->mask;
    while (m->slots[j]) {
        uint32_t e = m->slots[j] - 1;
        if (m->key_lens[e] == len && !memcmp(m->keys[e], key, len)) {
            m->values[e] = value;
            return 0;
        }
        j = (j + 1) & m->mask;
    }
    if (m->count == m->cap) {
        size_t cap = m->cap * 2;
        const char **k = realloc(m->keys, cap * sizeof *k);
        if (!k)
            return -1;
        m->keys = k;
        uint32_t *l = realloc(m->key_lens, cap * sizeof *l);
        if (!l)
            return -1;
        m->key_lens = l;
        int32_t *v = realloc(m->values, cap * sizeof *v);
        if (!v)
            return -1;
        m->values = v;
        m->cap = cap;
    }
    size_t e = m->count++;
    m->keys[e] = key;
    m->key_lens[e] = (uint32_t)len;
    m->values[e] = value;
    m->slots[j] = (uint32_t)(e + 1);
    if (m->count * 2 > m->mask + 1)
        return strmap_grow(m);
    return 0;
}

int32_t tok_strmap_get(const tok_strmap *m, const char *key, size_t len)
{
    if (!m->slots)
        return -1;
    size_t j = hash_bytes(key, len) & m->mask;
    while (m->slots[j]) {
        uint32_t e = m->slots[j] - 1;
        if (m->key_lens[e] == len && !memcmp(m->keys[e], key, len))
            return m->values[e];
        j = (j + 1) & m->mask;
    }
    return -1;
}

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

int tok_pairmap_init(tok_pairmap *m, size_t expected)
{
    memset(m, 0, sizeof *m);
    size_t n = pow2_at_least(expected * 2 + 2);
    m->keys = calloc(n, sizeof *m->keys);
    m->rank = malloc(n * sizeof *m->rank);
    m->id = malloc(n * sizeof *m->id);
    if (!m->keys || !m->rank || !m->id) {
        tok_pairmap_free(m);
        return -1;
    }
    m->mask = n - 1;
    return 0;
}

void tok_pairmap_free(tok_pairmap *m)
{
    free(m->keys);
    free(m->rank);
    free(m->id);
    memset(m, 0, sizeof *m);
}

int tok_pairmap_put(tok_pairmap *m, int32_t a, int32_t b, int32_t rank, int32_t id)
{
    if ((m->count + 1) * 2 > m->mask + 1) {
        size_t n = (m->mask + 1) * 2;
        uint64_t *keys = calloc(n, sizeof *keys);
        int32_t *r = malloc(n * sizeof *r);
        int32_t *d = malloc(n * sizeof *d);
        if (!keys || !r || !d) {
            free(keys);
            free(r);
            free(d);
            return -1;
        }
        for (size_t i = 0; i <= m->mask; i++) {
            if (!m->keys[i])
                continue;
            size_t j = hash_u64(m->keys[i]) & (n - 1);
            while (keys[j])
                j = (j + 1) & (n - 1);
            keys[j] = m->keys[i];
            r[j] = m->rank[i];
            d[j] = m->id[i];
        }
        free(m->keys);
        free(m->rank);
        free(m->id);
        m->keys = keys;
        m->rank = r;
        m->id = d;
        m->mask = n - 1;
    }
    uint64_t k = (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1;
    size_t j = hash_u64(k) & m->mask;
    while (m->keys[j]) {
        if (m->keys[j] == k)
            return 0;
        j = (j + 1) & m->mask;
    }
    m->keys[j] = k;
    m->rank[j] = rank;
    m->id[j] = id;
    m->count++;
    return 0;
}

int tok_pairmap_get(const tok_pairmap *m, int32_t a, int32_t b, int32_t *rank, int32_t *id)
{
    uint64_t k = (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1;
    size_t j = hash_u64(k) & m->mask;
    while (m->keys[j]) {
        if (m->keys[j] == k) {
            *rank = m->rank[j];
            *id = m->id[j];
            return 1;
        }
        j = (j + 1) & m->mask;
    }
    return 0;
}
