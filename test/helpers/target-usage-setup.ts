// Vitest setup file: one line per test that ran, naming the kinds of Qdrant it used (see target-usage.ts).
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { ROOT } from './run-action.js';
import { beginTest, endTest } from './target-usage.js';

const LOG = process.env.QDRANT_TARGET_LOG;

beforeEach(() => beginTest());

afterEach((context) => {
  const used = endTest();
  if (!LOG) return;
  const file = path.relative(ROOT, context.task.file.filepath);
  appendFileSync(LOG, `${JSON.stringify({ file, test: context.task.name, used })}\n`);
});
