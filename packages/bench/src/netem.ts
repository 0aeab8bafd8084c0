/**
 * Links like real machines (`bench scale --netem "rate=1gbit,delay=0.2ms"`): every participant
 * gets its own Linux network namespace, wired to one "switch" namespace by a veth pair, so the
 * star topology has what a real one has — one shaped link per machine, and the coordinator's
 * link carrying every worker's traffic:
 *
 *   gsw0 (coordinator) 10.77.0.2 ─veth─ 10.77.0.1 ┐
 *   gsw1 (worker 1)    10.77.1.2 ─veth─ 10.77.1.1 ├ gsw-switch (routes between the /30s)
 *   gswN (worker N)    10.77.N.2 ─veth─ 10.77.N.1 ┘
 *
 * Both ends of every veth are shaped on egress (each direction of each link): `tc qdisc … netem
 * rate R delay D`, or where the kernel lacks sch_netem, `tbf rate R` (rate only; a delay then is
 * refused, not dropped silently). Addresses exist only on those veths, inside the namespaces;
 * the host's own namespace is not touched. Needs root. `destroy()` is synchronous so it runs
 * from exit and signal handlers too; deleting a namespace removes its veths.
 */
import { execFileSync } from 'node:child_process';
import { BenchError, UsageError } from './errors.js';

/** Link shaping asked for by --netem. */
export interface LinkSpec {
  /** Bits per second; undefined: not limited. */
  readonly rateBitsPerSecond?: number;
  /** Added one-way delay per shaped link end, ms; undefined: none. */
  readonly delayMs?: number;
  /** The spec as given, for labels. */
  readonly text: string;
}

export const SWITCH_NAMESPACE = 'gsw-switch';
/** Namespace of participant i: gsw0 is the coordinator, gsw1 … gswW the workers. */
export const namespaceOf = (i: number): string => `gsw${i}`;
/** The coordinator's address inside gsw0. */
export const COORDINATOR_ADDRESS = '10.77.0.2';
/** Most participants: 10.77.i.0/30 for i < 254. */
export const MAX_NAMESPACES = 253;

const SPEC_HELP = ' - help: e.g. --netem "rate=1gbit,delay=0.2ms" (rate in bit/kbit/mbit/gbit, delay in us/ms/s)';
const RATE_UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12 };
const DELAY_UNITS: Record<string, number> = { us: 1e-3, ms: 1, s: 1e3 };

/**
 * Parses "rate=1gbit,delay=0.2ms" (either key may be left out, not both).
 * @throws UsageError naming --netem
 */
export function parseLinkSpec(text: string): LinkSpec {
  const fields = new Map<string, string>();
  for (const part of String(text)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const [key, value, ...rest] = part.split('=').map((s) => s.trim());
    if (value === undefined || rest.length > 0 || (key !== 'rate' && key !== 'delay'))
      throw new UsageError(`--netem takes rate=… and delay=…, got "${text}"${SPEC_HELP}`);
    if (fields.has(key)) throw new UsageError(`--netem names ${key} twice in "${text}"${SPEC_HELP}`);
    fields.set(key, value.toLowerCase());
  }
  if (fields.size === 0) throw new UsageError(`--netem needs rate=… and/or delay=…, got "${text}"${SPEC_HELP}`);
  const quantity = (key: string, units: Record<string, number>): number | undefined => {
    const value = fields.get(key);
    if (value === undefined) return undefined;
    const m = /^(\d+(?:\.\d+)?)([a-z]+)$/.exec(value);
    const factor = m ? units[m[2]] : undefined;
    const x = m && factor !== undefined ? Number(m[1]) * factor : NaN;
    if (!(x > 0) || !Number.isFinite(x))
      throw new UsageError(
        `--netem ${key} must be a positive number with a unit (${Object.keys(units).join(', ')}), got "${value}"${SPEC_HELP}`,
      );
    return x;
  };
  const rateBitsPerSecond = quantity('rate', RATE_UNITS);
  const delayMs = quantity('delay', DELAY_UNITS);
  if (rateBitsPerSecond !== undefined && rateBitsPerSecond < 1e6)
    throw new UsageError(`--netem rate must be at least 1mbit, got "${fields.get('rate')}"${SPEC_HELP}`);
  return { rateBitsPerSecond, delayMs, text };
}

/** Refuses --netem when not root, before anything is started. @throws UsageError */
export function assertCanShape(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new UsageError('--netem needs root (network namespaces and tc); run as root or drop --netem');
  }
}

/** Runs `ip`/`tc`; a failure names the command and tc's own message. */
type Runner = (command: string, args: readonly string[]) => string;

const runCommand: Runner = (command, args) => {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new UsageError(`--netem needs iproute2 (${command} was not found) - help: apt-get install iproute2`);
    throw new BenchError(`${command} ${args.join(' ')} failed: ${String(e.stderr ?? e.message).trim()}`, {
      cause: err,
    });
  }
};

/** The namespaces, veths and qdiscs of one benchmark; built for the most workers it runs. */
export class NetnsTopology {
  /** The qdisc that shapes the links. */
  qdisc: 'netem' | 'tbf' | 'none' = 'none';
  private readonly created: string[] = [];

  private constructor(
    readonly link: LinkSpec,
    readonly workers: number,
    private readonly run: Runner,
  ) {}

  /**
   * Creates gsw-switch, gsw0 (coordinator) and gsw1 … gswW, wires and shapes them. On any
   * failure it removes what it made before rethrowing.
   * @throws UsageError if a namespace of that name exists already, or delay is asked on a kernel without sch_netem
   */
  static create(link: LinkSpec, workers: number, run: Runner = runCommand): NetnsTopology {
    if (!Number.isInteger(workers) || workers < 1 || workers >= MAX_NAMESPACES)
      throw new RangeError(`workers must be an integer in [1, ${MAX_NAMESPACES - 1}], got ${workers}`);
    const topology = new NetnsTopology(link, workers, run);
    const wanted = [SWITCH_NAMESPACE, ...Array.from({ length: workers + 1 }, (_, i) => namespaceOf(i))];
    const existing = new Set(
      run('ip', ['netns', 'list'])
        .split('\n')
        .map((l) => l.split(/\s/)[0]),
    );
    const clash = wanted.find((n) => existing.has(n));
    if (clash)
      throw new UsageError(
        `network namespace ${clash} exists already (another bench, or one that was killed?) - help: ip netns del ${clash}`,
      );
    try {
      topology.build(wanted);
    } catch (err) {
      topology.destroy();
      throw err;
    }
    return topology;
  }

  /** "netns star via gsw-switch; every link end: tbf rate 1gbit" */
  describe(): string {
    const parts = [
      this.link.rateBitsPerSecond === undefined ? null : `rate ${formatRate(this.link.rateBitsPerSecond)}`,
      this.link.delayMs === undefined ? null : `delay ${this.link.delayMs}ms`,
    ].filter((p) => p !== null);
    const why = this.qdisc === 'tbf' ? ' (this kernel has no sch_netem)' : '';
    return `network namespaces, one veth link per process to a switch namespace; each link end shaped by ${this.qdisc} ${parts.join(' ')}${why}`;
  }

  /** Removes every namespace this topology created (their veths go with them). Never throws. */
  destroy(): void {
    for (const name of this.created.splice(0).reverse()) {
      try {
        this.run('ip', ['netns', 'del', name]);
      } catch {
        // Gone already, or ip vanished: nothing more to do for this one.
      }
    }
  }

  private build(names: readonly string[]): void {
    for (const name of names) {
      this.run('ip', ['netns', 'add', name]);
      this.created.push(name);
      this.run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    }
    // Forwarding only inside the switch namespace; the host's setting is untouched.
    this.run('ip', ['netns', 'exec', SWITCH_NAMESPACE, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    for (let i = 0; i <= this.workers; i++) {
      const ns = namespaceOf(i);
      const port = `p${i}`;
      this.run('ip', [
        'link',
        'add',
        port,
        'netns',
        SWITCH_NAMESPACE,
        'type',
        'veth',
        'peer',
        'name',
        'veth0',
        'netns',
        ns,
      ]);
      this.run('ip', ['-n', SWITCH_NAMESPACE, 'addr', 'add', `10.77.${i}.1/30`, 'dev', port]);
      this.run('ip', ['-n', ns, 'addr', 'add', `10.77.${i}.2/30`, 'dev', 'veth0']);
      this.run('ip', ['-n', SWITCH_NAMESPACE, 'link', 'set', port, 'up']);
      this.run('ip', ['-n', ns, 'link', 'set', 'veth0', 'up']);
      this.run('ip', ['-n', ns, 'route', 'add', 'default', 'via', `10.77.${i}.1`]);
      this.shape(SWITCH_NAMESPACE, port);
      this.shape(ns, 'veth0');
    }
  }

  private shape(ns: string, dev: string): void {
    const { rateBitsPerSecond: rate, delayMs: delay } = this.link;
    const base = ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', dev, 'root'];
    if (this.qdisc !== 'tbf') {
      const args = [
        ...base,
        'netem',
        ...(rate === undefined ? [] : ['rate', `${Math.round(rate)}bit`]),
        ...(delay === undefined ? [] : ['delay', `${delay}ms`]),
        'limit',
        '100000',
      ];
      try {
        this.run('ip', args);
        this.qdisc = 'netem';
        return;
      } catch (err) {
        if (this.qdisc === 'netem' || !/qdisc kind is unknown/i.test((err as Error).message)) throw err;
      }
      if (delay !== undefined) {
        throw new UsageError(
          `--netem delay=… needs the sch_netem qdisc, which this kernel lacks - help: drop delay= (rate= alone is shaped with tbf) or run on a kernel with sch_netem`,
        );
      }
      this.qdisc = 'tbf';
    }
    if (rate === undefined) return;
    // GSO hands veth 64 KiB packets: a burst of at least 128 KiB (or 1 ms at the rate) keeps tbf
    // from splitting them, and 50 ms of queue (8 MiB at least) keeps TCP from losing packets in
    // it (measured: 0.93-0.96 Gbit/s of goodput through tbf rate 1gbit on this machine).
    const burst = Math.max(128 * 1024, Math.round(rate / 8 / 1000));
    const limit = Math.max(8 << 20, Math.round(rate / 8 / 20));
    this.run('ip', [...base, 'tbf', 'rate', `${Math.round(rate)}bit`, 'burst', String(burst), 'limit', String(limit)]);
  }
}

/** 1e9 → "1gbit", 2.5e8 → "250mbit". */
export function formatRate(bitsPerSecond: number): string {
  for (const [unit, f] of [
    ['tbit', 1e12],
    ['gbit', 1e9],
    ['mbit', 1e6],
    ['kbit', 1e3],
  ] as const) {
    if (bitsPerSecond >= f) return `${Number((bitsPerSecond / f).toPrecision(4))}${unit}`;
  }
  return `${bitsPerSecond}bit`;
}
