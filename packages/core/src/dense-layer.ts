/**
 * One dense layer's forward and backward pass through a kernel backend (architecture §2, §3): the
 * backend's fused `denseForward` / `denseBackward` when it has them, else the same math composed
 * from its primitive operations. W is the nOut × (nIn+1) block of the flat parameters at
 * `offset`, bias in column 0, so every product addresses W[:, 1:] with ld = nIn + 1.
 */
import type { ElementwiseActivation } from './activations.js';
import type { KernelBackend } from './kernel-backend.js';
import type { FloatArray } from './types.js';

/** z = x·W[:, 1:]ᵀ + W[:, 0], out = g(z); `out` may be `z`. */
export function denseForward(
  backend: KernelBackend,
  rows: number,
  nIn: number,
  nOut: number,
  x: FloatArray,
  params: FloatArray,
  offset: number,
  z: FloatArray,
  out: FloatArray,
  activation: ElementwiseActivation,
): void {
  if (backend.denseForward) backend.denseForward(rows, nIn, nOut, x, params, offset, z, out, activation);
  else composedDenseForward(backend, rows, nIn, nOut, x, params, offset, z, out, activation);
}

/** ∂W += deltaᵀ·[1 | x] (∂W = … unless accumulate); deltaIn = (delta·W[:, 1:]) ⊙ g'(zIn) when deltaIn is given. */
export function denseBackward(
  backend: KernelBackend,
  rows: number,
  nIn: number,
  nOut: number,
  delta: FloatArray,
  x: FloatArray,
  zIn: FloatArray | null,
  params: FloatArray,
  offset: number,
  grad: FloatArray,
  deltaIn: FloatArray | null,
  activation: ElementwiseActivation,
  accumulate: boolean,
): void {
  if (backend.denseBackward)
    backend.denseBackward(rows, nIn, nOut, delta, x, zIn, params, offset, grad, deltaIn, activation, accumulate);
  else
    composedDenseBackward(
      backend,
      rows,
      nIn,
      nOut,
      delta,
      x,
      zIn,
      params,
      offset,
      grad,
      deltaIn,
      activation,
      accumulate,
    );
}

/** The forward layer from primitives only: gemm NT, then bias + activation. */
export function composedDenseForward(
  backend: KernelBackend,
  rows: number,
  nIn: number,
  nOut: number,
  x: FloatArray,
  params: FloatArray,
  offset: number,
  z: FloatArray,
  out: FloatArray,
  activation: ElementwiseActivation,
): void {
  const ldw = nIn + 1;
  backend.gemm(false, true, rows, nOut, nIn, x, 0, nIn, params, offset + 1, ldw, z, 0, nOut, false);
  backend.biasActivation(z, out, rows, nOut, params, offset, ldw, activation);
}

/**
 * The backward layer from primitives only: gemm TN into the gradient (accumulated or
 * overwritten), column sums into its bias column, then gemm NN and the activation derivative for
 * the layer below.
 * @throws TypeError if deltaIn is given without zIn
 */
export function composedDenseBackward(
  backend: KernelBackend,
  rows: number,
  nIn: number,
  nOut: number,
  delta: FloatArray,
  x: FloatArray,
  zIn: FloatArray | null,
  params: FloatArray,
  offset: number,
  grad: FloatArray,
  deltaIn: FloatArray | null,
  activation: ElementwiseActivation,
  accumulate: boolean,
): void {
  const ldw = nIn + 1;
  backend.gemm(true, false, nOut, nIn, rows, delta, 0, nOut, x, 0, nIn, grad, offset + 1, ldw, accumulate);
  if (!accumulate) for (let j = 0; j < nOut; j++) grad[offset + j * ldw] = 0;
  backend.addColumnSums(delta, rows, nOut, grad, offset, ldw);
  if (deltaIn === null) return;
  if (zIn === null) throw new TypeError('zIn must be given with deltaIn');
  backend.gemm(false, false, rows, nIn, nOut, delta, 0, nOut, params, offset + 1, ldw, deltaIn, 0, nIn, false);
  backend.mulActivationPrime(activation, deltaIn, zIn, x, rows * nIn);
}
