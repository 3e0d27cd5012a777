/* SPDX-License-Identifier: Apache-2.0 */
/* Text helpers of the tokenizers: UTF-8, Unicode properties (from utf8proc), and a normalized
 * string that keeps, for every byte, the span of the original text it came from (the model of
 * Hugging Face tokenizers' NormalizedString, so that offsets come out identical). Internal. */
#ifndef DCL_TOK_TEXT_H
#define DCL_TOK_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one UTF-8 character of valid text at s (n bytes left); returns its length (1..4). */
size_t tok_utf8_next(const char *s, size_t n, uint32_t *cp);
/* Encodes cp; returns its length (1..4). */
size_t tok_utf8_put(char *dst, uint32_t cp);
/* Length of the first valid UTF-8 sequence at s, or 0 when s starts an invalid one. */
size_t tok_utf8_valid_prefix(const unsigned char *s, size_t n);
/* Length of the maximal invalid subpart at s (Unicode's "substitution of maximal subparts",
 * as Python's errors="replace" and Rust's from_utf8_lossy count them); >= 1. */
size_t tok_utf8_invalid_len(const unsigned char *s, size_t n);
/* Offset of the first invalid byte, or n when all of s is valid UTF-8. */
size_t tok_utf8_check(const char *s, size_t n);
/* Copies s with every maximal invalid subpart replaced by U+FFFD (malloc'd, NUL-terminated). */
char *tok_utf8_lossy(const char *s, size_t n, size_t *out_len);

int tok_is_white_space(uint32_t cp); /* the Unicode White_Space property */
int tok_is_letter(uint32_t cp);      /* general category L* */
int tok_is_number(uint32_t cp);      /* general category N* */
int tok_is_punctuation(uint32_t cp); /* ASCII punctuation or general category P* */

/* Normalized string: bytes and, for each byte, the original span [a[2i], a[2i+1]). */
typedef struct tok_nstr {
    char *s;
    uint32_t *a;
    size_t len;
    size_t cap;
} tok_nstr;

int tok_nstr_init(tok_nstr *ns, const char *text, size_t len); /* original == text, offsets from 0 */
void tok_nstr_free(tok_nstr *ns);
/* tokenizers' transform_range over normalized bytes [rs, re): dest code points with their
 * change (1 inserted, 0 replaces, -N replaces and removes N following). 0 or -1 (memory). */
int tok_nstr_transform(tok_nstr *ns, size_t rs, size_t re, const uint32_t *cps, const int32_t *chg, size_t n,
                       size_t initial_offset);

/* Normalizers and pre-tokenizer steps, each exactly as tokenizers does it. 0 or -1 (memory). */
int tok_nstr_replace_ws(tok_nstr *ns);   /* Replace(Regex("\s{2,}|[\n\r\t]"), " ") */
int tok_nstr_nfc(tok_nstr *ns);          /* NFC() */
int tok_nstr_lowercase(tok_nstr *ns);    /* Lowercase() */
void tok_nstr_rstrip(tok_nstr *ns);      /* Strip(left=False, right=True) */
int tok_nstr_metaspace(tok_nstr *ns, int prepend); /* ' ' -> U+2581, then prepend one if missing */

#endif
