/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the batches and task arguments handed to a session (dcl_encode and the heads:
 * ids, lengths, masks, token types, MLM positions, multiple-choice counts) on two small fixture
 * models, v3_mlm (masked-LM head, no token types) and v2_conv (token types, conv layer), loaded
 * once on the default OpenCL device (exit 77 without one). Invalid input must be refused before
 * anything is written; valid input runs the forward pass.
 * Input: 5 control bytes (model and function, batch, length, count, flags), then int32 values
 * for the ids, the mask, the token types and the positions, in that order. */
#include "fuzz_common.h"

#ifndef DCL_TEST_DATA_DIR
#error "DCL_TEST_DATA_DIR must name tests/data"
#endif

static const char *const models[] = {"v3_mlm", "v2_conv"};
static dcl_context *ctx;
static dcl_session *sessions[2];
static dcl_model_info infos[2];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_once();
    int n = 0;
    if (dcl_device_count(&n) != DCL_OK || n == 0) {
        fprintf(stderr, "fuzz_batch: no OpenCL device: skipping\n");
        exit(77);
    }
    dcl_context_params cp = dcl_context_default_params();
    cp.device = getenv("DEBERTACL_DEVICE");
    cp.cache_dir = "off";
    if (dcl_context_create(&cp, &ctx) != DCL_OK)
        goto fail;
    for (int i = 0; i < 2; i++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/reference/models/%s", DCL_TEST_DATA_DIR, models[i]);
        dcl_model *m = NULL;
        dcl_session_params sp = dcl_session_default_params();
        sp.max_batch = 4;
        sp.max_length = 12;
        if (dcl_model_load(ctx, dir, NULL, &m) != DCL_OK || dcl_model_get_info(m, &infos[i]) != DCL_OK ||
            dcl_session_create(m, &sp, &sessions[i]) != DCL_OK)
            goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "fuzz_batch: setup: %s\n", dcl_last_error());
    abort();
}

/* the next int32 of the input, 0 past its end */
static int32_t next(const uint8_t **p, const uint8_t *end)
{
    int32_t v = 0;
    if (end - *p >= 4) {
        memcpy(&v, *p, 4);
        *p += 4;
    }
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    const unsigned sel = data[0], flags = data[4];
    const int mi = sel & 1, fn = (sel >> 1) % 6;
    const int B = (int8_t)data[1], L = (int8_t)data[2], count = (int8_t)data[3];
    const dcl_model_info *info = &infos[mi];
    const uint8_t *p = data + 5, *end = data + size;
    const size_t T = B > 0 && L > 0 ? (size_t)B * (size_t)L : 0;
    int32_t *ids = calloc(T + 1, sizeof *ids), *mask = calloc(T + 1, sizeof *mask);
    int32_t *types = calloc(T + 1, sizeof *types), *pos = calloc(count > 0 ? (size_t)count : 1, sizeof *pos);
    if (!ids || !mask || !types || !pos)
        abort();
    for (size_t i = 0; i < T; i++) {
        ids[i] = next(&p, end);
        if (flags & 1) /* mostly valid ids */
            ids[i] = (int32_t)((uint32_t)ids[i] % (uint32_t)(info->vocab_size + 1));
    }
    for (size_t i = 0; i < T; i++) /* raw values, or 0 / 1 */
        mask[i] = (flags & 2) ? next(&p, end) : next(&p, end) & 1;
    for (size_t i = 0; i < T; i++) /* raw values, or 0 / 1 */
        types[i] = (flags & 4) ? next(&p, end) : next(&p, end) & 1;
    for (int i = 0; i < count; i++) {
        pos[i] = next(&p, end);
        if ((flags & 1) && T) /* mostly valid positions */
            pos[i] = (int32_t)((uint32_t)pos[i] % (uint32_t)(T + 1));
    }
    const dcl_batch b = {B, L, ids, (flags & 8) ? mask : NULL, (flags & 16) ? types : NULL, NULL};

    /* outputs sized exactly as the call may use them, so that a stray write is caught */
    const size_t H = (size_t)info->hidden_size, V = (size_t)info->vocab_size;
    float *out = NULL;
    dcl_status st;
    switch (fn) {
    case 0: { /* encoder */
        out = malloc((T ? T : 1) * H * sizeof *out);
        const dcl_outputs o = {out, NULL, NULL};
        st = dcl_encode(sessions[mi], &b, &o);
        break;
    }
    case 1: /* masked LM at positions */
    case 2: /* masked LM everywhere */
        out = malloc((count > 0 ? (size_t)count : 1) * V * sizeof *out);
        st = dcl_mlm_logits(sessions[mi], &b, fn == 1 ? pos : NULL, count, (dcl_emd_mode)(flags >> 5), out);
        break;
    case 3: /* sentence embeddings */
        out = malloc((B > 0 ? (size_t)B : 1) * H * sizeof *out);
        st = dcl_embed(sessions[mi], &b, (dcl_pooling)((flags >> 5) & 3), flags & 128, out);
        break;
    case 4: /* a head neither model has */
        out = malloc((T ? T : 1) * 2 * sizeof *out);
        st = dcl_qa_logits(sessions[mi], &b, out, out + (T ? T : 1));
        break;
    default: /* multiple choice: not a head of these models either */
        out = malloc((B > 0 ? (size_t)B : 1) * sizeof *out);
        st = dcl_multiple_choice(sessions[mi], &b, count, out);
        break;
    }
    if (getenv("DCL_FUZZ_VERBOSE")) /* what each input came to */
        fprintf(stderr, "fuzz_batch: model %d function %d B %d L %d: %s %s\n", mi, fn, B, L, dcl_status_string(st),
                st == DCL_OK ? "" : dcl_last_error());
    free(out);
    free(ids);
    free(mask);
    free(types);
    free(pos);
    return 0;
}
