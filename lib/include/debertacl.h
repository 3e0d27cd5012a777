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

/* ==== tokenizer ================================================================================ */
/* DCL-SECTION tokenizer */
/* DCL-SECTION-END tokenizer */

#ifdef __cplusplus
}
#endif

#endif /* DEBERTACL_H */
