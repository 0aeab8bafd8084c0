/* The coordinator's step update (update.c); native addon only, not part of the WebAssembly build. */
#ifndef GS_UPDATE_H
#define GS_UPDATE_H
#include <stddef.h>
#include <stdint.h>

/* out = parts[0] + parts[1] + … in that order (float adds); zeros for no parts; parts[0] may be out. */
void gs_sum_gradients(const float* const* parts, ptrdiff_t part_count, float* out, ptrdiff_t n);

/*
 * grad regularised and scaled in place: (g + λ2·w + (λ1/2)·sign(w))·scale on each row's weights,
 * g·scale on its bias. rows holds [start, end) of each row's weights after its bias, row_pairs of
 * them, covering the parameters contiguously. Writes Σw² and Σ|w| to sums[0] and sums[1].
 */
void gs_finish_gradient(const int32_t* rows, ptrdiff_t row_pairs, const float* params, float* grad, double l1, double l2, double scale, double* sums);

/* One SGD step with classical or Nesterov momentum (optimizers/sgd.ts). */
void gs_sgd_step(float* params, const float* grad, float* velocity, ptrdiff_t n, double lr, double alpha, int nesterov);

/*
 * One Adam step (optimizers/adam.ts): correction1 = 1 − β1^t and correction2 = 1 − β2^t from the
 * caller's running products; decay = 1 − η·weightDecay (AdamW), exactly 1 for Adam.
 */
void gs_adam_step(float* params, const float* grad, float* m, float* v, ptrdiff_t n, double lr, double beta1, double beta2, double eps, double correction1,
                  double correction2, double decay);

#endif
