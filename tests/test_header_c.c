/* SPDX-License-Identifier: Apache-2.0 */
/* The public header compiles as C11 on its own and its run-time version matches. */
#include <debertacl.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    if (dcl_version_number() != DCL_VERSION_NUMBER || strcmp(dcl_version_string(), DCL_VERSION_STRING) != 0) {
        fprintf(stderr, "version mismatch\n");
        return 1;
    }
    dcl_context_params p = dcl_context_default_params();
    dcl_context_free(NULL);
    return p.cl_context == NULL && strcmp(dcl_status_string(DCL_ERR_BUILD), "kernel build failed") == 0 ? 0 : 1;
}
