/* SPDX-License-Identifier: Apache-2.0 */
/* OpenCL runtime: platforms, devices, device facts, device specs, contexts. Internal. */
#ifndef DCL_HOST_RUNTIME_H
#define DCL_HOST_RUNTIME_H

#include <CL/cl.h>

#include "context.h"

/* One enumerated device. */
typedef struct dcl_device_ref {
    cl_platform_id platform;
    cl_device_id device;
    int platform_index, device_index;
} dcl_device_ref;

/* Lists every device of every platform (malloc'd array; free() it). 0 devices is not an error. */
dcl_status dcl_runtime_devices(dcl_device_ref **refs, int *count);

/* Reads the facts of one device. */
dcl_status dcl_runtime_device_info(cl_platform_id platform, cl_device_id device, dcl_device_info *info);

/* Normalised short vendor name from the vendor and platform strings. */
void dcl_vendor_short(const char *vendor, const char *platform, char *out, size_t size);

/* Parses and resolves a spec against an explicit list of device facts (n of them) — the part of
 * dcl_device_select that needs no OpenCL, so tests can check it on made-up device lists. */
dcl_status dcl_spec_resolve(const char *spec, const dcl_device_info *infos, int n, int *index);

/* The program cache folder for a context_params cache_dir value (malloc'd; NULL: off). */
char *dcl_default_cache_dir(const char *param);

dcl_status dcl_context_create_impl(const dcl_context_params *params, dcl_context **out);
void dcl_context_free_impl(dcl_context *ctx);

#endif
