// Builds the three ncc bundles the action and the CLI run from: dist/main, dist/post, dist/cli.
// `node scripts/bundle.mjs [OUT]` writes them under OUT (default dist); the tests bundle into a temp folder.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const ncc = require('@vercel/ncc');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const ENTRIES = { main: 'src/main.ts', post: 'src/post.ts', cli: 'src/cli.ts' };

/** The folder of the package a bundled module comes from (the innermost node_modules/<name>). */
function packageDir(modulePath) {
  const match = /^(.*node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)/.exec(modulePath.replace(/^.*!/, ''));
  return match ? match[1] : undefined;
}

/** The license a package.json declares (SPDX id, or the legacy object / array forms). */
export function declaredLicense(pkg) {
  const declared = pkg.license ?? pkg.licenses;
  const ids = (Array.isArray(declared) ? declared : [declared]).map((l) =>
    typeof l === 'string' ? l : l?.type,
  );
  return ids.filter(Boolean).join(' OR ') || 'not declared in its package.json';
}

/**
 * The third-party notices of one bundle: every package any of its chunks holds, with its license id and
 * text. ncc's own --license writes one file per chunk under the same name, so the code-split chunk's
 * notice overwrote the entry's: the list comes from the modules ncc bundled instead.
 */
function notices(stats) {
  const dirs = new Set();
  for (const module of stats.toJson({ modules: true }).modules ?? []) {
    for (const id of [module.identifier, module.name, ...(module.modules ?? []).map((m) => m.identifier)]) {
      const dir = id && packageDir(id);
      if (dir && existsSync(path.join(dir, 'package.json'))) dirs.add(dir);
    }
  }
  const entries = new Map();
  for (const dir of dirs) {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const license = declaredLicense(pkg);
    const file = readdirSync(dir).find((name) => /^(licen[cs]e|copying)/i.test(name));
    const text = file ? readFileSync(path.join(dir, file), 'utf8').trim() : '';
    entries.set(`${pkg.name}@${pkg.version}`, {
      header: `Package: ${pkg.name}@${pkg.version}\nLicense: ${license}`,
      text,
    });
  }
  // Most packages ship the same Apache-2.0 or MIT text: each distinct text is written once (the published
  // CLI must stay under 1.5 MB) and the others point to it.
  const firstWithText = new Map();
  return [...entries.keys()]
    .sort()
    .map((key) => {
      const { header, text } = entries.get(key);
      if (!text) return header;
      const first = firstWithText.get(text);
      if (first) return `${header}\nThe license text is the same as that of ${first}, above.`;
      firstWithText.set(text, key);
      return `${header}\n\n${text}`;
    })
    .join('\n\n')
    .concat('\n');
}

export async function bundle(out = path.join(ROOT, 'dist'), { quiet = true } = {}) {
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const dir = path.join(out, name);
    const { code, assets, stats } = await ncc(path.join(ROOT, entry), { quiet });
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'index.js'), code, { mode: code.startsWith('#!') ? 0o755 : 0o644 });
    for (const [file, asset] of Object.entries(assets)) {
      writeFileSync(path.join(dir, file), asset.source, { mode: asset.permissions });
    }
    writeFileSync(path.join(dir, 'licenses.txt'), notices(stats));
    if (name === 'cli') await minifyFolder(dir);
  }
}

/**
 * The CLI is published to npm, where size counts (under 1.5 MB unpacked): minify all its files (ncc's minify
 * skips the lazily loaded chunks, such as the age library). Function and class names survive for stack
 * traces. The action's bundles stay readable for the runner's log.
 */
async function minifyFolder(dir) {
  const { minify } = await import('terser');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.js'))) {
    const target = path.join(dir, file);
    const result = await minify(readFileSync(target, 'utf8'), {
      module: true,
      compress: { passes: 1 },
      mangle: { keep_classnames: true, keep_fnames: true },
      // ncc's module path comments say which packages are inside (the notices are checked against them).
      format: { comments: /node_modules\// },
    });
    if (result.code === undefined) throw new Error(`terser returned nothing for ${target}`);
    writeFileSync(target, result.code);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await bundle(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
}
