/**
 * `gradswarm gradcheck`: backprop against centred differences in float64 on a small random
 * network and random data; exits 1 on a "problem".
 */
import {
  gradientCheck,
  initializeParameters,
  parameterCount,
  resolveCostOptions,
  Rng,
  selectBackend,
  type LabeledSamples,
} from '@gradswarm/core';
import type { Argv, CommandModule } from 'yargs';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import { KERNEL_DESCRIBE, costFlags } from '../flags.js';
import { parseIntList } from '../parse.js';
import { modelSpecFromArgs } from '../model-spec.js';

interface GradcheckArgs {
  layers: string;
  hidden: string;
  output: string;
  loss?: string;
  l1: number;
  l2: number;
  reduction: string;
  samples: number;
  seed: number;
  json: boolean;
  kernel?: string;
}

async function run(args: GradcheckArgs): Promise<number> {
  if (!(Number.isInteger(args.samples) && args.samples >= 1 && args.samples <= 10000)) {
    throw new UsageError(`--samples must be an integer in [1, 10000], got ${args.samples}`);
  }
  const sizes = parseIntList('layers', args.layers);
  if (sizes.length < 2) throw new UsageError('--layers must give at least the input and output sizes, e.g. 4,5,3');
  const parameters = sizes.slice(1).reduce((sum, n, i) => sum + n * (sizes[i] + 1), 0);
  if (parameters > 20000)
    throw new UsageError(
      `--layers ${args.layers} has ${parameters} parameters; the check evaluates the cost twice per parameter - help: use a network under 20000 parameters`,
    );
  const spec = modelSpecFromArgs({ ...args, layers: args.layers }, sizes[0], sizes[sizes.length - 1]);
  const rng = new Rng(args.seed);
  const inputs = sizes[0];
  const classes = sizes[sizes.length - 1];
  const data: LabeledSamples = {
    features: Float32Array.from({ length: args.samples * inputs }, () => rng.uniform(-1, 1)),
    labels: Int32Array.from({ length: args.samples }, () => rng.nextInt(classes)),
    count: args.samples,
    featureCount: inputs,
    classCount: classes,
  };
  const params = new Float64Array(parameterCount(spec.layers));
  initializeParameters(spec.layers, 'glorot', rng, params);
  const cost = resolveCostOptions({ l1: args.l1, l2: args.l2, reduction: args.reduction as 'mean' });
  const backend = selectBackend(args.kernel);
  const result = gradientCheck(backend, spec, params, data, cost);
  process.stdout.write(
    `gradient check of ${spec.layers.join('-')} ${spec.hidden}/${spec.output}+${spec.loss} (${params.length} parameters, ${args.samples} samples, ${backend.name}): relative error ${result.relativeError.toExponential(3)} -> ${result.verdict}\n`,
  );
  if (args.json)
    process.stdout.write(
      `${JSON.stringify({ relativeError: result.relativeError, verdict: result.verdict, parameters: params.length })}\n`,
    );
  return result.verdict === 'problem' ? EXIT_FAILURE : EXIT_OK;
}

export function gradcheckCommand(setExitCode: (code: number) => void): CommandModule<object, GradcheckArgs> {
  return {
    command: 'gradcheck',
    describe: 'check backprop against numerical gradients (float64, centred differences)',
    builder: (y: Argv) =>
      y.options({
        layers: { type: 'string', default: '4,5,3', describe: 'all layer sizes, input first' },
        hidden: { choices: ['sigmoid', 'tanh', 'relu', 'swish'], default: 'sigmoid', describe: 'hidden activation' },
        output: { choices: ['sigmoid', 'softmax', 'identity'], default: 'sigmoid', describe: 'output activation' },
        loss: { choices: ['bce', 'ce', 'mse'], describe: 'loss [by --output]' },
        samples: { type: 'number', default: 5, describe: 'random samples to check on' },
        seed: { type: 'number', default: 1, describe: 'seed of the random network and data' },
        json: { type: 'boolean', default: false, describe: 'also print the result as one JSON line' },
        kernel: { type: 'string', describe: KERNEL_DESCRIBE },
        ...costFlags,
      }) as unknown as Argv<GradcheckArgs>,
    handler: async (args) => setExitCode(await run(args)),
  };
}
