/* SPDX-License-Identifier: Apache-2.0 */
/* Public API: profiling records and the device peak. */
#include "encoder.h"
#include "peak.h"
#include "util.h"

dcl_status dcl_session_profile(const dcl_session *s, const dcl_profile_record **records, size_t *count)
{
    if (!s || !records || !count)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_session_profile: NULL argument");
    *records = NULL;
    *count = 0;
    if (!s->profile)
        return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT,
                        "dcl_session_profile: the session was not created with params.profile");
    *records = s->prof.rec;
    *count = s->prof.n;
    return DCL_OK;
}

dcl_status dcl_context_peak(dcl_context *ctx, int refresh, dcl_device_peak *peak)
{
    if (!ctx || !peak)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_context_peak: NULL argument");
    dcl_clear_error();
    return dcl_peak_get(ctx, refresh, peak);
}
