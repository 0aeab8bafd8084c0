/*
 * The coordinator's per-step update, three passes as in TypeScript: the star reducer's sum of the
 * shard gradients in shard order (core's gradient-sum.ts), regularisation and reduction
 * (cost.ts's finishGradient), then one optimizer step (optimizers/sgd.ts, optimizers/adam.ts).
 * Each must be bit-identical to its TypeScript, whichever of the two runs, so every operation is
 * the one JavaScript performs: float adds for the shard sums (a double add rounded to float gives
 * the same bits), everything else in double rounded to float at each store, the penalty sums in
 * double in cost.ts's order, and no fused multiply-add: contraction is switched off for this file.
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

void gs_sum_gradients(const float* const* parts, ptrdiff_t part_count, float* out, ptrdiff_t n) {
  for (ptrdiff_t from = 0; from < n; from += GS_UPDATE_BLOCK) {
    const ptrdiff_t to = from + GS_UPDATE_BLOCK < n ? from + GS_UPDATE_BLOCK : n;
    if (part_count == 0) memset(out + from, 0, (size_t)(to - from) * sizeof(float));
    else if (parts[0] != out) memcpy(out + from, parts[0] + from, (size_t)(to - from) * sizeof(float));
    for (ptrdiff_t s = 1; s < part_count; s++) {
      const float* p = parts[s];
      for (ptrdiff_t i = from; i < to; i++) out[i] = out[i] + p[i];
    }
  }
}

void gs_finish_gradient(const int32_t* rows, ptrdiff_t row_pairs, const float* params, float* grad, double l1, double l2, double scale, double* sums) {
  const double half = l1 / 2;
  double sq = 0, abs_sum = 0;
  for (ptrdiff_t r = 0; r < 2 * row_pairs; r += 2) {
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
  sums[0] = sq;
  sums[1] = abs_sum;
}

void gs_sgd_step(float* params, const float* grad, float* velocity, ptrdiff_t n, double lr, double alpha, int nesterov) {
  if (nesterov) {
    for (ptrdiff_t i = 0; i < n; i++) {
      const double g = lr * (double)grad[i];
      const float v = (float)(alpha * (double)velocity[i] + g);
      velocity[i] = v;
      params[i] = (float)((double)params[i] - (alpha * (double)v + g));
    }
  } else {
    for (ptrdiff_t i = 0; i < n; i++) {
      const float v = (float)(alpha * (double)velocity[i] + lr * (double)grad[i]);
      velocity[i] = v;
      params[i] = (float)((double)params[i] - (double)v);
    }
  }
}

void gs_adam_step(float* params, const float* grad, float* m, float* v, ptrdiff_t n, double lr, double beta1, double beta2, double eps, double correction1,
                  double correction2, double decay) {
  const double ob1 = 1 - beta1, ob2 = 1 - beta2;
  for (ptrdiff_t i = 0; i < n; i++) {
    const double g = grad[i];
    const float mi = (float)(beta1 * (double)m[i] + ob1 * g);
    const float vi = (float)(beta2 * (double)v[i] + ob2 * (g * g));
    m[i] = mi;
    v[i] = vi;
    const double m_hat = (double)mi / correction1, v_hat = (double)vi / correction2;
    params[i] = (float)((double)params[i] * decay - lr * (m_hat / (sqrt(v_hat) + eps)));
  }
}
