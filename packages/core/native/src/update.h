/* The coordinator's step update (update.c); native addon only, not part of the WebAssembly build. */
#ifndef GS_UPDATE_H
#define GS_UPDATE_H
#include <stddef.h>
#include <stdint.h>

/*
 * grad = Σ parts (in order), regularised and scaled, then momentum on params and velocity. rows
 * holds [start, end) of each row's weights after its bias, row_pairs of them, covering the
 * parameters contiguously. Writes the penalty sums Σw² and Σ|w| to sums[0] and sums[1].
 */
void gs_step_update(const int32_t* rows, ptrdiff_t row_pairs, const float* const* parts, ptrdiff_t part_count, float* grad, float* params, float* velocity,
                    double l1, double l2, double scale, double lr, double alpha, int nesterov, double* sums);

#endif
