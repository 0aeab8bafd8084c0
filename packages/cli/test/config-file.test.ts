import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandConfigFile } from '../src/config-file.js';
import { trainFlags } from '../src/commands/train.js';

const dir = mkdtempSync(join(tmpdir(), 'gradswarm-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('expandConfigFile', () => {
  it('puts the file’s settings between the command and the typed flags, so the typed ones win', () => {
    const path = file('a.yaml', 'epochs: 4\nbatchSize: 30\nlayers: [256, 64]\nnesterov: true\nprogress: false\n');
    expect(expandConfigFile(['train', '--epochs', '2', '--config', path], trainFlags)).toEqual([
      'train',
      '--epochs=4',
      '--batch-size=30',
      '--layers=256,64',
      '--nesterov',
      '--no-progress',
      '--epochs',
      '2',
      '--config',
      path,
    ]);
  });

  it('reads JSON, takes an alias as its flag, and leaves argv alone without --config', () => {
    const path = file('a.json', '{"decay-kind": "compound", "seed": 3, "dataset": "mnist"}');
    expect(expandConfigFile(['train', `--config=${path}`], trainFlags)).toEqual([
      'train',
      '--schedule=compound',
      '--seed=3',
      '--dataset=mnist',
      `--config=${path}`,
    ]);
    expect(expandConfigFile(['train', '--epochs', '2'], trainFlags)).toEqual(['train', '--epochs', '2']);
  });

  it('refuses unknown keys, wrong types and files that are not a mapping, naming the file and key', () => {
    const run = (text: string) => () => expandConfigFile(['train', '--config', file('b.yaml', text)], trainFlags);
    expect(run('epoch: 3')).toThrow(
      /--config .*b\.yaml: unknown key "epoch" - help: keys are this command's flag names, e\.g\. epochs/,
    );
    expect(run('config: other.yaml')).toThrow(/unknown key "config"/);
    expect(run('lr: fast')).toThrow(/b\.yaml: "lr" must be a number, got "fast"/);
    expect(run('nesterov: 1')).toThrow(/"nesterov" must be true or false, got 1/);
    expect(run('- 1\n- 2')).toThrow(/must hold a mapping of flag names to values/);
  });
});
