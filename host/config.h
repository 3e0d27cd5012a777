/* SPDX-License-Identifier: Apache-2.0 */
/* config.json of a DeBERTa model folder, with transformers' defaults. Internal. */
#ifndef DCL_HOST_CONFIG_H
#define DCL_HOST_CONFIG_H

#include "debertacl.h"

/* Activation codes shared with cl/activation.cl. */
enum { DCL_ACT_IDENTITY = 0, DCL_ACT_GELU = 1, DCL_ACT_GELU_TANH = 2, DCL_ACT_RELU = 3, DCL_ACT_TANH = 4,
       DCL_ACT_SIGMOID = 5, DCL_ACT_SILU = 6 };

typedef struct dcl_config {
    int version; /* 1: deberta, 2: deberta-v2 */
    char model_type[32];
    char architecture[64];
    int vocab_size, hidden_size, num_layers, num_heads, head_size, all_head_size, intermediate_size;
    int embedding_size, max_position_embeddings, type_vocab_size;
    float layer_norm_eps;
    int relative_attention, max_relative_positions, position_buckets, position_biased_input;
    int c2p, p2c, scale_factor;
    int share_att_key, norm_rel_ebd;
    int conv_kernel_size, conv_groups, conv_act;
    int hidden_act, pooler_hidden_act, pooler_hidden_size;
    int legacy, pad_token_id;
    int num_labels;
    char **labels; /* num_labels names */
    int att_span;  /* S: relative slots are 2*S */
} dcl_config;

/* Parses config.json text (path is for messages). DCL_ERR_FORMAT for bad JSON or types,
 * DCL_ERR_UNSUPPORTED for values this library does not run. */
dcl_status dcl_config_parse(const char *text, size_t len, const char *path, dcl_config *cfg);
dcl_status dcl_config_load(const char *path_or_dir, dcl_config *cfg);
void dcl_config_free(dcl_config *cfg);
/* Activation code of a transformers ACT2FN name; -1 when unknown. */
int dcl_activation_code(const char *name);

#endif
