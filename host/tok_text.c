/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-8, Unicode properties and the aligned normalized string of the tokenizers. */
#include "tok_text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

size_t tok_utf8_next(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80 || n < 2) {
        *cp = u[0];
        return 1;
    }
    if (u[0] < 0xE0) {
        *cp = ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
        return 2;
    }
    if (u[0] < 0xF0 || n < 4) {
        *cp = ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
        return 3;
    }
    *cp = ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) | ((uint32_t)(u[2] & 0x3F) << 6) |
          (u[3] & 0x3F);
    return 4;
}

size_t tok_utf8_put(char *dst, uint32_t cp)
{
    unsigned char *d = (unsigned char *)dst;
    if (cp < 0x80) {
        d[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (unsigned char)(0xC0 | (cp >> 6));
        d[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (unsigned char)(0xE0 | (cp >> 12));
        d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (unsigned char)(0xF0 | (cp >> 18));
    d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Number of valid bytes of the sequence at s, checking continuation ranges as Unicode's
 * well-formed table does (no overlongs, no surrogates, <= U+10FFFF); `need` gets its full length. */
static size_t utf8_valid_part(const unsigned char *s, size_t n, size_t *need)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80) {
        *need = 1;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *need = 1;
        return 0;
    }
    *need = len;
    size_t i = 1;
    if (i < n && s[i] >= lo && s[i] <= hi) {
        i++;
        while (i < len && i < n && s[i] >= 0x80 && s[i] <= 0xBF)
            i++;
    }
    return i;
}

size_t tok_utf8_valid_prefix(const unsigned char *s, size_t n)
{
    size_t need;
    size_t got = utf8_valid_part(s, n, &need);
    return got == need ? got : 0;
}

size_t tok_utf8_invalid_len(const unsigned char *s, size_t n)
{
    size_t need;
    size_t got = utf8_valid_part(s, n, &need);
    return got == 0 ? 1 : got;
}

size_t tok_utf8_check(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = tok_utf8_valid_prefix(u + i, n - i);
        if (!k)
            return i;
        i += k;
    }
    return n;
}

char *tok_utf8_lossy(const char *s, size_t n, size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < n) {
        size_t k = u[i] < 0x80 ? 1 : tok_utf8_valid_prefix(u + i, n - i);
        if (k) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        } else {
            o += tok_utf8_put(out + o, 0xFFFD);
            i += tok_utf8_invalid_len(u + i, n - i);
        }
    }
    out[o] = 0;
    *out_len = o;
    return out;
}

int tok_is_white_space(uint32_t cp)
{
    /* The White_Space property (PropList.txt): what Rust's char::is_whitespace and
     * Oniguruma's \s (tokenizers' regexes) match. */
    if (cp <= 0x20)
        return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    if (cp < 0x85)
        return 0;
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

int tok_is_letter(uint32_t cp)
{
    if (cp < 0x80)
        return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

int tok_is_number(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO;
}

int tok_is_punctuation(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
               (cp >= 0x7B && cp <= 0x7E);
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

/* ---- normalized string ------------------------------------------------------------------ */

static int nstr_reserve(tok_nstr *ns, size_t cap)
{
    if (cap <= ns->cap)
        return 0;
    size_t c = ns->cap ? ns->cap : 16;
    while (c < cap)
        c *= 2;
    char *s = realloc(ns->s, c + 1);
    if (!s)
        return -1;
    ns->s = s;
    uint32_t *a = realloc(ns->a, c * 2 * sizeof *a);
    if (!a)
        return -1;
    ns->a = a;
    ns->cap = c;
    return 0;
}

int tok_nstr_init(tok_nstr *ns, const char *text, size_t len)
{
    memset(ns, 0, sizeof *ns);
    if (len >= 0xF0000000u || nstr_reserve(ns, len + 1)) {
        tok_nstr_free(ns); /* the first buffer may have been allocated */
        return -1;
    }
    memcpy(ns->s, text, len);
    ns->s[len] = 0;
    ns->len = len;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = tok_utf8_next(text + i, len - i, &cp);
        for (size_t j = 0; j < k; j++) {
            ns->a[2 * (i + j)] = (uint32_t)i;
            ns->a[2 * (i + j) + 1] = (uint32_t)(i + k);
        }
        i += k;
    }
    return 0;
}

void tok_nstr_free(tok_nstr *ns)
{
    free(ns->s);
    free(ns->a);
    memset(ns, 0, sizeof *ns);
}

static size_t char_len_at(const tok_nstr *ns, size_t i)
{
    unsigned char c = (unsigned char)ns->s[i];
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

int tok_nstr_transform(tok_nstr *ns, size_t rs, size_t re, const uint32_t *cps, const int32_t *chg, size_t n,
                       size_t initial_offset)
{
    /* new bytes and alignments for the range, built aside, then spliced in */
    size_t out_cap = n * 4 + 1;
    char *out = malloc(out_cap);
    uint32_t *oa = malloc(out_cap * 2 * sizeof *oa);
    if (!out || !oa) {
        free(out);
        free(oa);
        return -1;
    }
    size_t old = rs; /* next old char not yet consumed */
    for (size_t k = 0; k < initial_offset && old < re; k++)
        old += char_len_at(ns, old);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t a0, a1;
        if (chg[i] > 0) {
            if (old < 1) {
                a0 = a1 = 0;
            } else {
                a0 = ns->a[2 * (old - 1)];
                a1 = ns->a[2 * (old - 1) + 1];
            }
        } else if (old < ns->len) {
            a0 = ns->a[2 * old];
            a1 = ns->a[2 * old + 1];
        } else { /* tokenizers would panic here; keep the last span */
            a0 = old ? ns->a[2 * (old - 1)] : 0;
            a1 = old ? ns->a[2 * (old - 1) + 1] : 0;
        }
        if (chg[i] <= 0 && old < re)
            old += char_len_at(ns, old);
        for (int32_t r = 0; r < -chg[i] && old < re; r++)
            old += char_len_at(ns, old);
        size_t k = tok_utf8_put(out + o, cps[i]);
        for (size_t j = 0; j < k; j++) {
            oa[2 * (o + j)] = a0;
            oa[2 * (o + j) + 1] = a1;
        }
        o += k;
    }
    size_t new_len = ns->len - (re - rs) + o;
    if (nstr_reserve(ns, new_len + 1)) {
        free(out);
        free(oa);
        return -1;
    }
    memmove(ns->s + rs + o, ns->s + re, ns->len - re);
    memmove(ns->a + 2 * (rs + o), ns->a + 2 * re, (ns->len - re) * 2 * sizeof *ns->a);
    memcpy(ns->s + rs, out, o);
    memcpy(ns->a + 2 * rs, oa, o * 2 * sizeof *oa);
    ns->len = new_len;
    ns->s[new_len] = 0;
    free(out);
    free(oa);
    return 0;
}

/* A growable list of (code point, change). */
typedef struct cpbuf {
    uint32_t *cp;
    int32_t *ch;
    size_t n, cap;
} cpbuf;

static int cpbuf_push(cpbuf *b, uint32_t cp, int32_t ch)
{
    if (b->n == b->cap) {
        size_t c = b->cap ? b->cap * 2 : 64;
        uint32_t *p = realloc(b->cp, c * sizeof *p);
        if (!p)
            return -1;
        b->cp = p;
        int32_t *q = realloc(b->ch, c * sizeof *q);
        if (!q)
            return -1;
        b->ch = q;
        b->cap = c;
    }
    b->cp[b->n] = cp;
    b->ch[b->n] = ch;
    b->n++;
    return 0;
}

static void cpbuf_free(cpbuf *b)
{
    free(b->cp);
    free(b->ch);
}

int tok_nstr_replace_ws(tok_nstr *ns)
{
    /* Matches of \s{2,}|[\n\r\t], leftmost first, each replaced by one ' '. tokenizers removes
     * the match and inserts the space, which so takes the span of the match's last byte. One
     * pass, in place (the text only shrinks). */
    size_t i = 0, o = 0;
    while (i < ns->len) {
        uint32_t cp;
        size_t k = tok_utf8_next(ns->s + i, ns->len - i, &cp);
        if (!tok_is_white_space(cp)) {
            for (size_t j = 0; j < k; j++) {
                ns->s[o + j] = ns->s[i + j];
                ns->a[2 * (o + j)] = ns->a[2 * (i + j)];
                ns->a[2 * (o + j) + 1] = ns->a[2 * (i + j) + 1];
            }
            o += k;
            i += k;
            continue;
        }
        size_t j = i + k, nchars = 1;
        while (j < ns->len) {
            uint32_t c2;
            size_t k2 = tok_utf8_next(ns->s + j, ns->len - j, &c2);
            if (!tok_is_white_space(c2))
                break;
            j += k2;
            nchars++;
        }
        if (nchars < 2 && cp != '\n' && cp != '\r' && cp != '\t') {
            for (size_t m = 0; m < k; m++) {
                ns->s[o + m] = ns->s[i + m];
                ns->a[2 * (o + m)] = ns->a[2 * (i + m)];
                ns->a[2 * (o + m) + 1] = ns->a[2 * (i + m) + 1];
            }
            o += k;
            i = j;
            continue;
        }
        uint32_t a0 = ns->a[2 * (j - 1)], a1 = ns->a[2 * (j - 1) + 1];
        ns->s[o] = ' ';
        ns->a[2 * o] = a0;
        ns->a[2 * o + 1] = a1;
        o++;
        i = j;
    }
    ns->len = o;
    ns->s[o] = 0;
    return 0;
}

void tok_nstr_rstrip(tok_nstr *ns)
{
    size_t end = ns->len;
    while (end > 0) {
        size_t st = end - 1;
        while (st > 0 && ((unsigned char)ns->s[st] & 0xC0) == 0x80)
            st--;
        uint32_t cp;
        tok_utf8_next(ns->s + st, end - st, &cp);
        if (!tok_is_white_space(cp))
            break;
        end = st;
    }
    ns->len = end;
    ns->s[end] = 0;
}

int tok_nstr_lowercase(tok_nstr *ns)
{
    cpbuf b = {0};
    int any = 0;
    for (size_t i = 0; i < ns->len;) {
        uint32_t cp;
        i += tok_utf8_next(ns->s + i, ns->len - i, &cp);
        if (cp == 0x130) { /* the one unconditional multi-character lowercase (SpecialCasing) */
            any = 1;
            if (cpbuf_push(&b, 'i', 0) || cpbuf_push(&b, 0x307, 1))
                goto oom;
            continue;
        }
        uint32_t lc = cp < 0x80 ? ((cp >= 'A' && cp <= 'Z') ? cp + 32 : cp)
                                : (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
        any |= lc != cp;
        if (cpbuf_push(&b, lc, 0))
            goto oom;
    }
    if (any && tok_nstr_transform(ns, 0, ns->len, b.cp, b.ch, b.n, 0))
        goto oom;
    cpbuf_free(&b);
    return 0;
oom:
    cpbuf_free(&b);
    return -1;
}

static int ccc_of(uint32_t cp)
{
    if (cp < 0x300)
        return 0;
    return utf8proc_get_property((utf8proc_int32_t)cp)->combining_class;
}

/* Whether cp can take part in a canonical composition (as a starter or a second one). */
static int may_compose(uint32_t cp)
{
    if (cp < 0x300)
        return 0;
    if ((cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0xAC00 && cp <= 0xD7A3))
        return 1;
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
    return p->combining_class != 0 || p->comb_index != UINT16_MAX;
}

static uint32_t compose_pair(uint32_t a, uint32_t b)
{
    if (b < 0x300 || !may_compose(b))
        return 0;
    utf8proc_int32_t buf[2] = {(utf8proc_int32_t)a, (utf8proc_int32_t)b};
    utf8proc_ssize_t r = utf8proc_normalize_utf32(buf, 2, (utf8proc_option_t)(UTF8PROC_COMPOSE | UTF8PROC_STABLE));
    return r == 1 ? (uint32_t)buf[0] : 0;
}

int tok_nstr_nfc(tok_nstr *ns)
{
    /* fast path: ASCII and characters that neither decompose nor compose leave it unchanged */
    int simple = 1;
    for (size_t i = 0; i < ns->len && simple;) {
        uint32_t cp;
        i += tok_utf8_next(ns->s + i, ns->len - i, &cp);
        if (cp >= 0xC0) {
            const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
            if (p->decomp_seqindex != UINT16_MAX || may_compose(cp))
                simple = 0;
        }
    }
    if (simple)
        return 0;

    /* 1. canonical decomposition: (first, 0), (others, +1) */
    cpbuf d = {0}, out = {0}, buf = {0};
    for (size_t i = 0; i < ns->len;) {
        uint32_t cp;
        i += tok_utf8_next(ns->s + i, ns->len - i, &cp);
        utf8proc_int32_t tmp[32];
        int bc = 0;
        utf8proc_ssize_t k = utf8proc_decompose_char((utf8proc_int32_t)cp, tmp, 32, UTF8PROC_DECOMPOSE, &bc);
        if (k <= 0 || k > 32) {
            tmp[0] = (utf8proc_int32_t)cp;
            k = 1;
        }
        for (utf8proc_ssize_t j = 0; j < k; j++)
            if (cpbuf_push(&d, (uint32_t)tmp[j], j ? 1 : 0))
                goto oom;
    }
    /* 2. canonical ordering: stable sort of each run of non-starters by combining class */
    for (size_t i = 1; i < d.n; i++) {
        int ci = ccc_of(d.cp[i]);
        if (!ci)
            continue;
        size_t j = i;
        while (j > 0) {
            int cj = ccc_of(d.cp[j - 1]);
            if (!cj || cj <= ci)
                break;
            uint32_t tc = d.cp[j];
            d.cp[j] = d.cp[j - 1];
            d.cp[j - 1] = tc;
            int32_t th = d.ch[j];
            d.ch[j] = d.ch[j - 1];
            d.ch[j - 1] = th;
            j--;
        }
    }
    /* 3. canonical composition, with the changes of composed characters added up */
    int have_k = 0, last_ccc = -1;
    uint32_t kc = 0;
    int32_t kch = 0;
    for (size_t i = 0; i < d.n; i++) {
        uint32_t ch = d.cp[i];
        int32_t chg = d.ch[i];
        int cls = ccc_of(ch);
        if (!have_k) {
            if (cls != 0) {
                if (cpbuf_push(&out, ch, chg))
                    goto oom;
                continue;
            }
            have_k = 1;
            kc = ch;
            kch = chg;
            continue;
        }
        if (last_ccc < 0) {
            uint32_t r = compose_pair(kc, ch);
            if (r) {
                kc = r;
                kch = kch + chg - 1;
                continue;
            }
            if (cls == 0) {
                if (cpbuf_push(&out, kc, kch))
                    goto oom;
                kc = ch;
                kch = chg;
                continue;
            }
            if (cpbuf_push(&buf, ch, chg))
                goto oom;
            last_ccc = cls;
        } else {
            if (last_ccc >= cls) {
                if (cls == 0) {
                    if (cpbuf_push(&out, kc, kch))
                        goto oom;
                    for (size_t j = 0; j < buf.n; j++)
                        if (cpbuf_push(&out, buf.cp[j], buf.ch[j]))
                            goto oom;
                    buf.n = 0;
                    kc = ch;
                    kch = chg;
                    last_ccc = -1;
                    continue;
                }
                if (cpbuf_push(&buf, ch, chg))
                    goto oom;
                last_ccc = cls;
                continue;
            }
            uint32_t r = compose_pair(kc, ch);
            if (r) {
                kc = r;
                kch = kch + chg - 1;
                continue;
            }
            if (cpbuf_push(&buf, ch, chg))
                goto oom;
            last_ccc = cls;
        }
    }
    if (have_k && cpbuf_push(&out, kc, kch))
        goto oom;
    for (size_t j = 0; j < buf.n; j++)
        if (cpbuf_push(&out, buf.cp[j], buf.ch[j]))
            goto oom;
    if (tok_nstr_transform(ns, 0, ns->len, out.cp, out.ch, out.n, 0))
        goto oom;
    cpbuf_free(&d);
    cpbuf_free(&out);
    cpbuf_free(&buf);
    return 0;
oom:
    cpbuf_free(&d);
    cpbuf_free(&out);
    cpbuf_free(&buf);
    return -1;
}

int tok_nstr_metaspace(tok_nstr *ns, int prepend)
{
    /* ' ' -> U+2581 (three bytes, each with the space's span) */
    size_t spaces = 0;
    for (size_t i = 0; i < ns->len; i++)
        spaces += ns->s[i] == ' ';
    if (spaces) {
        size_t nl = ns->len + spaces * 2;
        char *s = malloc(nl + 1);
        uint32_t *a = malloc(nl * 2 * sizeof *a);
        if (!s || !a) {
            free(s);
            free(a);
            return -1;
        }
        size_t o = 0;
        for (size_t i = 0; i < ns->len; i++) {
            if (ns->s[i] == ' ') {
                memcpy(s + o, "\xE2\x96\x81", 3);
                for (int j = 0; j < 3; j++) {
                    a[2 * (o + j)] = ns->a[2 * i];
                    a[2 * (o + j) + 1] = ns->a[2 * i + 1];
                }
                o += 3;
            } else {
                s[o] = ns->s[i];
                a[2 * o] = ns->a[2 * i];
                a[2 * o + 1] = ns->a[2 * i + 1];
                o++;
            }
        }
        s[o] = 0;
        free(ns->s);
        free(ns->a);
        ns->s = s;
        ns->a = a;
        ns->len = ns->cap = o;
    }
    if (prepend && ns->len > 0 && !(ns->len >= 3 && !memcmp(ns->s, "\xE2\x96\x81", 3))) {
        uint32_t first;
        size_t k = tok_utf8_next(ns->s, ns->len, &first);
        uint32_t cps[2] = {0x2581, first};
        int32_t chg[2] = {0, 1};
        if (tok_nstr_transform(ns, 0, k, cps, chg, 2, 0))
            return -1;
    }
    return 0;
}
