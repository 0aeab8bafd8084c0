/**
 * The `gradswarm` command: yargs wiring, and one place that turns errors into one-line messages
 * and exit codes (2: bad usage or input, 1: failure at run time, 130: interrupted).
 */
import { readFileSync } from 'node:fs';
import yargs, { type Options } from 'yargs';
import { benchCommand } from './commands/bench.js';
import { coordinatorCommand, coordinatorFlags } from './commands/coordinator.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { gradcheckCommand } from './commands/gradcheck.js';
import { infoCommand } from './commands/info.js';
import { launchCommand } from './commands/launch.js';
import { predictCommand } from './commands/predict.js';
import { reportCommand } from './commands/report.js';
import { trainCommand, trainFlags } from './commands/train.js';
import { expandConfigFile } from './config-file.js';
import { workerCommand } from './commands/worker.js';
import { describeError, EXIT_OK, UsageError } from './errors.js';
import { fixGluedColumns } from './help-layout.js';
import { refuseNonNumbers } from './parse.js';

/** This package's version, printed by `gradswarm --version`. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The commands that take --config, with their flags. */
const CONFIG_FLAGS: Record<string, Record<string, Options>> = { train: trainFlags, coordinator: coordinatorFlags };

/** Runs the CLI on `argv` (without node and script) and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const flags = CONFIG_FLAGS[argv[0] ?? ''];
    if (flags) argv = expandConfigFile(argv, flags);
  } catch (err) {
    process.stderr.write(`gradswarm: error: ${describeError(err).line}\n`);
    return describeError(err).exitCode;
  }
  let exitCode = EXIT_OK;
  const setExitCode = (code: number): void => {
    exitCode = code;
  };
  const width = Math.min(120, process.stdout.columns || 100);
  const cli = yargs(argv)
    .scriptName('gradswarm')
    .usage('$0 <command> [options]\n\nDistributed data-parallel neural-network training.')
    .command(trainCommand(setExitCode))
    .command(coordinatorCommand(setExitCode))
    .command(workerCommand(setExitCode))
    .command(launchCommand(setExitCode))
    .command(evalCommand(setExitCode))
    .command(predictCommand(setExitCode))
    .command(exportCommand(setExitCode))
    .command(gradcheckCommand(setExitCode))
    .command(benchCommand(setExitCode))
    .command(reportCommand(setExitCode))
    .command(infoCommand(setExitCode))
    .demandCommand(
      1,
      'name a command: train, coordinator, worker, launch, eval, predict, export, gradcheck, bench or report',
    )
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .wrap(width)
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .middleware((parsed) => refuseNonNumbers(parsed, argv))
    .fail((message, err) => {
      // Throwing here stops yargs before any handler runs; main() turns it into one line.
      if (err) throw err;
      // yargs spreads some messages over lines ("Invalid values:\n  Argument: x, Given: …"): one line, flag named.
      const line = message
        .replace(/\s*\n\s*/g, ' ')
        .replace(/Argument: ([\w-]+), Given:/g, '--$1 got')
        .trim();
      throw new UsageError(`${line} - help: run gradswarm --help`);
    });
  try {
    // With a callback yargs hands back what it would print (help, version) instead of printing it
    // and exiting, so the help's layout can be mended first (help-layout.ts).
    let output = '';
    await cli.parseAsync(argv, {}, (_err, _parsed, text) => {
      output = text;
    });
    if (output !== '') process.stdout.write(`${fixGluedColumns(output, width)}\n`);
  } catch (err) {
    const { exitCode: code, line } = describeError(err);
    if (line === null) {
      process.stderr.write(`gradswarm: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    } else {
      process.stderr.write(`gradswarm: error: ${line}\n`);
    }
    return code;
  }
  return exitCode;
}
