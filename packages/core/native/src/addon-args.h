/*
 * Argument helpers shared by the N-API glue files (addon.c, addon-update.c): one call's arguments,
 * checked before any memory is touched; a failed check throws TypeError or RangeError once.
 */
#ifndef GS_ADDON_ARGS_H
#define GS_ADDON_ARGS_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs.h"
#include "update.h"

#if defined(__GNUC__) || defined(__clang__)
#define GS_PREFETCH(p) __builtin_prefetch(p)
#else
#define GS_PREFETCH(p) ((void)(p))
#endif

typedef struct {
  const char* name;
  const gs_isa_f32* f32;
  const gs_isa_f64* f64;
} gs_bundle;

/* The kernels object of one kernels(isa, mc, kc, nc) call: its own copies of the ISA tables
 * carrying that blocking, freed with the object. */
typedef struct {
  gs_bundle bundle;
  gs_isa_f32 f32;
  gs_isa_f64 f64;
} gs_tuned;

/* Everything one environment owns: nothing is global, so threads never share mutable state. */
typedef struct {
  gs_scratch pack; /* GEMM packing buffers */
  gs_scratch aux;  /* gathered biases, column-sum accumulators */
  gs_bundle bundles[2];
  size_t bundle_count;
} gs_instance;

typedef struct {
  napi_env env;
  napi_value argv[16];
  size_t argc;
  gs_instance* inst;
  const gs_bundle* isa;
  int failed;
} gs_call;

typedef struct {
  void* data;
  int64_t length;
  napi_typedarray_type type;
  int present;
} gs_array;

static void fail_type(gs_call* c, const char* msg) {
  if (!c->failed) napi_throw_type_error(c->env, NULL, msg);
  c->failed = 1;
}

static void fail_range(gs_call* c, const char* name, const char* what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s %s", name, what);
  if (!c->failed) napi_throw_range_error(c->env, NULL, msg);
  c->failed = 1;
}

static int begin(napi_env env, napi_callback_info info, gs_call* c, size_t want) {
  memset(c, 0, sizeof *c);
  c->env = env;
  c->argc = 16;
  void* data = NULL;
  if (napi_get_cb_info(env, info, &c->argc, c->argv, NULL, &data) != napi_ok) return 0;
  c->isa = (const gs_bundle*)data;
  napi_get_instance_data(env, (void**)&c->inst);
  if (c->argc < want) {
    fail_type(c, "gradswarm kernels: too few arguments");
    return 0;
  }
  return 1;
}

static int64_t arg_int(gs_call* c, size_t i, const char* name) {
  int64_t v = 0;
  if (c->failed) return 0;
  if (napi_get_value_int64(c->env, c->argv[i], &v) != napi_ok) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a number", name);
    fail_type(c, msg);
    return 0;
  }
  if (v < 0) fail_range(c, name, "must be >= 0");
  return v;
}

static int arg_bool(gs_call* c, size_t i) {
  bool v = false;
  if (!c->failed && napi_get_value_bool(c->env, c->argv[i], &v) != napi_ok) fail_type(c, "flags must be booleans");
  return v;
}

/* A typed array argument; `nullable` accepts null/undefined (present = 0). */
static gs_array arg_array(gs_call* c, size_t i, const char* name, int nullable) {
  gs_array a = {0};
  if (c->failed) return a;
  napi_valuetype t;
  napi_typeof(c->env, c->argv[i], &t);
  if (nullable && (t == napi_null || t == napi_undefined)) return a;
  bool is = false;
  napi_is_typedarray(c->env, c->argv[i], &is);
  if (!is) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a typed array", name);
    fail_type(c, msg);
    return a;
  }
  size_t length = 0;
  napi_get_typedarray_info(c->env, c->argv[i], &a.type, &length, &a.data, NULL, NULL);
  a.length = (int64_t)length;
  a.present = 1;
  return a;
}

/* The float type all float arrays share (napi_float32_array or napi_float64_array). */
static napi_typedarray_type float_type(gs_call* c, gs_array* const* arrays, size_t n) {
  napi_typedarray_type t = arrays[0]->type;
  for (size_t i = 0; i < n && !c->failed; i++) {
    if (!arrays[i]->present) continue;
    if (arrays[i]->type != napi_float32_array && arrays[i]->type != napi_float64_array) fail_type(c, "matrices must be Float32Array or Float64Array");
    else if (arrays[i]->type != t) fail_type(c, "matrices of one call must all be Float32Array or all Float64Array");
  }
  return t;
}

/* A rows × cols matrix with row stride ld at offset off must fit in the array. */
static void check_matrix(gs_call* c, const gs_array* a, const char* name, int64_t off, int64_t rows, int64_t cols, int64_t ld) {
  if (c->failed || rows == 0 || cols == 0) return;
  if (ld < cols) fail_range(c, name, "leading dimension is smaller than its row length");
  else if (off + (rows - 1) * ld + cols > a->length) fail_range(c, name, "is too short for its shape and offset");
}

static void check_vector(gs_call* c, const gs_array* a, const char* name, int64_t off, int64_t count, int64_t stride) {
  if (c->failed || count == 0) return;
  if (off + (count - 1) * stride + 1 > a->length) fail_range(c, name, "is too short for its length, offset and stride");
}

static int64_t arg_activation(gs_call* c, size_t i) {
  int64_t act = arg_int(c, i, "activation");
  if (!c->failed && act > GS_SWISH) fail_range(c, "activation", "is not a known activation code");
  return act;
}

static void out_of_memory(gs_call* c) {
  if (!c->failed) napi_throw_error(c->env, NULL, "gradswarm kernels: out of memory for packing buffers");
  c->failed = 1;
}

#define F32(a) ((float*)(a).data)
#define F64(a) ((double*)(a).data)

static double arg_double(gs_call* c, size_t i, const char* name) {
  double v = 0;
  if (c->failed) return 0;
  if (napi_get_value_double(c->env, c->argv[i], &v) != napi_ok) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a number", name);
    fail_type(c, msg);
  }
  return v;
}


/* The step-update glue (addon-update.c): sumGradients, finishGradient, sgdStep, adamStep. */
napi_value gs_js_sum_gradients(napi_env env, napi_callback_info info);
napi_value gs_js_finish_gradient(napi_env env, napi_callback_info info);
napi_value gs_js_sgd_step(napi_env env, napi_callback_info info);
napi_value gs_js_adam_step(napi_env env, napi_callback_info info);

#endif
