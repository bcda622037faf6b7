import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/run-action.js';

interface ActionMetadata {
  name?: unknown;
  description?: unknown;
  inputs?: Record<string, { description?: unknown } | null>;
  outputs?: Record<string, { description?: unknown } | null>;
  runs?: { using?: unknown };
}

/** The GitHub Marketplace refuses an action whose description is 125 characters or longer. */
const MARKETPLACE_DESCRIPTION_LIMIT = 125;

let action: ActionMetadata;
let readme: string;

/** The names in the first column of the table under README's `## heading`. */
function readmeTableNames(heading: string): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]!);
}

beforeAll(async () => {
  action = parse(await readFile(path.join(ROOT, 'action.yml'), 'utf8')) as ActionMetadata;
  readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
});

describe('action.yml', () => {
  it(`has a name and a description under ${MARKETPLACE_DESCRIPTION_LIMIT} characters (the Marketplace's limit)`, () => {
    expect(typeof action.name === 'string' && action.name.trim()).toBeTruthy();
    expect(typeof action.description).toBe('string');
    const description = action.description as string;
    expect(description.trim().length).toBeGreaterThan(20);
    expect(description.length).toBeLessThan(MARKETPLACE_DESCRIPTION_LIMIT);
  });

  it('describes every input and every output', () => {
    const undescribed = (entries: ActionMetadata['inputs']) =>
      Object.entries(entries ?? {})
        .filter(([, spec]) => typeof spec?.description !== 'string' || !spec.description.trim())
        .map(([name]) => name);
    expect(Object.keys(action.inputs ?? {}).length).toBeGreaterThan(0);
    expect(Object.keys(action.outputs ?? {}).length).toBeGreaterThan(0);
    expect(undescribed(action.inputs), 'inputs without a description').toEqual([]);
    expect(undescribed(action.outputs), 'outputs without a description').toEqual([]);
  });

  it('runs on node24, the runtime README names', () => {
    expect(action.runs?.using).toBe('node24');
  });

  it("README's tables list exactly the inputs and outputs action.yml has", () => {
    expect(readmeTableNames('Inputs').sort()).toEqual(Object.keys(action.inputs ?? {}).sort());
    expect(readmeTableNames('Outputs').sort()).toEqual(Object.keys(action.outputs ?? {}).sort());
  });
});
