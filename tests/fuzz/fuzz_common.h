/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the libFuzzer targets (tests/fuzz, built with -DDCL_FUZZ=ON). */
#ifndef DCL_FUZZ_COMMON_H
#define DCL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debertacl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_quiet_log(dcl_log_level level, const char *message, void *user_data)
{
    (void)level;
    (void)message;
    (void)user_data;
}

/* Silences the library's log; call once from the target's first input. */
static inline void fuzz_init_once(void)
{
    static int done;
    if (!done) {
        dcl_set_log_callback(fuzz_quiet_log, NULL, DCL_LOG_ERROR);
        done = 1;
    }
}

/* A scratch folder for targets whose entry point reads files: $DCL_FUZZ_TMP, else /dev/shm or
 * /tmp. Created once per process; the files in it are overwritten by every input. */
static inline const char *fuzz_scratch_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        const char *base = getenv("DCL_FUZZ_TMP");
        if (!base)
            base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/dcl_fuzz_XXXXXX", base);
        if (!mkdtemp(dir))
            abort(); /* the harness cannot run at all */
    }
    return dir;
}

/* Writes (or, for data NULL, removes) <scratch>/<name>; returns the path (static buffer). */
static inline const char *fuzz_put_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", fuzz_scratch_dir(), name);
    if (!data) {
        unlink(path);
        return path;
    }
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
    return path;
}

/* Splits an input into parts at a separator line, as the multi-file seeds are written
 * (tests/fuzz/seeds.sh). Returns the number of parts (at most max). */
#define FUZZ_SEPARATOR "\n%%DCL-FILE%%\n"
static inline size_t fuzz_split(const uint8_t *data, size_t size, const uint8_t **parts, size_t *sizes,
                                size_t max)
{
    const size_t sep_len = sizeof FUZZ_SEPARATOR - 1;
    size_t n = 0, start = 0;
    for (size_t i = 0; n + 1 < max && i + sep_len <= size; i++) {
        if (memcmp(data + i, FUZZ_SEPARATOR, sep_len) == 0) {
            parts[n] = data + start;
            sizes[n++] = i - start;
            start = i + sep_len;
            i += sep_len - 1;
        }
    }
    parts[n] = data + start;
    sizes[n++] = size - start;
    return n;
}

#endif
