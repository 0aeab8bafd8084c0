/*
 * AVX2/FMA float32 kernels: the 6×16 register-blocked micro-kernel (12 ymm accumulators, two
 * B vectors and one broadcast live, the BLIS Haswell shape) and its 5- and 4-row variants, packers that transpose with 8×8
 * register transposes instead of strided scalar loads, and vectorised sigmoid/tanh/swish.
 * Every function carries a target attribute instead of -mavx2 on the command line, so this file
 * builds in the same target as the portable code and runs only after the CPU check.
 * Row tails go through the same vector code on a padded copy: an element's result never
 * depends on where it sits in a row.
 */
#include "gs.h"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <string.h>

#if GS_NR != 16
#error "the AVX2 kernels are written for 6x16 tiles"
#endif

#define GS_AVX2 __attribute__((target("avx2,fma")))

/* Zeroed accumulators c<row><half>; rows at or past MR stay zero and the compiler drops them. */
#define GS_KERNEL_ZERO                                                                                         \
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps(); \
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(); \
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

/* The MR×16 product of packed panels (MR = 4, 5 or 6, a literal) added into the accumulators,
 * one FMA per element and step in k order: starting from C's values when accumulating, each
 * element's sum is the same chain of FMAs however k is cut into KC panels, so the blocking never
 * moves a bit (architecture §3, reproducible mode across machines with different caches). */
#define GS_KERNEL_LOOP(MR)                                                                                    \
  _Pragma("GCC unroll 4") for (ptrdiff_t p = 0; p < kc; p++) {                                                \
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);                                         \
    __m256 x = _mm256_broadcast_ss(a);                                                                        \
    c00 = _mm256_fmadd_ps(x, b0, c00);                                                                        \
    c01 = _mm256_fmadd_ps(x, b1, c01);                                                                        \
    x = _mm256_broadcast_ss(a + 1);                                                                           \
    c10 = _mm256_fmadd_ps(x, b0, c10);                                                                        \
    c11 = _mm256_fmadd_ps(x, b1, c11);                                                                        \
    x = _mm256_broadcast_ss(a + 2);                                                                           \
    c20 = _mm256_fmadd_ps(x, b0, c20);                                                                        \
    c21 = _mm256_fmadd_ps(x, b1, c21);                                                                        \
    x = _mm256_broadcast_ss(a + 3);                                                                           \
    c30 = _mm256_fmadd_ps(x, b0, c30);                                                                        \
    c31 = _mm256_fmadd_ps(x, b1, c31);                                                                        \
    if ((MR) > 4) {                                                                                           \
      x = _mm256_broadcast_ss(a + 4);                                                                         \
      c40 = _mm256_fmadd_ps(x, b0, c40);                                                                      \
      c41 = _mm256_fmadd_ps(x, b1, c41);                                                                      \
    }                                                                                                         \
    if ((MR) > 5) {                                                                                           \
      x = _mm256_broadcast_ss(a + 5);                                                                         \
      c50 = _mm256_fmadd_ps(x, b0, c50);                                                                      \
      c51 = _mm256_fmadd_ps(x, b1, c51);                                                                      \
    }                                                                                                         \
    a += (MR);                                                                                                \
    b += GS_NR;                                                                                               \
  }

#define GS_LOAD_ROW(r, lo, hi)                                                         \
  do {                                                                                 \
    lo = _mm256_loadu_ps(c + (r) * ldc);                                               \
    hi = _mm256_loadu_ps(c + (r) * ldc + 8);                                           \
  } while (0)

#define GS_STORE_ROW(r, lo, hi)                                                        \
  do {                                                                                 \
    _mm256_storeu_ps(c + (r) * ldc, lo);                                               \
    _mm256_storeu_ps(c + (r) * ldc + 8, hi);                                           \
  } while (0)

#define GS_DEFINE_KERNEL(MR)                                                                                  \
  GS_AVX2 static void kernel_avx2_##MR(ptrdiff_t kc, const float* a, const float* b, float* c, ptrdiff_t ldc, \
                                       int accumulate) {                                                      \
    GS_KERNEL_ZERO                                                                                            \
    if (!accumulate)                                                                                          \
      for (int r = 0; r < (MR); r++) _mm_prefetch((const char*)(c + r * ldc), _MM_HINT_T0);                 \
    else {                                                                                                    \
      GS_LOAD_ROW(0, c00, c01);                                                                               \
      GS_LOAD_ROW(1, c10, c11);                                                                               \
      GS_LOAD_ROW(2, c20, c21);                                                                               \
      GS_LOAD_ROW(3, c30, c31);                                                                               \
      if ((MR) > 4) GS_LOAD_ROW(4, c40, c41);                                                                 \
      if ((MR) > 5) GS_LOAD_ROW(5, c50, c51);                                                                 \
    }                                                                                                         \
    GS_KERNEL_LOOP(MR)                                                                                        \
    GS_STORE_ROW(0, c00, c01);                                                                                \
    GS_STORE_ROW(1, c10, c11);                                                                                \
    GS_STORE_ROW(2, c20, c21);                                                                                \
    GS_STORE_ROW(3, c30, c31);                                                                                \
    if ((MR) > 4) GS_STORE_ROW(4, c40, c41);                                                                  \
    if ((MR) > 5) GS_STORE_ROW(5, c50, c51);                                                                  \
  }
GS_DEFINE_KERNEL(4)
GS_DEFINE_KERNEL(5)
GS_DEFINE_KERNEL(6)

GS_AVX2 static void kernel_avx2(int mr, ptrdiff_t kc, const float* a, const float* b, float* c, ptrdiff_t ldc, int accumulate) {
  if (mr == 6) kernel_avx2_6(kc, a, b, c, ldc, accumulate);
  else if (mr == 5) kernel_avx2_5(kc, a, b, c, ldc, accumulate);
  else kernel_avx2_4(kc, a, b, c, ldc, accumulate);
}

/* In-register transpose: r[q] becomes column q of the 8×8 block. */
GS_AVX2 static inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* Stores the first n (4, 5 or 6) lanes of v at p; nothing past those n columns of this C row
 * is touched. */
GS_AVX2 static inline void store_lanes(float* p, __m256 v, int n) {
  const __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  _mm_storeu_ps(p, lo);
  if (n == 6) _mm_store_sd((double*)(p + 4), _mm_castps_pd(hi));
  else if (n == 5) _mm_store_ss(p + 4, hi);
}

/* The first n (4, 5 or 6) floats at p, zeros in the other lanes; reads nothing past them. */
GS_AVX2 static inline __m256 load_lanes(const float* p, int n) {
  const __m128 lo = _mm_loadu_ps(p);
  __m128 hi = _mm_setzero_ps();
  if (n == 6) hi = _mm_castpd_ps(_mm_load_sd((const double*)(p + 4)));
  else if (n == 5) hi = _mm_load_ss(p + 4);
  return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

/* The same tile for a swapped product (Cᵀ = BᵀAᵀ): tile row r is column r of C, so C gets 16
 * rows of MR contiguous values; two in-register transposes replace 16·MR scalar stores. */
#define GS_DEFINE_KERNEL_T(MR)                                                                                  \
  GS_AVX2 static void kernel_t_avx2_##MR(ptrdiff_t kc, const float* a, const float* b, float* c, ptrdiff_t ldc, \
                                         int accumulate) {                                                      \
    GS_KERNEL_ZERO                                                                                              \
    if (accumulate) {                                                                                           \
      __m256 v[8], w[8];                                                                                        \
      for (int j = 0; j < 8; j++) v[j] = load_lanes(c + j * ldc, (MR)), w[j] = load_lanes(c + (8 + j) * ldc, (MR)); \
      transpose8(v);                                                                                            \
      transpose8(w);                                                                                            \
      c00 = v[0], c10 = v[1], c20 = v[2], c30 = v[3], c40 = v[4], c50 = v[5];                                   \
      c01 = w[0], c11 = w[1], c21 = w[2], c31 = w[3], c41 = w[4], c51 = w[5];                                   \
    }                                                                                                           \
    GS_KERNEL_LOOP(MR)                                                                                          \
    __m256 v[8] = {c00, c10, c20, c30, c40, c50, _mm256_setzero_ps(), _mm256_setzero_ps()};                    \
    transpose8(v);                                                                                              \
    for (int j = 0; j < 8; j++) store_lanes(c + j * ldc, v[j], (MR));                                          \
    __m256 w[8] = {c01, c11, c21, c31, c41, c51, _mm256_setzero_ps(), _mm256_setzero_ps()};                    \
    transpose8(w);                                                                                              \
    for (int j = 0; j < 8; j++) store_lanes(c + (8 + j) * ldc, w[j], (MR));                                    \
  }

GS_DEFINE_KERNEL_T(4)
GS_DEFINE_KERNEL_T(5)
GS_DEFINE_KERNEL_T(6)

GS_AVX2 static void kernel_t_avx2(int mr, ptrdiff_t kc, const float* a, const float* b, float* c, ptrdiff_t ldc, int accumulate) {
  if (mr == 6) kernel_t_avx2_6(kc, a, b, c, ldc, accumulate);
  else if (mr == 5) kernel_t_avx2_5(kc, a, b, c, ldc, accumulate);
  else kernel_t_avx2_4(kc, a, b, c, ldc, accumulate);
}

/* A panel (mr rows). Rows contiguous along k: 8×8 transposes with zero rows below mr; each
 * 8-float store spills 8 − mr lanes into the next slot, which the next store (or the next panel,
 * packed later, or the buffer's slack) overwrites. */
GS_AVX2 static void pack_a_avx2(ptrdiff_t kc, int mr, const float* a, ptrdiff_t rs, ptrdiff_t cs, float* dst) {
  if (cs != 1) {
    if (rs == 1) {
      /* Constant sizes, so each copy is two moves instead of a call to memcpy. */
#define GS_COPY_ROWS(MR) \
  for (ptrdiff_t p = 0; p < kc; p++) memcpy(dst + p * (MR), a + p * cs, (MR) * sizeof(float))
      if (mr == 6) GS_COPY_ROWS(6);
      else if (mr == 5) GS_COPY_ROWS(5);
      else GS_COPY_ROWS(4);
#undef GS_COPY_ROWS
    } else {
      gs_pack_a_generic_f32(kc, mr, mr, a, rs, cs, dst);
    }
    return;
  }
  ptrdiff_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 v[8];
    for (int r = 0; r < 8; r++) v[r] = r < mr ? _mm256_loadu_ps(a + r * rs + p) : _mm256_setzero_ps();
    transpose8(v);
    for (int q = 0; q < 8; q++) _mm256_storeu_ps(dst + (p + q) * mr, v[q]);
  }
  for (; p < kc; p++)
    for (int r = 0; r < mr; r++) dst[p * mr + r] = a[r * rs + p];
}

/* B panel (16 columns). Columns contiguous along k (the forward product's Wᵀ): two 8×8
 * transposes per 8 steps; rows contiguous: plain copies. */
GS_AVX2 void gs_avx2_pack_b_f32(ptrdiff_t kc, const float* b, ptrdiff_t rs, ptrdiff_t cs, float* dst) {
  if (cs == 1) {
    for (ptrdiff_t p = 0; p < kc; p++) {
      _mm256_store_ps(dst + p * GS_NR, _mm256_loadu_ps(b + p * rs));
      _mm256_store_ps(dst + p * GS_NR + 8, _mm256_loadu_ps(b + p * rs + 8));
    }
    return;
  }
  if (rs != 1) {
    gs_pack_b_generic_f32(kc, GS_NR, b, rs, cs, dst);
    return;
  }
  ptrdiff_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 lo[8], hi[8];
    for (int j = 0; j < 8; j++) {
      lo[j] = _mm256_loadu_ps(b + j * cs + p);
      hi[j] = _mm256_loadu_ps(b + (j + 8) * cs + p);
    }
    transpose8(lo);
    transpose8(hi);
    for (int q = 0; q < 8; q++) {
      _mm256_store_ps(dst + (p + q) * GS_NR, lo[q]);
      _mm256_store_ps(dst + (p + q) * GS_NR + 8, hi[q]);
    }
  }
  for (; p < kc; p++)
    for (int j = 0; j < GS_NR; j++) dst[p * GS_NR + j] = b[j * cs + p];
}

/* e^x, Cephes-style: x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial, 2^n through the exponent
 * bits. Relative error ~2 ulp on [-87.3, 88]; inputs are clamped to that range. */
GS_AVX2 static inline __m256 exp_avx2(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

/* σ(z) from e = exp(−|z|): 1/(1+e) for z ≥ 0, e/(1+e) below, never exp of a large number. */
GS_AVX2 static inline __m256 sigmoid_avx2(__m256 z) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 e = exp_avx2(_mm256_or_ps(z, sign));
  const __m256 r = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  return _mm256_blendv_ps(r, _mm256_mul_ps(e, r), _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ));
}

/* tanh: an odd Taylor polynomial below |x| = 0.3 (no cancellation), (1−e)/(1+e) with
 * e = exp(−2|x|) above, sign restored. */
GS_AVX2 static inline __m256 tanh_avx2(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign, x);
  const __m256 e = exp_avx2(_mm256_mul_ps(ax, _mm256_set1_ps(-2.0f)));
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 big = _mm256_or_ps(_mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e)), _mm256_and_ps(sign, x));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(62.0f / 2835.0f);
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-17.0f / 315.0f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.0f / 15.0f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.0f / 3.0f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, x2), x, x);
  return _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.3f), _CMP_LT_OQ));
}

GS_AVX2 static inline __m256 activate_avx2(int act, __m256 z) {
  switch (act) {
    case GS_SIGMOID:
      return sigmoid_avx2(z);
    case GS_TANH:
      return tanh_avx2(z);
    case GS_RELU:
      return _mm256_and_ps(z, _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_GT_OQ));
    case GS_SWISH:
      return _mm256_mul_ps(z, sigmoid_avx2(z));
    default:
      return z;
  }
}

GS_AVX2 static inline __m256 prime_avx2(int act, __m256 d, __m256 z, __m256 a) {
  const __m256 one = _mm256_set1_ps(1.0f);
  switch (act) {
    case GS_SIGMOID:
      return _mm256_mul_ps(d, _mm256_mul_ps(a, _mm256_sub_ps(one, a)));
    case GS_TANH:
      return _mm256_mul_ps(d, _mm256_sub_ps(one, _mm256_mul_ps(a, a)));
    case GS_RELU:
      return _mm256_and_ps(d, _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_GT_OQ));
    case GS_SWISH: {
      const __m256 s = sigmoid_avx2(z);
      return _mm256_mul_ps(d, _mm256_add_ps(s, _mm256_mul_ps(_mm256_mul_ps(z, s), _mm256_sub_ps(one, s))));
    }
    default:
      return d;
  }
}

GS_AVX2 static void act_row_avx2(int act, float* z, float* out, ptrdiff_t n, const float* bias) {
  ptrdiff_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 v = _mm256_loadu_ps(z + j);
    if (bias != NULL) {
      v = _mm256_add_ps(v, _mm256_loadu_ps(bias + j));
      _mm256_storeu_ps(z + j, v);
    }
    _mm256_storeu_ps(out + j, activate_avx2(act, v));
  }
  if (j < n) {
    float zt[8] = {0}, bt[8] = {0}, ot[8];
    const size_t tail = (size_t)(n - j) * sizeof(float);
    memcpy(zt, z + j, tail);
    if (bias != NULL) memcpy(bt, bias + j, tail);
    const __m256 v = _mm256_add_ps(_mm256_loadu_ps(zt), _mm256_loadu_ps(bt));
    _mm256_storeu_ps(zt, v);
    _mm256_storeu_ps(ot, activate_avx2(act, v));
    if (bias != NULL) memcpy(z + j, zt, tail);
    memcpy(out + j, ot, tail);
  }
}

GS_AVX2 static void prime_row_avx2(int act, float* delta, const float* z, const float* a, ptrdiff_t n) {
  if (act == GS_IDENTITY) return;
  ptrdiff_t j = 0;
  for (; j + 8 <= n; j += 8) {
    _mm256_storeu_ps(delta + j, prime_avx2(act, _mm256_loadu_ps(delta + j), _mm256_loadu_ps(z + j), _mm256_loadu_ps(a + j)));
  }
  if (j < n) {
    float dt[8] = {0}, zt[8] = {0}, at[8] = {0};
    const size_t tail = (size_t)(n - j) * sizeof(float);
    memcpy(dt, delta + j, tail);
    memcpy(zt, z + j, tail);
    memcpy(at, a + j, tail);
    _mm256_storeu_ps(dt, prime_avx2(act, _mm256_loadu_ps(dt), _mm256_loadu_ps(zt), _mm256_loadu_ps(at)));
    memcpy(delta + j, dt, tail);
  }
}

const gs_isa_f32 gs_avx2_table_f32 = {"avx2", (1u << 4) | (1u << 5) | (1u << 6), kernel_avx2, kernel_t_avx2, pack_a_avx2, gs_avx2_pack_b_f32, act_row_avx2, prime_row_avx2};

const gs_isa_f32* gs_avx2_f32(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &gs_avx2_table_f32 : NULL;
}

#else
const gs_isa_f32* gs_avx2_f32(void) { return NULL; }
#endif
