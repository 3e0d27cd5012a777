/* debertacl run: the task heads end to end, from text (or token ids) to answers.
 *
 *   debertacl run --model DIR --task fill-mask|classify|nli|ner|qa|choice|embed INPUT [options]
 *
 * Every input becomes one JSON object (the --json output; JSON lines with --file), and the
 * human-readable output is printed from that object, so both modes always agree. Exit status:
 * 0 success, 1 a failure at run time (device, OpenCL), 2 bad usage or bad input (an empty text, no
 * [MASK] for fill-mask, a task the model has no head for, a missing file); every error is one line
 * on stderr. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum task { T_FILL, T_CLASSIFY, T_NLI, T_NER, T_QA, T_CHOICE, T_EMBED, T_COUNT };
static const char *const task_names[T_COUNT] = {"fill-mask", "classify", "nli", "ner", "qa", "choice", "embed"};
static const unsigned task_heads[T_COUNT] = {DCL_HEAD_MLM, DCL_HEAD_SEQUENCE_CLASS, DCL_HEAD_SEQUENCE_CLASS,
                                             DCL_HEAD_TOKEN_CLASS, DCL_HEAD_QA, DCL_HEAD_MULTIPLE_CHOICE, 0};
static const char *const task_head_names[T_COUNT] = {
    "masked-LM head (lm_predictions.lm_head)", "sequence-classification head (pooler + classifier)",
    "sequence-classification head (pooler + classifier)", "token-classification head (classifier per token)",
    "question-answering head (qa_outputs)", "multiple-choice head", ""};

typedef struct opts {
    const char *model, *tokenizer, *device, *file, *ids, *types;
    const char *text, *pair_a, *pair_b, *question, *context, *choices;
    int task, top_k, json, no_emd, pooling, normalize, max_answer_len, max_length, mask_id;
} opts;

typedef struct runner {
    opts o;
    dcl_context *ctx;
    dcl_model *model;
    dcl_model_info info;
    dcl_tokenizer *tok;
    dcl_session *s;
    int s_rows, s_len;
    int demo;
    char err[2048];
} runner;

/* One input: from the options or from one line of --file. */
typedef struct input {
    const char *a; /* text, premise, question, or the prompt of choice */
    size_t alen;
    const char *b; /* hypothesis, context, or the pair of classify / embed */
    size_t blen;
    int has_a, has_b;
    const char *choices; /* choice: "A|B|C" */
    size_t choices_len;
    const char *ids, *types; /* token ids mode: "1,2,3" ("|" between rows) */
} input;

/* The rows given to the model, [B, L] (right-padded). */
typedef struct rows {
    int B, L;
    int32_t *ids, *mask, *types, *special;
    dcl_encoding **enc; /* per row, when tokenized */
} rows;

static void rows_free(rows *r)
{
    for (int i = 0; r->enc && i < r->B; i++)
        dcl_encoding_free(r->enc[i]);
    free(r->enc);
    free(r->ids);
    free(r->mask);
    free(r->types);
    free(r->special);
    memset(r, 0, sizeof *r);
}

static int rows_alloc(rows *r, int B, int L)
{
    size_t n = (size_t)B * (size_t)L;
    r->B = B;
    r->L = L;
    r->ids = calloc(n, sizeof *r->ids);
    r->mask = calloc(n, sizeof *r->mask);
    r->types = calloc(n, sizeof *r->types);
    r->special = calloc(n, sizeof *r->special);
    if (r->ids && r->mask && r->types && r->special)
        return 1;
    rows_free(r);
    return 0;
}

/* ---- errors ---- */
static int bad(runner *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return 2;
}

/* A failing library call: bad input (2) or a run-time failure (1). */
static int lib_fail(runner *r, const char *what, dcl_status st)
{
    const char *detail = dcl_last_error();
    snprintf(r->err, sizeof r->err, "%s: %s%s%s", what, dcl_status_string(st), *detail ? ": " : "", detail);
    for (char *p = r->err; *p; p++) /* one line */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return st == DCL_ERR_INVALID_ARGUMENT || st == DCL_ERR_RANGE || st == DCL_ERR_FORMAT || st == DCL_ERR_UNSUPPORTED ||
                   st == DCL_ERR_IO
               ? 2
               : 1;
}

static int oom(runner *r)
{
    bad(r, "out of memory");
    return 1;
}

/* ---- small helpers ---- */
static double tidy(double v) /* 7 significant digits: short, stable JSON */
{
    char b[32];
    snprintf(b, sizeof b, "%.7g", v);
    return strtod(b, NULL);
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Byte offset of code point `cp` in valid UTF-8 text s[0..len). */
static size_t cp_byte(const char *s, size_t len, size_t cp)
{
    size_t i = 0;
    for (size_t c = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == cp)
                return i;
            c++;
        }
    }
    return len;
}

/* Parses "1, 2,3" into a malloc'd array; -1 when something is not an integer. */
static int parse_ids(const char *s, size_t len, int32_t **out, int *n)
{
    int cap = 16, k = 0;
    int32_t *v = malloc((size_t)cap * sizeof *v);
    size_t i = 0;
    if (!v)
        return -1;
    for (;;) {
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        if (i >= len)
            break;
        char buf[24];
        size_t j = 0;
        if (s[i] == '-' || s[i] == '+')
            buf[j++] = s[i++];
        while (i < len && isdigit((unsigned char)s[i]) && j < sizeof buf - 1)
            buf[j++] = s[i++];
        buf[j] = '\0';
        if (j == 0 || !isdigit((unsigned char)buf[j - 1])) {
            free(v);
            return -1;
        }
        long x = strtol(buf, NULL, 10);
        if (x < INT32_MIN || x > INT32_MAX) {
            free(v);
            return -1;
        }
        if (k == cap) {
            int32_t *nv = realloc(v, (size_t)(cap *= 2) * sizeof *v);
            if (!nv) {
                free(v);
                return -1;
            }
            v = nv;
        }
        v[k++] = (int32_t)x;
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        if (i < len && s[i] != ',') {
            free(v);
            return -1;
        }
        i++;
    }
    *out = v;
    *n = k;
    return 0;
}

/* Splits s[0..len) at `sep` into malloc'd pieces (pointers into s, with lengths). */
static int split(const char *s, size_t len, char sep, const char ***parts, size_t **lens)
{
    int n = 1;
    for (size_t i = 0; i < len; i++)
        n += s[i] == sep;
    *parts = malloc((size_t)n * sizeof **parts);
    *lens = malloc((size_t)n * sizeof **lens);
    if (!*parts || !*lens) {
        free(*parts);
        free(*lens);
        return -1;
    }
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || s[i] == sep) {
            (*parts)[k] = s + start;
            (*lens)[k] = i - start;
            k++;
            start = i + 1;
        }
    return n;
}

/* The text of token id `id` (decoded, as transformers' tokenizer.decode([id])), or "#id". */
static char *token_str(runner *r, int32_t id)
{
    char *text = NULL;
    size_t len = 0;
    if (r->tok && dcl_tokenizer_decode(r->tok, &id, 1, 0, &text, &len) == DCL_OK)
        return text;
    char b[24];
    snprintf(b, sizeof b, "#%d", (int)id);
    size_t n = strlen(b) + 1;
    text = malloc(n);
    if (text)
        memcpy(text, b, n);
    return text;
}

/* ---- building rows ---- */
static int rows_from_text(runner *r, int n, const char *const *a, const size_t *alen, const char *const *b,
                          const size_t *blen, dcl_truncation trunc, rows *out)
{
    if (!r->tok)
        return bad(r, "the model folder %s has no tokenizer (spm.model, or vocab.json + merges.txt): give token "
                      "ids with --ids, or a tokenizer folder with --tokenizer", r->o.model);
    const int task = r->o.task;
    for (int i = 0; i < n; i++) {
        if (blank(a[i], alen[i]))
            return bad(r, "%s", task == T_QA ? "empty question" : "empty text");
        if (b && blank(b[i], blen[i]))
            return bad(r, "%s", task == T_QA       ? "empty context"
                                : task == T_CHOICE ? "empty choice"
                                                   : "empty text in a pair");
    }
    dcl_tokenize_params p = dcl_tokenize_default_params();
    p.truncation = trunc;
    p.max_length = r->o.max_length > 0 ? (size_t)r->o.max_length : 0;
    p.padding = DCL_PAD_LONGEST;
    if (p.max_length == 0 && dcl_tokenizer_model_max_length(r->tok) == 0)
        p.truncation = DCL_TRUNCATE_NONE;
    dcl_encoding **enc = calloc((size_t)n, sizeof *enc);
    if (!enc)
        return oom(r);
    dcl_status st = dcl_tokenizer_encode_batch(r->tok, a, alen, b, blen, (size_t)n, &p, enc);
    if (st != DCL_OK) {
        free(enc);
        return lib_fail(r, "tokenizing", st);
    }
    int L = (int)enc[0]->length;
    if (!rows_alloc(out, n, L)) {
        for (int i = 0; i < n; i++)
            dcl_encoding_free(enc[i]);
        free(enc);
        return oom(r);
    }
    out->enc = enc;
    for (int i = 0; i < n; i++)
        for (int t = 0; t < L; t++) {
            size_t k = (size_t)i * L + t;
            if (enc[i]->ids[t] >= r->info.vocab_size) {
                bad(r, "the tokenizer gives id %d (\"%s\"), outside the model's vocabulary of %d: the tokenizer "
                       "does not belong to this model", (int)enc[i]->ids[t], enc[i]->tokens ? enc[i]->tokens[t] : "",
                    r->info.vocab_size);
                rows_free(out);
                return 2;
            }
            out->ids[k] = enc[i]->ids[t];
            out->mask[k] = enc[i]->attention_mask[t];
            out->types[k] = enc[i]->token_type_ids[t];
            out->special[k] = enc[i]->special_tokens_mask[t];
        }
    return 0;
}

/* --ids "1,2,3" (rows separated by "|") and optional --types of the same shape. */
static int rows_from_ids(runner *r, const char *ids, const char *types, int max_rows, rows *out)
{
    const char **parts = NULL, **tparts = NULL;
    size_t *lens = NULL, *tlens = NULL;
    int n = split(ids, strlen(ids), '|', &parts, &lens), tn = 0, rc = 0;
    if (n < 0)
        return oom(r);
    if (n > max_rows) {
        rc = bad(r, "--ids: %d sequences given where %d %s expected", n, max_rows, max_rows == 1 ? "is" : "are");
        goto done;
    }
    if (types && (tn = split(types, strlen(types), '|', &tparts, &tlens)) != n) {
        rc = tn < 0 ? oom(r) : bad(r, "--types: %d sequences for %d sequences of ids", tn, n);
        goto done;
    }
    int32_t **v = calloc((size_t)n, sizeof *v), **tv = calloc((size_t)n, sizeof *tv);
    int *cnt = calloc((size_t)n, sizeof *cnt), L = 0;
    if (!v || !tv || !cnt) {
        rc = oom(r);
        goto free_rows;
    }
    for (int i = 0; i < n && !rc; i++) {
        if (parse_ids(parts[i], lens[i], &v[i], &cnt[i]) < 0)
            rc = bad(r, "--ids: \"%.*s\" is not a comma-separated list of integers", (int)lens[i], parts[i]);
        else if (cnt[i] == 0)
            rc = bad(r, "--ids: an empty sequence");
        else if (types) {
            int tc = 0;
            if (parse_ids(tparts[i], tlens[i], &tv[i], &tc) < 0 || tc != cnt[i])
                rc = bad(r, "--types: sequence %d must be %d comma-separated integers", i + 1, cnt[i]);
        }
        if (!rc && cnt[i] > L)
            L = cnt[i];
    }
    if (!rc && !rows_alloc(out, n, L))
        rc = oom(r);
    for (int i = 0; i < n && !rc; i++)
        for (int t = 0; t < cnt[i]; t++) {
            size_t k = (size_t)i * L + t;
            out->ids[k] = v[i][t];
            out->mask[k] = 1;
            out->types[k] = types ? tv[i][t] : 0;
        }
free_rows:
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    for (int i = 0; tv && i < n; i++)
        free(tv[i]);
    free(v);
    free(tv);
    free(cnt);
done:
    free(parts);
    free(lens);
    free(tparts);
    free(tlens);
    return rc;
}

/* A session large enough for B x L (grown when a later input needs more). */
static int ensure_session(runner *r, int B, int L)
{
    if (r->s && B <= r->s_rows && L <= r->s_len)
        return 0;
    int nb = B > r->s_rows ? B : r->s_rows, nl = L > r->s_len ? L : r->s_len;
    dcl_session_free(r->s);
    r->s = NULL;
    dcl_session_params p = dcl_session_default_params();
    p.max_batch = nb;
    p.max_length = nl;
    dcl_status st = dcl_session_create(r->model, &p, &r->s);
    if (st != DCL_OK)
        return lib_fail(r, "creating a session", st);
    r->s_rows = nb;
    r->s_len = nl;
    return 0;
}

static dcl_batch batch_of(const runner *r, const rows *rw)
{
    dcl_batch b = {rw->B, rw->L, rw->ids, rw->mask, r->info.type_vocab_size > 0 ? rw->types : NULL, NULL};
    return b;
}

/* ---- tasks: each fills a JSON object ---- */
static int task_fill(runner *r, const input *in, cJSON *res)
{
    int32_t mask_id = r->o.mask_id >= 0 ? r->o.mask_id : dcl_tokenizer_special_id(r->tok, DCL_TOKEN_MASK);
    if (mask_id < 0)
        return bad(r, "fill-mask with --ids needs --mask-id N (no tokenizer names the mask token)");
    rows rw = {0};
    int rc = in->ids ? rows_from_ids(r, in->ids, in->types, 1, &rw)
                     : rows_from_text(r, 1, &in->a, &in->alen, NULL, NULL, DCL_TRUNCATE_LONGEST_FIRST, &rw);
    if (rc)
        return rc;
    const int V = r->info.vocab_size, L = rw.L;
    int32_t *pos = malloc((size_t)L * sizeof *pos);
    int n = 0;
    if (!pos) {
        rows_free(&rw);
        return oom(r);
    }
    for (int t = 0; t < L; t++)
        if (rw.mask[t] && rw.ids[t] == mask_id)
            pos[n++] = t;
    if (n == 0) {
        const char *name = r->tok && r->o.mask_id < 0 ? dcl_tokenizer_id_to_token(r->tok, mask_id) : NULL;
        free(pos);
        rows_free(&rw);
        return name ? bad(r, "no %s in the text", name) : bad(r, "no mask token (id %d) in the ids", (int)mask_id);
    }
    int use_emd = !r->o.no_emd && (r->info.heads & DCL_HEAD_EMD) &&
                  r->info.embedding_size == r->info.hidden_size && L <= r->info.max_position_embeddings;
    float *logits = malloc((size_t)n * V * sizeof *logits);
    int k = r->o.top_k > 0 ? r->o.top_k : 5;
    k = k < V ? k : V;
    int32_t *top = malloc((size_t)k * sizeof *top);
    float *prob = malloc((size_t)k * sizeof *prob);
    int32_t *filled = malloc((size_t)L * sizeof *filled);
    dcl_batch b = batch_of(r, &rw);
    if (!logits || !top || !prob || !filled)
        rc = oom(r);
    if (!rc)
        rc = ensure_session(r, 1, L);
    dcl_status st;
    if (!rc && (st = dcl_mlm_logits(r->s, &b, pos, n, use_emd ? DCL_EMD_ON : DCL_EMD_OFF, logits)) != DCL_OK)
        rc = lib_fail(r, "fill-mask", st);
    if (!rc) {
        cJSON_AddBoolToObject(res, "emd", use_emd);
        cJSON *masks = cJSON_AddArrayToObject(res, "masks");
        for (int i = 0; i < n; i++) {
            cJSON *mo = cJSON_CreateObject();
            cJSON_AddItemToArray(masks, mo);
            cJSON_AddNumberToObject(mo, "position", pos[i]);
            cJSON *preds = cJSON_AddArrayToObject(mo, "predictions");
            dcl_top_k(logits + (size_t)i * V, V, k, top, prob);
            for (int j = 0; j < k; j++) {
                cJSON *p = cJSON_CreateObject();
                cJSON_AddItemToArray(preds, p);
                cJSON_AddNumberToObject(p, "score", tidy(prob[j]));
                cJSON_AddNumberToObject(p, "token", top[j]);
                char *ts = token_str(r, top[j]);
                cJSON_AddStringToObject(p, "token_str", ts ? ts : "");
                free(ts);
                if (r->tok) {
                    memcpy(filled, rw.ids, (size_t)L * sizeof *filled);
                    filled[pos[i]] = top[j];
                    char *seq = NULL;
                    size_t slen = 0;
                    if (dcl_tokenizer_decode(r->tok, filled, (size_t)L, 1, &seq, &slen) == DCL_OK) {
                        cJSON_AddStringToObject(p, "sequence", seq);
                        dcl_string_free(seq);
                    }
                }
            }
        }
    }
    free(pos);
    free(logits);
    free(top);
    free(prob);
    free(filled);
    rows_free(&rw);
    return rc;
}

/* label/score list of a softmax over n logits, best first (at most top_k when given) */
static void add_ranked(runner *r, cJSON *res, const float *logits, int n, const char *const *names,
                       const char *array_name)
{
    int32_t *idx = malloc((size_t)n * sizeof *idx);
    float *p = malloc((size_t)n * sizeof *p);
    if (!idx || !p) {
        free(idx);
        free(p);
        return;
    }
    dcl_top_k(logits, n, n, idx, p);
    int k = r->o.top_k > 0 && r->o.top_k < n ? r->o.top_k : n;
    cJSON_AddStringToObject(res, "label", names[idx[0]]);
    cJSON_AddNumberToObject(res, "score", tidy(p[0]));
    cJSON *arr = cJSON_AddArrayToObject(res, array_name);
    for (int j = 0; j < k; j++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "label", names[idx[j]]);
        cJSON_AddNumberToObject(o, "score", tidy(p[j]));
    }
    free(idx);
    free(p);
}

static int task_classify(runner *r, const input *in, cJSON *res)
{
    rows rw = {0};
    int rc;
    if (in->ids)
        rc = rows_from_ids(r, in->ids, in->types, 1, &rw);
    else if (r->o.task == T_NLI && !in->has_b)
        rc = bad(r, "nli needs a (premise, hypothesis) pair: --pair A B, or \"A<TAB>B\" lines in --file");
    else
        rc = rows_from_text(r, 1, &in->a, &in->alen, in->has_b ? &in->b : NULL, in->has_b ? &in->blen : NULL,
                            DCL_TRUNCATE_LONGEST_FIRST, &rw);
    if (rc)
        return rc;
    const int N = r->info.num_labels;
    float *logits = malloc((size_t)N * sizeof *logits);
    const char **names = malloc((size_t)N * sizeof *names);
    dcl_batch b = batch_of(r, &rw);
    dcl_status st;
    if (!logits || !names)
        rc = oom(r);
    if (!rc)
        rc = ensure_session(r, 1, rw.L);
    if (!rc && (st = dcl_classify(r->s, &b, logits)) != DCL_OK)
        rc = lib_fail(r, r->o.task == T_NLI ? "nli" : "classify", st);
    if (!rc) {
        for (int i = 0; i < N; i++)
            names[i] = dcl_model_label(r->model, i) ? dcl_model_label(r->model, i) : "?";
        add_ranked(r, res, logits, N, names, "labels");
    }
    free(logits);
    free(names);
    rows_free(&rw);
    return rc;
}

static int task_ner(runner *r, const input *in, cJSON *res)
{
    rows rw = {0};
    int rc = in->ids ? rows_from_ids(r, in->ids, in->types, 1, &rw)
                     : rows_from_text(r, 1, &in->a, &in->alen, NULL, NULL, DCL_TRUNCATE_LONGEST_FIRST, &rw);
    if (rc)
        return rc;
    const int N = r->info.num_labels, L = rw.L;
    float *logits = malloc((size_t)L * N * sizeof *logits);
    int32_t *skip = malloc((size_t)L * sizeof *skip);
    dcl_entity *ents = malloc((size_t)L * sizeof *ents);
    dcl_batch b = batch_of(r, &rw);
    dcl_status st;
    int count = 0;
    if (!logits || !skip || !ents)
        rc = oom(r);
    if (!rc)
        rc = ensure_session(r, 1, L);
    if (!rc && (st = dcl_token_classify(r->s, &b, logits)) != DCL_OK)
        rc = lib_fail(r, "ner", st);
    if (!rc) {
        for (int t = 0; t < L; t++)
            skip[t] = rw.special[t] || !rw.mask[t] ||
                      (in->ids && r->tok && (rw.ids[t] == dcl_tokenizer_special_id(r->tok, DCL_TOKEN_CLS) ||
                                             rw.ids[t] == dcl_tokenizer_special_id(r->tok, DCL_TOKEN_SEP)));
        const size_t *offs = rw.enc ? rw.enc[0]->offsets : NULL;
        if ((st = dcl_group_entities(r->model, logits, L, skip, offs, ents, L, &count)) != DCL_OK)
            rc = lib_fail(r, "ner", st);
    }
    if (!rc) {
        cJSON *arr = cJSON_AddArrayToObject(res, "entities");
        for (int i = 0; i < count; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToArray(arr, o);
            cJSON_AddStringToObject(o, "entity_group", ents[i].group);
            cJSON_AddNumberToObject(o, "score", tidy(ents[i].score));
            char *word = NULL;
            size_t wlen = 0;
            if (rw.enc) {
                size_t a = cp_byte(in->a, in->alen, (size_t)ents[i].start);
                size_t e = cp_byte(in->a, in->alen, (size_t)ents[i].end);
                /* the covered text without the spaces that SentencePiece offsets include, as the
                 * pipeline's "word" (start and end stay the tokenizer's) */
                while (a < e && isspace((unsigned char)in->a[a]))
                    a++;
                while (e > a && isspace((unsigned char)in->a[e - 1]))
                    e--;
                cJSON *w = cJSON_CreateString("");
                char *tmp = malloc(e - a + 1);
                if (tmp) {
                    memcpy(tmp, in->a + a, e - a);
                    tmp[e - a] = '\0';
                    cJSON_SetValuestring(w, tmp);
                    free(tmp);
                }
                cJSON_AddItemToObject(o, "word", w);
                cJSON_AddNumberToObject(o, "start", (double)ents[i].start);
                cJSON_AddNumberToObject(o, "end", (double)ents[i].end);
            } else if (r->tok &&
                       dcl_tokenizer_decode(r->tok, rw.ids + ents[i].first_token,
                                            (size_t)(ents[i].last_token - ents[i].first_token + 1), 1, &word,
                                            &wlen) == DCL_OK) {
                cJSON_AddStringToObject(o, "word", word);
                dcl_string_free(word);
            }
            cJSON *tk = cJSON_AddArrayToObject(o, "tokens");
            cJSON_AddItemToArray(tk, cJSON_CreateNumber(ents[i].first_token));
            cJSON_AddItemToArray(tk, cJSON_CreateNumber(ents[i].last_token));
        }
    }
    free(logits);
    free(skip);
    free(ents);
    rows_free(&rw);
    return rc;
}

static int task_qa(runner *r, const input *in, cJSON *res)
{
    rows rw = {0};
    int rc = in->ids ? rows_from_ids(r, in->ids, in->types, 1, &rw)
                     : rows_from_text(r, 1, &in->a, &in->alen, &in->b, &in->blen, DCL_TRUNCATE_ONLY_SECOND, &rw);
    if (rc)
        return rc;
    const int L = rw.L;
    float *start = malloc((size_t)L * sizeof *start), *end = malloc((size_t)L * sizeof *end);
    int32_t *allowed = calloc((size_t)L, sizeof *allowed);
    dcl_batch b = batch_of(r, &rw);
    dcl_status st;
    if (!start || !end || !allowed)
        rc = oom(r);
    /* the context: real tokens of the second sequence (after the first separator: v1 tokenizers
     * give every token type 0); with --ids, the tokens of type 1, else all but the first and last */
    int any = 0;
    for (int t = 0, seen_sep = 0; !rc && t < L; t++) {
        if (rw.enc) {
            if (rw.special[t] && t > 0)
                seen_sep = 1;
            allowed[t] = seen_sep && !rw.special[t] && rw.mask[t];
        } else {
            allowed[t] = in->types ? rw.types[t] == 1 : (t > 0 && t < L - 1);
        }
        any |= allowed[t];
    }
    if (!rc && !any)
        rc = bad(r, "the context is empty%s", in->types ? " (no token of type 1)" : "");
    if (!rc)
        rc = ensure_session(r, 1, L);
    if (!rc && (st = dcl_qa_logits(r->s, &b, start, end)) != DCL_OK)
        rc = lib_fail(r, "qa", st);
    dcl_span sp;
    int max_len = r->o.max_answer_len > 0 ? r->o.max_answer_len : 15;
    if (!rc && (st = dcl_qa_best_span(start, end, L, allowed, max_len, &sp)) != DCL_OK)
        rc = lib_fail(r, "qa", st);
    if (!rc) {
        char *text = NULL;
        size_t tlen = 0;
        if (rw.enc) {
            size_t c0 = rw.enc[0]->offsets[2 * (size_t)sp.start], c1 = rw.enc[0]->offsets[2 * (size_t)sp.end + 1];
            size_t a = cp_byte(in->b, in->blen, c0), e = cp_byte(in->b, in->blen, c1);
            text = malloc(e - a + 1);
            if (text) {
                memcpy(text, in->b + a, e - a);
                text[e - a] = '\0';
            }
            cJSON_AddStringToObject(res, "answer", text ? text : "");
            cJSON_AddNumberToObject(res, "score", tidy(sp.score));
            cJSON_AddNumberToObject(res, "start", (double)c0);
            cJSON_AddNumberToObject(res, "end", (double)c1);
            free(text);
        } else {
            if (r->tok && dcl_tokenizer_decode(r->tok, rw.ids + sp.start, (size_t)(sp.end - sp.start + 1), 1, &text,
                                               &tlen) == DCL_OK) {
                cJSON_AddStringToObject(res, "answer", text);
                dcl_string_free(text);
            }
            cJSON_AddNumberToObject(res, "score", tidy(sp.score));
        }
        cJSON_AddNumberToObject(res, "start_token", sp.start);
        cJSON_AddNumberToObject(res, "end_token", sp.end);
    }
    free(start);
    free(end);
    free(allowed);
    rows_free(&rw);
    return rc;
}

static int task_choice(runner *r, const input *in, cJSON *res)
{
    rows rw = {0};
    const char **parts = NULL;
    size_t *lens = NULL;
    int C = 0, rc = 0;
    if (in->ids) {
        if ((rc = rows_from_ids(r, in->ids, in->types, 1 << 16, &rw)))
            return rc;
        C = rw.B;
    } else {
        if (!in->choices)
            return bad(r, "choice needs --choices \"A|B|C\" (with --text PROMPT when they share one)");
        if ((C = split(in->choices, in->choices_len, '|', &parts, &lens)) < 0)
            return oom(r);
        for (int i = 0; i < C && !rc; i++)
            if (blank(parts[i], lens[i]))
                rc = bad(r, "choice %d is empty", i + 1);
        if (!rc && C < 2)
            rc = bad(r, "choice needs at least two choices separated by \"|\"");
        if (!rc && in->has_a && blank(in->a, in->alen))
            rc = bad(r, "empty text");
        if (!rc && in->has_a) { /* (prompt, choice) pairs */
            const char **pa = malloc((size_t)C * sizeof *pa);
            size_t *pl = malloc((size_t)C * sizeof *pl);
            if (!pa || !pl)
                rc = oom(r);
            for (int i = 0; !rc && i < C; i++) {
                pa[i] = in->a;
                pl[i] = in->alen;
            }
            if (!rc)
                rc = rows_from_text(r, C, pa, pl, parts, lens, DCL_TRUNCATE_LONGEST_FIRST, &rw);
            free(pa);
            free(pl);
        } else if (!rc) {
            rc = rows_from_text(r, C, parts, lens, NULL, NULL, DCL_TRUNCATE_LONGEST_FIRST, &rw);
        }
    }
    float *logits = NULL;
    dcl_batch b = batch_of(r, &rw);
    dcl_status st;
    if (!rc && !(logits = malloc((size_t)C * sizeof *logits)))
        rc = oom(r);
    if (!rc)
        rc = ensure_session(r, C, rw.L);
    if (!rc && (st = dcl_multiple_choice(r->s, &b, C, logits)) != DCL_OK)
        rc = lib_fail(r, "choice", st);
    if (!rc) {
        float *p = malloc((size_t)C * sizeof *p);
        if (!p) {
            rc = oom(r);
        } else {
            dcl_softmax(logits, C, p);
            int best = 0;
            for (int i = 1; i < C; i++)
                if (logits[i] > logits[best])
                    best = i;
            cJSON_AddNumberToObject(res, "choice", best);
            if (parts) {
                cJSON *t = cJSON_CreateString("");
                cJSON_AddItemToObject(res, "text", t);
            }
            cJSON_AddNumberToObject(res, "score", tidy(p[best]));
            cJSON *arr = cJSON_AddArrayToObject(res, "choices");
            for (int i = 0; i < C; i++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddItemToArray(arr, o);
                cJSON_AddNumberToObject(o, "index", i);
                if (parts) {
                    char *t = malloc(lens[i] + 1);
                    if (t) {
                        memcpy(t, parts[i], lens[i]);
                        t[lens[i]] = '\0';
                        cJSON_AddStringToObject(o, "text", t);
                        if (i == best)
                            cJSON_SetValuestring(cJSON_GetObjectItem(res, "text"), t);
                        free(t);
                    }
                }
                cJSON_AddNumberToObject(o, "score", tidy(p[i]));
                cJSON_AddNumberToObject(o, "logit", tidy(logits[i]));
            }
            free(p);
        }
    }
    free(logits);
    free(parts);
    free(lens);
    rows_free(&rw);
    return rc;
}

static int task_embed(runner *r, const input *in, cJSON *res)
{
    rows rw = {0};
    int rc = in->ids ? rows_from_ids(r, in->ids, in->types, 1, &rw)
                     : rows_from_text(r, 1, &in->a, &in->alen, in->has_b ? &in->b : NULL,
                                      in->has_b ? &in->blen : NULL, DCL_TRUNCATE_LONGEST_FIRST, &rw);
    if (rc)
        return rc;
    const int H = r->info.hidden_size;
    float *v = malloc((size_t)H * sizeof *v);
    dcl_batch b = batch_of(r, &rw);
    dcl_status st;
    if (!v)
        rc = oom(r);
    if (!rc)
        rc = ensure_session(r, 1, rw.L);
    if (!rc && (st = dcl_embed(r->s, &b, r->o.pooling ? DCL_POOL_MEAN : DCL_POOL_FIRST, r->o.normalize, v)) != DCL_OK)
        rc = lib_fail(r, "embed", st);
    if (!rc) {
        cJSON_AddStringToObject(res, "pooling", r->o.pooling ? "mean" : "first");
        cJSON_AddBoolToObject(res, "normalized", r->o.normalize);
        cJSON_AddNumberToObject(res, "dim", H);
        cJSON *arr = cJSON_AddArrayToObject(res, "embedding");
        for (int i = 0; i < H; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateNumber(tidy(v[i])));
    }
    free(v);
    rows_free(&rw);
    return rc;
}

/* ---- human-readable output, from the JSON object ---- */
static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

/* spaces that pad s to `width` characters (code points) */
static int pad_width(const char *s, int width)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n < width ? width - n : 0;
}

static void print_human(const runner *r, const cJSON *res)
{
    const cJSON *it, *jt;
    if (cJSON_GetObjectItem(res, "line"))
        printf("line %d:\n", (int)jnum(res, "line"));
    switch (r->o.task) {
    case T_FILL: {
        const cJSON *masks = cJSON_GetObjectItem(res, "masks");
        int n = cJSON_GetArraySize(masks), i = 0;
        cJSON_ArrayForEach(it, masks)
        {
            printf("mask %d of %d (token %d), %s:\n", ++i, n, (int)jnum(it, "position"),
                   cJSON_IsTrue(cJSON_GetObjectItem(res, "emd")) ? "enhanced mask decoder"
                                                                   : "masked-LM head (no enhanced mask decoder)");
            int rank = 0;
            cJSON_ArrayForEach(jt, cJSON_GetObjectItem(it, "predictions"))
            {
                const char *ts = jstr(jt, "token_str");
                printf("  %2d. %s%*s %.4f", ++rank, ts, pad_width(ts, 16), "", jnum(jt, "score"));
                if (cJSON_GetObjectItem(jt, "sequence"))
                    printf("   %s", jstr(jt, "sequence"));
                printf("\n");
            }
        }
        break;
    }
    case T_CLASSIFY:
    case T_NLI:
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "labels")) printf("%-24s %.4f\n", jstr(it, "label"),
                                                                           jnum(it, "score"));
        break;
    case T_NER: {
        const cJSON *ents = cJSON_GetObjectItem(res, "entities");
        if (cJSON_GetArraySize(ents) == 0)
            printf("(no entities)\n");
        cJSON_ArrayForEach(it, ents)
        {
            const cJSON *tk = cJSON_GetObjectItem(it, "tokens");
            printf("%-10s %.4f", jstr(it, "entity_group"), jnum(it, "score"));
            if (cJSON_GetObjectItem(it, "word"))
                printf("  \"%s\"", jstr(it, "word"));
            if (cJSON_GetObjectItem(it, "start"))
                printf("  characters [%d, %d)", (int)jnum(it, "start"), (int)jnum(it, "end"));
            printf("  tokens %d-%d\n", (int)cJSON_GetArrayItem(tk, 0)->valuedouble,
                   (int)cJSON_GetArrayItem(tk, 1)->valuedouble);
        }
        break;
    }
    case T_QA:
        printf("answer: \"%s\"  score %.4f", jstr(res, "answer"), jnum(res, "score"));
        if (cJSON_GetObjectItem(res, "start"))
            printf("  characters [%d, %d) of the context", (int)jnum(res, "start"), (int)jnum(res, "end"));
        printf("  tokens %d-%d\n", (int)jnum(res, "start_token"), (int)jnum(res, "end_token"));
        break;
    case T_CHOICE: {
        int best = (int)jnum(res, "choice");
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "choices"))
        {
            int i = (int)jnum(it, "index");
            if (cJSON_GetObjectItem(it, "text"))
                printf("%s %d. %.4f  %s\n", i == best ? "*" : " ", i + 1, jnum(it, "score"), jstr(it, "text"));
            else
                printf("%s %d. %.4f  (row %d of the ids)\n", i == best ? "*" : " ", i + 1, jnum(it, "score"), i + 1);
        }
        break;
    }
    case T_EMBED: {
        const cJSON *arr = cJSON_GetObjectItem(res, "embedding");
        printf("embedding: %d values (%s pooling%s)\n", (int)jnum(res, "dim"), jstr(res, "pooling"),
               cJSON_IsTrue(cJSON_GetObjectItem(res, "normalized")) ? ", L2-normalized" : "");
        int i = 0;
        cJSON_ArrayForEach(it, arr) printf("%s% .6f", i++ % 8 ? " " : (i > 1 ? "\n  " : "  "), it->valuedouble);
        printf("\n");
        break;
    }
    default:
        break;
    }
}

/* ---- one input ---- */

/* Reports the failure in r->err: one line on stderr; with --file --json also an error object, so
 * that the output keeps one line per input line. Returns rc. */
static int report(runner *r, int line, int rc)
{
    if (line <= 0) {
        fprintf(stderr, "debertacl run: %s\n", r->err);
        return rc;
    }
    fprintf(stderr, "debertacl run: %s:%d: %s\n", r->o.file, line, r->err);
    if (r->o.json) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "line", line);
        cJSON_AddStringToObject(e, "error", r->err);
        char *t = cJSON_PrintUnformatted(e);
        if (t)
            puts(t);
        free(t);
        cJSON_Delete(e);
    }
    return rc;
}
static int process(runner *r, const input *in, int line)
{
    cJSON *res = cJSON_CreateObject();
    if (!res)
        return oom(r);
    if (line > 0)
        cJSON_AddNumberToObject(res, "line", line);
    cJSON_AddStringToObject(res, "task", task_names[r->o.task]);
    if (r->demo)
        cJSON_AddStringToObject(res, "warning", "demo model with random weights: the predictions are meaningless");
    int rc;
    switch (r->o.task) {
    case T_FILL: rc = task_fill(r, in, res); break;
    case T_CLASSIFY:
    case T_NLI: rc = task_classify(r, in, res); break;
    case T_NER: rc = task_ner(r, in, res); break;
    case T_QA: rc = task_qa(r, in, res); break;
    case T_CHOICE: rc = task_choice(r, in, res); break;
    default: rc = task_embed(r, in, res); break;
    }
    if (rc) {
        cJSON_Delete(res);
        return report(r, line, rc);
    }
    if (r->o.json) {
        char *t = line > 0 ? cJSON_PrintUnformatted(res) : cJSON_Print(res);
        if (t)
            puts(t);
        free(t);
    } else {
        if (r->demo == 1) { /* once, before the first answer */
            printf("note: %s is a demo model with RANDOM weights: the predictions below are meaningless\n", r->o.model);
            r->demo = 2;
        }
        print_human(r, res);
    }
    fflush(stdout);
    cJSON_Delete(res);
    return 0;
}

/* One line of --file: tab-separated fields (see the usage text). */
static int process_line(runner *r, char *line, size_t len, int lineno)
{
    input in;
    memset(&in, 0, sizeof in);
    char *tab = memchr(line, '\t', len);
    if (r->o.ids) { /* --ids with --file: the lines are ids */
        in.ids = line;
        return process(r, &in, lineno);
    }
    in.a = line;
    in.alen = tab ? (size_t)(tab - line) : len;
    in.has_a = 1;
    if (tab) {
        in.b = tab + 1;
        in.blen = len - (size_t)(tab + 1 - line);
        in.has_b = 1;
    }
    switch (r->o.task) {
    case T_FILL:
    case T_NER:
        in.has_b = 0;
        in.alen = len; /* a tab is part of the text */
        break;
    case T_QA:
        if (!tab)
            return report(r, lineno, bad(r, "qa lines are \"QUESTION<TAB>CONTEXT\""));
        break;
    case T_CHOICE: /* "PROMPT<TAB>A|B|C" or "A|B|C" */
        in.choices = tab ? in.b : line;
        in.choices_len = tab ? in.blen : len;
        in.has_a = tab != NULL;
        in.has_b = 0;
        break;
    default:
        break;
    }
    return process(r, &in, lineno);
}

static int run_file(runner *r)
{
    FILE *f = strcmp(r->o.file, "-") ? fopen(r->o.file, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "debertacl run: cannot open %s\n", r->o.file);
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int worst = 0, lineno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        int rc = process_line(r, line, (size_t)n, lineno);
        if (rc == 1) { /* a run-time failure: stop */
            worst = 1;
            break;
        }
        if (rc > worst)
            worst = rc;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return worst;
}

/* ---- options ---- */
static void usage(FILE *f)
{
    fprintf(f,
            "usage: debertacl run --model DIR --task TASK INPUT [options]\n"
            "\n"
            "tasks (the model needs the matching head):\n"
            "  fill-mask  the most likely tokens at each [MASK] (masked-LM head)\n"
            "  classify   labels of a text (sequence classification), or of a pair with --pair\n"
            "  nli        entailment labels of a (premise, hypothesis) pair (sequence classification)\n"
            "  ner        entities (token classification, B-/I- labels grouped as transformers'\n"
            "             aggregation_strategy=\"simple\")\n"
            "  qa         the answer span in a context (question answering)\n"
            "  choice     the best of several choices (multiple choice)\n"
            "  embed      a sentence embedding (any model)\n"
            "\n"
            "input (one of):\n"
            "  --text T                 fill-mask, classify, ner, embed; the shared prompt of choice\n"
            "  --pair A B               nli (premise, hypothesis); classify or embed a pair\n"
            "  --question Q --context C qa\n"
            "  --choices \"A|B|C\"        choice\n"
            "  --file F                 one input per line (\"-\": stdin), JSON lines out with --json;\n"
            "                           nli \"A<TAB>B\", qa \"QUESTION<TAB>CONTEXT\", choice\n"
            "                           \"PROMPT<TAB>A|B|C\" or \"A|B|C\", classify/embed \"A\" or \"A<TAB>B\"\n"
            "  --ids \"1,2,3\"            token ids of the whole sequence, special tokens included (for\n"
            "                           models without a tokenizer); \"|\" separates the rows of choice;\n"
            "                           --types \"0,0,1\" gives token types (qa: the context is type 1)\n"
            "\n"
            "options:\n"
            "  --json                   JSON output (numbers locale-independent)\n"
            "  --top-k N                fill-mask: tokens per mask (5); classify/nli: labels shown (all)\n"
            "  --no-emd                 fill-mask: the plain masked-LM head on the last layer, as\n"
            "                           transformers computes it, instead of the original enhanced\n"
            "                           mask decoder (used by default when the checkpoint has position\n"
            "                           embeddings)\n"
            "  --mask-id N              fill-mask with --ids: the mask token's id\n"
            "  --pooling first|mean     embed: the first token or the mean of real tokens (mean)\n"
            "  --normalize              embed: divide by the L2 norm\n"
            "  --max-answer-len N       qa: longest answer in tokens (15)\n"
            "  --max-length N           truncate the tokenized input to N tokens (the tokenizer's\n"
            "                           model_max_length)\n"
            "  --tokenizer DIR          tokenizer folder (default: the model folder)\n"
            "  --device SPEC            OpenCL device (see debertacl devices)\n"
            "\n"
            "example: debertacl run --model tests/data/demo --task fill-mask \\\n"
            "             --text \"The quick brown [MASK] jumps over the lazy dog.\"\n");
}

static int parse_int(const char *opt, const char *v, int min, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < min || x > 1000000000) {
        fprintf(stderr, "debertacl run: %s needs an integer >= %d (got \"%s\")\n", opt, min, v);
        return 2;
    }
    *out = (int)x;
    return 0;
}

static int parse_args(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->task = -1;
    o->pooling = 1;
    o->mask_id = -1;
    const char *task = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **str = NULL;
        int *num = NULL, min = 1;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return -1;
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--no-emd")) {
            o->no_emd = 1;
        } else if (!strcmp(a, "--normalize")) {
            o->normalize = 1;
        } else if (!strcmp(a, "--pair")) {
            if (i + 2 >= argc) {
                fprintf(stderr, "debertacl run: --pair needs two values\n");
                return 2;
            }
            o->pair_a = argv[++i];
            o->pair_b = argv[++i];
        } else if (!strcmp(a, "--pooling")) {
            const char *v = dcl_cli_value(argc, argv, &i);
            if (!v)
                return 2;
            if (!strcmp(v, "first") || !strcmp(v, "cls"))
                o->pooling = 0;
            else if (!strcmp(v, "mean"))
                o->pooling = 1;
            else {
                fprintf(stderr, "debertacl run: --pooling is first or mean (got \"%s\")\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--model")) {
            str = &o->model;
        } else if (!strcmp(a, "--task")) {
            str = &task;
        } else if (!strcmp(a, "--text")) {
            str = &o->text;
        } else if (!strcmp(a, "--question")) {
            str = &o->question;
        } else if (!strcmp(a, "--context")) {
            str = &o->context;
        } else if (!strcmp(a, "--choices")) {
            str = &o->choices;
        } else if (!strcmp(a, "--file")) {
            str = &o->file;
        } else if (!strcmp(a, "--ids")) {
            str = &o->ids;
        } else if (!strcmp(a, "--types")) {
            str = &o->types;
        } else if (!strcmp(a, "--device")) {
            str = &o->device;
        } else if (!strcmp(a, "--tokenizer")) {
            str = &o->tokenizer;
        } else if (!strcmp(a, "--top-k")) {
            num = &o->top_k;
        } else if (!strcmp(a, "--max-answer-len")) {
            num = &o->max_answer_len;
        } else if (!strcmp(a, "--max-length")) {
            num = &o->max_length;
            min = 2;
        } else if (!strcmp(a, "--mask-id")) {
            num = &o->mask_id;
            min = 0;
        } else {
            fprintf(stderr, "debertacl run: unknown option %s (see debertacl run --help)\n", a);
            return 2;
        }
        if (str && !(*str = dcl_cli_value(argc, argv, &i)))
            return 2;
        if (num) {
            const char *v = dcl_cli_value(argc, argv, &i);
            if (!v || parse_int(a, v, min, num))
                return 2;
        }
    }
    if (!o->model || !task) {
        fprintf(stderr, "debertacl run: --model DIR and --task TASK are required (see debertacl run --help)\n");
        return 2;
    }
    for (int t = 0; t < T_COUNT; t++)
        if (!strcmp(task, task_names[t]))
            o->task = t;
    if (o->task < 0) {
        fprintf(stderr, "debertacl run: unknown task \"%s\" (fill-mask, classify, nli, ner, qa, choice, embed)\n",
                task);
        return 2;
    }
    /* exactly one kind of input, and one the task takes */
    int direct = o->text || o->pair_a || o->question || o->context || o->choices;
    if ((direct ? 1 : 0) + (o->file ? 1 : 0) + (o->ids && !o->file ? 1 : 0) != 1) {
        fprintf(stderr, "debertacl run: give one input: --text, --pair, --question/--context, --choices, --file or "
                        "--ids\n");
        return 2;
    }
    const char *wrong = NULL;
    switch (o->task) {
    case T_FILL:
    case T_NER:
        if (o->pair_a || o->question || o->context || o->choices)
            wrong = "--text";
        break;
    case T_CLASSIFY:
    case T_EMBED:
        if (o->question || o->context || o->choices || (o->text && o->pair_a))
            wrong = "--text or --pair";
        break;
    case T_NLI:
        if (direct && (!o->pair_a || o->text || o->question || o->context || o->choices))
            wrong = "--pair PREMISE HYPOTHESIS";
        break;
    case T_QA:
        if (direct && (!o->question || !o->context || o->text || o->pair_a || o->choices))
            wrong = "--question Q --context C";
        break;
    case T_CHOICE:
        if (direct && (!o->choices || o->pair_a || o->question || o->context))
            wrong = "--choices \"A|B|C\" (and --text PROMPT)";
        break;
    default:
        break;
    }
    if (wrong) {
        fprintf(stderr, "debertacl run: %s takes %s, --file or --ids\n", task_names[o->task], wrong);
        return 2;
    }
    return 0;
}

/* config.json's "debertacl_demo": true marks the random-weight demo model */
static int is_demo(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char buf[4096];
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + n + 1 > cap) {
            char *t = realloc(text, cap = (len + n + 1) * 2);
            if (!t)
                break;
            text = t;
        }
        memcpy(text + len, buf, n);
        len += n;
    }
    fclose(f);
    int demo = 0;
    if (text) {
        cJSON *j = cJSON_ParseWithLength(text, len);
        demo = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "debertacl_demo"));
        cJSON_Delete(j);
        free(text);
    }
    return demo;
}

/* The command reports every failure itself, in one line: the library's error log is not printed. */
static void log_sink(dcl_log_level level, const char *message, void *user_data)
{
    (void)user_data;
    if (level != DCL_LOG_ERROR)
        fprintf(stderr, "debertacl: %s: %s\n", level == DCL_LOG_WARN ? "warning" : "info", message);
}

int dcl_cmd_run(int argc, char **argv)
{
    runner r;
    memset(&r, 0, sizeof r);
    dcl_set_log_callback(log_sink, NULL, DCL_LOG_WARN);
    int rc = parse_args(argc, argv, &r.o);
    if (rc)
        return rc < 0 ? 0 : rc;
    opts *o = &r.o;
    if (o->file && strcmp(o->file, "-")) { /* fail early, before the device work */
        FILE *f = fopen(o->file, "rb");
        if (!f) {
            fprintf(stderr, "debertacl run: cannot open %s\n", o->file);
            return 2;
        }
        fclose(f);
    }
    dcl_context_params cp = dcl_context_default_params();
    cp.device = dcl_cli_device_spec(o->device);
    dcl_status st = dcl_context_create(&cp, &r.ctx);
    if (st != DCL_OK) {
        dcl_cli_error("creating the OpenCL context", st);
        return st == DCL_ERR_NO_DEVICE || st == DCL_ERR_INVALID_ARGUMENT ? 2 : 1;
    }
    if ((st = dcl_model_load(r.ctx, o->model, NULL, &r.model)) != DCL_OK) {
        rc = lib_fail(&r, "loading the model", st);
        fprintf(stderr, "debertacl run: %s\n", r.err);
        goto out;
    }
    dcl_model_get_info(r.model, &r.info);
    unsigned need = task_heads[o->task];
    if (need && !(r.info.heads & need)) {
        fprintf(stderr, "debertacl run: the model in %s has no %s: it cannot do %s%s\n", o->model,
                task_head_names[o->task], task_names[o->task],
                o->task == T_CLASSIFY && (r.info.heads & DCL_HEAD_MULTIPLE_CHOICE) ? " (it is a multiple-choice model)"
                                                                                     : "");
        rc = 2;
        goto out;
    }
    /* the tokenizer: needed for text; with --ids it only names tokens */
    const char *tokdir = o->tokenizer ? o->tokenizer : o->model;
    if ((st = dcl_tokenizer_load(tokdir, &r.tok)) != DCL_OK) {
        r.tok = NULL;
        if (!o->ids || o->tokenizer) {
            if (st == DCL_ERR_IO && !o->tokenizer)
                bad(&r, "the model folder %s has no tokenizer (spm.model, or vocab.json and merges.txt): give token "
                        "ids with --ids, or a tokenizer folder with --tokenizer", o->model);
            else
                lib_fail(&r, "loading the tokenizer", st);
            fprintf(stderr, "debertacl run: %s\n", r.err);
            rc = 2;
            goto out;
        }
    }
    r.demo = is_demo(o->model);
    if (o->file) {
        rc = run_file(&r);
    } else {
        input in;
        memset(&in, 0, sizeof in);
        in.ids = o->ids;
        in.types = o->types;
        if (o->text) {
            in.a = o->text;
            in.alen = strlen(o->text);
            in.has_a = 1;
        } else if (o->pair_a) {
            in.a = o->pair_a;
            in.alen = strlen(o->pair_a);
            in.b = o->pair_b;
            in.blen = strlen(o->pair_b);
            in.has_a = in.has_b = 1;
        } else if (o->question) {
            in.a = o->question;
            in.alen = strlen(o->question);
            in.b = o->context;
            in.blen = strlen(o->context);
            in.has_a = in.has_b = 1;
        }
        if (o->choices) {
            in.choices = o->choices;
            in.choices_len = strlen(o->choices);
        }
        rc = process(&r, &in, 0);
    }
out:
    dcl_session_free(r.s);
    dcl_tokenizer_free(r.tok);
    dcl_model_free(r.model);
    dcl_context_free(r.ctx);
    return rc;
}
