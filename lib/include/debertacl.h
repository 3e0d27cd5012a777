/* SPDX-License-Identifier: Apache-2.0 */
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
 *  - Threads (checked by tests/test_threads.c under ThreadSanitizer):
 *      - a dcl_context, a dcl_model and a dcl_tokenizer may be shared by any number of threads:
 *        every call that takes one of them may run concurrently with any other (model loads,
 *        session creation and program builds on one context are serialised by its locks; each
 *        program is built once);
 *      - a dcl_session belongs to one thread at a time: give each thread its own;
 *      - *_free must not overlap any other use of the object, nor of the objects made from it;
 *      - dcl_last_error() is per thread; dcl_context_last_error() and dcl_session_last_error()
 *        return a copy of the last failure of any thread that uses the context;
 *      - dcl_set_log_callback() is process-wide: set it before other threads use the library. A
 *        log callback is called from whichever thread logs.
 *    Sessions of one context share its in-order command queue: their device work is serialised;
 *    for parallel devices use one context per device (or per queue).
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

/** The detail of the last error on this context, from any thread that uses it ("" if none): a
 *  thread-local copy, valid until the next call into the library from the same thread. */
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
 * (threads, one session each) may use one model at once. Free it before its context. */
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
 * so that dcl_encode() allocates no device memory (except the attention-probability buffer, see
 * dcl_encode()). The workspace grows linearly with max_batch * max_length: a length the device
 * cannot hold gets DCL_ERR_DEVICE_MEMORY with a message naming the longest length it can.
 * One session per thread; a model may have many. */
typedef struct dcl_session dcl_session;

typedef struct dcl_session_params {
    int max_batch;  /* largest batch dcl_encode() accepts (default 8) */
    int max_length; /* longest sequence (default 512; at most what the model allows) */
    int profile;    /* nonzero: record an OpenCL event for every kernel, GEMM and transfer of a
                       forward (dcl_session_profile); needs a context created with profiling on.
                       Nothing waits between operations: the queue runs as without profiling */
    int materialized_attention; /* nonzero: always materialise the [heads, B, L, L] scores (the
                                   path that returns attention probabilities), for comparisons;
                                   packed batches are then DCL_ERR_UNSUPPORTED. Default 0 */
} dcl_session_params;

DCL_API dcl_session_params dcl_session_default_params(void);
DCL_API dcl_status dcl_session_create(dcl_model *model, const dcl_session_params *params, dcl_session **out);
DCL_API void dcl_session_free(dcl_session *session);

/* One batch of B sequences, in one of two layouts:
 *  - padded (offsets == NULL): row-major [B, L], L = length, shorter rows padded (left or right)
 *    and marked by attention_mask;
 *  - packed (offsets != NULL): the B sequences back to back without padding, sequence b being
 *    tokens offsets[b] .. offsets[b+1]-1 of input_ids and token_type_ids; offsets has B + 1
 *    entries, offsets[0] == 0, strictly increasing; N = offsets[B] tokens in all. `length` is
 *    ignored and attention_mask must be NULL. Every GEMM and kernel then works on the N tokens,
 *    attention stays within each sequence, and each sequence's results equal those of encoding
 *    it alone. A session takes a packed batch whose sequences are each at most max_length tokens
 *    and whose N is at most max_batch * max_length (B itself may exceed max_batch).
 * Per-token outputs are [B, L, ...] for a padded batch and [N, ...] for a packed one (write
 * "tokens" for B * L or N below); per-sequence outputs are [B, ...] in both. */
typedef struct dcl_batch {
    int batch;
    int length;
    const int32_t *input_ids;      /* ids in [0, vocab_size) */
    const int32_t *attention_mask; /* 1 real token, 0 padding; NULL: all ones */
    const int32_t *token_type_ids; /* NULL: all zeros; ignored when the model has no token types */
    const int32_t *offsets;        /* NULL: padded [batch, length]; else packed, batch + 1 offsets */
} dcl_batch;

/* Where dcl_encode() writes; every pointer may be NULL (not wanted). Memory belongs to the app. */
typedef struct dcl_outputs {
    float *last_hidden_state; /* [tokens, hidden_size] ([B, L, hidden_size] when padded) */
    float **hidden_states;    /* num_layers + 1 pointers (embeddings, then each layer), each [tokens, hidden] */
    float **attentions;       /* num_layers pointers, each [B, num_heads, L, L] attention probabilities;
                                 padded batches only (DCL_ERR_UNSUPPORTED for a packed one) */
} dcl_outputs;

/** Runs the encoder, as transformers' DebertaModel / DebertaV2Model forward in eval mode.
 *  Values at padding positions are unspecified. Invalid input (an id outside the vocabulary, a
 *  token type outside type_vocab_size, B or L of 0 or beyond the session's maximum, bad packed
 *  offsets) returns DCL_ERR_RANGE or DCL_ERR_INVALID_ARGUMENT and writes nothing.
 *  Attention: without attention outputs the fused kernel runs (scores, online softmax and the
 *  product with V in one pass: memory O(tokens), no [L, L] matrix); with attention outputs, or
 *  with dcl_session_params.materialized_attention, the scores are materialised [heads, B, L, L]
 *  in a buffer allocated at the first such call (DCL_ERR_DEVICE_MEMORY with the size if the
 *  device cannot hold it). */
DCL_API dcl_status dcl_encode(dcl_session *session, const dcl_batch *batch, const dcl_outputs *outputs);

typedef struct dcl_timings {
    double total_seconds;  /* wall time of the last dcl_encode() */
    double gemm_seconds;   /* with params.profile: device time of the GEMMs (OpenCL events) */
    double kernel_seconds; /* with params.profile: device time of this library's own kernels */
    unsigned gemm_calls, kernel_launches;
} dcl_timings;

DCL_API dcl_status dcl_session_timings(const dcl_session *session, dcl_timings *timings);

/** The last error of the session's model's context (as dcl_context_last_error()). */
DCL_API const char *dcl_session_last_error(const dcl_session *session);

/* ---- profiling (sessions created with params.profile on a profiling context) ---- */

/* What an operation belongs to; the names (dcl_op_class_name) are stable and used in JSON. */
typedef enum dcl_op_class {
    DCL_OPC_EMBEDDINGS = 0, /* "embeddings": the gather and the embedding projection */
    DCL_OPC_QKV = 1,        /* "qkv_gemm": the Q/K/V projection and the split into heads */
    DCL_OPC_REL = 2,        /* "rel_gemm": c2p = Q PK^T and p2c = K PQ^T over the relative slots */
    DCL_OPC_SCORES = 3,     /* "scores": Q K^T, the relative gathers, scale, mask and softmax */
    DCL_OPC_PV = 4,         /* "pv": probabilities times V and the merge of the heads */
    DCL_OPC_OUT = 5,        /* "out_gemm": the attention output projection */
    DCL_OPC_FFN = 6,        /* "ffn_gemm": the two FFN GEMMs and the activation */
    DCL_OPC_LAYERNORM = 7,  /* "layernorm": every LayerNorm with its bias and residual add */
    DCL_OPC_CONV = 8,       /* "conv": the v2 convolution layer */
    DCL_OPC_HEADS = 9,      /* "heads": task heads after the encoder */
    DCL_OPC_TRANSFER = 10,  /* "transfer": host <-> device copies */
    DCL_OPC_OTHER = 11,     /* "other" */
    DCL_OPC_COUNT = 12
} dcl_op_class;

/** Stable lower-case name of a class ("qkv_gemm"); "other" for values out of range. */
DCL_API const char *dcl_op_class_name(dcl_op_class op_class);

/* One enqueued operation of a profiled forward. Times are the device's OpenCL profiling clock
 * (CL_PROFILING_COMMAND_QUEUED / START / END, nanoseconds, comparable within one session). A
 * CLBlast routine may run several kernels and its event covers only the last one: its start is
 * the end of a marker enqueued just before it on the in-order queue (where the driver gives
 * markers no timestamps, as Intel's CPU runtime does, the record covers the last kernel only). */
typedef struct dcl_profile_record {
    char op[64];            /* stable name: "embeddings.gather", "layer3.attention.c2p_gemm", ... */
    dcl_op_class op_class;
    char kernel[48];        /* kernel ("dcl_layernorm"), GEMM routine ("CLBlastSgemmStridedBatched",
                               "dcl_gemm_nt") or transfer ("write", "read") */
    unsigned work_dim;      /* 0 for GEMMs and transfers */
    size_t global[3], local[3];
    uint64_t gemm[4];       /* m, n, k, batch of a GEMM; zeros otherwise */
    double flops;           /* floating-point operations (a multiply-add counts 2) */
    double bytes;           /* bytes the operation reads and writes in global memory, at least */
    uint64_t queued_ns, start_ns, end_ns;
} dcl_profile_record;

/** The records of the session's last forward (dcl_encode() or a head call), in enqueue order;
 *  none after a call that failed. *records points into the session and stays valid until its next
 *  forward or its free; the events behind them are already read and released.
 *  DCL_ERR_INVALID_ARGUMENT when the session was not created with params.profile. */
DCL_API dcl_status dcl_session_profile(const dcl_session *session, const dcl_profile_record **records,
                                       size_t *count);

/* The device's measured peak, from a short built-in probe in the style of clpeak: FP32
 * multiply-add throughput and global-memory read bandwidth. */
typedef struct dcl_device_peak {
    double gflops;       /* FP32 GFLOP/s */
    double gbytes;       /* global-memory GB/s (1e9 bytes per second) */
    int cached;          /* nonzero when read from the cache folder rather than measured now */
} dcl_device_peak;

/** Measures the device's peak (about a second), or reads it from the context's cache folder,
 *  where it is kept per device, driver and library version. refresh != 0 measures anew and
 *  rewrites the cache. */
DCL_API dcl_status dcl_context_peak(dcl_context *ctx, int refresh, dcl_device_peak *peak);
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
 *  for flat position positions[i] = row * length + column of the batch (packed: the token index
 *  offsets[row] + column). positions NULL: every position in order (count must then be the
 *  batch's token count). Only the asked positions go through the transform and the vocabulary
 *  GEMM. Needs DCL_HEAD_MLM. */
DCL_API dcl_status dcl_mlm_logits(dcl_session *session, const dcl_batch *batch, const int32_t *positions,
                                  int count, dcl_emd_mode emd, float *logits);

/** Sequence classification (also NLI: encode the premise and hypothesis as a pair): pooler on
 *  the first token of each sequence (dense, pooler_hidden_act), then the classifier.
 *  logits[batch, num_labels]; names from dcl_model_label(). Needs DCL_HEAD_SEQUENCE_CLASS. */
DCL_API dcl_status dcl_classify(dcl_session *session, const dcl_batch *batch, float *logits);

/** Token classification: logits[batch, length, num_labels] (packed: [tokens, num_labels]).
 *  Needs DCL_HEAD_TOKEN_CLASS. */
DCL_API dcl_status dcl_token_classify(dcl_session *session, const dcl_batch *batch, float *logits);

/** Extractive question answering: start_logits[batch, length] and end_logits[batch, length]
 *  (packed: [tokens] each) (encode question and context as a pair; dcl_qa_best_span() picks the answer). Needs
 *  DCL_HEAD_QA. */
DCL_API dcl_status dcl_qa_logits(dcl_session *session, const dcl_batch *batch, float *start_logits,
                                 float *end_logits);

/** Multiple choice: the batch holds B * choices rows, row b * choices + c is (prompt b, choice c)
 *  (transformers' [B, C, L] flattened; or B * choices packed sequences). logits[B, choices], i.e.
 *  batch->batch values. Needs
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
    float score; /* p_start[start] * p_end[end], softmax over the allowed tokens only (the
                    question-answering pipeline, dcl_pipeline_run, scores as transformers' classic
                    pipeline: [CLS] in the softmax, then zeroed) */
} dcl_span;

/** The best answer span of one sequence: start <= end < start + max_answer_length, both in
 *  allowed tokens (allowed[i] != 0: the context's real tokens, i.e. token type 1 and not special;
 *  NULL: all). DCL_ERR_RANGE when no token is allowed, DCL_ERR_INVALID_ARGUMENT when an allowed
 *  token's logit is not finite. */
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
 *  - folders saved by transformers 5 (tokenizer.json + tokenizer_config.json) or 4 (with
 *    spm.model or vocab.json beside): tokenizer.json is taken before spm.model and vocab.json, as
 *    AutoTokenizer does; see dcl_tokenizer_source(). Verified against transformers 5.24 on
 *    Unigram and byte-level BPE folders, including a transformers 4 layout.
 * Read from the folder when present: tokenizer_config.json (tokenizer_class, do_lower_case,
 * split_by_punct, add_prefix_space, model_max_length, clean_up_tokenization_spaces, unk_id, the
 * special tokens, added_tokens_decoder, extra_special_tokens), config.json (model_type, when
 * tokenizer_class is absent), special_tokens_map.json and added_tokens.json. Added tokens keep
 * their flags (special, lstrip, rstrip, single_word, normalized: a normalized one is matched in
 * the normalized text, as tokenizers does).
 * Texts are UTF-8 passed with their length in bytes; a NUL byte inside is a character like any
 * other. Invalid UTF-8 is DCL_ERR_FORMAT (naming the byte offset) unless params.replace_invalid_utf8
 * is set, which replaces each maximal invalid subsequence by U+FFFD as Python's
 * bytes.decode("utf-8", errors="replace") does (offsets then count the replaced text).
 * A dcl_tokenizer is immutable after load: threads may share it. */
typedef struct dcl_tokenizer dcl_tokenizer;

/** Loads the tokenizer of a model folder. DCL_ERR_IO when the folder or its files are missing,
 *  DCL_ERR_FORMAT when a file is malformed (the message names it), DCL_ERR_UNSUPPORTED for a
 *  tokenizer.json component this library does not reproduce (the message names the field). */
DCL_API dcl_status dcl_tokenizer_load(const char *model_dir, dcl_tokenizer **out);
DCL_API void dcl_tokenizer_free(dcl_tokenizer *tok);

/** Which files a tokenizer was built from, by the rule of transformers' AutoTokenizer: the class
 *  is tokenizer_config.json's tokenizer_class, else the one of config.json's model_type, and
 *  tokenizer.json comes before spm.model and vocab.json + merges.txt. */
typedef enum dcl_tok_source {
    DCL_TOKENIZER_SPM = 1,          /* spm.model; stages from tokenizer_config.json (DebertaV2Tokenizer) */
    DCL_TOKENIZER_VOCAB_MERGES = 2, /* vocab.json + merges.txt (DebertaTokenizer) */
    DCL_TOKENIZER_JSON_MODEL = 3,   /* tokenizer.json's model and added tokens; normalizer, pre-tokenizer,
                                       post-processor and decoder from tokenizer_config.json, as the
                                       DeBERTa classes rebuild them (they ignore the file's own) */
    DCL_TOKENIZER_JSON = 4          /* tokenizer.json, every stage as written (any other class, or none):
                                       Unigram or byte-level BPE, Lowercase / NFC / Strip(right) / Replace
                                       of whitespace runs, Punctuation + Metaspace or ByteLevel,
                                       TemplateProcessing; other components are DCL_ERR_UNSUPPORTED
                                       with a message naming the field */
} dcl_tok_source;

/** Source of a loaded tokenizer (0 for NULL). */
DCL_API dcl_tok_source dcl_tokenizer_source(const dcl_tokenizer *tok);
/** Short static description of a source ("tokenizer.json (model only)", ...); "unknown" for others. */
DCL_API const char *dcl_tok_source_string(dcl_tok_source source);

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

/* ==== pipelines ================================================================================ */
/* DCL-SECTION pipeline */
/* A pipeline: model folder + tokenizer + task, from text to answers, exactly as Hugging Face
 * transformers' pipelines (5.x) post-process them: the same labels, scores, words, spans and
 * answer texts. Question answering follows the classic question-answering pipeline of
 * transformers 4.x (windows over long contexts with doc_stride, [CLS] in the softmax then zeroed,
 * answers aligned to whole words, top_k, handle_impossible_answer).
 *
 *   dcl_pipeline *p;
 *   dcl_pipeline_params pp = dcl_pipeline_default_params();
 *   pp.task = DCL_TASK_ZERO_SHOT;
 *   dcl_pipeline_create(NULL, "models/deberta-v3-base-mnli", &pp, &p);
 *   const char *labels[] = {"sports", "politics"};
 *   dcl_pipeline_input in = {.text = "The match ended 2-1.", .items = labels, .n_items = 2};
 *   dcl_result *r = NULL;
 *   if (dcl_pipeline_run(p, &in, 1, &r) == DCL_OK && r->status == DCL_OK)
 *       printf("%s %.3f\n", r->items[0].label, r->items[0].score);
 *   dcl_result_free(r);
 *   dcl_pipeline_free(p);
 *
 * A pipeline belongs to one thread at a time. */
typedef struct dcl_pipeline dcl_pipeline;

typedef enum dcl_task {
    DCL_TASK_AUTO = 0,                 /* from config.json's "architectures" */
    DCL_TASK_FILL_MASK = 1,            /* "fill-mask" */
    DCL_TASK_TEXT_CLASSIFICATION = 2,  /* "text-classification": a text or a pair (NLI) */
    DCL_TASK_TOKEN_CLASSIFICATION = 3, /* "token-classification" (NER) */
    DCL_TASK_QUESTION_ANSWERING = 4,   /* "question-answering" */
    DCL_TASK_MULTIPLE_CHOICE = 5,      /* "multiple-choice" */
    DCL_TASK_FEATURE_EXTRACTION = 6,   /* "feature-extraction": a sentence embedding pooled from
                                          the pipeline's last hidden states (pooling, normalize) */
    DCL_TASK_ZERO_SHOT = 7,            /* "zero-shot-classification" with an NLI model */
    DCL_TASK_RERANK = 8                /* "rerank": (query, document) pairs scored as text
                                          classification does, the last label's score
                                          (num_labels 1: the sigmoid of the logit) */
} dcl_task;

/** The task's name as above ("fill-mask", ...); "auto" for DCL_TASK_AUTO; NULL when unknown. */
DCL_API const char *dcl_task_name(dcl_task task);
/** The task of a name: the names above and the short forms "classify", "nli", "ner", "qa",
 *  "choice", "embed", "zero-shot". DCL_ERR_INVALID_ARGUMENT listing them when unknown. */
DCL_API dcl_status dcl_task_from_name(const char *name, dcl_task *task);

/* function_to_apply of text classification. DEFAULT: none for problem_type "regression", sigmoid
 * for "multi_label_classification" or num_labels == 1, else softmax (transformers' rule). */
typedef enum dcl_function {
    DCL_FUNCTION_DEFAULT = 0,
    DCL_FUNCTION_NONE = 1,
    DCL_FUNCTION_SIGMOID = 2,
    DCL_FUNCTION_SOFTMAX = 3
} dcl_function;

/* aggregation_strategy of token classification. */
typedef enum dcl_aggregation {
    DCL_AGGREGATE_NONE = 0,   /* one item per token (label "B-PER", ...) */
    DCL_AGGREGATE_SIMPLE = 1, /* tokens grouped into entities (label "PER") */
    DCL_AGGREGATE_FIRST = 2,  /* words take their first token's label, then grouped */
    DCL_AGGREGATE_AVERAGE = 3,/* words take the label of their tokens' mean scores */
    DCL_AGGREGATE_MAX = 4     /* words take the label of their best-scoring token */
} dcl_aggregation;

typedef struct dcl_pipeline_params {
    dcl_task task;               /* default DCL_TASK_AUTO */
    const char *device;          /* device spec when dcl_pipeline_create() gets no context */
    const char *tokenizer_dir;   /* NULL: the model folder */
    int max_length;              /* > 0: truncate inputs to this many tokens (QA: window length);
                                    0: an input longer than the model takes is DCL_ERR_RANGE */
    int batch;                   /* rows per forward pass in dcl_pipeline_run() (default 8) */
    int top_k;                   /* 0: the task's default (fill-mask 5, QA 1, all labels) */
    dcl_function function;       /* text classification */
    dcl_aggregation aggregation; /* token classification (default DCL_AGGREGATE_SIMPLE) */
    const char *const *targets;  /* fill-mask: restrict predictions to these tokens (copied) */
    int n_targets;
    int doc_stride;              /* QA: overlap of windows in tokens (0: min(window / 2, 128)) */
    int max_answer_length;       /* QA: longest answer in tokens (15) */
    int handle_impossible_answer;/* QA: also offer the empty answer (scored at [CLS]) */
    int align_to_words;          /* QA: extend answers to whole words (default 1) */
    const char *hypothesis_template; /* zero-shot: "{}" is the label (default "This example is {}.") */
    int multi_label;             /* zero-shot: labels scored independently */
    dcl_pooling pooling;         /* feature extraction (default DCL_POOL_MEAN) */
    int normalize;               /* feature extraction: L2-normalise */
    dcl_emd_mode emd;            /* fill-mask (default DCL_EMD_OFF, as transformers) */
    int mask_id;                 /* fill-mask: the mask token's id for token-id input when the
                                    folder has no tokenizer (default -1: the tokenizer's) */
} dcl_pipeline_params;

DCL_API dcl_pipeline_params dcl_pipeline_default_params(void);

/** Loads the model and tokenizer of a folder for a task. ctx NULL: the pipeline creates (and
 *  owns) a context on params->device. A path that does not exist but looks like a Hugging Face
 *  hub name ("microsoft/deberta-v3-base") gets DCL_ERR_IO with a message saying how to download
 *  it; a task the model has no head for gets DCL_ERR_UNSUPPORTED. */
DCL_API dcl_status dcl_pipeline_create(dcl_context *ctx, const char *model_dir, const dcl_pipeline_params *params,
                                       dcl_pipeline **out);
DCL_API void dcl_pipeline_free(dcl_pipeline *p);

DCL_API dcl_task dcl_pipeline_task(const dcl_pipeline *p);
/** The pipeline's model (owned by the pipeline): for dcl_model_get_info / dcl_model_label. */
DCL_API const dcl_model *dcl_pipeline_model(const dcl_pipeline *p);

/* One input. Texts are NUL-terminated UTF-8. */
typedef struct dcl_pipeline_input {
    const char *text;          /* the text; the premise (with pair); the question (QA); the query
                                  (rerank); the prompt shared by the choices (multiple choice) */
    const char *pair;          /* the second text: hypothesis, QA context; NULL when none */
    const char *const *items;  /* choices (multiple choice), candidate labels (zero-shot),
                                  documents (rerank) */
    int n_items;
    /* Instead of text: token ids with special tokens, `rows` rows of n_ids each (rows > 1 only for
     * multiple choice); types and mask may be NULL (zeros, all ones). */
    const int32_t *ids, *types, *mask;
    int n_ids, rows;
} dcl_pipeline_input;

/* One answer. Strings belong to the result; unused fields are NULL / -1. */
typedef struct dcl_result_item {
    const char *label; /* class or entity label, candidate label, choice, document; fill-mask:
                          token_str */
    float score;       /* as the task's transformers pipeline gives it */
    int index;         /* class id, token id (fill-mask), choice / label / document index;
                          token classification with DCL_AGGREGATE_NONE: the token index; QA:
                          the answer's first token in its window */
    int group;         /* fill-mask: which mask (0, 1, ...); QA: the window (-1: no answer) */
    const char *text;  /* fill-mask: sequence; token classification: word; QA: answer */
    long start, end;   /* characters (code points) in the text (QA: in the context); fill-mask:
                          the mask's token position; token-id input: token positions */
} dcl_result_item;

typedef struct dcl_result {
    dcl_task task;
    dcl_status status;       /* this input's status: DCL_OK, or why it failed (bad input) */
    const char *error;       /* "" or the message of status */
    int count;               /* items, best first (fill-mask: per mask, masks in order) */
    dcl_result_item *items;
    int groups;              /* fill-mask: the number of masks */
    int dim;                 /* feature extraction: the embedding's size */
    float *values;           /* feature extraction: the embedding */
} dcl_result;

/** Runs n inputs (results[0..n) are set to NULL first): rows of all inputs are sorted by length in windows and run `batch` at a time,
 *  so that padding stays small; results[i] answers inputs[i]. An input that is bad (empty text,
 *  no mask token, too long) gets its own result with status and error set; the call returns
 *  DCL_OK then. A failure of the device or memory returns its status and leaves results[] NULL. */
DCL_API dcl_status dcl_pipeline_run(dcl_pipeline *p, const dcl_pipeline_input *inputs, int n, dcl_result **results);
DCL_API void dcl_result_free(dcl_result *r);
/* DCL-SECTION-END pipeline */

#ifdef __cplusplus
}
#endif

#endif /* DEBERTACL_H */
