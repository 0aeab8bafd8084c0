/**
 * What a run shows while it runs, besides the progress bar (issue 13 items 1–3): the live
 * dashboard at `/` and Prometheus `/metrics` on the coordinator's port (`coordinator` only), and
 * the Chrome trace file of `--trace` (`train` and `coordinator`). All of them follow the run's
 * events; none changes what the run computes.
 */
import { loadJoinAssets } from '@gradswarm/browser/node';
import {
  addDashboardRoutes,
  addJoinRoutes,
  type Coordinator,
  type CoordinatorListener,
  PrometheusMetrics,
  ReadAccess,
  RunObserver,
  TraceRecorder,
} from '@gradswarm/coordinator';
import { writeFileAtomic } from '@gradswarm/data/node';
import { renderDashboardPage, renderDashboardView } from '@gradswarm/report';
import type { Options } from 'yargs';
import { UsageError } from './errors.js';

export const traceFlags = {
  trace: {
    type: 'string',
    describe: 'write a Chrome Trace Event file (JSON) of the run here: open it in Perfetto or chrome://tracing',
    group: 'Output:',
  },
  'trace-steps': {
    type: 'string',
    describe: 'trace only steps A to B (1-based, inclusive; A: or :B leave an end open) [all]',
    group: 'Output:',
  },
} as const satisfies Record<string, Options>;

export const dashboardFlags = {
  'dashboard-token': {
    type: 'string',
    describe:
      'a read-only token for the dashboard at / and /metrics (the run token works too); not accepted from workers',
    group: 'Network:',
  },
} as const satisfies Record<string, Options>;

export interface TraceArgs {
  trace?: string;
  traceSteps?: string;
}

/**
 * Parses `--trace-steps A:B`.
 * @throws UsageError for anything but A:B, A: or :B with 1 ≤ A ≤ B
 */
export function parseTraceSteps(text: string | undefined): { fromStep: number; toStep: number } {
  if (text === undefined) return { fromStep: 1, toStep: Infinity };
  const m = /^(\d*):(\d*)$/.exec(text.trim());
  const from = m && m[1] !== '' ? Number(m[1]) : 1;
  const to = m && m[2] !== '' ? Number(m[2]) : Infinity;
  if (!m || (m[1] === '' && m[2] === '') || from < 1 || to < from)
    throw new UsageError(
      `--trace-steps must be A:B with 1 <= A <= B (or A: or :B), got ${JSON.stringify(text)} - help: e.g. --trace-steps 100:200`,
    );
  return { fromStep: from, toStep: to };
}

/** Checks the flags before anything starts. */
export function checkObservabilityArgs(args: TraceArgs): void {
  if (args.traceSteps !== undefined && args.trace === undefined)
    throw new UsageError('--trace-steps needs --trace FILE.json - help: add --trace run-trace.json');
  parseTraceSteps(args.traceSteps);
}

export interface Observability {
  /**
   * Removes the routes and writes the trace (if asked and `write`: a run that took no step writes
   * nothing); returns false if the trace could not be written.
   */
  finish(write: boolean): boolean;
}

/**
 * Follows the run: the trace recorder, and with a listener the dashboard and /metrics.
 * @param tokens the tokens that may read the dashboard (the run token, --dashboard-token)
 */
export function observe(
  coordinator: Coordinator,
  args: TraceArgs,
  localThreads: number,
  log: (line: string) => void,
  net?: { listener: CoordinatorListener; tokens: readonly string[] },
): Observability {
  const trace =
    args.trace === undefined ? null : new TraceRecorder(coordinator.events, parseTraceSteps(args.traceSteps));
  let removeRoutes = (): void => undefined;
  let metrics: PrometheusMetrics | null = null;
  let observer: RunObserver | null = null;
  if (net) {
    observer = new RunObserver(coordinator);
    metrics = new PrometheusMetrics(coordinator, localThreads);
    removeRoutes = addDashboardRoutes({
      routes: net.listener.routes,
      access: new ReadAccess(net.tokens),
      events: coordinator.events,
      observer,
      metrics,
      page: renderDashboardPage(),
      render: renderDashboardView,
      log,
    });
    // A browser tab joins at /join (issue 13 item 4); the page binds the certificate it came over.
    const join = loadJoinAssets(net.listener.certificateFingerprint ?? '');
    const removeJoin = addJoinRoutes({ routes: net.listener.routes, page: join.page, files: join.files });
    const removeDashboard = removeRoutes;
    removeRoutes = () => {
      removeDashboard();
      removeJoin();
    };
  }
  return {
    finish: (write) => {
      removeRoutes();
      metrics?.close();
      observer?.close();
      trace?.close();
      if (!trace || !write) return true;
      try {
        writeFileAtomic(args.trace!, trace.toJson());
        log(`trace written to ${args.trace} (open it in Perfetto or chrome://tracing)`);
        return true;
      } catch (err) {
        log(`gradswarm: error: --trace ${args.trace}: ${(err as Error).message}`);
        return false;
      }
    },
  };
}
