import * as path from 'node:path';
import { inject } from 'vitest';

/** The entry point `name` bundled from src/ by test/global-setup.ts. */
export function bundled(name: 'main' | 'post' | 'cli'): string {
  return path.join(inject('bundleDir'), name, 'index.js');
}
