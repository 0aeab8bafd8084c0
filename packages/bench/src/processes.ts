/**
 * Child processes of a benchmark: the built `gradswarm` CLI run as coordinator, workers and
 * `train`, each optionally inside a network namespace (`ip netns exec NS node …`, which execs, so
 * the child's pid is node's). A ProcessGroup owns its children: `killAll()` is synchronous, so it
 * also runs from signal and exit handlers, and ends exactly the processes it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GradswarmError } from '@gradswarm/core';
import { BenchError, UsageError } from './errors.js';

/** Keep this much of each stream: enough for the log lines the bench reads and an error tail. */
const MAX_LOG_CHARS = 1 << 20;

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One running child and what it has written. */
export class RunningProcess {
  readonly exited: Promise<ExitStatus>;
  private out = '';
  private err = '';
  private readonly listeners = new Set<() => void>();
  private status: ExitStatus | null = null;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const keep = (text: string, chunk: string): string => {
      const all = text + chunk;
      return all.length > MAX_LOG_CHARS ? all.slice(all.length - MAX_LOG_CHARS) : all;
    };
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (this.out = keep(this.out, c)));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      this.err = keep(this.err, c);
      for (const l of this.listeners) l();
    });
    this.exited = new Promise((resolve) => {
      const done = (status: ExitStatus): void => {
        if (this.status) return;
        this.status = status;
        for (const l of this.listeners) l();
        resolve(status);
      };
      child.on('error', (err) => {
        this.err += `\n${name}: ${err.message}`;
        done({ code: 127, signal: null });
      });
      child.on('close', (code, signal) => done({ code, signal }));
    });
  }

  stdout(): string {
    return this.out;
  }

  stderr(): string {
    return this.err;
  }

  /** The exit status, or null while it runs. */
  exitStatus(): ExitStatus | null {
    return this.status;
  }

  /**
   * Resolves with the first match of `pattern` in stderr.
   * @throws BenchError (UsageError for the child's own usage error) if the process exits first or `timeoutMs` passes
   */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          finish(
            new BenchError(
              `${this.name}: no ${pattern} on stderr within ${Math.round(timeoutMs / 1000)} s${tail(this.err)}`,
            ),
          ),
        timeoutMs,
      );
      const finish = (result: RegExpMatchArray | Error): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const check = (): void => {
        const m = this.err.match(pattern);
        if (m) finish(m);
        else if (this.status) finish(childFailure(this.name, this.status, this.err, ` before ${pattern}`));
      };
      this.listeners.add(check);
      check();
    });
  }
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc (Linux; USER_HZ is 100
 * there); undefined elsewhere or once it has exited.
 */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is field 3, utime 14 and stime 15 (1-based).
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** "code 1" or "signal SIGKILL". */
export function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

/**
 * The error for a child that stopped: a usage error of its own (exit 2; the bench passes its
 * --layers, --dataset, … on) becomes ours, so the user gets that one line and exit 2; anything
 * else is a BenchError quoting the end of the child's output.
 */
export function childFailure(name: string, status: ExitStatus, log: string, context = ''): GradswarmError {
  const lines = log.match(/^gradswarm: error: .*$/gm);
  if (status.code === 2 && lines) return new UsageError(lines[lines.length - 1].replace(/^gradswarm: error: /, ''));
  return new BenchError(`${name} exited (${describeExit(status)})${context}${tail(log)}`);
}

/** The last lines of a log, for error messages. */
export function tail(log: string, lines = 6): string {
  const last = log.trim().split('\n').slice(-lines).join('\n  ');
  return last ? `; its last output:\n  ${last}` : '';
}

export interface StartOptions {
  /** Network namespace to run in (needs root). */
  readonly netns?: string;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Called with the child's pid right after spawn (before it has run any of node), e.g. to move
   * it into a CPU-limited cgroup; a throw kills the child and propagates.
   */
  readonly place?: (pid: number) => void;
}

/** The children one benchmark started; ends them all, and only them. */
export class ProcessGroup {
  private readonly running = new Set<RunningProcess>();

  /**
   * @param cliBin the `gradswarm` entry script every child runs (the CLI passes its own bin/gradswarm.js)
   * @param logDir where to keep each child's output as NAME.log once it exits [nowhere]
   */
  constructor(
    private readonly cliBin: string,
    private readonly logDir?: string,
  ) {}

  /** Starts `gradswarm ...args` (in `options.netns` if given). */
  startCli(name: string, args: readonly string[], options: StartOptions = {}): RunningProcess {
    const node = [process.execPath, this.cliBin, ...args];
    const [command, ...argv] = options.netns ? ['ip', 'netns', 'exec', options.netns, ...node] : node;
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const run = new RunningProcess(name, child);
    this.running.add(run);
    if (options.place && child.pid !== undefined) {
      try {
        options.place(child.pid);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
    }
    void run.exited.then((status) => {
      this.running.delete(run);
      if (this.logDir === undefined) return;
      const text = `$ ${[command, ...argv].join(' ')}\n# exit: ${describeExit(status)}\n# stderr:\n${run.stderr()}\n# stdout:\n${run.stdout()}`;
      // A run's token dies with it, but a kept log has no use for it either.
      writeFileSync(
        join(this.logDir, `${name.replace(/[^\w.-]+/g, '_')}.log`),
        text.replace(/--token \S+/g, '--token <redacted>'),
      );
    });
    return run;
  }

  /** SIGKILLs every child still running (synchronous: safe in signal and exit handlers). */
  killAll(): void {
    for (const run of this.running) {
      if (run.exitStatus() === null && run.child.exitCode === null && run.child.signalCode === null)
        run.child.kill('SIGKILL');
    }
    this.running.clear();
  }

  /**
   * Waits up to `graceMs` for `runs` to exit by themselves, then SIGKILLs the rest.
   * @returns the exit status of each, in order
   */
  async settle(runs: readonly RunningProcess[], graceMs: number): Promise<ExitStatus[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(runs.map((r) => r.exited)), timeout]);
    clearTimeout(timer);
    for (const r of runs) if (r.exitStatus() === null) r.child.kill('SIGKILL');
    return Promise.all(runs.map((r) => r.exited));
  }
}
