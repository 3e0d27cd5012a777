/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the task inputs handed to the heads' host-side functions, which need no device:
 * dcl_softmax, dcl_top_k, dcl_qa_best_span and dcl_group_entities (on a model that has only its
 * configuration: labels, number of classes and the token-classification head bit).
 * Input: 4 control bytes (function, n / length, k / max answer length / classes, capacity), then
 * raw floats (any bit pattern: NaN and infinities included); a FUZZ_SEPARATOR line starts the
 * label names (one a line) for dcl_group_entities. */
#include <math.h>

#include "fuzz_common.h"
#include "model.h"

#define MAX_N 512

static float floats[2 * MAX_N * 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init_once();
    if (size < 4)
        return 0;
    const unsigned fn = data[0] & 3, n = data[1] % MAX_N, a = data[2], cap = data[3] % 16;
    const uint8_t *parts[2];
    size_t sizes[2];
    size_t np = fuzz_split(data + 4, size - 4, parts, sizes, 2);
    memset(floats, 0, sizeof floats);
    memcpy(floats, parts[0], sizes[0] < sizeof floats ? sizes[0] : sizeof floats);
    const int len = (int)n;

    if (fn == 0) {
        float probs[MAX_N];
        if (dcl_softmax(floats, len, probs) == DCL_OK) {
            volatile float s = probs[len - 1];
            (void)s;
        }
    } else if (fn == 1) {
        int32_t idx[MAX_N];
        float probs[MAX_N];
        const int k = (int)a - 8;
        if (dcl_top_k(floats, len, k, idx, (a & 1) ? probs : NULL) == DCL_OK)
            for (int i = 0; i < (k < len ? k : len); i++)
                if (idx[i] < 0 || idx[i] >= len)
                    abort();
    } else if (fn == 2) {
        int32_t allowed[MAX_N];
        for (int i = 0; i < len; i++) {
            uint32_t bits;
            memcpy(&bits, &floats[MAX_N + i], sizeof bits);
            allowed[i] = (int32_t)(bits & 1);
        }
        dcl_span span;
        if (dcl_qa_best_span(floats, floats + MAX_N / 2, len, (a & 128) ? NULL : allowed, (int)(a & 127) - 4,
                             &span) == DCL_OK)
            if (span.start < 0 || span.start > span.end || span.end >= len)
                abort();
    } else {
        /* a model with a token-classification head and up to 16 fuzzed labels */
        dcl_model m;
        memset(&m, 0, sizeof m);
        m.heads = DCL_HEAD_TOKEN_CLASS;
        m.cls_out = 1 + (int)(a % 16);
        char *labels[16] = {0}, names[1024];
        size_t nl = np > 1 ? (sizes[1] < sizeof names - 1 ? sizes[1] : sizeof names - 1) : 0;
        if (nl)
            memcpy(names, parts[1], nl);
        names[nl] = '\0';
        int count = 0;
        for (char *s = names, *e; count < m.cls_out && nl; s = e + 1) {
            labels[count++] = s;
            if (!(e = strchr(s, '\n')))
                break;
            *e = '\0';
        }
        m.cfg.num_labels = count;
        m.cfg.labels = count ? labels : NULL;
        const int tokens = len / m.cls_out;
        int32_t skip[MAX_N];
        size_t offsets[2 * MAX_N];
        for (int i = 0; i < tokens; i++) {
            skip[i] = (a >> 4) & i & 1;
            offsets[2 * i] = (size_t)i;
            offsets[2 * i + 1] = (size_t)i + 1;
        }
        dcl_entity ents[16];
        int found = -1;
        if (dcl_group_entities(&m, floats, tokens, (a & 64) ? skip : NULL, (a & 32) ? offsets : NULL, ents,
                               (int)cap, &found) == DCL_OK)
            for (int i = 0; i < (found < (int)cap ? found : (int)cap); i++)
                if (ents[i].first_token > ents[i].last_token || ents[i].last_token >= tokens ||
                    !memchr(ents[i].group, '\0', sizeof ents[i].group))
                    abort();
    }
    return 0;
}
