/**
 * The shipped Kubernetes example (examples/kubernetes/) parsed as Kubernetes would read it:
 * the variables its Job sets are the ones `launch` reads, and each pod index resolves to its
 * rank with rank 0 at the headless Service, on the port the Service and container open.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LAUNCH_VARIABLES, resolveLaunchIdentity } from '../src/commands/launch-env.js';

const EXAMPLES = new URL('../../../examples/', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, EXAMPLES), 'utf8');

interface EnvVar {
  name: string;
  value?: string;
}
// The shapes this test reads, no more.
const job = parse(read('kubernetes/job.yaml')) as {
  kind: string;
  metadata: { name: string };
  spec: {
    completionMode: string;
    completions: number;
    parallelism: number;
    template: {
      spec: {
        containers: Array<{
          args: string[];
          env: EnvVar[];
          ports: Array<{ containerPort: number }>;
          volumeMounts: Array<{ name: string; mountPath: string }>;
        }>;
        volumes: Array<{ name: string; secret?: { secretName: string } }>;
      };
    };
  };
};
const service = parse(read('kubernetes/service.yaml')) as {
  kind: string;
  metadata: { name: string };
  spec: {
    clusterIP: string;
    publishNotReadyAddresses: boolean;
    selector: Record<string, string>;
    ports: Array<{ port: number; targetPort: number }>;
  };
};
const secret = parse(read('kubernetes/secret.yaml')) as {
  kind: string;
  metadata: { name: string };
  stringData: Record<string, string>;
};
const [container] = job.spec.template.spec.containers;
const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));

describe('examples/kubernetes', () => {
  it('is an Indexed Job, a headless Service and a Secret', () => {
    expect([job.kind, service.kind, secret.kind]).toEqual(['Job', 'Service', 'Secret']);
    expect(job.spec.completionMode).toBe('Indexed');
    expect(service.spec.clusterIP).toBe('None');
    // Workers look rank 0 up while it waits for them, before it could be Ready.
    expect(service.spec.publishNotReadyAddresses).toBe(true);
  });

  it('sets only variables launch reads, WORLD_SIZE equal to the pods, and leaves JOB_COMPLETION_INDEX to Kubernetes', () => {
    const read = new Set<string>(Object.values(LAUNCH_VARIABLES).flat());
    for (const name of Object.keys(env)) expect(read, `${name} is set but launch does not read it`).toContain(name);
    expect(env).not.toHaveProperty('JOB_COMPLETION_INDEX');
    expect(Number(env.WORLD_SIZE)).toBe(job.spec.completions);
    expect(job.spec.parallelism).toBe(job.spec.completions);
  });

  it('resolves every pod index to its rank, rank 0 at the Service, on the port the Service and container open', () => {
    for (let index = 0; index < job.spec.completions; index++) {
      const id = resolveLaunchIdentity({ ...env, JOB_COMPLETION_INDEX: String(index) });
      expect(id).toEqual({
        source: 'kubernetes',
        rank: index,
        worldSize: job.spec.completions,
        rendezvousHost: service.metadata.name,
        port: service.spec.ports[0].port,
      });
    }
    expect(service.spec.ports[0].targetPort).toBe(container.ports[0].containerPort);
    expect(container.ports[0].containerPort).toBe(service.spec.ports[0].port);
  });

  it('selects only the pod of index 0 of this Job', () => {
    expect(service.spec.selector).toEqual({
      'batch.kubernetes.io/job-name': job.metadata.name,
      'batch.kubernetes.io/job-completion-index': '0',
    });
  });

  it('runs launch with --token-file at the Secret’s mounted key', () => {
    expect(container.args[0]).toBe('launch');
    const tokenFile = container.args.find((a) => a.startsWith('--token-file='))?.slice('--token-file='.length);
    expect(tokenFile).toBeDefined();
    const mount = container.volumeMounts.find((m) => m.mountPath === dirname(tokenFile!));
    const volume = job.spec.template.spec.volumes.find((v) => v.name === mount?.name);
    expect(volume?.secret?.secretName).toBe(secret.metadata.name);
    expect(Object.keys(secret.stringData)).toContain(basename(tokenFile!));
  });
});

describe('examples/slurm/train.sbatch', () => {
  it('starts every rank with srun gradswarm launch and a token file', () => {
    const text = read('slurm/train.sbatch');
    expect(text).toMatch(/^srun .*gradswarm launch \\$/m);
    expect(text).toMatch(/--token-file /);
  });
});
