/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers of the command-line program that the library does not export: time, whole-file
 * reading and writing, locale-free numbers and a safetensors writer (F32). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"

static char cli_err[1024];

const char *cli_error_text(void) { return cli_err; }

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_read_file(const char *path, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(cli_err, sizeof cli_err, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        snprintf(cli_err, sizeof cli_err, "%s %s", buf ? "cannot read" : "out of memory reading", path);
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int cli_write_file_atomic(const char *path, const void *data, size_t len)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) {
        snprintf(cli_err, sizeof cli_err, "out of memory");
        return -1;
    }
    snprintf(tmp, n, "%s.tmp%ld", path, (long)(cli_now() * 1000) % 100000);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(cli_err, sizeof cli_err, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

void cli_format_double(char *buf, size_t size, double v)
{
    for (int prec = 15; prec <= 17; prec++) { /* the shortest text that reads back as v */
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    for (char *c = buf; *c; c++) /* whatever the locale says */
        if (*c == ',')
            *c = '.';
}

int cli_st_write_f32(const char *path, int count, const char *const *names, const int *ndims,
                     const int64_t *const *shapes, const float *const *data)
{
    cJSON *hdr = cJSON_CreateObject();
    uint64_t off = 0;
    for (int i = 0; hdr && i < count; i++) {
        uint64_t numel = 1;
        cJSON *t = cJSON_AddObjectToObject(hdr, names[i]);
        cJSON_AddStringToObject(t, "dtype", "F32");
        cJSON *sh = cJSON_AddArrayToObject(t, "shape");
        for (int d = 0; d < ndims[i]; d++) {
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)shapes[i][d]));
            numel *= (uint64_t)shapes[i][d];
        }
        cJSON *o = cJSON_AddArrayToObject(t, "data_offsets");
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)(off + numel * 4)));
        off += numel * 4;
    }
    char *text = hdr ? cJSON_PrintUnformatted(hdr) : NULL;
    cJSON_Delete(hdr);
    size_t tlen = text ? strlen(text) : 0, padded = (tlen + 7) / 8 * 8, total = 8 + padded + (size_t)off;
    unsigned char *buf = text ? malloc(total) : NULL;
    if (!buf) {
        free(text);
        snprintf(cli_err, sizeof cli_err, "out of memory writing %s", path);
        return -1;
    }
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(((uint64_t)padded >> (8 * i)) & 0xff);
    memcpy(buf + 8, text, tlen);
    memset(buf + 8 + tlen, ' ', padded - tlen);
    free(text);
    size_t pos = 8 + padded;
    for (int i = 0; i < count; i++) {
        uint64_t numel = 1;
        for (int d = 0; d < ndims[i]; d++)
            numel *= (uint64_t)shapes[i][d];
        for (uint64_t k = 0; k < numel; k++) { /* little-endian, whatever the host */
            uint32_t u;
            memcpy(&u, data[i] + k, 4);
            for (int b = 0; b < 4; b++)
                buf[pos++] = (unsigned char)(u >> (8 * b));
        }
    }
    int rc = cli_write_file_atomic(path, buf, total);
    free(buf);
    return rc;
}
