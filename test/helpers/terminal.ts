/**
 * The CLI on a real terminal: `script` (util-linux) gives the child a pseudo-terminal of a fixed
 * size, and a small screen model replays what it wrote (text, CR/LF, and the cursor and erase
 * sequences cli-progress and readline use), so a test asserts on the text a user would see, not
 * on escape codes. Scrollback is kept: the screen is every line ever written, top to bottom.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CLI_BIN, REPO_ROOT } from './cli.js';

// Built from strings: a regex literal with ESC in it trips the linter's control-character rule.
const ESC = String.fromCharCode(0x1b);
/** A whole escape sequence at the start of a string: CSI (with an optional '?') or ESC 7/8. */
const COMPLETE_ESCAPE = new RegExp(`^${ESC}(\\[[?]?[0-9;]*[A-Za-z]|[78])`);
/** One screen token: a CSI sequence, ESC 7/8, CR, LF or one printable character. */
const TOKEN_SOURCE = `${ESC}\\[([?]?)([0-9;]*)([A-Za-z])|${ESC}[78]|\\r|\\n|[^${ESC}\\r\\n]`;

/** True if `script` is there to make a pseudo-terminal. */
export const HAVE_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/** Replays terminal output onto lines of text. */
export class Screen {
  readonly lines: string[] = [''];
  private row = 0;
  private col = 0;
  private autowrap = true;

  constructor(readonly columns: number) {}

  private pending = '';

  /** Feeds output; an escape sequence cut by a chunk boundary waits for the rest. */
  write(chunk: string): void {
    let data = this.pending + chunk;
    this.pending = '';
    const esc = data.lastIndexOf('\x1b');
    if (esc >= 0 && !COMPLETE_ESCAPE.test(data.slice(esc))) {
      this.pending = data.slice(esc);
      data = data.slice(0, esc);
    }
    const re = new RegExp(TOKEN_SOURCE, 'gu');
    for (const m of data.matchAll(re)) {
      const s = m[0];
      if (s === '\r') this.col = 0;
      else if (s === '\n') this.moveTo(this.row + 1, this.col);
      else if (s.startsWith('\x1b[')) this.csi(m[1], m[2], m[3]);
      else if (!s.startsWith('\x1b')) this.put(s);
    }
  }

  /** The screen's text, trailing blank lines dropped. */
  text(): string {
    const lines = this.lines.map((l) => l.replace(/\s+$/, ''));
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.join('\n');
  }

  private moveTo(row: number, col: number): void {
    this.row = Math.max(0, row);
    while (this.lines.length <= this.row) this.lines.push('');
    this.col = Math.max(0, Math.min(col, this.columns - 1));
  }

  private put(ch: string): void {
    if (this.col >= this.columns) {
      if (!this.autowrap) return;
      this.moveTo(this.row + 1, 0);
    }
    const line = this.lines[this.row].padEnd(this.col, ' ');
    this.lines[this.row] = line.slice(0, this.col) + ch + line.slice(this.col + 1);
    this.col++;
  }

  private csi(private_: string, params: string, op: string): void {
    if (private_ === '?') {
      if (params === '7') this.autowrap = op === 'h';
      return; // cursor visibility and other modes do not change the text
    }
    const n = params === '' ? NaN : Number(params.split(';')[0]);
    const count = Number.isNaN(n) ? 1 : Math.max(1, n);
    const line = this.lines[this.row];
    switch (op) {
      case 'A':
        this.moveTo(this.row - count, this.col);
        return;
      case 'B':
        this.moveTo(this.row + count, this.col);
        return;
      case 'C':
        this.moveTo(this.row, this.col + count);
        return;
      case 'D':
        this.moveTo(this.row, this.col - count);
        return;
      case 'G':
        this.moveTo(this.row, count - 1);
        return;
      case 'K':
        if (Number.isNaN(n) || n === 0) this.lines[this.row] = line.slice(0, this.col);
        else if (n === 1) this.lines[this.row] = ' '.repeat(this.col) + line.slice(this.col + 1);
        else this.lines[this.row] = '';
        return;
      case 'J':
        if (Number.isNaN(n) || n === 0) {
          this.lines[this.row] = line.slice(0, this.col);
          this.lines.length = this.row + 1;
        }
        return;
      default:
        return; // colours (m) and the rest do not move text
    }
  }
}

export interface TerminalRun {
  readonly child: ChildProcess;
  readonly screen: Screen;
  /** Resolves with the CLI's exit code (through script -e). */
  readonly exited: Promise<number | null>;
  /** Resolves when the screen's text matches `pattern`. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

/** Runs `gradswarm ...args` on a pseudo-terminal of `columns` × `rows`. */
export function runInTerminal(args: readonly string[], columns = 100, rows = 40): TerminalRun {
  const quoted = [process.execPath, CLI_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', `stty cols ${columns} rows ${rows}; exec ${quoted}`, '/dev/null'], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const screen = new Screen(columns);
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    screen.write(chunk);
    for (const l of listeners) l();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    screen,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = screen.text().match(pattern);
          if (m) {
            listeners.delete(check);
            resolve(m);
          } else if (child.exitCode !== null) {
            listeners.delete(check);
            reject(new Error(`exited before ${pattern}; screen:\n${screen.text()}`));
          }
        };
        listeners.add(check);
        child.on('close', check);
        check();
      }),
  };
}
