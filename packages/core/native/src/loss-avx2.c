/*
 * The sigmoid + binary cross-entropy output loss (loss.c's GS_LOSS_SIGMOID_BCE) four doubles at a
 * time for native-avx2: at 784-50-10 batch 200 the scalar loss, an exp and a log1p per element,
 * was a sixth of the step (scripts/bench-step-share.mjs). Bit for bit the scalar code: the same
 * IEEE operations in the same order as gs_exp and gs_log1p (gs-math.h) on each lane, compiled for
 * AVX2 without FMA so that no product is fused into a sum, and the total added element by element
 * in the scalar order. Lanes the vector path does not cover (exp's two-factor scaling below
 * −690, NaN) send their group of four to the scalar code.
 */
#include "gs-math.h"
#include "gs.h"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* No "fma": the compiler may then not contract a·b + c, which would change the rounding. */
#define GS_AVX2_NOFMA __attribute__((target("avx2")))

/* One element of loss.c's BCE branch, written as there. */
GS_AVX2_NOFMA static inline double bce_one(float z, double t, float* a, float* d) {
  const double zj = z;
  const double e = gs_exp(zj < 0 ? zj : -zj);
  const double aj = zj >= 0 ? 1 / (1 + e) : e / (1 + e);
  *a = (float)aj;
  if (d != NULL) *d = (float)(aj - t);
  return (zj > 0 ? zj + gs_log1p(e) : gs_log1p(e)) - t * zj;
}

#define SET(x) _mm256_set1_pd(x)

/* gs_exp for x in [−690, 0] (no NaN, no two-factor scaling), lane for lane. */
GS_AVX2_NOFMA static inline __m256d exp_pd(__m256d x) {
  const __m256d shifter = SET(0x1.8p52);
  const __m256d t = _mm256_add_pd(_mm256_mul_pd(x, SET(GS_INV_LN2)), shifter);
  const __m256d kd = _mm256_sub_pd(t, shifter);
  /* t = 1.5·2^52 + k exactly, so its bits minus the shifter's are k. */
  const __m256i k = _mm256_sub_epi64(_mm256_castpd_si256(t), _mm256_castpd_si256(shifter));
  const __m256d r = _mm256_sub_pd(_mm256_sub_pd(x, _mm256_mul_pd(kd, SET(GS_LN2_HI))), _mm256_mul_pd(kd, SET(GS_LN2_LO)));
  __m256d p = SET(1.0 / 6227020800.0);
  p = _mm256_add_pd(_mm256_mul_pd(p, r), SET(1.0 / 479001600.0));
  p = _mm256_add_pd(_mm256_mul_pd(p, r), SET(1.0 / 39916800.0));
  p = _mm256_add_pd(_mm256_mul_pd(p, r), SET(1.0 / 3628800.0));
  p = _mm256_add_pd(_mm256_mul_pd(p, r), SET(1.0 / 362880.0));
  p = _mm256_add_pd(_mm256_mul_pd(p, r), SET(1.0 / 40320.0));
  p = _mm256_add_pd(_mm256_mul_pd(p, r), SET(1.0 / 5040.0));
  p = _mm256_add_pd(_mm256_mul_pd(p, r), SET(1.0 / 720.0));
  p = _mm256_add_pd(_mm256_mul_pd(p, r), SET(1.0 / 120.0));
  p = _mm256_add_pd(_mm256_mul_pd(p, r), SET(1.0 / 24.0));
  p = _mm256_add_pd(_mm256_mul_pd(p, r), SET(1.0 / 6.0));
  p = _mm256_add_pd(_mm256_mul_pd(p, r), SET(0.5));
  const __m256d y = _mm256_add_pd(SET(1.0), _mm256_add_pd(r, _mm256_mul_pd(_mm256_mul_pd(r, r), p)));
  const __m256i scale = _mm256_slli_epi64(_mm256_add_epi64(k, _mm256_set1_epi64x(1023)), 52);
  return _mm256_mul_pd(y, _mm256_castsi256_pd(scale));
}

/* gs_log1p(e) for e in [0, 1], with u = 1 + e given: gs_log(u) for u in [1, 2], corrected. */
GS_AVX2_NOFMA static inline __m256d log1p_pd(__m256d e, __m256d u) {
  const __m256d one = SET(1.0);
  const __m256d two = _mm256_cmp_pd(u, SET(2.0), _CMP_GE_OQ); /* exponent 1, else 0 */
  __m256d m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(_mm256_castpd_si256(u), _mm256_set1_epi64x(0x000fffffffffffffll)),
                                                  _mm256_castpd_si256(one)));
  const __m256d halve = _mm256_cmp_pd(m, SET(0x1.6a09e667f3bcdp0), _CMP_GT_OQ);
  m = _mm256_blendv_pd(m, _mm256_mul_pd(m, SET(0.5)), halve);
  const __m256d ed = _mm256_add_pd(_mm256_and_pd(two, one), _mm256_and_pd(halve, one));
  const __m256d f = _mm256_sub_pd(m, one);
  const __m256d s = _mm256_div_pd(f, _mm256_add_pd(SET(2.0), f));
  const __m256d s2 = _mm256_mul_pd(s, s);
  __m256d q = SET(1.0 / 25);
  q = _mm256_add_pd(_mm256_mul_pd(q, s2), SET(1.0 / 23));
  q = _mm256_add_pd(_mm256_mul_pd(q, s2), SET(1.0 / 21));
  q = _mm256_add_pd(_mm256_mul_pd(q, s2), SET(1.0 / 19));
  q = _mm256_add_pd(_mm256_mul_pd(q, s2), SET(1.0 / 17));
  q = _mm256_add_pd(_mm256_mul_pd(q, s2), SET(1.0 / 15));
  q = _mm256_add_pd(_mm256_mul_pd(q, s2), SET(1.0 / 13));
  q = _mm256_add_pd(_mm256_mul_pd(q, s2), SET(1.0 / 11));
  q = _mm256_add_pd(_mm256_mul_pd(q, s2), SET(1.0 / 9));
  q = _mm256_add_pd(_mm256_mul_pd(q, s2), SET(1.0 / 7));
  q = _mm256_add_pd(_mm256_mul_pd(q, s2), SET(1.0 / 5));
  q = _mm256_add_pd(_mm256_mul_pd(q, s2), SET(1.0 / 3));
  const __m256d hfsq = _mm256_mul_pd(_mm256_mul_pd(SET(0.5), f), f);
  const __m256d logm =
      _mm256_sub_pd(f, _mm256_sub_pd(hfsq, _mm256_mul_pd(s, _mm256_add_pd(hfsq, _mm256_mul_pd(_mm256_mul_pd(SET(2.0), s2), q)))));
  const __m256d log_u = _mm256_add_pd(_mm256_mul_pd(ed, SET(GS_LN2_HI)), _mm256_add_pd(logm, _mm256_mul_pd(ed, SET(GS_LN2_LO))));
  const __m256d corrected = _mm256_mul_pd(log_u, _mm256_div_pd(e, _mm256_sub_pd(u, one)));
  return _mm256_blendv_pd(corrected, e, _mm256_cmp_pd(u, one, _CMP_EQ_OQ));
}

GS_AVX2_NOFMA double gs_output_loss_bce_avx2_f32(const float* z, float* a, float* delta, ptrdiff_t rows, ptrdiff_t k,
                                                  const int32_t* labels) {
  const ptrdiff_t n = rows * k;
  double total = 0;
  ptrdiff_t r = 0, j = 0; /* row and column of element i */
  ptrdiff_t i = 0;
  _Alignas(32) double t4[4], term[4];
  for (; i + 4 <= n; i += 4) {
    for (int l = 0; l < 4; l++) {
      t4[l] = j == labels[r] ? 1.0 : 0.0;
      if (++j == k) j = 0, r++;
    }
    const __m256d zj = _mm256_cvtps_pd(_mm_loadu_ps(z + i));
    const __m256d x = _mm256_or_pd(zj, SET(-0.0)); /* −|z|, as zj < 0 ? zj : −zj */
    if (_mm256_movemask_pd(_mm256_cmp_pd(x, SET(-690.0), _CMP_GE_OQ)) != 0xF) {
      for (int l = 0; l < 4; l++) total += bce_one(z[i + l], t4[l], a + i + l, delta != NULL ? delta + i + l : NULL);
      continue;
    }
    const __m256d e = exp_pd(x);
    const __m256d u = _mm256_add_pd(SET(1.0), e);
    const __m256d nonneg = _mm256_cmp_pd(zj, _mm256_setzero_pd(), _CMP_GE_OQ);
    const __m256d aj = _mm256_div_pd(_mm256_blendv_pd(e, SET(1.0), nonneg), u);
    const __m256d l1p = log1p_pd(e, u);
    const __m256d pos = _mm256_cmp_pd(zj, _mm256_setzero_pd(), _CMP_GT_OQ);
    const __m256d t = _mm256_load_pd(t4);
    const __m256d softplus = _mm256_blendv_pd(l1p, _mm256_add_pd(zj, l1p), pos);
    _mm256_store_pd(term, _mm256_sub_pd(softplus, _mm256_mul_pd(t, zj)));
    _mm_storeu_ps(a + i, _mm256_cvtpd_ps(aj));
    if (delta != NULL) _mm_storeu_ps(delta + i, _mm256_cvtpd_ps(_mm256_sub_pd(aj, t)));
    total += term[0];
    total += term[1];
    total += term[2];
    total += term[3];
  }
  for (; i < n; i++) {
    total += bce_one(z[i], j == labels[r] ? 1.0 : 0.0, a + i, delta != NULL ? delta + i : NULL);
    if (++j == k) j = 0, r++;
  }
  return total;
}

#else
double gs_output_loss_bce_avx2_f32(const float* z, float* a, float* delta, ptrdiff_t rows, ptrdiff_t k, const int32_t* labels) {
  return gs_output_loss_f32(GS_LOSS_SIGMOID_BCE, z, a, delta, rows, k, labels);
}
#endif
