import { describe, expect, it } from 'vitest';
import { expandHostlist } from '../src/commands/launch-hostlist.js';

describe('expandHostlist', () => {
  // Each expected list is what `scontrol show hostnames` printed for the same input (Slurm 22.05).
  it.each([
    ['node[01-03,7],gpu5', ['node01', 'node02', 'node03', 'node7', 'gpu5']],
    ['r[1-2]-n[01-02]', ['r1-n01', 'r1-n02', 'r2-n01', 'r2-n02']],
    ['a[8-11]', ['a8', 'a9', 'a10', 'a11']],
    ['x[099-101]', ['x099', 'x100', 'x101']],
    ['n1,n2', ['n1', 'n2']],
    ['vm', ['vm']],
    ['[1-2]', ['1', '2']],
  ])('expands %s as scontrol show hostnames does', (list, hosts) => {
    expect(expandHostlist(list)).toEqual(hosts);
  });

  it.each([
    ['', /SLURM_JOB_NODELIST is empty/],
    ['node[01-03', /has a \[ without its \]/],
    ['node01]', /has a \] without its \[/],
    ['n[1-[2]]', /bracket inside a bracket/],
    ['n[3-1]', /the range 3-1, which runs backwards/],
    ['n[a-b]', /expected numbers and ranges like \[01-03,7\]/],
    ['n1,,n2', /an empty name/],
    ['n[1-999999999]', /more than 1000000 hosts/],
  ])('refuses %j with one line naming the list', (list, message) => {
    expect(() => expandHostlist(list, 'SLURM_JOB_NODELIST')).toThrow(message);
  });
});
