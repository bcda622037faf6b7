// Builds the three ncc bundles the action and the CLI run from: dist/main, dist/post, dist/cli.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const entries = { main: 'src/main.ts', post: 'src/post.ts', cli: 'src/cli.ts' };
for (const [name, entry] of Object.entries(entries)) {
  rmSync(`dist/${name}`, { recursive: true, force: true });
  execFileSync('npx', ['ncc', 'build', entry, '-o', `dist/${name}`, '--license', 'licenses.txt', '--quiet'], {
    stdio: 'inherit',
  });
}
