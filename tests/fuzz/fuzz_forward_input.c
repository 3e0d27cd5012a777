/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the JSON input of `debertacl forward` ({"input_ids": [[...]], "attention_mask":
 * ..., "token_type_ids": ...}) through the CLI's own reader. The reader is static in
 * tools/debertacl/cmd_forward.c, so that file is compiled into this target; its messages go to
 * /dev/null instead of stderr. */
#include <stdio.h>

static FILE *fuzz_null_stream(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    return f;
}
#undef stderr
#define stderr fuzz_null_stream()
#include "../../tools/debertacl/cmd_forward.c"
#undef stderr
#define stderr stderr

#include "fuzz_common.h"

/* The CLI helpers cmd_forward.c refers to (tools/debertacl/main.c holds main()). */
const char *dcl_cli_device_spec(const char *arg)
{
    return arg;
}
void dcl_cli_error(const char *what, dcl_status st)
{
    (void)what;
    (void)st;
}
const char *dcl_cli_value(int argc, char **argv, int *i)
{
    return *i + 1 < argc ? argv[++*i] : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init_once();
    cJSON *in = cJSON_ParseWithLength((const char *)data, size);
    if (!cJSON_IsObject(in)) {
        cJSON_Delete(in);
        return 0;
    }
    /* as dcl_cmd_forward reads it */
    int B = 0, L = 0;
    int32_t *ids = read_matrix(cJSON_GetObjectItem(in, "input_ids"), "input_ids", &B, &L), *mask = NULL;
    int32_t *types = NULL;
    if (ids && cJSON_GetObjectItem(in, "attention_mask"))
        mask = read_matrix(cJSON_GetObjectItem(in, "attention_mask"), "attention_mask", &B, &L);
    if (ids && cJSON_GetObjectItem(in, "token_type_ids"))
        types = read_matrix(cJSON_GetObjectItem(in, "token_type_ids"), "token_type_ids", &B, &L);
    cJSON_Delete(in);
    if (ids) {
        if (B < 1 || L < 1)
            abort();
        volatile int32_t sink = ids[(size_t)B * L - 1] + (mask ? mask[0] : 0) + (types ? types[0] : 0);
        (void)sink;
    }
    free(ids);
    free(mask);
    free(types);
    return 0;
}
