/*
 * Output layer and loss, fused (the native twin of src/losses.ts's outputLoss, same formulas in
 * double precision): from z_L compute a_L, Σℓ and delta_L = ∂ℓ/∂z_L with one-hot targets built
 * from integer labels. Per element one exp, shared by the sigmoid and the softplus:
 * σ(z) and log(1 + e^z) both come from e = exp(−|z|), so no exp of a large number is taken.
 * Written once for float and double storage (T, SUF). exp and log are the kernels' own
 * (gs-math.h), never libm's, so no bit depends on the C library.
 */
#include "gs-math.h"
#include "gs.h"

#define GS_LOSS_BODY(T)                                                                          \
  double total = 0;                                                                              \
  for (ptrdiff_t r = 0; r < rows; r++) {                                                         \
    const int32_t y = labels[r];                                                                 \
    const T* zr = z + r * k;                                                                     \
    T* ar = a + r * k;                                                                           \
    T* dr = delta != NULL ? delta + r * k : NULL;                                                \
    if (kind == GS_LOSS_SOFTMAX_CE) {                                                            \
      double max = -gs_from_bits_(0x7ff0000000000000ull), sum = 0;                               \
      for (ptrdiff_t j = 0; j < k; j++)                                                          \
        if (zr[j] > max) max = zr[j];                                                            \
      for (ptrdiff_t j = 0; j < k; j++) {                                                        \
        const double e = gs_exp((double)zr[j] - max);                                            \
        ar[j] = (T)e;                                                                            \
        sum += e;                                                                                \
      }                                                                                          \
      for (ptrdiff_t j = 0; j < k; j++) ar[j] = (T)((double)ar[j] / sum);                        \
      total += max + gs_log(sum) - (double)zr[y];                                                \
      if (dr != NULL)                                                                            \
        for (ptrdiff_t j = 0; j < k; j++) dr[j] = (T)((double)ar[j] - (j == y ? 1.0 : 0.0));     \
      continue;                                                                                  \
    }                                                                                            \
    for (ptrdiff_t j = 0; j < k; j++) {                                                          \
      const double zj = zr[j], t = j == y ? 1.0 : 0.0;                                           \
      double aj = zj, e = 0;                                                                     \
      if (kind != GS_LOSS_IDENTITY_MSE) {                                                        \
        e = gs_exp(zj < 0 ? zj : -zj);                                                           \
        aj = zj >= 0 ? 1 / (1 + e) : e / (1 + e);                                                \
      }                                                                                          \
      ar[j] = (T)aj;                                                                             \
      if (kind == GS_LOSS_SIGMOID_BCE) {                                                         \
        /* −[t log σ(z) + (1−t) log(1−σ(z))] = softplus(z) − t·z */                            \
        total += (zj > 0 ? zj + gs_log1p(e) : gs_log1p(e)) - t * zj;                             \
        if (dr != NULL) dr[j] = (T)(aj - t);                                                     \
      } else {                                                                                   \
        const double diff = aj - t;                                                              \
        total += 0.5 * diff * diff;                                                              \
        if (dr != NULL) dr[j] = (T)(kind == GS_LOSS_SIGMOID_MSE ? diff * aj * (1 - aj) : diff);  \
      }                                                                                          \
    }                                                                                            \
  }                                                                                              \
  return total;

double gs_output_loss_f32(int kind, const float* z, float* a, float* delta, ptrdiff_t rows, ptrdiff_t k, const int32_t* labels) {
  GS_LOSS_BODY(float)
}

double gs_output_loss_f64(int kind, const double* z, double* a, double* delta, ptrdiff_t rows, ptrdiff_t k, const int32_t* labels) {
  GS_LOSS_BODY(double)
}
