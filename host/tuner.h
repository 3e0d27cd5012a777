/* SPDX-License-Identifier: Apache-2.0 */
/* The tuner behind dcl_tune (host/tuner.c). Internal. */
#ifndef DCL_HOST_TUNER_H
#define DCL_HOST_TUNER_H

#include "debertacl.h"

dcl_status dcl_tuner_run(dcl_context *ctx, const dcl_tune_params *params, dcl_tune_result *result);

#endif
