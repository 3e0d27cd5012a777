/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: a .safetensors file (header JSON, offsets, dtypes) through dcl_st_open and the
 * float32 conversion of every tensor it accepts. */
#include "fuzz_common.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init_once();
    const char *path = fuzz_put_file("model.safetensors", data, size);
    dcl_st_file f;
    if (dcl_st_open(path, &f) != DCL_OK)
        return 0;
    for (int i = 0; i < f.count; i++) {
        const dcl_st_tensor *t = &f.tensors[i];
        if (t->dtype == DCL_DT_OTHER || t->numel > (1u << 20))
            continue;
        float *out = malloc((size_t)t->numel * sizeof *out + 1);
        if (out && dcl_st_to_f32(t, out) == DCL_OK && t->numel > 0) {
            volatile float sink = out[t->numel - 1];
            (void)sink;
        }
        free(out);
    }
    dcl_st_close(&f);
    return 0;
}
