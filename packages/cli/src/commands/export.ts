/**
 * `gradswarm export`: a saved model in another format. ONNX for now: the graph of onnx-export.ts,
 * runnable by onnxruntime with the same outputs as gradswarm.
 */
import type { Argv, CommandModule } from 'yargs';
import { EXIT_OK } from '../errors.js';
import { examples } from '../help-layout.js';
import { modelToOnnx, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT } from '../onnx-export.js';
import { readModel } from '../read-model.js';
import { writeFileAtomic } from '@gradswarm/data/node';

interface ExportArgs {
  model: string;
  format: string;
  out: string;
}

async function run(args: ExportArgs): Promise<number> {
  const model = readModel(args.model);
  const bytes = modelToOnnx(model);
  writeFileAtomic(args.out, bytes);
  const { layers } = model.spec;
  const scaling = model.scaling ? `${model.scaling.kind} scaling as Sub/Mul nodes, then ` : '';
  process.stdout.write(
    `wrote ${args.out}: ONNX opset ${ONNX_OPSET}, ${bytes.length} bytes; input "${ONNX_INPUT}" [N, ${layers[0]}] float32, ${scaling}${layers.length - 1} Gemm layers, output "${ONNX_OUTPUT}" [N, ${layers[layers.length - 1]}] (${model.spec.output})\n`,
  );
  return EXIT_OK;
}

/** The `export` command. */
export function exportCommand(setExitCode: (code: number) => void): CommandModule<object, ExportArgs> {
  return {
    command: 'export',
    describe: 'write a saved model in another format (onnx)',
    builder: (y: Argv) =>
      examples(
        y.options({
          model: { type: 'string', demandOption: true, describe: 'model file written by train --out' },
          format: { choices: ['onnx'], default: 'onnx', describe: 'output format' },
          out: { type: 'string', demandOption: true, describe: 'file to write, e.g. model.onnx' },
        }),
        [
          [
            '$0 export --model model.json --format onnx --out model.onnx',
            'for onnxruntime, ONNX tools and other frameworks',
          ],
        ],
      ) as unknown as Argv<ExportArgs>,
    handler: async (args) => setExitCode(await run(args)),
  };
}
