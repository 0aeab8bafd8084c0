import { describe, expect, it } from 'vitest';
import { activate, activationPrime, sigmoid, sigmoidPrime } from '../src/activations.js';

describe('sigmoidPrime', () => {
  it('is 0.25 at zero (ex4 sigmoidGradient(0))', () => {
    expect(sigmoidPrime(0)).toBe(0.25);
  });

  it('is 0.006648056670790155 at ±5 (ex4 sigmoidGradient(±5))', () => {
    expect(sigmoidPrime(5)).toBe(0.006648056670790155);
    expect(sigmoidPrime(-5)).toBe(0.006648056670790155);
    expect(sigmoidPrime(800)).toBe(0);
  });
});

describe('sigmoid', () => {
  it('stays finite and in [0, 1] for huge inputs', () => {
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(Number.isFinite(sigmoid(-745.2))).toBe(true);
  });
});

describe('activationPrime', () => {
  it.each(['sigmoid', 'tanh', 'relu', 'swish'] as const)('matches a centred difference for %s', (name) => {
    for (const z of [-2.3, -0.4, 0.7, 3.1]) {
      const h = 1e-6;
      const numeric = (activate(name, z + h) - activate(name, z - h)) / (2 * h);
      expect(activationPrime(name, z, activate(name, z))).toBeCloseTo(numeric, 8);
    }
  });
});
