/**
 * Slurm host lists (`node[01-03,7],gpu5`) expanded as `scontrol show hostnames` does: a bracket
 * holds comma-separated numbers and ranges, a range keeps the zero padding of its first bound,
 * several brackets in one name multiply out left to right, and commas outside brackets separate
 * names. Written here so `launch` needs no Slurm binaries on the worker nodes.
 */
import { UsageError } from '../errors.js';

/** More names than any job has nodes: a typo such as `n[1-999999999]` stops here, not in memory. */
export const MAX_HOSTLIST_NAMES = 1_000_000;

/** Splits on commas that are not inside brackets. */
function topLevelParts(list: string, what: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === '[') {
      if (depth > 0) throw new UsageError(`${what} "${list}" has a bracket inside a bracket`);
      depth++;
    } else if (c === ']') {
      if (depth === 0) throw new UsageError(`${what} "${list}" has a ] without its [`);
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new UsageError(`${what} "${list}" has a [ without its ]`);
  parts.push(list.slice(start));
  return parts;
}

/** The numbers of one bracket (`01-03,7` → 01 02 03 7), padding kept. */
function bracketValues(inner: string, list: string, what: string): string[] {
  const values: string[] = [];
  for (const item of inner.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!m) throw new UsageError(`${what} "${list}" has "[${inner}]": expected numbers and ranges like [01-03,7]`);
    if (m[2] === undefined) {
      values.push(m[1]);
      continue;
    }
    const from = Number(m[1]);
    const to = Number(m[2]);
    if (to < from) throw new UsageError(`${what} "${list}" has the range ${item}, which runs backwards`);
    if (to - from + values.length >= MAX_HOSTLIST_NAMES)
      throw new UsageError(`${what} "${list}" names more than ${MAX_HOSTLIST_NAMES} hosts`);
    const width = m[1].length;
    for (let v = from; v <= to; v++) values.push(String(v).padStart(width, '0'));
  }
  return values;
}

/** One name with brackets (`rack[1-2]-n[01-02]`) → every name it stands for. */
function expandName(name: string, list: string, what: string): string[] {
  let names = [''];
  for (const m of name.matchAll(/([^[\]]*)(?:\[([^\]]*)\])?/g)) {
    if (m[0] === '') continue;
    const [, text, inner] = m;
    const tails = inner === undefined ? [''] : bracketValues(inner, list, what);
    if (names.length * tails.length > MAX_HOSTLIST_NAMES)
      throw new UsageError(`${what} "${list}" names more than ${MAX_HOSTLIST_NAMES} hosts`);
    names = names.flatMap((head) => tails.map((t) => `${head}${text}${t}`));
  }
  return names;
}

/**
 * Every host of a Slurm host list, in order (duplicates kept, as scontrol keeps them).
 * @param what names the list in errors, e.g. "SLURM_JOB_NODELIST"
 * @throws UsageError for an empty list, an empty name, or unbalanced or malformed brackets
 */
export function expandHostlist(list: string, what = 'the host list'): string[] {
  const trimmed = list.trim();
  if (trimmed === '') throw new UsageError(`${what} is empty`);
  const hosts: string[] = [];
  for (const part of topLevelParts(trimmed, what)) {
    if (part === '') throw new UsageError(`${what} "${list}" has an empty name (two commas in a row?)`);
    hosts.push(...expandName(part, trimmed, what));
    if (hosts.length > MAX_HOSTLIST_NAMES)
      throw new UsageError(`${what} "${list}" names more than ${MAX_HOSTLIST_NAMES} hosts`);
  }
  return hosts;
}
