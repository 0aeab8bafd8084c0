/**
 * Progress while training: a bar (cli-progress) on a terminal, one line per epoch otherwise.
 * Everything goes to stderr so stdout carries only the summary (and the --json line).
 */
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  readonly totalSteps: number;
  readonly epochs: number;
  readonly enabled: boolean;
  /** Steps already done (a resumed run). */
  readonly done?: number;
}

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly epochs: number;

  constructor(options: ProgressOptions) {
    this.epochs = options.epochs;
    this.bar =
      options.enabled && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: 'epoch {epochNo}/{epochs} {bar} {percentage}% | cost {cost} | {rate} samples/s | test {testAcc} | eta {eta_formatted}',
              hideCursor: true,
              clearOnComplete: true,
              etaBuffer: 50,
            },
            cliProgress.Presets.shades_classic,
          )
        : null;
    this.bar?.start(options.totalSteps, options.done ?? 0, { epochNo: 1, epochs: this.epochs, cost: '-', rate: '-', testAcc: '-' });
  }

  step(epoch: number, cost: number, samplesPerSecond: number): void {
    this.bar?.increment(1, { epochNo: epoch + 1, cost: cost.toFixed(4), rate: Math.round(samplesPerSecond).toLocaleString('en-US') });
  }

  epoch(line: string, testAccuracy: number | undefined): void {
    if (this.bar) {
      if (testAccuracy !== undefined) this.bar.update({ testAcc: `${(testAccuracy * 100).toFixed(2)}%` });
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
