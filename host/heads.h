/* SPDX-License-Identifier: Apache-2.0 */
/* Task heads on the device after the encoder: masked LM (with the original enhanced mask
 * decoder), sequence / token classification, question answering, multiple choice and pooled
 * embeddings; and the host-side post-processing (top-k, answer spans, entity grouping).
 *
 * Every device function runs the encoder with dcl_encoder_run(finish = 0), enqueues the head
 * back to back on the same queue, and waits once. The head workspace is allocated at the first
 * head call of a session, sized for the session's max_batch x max_length, and kept in
 * s->heads_ws. Arguments are checked by the callers (lib/api_heads.c) except the batch, which is
 * checked here before anything is enqueued. Internal. */
#ifndef DCL_HOST_HEADS_H
#define DCL_HOST_HEADS_H

#include "encoder.h"

/* logits[n, V] at flat positions pos[i] = row * L + column (pos NULL: every position, n = B*L).
 * emd: 1 runs the enhanced mask decoder first (the model must have DCL_HEAD_EMD). */
dcl_status dcl_heads_mlm(dcl_session *s, const dcl_batch *b, const int32_t *pos, int n, int emd, float *out);

/* The enhanced mask decoder's output states [B, L, H] (what the MLM head reads with emd = 1). */
dcl_status dcl_heads_emd_hidden(dcl_session *s, const dcl_batch *b, float *out);

/* Pooler on the first token, then the classifier: out[B, cls_out]. */
dcl_status dcl_heads_pooled(dcl_session *s, const dcl_batch *b, float *out);

/* Per-token classifier: out[B, L, cls_out]. */
dcl_status dcl_heads_token(dcl_session *s, const dcl_batch *b, float *out);

/* start[B, L] and end[B, L] logits of qa_outputs. */
dcl_status dcl_heads_qa(dcl_session *s, const dcl_batch *b, float *start, float *end);

/* Sentence embedding out[B, H]: pooling 0 = first token, 1 = mean over real tokens; normalize:
 * L2-normalise each row. */
dcl_status dcl_heads_embed(dcl_session *s, const dcl_batch *b, int pooling, int normalize, float *out);

/* Host-side post-processing behind dcl_softmax, dcl_top_k, dcl_qa_best_span and
 * dcl_group_entities (arguments checked by the callers). */
void dcl_heads_softmax(const float *logits, int n, float *probs);
void dcl_heads_top_k(const float *logits, int n, int k, int32_t *indices, float *probs);
dcl_status dcl_heads_best_span(const float *start, const float *end, int n, const int32_t *allowed, int max_len,
                               dcl_span *span);
dcl_status dcl_heads_group(const dcl_model *m, const float *logits, int length, const int32_t *skip,
                           const size_t *offsets, dcl_entity *out, int capacity, int *count);

#endif
