import { describe, expect, it } from 'vitest';
import { confusionMatrix, MAX_CONFUSION_CLASSES } from '../src/metrics.js';

describe('confusionMatrix', () => {
  it('refuses a class count whose square it would allocate beyond the limit (issue 17 item 6)', () => {
    expect(() => confusionMatrix(new Int32Array([0]), new Int32Array([0]), MAX_CONFUSION_CLASSES + 1)).toThrow(
      RangeError,
    );
    expect(confusionMatrix(new Int32Array([1]), new Int32Array([0]), 2)).toEqual([
      [0, 0],
      [1, 0],
    ]);
  });
});
