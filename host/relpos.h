/* SPDX-License-Identifier: Apache-2.0 */
/* Relative positions: the delta -> slot table shared by every layer and by c2p and p2c. */
#ifndef DCL_HOST_RELPOS_H
#define DCL_HOST_RELPOS_H

#include "config.h"

/* transformers' make_log_bucket_position for one relative distance, in double precision. */
long dcl_log_bucket(long rel, int bucket_size, int max_position);

/* Slot (row of the [2S, .] relative tables) of the pair (i, j) with delta = i - j, as
 * transformers indexes c2p (v1: clamp(max_rel + delta); v2/v3: clamp(bucket(delta) + S)). */
int dcl_rel_slot(const dcl_config *cfg, long delta);

/* Fills slot[delta + L - 1] for delta in [-(L-1), L-1] (2L-1 entries) relative to the smallest
 * slot used, and reports that smallest slot and the number of slots used. */
void dcl_rel_slot_table(const dcl_config *cfg, int L, int *slot, int *slot_min, int *slot_count);

#endif
