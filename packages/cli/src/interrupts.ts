/**
 * Ctrl-C and SIGTERM during a run (issue 16 items 2 and 3). The first asks the run to stop after
 * the current step, and says so; the run then writes everything as usual. A second one quits at
 * once: it writes what is safe to write without the step in flight (the model and checkpoint as
 * of the last finished step, which the event loop guarantees are whole between steps), or says
 * plainly that nothing was written.
 */

/** What the first signal prints. */
export const FIRST_SIGNAL_LINE =
  'stopping after this step; press Ctrl-C again to quit without saving it (the model as of the last finished step is still written)';

export interface InterruptHandlers {
  /** The first signal: stop after the current step. */
  readonly stop: () => void;
  /** The second: write what is safe, synchronously; the process exits after it. */
  readonly quitNow: () => void;
  readonly log: (line: string) => void;
}

export class Interrupts {
  private count = 0;
  private readonly onSignal = (): void => {
    this.count++;
    if (this.count === 1) {
      this.handlers.log(FIRST_SIGNAL_LINE);
      this.handlers.stop();
      return;
    }
    if (this.count === 2) this.handlers.quitNow();
  };

  constructor(private readonly handlers: InterruptHandlers) {}

  /** True once a signal came. */
  get requested(): boolean {
    return this.count > 0;
  }

  install(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  uninstall(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
