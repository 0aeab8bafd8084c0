/**
 * The training report: one HTML page built from the metrics document of `train --metrics`
 * (or `coordinator`), written by `--report FILE.html` and by `gradswarm report METRICS.json`.
 *
 * Sections, each chart in a `[data-chart]` figure:
 *   cost        minibatch-cost (every minibatch, in step order, with a trailing moving average)
 *               and epoch-cost (mean per epoch, plus the test cost where evaluated): the
 *               reference texts' two plots; linear, or log-scale with `logScale`
 *   accuracy    accuracy: train and test accuracy per evaluated epoch;
 *               confusion: the confusion matrix (rows: true class) as a heatmap; and a
 *               per-class table (`[data-table=per-class]`): precision, recall, F1, support
 *   digits      samples: the first training samples with their labels; and
 *               misclassified: test samples the model got wrong, "true→predicted"
 *   weights     first-layer: W_1 as one image per hidden unit
 *   epochs      a table of the per-epoch figures
 * Classes are named by `classNames` (or the document's report.classNames) where known, else 0, 1, ….
 * A piece the document lacks (no test set, an interrupted run without report data) is left
 * out with a note in its place; the page never fails on a partial document.
 */
import type { EpochRecord, ImageSet, MetricsDocument } from '@gradswarm/coordinator';
import { classificationReport } from '@gradswarm/core';
import { base64ToBytes } from './base64.js';
import { figure, figures, missing, renderPage, table, type PageSection } from './html.js';
import { heatmap } from './heatmap.js';
import { imageGrid } from './image-grid.js';
import { lineChart, type AxisOptions, type Point } from './line-chart.js';
import { defaultWindow, movingAverage } from './moving-average.js';
import { finite, formatNumber, formatPercent, PALETTE } from './svg.js';

/** Options of {@link renderTrainingReport}; all optional. */
export interface TrainingReportOptions {
  /** Draw the cost charts on a log scale [false]. */
  readonly logScale?: boolean;
  /** Minibatches in the moving average of the per-minibatch cost [about 1/50 of the run, 5 … 500]. */
  readonly movingAverageWindow?: number;
  /** One name per class, e.g. ["T-shirt", "Trouser", …] [the document's report.classNames, else 0, 1, …]. */
  readonly classNames?: readonly string[];
}

/** The class-name lookup of a page: a given or recorded name, else the class number. */
type ClassName = (index: number) => string;

const record = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const text = (v: unknown, fallback = '–'): string =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : fallback;
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** An image set's pixels and geometry, or null when it holds no image. */
function decodeImages(
  set: ImageSet | undefined,
): { pixels: Uint8Array; count: number; width: number; height: number } | null {
  if (!set || typeof set.pixels !== 'string') return null;
  const pixels = base64ToBytes(set.pixels);
  const size = finite(set.size) > 0 ? set.size : 0;
  if (size === 0 || pixels.length < size) return null;
  const square = finite(set.width) * finite(set.height) === size;
  const count = Math.floor(pixels.length / size);
  return { pixels, count, width: square ? set.width : size, height: square ? set.height : 1 };
}

function costSection(
  doc: MetricsDocument,
  epochs: readonly EpochRecord[],
  options: TrainingReportOptions,
): PageSection {
  const costs = list<unknown>(doc.minibatchCost).map(finite);
  const perMinibatch: Point[] = costs.map((c, i) => [i + 1, c]);
  const window = options.movingAverageWindow ?? defaultWindow(costs.length);
  const smoothed: Point[] = movingAverage(costs, window).map((c, i) => [i + 1, c]);
  const perEpoch: Point[] = epochs.map((e) => [finite(e.epoch) + 1, finite(e.cost)]);
  const costOf = (key: 'testCost' | 'validationCost'): Point[] =>
    epochs.filter((e) => Number.isFinite(finite(e[key]))).map((e) => [e.epoch + 1, finite(e[key])]);
  const testCost = costOf('testCost');
  const validationCost = costOf('validationCost');
  const perEpochSeries = [{ name: 'training (mean of its minibatches)', points: perEpoch, markers: true }];
  if (validationCost.length) perEpochSeries.push({ name: 'validation set', points: validationCost, markers: true });
  if (testCost.length) perEpochSeries.push({ name: 'test set', points: testCost, markers: true });
  const y: AxisOptions = options.logScale ? { log10: true } : { min: 0 };
  const yLabel = options.logScale ? 'cost J (log scale)' : 'cost J';
  const minibatchSeries = [
    { name: 'cost of the minibatch', points: perMinibatch, strokeWidth: 1.2, color: PALETTE[0], opacity: 0.45 },
    { name: `moving average of ${window}`, points: smoothed, strokeWidth: 2, color: PALETTE[1] },
  ];
  const fullBatch = isFullBatch(doc);
  const charts = [
    perMinibatch.length
      ? figure(
          'minibatch-cost',
          lineChart({
            title: fullBatch ? 'Cost per iteration (whole training set)' : 'Cost per minibatch',
            xLabel: fullBatch ? 'iteration' : 'minibatch (step)',
            yLabel,
            x: { integer: true },
            y,
            series: minibatchSeries,
          }),
          fullBatch
            ? `${costs.length} iterations, ${list<unknown>(doc.minibatchEvaluations).at(-1) ?? ''} evaluations of the cost and gradient over the whole training set; J after each iteration, and its trailing mean over ${window}.`
            : `${costs.length} minibatches; the cost each minibatch had when its gradient was computed, and its trailing mean over ${window} minibatches.`,
        )
      : missing('minibatch-cost', 'No minibatch costs recorded.'),
    perEpoch.length
      ? figure(
          'epoch-cost',
          lineChart({
            title: 'Cost per epoch',
            xLabel: 'epoch',
            yLabel,
            x: { integer: true },
            y,
            series: perEpochSeries,
          }),
          `Mean of the epoch’s minibatch costs${validationCost.length ? '; the held-out validation set’s cost' : ''}; the test cost where the epoch was evaluated.`,
        )
      : missing('epoch-cost', 'No epoch finished.'),
  ];
  return {
    id: 'cost',
    title: 'Cost',
    intro: 'The cost J with its regularisation terms, for every minibatch and averaged per epoch.',
    body: figures(...charts),
  };
}

function accuracyChart(epochs: readonly EpochRecord[]): string {
  const pick = (key: 'trainAccuracy' | 'testAccuracy'): Point[] =>
    epochs.filter((e) => Number.isFinite(finite(e[key]))).map((e) => [e.epoch + 1, finite(e[key])]);
  const series = [
    { name: 'training set', points: pick('trainAccuracy'), markers: true, color: PALETTE[0] },
    { name: 'test set', points: pick('testAccuracy'), markers: true, color: PALETTE[1] },
  ].filter((s) => s.points.length > 0);
  const values = series.flatMap((s) => s.points.map((p) => p[1]));
  const low = Math.max(0, Math.floor(Math.min(...values, 1) * 20 - 0.5) / 20);
  return series.length
    ? figure(
        'accuracy',
        lineChart({
          title: 'Accuracy per epoch',
          xLabel: 'epoch',
          yLabel: 'accuracy',
          x: { integer: true },
          y: { min: low, max: 1, format: (v) => formatPercent(v, 0) },
          series,
        }),
        series.length === 1 ? `Only the ${series[0].name} was evaluated.` : undefined,
      )
    : missing('accuracy', 'No epoch was evaluated (--eval-every 0 and the run ended early?).');
}

function confusionMatrixOf(doc: MetricsDocument): number[][] {
  return list<unknown>(doc.report?.confusion).map((row) => list<unknown>(row).map(finite));
}

function confusionChart(doc: MetricsDocument, name: ClassName): string {
  const matrix = confusionMatrixOf(doc);
  const on = doc.report?.confusionOn === 'train' ? 'training set (no test set)' : 'test set';
  const total = matrix.flat().reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const right = matrix.reduce((a, row, i) => a + (Number.isFinite(row[i]) ? row[i] : 0), 0);
  const labels = matrix.map((_, i) => name(i));
  return matrix.length
    ? figure(
        'confusion',
        heatmap({
          title: `Confusion matrix, ${on}`,
          xLabel: 'predicted class',
          yLabel: 'true class',
          values: matrix,
          rowLabels: labels,
          colLabels: labels,
          gamma: 0.5,
          scaleLabel: 'share of the true class',
        }),
        `${formatNumber(total)} samples, ${formatPercent(total > 0 ? right / total : NaN, 2)} on the diagonal. Colour: share of the row (square-root scale, so rare mistakes still show).`,
      )
    : missing('confusion', 'No confusion matrix recorded (the run ended before its final evaluation).');
}

/** Precision, recall, F1 and support per class of the final confusion matrix, as scikit-learn's classification_report. */
function perClassTable(doc: MetricsDocument, name: ClassName): string {
  const matrix = confusionMatrixOf(doc);
  const square = matrix.length > 0 && matrix.every((row) => row.length === matrix.length && row.every(Number.isFinite));
  // Without a matrix the confusion chart's note already says so; one note is enough.
  if (!square) return '';
  const r = classificationReport(matrix);
  const f = (v: number) => v.toFixed(4);
  const rows = r.classes.map((c, i) => [name(i), f(c.precision), f(c.recall), f(c.f1), String(c.support)]);
  const total = String(r.classes.reduce((a, c) => a + c.support, 0));
  rows.push(
    ['macro avg', f(r.macro.precision), f(r.macro.recall), f(r.macro.f1), total],
    ['weighted avg', f(r.weighted.precision), f(r.weighted.recall), f(r.weighted.f1), total],
  );
  return `<div data-table="per-class">${table(['class', 'precision', 'recall', 'F1', 'support'], rows)}</div>`;
}

function accuracySection(doc: MetricsDocument, epochs: readonly EpochRecord[], name: ClassName): PageSection {
  return {
    id: 'accuracy',
    title: 'Accuracy',
    intro:
      'Share of samples whose most likely class is the label, after each evaluated epoch; the final model’s confusion matrix, rows true classes, columns predicted ones; and per class: precision (of the samples predicted as the class, the share that are), recall (of the samples of the class, the share found) and their harmonic mean F1.',
    body: figures(accuracyChart(epochs), confusionChart(doc, name)) + perClassTable(doc, name),
  };
}

function imagesSection(doc: MetricsDocument, name: ClassName): PageSection[] {
  const report = doc.report;
  const samples = decodeImages(report?.samples);
  const wrong = decodeImages(report?.misclassified);
  const weights = decodeImages(report?.firstLayer);
  const on = report?.confusionOn === 'train' ? 'training' : 'test';
  const sampleLabels = list<number>(report?.samples?.labels);
  const trueLabels = list<number>(report?.misclassified?.labels);
  const predicted = list<number>(report?.misclassified?.predicted);
  const samplesBody = samples
    ? figure(
        'samples',
        imageGrid({
          title: `${samples.count} training samples`,
          ...samples,
          invert: true,
          captions: sampleLabels.map(name),
          tooltips: sampleLabels.map((l) => `label ${name(l)}`),
          tile: samples.width >= 20 ? 48 : 44,
        }),
        `${samples.width}×${samples.height} pixels each, drawn dark on light; the label under each.`,
      )
    : missing('samples', 'No sample images recorded.');
  const wrongBody =
    wrong && wrong.count > 0 && trueLabels.length > 0
      ? figure(
          'misclassified',
          imageGrid({
            title: `Misclassified ${on} samples`,
            note: 'under each: true class → predicted class',
            ...wrong,
            invert: true,
            captions: trueLabels.map((t, i) => ({
              text: `${name(t)}→${predicted[i] === undefined ? '?' : name(predicted[i])}`,
              color: '#c03a2b',
            })),
            tooltips: trueLabels.map(
              (t, i) => `true ${name(t)}, predicted ${predicted[i] === undefined ? '?' : name(predicted[i])}`,
            ),
            tile: wrong.width >= 20 ? 48 : 44,
          }),
          `The first ${trueLabels.length} ${on} samples the trained model gets wrong.`,
        )
      : missing(
          'misclassified',
          report
            ? `No misclassified ${on} samples: every one was classified correctly.`
            : 'No misclassified samples recorded.',
        );
  const units = weights?.count ?? 0;
  const weightsBody = weights
    ? figure(
        'first-layer',
        imageGrid({
          title: `First-layer weights: ${units} hidden units`,
          ...weights,
          columns: Math.min(units, Math.max(4, Math.ceil(Math.sqrt(units)))),
          tile: units <= 16 ? 72 : units <= 100 ? 56 : 40,
          tooltips: Array.from({ length: units }, (_, h) => `hidden unit ${h}`),
        }),
        'Each tile is one hidden unit’s incoming weights laid out like the input image, scaled to its own range: dark most negative, light most positive.',
      )
    : missing('first-layer', 'No first-layer weights recorded.');
  return [
    // Square inputs are images (digits); anything else is drawn as a strip of features.
    {
      id: 'digits',
      title: (samples?.height ?? 1) > 1 ? 'Digits' : 'Samples',
      intro:
        'What the network sees (the first training samples, after scaling) and where the trained network goes wrong.',
      body: figures(samplesBody, wrongBody),
    },
    {
      id: 'weights',
      title: 'First-layer weights',
      intro: 'The input pattern each hidden unit responds to.',
      body: figures(weightsBody),
    },
  ];
}

/** A run of cg, lbfgs or tnc: a step is an iteration over the whole set, its "learning rate" the step length. */
function isFullBatch(doc: MetricsDocument): boolean {
  return Array.isArray(doc.minibatchEvaluations);
}

function epochTable(epochs: readonly EpochRecord[], fullBatch: boolean): PageSection {
  const pct = (v: unknown): string => (Number.isFinite(finite(v)) ? formatPercent(finite(v), 2) : '');
  const cost = (v: unknown): string => (Number.isFinite(finite(v)) ? finite(v).toFixed(5) : '');
  // The validation column only for a run that held a validation set out.
  const validated = epochs.some((e) => Number.isFinite(finite(e.validationCost)));
  const rows = epochs.map((e) => [
    String(e.epoch + 1),
    finite(e.cost).toFixed(5),
    formatNumber(finite(e.learningRate)),
    pct(e.trainAccuracy),
    pct(e.testAccuracy),
    ...(validated ? [cost(e.validationCost)] : []),
    cost(e.testCost),
    (finite(e.trainingMs) / 1000).toFixed(2),
  ]);
  const head = fullBatch
    ? ['iteration', 'cost', 'step length α', 'train accuracy', 'test accuracy']
    : ['epoch', 'cost', 'learning rate', 'train accuracy', 'test accuracy'];
  return {
    id: 'epochs',
    title: fullBatch ? 'Per iteration' : 'Per epoch',
    body: rows.length
      ? table([...head, ...(validated ? ['validation cost'] : []), 'test cost', 'time (s)'], rows)
      : missing('epochs', 'No epoch finished.'),
  };
}

/** Header facts from the run configuration and summary, skipping what is absent. */
function facts(doc: MetricsDocument): [string, string][] {
  const run = record(doc.run);
  const spec = record(run.spec);
  const options = record(run.options);
  const summary = record(doc.summary);
  const layers = list<number>(spec.layers).length ? list<number>(spec.layers) : list<number>(summary.layers);
  const out: [string, string][] = [
    ['model', layers.join('-')],
    ['activations', spec.hidden ? `${text(spec.hidden)} / ${text(spec.output)} + ${text(spec.loss)}` : ''],
    ['epochs', text(summary.epochs, String(doc.epochs?.length ?? ''))],
    ['batch size', text(options.batchSize, '')],
    // Since issue 16 the summary's finalCost is the last epoch's mean, and finalCostEpoch names
    // that epoch; an older document's finalCost was the last minibatch's.
    [
      Number.isFinite(finite(summary.finalCostEpoch))
        ? `final cost (epoch ${finite(summary.finalCostEpoch)} mean)`
        : 'final cost',
      Number.isFinite(finite(summary.finalCost)) ? finite(summary.finalCost).toFixed(5) : '',
    ],
    ['test cost', Number.isFinite(finite(summary.testCost)) ? finite(summary.testCost).toFixed(5) : ''],
    [
      'train accuracy',
      Number.isFinite(finite(summary.trainAccuracy)) ? formatPercent(finite(summary.trainAccuracy), 2) : '',
    ],
    [
      'test accuracy',
      Number.isFinite(finite(summary.testAccuracy)) ? formatPercent(finite(summary.testAccuracy), 2) : '',
    ],
    ['training time', Number.isFinite(finite(summary.seconds)) ? `${finite(summary.seconds).toFixed(1)} s` : ''],
    [
      'samples/s',
      Number.isFinite(finite(summary.samplesPerSecond))
        ? Math.round(finite(summary.samplesPerSecond)).toLocaleString('en-US')
        : '',
    ],
    ['backend', text(summary.backend ?? run.backend, '')],
    ['threads', text(summary.threads ?? run.threads, '')],
  ];
  if (finite(summary.workers) > 0) out.push(['workers', String(summary.workers)]);
  return out.filter(([, v]) => v !== '');
}

/**
 * Renders the training report of a metrics document.
 * @param doc what `train --metrics` writes; any part may be missing
 * @param options [{}] log scale, moving-average window, class names
 * @returns a self-contained HTML page
 */
export function renderTrainingReport(doc: MetricsDocument, options: TrainingReportOptions = {}): string {
  const run = record(doc.run);
  const recorded = list<unknown>(record(doc.report).classNames);
  const names = options.classNames ?? (recorded.every((n) => typeof n === 'string') ? (recorded as string[]) : []);
  const name: ClassName = (i) => names[i] ?? String(i);
  const epochs = list<EpochRecord>(doc.epochs).filter(
    (e) => e !== null && typeof e === 'object' && Number.isFinite(finite(e.epoch)),
  );
  const interrupted = record(doc.summary).interrupted === true ? ' (interrupted)' : '';
  const optionsRecord = record(run.options);
  const fullBatch = isFullBatch(doc);
  const lr =
    !fullBatch && Number.isFinite(finite(optionsRecord.learningRate)) ? `, η ${optionsRecord.learningRate}` : '';
  // An sgd run (or one from before there was a choice) names its momentum; adam and adamw, which
  // ignore the momentum, name the optimizer instead, as do the full-batch ones, which have no η.
  const optimizer =
    optionsRecord.optimizer === 'adam' || optionsRecord.optimizer === 'adamw'
      ? `, ${optionsRecord.optimizer}`
      : fullBatch
        ? `, ${text(optionsRecord.optimizer, 'full-batch')} (full batch)`
        : '';
  const momentum =
    optimizer !== ''
      ? optimizer
      : Number.isFinite(finite(optionsRecord.momentum))
        ? `, momentum ${optionsRecord.momentum}`
        : '';
  return renderPage({
    title: 'gradswarm training report',
    subtitle: `${text(run.command, 'train')} on ${text(run.dataset)}${run.test ? ` (test: ${text(run.test)})` : ''}${lr}${momentum}${interrupted}`,
    facts: facts(doc),
    sections: [
      costSection(doc, epochs, options),
      accuracySection(doc, epochs, name),
      ...imagesSection(doc, name),
      epochTable(epochs, fullBatch),
    ],
  });
}
