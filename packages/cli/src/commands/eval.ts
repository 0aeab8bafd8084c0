/**
 * `gradswarm eval`: cost (the training formula), accuracy, confusion matrix and per-class
 * precision, recall and F1 of a saved model on a data set. The cost uses the l1/l2/reduction
 * the model file records, unless flags override them; a model file that records its training
 * data's fingerprint gets a warning when evaluated on that same data.
 */
import { classificationReport, evaluate, resolveCostOptions, selectBackend, type CostOptions } from '@gradswarm/core';
import { applyScaler, fingerprint, loadDataset } from '@gradswarm/data';
import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help-layout.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { KERNEL_DESCRIBE, costFlags } from '../flags.js';
import { csvOptionsFromFlags } from '../load-data.js';
import { readModel } from '../read-model.js';

interface EvalArgs {
  model: string;
  dataset: string;
  labelColumn?: string;
  header?: string;
  l1?: number;
  l2?: number;
  reduction?: string;
  json: boolean;
  kernel?: string;
}

/** The cost flags without their defaults, so eval can tell a flag given from the model's stored value. */
const evalCostFlags = Object.fromEntries(
  Object.entries(costFlags).map(([name, flag]) => [
    name,
    { ...flag, default: undefined, describe: `${flag.describe} [the model file's, else ${String(flag.default)}]` },
  ]),
) as unknown as typeof costFlags;

async function run(args: EvalArgs): Promise<number> {
  const given = Object.fromEntries(
    Object.entries({
      l1: args.l1,
      l2: args.l2,
      reduction: args.reduction as CostOptions['reduction'] | undefined,
    }).filter(([, v]) => v !== undefined),
  );
  // Precedence: flags given, then the model file's cost, then the flags' (the trainer's) defaults.
  const defaults = { l1: costFlags.l1.default, l2: costFlags.l2.default, reduction: costFlags.reduction.default };
  resolveCostOptions({ ...defaults, ...given }); // bad flags are refused before any file is read
  const model = readModel(args.model);
  const cost = resolveCostOptions({ ...defaults, ...model.cost, ...given });
  // A CSV's string labels map by the model's class names, as the training file's did.
  const byName = model.classNames ? { classNames: model.classNames } : {};
  const raw = loadDataset(args.dataset, { ...csvOptionsFromFlags(args), ...byName, role: 'test' });
  if (model.trainedOn && fingerprint(raw) === model.trainedOn.fingerprint) {
    process.stderr.write(
      `gradswarm: warning: ${args.dataset} is the data ${args.model} was trained on (same fingerprint): these are training figures, not a test - help: evaluate on held-out data\n`,
    );
  }
  const inputs = model.spec.layers[0];
  const outputs = model.spec.layers[model.spec.layers.length - 1];
  if (raw.featureCount !== inputs) {
    throw new UsageError(
      `${args.model} takes ${inputs} inputs but ${args.dataset} has ${raw.featureCount} features - help: evaluate on the kind of data the model was trained on`,
    );
  }
  // The scaling the model was trained with travels in the model file.
  const s = model.scaling;
  const data = s
    ? { ...raw, ...applyScaler({ kind: s.kind, featureCount: inputs, offset: s.offset, factor: s.factor }, raw) }
    : raw;
  if (data.classCount > outputs) {
    throw new UsageError(
      `${args.dataset} has labels up to ${data.classCount - 1} but ${args.model} has only ${outputs} outputs`,
    );
  }
  const ev = evaluate(selectBackend(args.kernel), model.spec, model.params, data, cost);
  const lines = [
    `model ${args.model} (${model.spec.layers.join('-')}${s ? `, ${s.kind} scaling` : ''}) on ${data.source}: ${data.count} samples`,
    `cost ${ev.cost.toFixed(6)}; accuracy ${(ev.accuracy * 100).toFixed(2)}%`,
    'confusion matrix (rows: true class, columns: predicted):',
    ...ev.confusion.map((row, i) => `${String(i).padStart(3)} | ${row.map((v) => String(v).padStart(5)).join('')}`),
  ];
  const report = classificationReport(ev.confusion);
  const names = ev.confusion.map((_, i) => model.classNames?.[i] ?? String(i));
  const width = Math.max(12, ...names.map((n) => n.length));
  const figures = (m: { precision: number; recall: number; f1: number }) =>
    [m.precision, m.recall, m.f1].map((v) => v.toFixed(4).padStart(10)).join('');
  lines.push(
    `${'per class:'.padEnd(width + 2)}${['precision', 'recall', 'f1', 'support'].map((h) => h.padStart(10)).join('')}`,
    ...report.classes.map((c, i) => `  ${names[i].padEnd(width)}${figures(c)}${String(c.support).padStart(10)}`),
    `  ${'macro avg'.padEnd(width)}${figures(report.macro)}${String(ev.samples).padStart(10)}`,
    `  ${'weighted avg'.padEnd(width)}${figures(report.weighted)}${String(ev.samples).padStart(10)}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  if (args.json) {
    const perClass = report.classes.map((c, i) => ({
      class: i,
      ...(model.classNames ? { name: names[i] } : {}),
      ...c,
    }));
    process.stdout.write(
      `${JSON.stringify({ cost: ev.cost, accuracy: ev.accuracy, confusion: ev.confusion, samples: ev.samples, perClass, macro: report.macro, weighted: report.weighted })}\n`,
    );
  }
  return EXIT_OK;
}

export function evalCommand(setExitCode: (code: number) => void): CommandModule<object, EvalArgs> {
  return {
    command: 'eval',
    describe: 'evaluate a saved model on a data set: cost, accuracy, confusion matrix, per-class precision/recall/F1',
    builder: (y: Argv) =>
      examples(
        y.options({
          model: { type: 'string', demandOption: true, describe: 'model file written by train --out' },
          dataset: {
            type: 'string',
            demandOption: true,
            describe: 'mnist | idx:DIR | idx:IMAGES,LABELS | csv:FILE | digits:FILE (idx:DIR prefers t10k files)',
          },
          'label-column': { type: 'string', describe: 'csv: label column: first | last | 0-based N [last]' },
          header: { type: 'string', describe: 'csv: first row is a header: auto | yes | no [auto]' },
          json: {
            type: 'boolean',
            default: false,
            describe:
              'also print {"cost","accuracy","confusion","samples","perClass","macro","weighted"} as the last line',
          },
          kernel: { type: 'string', describe: KERNEL_DESCRIBE },
          ...evalCostFlags,
        }),
        [['$0 eval --model model.json --dataset idx:../shared/data/mnist', 'test a model on the MNIST t10k set']],
      ) as unknown as Argv<EvalArgs>,
    handler: async (args) => setExitCode(await run(args)),
  };
}
