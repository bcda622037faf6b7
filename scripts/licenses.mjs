// Writes the licenses.txt of a bundle from ncc's stats: every package with a file in the bundle, its
// license field and license text. ncc's own --license output keeps only the last chunk it emits (with a
// lazily loaded chunk, dist/cli listed age-encryption and not undici), and MIT and BSD licenses ask for
// their text to travel with every copy.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/** The folder of the package a bundled file belongs to, or undefined for our own sources. */
export function packageDir(file) {
  const at = file.lastIndexOf(NODE_MODULES);
  if (at < 0) return undefined;
  const rest = file.slice(at + NODE_MODULES.length).split(path.sep);
  const segments = rest[0]?.startsWith('@') ? 2 : 1;
  return file.slice(0, at + NODE_MODULES.length) + rest.slice(0, segments).join(path.sep);
}

/** Every file of ncc's webpack stats, concatenated modules included. */
function bundledFiles(stats) {
  const files = new Set();
  const walk = (modules) => {
    for (const module of modules ?? []) {
      if (typeof module.nameForCondition === 'string') files.add(module.nameForCondition);
      walk(module.modules);
    }
  };
  walk(stats.modules);
  return files;
}

function licenseText(dir) {
  const file = readdirSync(dir).find((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name));
  return file ? readFileSync(path.join(dir, file), 'utf8').trim() : '(the package ships no license file)';
}

/** Writes `target` listing the packages bundled according to the stats file; returns their names. */
export function writeLicenses(statsFile, target) {
  const stats = JSON.parse(readFileSync(statsFile, 'utf8'));
  const dirs = new Set([...bundledFiles(stats)].map(packageDir).filter(Boolean));
  const entries = [...dirs]
    .filter((dir) => existsSync(path.join(dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      return { name: manifest.name, version: manifest.version, license: manifest.license, dir };
    })
    // Two installed copies of one version need the text once.
    .filter((e, i, all) => all.findIndex((o) => o.name === e.name && o.version === e.version) === i)
    .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  const text = entries
    .map((e) => `${e.name}@${e.version}\n${e.license ?? '(no license field)'}\n${licenseText(e.dir)}\n`)
    .join('\n');
  writeFileSync(target, text);
  return entries.map((e) => e.name);
}
