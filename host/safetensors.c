/* SPDX-License-Identifier: Apache-2.0 */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static size_t dtype_size(const char *name, dcl_dtype *dt)
{
    static const struct { const char *name; size_t size; dcl_dtype dt; } table[] = {
        {"F32", 4, DCL_DT_F32},  {"F16", 2, DCL_DT_F16},   {"BF16", 2, DCL_DT_BF16}, {"F64", 8, DCL_DT_OTHER},
        {"I64", 8, DCL_DT_OTHER}, {"I32", 4, DCL_DT_OTHER}, {"I16", 2, DCL_DT_OTHER}, {"I8", 1, DCL_DT_OTHER},
        {"U8", 1, DCL_DT_OTHER},  {"U16", 2, DCL_DT_OTHER}, {"U32", 4, DCL_DT_OTHER}, {"U64", 8, DCL_DT_OTHER},
        {"BOOL", 1, DCL_DT_OTHER}, {"F8_E4M3", 1, DCL_DT_OTHER}, {"F8_E5M2", 1, DCL_DT_OTHER}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(name, table[i].name)) {
            *dt = table[i].dt;
            return table[i].size;
        }
    return 0;
}

void dcl_st_close(dcl_st_file *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->count; i++)
        free(f->tensors[i].name);
    free(f->tensors);
    if (f->map)
        munmap(f->map, f->size);
    free(f->path);
    memset(f, 0, sizeof *f);
}

static int cmp_offset(const void *a, const void *b)
{
    const dcl_st_tensor *x = *(const dcl_st_tensor *const *)a, *y = *(const dcl_st_tensor *const *)b;
    return x->data < y->data ? -1 : x->data > y->data ? 1 : 0;
}

dcl_status dcl_st_open(const char *path, dcl_st_file *out)
{
    memset(out, 0, sizeof *out);
    dcl_status st = DCL_OK;
    cJSON *root = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return dcl_fail(NULL, DCL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return dcl_fail(NULL, DCL_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
    }
    out->path = dcl_strdup(path);
    out->size = (size_t)sb.st_size;
    if (!out->path) {
        close(fd);
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    }
    if (out->size < 8) {
        close(fd);
        st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: file too short for a safetensors header (%zu bytes)", path, out->size);
        goto fail;
    }
    out->map = mmap(NULL, out->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (out->map == MAP_FAILED) {
        out->map = NULL;
        st = dcl_fail(NULL, DCL_ERR_IO, "cannot map %s: %s", path, strerror(errno));
        goto fail;
    }
    const unsigned char *base = out->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | base[i];
    if (hlen > DCL_ST_MAX_HEADER) {
        st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: header length %llu exceeds the limit of %u bytes", path,
                      (unsigned long long)hlen, DCL_ST_MAX_HEADER);
        goto fail;
    }
    if (hlen > out->size - 8) {
        st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: header length %llu runs past the end of the file (%zu bytes)", path,
                      (unsigned long long)hlen, out->size);
        goto fail;
    }
    root = cJSON_ParseWithLength((const char *)base + 8, (size_t)hlen);
    if (!root || !cJSON_IsObject(root)) {
        st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: the header is not a JSON object", path);
        goto fail;
    }
    const unsigned char *data = base + 8 + hlen;
    size_t data_len = out->size - 8 - (size_t)hlen;
    int n = cJSON_GetArraySize(root);
    out->tensors = calloc((size_t)(n ? n : 1), sizeof *out->tensors);
    if (!out->tensors) {
        st = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    for (cJSON *it = root->child; it; it = it->next) {
        if (!strcmp(it->string, "__metadata__"))
            continue;
        dcl_st_tensor *t = &out->tensors[out->count];
        const char *name = it->string;
        cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
        cJSON *shape = cJSON_GetObjectItemCaseSensitive(it, "shape");
        cJSON *offs = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
        if (!cJSON_IsObject(it) || !cJSON_IsString(dt) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs) ||
            cJSON_GetArraySize(offs) != 2) {
            st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensor %s: entry needs dtype, shape and data_offsets", path, name);
            goto fail;
        }
        size_t esize = dtype_size(dt->valuestring, &t->dtype);
        if (!esize) {
            st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensor %s: unknown dtype \"%s\"", path, name, dt->valuestring);
            goto fail;
        }
        dcl_strlcpy(t->dtype_name, dt->valuestring, sizeof t->dtype_name);
        t->ndim = cJSON_GetArraySize(shape);
        if (t->ndim > DCL_ST_MAX_DIMS) {
            st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensor %s: %d dimensions (at most %d)", path, name, t->ndim,
                          DCL_ST_MAX_DIMS);
            goto fail;
        }
        uint64_t numel = 1;
        int d = 0;
        for (cJSON *s = shape->child; s; s = s->next, d++) {
            if (!cJSON_IsNumber(s) || s->valuedouble < 0 || s->valuedouble > 9.0e15 ||
                s->valuedouble != (double)(int64_t)s->valuedouble) {
                st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensor %s: bad shape entry", path, name);
                goto fail;
            }
            t->shape[d] = (int64_t)s->valuedouble;
            if (t->shape[d] && numel > UINT64_MAX / (uint64_t)t->shape[d] / 8) {
                st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensor %s: shape too large", path, name);
                goto fail;
            }
            numel *= (uint64_t)t->shape[d];
        }
        double b = cJSON_GetArrayItem(offs, 0)->valuedouble, e = cJSON_GetArrayItem(offs, 1)->valuedouble;
        /* range before the integer test: converting an out-of-range double is undefined */
        if (!cJSON_IsNumber(cJSON_GetArrayItem(offs, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(offs, 1)) ||
            !(b >= 0 && e >= b && e <= 9.0e15) || b != (double)(uint64_t)b || e != (double)(uint64_t)e) {
            st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensor %s: bad data_offsets", path, name);
            goto fail;
        }
        if ((uint64_t)e > data_len) {
            st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensor %s: data_offsets [%.0f, %.0f) out of range (data area is "
                          "%zu bytes)", path, name, b, e, data_len);
            goto fail;
        }
        if (numel * esize != (uint64_t)(e - b)) {
            st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensor %s: shape needs %llu bytes of %s but data_offsets span %.0f",
                          path, name, (unsigned long long)(numel * esize), t->dtype_name, e - b);
            goto fail;
        }
        t->numel = numel;
        t->data = data + (size_t)b;
        t->nbytes = (size_t)(e - b);
        t->file = out->path;
        t->name = dcl_strdup(name);
        if (!t->name) {
            st = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
            goto fail;
        }
        out->count++;
    }
    /* no two tensors may share bytes */
    if (out->count > 1) {
        const dcl_st_tensor **order = malloc((size_t)out->count * sizeof *order);
        if (!order) {
            st = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
            goto fail;
        }
        for (int i = 0; i < out->count; i++)
            order[i] = &out->tensors[i];
        qsort(order, (size_t)out->count, sizeof *order, cmp_offset);
        for (int i = 1; i < out->count; i++)
            if (order[i]->nbytes && order[i - 1]->nbytes &&
                order[i]->data < order[i - 1]->data + order[i - 1]->nbytes) {
                st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensors %s and %s overlap", path, order[i - 1]->name,
                              order[i]->name);
                free(order);
                goto fail;
            }
        free(order);
    }
    cJSON_Delete(root);
    return DCL_OK;
fail:
    cJSON_Delete(root);
    dcl_st_close(out);
    return st;
}

void dcl_checkpoint_close(dcl_checkpoint *ck)
{
    if (!ck)
        return;
    for (int i = 0; i < ck->nfiles; i++)
        dcl_st_close(&ck->files[i]);
    free(ck->files);
    free(ck);
}

static dcl_status open_sharded(const char *dir, const char *index_path, dcl_checkpoint *ck)
{
    char *text;
    size_t len;
    dcl_status st = dcl_read_file(NULL, index_path, &text, &len);
    if (st != DCL_OK)
        return st;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    cJSON *map = root ? cJSON_GetObjectItemCaseSensitive(root, "weight_map") : NULL;
    if (!cJSON_IsObject(map)) {
        cJSON_Delete(root);
        return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: no \"weight_map\" object", index_path);
    }
    int n = cJSON_GetArraySize(map);
    ck->files = calloc((size_t)(n ? n : 1), sizeof *ck->files);
    if (!ck->files) {
        cJSON_Delete(root);
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (cJSON *it = map->child; it; it = it->next) {
        if (!cJSON_IsString(it) || strchr(it->valuestring, '/') || !strcmp(it->valuestring, "..")) {
            cJSON_Delete(root);
            return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: bad shard name for %s", index_path, it->string);
        }
        int seen = 0;
        char *p = dcl_path_join(dir, it->valuestring);
        if (!p) {
            cJSON_Delete(root);
            return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        }
        for (int i = 0; i < ck->nfiles && !seen; i++)
            seen = !strcmp(ck->files[i].path, p);
        if (!seen) {
            st = dcl_st_open(p, &ck->files[ck->nfiles]);
            if (st != DCL_OK) {
                free(p);
                cJSON_Delete(root);
                return st;
            }
            ck->nfiles++;
        }
        free(p);
    }
    /* every tensor the index names must be in a shard */
    for (cJSON *it = map->child; it; it = it->next)
        if (!dcl_checkpoint_find(ck, it->string)) {
            st = dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensor %s is not in its shard %s", index_path, it->string,
                          it->valuestring);
            cJSON_Delete(root);
            return st;
        }
    cJSON_Delete(root);
    return DCL_OK;
}

dcl_status dcl_checkpoint_open(const char *dir, dcl_checkpoint **out)
{
    *out = NULL;
    dcl_checkpoint *ck = calloc(1, sizeof *ck);
    if (!ck)
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    char *single = dcl_path_join(dir, "model.safetensors");
    char *index = dcl_path_join(dir, "model.safetensors.index.json");
    char *bin = dcl_path_join(dir, "pytorch_model.bin");
    char *bin_index = dcl_path_join(dir, "pytorch_model.bin.index.json");
    dcl_status st;
    if (!single || !index || !bin || !bin_index) {
        st = dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    } else if (dcl_file_exists(single)) {
        ck->files = calloc(1, sizeof *ck->files);
        st = ck->files ? dcl_st_open(single, &ck->files[0]) : dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        if (st == DCL_OK)
            ck->nfiles = 1;
    } else if (dcl_file_exists(index)) {
        st = open_sharded(dir, index, ck);
    } else if (dcl_file_exists(bin) || dcl_file_exists(bin_index)) {
        st = dcl_fail(NULL, DCL_ERR_FORMAT,
                      "%s holds only %s (Python pickles, which debertacl does not read); convert them with: "
                      "debertacl-convert-checkpoint %s (installed with the debertacl program; "
                      "python3 tools/convert_checkpoint.py in the source tree)",
                      dir, dcl_file_exists(bin) ? "pytorch_model.bin" : "pytorch_model.bin.index.json and its shards",
                      dir);
    } else {
        st = dcl_fail(NULL, DCL_ERR_IO, "%s: no model.safetensors or model.safetensors.index.json", dir);
    }
    free(single);
    free(index);
    free(bin);
    free(bin_index);
    if (st != DCL_OK) {
        dcl_checkpoint_close(ck);
        return st;
    }
    for (int i = 0; i < ck->nfiles; i++)
        ck->total_bytes += ck->files[i].size;
    *out = ck;
    return DCL_OK;
}

const dcl_st_tensor *dcl_checkpoint_find(const dcl_checkpoint *ck, const char *name)
{
    for (int f = 0; f < ck->nfiles; f++)
        for (int i = 0; i < ck->files[f].count; i++)
            if (!strcmp(ck->files[f].tensors[i].name, name))
                return &ck->files[f].tensors[i];
    return NULL;
}

float dcl_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400u)) {
                mant <<= 1;
                exp--;
            }
            mant &= 0x3ffu;
            bits = sign | (exp << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float dcl_bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

dcl_status dcl_st_to_f32(const dcl_st_tensor *t, float *out)
{
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case DCL_DT_F32:
        memcpy(out, p, t->nbytes); /* safetensors is little-endian, as is every host we build for */
        return DCL_OK;
    case DCL_DT_F16:
        for (uint64_t i = 0; i < t->numel; i++)
            out[i] = dcl_half_to_float((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)));
        return DCL_OK;
    case DCL_DT_BF16:
        for (uint64_t i = 0; i < t->numel; i++)
            out[i] = dcl_bf16_to_float((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)));
        return DCL_OK;
    default:
        return dcl_fail(NULL, DCL_ERR_FORMAT, "%s: tensor %s: dtype %s is not F32, F16 or BF16", t->file, t->name,
                        t->dtype_name);
    }
}

dcl_status dcl_st_write_f32(const char *path, int count, const char *const *names, const int *ndims,
                            const int64_t *const *shapes, const float *const *data)
{
    cJSON *hdr = cJSON_CreateObject();
    if (!hdr)
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    uint64_t off = 0;
    for (int i = 0; i < count; i++) {
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
    char *text = cJSON_PrintUnformatted(hdr);
    cJSON_Delete(hdr);
    if (!text)
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    size_t tlen = strlen(text), padded = (tlen + 7) / 8 * 8;
    size_t total = 8 + padded + (size_t)off;
    unsigned char *buf = malloc(total);
    if (!buf) {
        free(text);
        return dcl_fail(NULL, DCL_ERR_OUT_OF_MEMORY, "out of memory (%zu bytes)", total);
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
        memcpy(buf + pos, data[i], (size_t)numel * 4);
        pos += (size_t)numel * 4;
    }
    dcl_status st = dcl_write_file_atomic(NULL, path, buf, total);
    free(buf);
    return st;
}
