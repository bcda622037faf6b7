import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QDRANT_VERSION, INPUT_DEFAULTS, parseInputs } from '../../src/action/inputs.js';
import { DEFAULTS } from '../../src/core/settings.js';
import { ROOT } from '../helpers/run-action.js';

/** action.yml's inputs and their defaults (its layout: two-space input names, four-space `default:`). */
async function actionYmlDefaults(): Promise<Map<string, string | undefined>> {
  const text = await readFile(path.join(ROOT, 'action.yml'), 'utf8');
  const inputs = text.slice(text.indexOf('\ninputs:\n'), text.indexOf('\noutputs:\n'));
  const defaults = new Map<string, string | undefined>();
  let current: string | undefined;
  for (const line of inputs.split('\n')) {
    const name = /^ {2}([a-z0-9-]+):$/.exec(line);
    if (name) defaults.set((current = name[1]!), undefined);
    const value = /^ {4}default: (.*)$/.exec(line);
    if (value && current) defaults.set(current, value[1]!.replace(/^'(.*)'$/, '$1'));
  }
  return defaults;
}

/** README's inputs table: input -> the default column as written. */
async function readmeDefaults(): Promise<Map<string, string>> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('| input | default | meaning |');
  const text = readme.slice(start, readme.indexOf('\n\n', start));
  const rows = new Map<string, string>();
  for (const match of text.matchAll(/^\| `([a-z0-9-]+)` \|([^|]*)\|/gm))
    rows.set(match[1]!, match[2]!.trim());
  return rows;
}

/** Defaults the runner fills in from an expression; the parser never sees them empty. */
const RUNNER_EXPRESSIONS: Record<string, string> = { 'github-token': '${{ github.token }}' };

describe('the defaults: one table in the code, the same in action.yml and README', () => {
  it('action.yml states every input default the parser uses, and no other', async () => {
    const yml = await actionYmlDefaults();
    expect([...yml.keys()].filter((name) => name !== 'mode').sort()).toEqual(
      Object.keys(INPUT_DEFAULTS).sort(),
    );
    for (const [name, value] of Object.entries(INPUT_DEFAULTS)) {
      expect(yml.get(name), name).toBe(RUNNER_EXPRESSIONS[name] ?? value);
    }
  });

  it("README's inputs table shows each non-empty default as the code has it", async () => {
    const readme = await readmeDefaults();
    for (const [name, value] of Object.entries(INPUT_DEFAULTS)) {
      expect(readme.has(name), `README lists input ${name}`).toBe(true);
      const shown = RUNNER_EXPRESSIONS[name] ?? value;
      // An empty default is computed (path, repository, retention-days...): blank, words, or a $VARIABLE path.
      if (shown === '') expect(readme.get(name), name).not.toMatch(/^`[^$]*`$/);
      else expect(readme.get(name), name).toBe(`\`${shown}\``);
    }
  });

  it('the parser applies exactly those defaults', () => {
    const options = parseInputs((name) => (name === 'mode' ? 'restore' : ''), {});
    expect(options).toMatchObject({
      url: DEFAULTS.url,
      collections: [DEFAULTS.collections],
      concurrency: Number(DEFAULTS.concurrency),
      timeoutSeconds: Number(DEFAULTS.timeout),
      ifExists: DEFAULTS['if-exists'],
      verify: DEFAULTS.verify === 'true' ? 'sample' : false,
      aliases: DEFAULTS.aliases === 'true',
      artifactName: INPUT_DEFAULTS['artifact-name'],
      compressionLevel: Number(INPUT_DEFAULTS['compression-level']),
      start: INPUT_DEFAULTS.start,
      // Empty: computed where it is used (DEFAULT_QDRANT_VERSION for a backup, the backup's own for a restore).
      qdrantVersion: undefined,
      startTimeoutSeconds: Number(INPUT_DEFAULTS['start-timeout']),
    });
  });

  it("qdrant-version: README and action.yml name the release a backup starts, and say a restore starts the backup's own", async () => {
    expect(INPUT_DEFAULTS['qdrant-version']).toBe('');
    expect((await readmeDefaults()).get('qdrant-version')).toBe(
      `backup: \`${DEFAULT_QDRANT_VERSION}\`; restore: the backup's`,
    );
    const action = await readFile(path.join(ROOT, 'action.yml'), 'utf8');
    expect(action).toContain(`for a backup, ${DEFAULT_QDRANT_VERSION}.`);
  });
});
