/* SPDX-License-Identifier: Apache-2.0 */
/* The resolved tuning of one context and the profile records it is made from. Internal. */
#ifndef DCL_HOST_TUNING_STATE_H
#define DCL_HOST_TUNING_STATE_H

#include <limits.h>

#include "tuning.h"

/* A profile does not name this tunable. */
#define DCL_TUNING_NOT_NAMED LONG_MIN

#define DCL_TUNING_MAX_LEVELS 16

/* One level of the hierarchy: the fields it names, and which devices it applies to. */
typedef struct dcl_profile {
    char label[200];  /* "cpu", "pocl", "user:/home/me/x.json", ... */
    char origin[512]; /* where it came from, for messages */
    int user;         /* 0: shipped, 1: the tuner's results in the cache folder, 2: $DEBERTACL_PROFILE_PATH */
    int tuned;        /* 0: a starting point not measured on such hardware */
    int type;         /* dcl_device_type to match, or -1 for any */
    char vendor[32];  /* vendor_short to match (case-insensitive), "" for any */
    char platform[128];     /* substring of the platform name, "" for any */
    char architecture[64];  /* prefix of the architecture ("SM9", "gfx11"), "" for any */
    char name[256];         /* substring of the device name, "" for any */
    long value[DCL_T_COUNT]; /* DCL_TUNING_NOT_NAMED where the profile is silent */
} dcl_profile;

typedef struct dcl_tuning_state {
    long value[DCL_T_COUNT];
    signed char source[DCL_T_COUNT]; /* index into level[], -1: built-in default */
    int levels;
    char level[DCL_TUNING_MAX_LEVELS][200];
    int level_tuned[DCL_TUNING_MAX_LEVELS];
    char chain[DCL_TUNING_MAX_LEVELS * 204]; /* "defaults < cpu < pocl < user:..." */
} dcl_tuning_state;

/* Starts a resolution at the built-in defaults; applies one level on top; empties a profile. */
void dcl_tuning_reset(dcl_tuning_state *t);
void dcl_tuning_apply(dcl_tuning_state *t, const dcl_profile *p);
void dcl_profile_init(dcl_profile *p, const char *label);

/* Clamps the work-group tunables to the device (power of two, at most its maximum). */
void dcl_tuning_fit(const dcl_context *ctx, long *values);

#endif
