import type { ManifestCollection } from '../backup-format/manifest.js';
import { GLOB_CHARS } from '../qdrant/names.js';
import { InputError } from './errors.js';
import { say, setting, subject } from './wording.js';

/** True when the pattern uses glob syntax rather than naming one collection. */
export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) source += '\\[';
      else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else source += char.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function matchesAny(name: string, patterns: string[]): boolean {
  return patterns.some((pattern) => (isGlob(pattern) ? globToRegExp(pattern).test(name) : pattern === name));
}

export interface Selection {
  collections: string[];
  exclude: string[];
}

/**
 * Applies include and exclude patterns to the available names. A plain include name that does not exist
 * is an error listing the names that do, and so is a selection that matches nothing: a typo must not
 * silently back up (or restore) nothing. `source` names where the names come from ("the backup").
 */
export function selectNames(available: string[], selection: Selection, source: string): string[] {
  const { collections: include, exclude } = selection;
  const list = available.length > 0 ? available.join(', ') : 'none';
  const missing = include.filter((pattern) => !isGlob(pattern) && !available.includes(pattern));
  if (missing.length > 0) {
    throw new InputError(
      say`${subject('collections')} names ${missing.map((m) => JSON.stringify(m)).join(', ')}, which ${source} does not have; it has: ${list}.`,
    );
  }
  const selected = available.filter((name) => matchesAny(name, include) && !matchesAny(name, exclude)).sort();
  if (selected.length === 0) {
    const minus = exclude.length ? say` minus ${setting('exclude')} '${exclude.join(', ')}'` : [];
    throw new InputError(
      say`Nothing in ${source} matches ${setting('collections')} '${include.join(', ')}'${minus}; it has: ${list}.`,
    );
  }
  return selected;
}

export interface BackupSelection extends Selection {
  rename: Map<string, string>;
  aliases: boolean;
}

/** A collection of the backup and where it goes on the server. */
export interface Target {
  entry: ManifestCollection;
  /** Its name on the server (differs when renamed). */
  target: string;
  /** Alias names expected to point at `target` (none when aliases are left out). */
  aliases: string[];
}

/** The collections of a backup that a restore or a verify works on, each with its name on the server. */
export function selectTargets(collections: ManifestCollection[], selection: BackupSelection): Target[] {
  const names = selectNames(
    collections.map((c) => c.name),
    selection,
    'the backup',
  );
  for (const from of selection.rename.keys()) {
    if (!names.includes(from)) {
      throw new InputError(
        say`${subject('rename')} renames ${JSON.stringify(from)}, which is not among the collections selected (${names.join(', ')}).`,
      );
    }
  }
  return collections
    .filter((entry) => names.includes(entry.name))
    .map((entry) => ({
      entry,
      target: selection.rename.get(entry.name) ?? entry.name,
      aliases: selection.aliases ? entry.aliases : [],
    }));
}
