import { describe, expect, it } from 'vitest';
import { DEFAULT_LAUNCH_PORT, resolveLaunchIdentity } from '../src/commands/launch-env.js';

const TORCHRUN = { RANK: '2', WORLD_SIZE: '4', MASTER_ADDR: 'node01', MASTER_PORT: '29500' };
const SLURM = {
  SLURM_PROCID: '1',
  SLURM_NTASKS: '3',
  SLURM_STEP_NODELIST: 'gpu[07-08],cpu1',
  SLURM_JOB_NODELIST: 'other[1-9]',
};
const K8S = { JOB_COMPLETION_INDEX: '0', WORLD_SIZE: '3', GRADSWARM_SERVICE: 'gradswarm-rank0' };

describe('resolveLaunchIdentity', () => {
  it('reads torchrun’s four variables', () => {
    expect(resolveLaunchIdentity(TORCHRUN)).toEqual({
      source: 'torchrun',
      rank: 2,
      worldSize: 4,
      rendezvousHost: 'node01',
      port: 29500,
    });
  });

  it('puts torchrun before Slurm (torchrun started inside an allocation)', () => {
    expect(resolveLaunchIdentity({ ...SLURM, ...TORCHRUN }).source).toBe('torchrun');
  });

  it('names the torchrun variables that are missing', () => {
    expect(() => resolveLaunchIdentity({ RANK: '0', WORLD_SIZE: '2' })).toThrow(
      /MASTER_ADDR, MASTER_PORT are not set - help: set all four/,
    );
    // --port stands in for MASTER_PORT.
    expect(resolveLaunchIdentity({ RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: 'h' }, { port: 9000 }).port).toBe(9000);
  });

  it('reads Slurm’s task id and count and the step’s first node, expanded', () => {
    expect(resolveLaunchIdentity(SLURM)).toEqual({
      source: 'slurm',
      rank: 1,
      worldSize: 3,
      rendezvousHost: 'gpu07',
      port: DEFAULT_LAUNCH_PORT,
    });
    const { SLURM_STEP_NODELIST: _, ...jobOnly } = SLURM;
    expect(resolveLaunchIdentity(jobOnly).rendezvousHost).toBe('other1');
    expect(resolveLaunchIdentity({ ...SLURM, MASTER_PORT: '4000' }).port).toBe(4000);
    expect(resolveLaunchIdentity({ ...SLURM, MASTER_PORT: '4000' }, { port: 5000 }).port).toBe(5000);
  });

  it('reads a Kubernetes Indexed Job’s index, WORLD_SIZE and the Service (flag before variable)', () => {
    expect(resolveLaunchIdentity(K8S)).toEqual({
      source: 'kubernetes',
      rank: 0,
      worldSize: 3,
      rendezvousHost: 'gradswarm-rank0',
      port: DEFAULT_LAUNCH_PORT,
    });
    expect(resolveLaunchIdentity(K8S, { service: 'svc' }).rendezvousHost).toBe('svc');
    const { GRADSWARM_SERVICE: _, ...noService } = K8S;
    expect(() => resolveLaunchIdentity(noService)).toThrow(/--service NAME or set GRADSWARM_SERVICE/);
  });

  it.each([
    [{ ...TORCHRUN, RANK: '4' }, /RANK=4 is not below WORLD_SIZE=4/],
    [{ ...TORCHRUN, WORLD_SIZE: 'four' }, /WORLD_SIZE must be an integer >= 1, got "four"/],
    [{ ...TORCHRUN, WORLD_SIZE: '0' }, /WORLD_SIZE must be an integer >= 1/],
    [{ ...TORCHRUN, MASTER_PORT: '70000' }, /MASTER_PORT must be a port in \[1, 65535\]/],
    [{ ...SLURM, SLURM_NTASKS: '' }, /SLURM_NTASKS is not/],
    [{ SLURM_PROCID: '0', SLURM_NTASKS: '1' }, /neither SLURM_STEP_NODELIST nor SLURM_JOB_NODELIST/],
    [{ ...SLURM, SLURM_STEP_NODELIST: 'n[1-' }, /SLURM_STEP_NODELIST "n\[1-" has a \[ without its \]/],
    [{ ...K8S, JOB_COMPLETION_INDEX: '3' }, /JOB_COMPLETION_INDEX=3 is not below WORLD_SIZE=3/],
    [{}, /launch found no rank in the environment/],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => resolveLaunchIdentity(env)).toThrow(message);
  });
});
