/* SPDX-License-Identifier: Apache-2.0 */
/* safetensors reading (mapped, strictly checked) and writing. Internal. */
#ifndef DCL_HOST_SAFETENSORS_H
#define DCL_HOST_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "debertacl.h"

#define DCL_ST_MAX_DIMS 8
#define DCL_ST_MAX_HEADER (100u * 1024u * 1024u)

typedef enum dcl_dtype { DCL_DT_F32 = 0, DCL_DT_F16, DCL_DT_BF16, DCL_DT_OTHER } dcl_dtype;

typedef struct dcl_st_tensor {
    char *name;
    dcl_dtype dtype;
    char dtype_name[8];
    int ndim;
    int64_t shape[DCL_ST_MAX_DIMS];
    uint64_t numel;
    const unsigned char *data; /* inside the mapping */
    size_t nbytes;
    const char *file;          /* path of the file holding it */
} dcl_st_tensor;

typedef struct dcl_st_file {
    char *path;
    void *map;
    size_t size;
    dcl_st_tensor *tensors;
    int count;
} dcl_st_file;

/* One checkpoint: a single file or the shards named by model.safetensors.index.json. */
typedef struct dcl_checkpoint {
    dcl_st_file *files;
    int nfiles;
    uint64_t total_bytes;
} dcl_checkpoint;

/* Opens and checks one .safetensors file. */
dcl_status dcl_st_open(const char *path, dcl_st_file *out);
void dcl_st_close(dcl_st_file *f);

/* Opens the checkpoint in a model folder: model.safetensors, else the sharded index. */
dcl_status dcl_checkpoint_open(const char *dir, dcl_checkpoint **out);
void dcl_checkpoint_close(dcl_checkpoint *ck);
const dcl_st_tensor *dcl_checkpoint_find(const dcl_checkpoint *ck, const char *name);

/* Converts a F32/F16/BF16 tensor to float32. */
dcl_status dcl_st_to_f32(const dcl_st_tensor *t, float *out);
float dcl_half_to_float(uint16_t h);
float dcl_bf16_to_float(uint16_t h);

/* Writes float32 tensors into a safetensors file (atomically). shapes[i] has ndims[i] entries. */
dcl_status dcl_st_write_f32(const char *path, int count, const char *const *names, const int *ndims,
                            const int64_t *const *shapes, const float *const *data);

#endif
