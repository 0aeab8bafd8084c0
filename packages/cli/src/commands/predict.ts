/**
 * `gradswarm predict`: the top-k classes of a saved model for new inputs (pictures, CSV rows or
 * an IDX file), prepared as the training data was and scaled by the model's stored scaling.
 */
import { forwardOutputs, selectBackend, topClasses, type Model } from '@gradswarm/core';
import { applyScaler } from '@gradswarm/data';
import type { Argv, CommandModule } from 'yargs';
import { EXIT_OK, UsageError } from '../errors.js';
import { KERNEL_DESCRIBE } from '../flags.js';
import { examples } from '../help-layout.js';
import type { InvertMode } from '../image-input.js';
import { csvOptionsFromFlags } from '../load-data.js';
import { readPredictInput, type PredictInput } from '../predict-input.js';
import { readModel } from '../read-model.js';

interface PredictArgs {
  model: string;
  input: string;
  top: number;
  json: boolean;
  invert: string;
  labelColumn?: string;
  header?: string;
  kernel?: string;
}

const className = (model: Model, index: number): string => model.classNames?.[index] ?? String(index);

function describeScaling(model: Model): string {
  return model.scaling
    ? `then the model's ${model.scaling.kind} scaling (x − offset)·factor`
    : 'no further scaling (the model stores none)';
}

function scaledFeatures(model: Model, input: PredictInput): Float32Array {
  const s = model.scaling;
  if (!s) return input.features;
  const inputs = model.spec.layers[0];
  const samples = {
    features: input.features,
    labels: new Int32Array(input.count),
    count: input.count,
    featureCount: inputs,
    classCount: 1,
  };
  return applyScaler({ kind: s.kind, featureCount: inputs, offset: s.offset, factor: s.factor }, samples).features;
}

async function run(args: PredictArgs): Promise<number> {
  if (!Number.isInteger(args.top) || args.top < 1)
    throw new UsageError(`--top must be a positive integer, got ${args.top}`);
  const model = readModel(args.model);
  const input = readPredictInput(args.input, model, {
    invert: args.invert as InvertMode,
    csv: csvOptionsFromFlags(args),
  });
  const n = model.spec.layers[model.spec.layers.length - 1];
  const k = Math.min(args.top, n);
  const probs = forwardOutputs(
    selectBackend(args.kernel),
    model.spec,
    model.params,
    scaledFeatures(model, input),
    input.count,
  );
  const rows = input.names.map((name, r) => ({
    input: name,
    ...(input.labels ? { label: input.labels[r] } : {}),
    ...(input.inverted ? { inverted: input.inverted[r] } : {}),
    top: topClasses(probs.subarray(r * n, (r + 1) * n), k).map((c) => ({
      class: c.index,
      ...(model.classNames ? { name: className(model, c.index) } : {}),
      probability: c.probability,
    })),
  }));
  const preparation = `${input.preparation}, ${describeScaling(model)}`;
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({ model: args.model, output: model.spec.output, preparation, predictions: rows })}\n`,
    );
    return EXIT_OK;
  }
  const what =
    model.spec.output === 'softmax'
      ? 'softmax probabilities'
      : model.spec.output === 'sigmoid'
        ? 'sigmoid outputs (one per class, not summing to 1)'
        : 'identity outputs (scores)';
  const lines = [
    `model ${args.model} (${model.spec.layers.join('-')}); ${input.count} input${input.count === 1 ? '' : 's'} from ${args.input}`,
    `prepared as ${preparation}`,
    `top ${k} classes with ${what}:`,
  ];
  const width = Math.max(...rows.map((r) => r.input.length));
  for (const r of rows) {
    const ranked = r.top.map((c) => `${className(model, c.class)} ${(c.probability * 100).toFixed(2)}%`).join('  ');
    const notes = [
      r.label !== undefined ? `label ${className(model, r.label)}` : '',
      r.inverted ? 'inverted' : '',
    ].filter(Boolean);
    lines.push(`${r.input.padEnd(width)}  ${ranked}${notes.length ? `  (${notes.join(', ')})` : ''}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

/** The `predict` command. */
export function predictCommand(setExitCode: (code: number) => void): CommandModule<object, PredictArgs> {
  return {
    command: 'predict',
    describe: 'top-k classes of a saved model for pictures (PNG/JPEG), CSV rows or an IDX file',
    builder: (y: Argv) =>
      examples(
        y.options({
          model: { type: 'string', demandOption: true, describe: 'model file written by train --out' },
          input: {
            type: 'string',
            demandOption: true,
            describe: 'a .png/.jpg file, a folder of them, a .csv(.gz) file or an IDX images file',
          },
          top: { type: 'number', default: 3, describe: 'how many classes to list per input' },
          json: {
            type: 'boolean',
            default: false,
            describe: 'print one JSON document {"model","output","preparation","predictions"} instead of text',
          },
          invert: {
            choices: ['auto', 'yes', 'no'],
            default: 'auto',
            describe: 'pictures: invert greys (auto: when the border is mostly light, as a dark digit on white paper)',
          },
          'label-column': { type: 'string', describe: 'csv rows with a label column: first | last | 0-based N [last]' },
          header: { type: 'string', describe: 'csv: first row is a header: auto | yes | no [auto]' },
          kernel: { type: 'string', describe: KERNEL_DESCRIBE },
        }),
        [
          ['$0 predict --model model.json --input digit.png', 'classify one picture'],
          ['$0 predict --model model.json --input pictures/ --top 1 --json', 'classify a folder, for machines'],
        ],
      ) as unknown as Argv<PredictArgs>,
    handler: async (args) => setExitCode(await run(args)),
  };
}
