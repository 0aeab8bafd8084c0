/*
 * AVX-512 float32 micro-kernels for the native-avx2 backend: one 16-float zmm per tile row, so a
 * tile is up to 16 rows × 16 columns (16 accumulators and the B row; the A values are broadcast
 * from memory inside the FMAs) instead of AVX2's 6 × 16, and the element-wise passes on 16 lanes.
 * The 16-row tile pads 1024, 512 and 256 rows not at all (the 14-row one padded 1024 to 1036) and
 * packs its A panel with in-register 16×16 transposes instead of gathers.
 *
 * Bit for bit what the AVX2 kernels compute: each element of C is one chain of FMAs in k order
 * (x·b + c, the product rounded once with the sum) starting from C or zero, and the element-wise
 * passes run the same operations in the same order per lane. The tile height, like the blocking,
 * only decides which elements are computed together, never how one is rounded, so the choice of
 * micro-kernel (GRADSWARM_KERNEL_TUNING micro=) needs no agreement between the machines of a
 * reproducible run, and the backend keeps its name. Runs only after the CPU check below; the
 * target attribute keeps -mavx512f off the command line.
 */
#include "gs.h"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <string.h>

#if GS_NR != 16
#error "the AVX-512 kernels are written for 16-column tiles"
#endif

#define GS_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define GS_MR512 16

/* The MR×16 product of packed panels added into acc[0..MR), in k order (see the header). The
 * row count is a literal at each expansion, so the array lives in registers. The A and B panels
 * are prefetched 8 steps ahead (a few per cent here, measured in CPU time under load). */
#define GS_LOOP512(MR)                                                          \
  _Pragma("GCC unroll 4") for (ptrdiff_t p = 0; p < kc; p++) {                  \
    const __m512 bv = _mm512_load_ps(b);                                        \
    _mm_prefetch((const char*)(a + 8 * (MR)), _MM_HINT_T0);                     \
    _mm_prefetch((const char*)(b + 8 * GS_NR), _MM_HINT_T0);                    \
    _Pragma("GCC unroll 16") for (int r = 0; r < (MR); r++)                     \
        acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), bv, acc[r]);             \
    a += (MR);                                                                  \
    b += GS_NR;                                                                 \
  }

#define GS_DEFINE_KERNEL512(MR)                                                                                  \
  GS_AVX512 static void kernel512_##MR(ptrdiff_t kc, const float* a, const float* b, float* c, ptrdiff_t ldc,    \
                                       int accumulate) {                                                         \
    __m512 acc[MR];                                                                                              \
    _Pragma("GCC unroll 16") for (int r = 0; r < (MR); r++) acc[r] =                                             \
        accumulate ? _mm512_loadu_ps(c + r * ldc) : _mm512_setzero_ps();                                         \
    GS_LOOP512(MR)                                                                                               \
    _Pragma("GCC unroll 16") for (int r = 0; r < (MR); r++) _mm512_storeu_ps(c + r * ldc, acc[r]);              \
  }                                                                                                              \
  /* Transposed store (Cᵀ = BᵀAᵀ): tile row r is column r of C, so C gets 16 rows of MR values; */             \
  /* the tile goes through a 16×16 buffer and strided gathers, masked to MR lanes. */                           \
  GS_AVX512 static void kernel512_t_##MR(ptrdiff_t kc, const float* a, const float* b, float* c, ptrdiff_t ldc,  \
                                         int accumulate) {                                                       \
    _Alignas(64) float t[16 * 16];                                                                               \
    const __mmask16 lanes = (__mmask16)((1u << (MR)) - 1u);                                                       \
    const __m512i across = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), \
                                              _mm512_set1_epi32(16));                                            \
    __m512 acc[MR];                                                                                              \
    if (accumulate) {                                                                                            \
      for (int j = 0; j < 16; j++) _mm512_store_ps(t + j * 16, _mm512_maskz_loadu_ps(lanes, c + j * ldc));       \
      _Pragma("GCC unroll 16") for (int r = 0; r < (MR); r++) acc[r] = _mm512_i32gather_ps(across, t + r, 4);    \
    } else {                                                                                                     \
      _Pragma("GCC unroll 16") for (int r = 0; r < (MR); r++) acc[r] = _mm512_setzero_ps();                      \
    }                                                                                                            \
    GS_LOOP512(MR)                                                                                               \
    _Pragma("GCC unroll 16") for (int r = 0; r < (MR); r++) _mm512_store_ps(t + r * 16, acc[r]);                 \
    for (int j = 0; j < 16; j++)                                                                                 \
      _mm512_mask_storeu_ps(c + j * ldc, lanes, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes, across, t + j, 4)); \
  }

GS_DEFINE_KERNEL512(8)
GS_DEFINE_KERNEL512(9)
GS_DEFINE_KERNEL512(10)
GS_DEFINE_KERNEL512(11)
GS_DEFINE_KERNEL512(12)
GS_DEFINE_KERNEL512(13)
GS_DEFINE_KERNEL512(14)
GS_DEFINE_KERNEL512(15)
GS_DEFINE_KERNEL512(16)

typedef void (*gs_tile_fn)(ptrdiff_t, const float*, const float*, float*, ptrdiff_t, int);
static const gs_tile_fn tiles[GS_MR512 + 1] = {
    [8] = kernel512_8, [9] = kernel512_9, [10] = kernel512_10, [11] = kernel512_11,
    [12] = kernel512_12, [13] = kernel512_13, [14] = kernel512_14, [15] = kernel512_15, [16] = kernel512_16};
static const gs_tile_fn tiles_t[GS_MR512 + 1] = {
    [8] = kernel512_t_8, [9] = kernel512_t_9, [10] = kernel512_t_10, [11] = kernel512_t_11,
    [12] = kernel512_t_12, [13] = kernel512_t_13, [14] = kernel512_t_14, [15] = kernel512_t_15, [16] = kernel512_t_16};

static void kernel512(int mr, ptrdiff_t kc, const float* a, const float* b, float* c, ptrdiff_t ldc, int accumulate) {
  tiles[mr](kc, a, b, c, ldc, accumulate);
}

static void kernel512_t(int mr, ptrdiff_t kc, const float* a, const float* b, float* c, ptrdiff_t ldc, int accumulate) {
  tiles_t[mr](kc, a, b, c, ldc, accumulate);
}

/* In-register transpose: r[q] becomes column q of the 16×16 block (unpack, shuffle, two lane
 * permutes; no gathers). */
GS_AVX512 static inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; i++) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
    r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
    r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xDD);
  }
}

/* A panel of mr (8..16) rows. Rows contiguous along k: 16 rows at a time through register
 * transposes (mr = 16) or 8 steps at a time through a buffer and gathers (zeros past mr);
 * columns contiguous: one masked copy per step. */
GS_AVX512 static void pack_a512(ptrdiff_t kc, int mr, const float* a, ptrdiff_t rs, ptrdiff_t cs, float* dst) {
  const __mmask16 lanes = (__mmask16)((1u << mr) - 1u);
  if (rs == 1) {
    for (ptrdiff_t p = 0; p < kc; p++) _mm512_mask_storeu_ps(dst + p * mr, lanes, _mm512_maskz_loadu_ps(lanes, a + p * cs));
    return;
  }
  if (cs != 1) {
    gs_pack_a_generic_f32(kc, mr, mr, a, rs, cs, dst);
    return;
  }
  const __m512i across = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(8));
  _Alignas(64) float t[16 * 8];
  ptrdiff_t p = 0;
  if (mr == 16) {
    for (; p + 16 <= kc; p += 16) {
      __m512 r[16];
      for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(a + i * rs + p);
      transpose16(r);
      for (int q = 0; q < 16; q++) _mm512_storeu_ps(dst + (p + q) * 16, r[q]);
    }
  }
  for (; p + 8 <= kc; p += 8) {
    for (int r = 0; r < 16; r++)
      _mm256_store_ps(t + r * 8, r < mr ? _mm256_loadu_ps(a + r * rs + p) : _mm256_setzero_ps());
    for (int q = 0; q < 8; q++) _mm512_mask_storeu_ps(dst + (p + q) * mr, lanes, _mm512_i32gather_ps(across, t + q, 4));
  }
  for (; p < kc; p++)
    for (int r = 0; r < mr; r++) dst[p * mr + r] = a[r * rs + p];
}

/* e^x exactly as exp_avx2 computes it, on 16 lanes. */
GS_AVX512 static inline __m512 exp512(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 y = _mm512_set1_ps(1.9875691500e-4f);
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.3981999507e-3f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(8.3334519073e-3f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(4.1665795894e-2f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.6666665459e-1f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(5.0000001201e-1f));
  y = _mm512_fmadd_ps(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(bits));
}

/* Sign-bit operations through the integer unit (AVX-512F has no float and/or). */
GS_AVX512 static inline __m512 neg_abs512(__m512 x) {
  return _mm512_castsi512_ps(_mm512_or_epi32(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
}

GS_AVX512 static inline __m512 sigmoid512(__m512 z) {
  const __m512 e = exp512(neg_abs512(z));
  const __m512 r = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ), r, _mm512_mul_ps(e, r));
}

GS_AVX512 static inline __m512 tanh512(__m512 x) {
  const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
  const __m512 ax = _mm512_castsi512_ps(_mm512_andnot_epi32(sign, _mm512_castps_si512(x)));
  const __m512 e = exp512(_mm512_mul_ps(ax, _mm512_set1_ps(-2.0f)));
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 q = _mm512_div_ps(_mm512_sub_ps(one, e), _mm512_add_ps(one, e));
  const __m512 big = _mm512_castsi512_ps(_mm512_or_epi32(_mm512_castps_si512(q), _mm512_and_epi32(sign, _mm512_castps_si512(x))));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(62.0f / 2835.0f);
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-17.0f / 315.0f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(2.0f / 15.0f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-1.0f / 3.0f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, x2), x, x);
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.3f), _CMP_LT_OQ), big, small);
}

GS_AVX512 static inline __m512 activate512(int act, __m512 z) {
  switch (act) {
    case GS_SIGMOID:
      return sigmoid512(z);
    case GS_TANH:
      return tanh512(z);
    case GS_RELU:
      return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_GT_OQ), z);
    case GS_SWISH:
      return _mm512_mul_ps(z, sigmoid512(z));
    default:
      return z;
  }
}

GS_AVX512 static inline __m512 prime512(int act, __m512 d, __m512 z, __m512 a) {
  const __m512 one = _mm512_set1_ps(1.0f);
  switch (act) {
    case GS_SIGMOID:
      return _mm512_mul_ps(d, _mm512_mul_ps(a, _mm512_sub_ps(one, a)));
    case GS_TANH:
      return _mm512_mul_ps(d, _mm512_sub_ps(one, _mm512_mul_ps(a, a)));
    case GS_RELU:
      return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_GT_OQ), d);
    case GS_SWISH: {
      const __m512 s = sigmoid512(z);
      return _mm512_mul_ps(d, _mm512_add_ps(s, _mm512_mul_ps(_mm512_mul_ps(z, s), _mm512_sub_ps(one, s))));
    }
    default:
      return d;
  }
}

/* Row tails are masked: the missing lanes read as zero, as in the AVX2 padded copy. */
GS_AVX512 static void act_row512(int act, float* z, float* out, ptrdiff_t n, const float* bias) {
  for (ptrdiff_t j = 0; j < n; j += 16) {
    const __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
    __m512 v = _mm512_maskz_loadu_ps(m, z + j);
    if (bias != NULL) {
      v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + j));
      _mm512_mask_storeu_ps(z + j, m, v);
    }
    _mm512_mask_storeu_ps(out + j, m, activate512(act, v));
  }
}

GS_AVX512 static void prime_row512(int act, float* delta, const float* z, const float* a, ptrdiff_t n) {
  if (act == GS_IDENTITY) return;
  for (ptrdiff_t j = 0; j < n; j += 16) {
    const __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
    const __m512 d = prime512(act, _mm512_maskz_loadu_ps(m, delta + j), _mm512_maskz_loadu_ps(m, z + j), _mm512_maskz_loadu_ps(m, a + j));
    _mm512_mask_storeu_ps(delta + j, m, d);
  }
}

/* Relative time per padded row of each tile height (100 = the 14-row tile): below 8 rows the FMA
 * latency is not hidden; the taller the tile, the fewer B loads per FMA, and the 16-row one packs
 * without gathers. */
static const int row_cost512[GS_MR_MAX + 1] = {[8] = 112, [9] = 110, [10] = 106, [11] = 104, [12] = 102, [13] = 101, [14] = 100, [15] = 100, [16] = 99};

static const gs_isa_f32 gs_avx512 = {.name = "avx512",
                                     .mr_mask = 0x1FF00u, /* 8..16 rows */
                                     .kernel = kernel512,
                                     .kernel_t = kernel512_t,
                                     .pack_a = pack_a512,
                                     .pack_b = gs_avx2_pack_b_f32,
                                     .act_row = act_row512,
                                     .prime_row = prime_row512,
                                     .row_cost = row_cost512,
                                     /* At k = 10 (the delta product below a 10-class output) the
                                      * product is the stores of C: the 6-row ymm tiles ran it at
                                      * 1.14x the 14-row zmm ones (bench-kernels, CPU time). */
                                     .narrow = &gs_avx2_table_f32,
                                     .narrow_below_k = 32};

const gs_isa_f32* gs_avx512_f32(void) {
  __builtin_cpu_init();
  return gs_avx2_f32() != NULL && __builtin_cpu_supports("avx512f") ? &gs_avx512 : NULL;
}

#else
const gs_isa_f32* gs_avx512_f32(void) { return NULL; }
#endif
