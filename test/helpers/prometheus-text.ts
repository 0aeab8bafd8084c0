/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for the /metrics
 * test: it throws on the first line that is not a HELP, TYPE or sample line of the format, on a
 * sample of a family with no TYPE before it, on a repeated series, a bad metric or label name, an
 * unparsable value, and on a histogram whose buckets do not ascend, are not cumulative, or whose
 * +Inf bucket differs from its _count. prom-client ships no parser; this one follows
 * https://prometheus.io/docs/instrumenting/exposition_formats/ (text format details).
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`${where}: bad value ${JSON.stringify(text)}`);
  return Number(text);
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: a label without "="`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label ${name} is not quoted`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`${where}: bad escape \\${next}`);
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`${where}: unterminated label value`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`${where}: expected "," after label ${name}`);
  }
  return labels;
}

/** The family a sample name belongs to (histogram and summary samples have suffixes). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  if (families.has(name)) return families.get(name);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of f.samples.filter((x) => x.name === `${f.name}_bucket`)) {
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${f.name}: a bucket without le`);
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  if (series.size === 0) throw new Error(`${f.name}: a histogram without buckets`);
  for (const [key, buckets] of series) {
    let lastLe = -Infinity;
    let lastCount = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le, `${f.name}{${key}}`);
      if (!(le > lastLe)) throw new Error(`${f.name}{${key}}: buckets do not ascend at le=${b.labels.le}`);
      if (b.value < lastCount) throw new Error(`${f.name}{${key}}: buckets are not cumulative at le=${b.labels.le}`);
      lastLe = le;
      lastCount = b.value;
    }
    if (lastLe !== Infinity) throw new Error(`${f.name}{${key}}: no +Inf bucket`);
    const rest = JSON.parse(key) as Record<string, string>;
    const same = (s: Sample): boolean => JSON.stringify(s.labels) === JSON.stringify(rest);
    const count = f.samples.find((s) => s.name === `${f.name}_count` && same(s));
    const sum = f.samples.find((s) => s.name === `${f.name}_sum` && same(s));
    if (!count || !sum) throw new Error(`${f.name}{${key}}: _count or _sum missing`);
    if (count.value !== lastCount)
      throw new Error(`${f.name}{${key}}: _count ${count.value} is not the +Inf bucket's ${lastCount}`);
  }
}

/** Parses a whole exposition; throws with the line number on the first fault. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line === '') return; // the format ignores empty lines (prom-client puts one between families)
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name ${JSON.stringify(name)}`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${JSON.stringify(rest)}`);
        const existing = families.get(name);
        if (existing?.samples.length || (existing && existing.type !== 'untyped'))
          throw new Error(`${where}: TYPE of ${name} twice or after its samples`);
        families.set(name, { name, type: rest as Family['type'], help: existing?.help ?? '', samples: [] });
      } else {
        const f = families.get(name) ?? { name, type: 'untyped' as const, help: '', samples: [] };
        f.help = rest;
        families.set(name, f);
      }
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`${where}: not a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = m;
    const family = familyOf(name, families);
    if (!family || family.type === 'untyped') throw new Error(`${where}: ${name} has no TYPE line before it`);
    const labels = parseLabels(labelText ?? '', where);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: series ${key} twice`);
    seen.add(key);
    family.samples.push({ name, labels, value: parseValue(valueText, where) });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}
