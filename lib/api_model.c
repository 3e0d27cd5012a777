/* SPDX-License-Identifier: Apache-2.0 */
/* Public API: models. */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "util.h"

dcl_model_params dcl_model_default_params(void)
{
    dcl_model_params p;
    memset(&p, 0, sizeof p);
    p.progress_bytes = 256u << 20;
    return p;
}

dcl_status dcl_model_load(dcl_context *ctx, const char *path, const dcl_model_params *params, dcl_model **out)
{
    if (out)
        *out = NULL;
    if (!ctx || !path || !out)
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_model_load: NULL argument");
    dcl_model_params def = dcl_model_default_params();
    dcl_clear_error();
    dcl_context_set_error(ctx, "");
    return dcl_model_load_impl(ctx, path, params ? params : &def, out);
}

dcl_status dcl_model_synthesize(dcl_context *ctx, const char *preset_or_config, const dcl_model_params *params,
                                dcl_model **out)
{
    if (out)
        *out = NULL;
    if (!ctx || !preset_or_config || !out)
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_model_synthesize: NULL argument");
    dcl_model_params def = dcl_model_default_params();
    dcl_clear_error();
    dcl_context_set_error(ctx, "");
    return dcl_model_synthesize_impl(ctx, preset_or_config, params ? params : &def, out);
}

void dcl_model_free(dcl_model *model) { dcl_model_free_impl(model); }

dcl_status dcl_model_get_info(const dcl_model *m, dcl_model_info *info)
{
    if (!m || !info)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_model_get_info: NULL argument");
    memset(info, 0, sizeof *info);
    const dcl_config *c = &m->cfg;
    info->version = c->version;
    dcl_strlcpy(info->model_type, c->model_type, sizeof info->model_type);
    dcl_strlcpy(info->architecture, c->architecture, sizeof info->architecture);
    info->vocab_size = c->vocab_size;
    info->hidden_size = c->hidden_size;
    info->num_layers = c->num_layers;
    info->num_heads = c->num_heads;
    info->head_size = c->head_size;
    info->intermediate_size = c->intermediate_size;
    info->embedding_size = c->embedding_size;
    info->max_position_embeddings = c->max_position_embeddings;
    info->type_vocab_size = c->type_vocab_size;
    info->position_buckets = c->position_buckets;
    info->max_relative_positions = c->max_relative_positions;
    info->num_labels = m->cls_out && !(m->heads & DCL_HEAD_MULTIPLE_CHOICE) ? m->cls_out : c->num_labels;
    info->heads = m->heads;
    info->parameters = m->parameters;
    info->device_bytes = m->device_bytes;
    info->synthetic = m->synthetic;
    return DCL_OK;
}

const char *dcl_model_label(const dcl_model *m, int index)
{
    if (!m || index < 0)
        return NULL;
    if (index < m->cfg.num_labels)
        return m->cfg.labels[index];
    return NULL;
}
