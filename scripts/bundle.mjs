// Builds the three ncc bundles the action and the CLI run from: dist/main, dist/post, dist/cli.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { minify } from 'terser';
import { writeLicenses } from './licenses.mjs';

const entries = { main: 'src/main.ts', post: 'src/post.ts', cli: 'src/cli.ts' };
const temp = mkdtempSync(path.join(os.tmpdir(), 'bundle-stats-'));
try {
  for (const [name, entry] of Object.entries(entries)) {
    const stats = path.join(temp, `${name}.json`);
    rmSync(`dist/${name}`, { recursive: true, force: true });
    execFileSync('npx', ['ncc', 'build', entry, '-o', `dist/${name}`, '--stats-out', stats, '--quiet'], {
      stdio: 'inherit',
    });
    writeLicenses(stats, `dist/${name}/licenses.txt`);
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}

// The CLI is published to npm, where size counts: minify all its files (ncc --minify skips the lazily
// loaded chunks, such as the age library). Whitespace and local names only, ncc's own settings: function
// and class names survive for stack traces. The action's bundles stay readable for the runner's log.
for (const file of readdirSync('dist/cli').filter((name) => name.endsWith('.js'))) {
  const target = `dist/cli/${file}`;
  const result = await minify(readFileSync(target, 'utf8'), {
    module: true,
    compress: false,
    mangle: { keep_classnames: true, keep_fnames: true },
  });
  if (result.code === undefined) throw new Error(`terser returned nothing for ${target}`);
  writeFileSync(target, result.code);
}
