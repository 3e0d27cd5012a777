/* SPDX-License-Identifier: Apache-2.0 */
/* Tokenizers of DeBERTa model folders, exactly as Hugging Face transformers (5.x, the default
 * tokenizers-backed classes) tokenizes:
 *  - v2 / v3 / mDeBERTa: spm.model (SentencePiece unigram) as DebertaV2Tokenizer: normalizer
 *    [Lowercase] + Replace(\s{2,}|[\n\r\t] -> ' ') + NFC + right Strip, [Punctuation split],
 *    Metaspace(U+2581, prepend always), Unigram Viterbi (fused unknowns, no byte fallback);
 *  - v1: vocab.json + merges.txt byte-level BPE as DebertaTokenizer;
 *  - tokenizer.json (tok_json.c): with a DeBERTa tokenizer_class, the model (vocabulary, scores,
 *    merges) and added tokens from it and the stages from tokenizer_config.json, as those classes
 *    rebuild them; with any other class, every stage as the file describes it.
 * A tokenizer is a chain of stages, as tokenizer.json describes them: normalizers, a
 * pre-tokenizer (Metaspace for the unigram, ByteLevel for BPE), the model, a template
 * post-processor and a decoder (Metaspace / ByteLevel, by model).
 * Internal; the public API is in lib/api_tokenizer.c. */
#ifndef DCL_TOKENIZER_H
#define DCL_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "debertacl.h"
#include "tok_hash.h"

typedef enum tok_kind { TOK_UNIGRAM = 1, TOK_BPE = 2 } tok_kind;

/* Normalizers, applied in order. */
typedef enum tok_norm {
    TOK_NORM_LOWERCASE = 1,  /* Lowercase */
    TOK_NORM_REPLACE_WS = 2, /* Replace(Regex("\\s{2,}|[\\n\\r\\t]"), " ") */
    TOK_NORM_NFC = 3,        /* NFC */
    TOK_NORM_RSTRIP = 4      /* Strip(left=False, right=True) */
} tok_norm;
#define TOK_MAX_NORMS 8

/* Metaspace prepend_scheme. */
typedef enum tok_prepend { TOK_PREPEND_ALWAYS = 0, TOK_PREPEND_FIRST = 1, TOK_PREPEND_NEVER = 2 } tok_prepend;

/* TemplateProcessing: special ids and the sequences (A, B), each with its type id. */
typedef struct tok_piece {
    int32_t id;   /* the special token's id when seq == 0 */
    int32_t seq;  /* 0: special token, 1: sequence A, 2: sequence B */
    int32_t type; /* token type id */
} tok_piece;
#define TOK_MAX_PIECES 16
typedef struct tok_template {
    tok_piece p[TOK_MAX_PIECES];
    size_t n;
} tok_template;

typedef struct tok_added {
    char *content;
    size_t len;
    int32_t id;
    int special;
    int lstrip, rstrip, single_word;
    int normalized; /* matched in the normalized text (-1 while loading: not special) */
    char *ncontent; /* normalized tokens: the content through the normalizers (NULL: empty) */
    size_t nlen;
} tok_added;

struct dcl_tokenizer {
    tok_kind kind;
    char **vocab;     /* id -> token (model pieces and added tokens); NULL for holes */
    size_t n_vocab;   /* number of ids (max id + 1) */
    size_t n_model;   /* ids that belong to the model */
    char *vocab_blob; /* storage of the model's token strings */
    size_t blob_used;
    tok_strmap model_ids; /* model token -> id */
    /* unigram */
    double *scores;
    int32_t unk_model_id;
    double min_score;
    size_t max_piece_len;
    int do_lower_case, split_by_punct;
    int clean_up_spaces; /* decode: clean_up_tokenization_spaces */
    /* bpe */
    tok_pairmap merges;
    int32_t byte_id[256];   /* id of each byte's byte-level character, -1 when absent */
    uint32_t byte_char[256]; /* GPT-2 bytes_to_unicode */
    int add_prefix_space;
    /* added tokens (special or not), matched on the raw text */
    tok_added *added;
    size_t n_added;
    size_t n_normalized_added; /* added tokens matched in the normalized text */
    int32_t cls_id, sep_id, pad_id, mask_id, unk_id;
    size_t model_max_length; /* 0: none configured */
    /* stages (the model's normalizer flags above are for the spm/BPE folders; these drive encoding) */
    tok_norm norms[TOK_MAX_NORMS];
    size_t n_norms;
    tok_prepend prepend; /* unigram: Metaspace prepend scheme */
    tok_template single, pair;
    dcl_tok_source source;
};

/* The files of a tokenizer folder, in memory ({NULL, 0}: absent). */
typedef struct tok_file {
    const char *data;
    size_t len;
} tok_file;

typedef struct tok_files {
    const char *where; /* the folder, for messages */
    tok_file tokenizer_json, tokenizer_config, special_tokens_map, added_tokens, config;
    tok_file spm_model, vocab_json, merges_txt;
} tok_files;

/* One encoded sequence before post-processing: ids and byte spans of the original text. */
typedef struct tok_seq {
    int32_t *ids;
    uint32_t *start, *end; /* bytes of the input */
    size_t n, cap;
} tok_seq;

dcl_status tok_load(const char *dir, dcl_tokenizer **out);
/* Builds a tokenizer from file contents (what tok_load reads from a folder); for fuzzing. */
dcl_status tok_load_files(const tok_files *f, dcl_tokenizer **out);
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

/* Parsing of the two model files (tok_unigram.c, tok_bpe.c); `path` names them in messages. */
dcl_status tok_unigram_load(dcl_tokenizer *tok, const char *data, size_t len, const char *path);
/* A unigram vocabulary of n pieces whose strings take `blob` bytes with their NULs. */
dcl_status tok_unigram_init(dcl_tokenizer *tok, size_t n, size_t blob);
int tok_unigram_put(dcl_tokenizer *tok, size_t i, const char *piece, size_t len, double score);
dcl_status tok_unigram_encode_word(const dcl_tokenizer *tok, const char *w, size_t n, tok_seq *seq,
                                   const uint32_t *align);
dcl_status tok_bpe_load(dcl_tokenizer *tok, const char *vocab, size_t vocab_len, const char *vocab_path,
                        const char *merges, size_t merges_len, const char *merges_path);
/* The vocabulary from a JSON object token -> id (cJSON), then the merges one by one. */
struct cJSON;
dcl_status tok_bpe_set_vocab(dcl_tokenizer *tok, const struct cJSON *vocab, const char *what);
dcl_status tok_bpe_add_merge(dcl_tokenizer *tok, const char *a, size_t la, const char *b, size_t lb, int32_t rank,
                             const char *what, size_t index);
dcl_status tok_bpe_encode_word(const dcl_tokenizer *tok, const char *w, size_t n, tok_seq *seq,
                               const uint32_t *align);
/* GPT-2 pre-tokenization: length of the piece at s (n bytes left). */
size_t tok_gpt2_piece(const char *s, size_t n);

int tok_seq_push(tok_seq *seq, int32_t id, uint32_t start, uint32_t end);

/* tokenizer.json (tok_json.c). The model and its added tokens (flags included): */
dcl_status tok_json_model(dcl_tokenizer *tok, const struct cJSON *root, const char *where, int with_added);
/* Every stage as the file describes it (a class that is not a DeBERTa one). */
dcl_status tok_json_stages(dcl_tokenizer *tok, const struct cJSON *root, const char *where);
/* tokenizer_config.json, special_tokens_map.json, added_tokens.json (each may be NULL): flags,
 * special and added tokens (tokenizer.c). */
dcl_status tok_load_configs(dcl_tokenizer *tok, const struct cJSON *cfg, const struct cJSON *map,
                            const struct cJSON *added, const char *where);
/* Once the stages are known: the normalized flag and content of the added tokens. */
dcl_status tok_normalize_added(dcl_tokenizer *tok);
/* Adds (or updates) an added token; id < 0: the model's id of that text, else the next free id. */
dcl_status tok_add_token(dcl_tokenizer *tok, const char *content, int32_t id, int special, int lstrip, int rstrip,
                         int single_word, int normalized);

#endif
