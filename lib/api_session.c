/* SPDX-License-Identifier: Apache-2.0 */
/* Public API: sessions and the encoder. */
#include <string.h>

#include "encoder.h"
#include "util.h"

dcl_session_params dcl_session_default_params(void)
{
    dcl_session_params p;
    memset(&p, 0, sizeof p);
    p.max_batch = 8;
    p.max_length = 512;
    return p;
}

dcl_status dcl_session_create(dcl_model *model, const dcl_session_params *params, dcl_session **out)
{
    if (out)
        *out = NULL;
    if (!model || !out)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_session_create: NULL argument");
    dcl_session_params def = dcl_session_default_params();
    dcl_clear_error();
    return dcl_session_create_impl(model, params ? params : &def, out);
}

void dcl_session_free(dcl_session *s) { dcl_session_free_impl(s); }

dcl_status dcl_encode(dcl_session *s, const dcl_batch *b, const dcl_outputs *o)
{
    if (!s || !b)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_encode: NULL argument");
    dcl_clear_error();
    return dcl_encode_impl(s, b, o);
}

dcl_status dcl_session_timings(const dcl_session *s, dcl_timings *t)
{
    if (!s || !t)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_session_timings: NULL argument");
    *t = s->timings;
    return DCL_OK;
}

const char *dcl_session_last_error(const dcl_session *s) { return s ? dcl_context_error_copy(s->ctx) : ""; }
