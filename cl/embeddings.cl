/* SPDX-License-Identifier: Apache-2.0 */
/* Embedding lookup: word + optional absolute position + optional token type, summed per token.
 * The LayerNorm and mask multiply that follow run in layernorm.cl. OpenCL C 1.2. */

/* out[t*E+e] = word[ids[t]*E+e] + (use_pos ? pos[(t % L)*E+e] : 0) + (use_type ? type_emb[types[t]*E+e] : 0)
 * Global size (E, T) rounded up to any local size: gid0 = e < E, gid1 = t < T (T = B*L).
 * ids/types are validated on the host; `pos`/`types`/`type_emb` are not read when their flag is 0. */
__kernel void dcl_embed_gather(const uint T, const uint L, const uint E, __global const int *ids,
                               __global const int *types, __global const float *word, __global const float *pos,
                               __global const float *type_emb, const int use_pos, const int use_type,
                               __global float *out)
{
    const uint e = get_global_id(0);
    const uint t = get_global_id(1);
    if (e >= E || t >= T)
        return;
    float v = word[(size_t)ids[t] * E + e];
    if (use_pos)
        v += pos[(size_t)(t % L) * E + e];
    if (use_type)
        v += type_emb[(size_t)types[t] * E + e];
    out[(size_t)t * E + e] = v;
}
