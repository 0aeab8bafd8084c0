/**
 * The open-file limit and the connection caps that fit inside it.
 *
 * Node itself raises the soft RLIMIT_NOFILE to the hard limit when it starts (src/node.cc,
 * PlatformInit, "Raise the open file descriptor limit"; only embedders opt out, with
 * kNoAdjustResourceLimits), so the soft limit a coordinator sees is already as high as an
 * unprivileged process can set it (this package's test/fd-limit.test.ts checks it under `ulimit -Sn 1024`).
 * An addon calling setrlimit would have nothing left to do; what is left is to read the limit,
 * keep the default caps on unauthenticated connections well inside it, and say so when it is
 * low (issue 16 item 14: a 1024 limit, ~1000 idle connections, then EMFILE at a checkpoint).
 */
import { readFileSync } from 'node:fs';
import {
  DEFAULT_CONNECTION_LIMITS,
  resolveConnectionLimits,
  type ConnectionLimitsOptions,
  type ResolvedConnectionLimitsOptions,
} from './connection-limits.js';

export interface OpenFileLimit {
  /** The limit the process runs under (Infinity: unlimited). */
  readonly soft: number;
  /** The most the soft limit can be raised to without privileges. */
  readonly hard: number;
}

/** Share of the open-file limit the default cap on unauthenticated connections may take. */
const UNAUTHENTICATED_SHARE = 4;

/**
 * The process's open-file limit, from /proc/self/limits.
 * @returns null where there is no /proc (macOS, Windows) or it cannot be read
 */
export function readOpenFileLimit(): OpenFileLimit | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!m) return null;
  const value = (s: string): number => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: value(m[1]), hard: value(m[2]) };
}

/**
 * Resolves the connection caps for this process: a cap the caller left out defaults to the
 * smaller of its default and a quarter of the open-file limit (the per-address cap never above
 * the total), so idle connections cannot take the descriptors a checkpoint write needs.
 * @param limit the open-file limit (readOpenFileLimit()); null: the plain defaults
 * @returns the options, and one line to log when the limit lowered a default (else null)
 * @throws TypeError / RangeError for a bad option (resolveConnectionLimits)
 */
export function fitConnectionLimits(
  options: ConnectionLimitsOptions,
  limit: OpenFileLimit | null,
): { options: ResolvedConnectionLimitsOptions; warning: string | null } {
  const given = resolveConnectionLimits(options);
  if (!limit || !Number.isFinite(limit.soft)) return { options: given, warning: null };
  const room = Math.max(1, Math.floor(limit.soft / UNAUTHENTICATED_SHARE));
  const total = options.maxUnauthenticated ?? Math.min(DEFAULT_CONNECTION_LIMITS.maxUnauthenticated, room);
  const perAddress =
    options.maxUnauthenticatedPerAddress ?? Math.min(DEFAULT_CONNECTION_LIMITS.maxUnauthenticatedPerAddress, total);
  const fitted = resolveConnectionLimits({
    ...options,
    maxUnauthenticated: total,
    maxUnauthenticatedPerAddress: perAddress,
  });
  const warning =
    total < DEFAULT_CONNECTION_LIMITS.maxUnauthenticated && options.maxUnauthenticated === undefined
      ? `the open-file limit is ${limit.soft} (hard ${limit.hard}), so at most ${total} unauthenticated connections are taken at once, not ${DEFAULT_CONNECTION_LIMITS.maxUnauthenticated} - help: raise the hard limit (ulimit -Hn as root, or LimitNOFILE= in a systemd unit)`
      : null;
  return { options: fitted, warning };
}
