/** Characters that make a pattern a glob rather than one collection's name. */
export const GLOB_CHARS = /[*?[\]]/;

/**
 * What is wrong with a collection name, or undefined when Qdrant would take it: Qdrant refuses names that
 * are empty, longer than 255 characters, or hold path separators. Checked before any request and in every
 * manifest read, so a bad name can never become a path on disk.
 */
export function collectionNameProblem(name: string, { allowGlob = false } = {}): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 255) return 'is longer than 255 characters';
  if (/[/\\\0]/.test(name)) return 'contains a path separator or NUL';
  if (name === '.' || name === '..') return 'is a relative path';
  if (!allowGlob && GLOB_CHARS.test(name)) return 'contains glob characters';
  return undefined;
}
