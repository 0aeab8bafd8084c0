/*
 * Portable kernels (plain C the compiler vectorises for whatever the target has) for float and
 * double, the GEMM driver instantiated for both, and the scratch buffer. The AVX2/FMA variant of
 * the float32 kernels lives in avx2.c. The element-wise passes use the kernels' own exp and
 * tanh (gs-math.h), so no bit depends on the C library.
 */
#include <stdlib.h>
#include <string.h>

#include "gs-math.h"
#include "gs.h"

#if defined(_WIN32)
#include <malloc.h>
static void* gs_aligned_alloc(size_t bytes) { return _aligned_malloc(bytes, 64); }
static void gs_aligned_free(void* p) { _aligned_free(p); }
#else
static void* gs_aligned_alloc(size_t bytes) {
  void* p = NULL;
  return posix_memalign(&p, 64, bytes) == 0 ? p : NULL;
}
static void gs_aligned_free(void* p) { free(p); }
#endif

void* gs_scratch_get(gs_scratch* s, size_t bytes) {
  if (bytes <= s->bytes) return s->data;
  /* Grow by half again so a slowly growing shape does not reallocate every call. */
  size_t want = bytes + bytes / 2;
  void* p = gs_aligned_alloc(want);
  if (p == NULL) return NULL;
  gs_aligned_free(s->data);
  s->data = p;
  s->bytes = want;
  return p;
}

void gs_scratch_free(gs_scratch* s) {
  gs_aligned_free(s->data);
  s->data = NULL;
  s->bytes = 0;
}

/* ---- float and double instantiations ---------------------------------------------------- */

#define T float
#define SUF f32
#define GS_EXP gs_expf
#define GS_TANHF gs_tanhf
#include "gemm-driver.h"
#include "portable.h"
#undef T
#undef SUF
#undef GS_EXP
#undef GS_TANHF

#define T double
#define SUF f64
#define GS_EXP gs_exp
#define GS_TANHF gs_tanh
#include "gemm-driver.h"
#include "portable.h"
#undef T
#undef SUF
#undef GS_EXP
#undef GS_TANHF
