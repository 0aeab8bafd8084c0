/**
 * `gradswarm report FILE --out FILE.html`: rebuilds a report from what a run left behind. A
 * metrics document (`train --metrics`) gives the training report, a scale benchmark's JSON
 * (`bench scale --json`) the scale report. The page is self-contained: open it from disk.
 */
import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help-layout.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { readReportDocument } from '@gradswarm/report/node';
import { renderScaleReport } from '@gradswarm/report';
import { renderTrainingReport } from '@gradswarm/report';
import { writeFileAtomic } from '@gradswarm/data/node';

interface ReportArgs {
  file: string;
  out?: string;
  logScale: boolean;
  movingAverage?: number;
  classNames?: string;
}

/** FILE.json → FILE.html beside it (any other name gets .html appended). */
export function defaultReportPath(input: string): string {
  return /\.json$/i.test(input) ? input.replace(/\.json$/i, '.html') : `${input}.html`;
}

function run(args: ReportArgs): number {
  const out = args.out ?? defaultReportPath(args.file);
  if (out === args.file) throw new UsageError(`--out ${out} would overwrite the input - help: name another file`);
  const source = readReportDocument(args.file);
  if (args.movingAverage !== undefined && !(Number.isInteger(args.movingAverage) && args.movingAverage >= 1)) {
    throw new UsageError(`--moving-average must be a positive whole number of minibatches, got ${args.movingAverage}`);
  }
  const classNames = args.classNames?.split(',').map((n) => n.trim());
  const options = {
    logScale: args.logScale,
    ...(args.movingAverage ? { movingAverageWindow: args.movingAverage } : {}),
    ...(classNames ? { classNames } : {}),
  };
  const html = source.kind === 'training' ? renderTrainingReport(source.doc, options) : renderScaleReport(source.doc);
  writeFileAtomic(out, html);
  process.stderr.write(`${source.kind} report written to ${out}\n`);
  return EXIT_OK;
}

export function reportCommand(setExitCode: (code: number) => void): CommandModule<object, ReportArgs> {
  return {
    command: 'report <file>',
    describe: 'write an HTML report from a metrics file (train --metrics) or a scale benchmark (bench scale --json)',
    builder: (y: Argv) =>
      examples(
        y
          .positional('file', {
            type: 'string',
            describe: 'metrics.json from train/coordinator --metrics, or the JSON of bench scale --json',
          })
          .options({
            out: { type: 'string', describe: 'the HTML file to write [FILE with .html for .json]' },
            'log-scale': { type: 'boolean', default: false, describe: 'training report: cost charts on a log scale' },
            'moving-average': {
              type: 'number',
              describe: 'training report: minibatches in the moving average of the cost [about 1/50 of the run]',
            },
            'class-names': {
              type: 'string',
              describe:
                'training report: class names, comma-separated, e.g. T-shirt,Trouser,… [recorded names, else 0, 1, …]',
            },
          }),
        [
          ['$0 report metrics.json --out report.html', 'the training report of a run'],
          [
            '$0 report metrics.json --log-scale --moving-average 50',
            'cost on a log scale, smoothed over 50 minibatches',
          ],
          ['$0 report scale.json --out scale.html', 'the scale benchmark report'],
        ],
      ) as unknown as Argv<ReportArgs>,
    handler: async (args) => setExitCode(run(args)),
  };
}
