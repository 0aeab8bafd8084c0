/**
 * Waiting on the main thread, without blocking it, for a counter a pool thread raises in shared
 * memory (Atomics.store + Atomics.notify there): how the chain learns which blocks of a gradient
 * are final while the thread computes the rest.
 */

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

// In Node since 16; the ES2023 lib this build targets does not declare it yet.
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * Resolves once control[index] ≥ end, or once `settled` does (the task ended: whatever it wrote
 * is final); rejects if `settled` rejects.
 */
export async function waitAtLeast(
  control: Int32Array,
  index: number,
  end: number,
  settled: Promise<unknown>,
): Promise<void> {
  let done = false;
  const finished = settled.then(() => {
    done = true;
  });
  finished.catch(() => undefined); // a failure surfaces through the race below, or at the task's own await
  for (;;) {
    const have = Atomics.load(control, index);
    if (have >= end || done) return;
    // 'not-equal': it moved between the load and the wait; look again.
    const w = waitAsync(control, index, have);
    if (w.async) await Promise.race([w.value, finished]);
  }
}
