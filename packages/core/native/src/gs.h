/*
 * Shared declarations of the gradswarm kernels (architecture §3). Matrices are views: element (i, j)
 * of a view lives at p[i*rs + j*cs], so the transposes of the JS interface and the operand swap
 * of the GEMM driver are only stride changes. Everything here is single-threaded: parallelism
 * comes from the thread pool, and each Node environment (main thread or worker thread) owns its
 * own scratch buffer (gs_scratch, kept as N-API instance data).
 */
#ifndef GS_H
#define GS_H

#include <stddef.h>
#include <stdint.h>

/* Micro-tile: up to MR rows of op(A) (broadcast; the driver picks 4, 5 or 6 per call, whichever
 * pads m least) times NR columns of op(B): two 8-float AVX2 vectors natively, two 4-float SIMD128
 * vectors in the WebAssembly build (-DGS_NR=8). */
#define GS_MR 6
/* The tallest tile any kernel offers (the AVX-512 kernels' 16 rows), for the driver's buffers. */
#define GS_MR_MAX 16
#ifndef GS_NR
#define GS_NR 16
#endif
/* Default cache blocking (BLIS naming): KC deep panels, MC rows of A per packed block, NC
 * columns of B, as tuned on a Zen 4 core (1 MiB L2); an ISA's mc/kc/nc fields override them at
 * run time (from the machine's caches, src/backends/kernel-tuning.ts). None of the three moves
 * a bit of a result: every kernel accumulates each element in k order starting from C. */
#ifndef GS_KC
#define GS_KC 320
#endif
#ifndef GS_MC
#define GS_MC 144
#endif
#define GS_NC 4080

/* Forces inlining, so a body called with a constant row count is specialised for it. */
#if defined(__GNUC__) || defined(__clang__)
#define GS_ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define GS_ALWAYS_INLINE __forceinline
#else
#define GS_ALWAYS_INLINE inline
#endif

/* Asks for the cache line at p to be brought into L2 ahead of a write (a hint; no effect on results). */
#if defined(__GNUC__) || defined(__clang__)
#define GS_PREFETCH_L2(p) __builtin_prefetch((p), 1, 2)
#else
#define GS_PREFETCH_L2(p) ((void)(p))
#endif

/* Element-wise activations, numbered as the TypeScript side passes them. */
enum gs_activation { GS_IDENTITY = 0, GS_SIGMOID = 1, GS_TANH = 2, GS_RELU = 3, GS_SWISH = 4 };

/* Per-environment scratch (packing buffers); grows, never shrinks, freed with the environment. */
typedef struct gs_scratch {
  void* data;
  size_t bytes;
} gs_scratch;

/* Returns at least `bytes` bytes aligned to 64, or NULL when out of memory. */
void* gs_scratch_get(gs_scratch* s, size_t bytes);
void gs_scratch_free(gs_scratch* s);

/*
 * One instruction-set variant of the float32 or float64 kernels. `kernel` computes a full
 * mr×NR tile from packed panels into c (row stride ldc): c = c + AB when accumulate, else AB,
 * for each panel height mr in mr_mask (bit mr set; at most GS_MR_MAX). pack_a / pack_b pack one full
 * panel (mr rows / NR columns) of kc steps from any strides.
 */
#define GS_DECLARE_ISA(T, SUF)                                                                     \
  typedef struct gs_isa_##SUF {                                                                    \
    const char* name;                                                                              \
    unsigned mr_mask;                                                                              \
    void (*kernel)(int mr, ptrdiff_t kc, const T* a, const T* b, T* c, ptrdiff_t ldc, int acc);    \
    /* The same tile stored transposed: tile (r, j) goes to c[j*ldc + r]; NULL if not offered. */  \
    void (*kernel_t)(int mr, ptrdiff_t kc, const T* a, const T* b, T* c, ptrdiff_t ldc, int acc);  \
    void (*pack_a)(ptrdiff_t kc, int mr, const T* a, ptrdiff_t rs, ptrdiff_t cs, T* dst);          \
    void (*pack_b)(ptrdiff_t kc, const T* b, ptrdiff_t rs, ptrdiff_t cs, T* dst);                   \
    /* z[j] += bias[j] (bias may be NULL), out[j] = g(z[j]) for j < n; out may equal z. */       \
    void (*act_row)(int act, T* z, T* out, ptrdiff_t n, const T* bias);                            \
    /* delta[j] *= g'(z[j]) given a[j] = g(z[j]), j < n. */                                      \
    void (*prime_row)(int act, T* delta, const T* z, const T* a, ptrdiff_t n);                     \
    /* Cache blocking of gs_gemm (0: GS_MC, GS_KC, GS_NC); changes speed, never bits. */          \
    ptrdiff_t mc, kc, nc;                                                                          \
    /* Relative time per padded row of each panel height (NULL: the 4-to-6-row table). */        \
    const int* row_cost;                                                                           \
    /* Kernels of the same bits that run products with k < narrow_below_k faster (or NULL). */     \
    const struct gs_isa_##SUF* narrow;                                                             \
    ptrdiff_t narrow_below_k;                                                                      \
  } gs_isa_##SUF;                                                                                  \
                                                                                                   \
  /* What the GEMM does to each finished block of C (in the caller's coordinates). */            \
  typedef struct gs_epilogue_##SUF {                                                               \
    int kind; /* GS_EPI_NONE, GS_EPI_BIAS_ACT (C += bias, out = g(C)), GS_EPI_PRIME (C *= g') */  \
    int act;                                                                                       \
    T* out;                                                                                        \
    ptrdiff_t ldo;                                                                                 \
    const T* bias; /* contiguous, one per column of C */                                          \
    const T* z;    /* GS_EPI_PRIME: z and a = g(z) of the layer below, row stride ldp */          \
    const T* a;                                                                                    \
    ptrdiff_t ldp;                                                                                 \
  } gs_epilogue_##SUF;                                                                             \
                                                                                                   \
  /* C = op(A)·op(B) (+ C when accumulate), then the epilogue; returns 0, or -1 without memory. */ \
  int gs_gemm_##SUF(const gs_isa_##SUF* isa, gs_scratch* s, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, \
                    const T* a, ptrdiff_t rsa, ptrdiff_t csa, const T* b, ptrdiff_t rsb,           \
                    ptrdiff_t csb, T* c, ptrdiff_t rsc, ptrdiff_t csc, int accumulate,            \
                    const gs_epilogue_##SUF* ep);                                                  \
  /* out[j*stride] (+)= Σ_r m[r*cols + j] (+= when accumulate); tmp holds cols values. */        \
  void gs_column_sums_##SUF(const T* m, ptrdiff_t rows, ptrdiff_t cols, T* out, ptrdiff_t stride, \
                            int accumulate, T* tmp);                                               \
  /* Packs `rows` (≤ mr) rows into a panel of height mr, zero-padded. */                        \
  void gs_pack_a_generic_##SUF(ptrdiff_t kc, ptrdiff_t rows, int mr, const T* a, ptrdiff_t rs,     \
                               ptrdiff_t cs, T* dst);                                              \
  void gs_pack_b_generic_##SUF(ptrdiff_t kc, ptrdiff_t nr, const T* b, ptrdiff_t rs, ptrdiff_t cs, \
                               T* dst);                                                            \
  extern const gs_isa_##SUF gs_portable_##SUF;

enum { GS_EPI_NONE = 0, GS_EPI_BIAS_ACT = 1, GS_EPI_PRIME = 2 };

GS_DECLARE_ISA(float, f32)
GS_DECLARE_ISA(double, f64)

/* Output activation + loss pairs (losses.ts VALID_OUTPUT_LOSS). */
enum gs_loss { GS_LOSS_SIGMOID_BCE = 0, GS_LOSS_SOFTMAX_CE = 1, GS_LOSS_IDENTITY_MSE = 2, GS_LOSS_SIGMOID_MSE = 3 };

/*
 * a = g(z) of the output layer, Σℓ returned, delta = ∂ℓ/∂z unless NULL; rows × k row-major;
 * labels[r] is row r's class, already checked to lie in [0, k).
 */
double gs_output_loss_f32(int kind, const float* z, float* a, float* delta, ptrdiff_t rows, ptrdiff_t k, const int32_t* labels);
double gs_output_loss_f64(int kind, const double* z, double* a, double* delta, ptrdiff_t rows, ptrdiff_t k, const int32_t* labels);
/* gs_output_loss_f32(GS_LOSS_SIGMOID_BCE, …) on four lanes, the same bits (loss-avx2.c); AVX2 CPUs only. */
double gs_output_loss_bce_avx2_f32(const float* z, float* a, float* delta, ptrdiff_t rows, ptrdiff_t k, const int32_t* labels);

/* The AVX2/FMA float32 kernels, or NULL when this build or this CPU has none. */
const gs_isa_f32* gs_avx2_f32(void);
/* The same kernels with AVX-512 micro-kernels (the same bits), or NULL without AVX-512F. */
const gs_isa_f32* gs_avx512_f32(void);
/* The AVX2 kernel table (use gs_avx2_f32(), which checks the CPU) and B-panel packer, shared by the AVX-512 kernels. */
extern const gs_isa_f32 gs_avx2_table_f32;
void gs_avx2_pack_b_f32(ptrdiff_t kc, const float* b, ptrdiff_t rs, ptrdiff_t cs, float* dst);

#endif
