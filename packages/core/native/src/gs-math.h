/*
 * The kernels' own exp, log, log1p and tanh (double, and float through double), so that no bit
 * of a result depends on the C library: libm's last bit differs between glibc versions, musl,
 * wasi-libc and the Windows CRT. Only IEEE-754 +, −, ×, ÷ in round-to-nearest and exact bit
 * manipulation are used, so the native addon and the wasm build compute the same bits wherever
 * the compiler does not fuse a product into an FMA (x86-64 baseline and SIMD128 have none).
 *
 * Accuracy: a few ulp in double, well below what a float result or the tests can see.
 * exp: x = k·ln2 + r (Cody-Waite, |r| ≤ ln2/2), Taylor series of e^r to degree 13 (truncation
 * below 2^-60 on that interval), times 2^k built in the exponent bits.
 * log: x = 2^e·m with m in [√½, √2), log m = 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.172, odd
 * series to s^25. log1p and expm1 use Kahan's corrections, which cancel the rounding of 1 + x.
 */
#ifndef GS_MATH_H
#define GS_MATH_H

#include <stdint.h>
#include <string.h>

static inline double gs_from_bits_(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

static inline uint64_t gs_to_bits_(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

/* ln 2 split so that k·GS_LN2_HI is exact for |k| < 2^11. */
#define GS_LN2_HI 0x1.62e42fee00000p-1
#define GS_LN2_LO 0x1.a39ef35793c76p-33
#define GS_INV_LN2 0x1.71547652b82fep0

static inline double gs_exp(double x) {
  if (x != x) return x;
  if (x > 709.782712893384) return gs_from_bits_(0x7ff0000000000000ull);
  if (x < -745.1332191019412) return 0.0;
  /* Round x/ln2 to the nearest integer without libm: adding 1.5·2^52 leaves an integer. */
  const double shifter = 0x1.8p52;
  const double kd = (x * GS_INV_LN2 + shifter) - shifter;
  const int k = (int)kd;
  const double r = (x - kd * GS_LN2_HI) - kd * GS_LN2_LO;
  double p = 1.0 / 6227020800.0; /* 1/13! */
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  const double y = 1.0 + (r + r * r * p);
  /* 2^k, in two factors where 2^k alone would be subnormal or overflow the exponent field. */
  if (k > 1023) return y * gs_from_bits_((uint64_t)(1023 + 1023) << 52) * gs_from_bits_((uint64_t)(k - 1023 + 1023) << 52);
  if (k < -1000) return y * gs_from_bits_((uint64_t)(k + 1000 + 1023) << 52) * gs_from_bits_((uint64_t)(-1000 + 1023) << 52);
  return y * gs_from_bits_((uint64_t)(k + 1023) << 52);
}

static inline double gs_log(double x) {
  if (x != x || x < 0) return gs_from_bits_(0x7ff8000000000000ull);
  if (x == 0) return -gs_from_bits_(0x7ff0000000000000ull);
  if (x == gs_from_bits_(0x7ff0000000000000ull)) return x;
  int e = 0;
  if (x < 0x1p-1022) { /* subnormal: scale into the normal range first */
    x *= 0x1p54;
    e = -54;
  }
  uint64_t u = gs_to_bits_(x);
  e += (int)((u >> 52) & 0x7ff) - 1023;
  double m = gs_from_bits_((u & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
  if (m > 0x1.6a09e667f3bcdp0) { /* > √2: halve into [√½, √2) */
    m *= 0.5;
    e += 1;
  }
  const double f = m - 1.0; /* exact (Sterbenz) */
  const double s = f / (2.0 + f);
  const double s2 = s * s;
  double q = 1.0 / 25;
  q = q * s2 + 1.0 / 23;
  q = q * s2 + 1.0 / 21;
  q = q * s2 + 1.0 / 19;
  q = q * s2 + 1.0 / 17;
  q = q * s2 + 1.0 / 15;
  q = q * s2 + 1.0 / 13;
  q = q * s2 + 1.0 / 11;
  q = q * s2 + 1.0 / 9;
  q = q * s2 + 1.0 / 7;
  q = q * s2 + 1.0 / 5;
  q = q * s2 + 1.0 / 3;
  /* log m = 2s + 2s·s²·q, written around f = 2s + s·f so the large part carries no rounding of s:
   * 2s = f − s·f exactly in real arithmetic. */
  const double hfsq = 0.5 * f * f;
  const double logm = f - (hfsq - s * (hfsq + 2.0 * s2 * q));
  const double ed = (double)e;
  return ed * GS_LN2_HI + (logm + ed * GS_LN2_LO);
}

/* log(1 + x) for x > −1: log(u)·x/(u − 1) with u = 1 + x rounded corrects u's rounding. */
static inline double gs_log1p(double x) {
  const double u = 1.0 + x;
  if (u == 1.0) return x;
  if (u == gs_from_bits_(0x7ff0000000000000ull)) return u;
  return gs_log(u) * (x / (u - 1.0));
}

/* e^x − 1: (u − 1)·x/log(u) with u = e^x, accurate near 0 where u − 1 alone cancels. */
static inline double gs_expm1(double x) {
  if (x > 0.5 || x < -0.5) return gs_exp(x) - 1.0;
  const double u = gs_exp(x);
  if (u == 1.0) return x;
  return (u - 1.0) * (x / gs_log(u));
}

static inline double gs_tanh(double x) {
  const double ax = x < 0 ? -x : x;
  if (ax != ax) return x;
  if (ax < 0x1p-28) return x;
  double t = 1.0;
  if (ax < 22.0) {
    const double e = gs_expm1(-2.0 * ax);
    t = -e / (e + 2.0);
  }
  return x < 0 ? -t : t;
}

static inline float gs_expf(float x) { return (float)gs_exp((double)x); }
static inline float gs_tanhf(float x) { return (float)gs_tanh((double)x); }

#endif
