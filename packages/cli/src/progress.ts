/**
 * Progress while training: a bar (cli-progress) on a terminal, and the run's log lines. Every
 * line goes to stderr so stdout carries only the summary (and the --json line).
 *
 * On a terminal the bar is drawn only once training begins (not while the coordinator waits for
 * workers, so it never sits on the join line), and while it is drawn every line, the per-epoch
 * lines included, is printed above it through cli-progress's own log (a MultiBar's buffer, flushed
 * at once), never through it. Stopping clears the bar, so no stale bar is left under the prompt.
 */
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  readonly totalSteps: number;
  readonly epochs: number;
  readonly enabled: boolean;
  /** What the bar counts its rounds in: epochs, or a full-batch optimizer's iterations [epoch]. */
  readonly unit?: string;
  /** Steps already done (a resumed run). */
  readonly done?: number;
  /** Where lines and the bar go [process.stderr]. */
  readonly stream?: NodeJS.WriteStream;
}

export class Progress {
  private readonly options: ProgressOptions;
  private readonly stream: NodeJS.WriteStream;
  private readonly multibar: cliProgress.MultiBar | null;
  private bar: cliProgress.SingleBar | null = null;

  constructor(options: ProgressOptions) {
    this.options = options;
    this.stream = options.stream ?? process.stderr;
    this.multibar =
      options.enabled && this.stream.isTTY
        ? new cliProgress.MultiBar(
            {
              stream: this.stream,
              format: `${options.unit ?? 'epoch'} {epochNo}/{epochs} {bar} {percentage}% | cost {cost}${options.unit === 'iteration' ? ' | {evaluations} evaluations' : ''} | {rate} samples/s | test {testAcc} | eta {eta_formatted}`,
              hideCursor: true,
              clearOnComplete: true,
              etaBuffer: 50,
            },
            cliProgress.Presets.shades_classic,
          )
        : null;
  }

  /** Draws the bar (on a terminal); call when the first step is about to run. */
  begin(): void {
    if (!this.multibar || this.bar) return;
    const o = this.options;
    this.bar = this.multibar.create(o.totalSteps, o.done ?? 0, {
      epochNo: 1,
      epochs: o.epochs,
      cost: '-',
      rate: '-',
      testAcc: '-',
      evaluations: 0,
    });
  }

  /** Prints one line: above the bar while it is drawn, plainly otherwise. */
  log(line: string): void {
    if (this.multibar && this.bar) {
      this.multibar.log(`${line}\n`);
      // Flush now rather than at the next redraw, so the line is there even if the run ends first.
      this.multibar.update();
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** @param evaluations a full-batch run's evaluations of J and ∇J so far */
  step(epoch: number, cost: number, samplesPerSecond: number, evaluations = 0): void {
    this.bar?.increment(1, {
      evaluations,
      epochNo: epoch + 1,
      cost: cost.toFixed(4),
      rate: Math.round(samplesPerSecond).toLocaleString('en-US'),
    });
  }

  /** The per-epoch line (above the bar on a terminal), and the bar's test accuracy. */
  epoch(line: string, testAccuracy: number | undefined): void {
    if (this.bar && testAccuracy !== undefined) this.bar.update({ testAcc: `${(testAccuracy * 100).toFixed(2)}%` });
    this.log(line);
  }

  /** Clears the bar; later lines print plainly. */
  stop(): void {
    if (!this.multibar || !this.bar) return;
    this.multibar.update(); // flush lines logged since the last redraw
    this.multibar.stop();
    this.bar = null;
  }
}
