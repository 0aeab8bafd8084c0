/**
 * The scale benchmark's readable output: Markdown tables (they read well on a terminal and paste
 * into README as they are) for the measured rows, the coordinator-capacity runs, the model's
 * check against the measurements, and the projection — the last one labelled as such.
 */
import type { ChainProjectionPoint } from './chain-model.js';
import type { ProjectionPoint, ScaleBenchDocument, ScaleResult } from './types.js';

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
  const dilation = doc.dilation ?? 1;
  if (doc.cpuPerWorker !== undefined)
    out.push(
      `cpu: every worker, the coordinator and train limited to ${doc.cpuPerWorker} cores each (cgroup): dilation ${fixed(dilation, 2)} (1/F), so the run is ${fixed(dilation, 2)}× slower than the 1-core machines on ${fixed(dilation, 2)}× faster links it emulates; "undilated" = measured time / ${fixed(dilation, 2)}`,
    );
  const seriesOf = (r: ScaleResult): string => r.series ?? r.scaling ?? 'strong';
  const severalSeries =
    new Set(doc.results.map(seriesOf)).size > 1 || doc.results.some((r) => r.topology !== undefined);
  if (doc.results.length > 0) {
    out.push(
      '',
      'Measured (step times are means over the measured steps; compute max + reduce+update + comm/wait = step):',
      '',
    );
    out.push(
      markdownTable(
        [
          ...(severalSeries ? ['series', 'batch'] : []),
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
          ...(severalSeries ? [seriesOf(r), int(r.samplesPerStep)] : []),
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
        `${severalSeries ? 'lr' : ''}${'r'.repeat(14)}`,
      ),
    );
  }
  if (doc.localSgd) {
    const l = doc.localSgd;
    out.push(
      '',
      `Local SGD (--sync-every ${l.syncEvery}, --replicas ${l.replicas ?? 'W'}; figures per inner step) against the synchronous step at W = 1 measured in this run (efficiency vs sync = samples/s / (W × its samples/s)):`,
      '',
    );
    for (const sync of l.synchronous)
      out.push(
        `synchronous, ${sync.series}, 1 worker: ${int(sync.samplesPerSecond)} samples/s, ${fixed(sync.stepMs)} ms/step, sent ${formatMegabytes(sync.bytesPerStep.sent)} and received ${formatMegabytes(sync.bytesPerStep.received)} per step`,
      );
    out.push(
      '',
      markdownTable(
        [
          ...(severalSeries ? ['series'] : []),
          'workers',
          'samples/s',
          'ms per inner step',
          'sent per inner step',
          'received per inner step',
          'efficiency vs sync',
        ],
        doc.results.map((r) => [
          ...(severalSeries ? [seriesOf(r)] : []),
          String(r.workers),
          int(r.samplesPerSecond),
          fixed(r.stepMs.totalMs),
          formatMegabytes(r.bytesPerStep.sent),
          formatMegabytes(r.bytesPerStep.received),
          r.efficiencyVsSync === undefined ? '–' : pct(r.efficiencyVsSync),
        ]),
        `${severalSeries ? 'l' : ''}${'r'.repeat(6)}`,
      ),
    );
  }
  if (doc.results.some((r) => r.undilated !== undefined || r.efficiencyVsTrain !== undefined)) {
    out.push(
      '',
      `Undilated (the emulated machines: times / ${fixed(dilation, 2)}, samples/s × ${fixed(dilation, 2)}); efficiency vs train = samples/s / (W × train on one ${doc.cpuPerWorker ?? ''}-core cgroup at the batch one worker has):`,
      '',
    );
    out.push(
      markdownTable(
        [
          ...(severalSeries ? ['series'] : []),
          'workers',
          'samples/s',
          'step ms',
          'compute max',
          'reduce+update',
          'comm/wait',
          'efficiency vs W=1',
          'train samples/s (measured)',
          'efficiency vs train',
        ],
        doc.results.map((r) => [
          ...(severalSeries ? [seriesOf(r)] : []),
          String(r.workers),
          r.undilated ? int(r.undilated.samplesPerSecond) : '–',
          r.undilated ? fixed(r.undilated.stepMs.totalMs) : '–',
          r.undilated ? fixed(r.undilated.stepMs.computeMaxMs) : '–',
          r.undilated ? fixed(r.undilated.stepMs.reduceUpdateMs) : '–',
          r.undilated ? fixed(r.undilated.stepMs.communicationMs) : '–',
          pct(r.efficiency),
          r.trainSamplesPerSecond === undefined ? '–' : int(r.trainSamplesPerSecond),
          r.efficiencyVsTrain === undefined ? '–' : pct(r.efficiencyVsTrain),
        ]),
        `${severalSeries ? 'l' : ''}${'r'.repeat(9)}`,
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
    out.push('', `Model against measurement (step time${dilation !== 1 ? ', undilated' : ''}):`, '');
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
  formatChain(doc, out);
  formatChainStructure(doc, out);
  return `${out.join('\n')}\n`;
}

/** The chain model: its constants, its check per measured chain run, and its projections. */
function formatChain(doc: ScaleBenchDocument, out: string[]): void {
  if (!doc.chainFit) return;
  const p = doc.chainFit.parameters;
  out.push(
    '',
    doc.chainFit.checks.length > 0
      ? 'Chain α–β model, FITTED to the chain rows below (for comparison: it is not a prediction of them):'
      : 'Chain α–β model (pipelined chunks both ways, DESIGN §8):',
  );
  out.push(
    `  step = compute + update + (2·⌈4P/c⌉ + 2(W−1))·(α + c·β) + 2W·δ; c = ${int(p.chunkBytes)} bytes, α ${fixed(p.alphaChunkMs * 1000, 1)} µs/chunk, β = 8/rate + ${fixed(p.betaCpuByteMs * 1e6, 3)} ns/byte CPU, update ${fixed(p.updatePerParameterMs * 1e6, 2)} ns/parameter`,
  );
  for (const note of p.notes) out.push(`  note: ${note}`);
  if (doc.chainFit.checks.length > 0) {
    out.push('', 'Chain model against measurement (step time):', '');
    out.push(
      markdownTable(
        ['workers', 'link', 'measured ms', 'model ms', 'error'],
        doc.chainFit.checks.map((c) => [
          String(c.workers),
          c.network,
          fixed(c.measuredStepMs),
          fixed(c.predictedStepMs),
          signedPct(c.relativeError),
        ]),
        'rlrrr',
      ),
    );
  }
  if (doc.chainStructure) return; // its projection is the structural model's
  const machines = `one worker per machine, ${p.projectionHopLatencyMs} ms per hop; step ms = compute + update + chunks·(α + c·β) + hop latency`;
  if (doc.chainProjection && doc.chainProjection.length > 0) {
    out.push(
      '',
      `PROJECTION, not a measurement: the chain model, batch ${doc.batchSize} split over the workers, ${machines}:`,
      '',
    );
    out.push(chainProjectionTable(doc.chainProjection));
  }
  if (doc.chainProjectionPerWorkerBatch && doc.chainProjectionPerWorkerBatch.length > 0) {
    const b = doc.chainProjectionPerWorkerBatch[0].batchSize / doc.chainProjectionPerWorkerBatch[0].workers;
    out.push('', `PROJECTION, not a measurement: the chain model with ${int(b)} samples per worker, ${machines}:`, '');
    out.push(chainProjectionTable(doc.chainProjectionPerWorkerBatch));
  }
}

function chainProjectionTable(points: readonly ChainProjectionPoint[]): string {
  return linkColumnsTable(points, (s) => s.updateMs);
}

/** Workers down, one group of columns per link rate. */
function projectionTable(points: readonly ProjectionPoint[]): string {
  return linkColumnsTable(points, (s) => s.reduceUpdateMs);
}

/** A projection's rows: workers down, samples/s, efficiency and the step's sum per link rate. */
function linkColumnsTable<S extends { totalMs: number; computeMs: number; communicationMs: number }>(
  points: ReadonlyArray<{ workers: number; linkGbit: number; samplesPerSecond: number; efficiency: number; stepMs: S }>,
  updateMs: (s: S) => number,
): string {
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
          `${fixed(s.totalMs)} = ${fixed(s.computeMs)} + ${fixed(updateMs(s))} + ${fixed(s.communicationMs)}`,
        ];
      }),
    ]),
    'r'.repeat(1 + 3 * links.length),
  );
}

/** The structural chain model: its measured inputs, its prediction of each chain row, its projection. */
function formatChainStructure(doc: ScaleBenchDocument, out: string[]): void {
  const c = doc.chainStructure;
  if (!c) return;
  const m = c.inputs;
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  const p = m.profile;
  out.push(
    '',
    'Chain model, structural (chain-timeline.ts; nothing fitted: every input measured apart from these step times):',
  );
  out.push(
    `  compute for ${int(p.samples)} samples on one core (measured in the bench process): first-layer forward ${fixed(sum(p.forwardBlocksMs), 2)} ms in ${p.forwardBlocksMs.length} unit blocks, layers above ${fixed(p.upperMs, 2)} ms, ∂W_1 ${fixed(sum(p.backwardBlocksMs), 2)} ms`,
  );
  out.push(
    `  a hop's CPU ${fixed(m.hopCpuMs * 1000, 0)} µs per ${int(m.chunkFloats * 4)}-byte chunk (sign, ws, TCP, verify, copy; measured over 127.0.0.1), an add ${fixed(m.addCpuMs * 1000, 0)} µs; link ${m.linkGbit === undefined ? 'loopback' : `${fixed(m.linkGbit, 2)} Gbit/s (undilated) × ${fixed(1 / m.wireOverhead, 3)} for TCP/IP, burst ${int(m.burstBytes)} B`}, ${fixed(m.hopLatencyMs, 2)} ms per hop; update ${fixed(m.updateMs, 2)} ms (the W = 1 row's)`,
  );
  out.push(
    '',
    `Chain model (structural) against measurement (step time${(doc.dilation ?? 1) !== 1 ? ', undilated' : ''}):`,
    '',
  );
  out.push(
    markdownTable(
      ['workers', 'measured ms', 'model ms', 'error', 'head has weights', 'head compute ends', 'sum at coordinator'],
      c.checks.map((k) => [
        String(k.workers),
        fixed(k.measuredStepMs),
        fixed(k.predictedStepMs),
        signedPct(k.relativeError),
        fixed(k.timeline.headWeightsInMs),
        fixed(k.timeline.headComputeEndMs),
        fixed(k.timeline.sumInMs),
      ]),
      'rrrrrrr',
    ),
  );
  const f = c.hopFittedOnTwo;
  if (f) {
    out.push(
      '',
      `The same model with ONE input fitted: a hop's CPU inside the quota, fitted on the W ≤ 2 rows (${fixed(f.hopCpuMs * 1000, 0)} µs per chunk, ${fixed(f.hopCpuMs / m.hopCpuMs, 1)}× the probe's); W > 2 predicted:`,
      '',
    );
    out.push(
      markdownTable(
        ['workers', 'measured ms', 'model ms', 'error', 'role'],
        f.checks.map((k) => [
          String(k.workers),
          fixed(k.measuredStepMs),
          fixed(k.predictedStepMs),
          signedPct(k.relativeError),
          k.workers <= 2 ? 'fitted' : 'predicted',
        ]),
        'rrrrl',
      ),
    );
  }
  const machines =
    'one worker per machine (one core each), 0.1 ms per hop, no token bucket, the probe’s hop CPU; step ms = one worker’s compute + update + the rest (link, hops, frame CPU)';
  for (const [points, what] of [
    [c.projection, `batch ${doc.batchSize} split over the workers`],
    [c.projectionPerWorkerBatch, `${int(doc.perWorkerBatch ?? doc.batchSize)} samples per worker`],
  ] as const) {
    if (points.length === 0) continue;
    out.push('', `PROJECTION, not a measurement: the structural chain model, ${what}, ${machines}:`, '');
    out.push(linkColumnsTable(points, (s) => s.updateMs));
  }
}
