/**
 * Long-running CLI processes for the distributed tests: a coordinator whose join URL is read
 * from its stderr, and workers pointed at it. Every process is killed when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { CLI_BIN, REPO_ROOT } from './cli.js';

export interface Running {
  readonly child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (null if killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Resolves when stderr matches `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

const all = new Set<ChildProcess>();

/** Starts `gradswarm ...args`. */
export function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  all.add(child);
  let err = '';
  let out = '';
  const listeners = new Set<() => void>();
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    err += c;
    for (const l of listeners) l();
  });
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      all.delete(child);
      for (const l of listeners) l();
      resolve(code);
    }),
  );
  return {
    child,
    stderr: () => err,
    stdout: () => out,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = err.match(pattern);
          if (m) {
            listeners.delete(check);
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            reject(
              new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${pattern}; stderr:\n${err}`),
            );
          }
        };
        listeners.add(check);
        check();
      }),
  };
}

/** Starts a coordinator on a free port; resolves once it prints its URL. */
export async function startCoordinator(args: readonly string[]): Promise<Running & { url: string }> {
  const c = start(['coordinator', '--port', '0', '--no-progress', ...args]);
  const [, url] = await c.waitFor(/coordinator listening on (wss?:\/\/[^\s]+)/);
  return Object.assign(c, { url });
}

/** Starts a worker for `url`. */
export function startWorker(url: string, token: string, args: readonly string[] = []): Running {
  return start(['worker', '--connect', url, '--token', token, '--give-up-after', '5s', ...args]);
}

/** Kills every process these helpers started and that is still running. */
export function killAll(): void {
  for (const child of all) child.kill('SIGKILL');
  all.clear();
}

/** A port free on 127.0.0.1 now (for a coordinator restarted where its workers redial). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
