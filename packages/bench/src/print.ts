/**
 * The scale benchmark's readable output: Markdown tables (they read well on a terminal and paste
 * into README as they are) for the measured rows, the coordinator-capacity runs, the model's
 * check against the measurements, and the projection — the last one labelled as such.
 */
import type { ProjectionPoint, ScaleBenchDocument } from './types.js';

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const fixed = (x: number, digits = 1): string => x.toFixed(digits);
const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
const signedPct = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(0)}%`;

/** 1 234 567 → "1.23 MB" (10⁶ bytes). */
export function formatMegabytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(2)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${Math.round(bytes)} B`;
}

/** A Markdown table; `align` has 'l' or 'r' per column. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align: string): string {
  const rule = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The whole readable report of one document. */
export function formatScaleReport(doc: ScaleBenchDocument): string {
  const out: string[] = [];
  const m = doc.model;
  out.push(
    `gradswarm bench scale: ${doc.network || '?'} (${int(m.parameters)} parameters, ${m.backend}) on ${m.dataset}, batch ${doc.batchSize}, ${doc.threadsPerWorker} thread${doc.threadsPerWorker === 1 ? '' : 's'} per worker`,
  );
  out.push(`link: ${doc.link}`);
  const syntheticSteps = doc.syntheticMeasuredSteps === undefined ? '' : ` (synthetic: ${doc.syntheticMeasuredSteps})`;
  out.push(
    `${doc.warmupSteps} warm-up + ${doc.measuredSteps}${syntheticSteps} measured steps per run, best of ${doc.repeat}; ${doc.machine.cpus} cores (${doc.machine.cpuModel}), node ${doc.machine.node}`,
  );
  if (doc.results.length > 0) {
    out.push(
      '',
      'Measured (step times are means over the measured steps; compute max + reduce+update + comm/wait = step):',
      '',
    );
    out.push(
      markdownTable(
        [
          'workers',
          'threads',
          'samples/s',
          'speedup',
          'efficiency',
          'step ms',
          'compute max',
          'compute mean',
          'reduce+update',
          'comm/wait',
          'sent/step',
          'received/step',
          'train, same threads',
          'vs train',
        ],
        doc.results.map((r) => [
          String(r.workers),
          String(r.threads),
          int(r.samplesPerSecond),
          `${r.speedup.toFixed(2)}x`,
          pct(r.efficiency),
          fixed(r.stepMs.totalMs),
          fixed(r.stepMs.computeMaxMs),
          fixed(r.stepMs.computeMeanMs),
          fixed(r.stepMs.reduceUpdateMs),
          fixed(r.stepMs.communicationMs),
          formatMegabytes(r.bytesPerStep.sent),
          formatMegabytes(r.bytesPerStep.received),
          r.singleNodeSamplesPerSecond === undefined ? '–' : int(r.singleNodeSamplesPerSecond),
          r.vsSingleNode === undefined ? '–' : r.vsSingleNode.toFixed(2),
        ]),
        'rrrrrrrrrrrrrr',
      ),
    );
  }
  if (doc.synthetic && doc.synthetic.length > 0) {
    out.push(
      '',
      'Coordinator capacity: synthetic clients that compute nothing (measures only the coordinator’s messaging, validation and reduction; the clients run in the bench process on the same machine):',
      '',
    );
    out.push(
      markdownTable(
        [
          'clients',
          'parameters',
          'steps/s',
          'MB/s',
          'step ms',
          'reduce+update',
          'comm/wait',
          'sent/step',
          'received/step',
          'coordinator CPU',
          'clients CPU',
          'MB per coordinator CPU-s',
        ],
        doc.synthetic.map((s) => [
          String(s.clients),
          int(s.parameters),
          fixed(s.stepsPerSecond),
          int(s.megabytesPerSecond),
          fixed(s.stepMs.totalMs),
          fixed(s.stepMs.reduceUpdateMs),
          fixed(s.stepMs.communicationMs),
          formatMegabytes(s.bytesPerStep.sent),
          formatMegabytes(s.bytesPerStep.received),
          s.coordinatorCpuCores === undefined ? '–' : `${fixed(s.coordinatorCpuCores, 2)} cores`,
          s.clientsCpuCores === undefined ? '–' : `${fixed(s.clientsCpuCores, 2)} cores`,
          s.coordinatorCpuCores === undefined || s.coordinatorCpuCores <= 0
            ? '–'
            : int(s.megabytesPerSecond / s.coordinatorCpuCores),
        ]),
        'rrrrrrrrrrrr',
      ),
    );
  }
  if (doc.fit) {
    const p = doc.fit.parameters;
    out.push('', 'α–β model fitted to these runs:');
    out.push(
      `  compute ${fixed(p.computePerSampleMs * 1000, 1)} µs/sample per worker, imbalance ×${p.imbalance.toFixed(3)}`,
    );
    out.push(
      `  reduce+update ${fixed(p.reducePerParameterMs * 1e6, 2)} ns/parameter + ${fixed(p.reducePerWorkerParameterMs * 1e6, 2)} ns/parameter/worker`,
    );
    const rate = p.betaByteMs > 0 ? ` (${int(1e-3 / p.betaByteMs)} MB/s)` : '';
    out.push(
      `  coordinator messaging α₀ ${fixed(p.alphaStepMs, 2)} ms/step + α ${fixed(p.alphaMessageMs * 1000, 1)} µs/message + β ${fixed(p.betaByteMs * 1e6, 3)} ns/byte${rate}; ${formatMegabytes(p.bytesPerMessage)} per message`,
    );
    out.push('  communication = max(messaging, bytes through the coordinator’s link / rate) + round trip');
    for (const note of p.notes) out.push(`  note: ${note}`);
    out.push('', 'Model against measurement (step time):', '');
    out.push(
      markdownTable(
        ['run', 'workers', 'link', 'parameters', 'measured ms', 'model ms', 'error'],
        doc.fit.checks.map((c) => [
          c.kind,
          String(c.workers),
          c.network,
          int(c.parameters),
          fixed(c.measuredStepMs),
          fixed(c.predictedStepMs),
          signedPct(c.relativeError),
        ]),
        'lrlrrrr',
      ),
    );
  }
  const rtt = doc.fit?.parameters.projectionRoundTripMs ?? 0;
  const machines = `one worker (${doc.threadsPerWorker} thread${doc.threadsPerWorker === 1 ? '' : 's'}) per machine, a ${rtt} ms round trip per step, all traffic through the coordinator's link; step ms = compute + reduce + communication`;
  if (doc.projection && doc.projection.length > 0) {
    out.push(
      '',
      `PROJECTION, not a measurement: the α–β model above, batch ${doc.batchSize} split over the workers, ${machines}:`,
      '',
    );
    out.push(projectionTable(doc.projection));
  }
  if (doc.projectionPerWorkerBatch && doc.projectionPerWorkerBatch.length > 0) {
    out.push(
      '',
      `PROJECTION, not a measurement: the same model with ${doc.batchSize} samples per worker (the batch grows with the workers), ${machines}:`,
      '',
    );
    out.push(projectionTable(doc.projectionPerWorkerBatch));
  }
  return `${out.join('\n')}\n`;
}

/** Workers down, one group of columns per link rate. */
function projectionTable(points: readonly ProjectionPoint[]): string {
  const links = [...new Set(points.map((p) => p.linkGbit))];
  const workers = [...new Set(points.map((p) => p.workers))];
  return markdownTable(
    ['workers', ...links.flatMap((g) => [`${g} Gbit/s: samples/s`, 'efficiency', 'step ms'])],
    workers.map((w) => [
      String(w),
      ...links.flatMap((g) => {
        const p = points.find((x) => x.workers === w && x.linkGbit === g)!;
        const s = p.stepMs;
        return [
          int(p.samplesPerSecond),
          pct(p.efficiency),
          `${fixed(s.totalMs)} = ${fixed(s.computeMs)} + ${fixed(s.reduceUpdateMs)} + ${fixed(s.communicationMs)}`,
        ];
      }),
    ]),
    'r'.repeat(1 + 3 * links.length),
  );
}
