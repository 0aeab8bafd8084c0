/**
 * Two fixes to yargs' help layout, applied to the help text it produces:
 * - a description that ends exactly where the type column starts is glued to it ("giving
 *   up[number]", "activation[choices: …]"): cliui's renderInline joins the two with no space
 *   when they touch (yargs/yargs#2228, open). Such a type column goes on its own line,
 *   right-aligned, which is yargs' own layout when it does not fit;
 * - examples: yargs gives an example's command half the width, so a long one wraps to the next
 *   line. Each example here is a `# what it does` line over a command that has the whole line.
 */
import type { Argv } from 'yargs';

/** What yargs writes in the type column: [string], [number], [required], [choices: …], [default: …]. */
const GLUED_EXTRAS = /^(.*\S)(\[(?:string|number|boolean|array|count|required|deprecated|choices:|default:)[^\n]*)$/;

/** The help text with every glued type column moved to its own right-aligned line. */
export function fixGluedColumns(help: string, width: number): string {
  return help
    .split('\n')
    .map((line) => {
      const m = GLUED_EXTRAS.exec(line);
      if (!m) return line;
      const extras = m[2];
      return `${m[1].trimEnd()}\n${' '.repeat(Math.max(0, width - extras.length))}${extras}`;
    })
    .join('\n');
}

/** Adds examples as `# description` lines, each over its command at full width. */
export function examples<T>(y: Argv<T>, list: ReadonlyArray<readonly [command: string, description: string]>): Argv<T> {
  return list.reduce((acc, [command, description]) => acc.example(`# ${description}`, '').example(command, ''), y);
}
