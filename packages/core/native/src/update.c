/*
 * The coordinator's per-step update in one pass over the parameters (core's step-update.ts has
 * the same arithmetic in TypeScript and says what it is): sum the shard gradients in shard
 * order, regularise and reduce, then the momentum step. The result must be bit-identical to the
 * TypeScript, whichever of the two runs, so every operation is the one JavaScript performs: float
 * adds for the shard sums (a double add rounded to float gives the same bits), everything else in
 * double rounded to float at each store, the penalty sums in double in cost.ts's order, and no
 * fused multiply-add: contraction is switched off for this file.
 */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include <math.h>
#include <string.h>

#include "update.h"

/* Parameters per block: a block of every buffer involved stays in a core's L2 cache. */
#define GS_UPDATE_BLOCK 8192

/* Math.sign: ±1, or w itself for ±0 and NaN. The rare case is the branch, so a run of random
 * signs costs no mispredictions, as a branch on the sign itself would about every other weight
 * (scripts/bench-step-update.mjs, l1+l2 rows). */
static inline double js_sign(double w) { return (w == 0 || w != w) ? w : copysign(1.0, w); }

/* Σw² and Σ|w| of params[start, end) in cost.ts's order (rowSquares, rowAbsolutes): four partial
 * sums, element i to partial (i − start) mod 4, combined as (p0 + p1) + (p2 + p3). */
static double row_squares(const float* params, ptrdiff_t start, ptrdiff_t end) {
  double p[4] = {0, 0, 0, 0};
  ptrdiff_t i = start;
  for (; i + 4 <= end; i += 4) {
    for (int k = 0; k < 4; k++) {
      const double w = params[i + k];
      p[k] += w * w;
    }
  }
  for (int k = 0; i < end; k++, i++) {
    const double w = params[i];
    p[k] += w * w;
  }
  return (p[0] + p[1]) + (p[2] + p[3]);
}

static double row_absolutes(const float* params, ptrdiff_t start, ptrdiff_t end) {
  double p[4] = {0, 0, 0, 0};
  ptrdiff_t i = start;
  for (; i + 4 <= end; i += 4) {
    for (int k = 0; k < 4; k++) p[k] += fabs((double)params[i + k]);
  }
  for (int k = 0; i < end; k++, i++) p[k] += fabs((double)params[i]);
  return (p[0] + p[1]) + (p[2] + p[3]);
}

void gs_step_update(const int32_t* rows, ptrdiff_t row_pairs, const float* const* parts, ptrdiff_t part_count, float* grad, float* params, float* velocity,
                    double l1, double l2, double scale, double lr, double alpha, int nesterov, double* sums) {
  const double half = l1 / 2;
  double sq = 0, abs_sum = 0;
  for (ptrdiff_t q = 0; q < 2 * row_pairs;) {
    const ptrdiff_t from = rows[q] - 1;
    ptrdiff_t next = q + 2;
    while (next < 2 * row_pairs && rows[next + 1] - from <= GS_UPDATE_BLOCK) next += 2;
    const ptrdiff_t to = rows[next - 1];

    if (part_count == 0) memset(grad + from, 0, (size_t)(to - from) * sizeof(float));
    else if (parts[0] != grad) memcpy(grad + from, parts[0] + from, (size_t)(to - from) * sizeof(float));
    for (ptrdiff_t s = 1; s < part_count; s++) {
      const float* p = parts[s];
      for (ptrdiff_t i = from; i < to; i++) grad[i] = grad[i] + p[i];
    }

    for (ptrdiff_t r = q; r < next; r += 2) {
      const ptrdiff_t start = rows[r], end = rows[r + 1];
      grad[start - 1] = (float)((double)grad[start - 1] * scale); /* the row's bias: never regularised */
      if (l1 == 0 && l2 == 0) {
        for (ptrdiff_t i = start; i < end; i++) grad[i] = (float)((double)grad[i] * scale);
      } else {
        /* The penalty sums have their own loops, so the gradient loops carry no dependency. */
        sq += row_squares(params, start, end);
        if (l1 == 0) {
          for (ptrdiff_t i = start; i < end; i++) grad[i] = (float)(((double)grad[i] + l2 * (double)params[i]) * scale);
        } else {
          abs_sum += row_absolutes(params, start, end);
          for (ptrdiff_t i = start; i < end; i++) {
            const double w = params[i];
            grad[i] = (float)(((double)grad[i] + (l2 * w + half * js_sign(w))) * scale);
          }
        }
      }
    }

    if (nesterov) {
      for (ptrdiff_t i = from; i < to; i++) {
        const double g = lr * (double)grad[i];
        const float v = (float)(alpha * (double)velocity[i] + g);
        velocity[i] = v;
        params[i] = (float)((double)params[i] - (alpha * (double)v + g));
      }
    } else {
      for (ptrdiff_t i = from; i < to; i++) {
        const float v = (float)(alpha * (double)velocity[i] + lr * (double)grad[i]);
        velocity[i] = v;
        params[i] = (float)((double)params[i] - (double)v);
      }
    }
    q = next;
  }
  sums[0] = sq;
  sums[1] = abs_sum;
}
