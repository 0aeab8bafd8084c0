import { describe, expect, it } from 'vitest';
import { formatRate, NetnsTopology, parseLinkSpec } from '../src/netem.js';
import { UsageError } from '../src/errors.js';

describe('parseLinkSpec', () => {
  it('reads rate and delay with tc’s units', () => {
    expect(parseLinkSpec('rate=1gbit,delay=0.2ms')).toEqual({
      rateBitsPerSecond: 1e9,
      delayMs: 0.2,
      text: 'rate=1gbit,delay=0.2ms',
    });
    expect(parseLinkSpec(' rate = 250mbit ')).toMatchObject({ rateBitsPerSecond: 2.5e8, delayMs: undefined });
    expect(parseLinkSpec('delay=150us')).toMatchObject({ rateBitsPerSecond: undefined, delayMs: 0.15 });
  });

  it.each([
    ['', /needs rate=… and\/or delay=…/],
    ['rate=1gbps', /rate must be a positive number with a unit/],
    ['rate=fast', /rate must be a positive number with a unit/],
    ['delay=-1ms', /delay must be a positive number/],
    ['loss=1%', /takes rate=… and delay=…/],
    ['rate=1gbit,rate=2gbit', /names rate twice/],
    ['rate=10kbit', /at least 1mbit/],
  ])('refuses %j with a usage error naming --netem', (text, message) => {
    expect(() => parseLinkSpec(text)).toThrow(UsageError);
    expect(() => parseLinkSpec(text)).toThrow(message);
  });
});

describe('formatRate', () => {
  it('names rates as tc does', () => {
    expect(formatRate(1e9)).toBe('1gbit');
    expect(formatRate(2.5e8)).toBe('250mbit');
    expect(formatRate(1e10)).toBe('10gbit');
  });
});

/** A fake `ip`: records every command; `fail` decides which ones fail and how. */
function fakeIp(options: { existing?: string[]; noNetem?: boolean } = {}) {
  const calls: string[] = [];
  const run = (command: string, args: readonly string[]): string => {
    const line = [command, ...args].join(' ');
    calls.push(line);
    if (line === 'ip netns list') return (options.existing ?? []).map((n) => `${n} (id: 0)`).join('\n');
    if (options.noNetem && args.includes('netem'))
      throw new Error(`${line} failed: Error: Specified qdisc kind is unknown.`);
    return '';
  };
  return { calls, run };
}

describe('NetnsTopology', () => {
  it('builds a switch namespace, the coordinator’s and one per worker, with addresses only on their veths', () => {
    const ip = fakeIp();
    const t = NetnsTopology.create(parseLinkSpec('rate=1gbit,delay=0.2ms'), 2, ip.run);
    expect(t.qdisc).toBe('netem');
    expect(ip.calls.filter((c) => c.startsWith('ip netns add'))).toEqual([
      'ip netns add gsw-switch',
      'ip netns add gsw0',
      'ip netns add gsw1',
      'ip netns add gsw2',
    ]);
    const addresses = ip.calls.filter((c) => c.includes(' addr add '));
    expect(addresses).toEqual([
      'ip -n gsw-switch addr add 10.77.0.1/30 dev p0',
      'ip -n gsw0 addr add 10.77.0.2/30 dev veth0',
      'ip -n gsw-switch addr add 10.77.1.1/30 dev p1',
      'ip -n gsw1 addr add 10.77.1.2/30 dev veth0',
      'ip -n gsw-switch addr add 10.77.2.1/30 dev p2',
      'ip -n gsw2 addr add 10.77.2.2/30 dev veth0',
    ]);
    // Every command names a namespace: the host's own is never changed.
    for (const c of ip.calls.filter((c) => c !== 'ip netns list'))
      expect(c).toMatch(/ -n gsw| netns (add|exec) gsw|netns gsw-switch type veth peer name veth0 netns gsw\d/);
    // Both ends of each of the three links are shaped.
    const qdiscs = ip.calls.filter((c) => c.includes(' qdisc add '));
    expect(qdiscs).toHaveLength(6);
    for (const q of qdiscs) expect(q).toMatch(/root netem rate 1000000000bit delay 0.2ms limit \d+$/);
    expect(t.describe()).toMatch(/netem rate 1gbit delay 0.2ms/);
  });

  it('removes every namespace it made, once', () => {
    const ip = fakeIp();
    const t = NetnsTopology.create(parseLinkSpec('rate=1gbit'), 1, ip.run);
    t.destroy();
    t.destroy();
    expect(ip.calls.filter((c) => c.startsWith('ip netns del'))).toEqual([
      'ip netns del gsw1',
      'ip netns del gsw0',
      'ip netns del gsw-switch',
    ]);
  });

  it('shapes the rate with tbf on a kernel without sch_netem, and says so', () => {
    const ip = fakeIp({ noNetem: true });
    const t = NetnsTopology.create(parseLinkSpec('rate=1gbit'), 1, ip.run);
    expect(t.qdisc).toBe('tbf');
    const tbf = ip.calls.filter((c) => c.includes(' tbf '));
    expect(tbf).toHaveLength(4);
    for (const q of tbf) expect(q).toMatch(/root tbf rate 1000000000bit burst \d+ limit \d+$/);
    expect(t.describe()).toMatch(/tbf rate 1gbit \(this kernel has no sch_netem\)/);
  });

  it('refuses a delay it cannot apply, and leaves nothing behind', () => {
    const ip = fakeIp({ noNetem: true });
    expect(() => NetnsTopology.create(parseLinkSpec('rate=1gbit,delay=0.2ms'), 2, ip.run)).toThrow(
      /delay=… needs the sch_netem qdisc, which this kernel lacks - help: drop delay=/,
    );
    const added = ip.calls.filter((c) => c.startsWith('ip netns add')).map((c) => c.split(' ').pop());
    const deleted = ip.calls.filter((c) => c.startsWith('ip netns del')).map((c) => c.split(' ').pop());
    expect(deleted.sort()).toEqual(added.sort());
  });

  it('refuses to reuse a namespace that exists already', () => {
    const ip = fakeIp({ existing: ['gsw1'] });
    expect(() => NetnsTopology.create(parseLinkSpec('rate=1gbit'), 2, ip.run)).toThrow(
      /network namespace gsw1 exists already .* - help: ip netns del gsw1/,
    );
    expect(ip.calls).toEqual(['ip netns list']);
  });
});
