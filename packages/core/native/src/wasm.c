/*
 * The WebAssembly build of the kernels (src/backends/wasm.ts loads it): the same GEMM driver,
 * packing and fused epilogues as the native addon, with a 6×8 SIMD128 micro-kernel (12 v128
 * accumulators: what the JIT can keep in 16 registers) and the portable element-wise passes.
 * Built with -DGS_NR=8 by scripts/build-wasm.mjs. Arguments are byte offsets into this module's
 * memory; the JS side copies operands in and results out. One instance per thread, so the
 * scratch buffer here is per thread too. Base SIMD128 has no FMA: products and sums round
 * separately, so results differ in the last bits from the native backend.
 */
#include <stdlib.h>
#include <string.h>
#include <wasm_simd128.h>

#include "gs.h"

#define EXPORT(name) __attribute__((export_name(#name)))

#if GS_NR != 8
#error "the SIMD128 kernel is written for 6x8 tiles"
#endif

/* mr is always 6 here (mr_mask below). */
static void kernel_simd(int mr, ptrdiff_t kc, const float* a, const float* b, float* c, ptrdiff_t ldc, int accumulate) {
  (void)mr;
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  v128_t c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  /* Start from C when accumulating: one chain of adds in k order per element, whatever KC. */
  if (accumulate) {
#define GS_LOAD_ROW(r, lo, hi)              \
  do {                                      \
    lo = wasm_v128_load(c + (r) * ldc);     \
    hi = wasm_v128_load(c + (r) * ldc + 4); \
  } while (0)
    GS_LOAD_ROW(0, c00, c01);
    GS_LOAD_ROW(1, c10, c11);
    GS_LOAD_ROW(2, c20, c21);
    GS_LOAD_ROW(3, c30, c31);
    GS_LOAD_ROW(4, c40, c41);
    GS_LOAD_ROW(5, c50, c51);
#undef GS_LOAD_ROW
  }
  for (ptrdiff_t p = 0; p < kc; p++) {
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    v128_t x = wasm_v128_load32_splat(a);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a + 1);
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a + 2);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a + 3);
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a + 4);
    c40 = wasm_f32x4_add(c40, wasm_f32x4_mul(x, b0));
    c41 = wasm_f32x4_add(c41, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a + 5);
    c50 = wasm_f32x4_add(c50, wasm_f32x4_mul(x, b0));
    c51 = wasm_f32x4_add(c51, wasm_f32x4_mul(x, b1));
    a += GS_MR;
    b += GS_NR;
  }
#define GS_STORE_ROW(r, lo, hi)                                     \
  do {                                                              \
    float* row = c + (r) * ldc;                                     \
    wasm_v128_store(row, lo);                                       \
    wasm_v128_store(row + 4, hi);                                   \
  } while (0)
  GS_STORE_ROW(0, c00, c01);
  GS_STORE_ROW(1, c10, c11);
  GS_STORE_ROW(2, c20, c21);
  GS_STORE_ROW(3, c30, c31);
  GS_STORE_ROW(4, c40, c41);
  GS_STORE_ROW(5, c50, c51);
#undef GS_STORE_ROW
}

static gs_isa_f32 simd;
static gs_scratch scratch;

static const gs_isa_f32* isa32(void) {
  if (simd.kernel == NULL) {
    simd = gs_portable_f32;
    simd.name = "simd128";
    simd.mr_mask = 1u << 6;
    simd.kernel = kernel_simd;
  }
  return &simd;
}

EXPORT(gs_alloc) void* gs_alloc(size_t bytes) {
  void* p = NULL;
  return posix_memalign(&p, 64, bytes) == 0 ? p : NULL;
}

EXPORT(gs_free) void gs_free(void* p) { free(p); }

/* C = op(A)·op(B) (+ C): A, B, C row-major with leading dimensions; 0, or -1 without memory. */
EXPORT(gs_gemm) int gs_gemm(int f64, int ta, int tb, int m, int n, int k, const void* a, int lda, const void* b, int ldb, void* c, int ldc, int acc) {
  const ptrdiff_t rsa = ta ? 1 : lda, csa = ta ? lda : 1, rsb = tb ? 1 : ldb, csb = tb ? ldb : 1;
  if (f64) return gs_gemm_f64(&gs_portable_f64, &scratch, m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, 1, acc, NULL);
  return gs_gemm_f32(isa32(), &scratch, m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, 1, acc, NULL);
}

/* z[r, j] += bias[j]; a[r, j] = g(z[r, j]) (bias contiguous). */
EXPORT(gs_bias_activation) void gs_bias_activation(int f64, void* z, void* a, int rows, int cols, const void* bias, int act) {
  for (int r = 0; r < rows; r++) {
    if (f64) gs_portable_f64.act_row(act, (double*)z + (ptrdiff_t)r * cols, (double*)a + (ptrdiff_t)r * cols, cols, bias);
    else isa32()->act_row(act, (float*)z + (ptrdiff_t)r * cols, (float*)a + (ptrdiff_t)r * cols, cols, bias);
  }
}

EXPORT(gs_mul_activation_prime) void gs_mul_activation_prime(int f64, int act, void* d, const void* z, const void* a, int n) {
  if (f64) gs_portable_f64.prime_row(act, d, z, a, n);
  else isa32()->prime_row(act, d, z, a, n);
}

/* out[j] = Σ_r m[r, j] (out contiguous, overwritten). */
EXPORT(gs_column_sums) void gs_column_sums(int f64, const void* m, int rows, int cols, void* out) {
  if (f64) gs_column_sums_f64(m, rows, cols, out, 1, 0, out);
  else gs_column_sums_f32(m, rows, cols, out, 1, 0, out);
}

/* z = x·W[:,1:]ᵀ + W[:,0], out = g(z); w is the nOut × (nIn+1) block, bias a contiguous copy of W[:,0]. */
EXPORT(gs_dense_forward) int gs_dense_forward(int f64, int rows, int nIn, int nOut, const void* x, const void* w, const void* bias, void* z, void* out, int act) {
  const ptrdiff_t ldw = nIn + 1;
  if (f64) {
    gs_epilogue_f64 ep = {GS_EPI_BIAS_ACT, act, out, nOut, bias, NULL, NULL, 0};
    return gs_gemm_f64(&gs_portable_f64, &scratch, rows, nOut, nIn, x, nIn, 1, (const double*)w + 1, 1, ldw, z, nOut, 1, 0, &ep);
  }
  gs_epilogue_f32 ep = {GS_EPI_BIAS_ACT, act, out, nOut, bias, NULL, NULL, 0};
  return gs_gemm_f32(isa32(), &scratch, rows, nOut, nIn, x, nIn, 1, (const float*)w + 1, 1, ldw, z, nOut, 1, 0, &ep);
}

/* g (the W block) (+)= deltaᵀ·[1 | x]; deltaIn = (delta·W[:,1:]) ⊙ g'(zIn, x) when deltaIn != 0. */
EXPORT(gs_dense_backward) int gs_dense_backward(int f64, int rows, int nIn, int nOut, const void* delta, const void* x, const void* zIn, const void* w, void* g, void* deltaIn, int act, int acc, void* tmp) {
  const ptrdiff_t ldw = nIn + 1;
  int rc = 0;
  if (f64) {
    rc |= gs_gemm_f64(&gs_portable_f64, &scratch, nOut, nIn, rows, delta, 1, nOut, x, nIn, 1, (double*)g + 1, ldw, 1, acc, NULL);
    gs_column_sums_f64(delta, rows, nOut, g, ldw, acc, tmp);
    if (deltaIn != NULL) {
      gs_epilogue_f64 ep = {GS_EPI_PRIME, act, NULL, 0, NULL, zIn, x, nIn};
      rc |= gs_gemm_f64(&gs_portable_f64, &scratch, rows, nIn, nOut, delta, nOut, 1, (const double*)w + 1, ldw, 1, deltaIn, nIn, 1, 0, &ep);
    }
    return rc;
  }
  rc |= gs_gemm_f32(isa32(), &scratch, nOut, nIn, rows, delta, 1, nOut, x, nIn, 1, (float*)g + 1, ldw, 1, acc, NULL);
  gs_column_sums_f32(delta, rows, nOut, g, ldw, acc, tmp);
  if (deltaIn != NULL) {
    gs_epilogue_f32 ep = {GS_EPI_PRIME, act, NULL, 0, NULL, zIn, x, nIn};
    rc |= gs_gemm_f32(isa32(), &scratch, rows, nIn, nOut, delta, nOut, 1, (const float*)w + 1, ldw, 1, deltaIn, nIn, 1, 0, &ep);
  }
  return rc;
}

EXPORT(gs_output_loss) double gs_output_loss(int f64, int kind, const void* z, void* a, void* delta, int rows, int k, const int32_t* labels) {
  if (f64) return gs_output_loss_f64(kind, z, a, delta, rows, k, labels);
  return gs_output_loss_f32(kind, z, a, delta, rows, k, labels);
}
