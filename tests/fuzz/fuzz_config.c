/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: config.json through dcl_config_parse (the parser model loading uses). */
#include "config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init_once();
    dcl_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (dcl_config_parse((const char *)data, size, "config.json", &cfg) == DCL_OK) {
        /* what the loader derives from an accepted configuration must not overflow */
        volatile long long sink = (long long)cfg.num_heads * cfg.head_size + cfg.all_head_size;
        (void)sink;
        for (int i = 0; i < cfg.num_labels; i++)
            if (cfg.labels && cfg.labels[i])
                sink += (long long)strlen(cfg.labels[i]);
    }
    dcl_config_free(&cfg);
    return 0;
}
