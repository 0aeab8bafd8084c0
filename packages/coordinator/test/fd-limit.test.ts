import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readOpenFileLimit } from '../src/fd-limit.js';

const limit = readOpenFileLimit();

describe('readOpenFileLimit', () => {
  it.skipIf(limit === null)('reads the soft and hard limits of this process', () => {
    expect(limit!.soft).toBeGreaterThan(0);
    expect(limit!.hard).toBeGreaterThanOrEqual(limit!.soft);
  });

  // Why the coordinator does not call setrlimit itself: Node raises the soft limit to the hard
  // one at start (src/node.cc, PlatformInit). If a Node release stopped doing so, this fails.
  it.skipIf(limit === null || !(limit.hard > 1024))(
    'starts under the hard limit even when the shell lowered the soft one to 1024 (Node raises it)',
    () => {
      const script =
        "const l=require('fs').readFileSync('/proc/self/limits','utf8').match(/^Max open files\\s+(\\S+)\\s+(\\S+)/m);console.log(l[1]+' '+l[2])";
      const out = execFileSync('sh', ['-c', `ulimit -Sn 1024 && exec "$0" -e "$1"`, process.execPath, script], {
        encoding: 'utf8',
      }).trim();
      const [soft, hard] = out.split(' ');
      expect(soft).toBe(hard);
      expect(Number(soft)).toBeGreaterThan(1024);
    },
  );
});
