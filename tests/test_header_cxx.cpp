/* SPDX-License-Identifier: Apache-2.0 */
// The public header compiles as C++ and links with C linkage.
#include <debertacl.h>

#include <cstdio>
#include <cstring>

int main()
{
    dcl_context_params p = dcl_context_default_params();
    (void)p;
    if (dcl_version_number() != DCL_VERSION_NUMBER)
        return 1;
    if (std::strcmp(dcl_status_string(DCL_OK), "success") != 0)
        return 1;
    dcl_context_free(nullptr);
    std::printf("debertacl %s from C++\n", dcl_version_string());
    return 0;
}
