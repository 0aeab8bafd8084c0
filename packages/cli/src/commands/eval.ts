/**
 * `gradswarm eval`: cost (the training formula), accuracy and confusion matrix of a saved model
 * on a data set.
 */
import { readFileSync } from 'node:fs';
import { ErrorCode, evaluate, fsReason, GradswarmError, modelFromJson, resolveCostOptions, selectBackend } from '@gradswarm/core';
import { applyScaler, loadDataset } from '@gradswarm/data';
import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help-layout.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { KERNEL_DESCRIBE, costFlags } from '../flags.js';
import { csvOptionsFromFlags } from '../load-data.js';

interface EvalArgs {
  model: string;
  dataset: string;
  labelColumn?: string;
  header?: string;
  l1: number;
  l2: number;
  reduction: string;
  json: boolean;
  kernel?: string;
}

function readModel(path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GradswarmError(ErrorCode.DATA_IO, `cannot read model ${path}: ${fsReason(err)}`);
  }
  return modelFromJson(text, path);
}

async function run(args: EvalArgs): Promise<number> {
  const cost = resolveCostOptions({ l1: args.l1, l2: args.l2, reduction: args.reduction as 'mean' });
  const model = readModel(args.model);
  const raw = loadDataset(args.dataset, { ...csvOptionsFromFlags(args), role: 'test' });
  const inputs = model.spec.layers[0];
  const outputs = model.spec.layers[model.spec.layers.length - 1];
  if (raw.featureCount !== inputs) {
    throw new UsageError(`${args.model} takes ${inputs} inputs but ${args.dataset} has ${raw.featureCount} features - help: evaluate on the kind of data the model was trained on`);
  }
  // The scaling the model was trained with travels in the model file.
  const s = model.scaling;
  const data = s ? { ...raw, ...applyScaler({ kind: s.kind, featureCount: inputs, offset: s.offset, factor: s.factor }, raw) } : raw;
  if (data.classCount > outputs) {
    throw new UsageError(`${args.dataset} has labels up to ${data.classCount - 1} but ${args.model} has only ${outputs} outputs`);
  }
  const ev = evaluate(selectBackend(args.kernel), model.spec, model.params, data, cost);
  const lines = [
    `model ${args.model} (${model.spec.layers.join('-')}${s ? `, ${s.kind} scaling` : ''}) on ${data.source}: ${data.count} samples`,
    `cost ${ev.cost.toFixed(6)}; accuracy ${(ev.accuracy * 100).toFixed(2)}%`,
    'confusion matrix (rows: true class, columns: predicted):',
    ...ev.confusion.map((row, i) => `${String(i).padStart(3)} | ${row.map((v) => String(v).padStart(5)).join('')}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (args.json) process.stdout.write(`${JSON.stringify({ cost: ev.cost, accuracy: ev.accuracy, confusion: ev.confusion, samples: ev.samples })}\n`);
  return EXIT_OK;
}

export function evalCommand(setExitCode: (code: number) => void): CommandModule<object, EvalArgs> {
  return {
    command: 'eval',
    describe: 'evaluate a saved model on a data set: cost, accuracy, confusion matrix',
    builder: (y: Argv) =>
      examples(
        y
        .options({
          model: { type: 'string', demandOption: true, describe: 'model file written by train --out' },
          dataset: { type: 'string', demandOption: true, describe: 'mnist | idx:DIR | idx:IMAGES,LABELS | csv:FILE | digits:FILE (idx:DIR prefers t10k files)' },
          'label-column': { type: 'string', describe: 'csv: label column: first | last | 0-based N [last]' },
          header: { type: 'string', describe: 'csv: first row is a header: auto | yes | no [auto]' },
          json: { type: 'boolean', default: false, describe: 'also print {"cost","accuracy","confusion","samples"} as the last line' },
          kernel: { type: 'string', describe: KERNEL_DESCRIBE },
          ...costFlags,
        }),
        [
          ['$0 eval --model model.json --dataset idx:../shared/data/mnist', 'test a model on the MNIST t10k set'],
        ],
      ) as unknown as Argv<EvalArgs>,
    handler: async (args) => setExitCode(await run(args)),
  };
}
