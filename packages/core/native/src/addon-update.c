/*
 * N-API glue of the coordinator's step update (update.c): the star reducer's sum, regularisation
 * and the optimizer steps, one function each (argument lists as in src/backends/native.ts). Each
 * checks every buffer's type and length before touching memory.
 */
#include "addon-args.h"

/* A JavaScript array of Float32Arrays, each n long, into the instance's pointer scratch. */
static const float** arg_parts(gs_call* c, size_t i, int64_t n, uint32_t* count) {
  bool is_array = false;
  napi_is_array(c->env, c->argv[i], &is_array);
  if (!is_array) return fail_type(c, "parts must be an array of Float32Arrays"), NULL;
  napi_get_array_length(c->env, c->argv[i], count);
  const float** parts = (const float**)gs_scratch_get(&c->inst->aux, (*count > 0 ? *count : 1) * sizeof(float*));
  if (parts == NULL) return out_of_memory(c), NULL;
  for (uint32_t s = 0; s < *count; s++) {
    napi_value element;
    napi_get_element(c->env, c->argv[i], s, &element);
    bool is = false;
    napi_is_typedarray(c->env, element, &is);
    napi_typedarray_type type = napi_int8_array;
    size_t length = 0;
    void* data = NULL;
    if (is) napi_get_typedarray_info(c->env, element, &type, &length, &data, NULL, NULL);
    if (type != napi_float32_array) return fail_type(c, "parts must be an array of Float32Arrays"), NULL;
    if ((int64_t)length != n) return fail_range(c, "parts", "must each be as long as the gradient"), NULL;
    parts[s] = (const float*)data;
  }
  return parts;
}

/* Float32Arrays all as long as the first. */
static int same_f32(gs_call* c, gs_array* const* arrays, size_t n, const char* names) {
  if (c->failed) return 0;
  for (size_t i = 0; i < n; i++) {
    if (arrays[i]->type != napi_float32_array) {
      char msg[128];
      snprintf(msg, sizeof msg, "%s must be Float32Arrays", names);
      return fail_type(c, msg), 0;
    }
    if (arrays[i]->length != arrays[0]->length) return fail_range(c, names, "must all be as long as params"), 0;
  }
  return 1;
}

/* sumGradients(parts, out) */
napi_value gs_js_sum_gradients(napi_env env, napi_callback_info info) {
  gs_call c;
  if (!begin(env, info, &c, 2)) return NULL;
  gs_array out = arg_array(&c, 1, "out", 0);
  if (c.failed) return NULL;
  if (out.type != napi_float32_array) return fail_type(&c, "out must be a Float32Array"), NULL;
  uint32_t count = 0;
  const float** parts = arg_parts(&c, 0, out.length, &count);
  if (c.failed) return NULL;
  gs_sum_gradients(parts, count, F32(out), (ptrdiff_t)out.length);
  return NULL;
}

/* finishGradient(rows, params, grad, l1, l2, scale, sums) */
napi_value gs_js_finish_gradient(napi_env env, napi_callback_info info) {
  gs_call c;
  if (!begin(env, info, &c, 7)) return NULL;
  gs_array rows = arg_array(&c, 0, "rows", 0), params = arg_array(&c, 1, "params", 0), grad = arg_array(&c, 2, "grad", 0);
  const double l1 = arg_double(&c, 3, "l1"), l2 = arg_double(&c, 4, "l2"), scale = arg_double(&c, 5, "scale");
  gs_array sums = arg_array(&c, 6, "sums", 0);
  gs_array* all[] = {&params, &grad};
  if (c.failed || !same_f32(&c, all, 2, "params and grad")) return NULL;
  if (rows.type != napi_int32_array) return fail_type(&c, "rows must be an Int32Array"), NULL;
  if (sums.type != napi_float64_array || sums.length < 2) return fail_type(&c, "sums must be a Float64Array of length 2"), NULL;
  const int64_t P = params.length;
  /* The rows must tile [0, P) exactly: bias, its row's weights, the next bias, … */
  const int32_t* r = (const int32_t*)rows.data;
  if (rows.length < 2 || rows.length % 2 != 0 || r[0] != 1 || r[rows.length - 1] != P) return fail_range(&c, "rows", "do not cover the parameters"), NULL;
  for (int64_t q = 0; q < rows.length; q += 2) {
    if (r[q + 1] < r[q] || (q > 0 && r[q] != r[q - 1] + 1)) return fail_range(&c, "rows", "do not cover the parameters"), NULL;
  }
  gs_finish_gradient(r, (ptrdiff_t)(rows.length / 2), F32(params), F32(grad), l1, l2, scale, F64(sums));
  return NULL;
}

/* sgdStep(params, grad, velocity, learningRate, momentum, nesterov) */
napi_value gs_js_sgd_step(napi_env env, napi_callback_info info) {
  gs_call c;
  if (!begin(env, info, &c, 6)) return NULL;
  gs_array params = arg_array(&c, 0, "params", 0), grad = arg_array(&c, 1, "grad", 0), velocity = arg_array(&c, 2, "velocity", 0);
  const double lr = arg_double(&c, 3, "learningRate"), alpha = arg_double(&c, 4, "momentum");
  const int nesterov = arg_bool(&c, 5);
  gs_array* all[] = {&params, &grad, &velocity};
  if (c.failed || !same_f32(&c, all, 3, "params, grad and velocity")) return NULL;
  gs_sgd_step(F32(params), F32(grad), F32(velocity), (ptrdiff_t)params.length, lr, alpha, nesterov);
  return NULL;
}

/* adamStep(params, grad, m, v, learningRate, beta1, beta2, eps, correction1, correction2, decay) */
napi_value gs_js_adam_step(napi_env env, napi_callback_info info) {
  gs_call c;
  if (!begin(env, info, &c, 11)) return NULL;
  gs_array params = arg_array(&c, 0, "params", 0), grad = arg_array(&c, 1, "grad", 0), m = arg_array(&c, 2, "m", 0), v = arg_array(&c, 3, "v", 0);
  const double lr = arg_double(&c, 4, "learningRate"), beta1 = arg_double(&c, 5, "beta1"), beta2 = arg_double(&c, 6, "beta2"), eps = arg_double(&c, 7, "eps");
  const double c1 = arg_double(&c, 8, "correction1"), c2 = arg_double(&c, 9, "correction2"), decay = arg_double(&c, 10, "decay");
  gs_array* all[] = {&params, &grad, &m, &v};
  if (c.failed || !same_f32(&c, all, 4, "params, grad, m and v")) return NULL;
  gs_adam_step(F32(params), F32(grad), F32(m), F32(v), (ptrdiff_t)params.length, lr, beta1, beta2, eps, c1, c2, decay);
  return NULL;
}
