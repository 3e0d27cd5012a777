/* Tokenizers of DeBERTa model folders, exactly as Hugging Face transformers (5.x, the default
 * tokenizers-backed classes) tokenizes:
 *  - v2 / v3 / mDeBERTa: spm.model (SentencePiece unigram) as DebertaV2Tokenizer: normalizer
 *    [Lowercase] + Replace(\s{2,}|[\n\r\t] -> ' ') + NFC + right Strip, [Punctuation split],
 *    Metaspace(U+2581, prepend always), Unigram Viterbi (fused unknowns, no byte fallback);
 *  - v1: vocab.json + merges.txt byte-level BPE as DebertaTokenizer.
 * Internal; the public API is in lib/api_tokenizer.c. */
#ifndef DCL_TOKENIZER_H
#define DCL_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "debertacl.h"
#include "tok_hash.h"

typedef enum tok_kind { TOK_UNIGRAM = 1, TOK_BPE = 2 } tok_kind;

typedef struct tok_added {
    char *content;
    size_t len;
    int32_t id;
    int special;
    int lstrip, rstrip, single_word;
} tok_added;

struct dcl_tokenizer {
    tok_kind kind;
    char **vocab;     /* id -> token (model pieces and added tokens); NULL for holes */
    size_t n_vocab;   /* number of ids (max id + 1) */
    size_t n_model;   /* ids that belong to the model */
    char *vocab_blob; /* storage of the model's token strings */
    tok_strmap model_ids; /* model token -> id */
    /* unigram */
    double *scores;
    int32_t unk_model_id;
    double min_score;
    size_t max_piece_len;
    int do_lower_case, split_by_punct;
    /* bpe */
    tok_pairmap merges;
    int32_t byte_id[256];   /* id of each byte's byte-level character, -1 when absent */
    uint32_t byte_char[256]; /* GPT-2 bytes_to_unicode */
    int add_prefix_space;
    /* added tokens (special or not), matched on the raw text */
    tok_added *added;
    size_t n_added;
    int32_t cls_id, sep_id, pad_id, mask_id, unk_id;
    size_t model_max_length; /* 0: none configured */
    size_t id_budget;        /* ids that added tokens may still add past n_vocab */
};

/* One encoded sequence before post-processing: ids and byte spans of the original text. */
typedef struct tok_seq {
    int32_t *ids;
    uint32_t *start, *end; /* bytes of the input */
    size_t n, cap;
} tok_seq;

dcl_status tok_load(const char *dir, dcl_tokenizer **out);
void tok_free(dcl_tokenizer *tok);

/* Tokenizes one text (valid UTF-8) without special tokens. */
dcl_status tok_encode_text(const dcl_tokenizer *tok, const char *text, size_t len, tok_seq *seq);
void tok_seq_free(tok_seq *seq);

/* Full encode: text (and pair), special tokens, truncation, padding to params->pad_to. */
dcl_status tok_encode(const dcl_tokenizer *tok, const char *text, size_t len, const char *pair, size_t pair_len,
                      const dcl_tokenize_params *p, dcl_encoding **out);
/* Pads an encoding on the right to `length` tokens (no-op when it is not shorter). */
dcl_status tok_pad(const dcl_tokenizer *tok, dcl_encoding *enc, size_t length);
void tok_encoding_free(dcl_encoding *enc);

dcl_status tok_decode(const dcl_tokenizer *tok, const int32_t *ids, size_t n, int skip_special, char **text,
                      size_t *len);

/* Parsing of the two model files (tok_unigram.c, tok_bpe.c). */
dcl_status tok_unigram_load(dcl_tokenizer *tok, const char *path);
dcl_status tok_unigram_encode_word(const dcl_tokenizer *tok, const char *w, size_t n, tok_seq *seq,
                                   const uint32_t *align);
dcl_status tok_bpe_load(dcl_tokenizer *tok, const char *vocab_path, const char *merges_path);
dcl_status tok_bpe_encode_word(const dcl_tokenizer *tok, const char *w, size_t n, tok_seq *seq,
                               const uint32_t *align);
/* GPT-2 pre-tokenization: length of the piece at s (n bytes left). */
size_t tok_gpt2_piece(const char *s, size_t n);

int tok_seq_push(tok_seq *seq, int32_t id, uint32_t start, uint32_t end);

#endif
