import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_QDRANT_VERSION, INPUT_DEFAULTS } from '../../src/action/inputs.js';
import { ROOT } from '../helpers/run-action.js';

describe('defaults: action.yml, the parser and README agree', () => {
  it("every input's default in action.yml is the parser's", async () => {
    const action = parse(await readFile(path.join(ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { default?: string }>;
    };
    for (const [name, spec] of Object.entries(action.inputs)) {
      if (name === 'mode' || name === 'github-token') continue; // required / an expression the runner fills
      expect(spec.default ?? '', name).toBe(INPUT_DEFAULTS[name]);
    }
    expect(Object.keys(INPUT_DEFAULTS).sort()).toEqual(
      Object.keys(action.inputs)
        .filter((name) => name !== 'mode')
        .sort(),
    );
  });

  it('README names the release a backup starts and says a restore starts the backup’s own', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| `qdrant-version` |'));
    expect(row).toContain(`backup: \`${DEFAULT_QDRANT_VERSION}\``);
    expect(row).toContain("restore: the backup's");
    const action = await readFile(path.join(ROOT, 'action.yml'), 'utf8');
    expect(action).toContain(`for a backup, ${DEFAULT_QDRANT_VERSION}.`);
  });
});
