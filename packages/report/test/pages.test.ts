import type { MetricsDocument } from '@gradswarm/coordinator';
import { describe, expect, it } from 'vitest';
import { renderScaleReport } from '../src/scale-report.js';
import { renderTrainingReport } from '../src/training-report.js';
import type { ScaleBenchDocument } from '../src/types.js';

const TRAINING_CHARTS = [
  'minibatch-cost',
  'epoch-cost',
  'accuracy',
  'confusion',
  'samples',
  'misclassified',
  'first-layer',
];

const charts = (html: string): string[] => [...html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]);
const count = (html: string, re: RegExp): number => (html.match(re) ?? []).length;
const base64 = (n: number, f: (i: number) => number): string =>
  Buffer.from(Uint8Array.from({ length: n }, (_, i) => f(i))).toString('base64');

/** A small metrics document as `train --metrics` writes it: 2×2 images, 3 classes, 2 epochs. */
function metricsDocument(): MetricsDocument {
  const steps = 6;
  return {
    format: 'gradswarm-metrics',
    version: 1,
    run: {
      command: 'train',
      dataset: 'csv:<b>data</b>.csv',
      test: null,
      spec: { layers: [4, 3, 3], hidden: 'relu', output: 'softmax', loss: 'ce' },
      options: { batchSize: 10, learningRate: 0.05, momentum: 0.9 },
      backend: 'reference',
      threads: 2,
    },
    minibatchCost: Array.from({ length: steps }, (_, i) => 1 / (i + 1)),
    minibatchEpoch: [0, 0, 0, 1, 1, 1],
    minibatchParticipants: Array.from({ length: steps }, () => ['thread 0']),
    minibatchTiming: [],
    epochs: [
      {
        epoch: 0,
        cost: 0.6,
        learningRate: 0.05,
        trainAccuracy: 0.7,
        testAccuracy: 0.65,
        testCost: 0.7,
        trainingMs: 10,
      },
      {
        epoch: 1,
        cost: 0.3,
        learningRate: 0.047,
        trainAccuracy: 0.9,
        testAccuracy: 0.85,
        testCost: 0.4,
        trainingMs: 20,
      },
    ],
    summary: {
      trainAccuracy: 0.9,
      testAccuracy: 0.85,
      finalCost: 0.3,
      epochs: 2,
      seconds: 0.02,
      samplesPerSecond: 3000,
      backend: 'reference',
      threads: 2,
      layers: [4, 3, 3],
    },
    report: {
      samples: { size: 4, width: 2, height: 2, pixels: base64(5 * 4, (i) => i * 12), labels: [0, 1, 2, 0, 1] },
      misclassified: {
        size: 4,
        width: 2,
        height: 2,
        pixels: base64(2 * 4, (i) => 255 - i),
        labels: [2, 1],
        predicted: [1, 0],
      },
      confusion: [
        [5, 0, 0],
        [1, 4, 0],
        [0, 1, 4],
      ],
      confusionOn: 'test',
      firstLayer: { size: 4, width: 2, height: 2, pixels: base64(3 * 4, (i) => i * 20), labels: [0, 1, 2] },
    },
  };
}

/** A scale benchmark document with every optional part. */
function scaleDocument(): ScaleBenchDocument {
  const result = (workers: number, total: number) => ({
    workers,
    threads: 2,
    samplesPerSecond: 1e6 / total,
    speedup: 100 / total,
    efficiency: 100 / total / workers,
    stepMs: {
      totalMs: total,
      computeMaxMs: total * 0.8,
      computeMeanMs: total * 0.75,
      reduceUpdateMs: total * 0.05,
      communicationMs: total * 0.15,
    },
    bytesPerStep: { sent: 318_040 * workers, received: 318_120 * workers },
  });
  return {
    benchmark: 'scale',
    network: '784-100-10',
    batchSize: 1000,
    threadsPerWorker: 2,
    results: [result(1, 100), result(2, 60), result(4, 45)],
    singleNode: { threads: 2, samplesPerSecond: 10_500 },
    projection: [1, 10].flatMap((linkGbit) =>
      [1, 2, 4, 8].map((workers) => ({
        workers,
        linkGbit,
        samplesPerSecond: 10_000 * workers ** 0.6 * (linkGbit === 1 ? 0.8 : 1),
        efficiency: workers ** -0.4,
      })),
    ),
    synthetic: [1, 2, 4].map((clients) => ({
      clients,
      parameters: 79_510,
      stepsPerSecond: 800 / clients,
      megabytesPerSecond: 500,
    })),
  };
}

describe('renderTrainingReport', () => {
  it('names the momentum of an sgd run and the optimizer of an adam or adamw run in the subtitle', () => {
    const doc = metricsDocument();
    expect(renderTrainingReport(doc)).toContain(', η 0.05, momentum 0.9');
    const adamw = {
      ...doc,
      run: { ...doc.run, options: { ...(doc.run.options as object), optimizer: 'adamw', weightDecay: 0.01 } },
    } as MetricsDocument;
    const html = renderTrainingReport(adamw);
    expect(html).toContain(', η 0.05, adamw');
    expect(html).not.toContain('momentum 0.9');
  });

  it('renders every chart of the issue, each in a [data-chart] figure', () => {
    expect(charts(renderTrainingReport(metricsDocument()))).toEqual(TRAINING_CHARTS);
  });

  it('is one self-contained page: no http(s) URL, no script, no external stylesheet', () => {
    const html = renderTrainingReport(metricsDocument());
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|@import|url\((?!#)/);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('draws one polyline point per minibatch and one image per sample, mistake and hidden unit', () => {
    const html = renderTrainingReport(metricsDocument());
    const minibatch = html.slice(html.indexOf('data-chart="minibatch-cost"'), html.indexOf('data-chart="epoch-cost"'));
    expect(minibatch.match(/points="([^"]*)"/)?.[1].split(' ')).toHaveLength(6);
    const images = (chart: string): number =>
      count(html.slice(html.indexOf(`data-chart="${chart}"`)).split('</figure>')[0], /<image /g);
    expect([images('samples'), images('misclassified'), images('first-layer')]).toEqual([5, 2, 3]);
    expect(html).toContain('>2→1</text>');
    expect(count(html, /<rect data-cell=""/g)).toBe(9);
  });

  it('escapes text taken from the document', () => {
    const html = renderTrainingReport(metricsDocument());
    expect(html).not.toContain('<b>data</b>');
    expect(html).toContain('&lt;b&gt;data&lt;/b&gt;');
  });

  it('leaves out the test line when no test set was evaluated', () => {
    const doc = metricsDocument();
    const epochs = doc.epochs.map(({ testAccuracy: _a, testCost: _c, ...rest }) => rest);
    const html = renderTrainingReport({ ...doc, epochs, report: { ...doc.report!, confusionOn: 'train' } });
    expect(charts(html)).toEqual(TRAINING_CHARTS);
    expect(html).not.toContain('data-series="test set"');
    expect(html).toContain('Confusion matrix, training set');
  });

  it('draws the validation cost per epoch and adds its column when a validation set was held out', () => {
    const doc = metricsDocument();
    expect(renderTrainingReport(doc)).not.toContain('validation');
    const epochs = doc.epochs.map((e, i) => ({ ...e, validationCost: [0.8123, 0.5456][i] }));
    const html = renderTrainingReport({ ...doc, epochs });
    expect(html).toContain('data-series="validation set"');
    expect(html).toContain('<th>validation cost</th>');
    expect(html).toContain('<td>0.81230</td>');
    expect(html).toContain('<td>0.54560</td>');
  });

  it('names iterations, evaluations and the step length for a full-batch run, and no learning rate', () => {
    const doc = metricsDocument();
    const run = { ...doc.run, options: { minibatches: 1, learningRate: 0.05, momentum: 0, optimizer: 'lbfgs' } };
    const html = renderTrainingReport({ ...doc, run, minibatchEvaluations: [2, 3, 4, 5, 7, 8] });
    expect(html).toContain('lbfgs (full batch)');
    expect(html).not.toContain('η 0.05');
    expect(html).toContain('Cost per iteration (whole training set)');
    expect(html).toContain('6 iterations, 8 evaluations of the cost and gradient');
    expect(html).toContain('<th>step length α</th>');
    expect(html).toContain('Per iteration');
    expect(renderTrainingReport(doc)).not.toContain('iteration');
  });

  it('shows notes instead of charts for a document without report data or epochs', () => {
    const { report: _r, ...doc } = metricsDocument();
    const html = renderTrainingReport({ ...doc, epochs: [], summary: {} } as MetricsDocument);
    expect(charts(html)).toEqual(['minibatch-cost']);
    expect(count(html, /data-missing=/g)).toBe(7);
  });

  it("names the final cost as the last epoch's mean and adds the test cost (issue 16 item 8)", () => {
    const doc = metricsDocument();
    doc.summary = { ...doc.summary, finalCost: 0.3, finalCostEpoch: 2, testCost: 0.4 };
    const html = renderTrainingReport(doc);
    expect(html).toContain('final cost (epoch 2 mean)');
    expect(html).toMatch(/test cost<\/[a-z]+>\s*<[a-z]+>0\.40000/);
  });

  it('survives nulls where JSON wrote NaN costs', () => {
    const doc = metricsDocument();
    const html = renderTrainingReport({ ...doc, minibatchCost: [1, null as unknown as number, 0.5] });
    expect(html).toContain('data-chart="minibatch-cost"');
  });

  it('says so when no sample was misclassified', () => {
    const doc = metricsDocument();
    const html = renderTrainingReport({
      ...doc,
      report: {
        ...doc.report!,
        misclassified: { size: 4, width: 2, height: 2, pixels: '', labels: [], predicted: [] },
      },
    });
    expect(charts(html)).not.toContain('misclassified');
    expect(html).toContain('every one was classified correctly');
  });
});

describe('renderScaleReport', () => {
  it('renders speedup, efficiency, step time, bytes, projection and synthetic charts', () => {
    expect(charts(renderScaleReport(scaleDocument()))).toEqual([
      'speedup',
      'efficiency',
      'step-time',
      'bytes',
      'projection',
      'synthetic',
    ]);
  });

  it('draws the ideal line y = x next to the measured speedup', () => {
    const html = renderScaleReport(scaleDocument());
    const speedup = html.slice(html.indexOf('data-chart="speedup"')).split('</figure>')[0];
    expect(speedup).toContain('data-series="ideal (speedup = workers)"');
    expect(speedup.match(/data-series="measured" points="([^"]*)"/)?.[1].split(' ')).toHaveLength(3);
  });

  it('stacks three step-time parts per worker count', () => {
    const html = renderScaleReport(scaleDocument());
    const step = html.slice(html.indexOf('data-chart="step-time"')).split('</figure>')[0];
    expect(count(step, /<rect data-bar=""/g)).toBe(9);
    expect(step).not.toContain('data-series="other"');
  });

  it('adds an "other" part when the parts fall short of the total', () => {
    const doc = scaleDocument();
    doc.results[0].stepMs.communicationMs = 0;
    const step = renderScaleReport(doc).split('data-chart="step-time"')[1].split('</figure>')[0];
    expect(step).toContain('data-series="other"');
  });

  it('leaves out the optional parts the document lacks', () => {
    const { projection: _p, synthetic: _s, singleNode: _n, ...doc } = scaleDocument();
    const html = renderScaleReport(doc);
    expect(charts(html)).toEqual(['speedup', 'efficiency', 'step-time', 'bytes']);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('states the dilation of a CPU-quota run, draws a line per series and tabulates undilated figures', () => {
    const base = scaleDocument();
    const rows = base.results.flatMap((r) =>
      ['strong', 'weak'].map((series) => ({
        ...r,
        series,
        undilated: { samplesPerSecond: r.samplesPerSecond * 5, stepMs: { totalMs: r.stepMs.totalMs / 5 } },
        efficiencyVsTrain: r.efficiency * 0.9,
      })),
    );
    const html = renderScaleReport({ ...base, results: rows, cpuPerWorker: 0.2, dilation: 5 });
    expect(html).toContain('0.2 cores (cgroup)');
    expect(html).toContain('5.00× slower than the emulated machines');
    const speedup = html.slice(html.indexOf('data-chart="speedup"')).split('</figure>')[0];
    expect(speedup).toContain('data-series="measured, strong"');
    expect(speedup).toContain('data-series="measured, weak"');
    const table = html.slice(html.indexOf('undilated samples/s'));
    expect(table).toContain('efficiency vs train');
    // W = 2: 1e6/60 samples/s measured, × 5 undilated; 60 ms / 5.
    expect(table).toContain(Math.round(5e6 / 60).toLocaleString('en-US'));
    expect(table).toContain('12.00');
  });

  it('renders a page with a note when there are no results', () => {
    const html = renderScaleReport({ ...scaleDocument(), results: [], projection: undefined, synthetic: undefined });
    expect(charts(html)).toEqual([]);
    expect(html).toContain('holds no results');
  });
});

describe('renderTrainingReport: per-class figures, moving average, log scale, class names (issue 14)', () => {
  const perClassRows = (html: string): string[][] => {
    const table = /<div data-table="per-class">(.*?)<\/div>/.exec(html)?.[1] ?? '';
    return [...table.matchAll(/<tr>(.*?)<\/tr>/g)]
      .slice(1)
      .map((m) => [...m[1].matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]));
  };

  it('tabulates precision, recall, F1 and support per class from the confusion matrix', () => {
    const rows = perClassRows(renderTrainingReport(metricsDocument()));
    // confusion [[5,0,0],[1,4,0],[0,1,4]]: class 1 precision 4/5, recall 4/5; class 0 precision 5/6.
    expect(rows[0]).toEqual(['0', '0.8333', '1.0000', '0.9091', '5']);
    expect(rows[1]).toEqual(['1', '0.8000', '0.8000', '0.8000', '5']);
    expect(rows[2]).toEqual(['2', '1.0000', '0.8000', '0.8889', '5']);
    expect(rows.map((r) => r[0])).toEqual(['0', '1', '2', 'macro avg', 'weighted avg']);
  });

  it('draws the per-minibatch cost with its moving average', () => {
    const html = renderTrainingReport(metricsDocument(), { movingAverageWindow: 3 });
    const chart = /<figure data-chart="minibatch-cost">.*?<\/figure>/.exec(html)?.[0] ?? '';
    expect(chart).toContain('data-series="cost of the minibatch"');
    expect(chart).toContain('data-series="moving average of 3"');
    expect(chart).toContain('trailing mean over 3 minibatches');
  });

  it('puts the cost axes on a log scale when asked, with decade ticks', () => {
    const linear = renderTrainingReport(metricsDocument());
    const log = renderTrainingReport(metricsDocument(), { logScale: true });
    expect(linear).not.toContain('cost J (log scale)');
    expect(count(log, /cost J \(log scale\)/g)).toBe(2);
    const chart = /<figure data-chart="minibatch-cost">.*?<\/figure>/.exec(log)?.[0] ?? '';
    expect(chart).toMatch(/>0\.1</);
    expect(chart).toMatch(/>1</);
  });

  it('names the classes where names are known, in the confusion matrix, the table and the captions', () => {
    const html = renderTrainingReport(metricsDocument(), { classNames: ['cat', 'dog', 'emu'] });
    expect(
      perClassRows(html)
        .map((r) => r[0])
        .slice(0, 3),
    ).toEqual(['cat', 'dog', 'emu']);
    expect(html).toContain('emu→dog');
    const recorded = metricsDocument();
    const fromDoc = renderTrainingReport({
      ...recorded,
      report: { ...recorded.report!, classNames: ['a', 'b', 'c'] } as MetricsDocument['report'],
    });
    expect(
      perClassRows(fromDoc)
        .map((r) => r[0])
        .slice(0, 3),
    ).toEqual(['a', 'b', 'c']);
  });
});
