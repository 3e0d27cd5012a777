/* SPDX-License-Identifier: Apache-2.0 */
/* The device peak probe (cl/peak.cl) and its cache file. Internal. */
#ifndef DCL_HOST_PEAK_H
#define DCL_HOST_PEAK_H

#include "context.h"

/* Reads the peak from the context's cache folder, or measures it (refresh != 0: always) and
 * writes the cache file (peak-<key>.json; the key hashes the platform, device, driver, library
 * version and the probe's source). */
dcl_status dcl_peak_get(dcl_context *ctx, int refresh, dcl_device_peak *out);

#endif
