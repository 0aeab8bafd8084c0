/*
 * Portable micro-kernel, packers and element-wise passes, instantiated by gemm.c for float and
 * double (T, SUF, GS_EXP, GS_TANHF). Each element is computed by the same scalar formula wherever
 * it sits in a row, so results never depend on how a matrix is cut into blocks or shards.
 */
#define GS_CAT_(a, b) a##b
#define GS_CAT(a, b) GS_CAT_(a, b)
#define GS_F(name) GS_CAT(name, SUF)

/* Two passes of NR/2 columns each: a 6×8 float accumulator block fits the 16 registers of
 * SSE2/NEON, where a 6×16 block would spill on every step. `mr` is a constant at each call
 * site below, so the row loops unroll and the accumulators stay in registers. */
static GS_ALWAYS_INLINE void GS_F(kernel_portable_body_)(const int mr, ptrdiff_t kc, const T* restrict a, const T* restrict b, T* restrict c,
                                                         ptrdiff_t ldc, int accumulate) {
  enum { H = GS_NR / 2 };
  for (int h = 0; h < GS_NR; h += H) {
    /* Start from C when accumulating, so each element is one chain of adds in k order whatever
     * the KC blocking (see the AVX2 kernel). */
    T t[GS_MR][H];
    memset(t, 0, sizeof t);
    if (accumulate)
      for (int r = 0; r < mr; r++)
        for (int j = 0; j < H; j++) t[r][j] = c[r * ldc + h + j];
    const T* ap = a;
    const T* bp = b + h;
    for (ptrdiff_t p = 0; p < kc; p++) {
      for (int r = 0; r < mr; r++) {
        const T x = ap[r];
        for (int j = 0; j < H; j++) t[r][j] += x * bp[j];
      }
      ap += mr;
      bp += GS_NR;
    }
    for (int r = 0; r < mr; r++)
      for (int j = 0; j < H; j++) c[r * ldc + h + j] = t[r][j];
  }
}

static void GS_F(kernel_portable_)(int mr, ptrdiff_t kc, const T* restrict a, const T* restrict b, T* restrict c, ptrdiff_t ldc, int accumulate) {
  if (mr == 6) GS_F(kernel_portable_body_)(6, kc, a, b, c, ldc, accumulate);
  else if (mr == 5) GS_F(kernel_portable_body_)(5, kc, a, b, c, ldc, accumulate);
  else GS_F(kernel_portable_body_)(4, kc, a, b, c, ldc, accumulate);
}

static void GS_F(pack_a_portable_)(ptrdiff_t kc, int mr, const T* a, ptrdiff_t rs, ptrdiff_t cs, T* dst) {
  GS_F(gs_pack_a_generic_)(kc, mr, mr, a, rs, cs, dst);
}

static void GS_F(pack_b_portable_)(ptrdiff_t kc, const T* b, ptrdiff_t rs, ptrdiff_t cs, T* dst) {
  if (cs == 1) {
    for (ptrdiff_t p = 0; p < kc; p++) memcpy(dst + p * GS_NR, b + p * rs, GS_NR * sizeof(T));
  } else {
    GS_F(gs_pack_b_generic_)(kc, GS_NR, b, rs, cs, dst);
  }
}

/* Numerically safe logistic function: never exp of a large positive number. */
static T GS_F(sigmoid_)(T z) {
  if (z >= 0) return 1 / (1 + GS_EXP(-z));
  const T e = GS_EXP(z);
  return e / (1 + e);
}

static void GS_F(act_row_portable_)(int act, T* z, T* out, ptrdiff_t n, const T* bias) {
  if (bias != NULL)
    for (ptrdiff_t j = 0; j < n; j++) z[j] += bias[j];
  switch (act) {
    case GS_SIGMOID:
      for (ptrdiff_t j = 0; j < n; j++) out[j] = GS_F(sigmoid_)(z[j]);
      break;
    case GS_TANH:
      for (ptrdiff_t j = 0; j < n; j++) out[j] = GS_TANHF(z[j]);
      break;
    case GS_RELU:
      for (ptrdiff_t j = 0; j < n; j++) out[j] = z[j] > 0 ? z[j] : 0;
      break;
    case GS_SWISH:
      for (ptrdiff_t j = 0; j < n; j++) out[j] = z[j] * GS_F(sigmoid_)(z[j]);
      break;
    default:
      if (out != z) memcpy(out, z, (size_t)n * sizeof(T));
  }
}

static void GS_F(prime_row_portable_)(int act, T* delta, const T* z, const T* a, ptrdiff_t n) {
  switch (act) {
    case GS_SIGMOID:
      for (ptrdiff_t j = 0; j < n; j++) delta[j] *= a[j] * (1 - a[j]);
      break;
    case GS_TANH:
      for (ptrdiff_t j = 0; j < n; j++) delta[j] *= 1 - a[j] * a[j];
      break;
    case GS_RELU:
      for (ptrdiff_t j = 0; j < n; j++)
        if (!(z[j] > 0)) delta[j] = 0;
      break;
    case GS_SWISH:
      for (ptrdiff_t j = 0; j < n; j++) {
        const T s = GS_F(sigmoid_)(z[j]);
        delta[j] *= s + z[j] * s * (1 - s);
      }
      break;
    default:
      break;
  }
}

const GS_CAT(gs_isa_, SUF) GS_F(gs_portable_) = {
    "portable", (1u << 4) | (1u << 5) | (1u << 6), GS_F(kernel_portable_), NULL, GS_F(pack_a_portable_), GS_F(pack_b_portable_), GS_F(act_row_portable_), GS_F(prime_row_portable_),
};

#undef GS_F
