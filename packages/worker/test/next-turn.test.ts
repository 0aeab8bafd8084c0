import { describe, expect, it } from 'vitest';
import { nextTurn } from '../src/next-turn.js';

describe('nextTurn', () => {
  it('calls back after the current turn, not during it, and after already queued immediates', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('queued first'));
    const done = new Promise<void>((resolve) => nextTurn((v: string) => (order.push(v), resolve()), 'next turn'));
    await Promise.resolve();
    order.push('microtask');
    await done;
    expect(order).toEqual(['microtask', 'queued first', 'next turn']);
  });
});
