/**
 * Element-wise activations and their derivatives. Derivatives take both z and a = g(z) because
 * the cheap form differs: sigmoid' = a(1−a), tanh' = 1−a², relu' = [z>0], swish' needs z.
 */
import type { FloatArray, HiddenActivation, OutputActivation } from './types.js';

/** Every element-wise activation a layer may use (softmax is row-wise and lives in losses.ts). */
export type ElementwiseActivation = HiddenActivation | 'identity';

/** Numerically safe logistic function: never evaluates exp of a large positive number. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * sigmoid'(z) = σ(z)(1 − σ(z)) = 1 / (2 + 2·cosh z). The cosh form avoids the cancellation in
 * 1 − σ(z) for large |z| and is correctly rounded at ±5 (0.006648056670790155).
 */
export function sigmoidPrime(z: number): number {
  return 1 / (2 + 2 * Math.cosh(z));
}

/** g(z) for a named activation. */
export function activate(name: ElementwiseActivation, z: number): number {
  switch (name) {
    case 'sigmoid':
      return sigmoid(z);
    case 'tanh':
      return Math.tanh(z);
    case 'relu':
      return z > 0 ? z : 0;
    case 'swish':
      return z * sigmoid(z);
    case 'identity':
      return z;
  }
}

/** g'(z) given z and a = g(z). */
export function activationPrime(name: ElementwiseActivation, z: number, a: number): number {
  switch (name) {
    case 'sigmoid':
      return a * (1 - a);
    case 'tanh':
      return 1 - a * a;
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'swish': {
      const s = sigmoid(z);
      return s + z * s * (1 - s);
    }
    case 'identity':
      return 1;
  }
}

/** a[i] = g(z[i]) for i in [0, length). */
export function activateArray(name: ElementwiseActivation, z: FloatArray, a: FloatArray, length: number): void {
  switch (name) {
    case 'sigmoid':
      for (let i = 0; i < length; i++) {
        const v = z[i];
        if (v >= 0) {
          a[i] = 1 / (1 + Math.exp(-v));
        } else {
          const e = Math.exp(v);
          a[i] = e / (1 + e);
        }
      }
      return;
    case 'tanh':
      for (let i = 0; i < length; i++) a[i] = Math.tanh(z[i]);
      return;
    case 'relu':
      for (let i = 0; i < length; i++) a[i] = z[i] > 0 ? z[i] : 0;
      return;
    case 'swish':
      for (let i = 0; i < length; i++) a[i] = z[i] * sigmoid(z[i]);
      return;
    case 'identity':
      if (a !== z) for (let i = 0; i < length; i++) a[i] = z[i];
      return;
  }
}

/** delta[i] *= g'(z[i]) for i in [0, length): the activation derivative folded into the backward delta. */
export function mulActivationPrime(
  name: ElementwiseActivation,
  delta: FloatArray,
  z: FloatArray,
  a: FloatArray,
  length: number,
): void {
  switch (name) {
    case 'sigmoid':
      for (let i = 0; i < length; i++) delta[i] *= a[i] * (1 - a[i]);
      return;
    case 'tanh':
      for (let i = 0; i < length; i++) delta[i] *= 1 - a[i] * a[i];
      return;
    case 'relu':
      for (let i = 0; i < length; i++) if (!(z[i] > 0)) delta[i] = 0;
      return;
    case 'swish':
      for (let i = 0; i < length; i++) {
        const s = sigmoid(z[i]);
        delta[i] *= s + z[i] * s * (1 - s);
      }
      return;
    case 'identity':
      return;
  }
}

/** Activations a hidden layer may use. */
export const HIDDEN_ACTIVATIONS: readonly HiddenActivation[] = ['sigmoid', 'tanh', 'relu', 'swish'];
/** Activations the output layer may use. */
export const OUTPUT_ACTIVATIONS: readonly OutputActivation[] = ['sigmoid', 'softmax', 'identity'];
