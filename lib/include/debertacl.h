/*
 * debertacl: DeBERTa (v1, v2, v3, mDeBERTa) inference on OpenCL.
 *
 * The one public header. Conventions:
 *  - Every call returns a dcl_status (DCL_OK == 0, errors < 0). The numbers never change.
 *  - A failing call sets a thread-local text, read with dcl_last_error(); calls that take a
 *    context also keep it in the context (dcl_context_last_error()), including the OpenCL
 *    compiler's build log and the raw cl_int of a failed OpenCL call.
 *  - Every params struct has a *_default_params() function: start from it, then set fields.
 *  - Every *_free(NULL) is a no-op.
 *  - The library never calls exit() or abort() and prints nothing except through the log
 *    callback (default: warnings and errors to stderr).
 *  - Threads: a dcl_context may be shared by threads only for read-only queries; a dcl_model is
 *    immutable after load and may be shared; a dcl_session belongs to one thread at a time.
 */
#ifndef DEBERTACL_H
#define DEBERTACL_H

#include <stddef.h>
#include <stdint.h>

/* ---- export macros ---------------------------------------------------------------------- */
#if defined(DCL_STATIC)
#  define DCL_API
#elif defined(_WIN32)
#  if defined(DCL_BUILDING)
#    define DCL_API __declspec(dllexport)
#  else
#    define DCL_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define DCL_API __attribute__((visibility("default")))
#else
#  define DCL_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version ------------------------------------------------------------------------------ */
#define DCL_VERSION_MAJOR 0
#define DCL_VERSION_MINOR 1
#define DCL_VERSION_PATCH 0
#define DCL_VERSION_NUMBER (DCL_VERSION_MAJOR * 10000 + DCL_VERSION_MINOR * 100 + DCL_VERSION_PATCH)
#define DCL_STRINGIFY_(x) #x
#define DCL_STRINGIFY(x) DCL_STRINGIFY_(x)
#define DCL_VERSION_STRING                                                                       \
    DCL_STRINGIFY(DCL_VERSION_MAJOR) "." DCL_STRINGIFY(DCL_VERSION_MINOR) "." DCL_STRINGIFY(   \
        DCL_VERSION_PATCH)

/** Run-time version of the library actually linked (compare with DCL_VERSION_NUMBER). */
DCL_API unsigned dcl_version_number(void);
DCL_API const char *dcl_version_string(void);

/* ---- status ------------------------------------------------------------------------------- */
typedef enum dcl_status {
    DCL_OK = 0,
    DCL_ERR_INVALID_ARGUMENT = -1, /* a NULL pointer, a bad value, a bad device spec */
    DCL_ERR_OUT_OF_MEMORY = -2,    /* host allocation failed */
    DCL_ERR_IO = -3,               /* a file could not be opened, read or written */
    DCL_ERR_FORMAT = -4,           /* a file is malformed: checkpoint, config, profile, tokenizer */
    DCL_ERR_UNSUPPORTED = -5,      /* valid input this library does not handle */
    DCL_ERR_NO_DEVICE = -6,        /* no OpenCL platform, or no device matching the spec */
    DCL_ERR_OPENCL = -7,           /* an OpenCL call failed; the message keeps the raw cl_int */
    DCL_ERR_BUILD = -8,            /* a kernel failed to compile; the message holds the log */
    DCL_ERR_DEVICE_MEMORY = -9,    /* the device could not allocate a buffer */
    DCL_ERR_RANGE = -10,           /* an id, length or batch outside what is allowed */
    DCL_ERR_GEMM = -11,            /* CLBlast returned an error */
    DCL_ERR_INTERNAL = -99
} dcl_status;

/** Static English text for a status; never NULL. */
DCL_API const char *dcl_status_string(dcl_status status);

/** The detail of the last failing call on this thread ("" when none). Valid until the next call
 *  into the library from the same thread. */
DCL_API const char *dcl_last_error(void);

/* ---- logging ------------------------------------------------------------------------------ */
typedef enum dcl_log_level {
    DCL_LOG_ERROR = 0,
    DCL_LOG_WARN = 1,
    DCL_LOG_INFO = 2,
    DCL_LOG_DEBUG = 3
} dcl_log_level;

/** A log sink. `message` has no trailing newline. */
typedef void (*dcl_log_callback)(dcl_log_level level, const char *message, void *user_data);

/** Sets the process-wide log sink used where no context-specific one is set, and the most
 *  verbose level passed to it. callback == NULL restores the default (stderr). Set it before
 *  creating contexts; it is not synchronised against concurrent logging. */
DCL_API void dcl_set_log_callback(dcl_log_callback callback, void *user_data, dcl_log_level max_level);

/* ---- devices ------------------------------------------------------------------------------ */
typedef enum dcl_device_type {
    DCL_DEVICE_OTHER = 0,
    DCL_DEVICE_CPU = 1,
    DCL_DEVICE_GPU = 2,
    DCL_DEVICE_ACCELERATOR = 3
} dcl_device_type;

/** Facts about one OpenCL device, read once. Strings are NUL-terminated. */
typedef struct dcl_device_info {
    int platform_index;
    int device_index;
    char platform_name[128];
    char platform_version[128];
    char vendor[128];      /* as the driver says it */
    char vendor_short[32]; /* normalised: "NVIDIA", "AMD", "Intel", "PoCL", "Apple", ... */
    char name[256];
    char driver_version[128];
    char device_version[128];
    char opencl_c_version[128];
    char architecture[64]; /* "SM9.0", "gfx1100", or "" when the vendor does not tell it */
    dcl_device_type type;
    unsigned compute_units;
    unsigned max_clock_mhz;
    uint64_t global_mem_bytes;
    uint64_t local_mem_bytes;
    uint64_t max_alloc_bytes;
    size_t max_work_group_size;
    int has_fp16;
    int has_fp64;
    int has_subgroups;
} dcl_device_info;

/** Number of OpenCL devices over all platforms (0 and DCL_OK when there is no platform). */
DCL_API dcl_status dcl_device_count(int *count);

/** Facts of the device at flat index `index` (platforms in order, then devices). */
DCL_API dcl_status dcl_device_get_info(int index, dcl_device_info *info);

/** Resolves a device spec to a flat index. A spec is: "" or NULL (the default: first GPU, else
 *  the first device), an index ("0"), "platform:device" ("1:0"), "cpu" / "gpu" / "accelerator",
 *  a vendor ("nvidia", "amd", "intel", "pocl", "apple"), or a case-insensitive substring of the
 *  device name. DCL_ERR_NO_DEVICE with a message listing what was found when nothing matches. */
DCL_API dcl_status dcl_device_select(const char *spec, int *index);

/* ---- context ------------------------------------------------------------------------------ */
typedef struct dcl_context dcl_context;

typedef struct dcl_context_params {
    const char *device;           /* device spec, see dcl_device_select(); NULL: default */
    int profiling;                /* nonzero: the queue is created with profiling enabled */
    const char *cache_dir;        /* NULL: $DEBERTACL_CACHE_DIR, else $XDG_CACHE_HOME/debertacl,
                                     else ~/.cache/debertacl; "off": no disk cache */
    dcl_log_callback log_callback; /* NULL: the process-wide sink */
    void *log_user_data;
    dcl_log_level log_level;      /* most verbose level passed to the callback */
    /* Use the application's own OpenCL objects (both or neither; they are retained, not owned).
     * Typed as void* so that this header needs no OpenCL header: pass cl_context and
     * cl_command_queue (the queue must be in-order). */
    void *cl_context;
    void *cl_queue;
} dcl_context_params;

DCL_API dcl_context_params dcl_context_default_params(void);

/** Creates a context: one device, its in-order queue, program cache and CLBlast state. */
DCL_API dcl_status dcl_context_create(const dcl_context_params *params, dcl_context **out);
DCL_API void dcl_context_free(dcl_context *ctx);

/** The detail of the last error on this context ("" if none). Owned by the context. */
DCL_API const char *dcl_context_last_error(const dcl_context *ctx);

/** Facts of the context's device. */
DCL_API dcl_status dcl_context_device_info(const dcl_context *ctx, dcl_device_info *info);

/** Counters of the program cache, for tools and tests. */
typedef struct dcl_cache_stats {
    unsigned memory_hits;  /* served from this context's memory */
    unsigned disk_hits;    /* loaded from a cache file */
    unsigned builds;       /* compiled from source */
    unsigned disk_rejects; /* cache files found but ignored (corrupt, foreign) and rebuilt */
    unsigned disk_writes;  /* cache files written */
} dcl_cache_stats;

DCL_API dcl_status dcl_context_cache_stats(const dcl_context *ctx, dcl_cache_stats *stats);

/** Builds (or fetches from the cache) the program of kernel file `name` (such as "basic" for
 *  cl/basic.cl) with extra build options, and reports the wall-clock seconds it took. Tools use
 *  it to warm the cache and to time cold and warm builds. */
DCL_API dcl_status dcl_context_build_program(dcl_context *ctx, const char *name, const char *options,
                                             double *seconds);

/* ---- tuning profiles ---------------------------------------------------------------------- */
/* Every kernel parameter (work-group sizes, tile sizes, the GEMM route per shape class, CLBlast's
 * GEMM parameters) is resolved once per context from a hierarchy of JSON profiles, each level
 * overriding only the parameters it names: built-in defaults < the shipped profiles (profiles/,
 * embedded in the library: device type < vendor < platform < architecture < device name) < the
 * tuner's results in the cache folder (<cache>/profiles/) < $DEBERTACL_PROFILE_PATH (a file or a
 * folder of *.json). A malformed profile fails context creation with DCL_ERR_FORMAT naming the
 * file and the field, an out-of-range value with DCL_ERR_RANGE; an unknown field is a warning
 * through the log callback. CLBlast keeps one set of GEMM parameters per device and process: a
 * context whose CLBlast parameters differ from those of a live context on the same device is
 * refused (DCL_ERR_INVALID_ARGUMENT); contexts with the same profile share the device freely. */

/** Flags of the tuning JSON functions. */
#define DCL_TUNING_JSON_PROFILE 1 /* a profile ready to edit and load: description, match, every parameter */

/** The resolved tuning of the context's device as JSON (malloc'd; free with dcl_string_free).
 *  flags 0: {"chain": "defaults < cpu < pocl-cpu", "levels": [{"name", "tuned"}...],
 *  "parameters": {NAME: value...}, "sources": {NAME: level...}}; DCL_TUNING_JSON_PROFILE: the
 *  profile format of profiles/ (every parameter, matching this device by platform and name). */
DCL_API dcl_status dcl_context_tuning_json(const dcl_context *ctx, int flags, char **json);

/** The same for a device without a context (what a context on it would get). cache_dir: as in
 *  dcl_context_params (NULL: the default folder, "off": no tuner results). */
DCL_API dcl_status dcl_device_tuning_json(const dcl_device_info *info, const char *cache_dir, int flags,
                                          char **json);

/** Progress of dcl_tune, passed to its callback after every measured (or reused) candidate. */
typedef struct dcl_tune_progress {
    const char *kernel;     /* the search in progress: "layernorm", "attention", "gemm_nt", ... */
    double elapsed, budget; /* seconds */
    double default_seconds; /* that kernel's time with the parameters in force before tuning */
    double best_seconds;    /* the best time found so far for it */
    int candidates;         /* measured or reused so far, all kernels */
    int rejected;           /* of which refused: failed, or output off by more than 1e-5 relative */
} dcl_tune_progress;

typedef struct dcl_tune_params {
    const char *model_dir;  /* a model folder (only its config.json is read), or NULL */
    const char *synthetic;  /* else a preset name ("deberta-v3-base") or a config.json path */
    int batch, length;      /* the shapes to tune for (default 8 x 128) */
    double budget_seconds;  /* wall-clock budget of the search (default 600); the candidate being
                               measured when it runs out is finished, so a run may overrun */
    const char *output;     /* where to write the profile; NULL: <cache folder>/profiles/ */
    unsigned seed;          /* of the random sample */
    void (*progress)(const dcl_tune_progress *progress, void *user_data); /* may be NULL */
    void *user_data;
} dcl_tune_params;

DCL_API dcl_tune_params dcl_tune_default_params(void);

/** One row of the tuner's summary: a kernel or GEMM shape class. */
typedef struct dcl_tune_row {
    char kernel[32];
    double default_seconds; /* with the shipped profile (the parameters before tuning) */
    double tuned_seconds;   /* with the winning parameters */
    char parameters[256];   /* the winning values, "LN_WG=1" */
    int candidates, reused, rejected;
} dcl_tune_row;

#define DCL_TUNE_MAX_ROWS 16

typedef struct dcl_tune_result {
    int rows;
    dcl_tune_row row[DCL_TUNE_MAX_ROWS];
    char output[1024]; /* the profile written */
} dcl_tune_result;

/** Searches the parameters of every kernel and GEMM route on the context's device for the
 *  model's shapes (per kernel: every value of small spaces, a random sample then local
 *  refinement of large ones), timing candidates with OpenCL events (the context must have been
 *  created with profiling on) and refusing any whose output differs from the output with the
 *  shipped parameters by more than 1e-5 relative (max |a - b| / max |b|). Measurements are kept
 *  in the cache folder and reused by a later run with the same shapes. Writes the winning
 *  profile (a user profile: it beats the shipped ones) and leaves the context on its own,
 *  untuned parameters. */
DCL_API dcl_status dcl_tune(dcl_context *ctx, const dcl_tune_params *params, dcl_tune_result *result);

/* ==== model (checkpoints) ===================================================================== */
/* DCL-SECTION model */
/* A model: config and weights on one context's device. Immutable after load: several sessions
 * (threads) may use one model at once. Free it before its context. */
typedef struct dcl_model dcl_model;

/* Task heads found in the checkpoint (bit mask). */
#define DCL_HEAD_MLM 0x1u              /* lm_predictions.lm_head (masked LM, legacy=False form) */
#define DCL_HEAD_SEQUENCE_CLASS 0x2u   /* pooler + classifier [num_labels, H] */
#define DCL_HEAD_TOKEN_CLASS 0x4u      /* classifier per token */
#define DCL_HEAD_QA 0x8u               /* qa_outputs [2, H] */
#define DCL_HEAD_MULTIPLE_CHOICE 0x10u /* pooler + classifier [1, H] (v2) */
#define DCL_HEAD_EMD 0x20u             /* absolute position embeddings present: the original
                                          enhanced mask decoder can run */

typedef struct dcl_model_params {
    /* Which head to use when the architecture in config.json does not say it (a bare encoder
     * checkpoint): 0 = from config.json's "architectures". */
    unsigned head;
    /* Synthesised models: seed of the random weights. */
    uint64_t seed;
    /* Log progress (INFO) for checkpoints larger than this many bytes; 0: never. */
    uint64_t progress_bytes;
} dcl_model_params;

DCL_API dcl_model_params dcl_model_default_params(void);

/** Loads a Hugging Face model folder (config.json + model.safetensors, or a sharded
 *  model.safetensors.index.json) onto the context's device. F32, F16 and BF16 tensors are
 *  accepted and kept as F32 on the device. A folder with only pytorch_model.bin gets
 *  DCL_ERR_FORMAT with a message that names tools/convert_checkpoint.py. Config values this
 *  library does not handle give DCL_ERR_UNSUPPORTED naming the field and value. */
DCL_API dcl_status dcl_model_load(dcl_context *ctx, const char *path, const dcl_model_params *params,
                                  dcl_model **out);

/** Builds a model with random weights at the real shapes of a preset ("deberta-v3-xsmall",
 *  "deberta-v3-small", "deberta-v3-base", "deberta-v3-large", "mdeberta-v3-base",
 *  "deberta-v2-xlarge", "deberta-v2-xxlarge", "deberta-base", "deberta-large") or of a
 *  config.json path (a file or a folder holding one). No weight file is read. Used by
 *  benchmarks and demos. */
DCL_API dcl_status dcl_model_synthesize(dcl_context *ctx, const char *preset_or_config,
                                        const dcl_model_params *params, dcl_model **out);

DCL_API void dcl_model_free(dcl_model *model);

typedef struct dcl_model_info {
    int version;                /* 1: deberta (v1), 2: deberta-v2 (v2, v3, mDeBERTa) */
    char model_type[32];        /* "deberta" or "deberta-v2" */
    char architecture[64];      /* first of config.json "architectures", or "" */
    int vocab_size;
    int hidden_size;
    int num_layers;
    int num_heads;
    int head_size;              /* attention_head_size */
    int intermediate_size;
    int embedding_size;
    int max_position_embeddings;
    int type_vocab_size;
    int position_buckets;       /* 0 when not used */
    int max_relative_positions; /* after the config's defaulting */
    int num_labels;             /* of the classification head, 0 if none */
    unsigned heads;             /* DCL_HEAD_* found in the checkpoint */
    uint64_t parameters;        /* number of weights on the device */
    uint64_t device_bytes;      /* bytes of device memory the weights and constants use */
    int synthetic;              /* nonzero for dcl_model_synthesize() models */
} dcl_model_info;

DCL_API dcl_status dcl_model_get_info(const dcl_model *model, dcl_model_info *info);

/** Name of label `index` from config.json's id2label ("LABEL_<index>" when absent); NULL when
 *  index is out of range. Owned by the model. */
DCL_API const char *dcl_model_label(const dcl_model *model, int index);
/* DCL-SECTION-END model */

/* ==== session (encoder forward) =============================================================== */
/* DCL-SECTION session */
/* A session: the per-thread workspace of one model, sized once for its largest batch and length,
 * so that dcl_encode() allocates no device memory. One session per thread; a model may have many. */
typedef struct dcl_session dcl_session;

typedef struct dcl_session_params {
    int max_batch;  /* largest batch dcl_encode() accepts (default 8) */
    int max_length; /* longest sequence (default 512; at most what the model allows) */
    int profile;    /* nonzero: wait after every kernel and GEMM and add up their wall times
                       (dcl_session_timings); slows the forward pass, for profiling only */
} dcl_session_params;

DCL_API dcl_session_params dcl_session_default_params(void);
DCL_API dcl_status dcl_session_create(dcl_model *model, const dcl_session_params *params, dcl_session **out);
DCL_API void dcl_session_free(dcl_session *session);

/* One batch of B sequences of length L, row-major [B, L]. */
typedef struct dcl_batch {
    int batch;
    int length;
    const int32_t *input_ids;      /* ids in [0, vocab_size) */
    const int32_t *attention_mask; /* 1 real token, 0 padding; NULL: all ones */
    const int32_t *token_type_ids; /* NULL: all zeros; ignored when the model has no token types */
} dcl_batch;

/* Where dcl_encode() writes; every pointer may be NULL (not wanted). Memory belongs to the app. */
typedef struct dcl_outputs {
    float *last_hidden_state; /* [B, L, hidden_size] */
    float **hidden_states;    /* num_layers + 1 pointers (embeddings, then each layer), each [B, L, hidden] */
    float **attentions;       /* num_layers pointers, each [B, num_heads, L, L] attention probabilities */
} dcl_outputs;

/** Runs the encoder, as transformers' DebertaModel / DebertaV2Model forward in eval mode.
 *  Values at padding positions are unspecified. Invalid input (an id outside the vocabulary, a
 *  token type outside type_vocab_size, B or L of 0 or beyond the session's maximum) returns
 *  DCL_ERR_RANGE or DCL_ERR_INVALID_ARGUMENT and writes nothing. */
DCL_API dcl_status dcl_encode(dcl_session *session, const dcl_batch *batch, const dcl_outputs *outputs);

typedef struct dcl_timings {
    double total_seconds;  /* wall time of the last dcl_encode() */
    double gemm_seconds;   /* with params.profile: wall time spent in GEMMs (clFinish after each) */
    double kernel_seconds; /* with params.profile: wall time in this library's own kernels */
    unsigned gemm_calls, kernel_launches;
} dcl_timings;

DCL_API dcl_status dcl_session_timings(const dcl_session *session, dcl_timings *timings);

/** The last error of the session's model's context. */
DCL_API const char *dcl_session_last_error(const dcl_session *session);
/* DCL-SECTION-END session */

/* ==== task heads ============================================================================== */
/* DCL-SECTION heads */
/* What DeBERTa is used for, on top of the encoder: fill-mask (masked LM, optionally through the
 * original enhanced mask decoder), sequence classification and NLI, token classification,
 * question answering, multiple choice and sentence embeddings.
 *
 * Every head call runs the encoder and then the head on the device, back to back, and waits once.
 * A session allocates its head workspace at its first head call and keeps it: later calls
 * allocate no device memory. Outputs are the application's memory, row-major. As dcl_encode():
 * invalid input (ids, lengths, batch size, NULL outputs, positions out of range) returns
 * DCL_ERR_INVALID_ARGUMENT or DCL_ERR_RANGE and writes nothing; a head the model does not have
 * returns DCL_ERR_UNSUPPORTED saying what the checkpoint holds (dcl_model_info.heads tells it
 * beforehand). Values at padding positions are unspecified; pooled heads read position 0 of every
 * row (the [CLS] token with right padding), as transformers does. */

/* Enhanced mask decoder setting of dcl_mlm_logits(). */
typedef enum dcl_emd_mode {
    DCL_EMD_OFF = 0,  /* the MLM head on the last hidden state: transformers' DebertaForMaskedLM /
                         DebertaV2ForMaskedLM with legacy=False, bit for bit in intent */
    DCL_EMD_ON = 1,   /* the original DeBERTa enhanced mask decoder first (absolute positions added
                         to layer N-1's output, the last layer run twice with it as the queries);
                         DCL_ERR_UNSUPPORTED unless the model has DCL_HEAD_EMD */
    DCL_EMD_AUTO = 2  /* ON when the model has DCL_HEAD_EMD, else OFF (what fill-mask uses) */
} dcl_emd_mode;

/** Masked-LM logits over the vocabulary at `count` positions: logits[count, vocab_size], row i
 *  for flat position positions[i] = row * length + column of the batch. positions NULL: every
 *  position in order (count must then be batch * length). Only the asked positions go through
 *  the transform and the vocabulary GEMM. Needs DCL_HEAD_MLM. */
DCL_API dcl_status dcl_mlm_logits(dcl_session *session, const dcl_batch *batch, const int32_t *positions,
                                  int count, dcl_emd_mode emd, float *logits);

/** Sequence classification (also NLI: encode the premise and hypothesis as a pair): pooler on
 *  the first token (dense, pooler_hidden_act), then the classifier. logits[batch, num_labels];
 *  names from dcl_model_label(). Needs DCL_HEAD_SEQUENCE_CLASS. */
DCL_API dcl_status dcl_classify(dcl_session *session, const dcl_batch *batch, float *logits);

/** Token classification: logits[batch, length, num_labels]. Needs DCL_HEAD_TOKEN_CLASS. */
DCL_API dcl_status dcl_token_classify(dcl_session *session, const dcl_batch *batch, float *logits);

/** Extractive question answering: start_logits[batch, length] and end_logits[batch, length]
 *  (encode question and context as a pair; dcl_qa_best_span() picks the answer). Needs
 *  DCL_HEAD_QA. */
DCL_API dcl_status dcl_qa_logits(dcl_session *session, const dcl_batch *batch, float *start_logits,
                                 float *end_logits);

/** Multiple choice: the batch holds B * choices rows, row b * choices + c is (prompt b, choice c)
 *  (transformers' [B, C, L] flattened). logits[B, choices], i.e. batch->batch values. Needs
 *  DCL_HEAD_MULTIPLE_CHOICE. */
DCL_API dcl_status dcl_multiple_choice(dcl_session *session, const dcl_batch *batch, int choices, float *logits);

typedef enum dcl_pooling {
    DCL_POOL_FIRST = 0, /* the first token's last hidden state ([CLS]) */
    DCL_POOL_MEAN = 1   /* the mean over real tokens (attention_mask == 1) */
} dcl_pooling;

/** Sentence embeddings out[batch, hidden_size] from the last hidden state; normalize != 0 divides
 *  each row by its L2 norm (at least 1e-12). Any model. */
DCL_API dcl_status dcl_embed(dcl_session *session, const dcl_batch *batch, dcl_pooling pooling, int normalize,
                             float *out);

/* ---- post-processing on the host (no session needed) ---- */

/** probs[i] = softmax(logits)[i] over n values (probs may be logits). */
DCL_API dcl_status dcl_softmax(const float *logits, int n, float *probs);

/** The k largest of n logits, best first (ties: lower index first): their indices and softmax
 *  probabilities (over all n). k is clamped to n; probs may be NULL. */
DCL_API dcl_status dcl_top_k(const float *logits, int n, int k, int32_t *indices, float *probs);

/* An answer span: token indices start <= end (inclusive) and its score. */
typedef struct dcl_span {
    int start, end;
    float score; /* p_start[start] * p_end[end], softmax over the allowed tokens, as transformers'
                    question-answering pipeline */
} dcl_span;

/** The best answer span of one sequence: start <= end < start + max_answer_length, both in
 *  allowed tokens (allowed[i] != 0: the context's real tokens, i.e. token type 1 and not special;
 *  NULL: all). DCL_ERR_RANGE when no token is allowed. */
DCL_API dcl_status dcl_qa_best_span(const float *start_logits, const float *end_logits, int length,
                                    const int32_t *allowed, int max_answer_length, dcl_span *span);

/* An entity: consecutive tokens of one label group. */
typedef struct dcl_entity {
    int label;                   /* class index (of the first token) */
    char group[64];              /* its name without a "B-" / "I-" prefix */
    float score;                 /* mean over the tokens of their softmax probability */
    int first_token, last_token; /* inclusive token indices */
    long start, end;             /* [start, end) from the tokens' offsets (the tokenizer's unit: code
                                    points); -1 when no offsets were given */
} dcl_entity;

/** Groups token-classification logits [length, num_labels] of one sequence into entities as
 *  transformers' token-classification pipeline with aggregation_strategy="simple": each token
 *  takes its best label; consecutive tokens join while the group is the same and the label is not
 *  "B-"; groups named "O" are dropped. skip[i] != 0 drops token i (special tokens and padding;
 *  NULL: none); offsets: 2 * length values (start, end) per token, or NULL. Writes at most
 *  capacity entities and sets *count to the number found (which may be larger). */
DCL_API dcl_status dcl_group_entities(const dcl_model *model, const float *logits, int length, const int32_t *skip,
                                      const size_t *offsets, dcl_entity *entities, int capacity, int *count);
/* DCL-SECTION-END heads */

/* ==== tokenizer ================================================================================ */
/* DCL-SECTION tokenizer */
/* Text <-> ids for a model folder, exactly as Hugging Face transformers' AutoTokenizer (5.x, the
 * default tokenizers-backed classes) does: same ids, token types and offsets.
 *  - v2 / v3 / mDeBERTa folders: spm.model (SentencePiece unigram), as DebertaV2Tokenizer.
 *  - v1 folders (deberta-base/large): vocab.json + merges.txt (byte-level BPE), as DebertaTokenizer.
 * Read from the folder when present: tokenizer_config.json (do_lower_case, split_by_punct,
 * add_prefix_space, model_max_length, the special tokens, added_tokens_decoder),
 * special_tokens_map.json and added_tokens.json.
 * Texts are UTF-8 passed with their length in bytes; a NUL byte inside is a character like any
 * other. Invalid UTF-8 is DCL_ERR_FORMAT (naming the byte offset) unless params.replace_invalid_utf8
 * is set, which replaces each maximal invalid subsequence by U+FFFD as Python's
 * bytes.decode("utf-8", errors="replace") does (offsets then count the replaced text).
 * A dcl_tokenizer is immutable after load: threads may share it. */
typedef struct dcl_tokenizer dcl_tokenizer;

/** Loads the tokenizer of a model folder. DCL_ERR_IO when the folder or its files are missing,
 *  DCL_ERR_FORMAT when a file is malformed (the message names it). */
DCL_API dcl_status dcl_tokenizer_load(const char *model_dir, dcl_tokenizer **out);
DCL_API void dcl_tokenizer_free(dcl_tokenizer *tok);

typedef enum dcl_truncation {
    DCL_TRUNCATE_NONE = 0,          /* never truncate */
    DCL_TRUNCATE_LONGEST_FIRST = 1, /* remove from the longer sequence first (transformers' default) */
    DCL_TRUNCATE_ONLY_FIRST = 2,    /* only the first text; DCL_ERR_RANGE when that is not enough */
    DCL_TRUNCATE_ONLY_SECOND = 3    /* only the pair text; DCL_ERR_RANGE when that is not enough */
} dcl_truncation;

typedef enum dcl_padding {
    DCL_PAD_NONE = 0,
    DCL_PAD_LONGEST = 1,   /* batch: pad every encoding to the longest of the batch */
    DCL_PAD_MAX_LENGTH = 2 /* pad to pad_to (or max_length, or the model_max_length) */
} dcl_padding;

typedef struct dcl_tokenize_params {
    int add_special_tokens;     /* [CLS] A [SEP] (B [SEP]); default 1 */
    dcl_truncation truncation;  /* default DCL_TRUNCATE_NONE */
    size_t max_length;          /* length limit incl. special tokens for truncation and padding;
                                   0: the tokenizer's model_max_length (none when it has none) */
    dcl_padding padding;        /* default DCL_PAD_NONE; padding is on the right */
    size_t pad_to;              /* DCL_PAD_MAX_LENGTH target; 0: max_length */
    int replace_invalid_utf8;   /* 0 (default): invalid UTF-8 is an error; 1: U+FFFD */
} dcl_tokenize_params;

DCL_API dcl_tokenize_params dcl_tokenize_default_params(void);

/** One encoded text (or pair). All arrays have `length` entries; offsets are character spans
 *  [start, end) in the original text (code points, as Python's str counts them; the pair's
 *  offsets count in the pair text); special and padding tokens have (0, 0). */
typedef struct dcl_encoding {
    size_t length;
    int32_t *ids;
    int32_t *token_type_ids;      /* 0 first text, 1 pair text (v2/v3; v1 uses 0 throughout) */
    int32_t *attention_mask;      /* 1 real token, 0 padding */
    int32_t *special_tokens_mask; /* 1 special or padding token */
    size_t *offsets;              /* 2*length: start, end of each token */
    char **tokens;                /* token strings (NUL-terminated UTF-8), as convert_ids_to_tokens */
} dcl_encoding;

DCL_API void dcl_encoding_free(dcl_encoding *enc);

/** Encodes one text. params NULL: the defaults. */
DCL_API dcl_status dcl_tokenizer_encode(const dcl_tokenizer *tok, const char *text, size_t len,
                                        const dcl_tokenize_params *params, dcl_encoding **out);
/** Encodes a text pair (text, pair) as one sequence with token types. */
DCL_API dcl_status dcl_tokenizer_encode_pair(const dcl_tokenizer *tok, const char *text, size_t len,
                                             const char *pair, size_t pair_len,
                                             const dcl_tokenize_params *params, dcl_encoding **out);
/** Encodes n texts (pairs NULL, or n pair texts with pair_lens) into out[0..n-1]; with
 *  DCL_PAD_LONGEST all are padded to the longest. On error nothing is left allocated. */
DCL_API dcl_status dcl_tokenizer_encode_batch(const dcl_tokenizer *tok, const char *const *texts,
                                              const size_t *lens, const char *const *pairs,
                                              const size_t *pair_lens, size_t n,
                                              const dcl_tokenize_params *params, dcl_encoding **out);

/** Decodes ids to UTF-8 text (malloc'd, NUL-terminated; free with dcl_string_free), as
 *  tokenizer.decode(ids, skip_special_tokens=...). DCL_ERR_RANGE for an id outside the vocabulary. */
DCL_API dcl_status dcl_tokenizer_decode(const dcl_tokenizer *tok, const int32_t *ids, size_t n,
                                        int skip_special_tokens, char **text, size_t *len);
DCL_API void dcl_string_free(char *s);

/** Number of ids (model vocabulary and added tokens: len(tokenizer) in transformers). */
DCL_API size_t dcl_tokenizer_vocab_size(const dcl_tokenizer *tok);
/** model_max_length from the configuration, 0 when none is set. */
DCL_API size_t dcl_tokenizer_model_max_length(const dcl_tokenizer *tok);

typedef enum dcl_special_token {
    DCL_TOKEN_CLS = 0,
    DCL_TOKEN_SEP = 1,
    DCL_TOKEN_PAD = 2,
    DCL_TOKEN_MASK = 3,
    DCL_TOKEN_UNK = 4
} dcl_special_token;

/** Id of a special token, -1 when the tokenizer has none. */
DCL_API int32_t dcl_tokenizer_special_id(const dcl_tokenizer *tok, dcl_special_token which);
/** Id of a token string (model piece or added token), -1 when unknown. */
DCL_API int32_t dcl_tokenizer_token_to_id(const dcl_tokenizer *tok, const char *token);
/** Token string of an id (owned by the tokenizer), NULL when out of range. */
DCL_API const char *dcl_tokenizer_id_to_token(const dcl_tokenizer *tok, int32_t id);
/* DCL-SECTION-END tokenizer */

#ifdef __cplusplus
}
#endif

#endif /* DEBERTACL_H */
