/* SPDX-License-Identifier: Apache-2.0 */
/* Tests that need one GEMM route whatever the device's tuning says (CLBlast on a CPU driver, or
 * cl/gemm_cpu.cl under Oclgrind) set the resolved routes of their context directly. */
#ifndef DCL_TEST_FORCE_ROUTE_H
#define DCL_TEST_FORCE_ROUTE_H

#include "context.h"
#include "tuning_state.h"

/* Sets both GEMM routes (DCL_GEMM_ROUTE_*); returns the previous A·Bᵀ route. */
static inline long dcl_test_force_gemm_route(dcl_context *ctx, long route)
{
    long old = ctx->tuning->value[DCL_T_GEMM_ROUTE_NT];
    ctx->tuning->value[DCL_T_GEMM_ROUTE_NT] = route;
    ctx->tuning->value[DCL_T_GEMM_ROUTE_NN] = route;
    ctx->gemm_own = route == DCL_GEMM_ROUTE_OWN;
    return old;
}

#endif
