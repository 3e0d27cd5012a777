/* SPDX-License-Identifier: Apache-2.0 */
/* The tuning profiles: the shipped ones (profiles/ (JSON files), embedded at build time), the tuner's
 * results (<cache folder>/profiles/) and the user's ($DEBERTACL_PROFILE_PATH, a file or a folder),
 * parsed and resolved into the values of one device. Internal.
 *
 * A profile is a JSON object:
 *   {"description": "...", "tuned": true, "measured": "...",
 *    "match": {"type": "cpu", "vendor": "PoCL", "platform": "...", "architecture": "SM8", "name": "..."},
 *    "parameters": {"LN_WG": 1, "GEMM_ROUTE_NT": "own", ...}}
 * Every match field is optional (absent: any device). The levels apply in this order, each
 * overriding only the parameters it names: built-in defaults, shipped profiles from the least to
 * the most specific match (type < vendor < platform < architecture < name), the tuner's results,
 * then $DEBERTACL_PROFILE_PATH: a user profile beats the shipped ones. */
#ifndef DCL_HOST_PROFILES_H
#define DCL_HOST_PROFILES_H

#include <stddef.h>

#include "tuning_state.h"

typedef struct dcl_embedded_profile {
    const char *name; /* file name, "pocl-cpu.json" */
    const char *source;
    size_t length;
} dcl_embedded_profile;

extern const dcl_embedded_profile dcl_embedded_profiles[];
extern const size_t dcl_embedded_profile_count;

/* Parses one profile. A malformed one is DCL_ERR_FORMAT naming `origin` and the field; an
 * out-of-range value DCL_ERR_RANGE; an unknown field is a warning through log_ctx's log (the
 * process-wide sink when NULL). */
dcl_status dcl_profile_parse(const dcl_context *log_ctx, const char *text, size_t len, const char *origin,
                             const char *label, int user, dcl_profile *out);

/* Whether the profile applies to the device. */
int dcl_profile_matches(const dcl_profile *p, const dcl_device_info *d);

/* Resolves every level for the device into t (reset first). cache_dir: the tuner's results are
 * read from its profiles/ folder (NULL: none). shipped_only: only the defaults and the shipped
 * profiles (what the tuner starts from). */
dcl_status dcl_profiles_resolve(const dcl_context *log_ctx, const dcl_device_info *d, const char *cache_dir,
                                int shipped_only, dcl_tuning_state *t);

/* Writes the tuning t as a profile (JSON text, malloc'd): match, the chain as a description and
 * every parameter. all: every tunable, else only those a level named. */
char *dcl_profile_json(const dcl_tuning_state *t, const dcl_device_info *d, int all, int with_match);

#endif
