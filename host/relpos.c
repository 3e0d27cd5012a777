/* SPDX-License-Identifier: Apache-2.0 */
#include "relpos.h"

#include <math.h>

long dcl_log_bucket(long rel, int bucket_size, int max_position)
{
    long mid = bucket_size / 2;
    long sign = rel > 0 ? 1 : rel < 0 ? -1 : 0;
    long abs_pos = (rel < mid && rel > -mid) ? mid - 1 : (rel < 0 ? -rel : rel);
    if (abs_pos <= mid)
        return rel;
    double log_pos = ceil(log((double)abs_pos / (double)mid) / log((double)(max_position - 1) / (double)mid) *
                          (double)(mid - 1)) + (double)mid;
    return (long)log_pos * sign;
}

static long clampl(long v, long lo, long hi) { return v < lo ? lo : v > hi ? hi : v; }

int dcl_rel_slot(const dcl_config *c, long delta)
{
    if (c->version == 1)
        return (int)clampl(c->max_relative_positions + delta, 0, 2L * c->max_relative_positions - 1);
    long rel = delta;
    if (c->position_buckets > 0 && c->max_relative_positions > 0)
        rel = dcl_log_bucket(delta, c->position_buckets, c->max_relative_positions);
    return (int)clampl(rel + c->att_span, 0, 2L * c->att_span - 1);
}

void dcl_rel_slot_table(const dcl_config *c, int L, int *slot, int *slot_min, int *slot_count)
{
    int lo = dcl_rel_slot(c, -(long)(L - 1)), hi = dcl_rel_slot(c, (long)(L - 1));
    for (long d = -(long)(L - 1); d <= (long)(L - 1); d++)
        slot[d + L - 1] = dcl_rel_slot(c, d) - lo;
    *slot_min = lo;
    *slot_count = hi - lo + 1;
}
