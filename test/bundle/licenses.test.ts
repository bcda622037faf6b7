import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaredLicense } from '../../scripts/bundle.mjs';
import { ROOT } from '../helpers/run-action.js';

const BUNDLES = ['main', 'post', 'cli'] as const;

/** The packages a notices file names ("Package: name@version" headers). */
async function noticed(bundle: string): Promise<Map<string, string>> {
  const text = await readFile(path.join(ROOT, 'dist', bundle, 'licenses.txt'), 'utf8');
  const entries = new Map<string, string>();
  for (const match of text.matchAll(/^Package: (.+)@([^@\s]+)\nLicense: (.+)$/gm))
    entries.set(match[1]!, match[3]!);
  return entries;
}

/** The packages whose module paths ncc left in the bundle's code (every chunk), e.g. "./node_modules/@azure/storage-blob/...". */
async function bundledPackages(bundle: string): Promise<Set<string>> {
  const dir = path.join(ROOT, 'dist', bundle);
  const names = new Set<string>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.js'))) {
    const code = await readFile(path.join(dir, file), 'utf8');
    for (const match of code.matchAll(/node_modules\/((?:@[a-z0-9._-]+\/)?[a-z0-9._-]+)\//gi))
      names.add(match[1]!);
  }
  return names;
}

describe('third-party notices of the committed bundles', () => {
  it.each(BUNDLES)('dist/%s/licenses.txt names every package whose code is in the bundle', async (bundle) => {
    const notices = await noticed(bundle);
    const bundled = await bundledPackages(bundle);
    expect(bundled.size).toBeGreaterThan(0);
    const missing = [...bundled].filter((name) => !notices.has(name));
    expect(missing).toEqual([]);
    // Every entry is an installed package, with the license its package.json declares.
    for (const [name, license] of notices) {
      const manifest = path.join(ROOT, 'node_modules', name, 'package.json');
      expect(existsSync(manifest), name).toBe(true);
      expect(license, name).toBe(declaredLicense(JSON.parse(await readFile(manifest, 'utf8'))));
    }
  });

  it('the entry and its code-split chunk (age) both count', async () => {
    const main = [...(await noticed('main')).keys()];
    expect(main).toEqual(
      expect.arrayContaining(['@actions/artifact', '@azure/storage-blob', 'age-encryption', 'undici']),
    );
    expect(main.some((name) => name.startsWith('@octokit/'))).toBe(true);
    expect([...(await noticed('cli')).keys()]).toEqual(expect.arrayContaining(['age-encryption', 'undici']));
  });

  it('the CLI bundles nothing of GitHub Actions, and the post step no encryption', async () => {
    expect(
      [...(await noticed('cli')).keys()].filter((name) => /^@(actions|azure|octokit)\//.test(name)),
    ).toEqual([]);
    expect((await noticed('post')).has('age-encryption')).toBe(false);
  });
});
