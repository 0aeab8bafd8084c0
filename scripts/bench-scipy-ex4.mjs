#!/usr/bin/env node
// scipy's fmin_cg and minimize(method='TNC') on the ex4 network and the embedded MNIST digits
// (scripts/peers/scipy_ex4.py), the figures README "Full-batch optimizers (ex4)" sets beside
// gradswarm's --optimizer cg and tnc: evaluations, final cost and accuracies per seed. Skipped
// with a message where python3 with numpy and scipy is missing.
//
//   node scripts/bench-scipy-ex4.mjs [--seeds 1,2,3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, loadData, root } from './bench-common.mjs';

const seeds = arg('seeds', '1,2,3').split(',').map(Number);
const probe = spawnSync('python3', ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
if (probe.status !== 0) {
  process.stdout.write('skipped: python3 with numpy and scipy is needed (Debian: apt-get install python3-scipy)\n');
  process.exit(0);
}
const data = await loadData();
const digits = data.loadEmbeddedMnist();
const dir = mkdtempSync(join(tmpdir(), 'gradswarm-scipy-ex4-'));
try {
  const x = join(dir, 'x.f32');
  const y = join(dir, 'y.i32');
  writeFileSync(x, new Uint8Array(digits.features.buffer, digits.features.byteOffset, digits.features.byteLength));
  writeFileSync(y, new Uint8Array(digits.labels.buffer, digits.labels.byteOffset, digits.labels.byteLength));
  // The README's two scipy runs: fmin_cg maxiter 50 at λ 0, TNC maxfun 70 at λ 1.
  for (const [method, lambda, iterations] of [
    ['cg', '0', '50'],
    ['tnc', '1', '70'],
  ]) {
    for (const seed of seeds) {
      const r = spawnSync(
        'python3',
        [join(root, 'scripts/peers/scipy_ex4.py'), x, y, method, lambda, iterations, String(seed)],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`scipy_ex4.py ${method} seed ${seed} failed: ${r.stderr.trim()}`);
      process.stdout.write(r.stdout);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
