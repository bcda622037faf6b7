import { InputError } from './errors.js';

const GLOB_CHARS = /[*?[\]]/;

/** True when the pattern uses glob syntax rather than naming one collection. */
export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/**
 * Qdrant refuses collection names that are empty, longer than 255 characters, or hold path separators;
 * we refuse them before any request so a bad name can never become a path on disk.
 */
export function checkCollectionName(name: string, where: string, { allowGlob = false } = {}): void {
  const problem =
    name.length === 0
      ? 'is empty'
      : name.length > 255
        ? 'is longer than 255 characters'
        : /[/\\\0]/.test(name)
          ? 'contains a path separator or NUL'
          : name === '.' || name === '..'
            ? 'is a relative path'
            : !allowGlob && isGlob(name)
              ? 'contains glob characters'
              : undefined;
  if (problem) {
    throw new InputError(
      `${where}: collection name ${JSON.stringify(name)} ${problem}; use the plain collection name as Qdrant lists it.`,
    );
  }
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

/**
 * Applies include and exclude patterns to the available names. A plain include name that does not exist
 * is an error listing the names that do: a typo must not silently back up (or restore) nothing.
 */
export function selectNames(
  available: string[],
  include: string[],
  exclude: string[],
  describeSource: string,
): string[] {
  const missing = include.filter((pattern) => !isGlob(pattern) && !available.includes(pattern));
  if (missing.length > 0) {
    const list = available.length > 0 ? available.join(', ') : 'none';
    throw new InputError(
      `Input 'collections' names ${missing.map((m) => JSON.stringify(m)).join(', ')}, which ${describeSource} does not have; it has: ${list}.`,
    );
  }
  return available.filter((name) => matchesAny(name, include) && !matchesAny(name, exclude)).sort();
}
