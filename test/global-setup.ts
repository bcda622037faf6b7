import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundle } from '../scripts/bundle.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder holding main/, post/ and cli/ bundled from this checkout's src/ (not the committed dist/). */
    bundleDir: string;
  }
}

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** What the bundles are made of: every source file, the lockfile and the bundle script. */
async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const inputs = [
    ...(await files(path.join(ROOT, 'src'))),
    path.join(ROOT, 'package-lock.json'),
    path.join(ROOT, 'scripts/bundle.mjs'),
  ];
  for (const file of inputs) {
    hash
      .update(path.relative(ROOT, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * End-to-end tests run the entry points as the runner does, bundled with ncc, but from src/ as it is now:
 * an edit is tested without `npm run bundle`. Bundles are cached on a hash of the sources, so a second run
 * over unchanged sources starts at once. (CI checks separately that the committed dist/ is fresh.)
 */
export default async function setup(project: TestProject): Promise<void> {
  const cache = path.join(os.tmpdir(), 'qdrant-snapshot-action-bundles');
  const dir = path.join(cache, await sourceHash());
  if (!existsSync(path.join(dir, 'complete'))) {
    const started = Date.now();
    const building = `${dir}.${process.pid}.partial`;
    await mkdir(cache, { recursive: true });
    await bundle(building);
    await writeFile(path.join(building, 'complete'), '');
    // Another run may have finished the same bundles meanwhile: either copy will do.
    await rename(building, dir).catch(() => rm(building, { recursive: true, force: true }));
    console.log(
      `Bundled src/ for the end-to-end tests in ${((Date.now() - started) / 1000).toFixed(1)} s: ${dir}`,
    );
  }
  project.provide('bundleDir', dir);
}
