import { describe, expect, it } from 'vitest';
import { snapshotFileName } from '../../src/backup-format/folder.js';
import { matchesAny, selectNames } from '../../src/core/selection.js';

describe('collection selection', () => {
  const available = ['articles', 'products', 'products_v2', 'tmp_scratch'];

  it('applies globs and excludes', () => {
    expect(selectNames(available, ['*'], ['tmp_*'], 'the server')).toEqual([
      'articles',
      'products',
      'products_v2',
    ]);
    expect(selectNames(available, ['products*'], ['*_v2'], 'the server')).toEqual(['products']);
    expect(selectNames(available, ['?rticles', 'tmp_[a-z]*'], [], 'the server')).toEqual([
      'articles',
      'tmp_scratch',
    ]);
  });

  it('names the collections that exist when a plain name is missing', () => {
    expect(() => selectNames(available, ['prodcts'], [], 'the server at http://q:6333')).toThrow(
      /names "prodcts", which the server at http:\/\/q:6333 does not have; it has: articles, products, products_v2, tmp_scratch/,
    );
  });

  it('treats regex characters in names literally', () => {
    expect(matchesAny('a.b', ['a.b'])).toBe(true);
    expect(matchesAny('axb', ['a.b*'])).toBe(false);
  });

  it('makes safe, unique snapshot file names', () => {
    const taken = new Set<string>();
    expect(snapshotFileName('my:coll', taken, '.snapshot')).toBe('my_coll.snapshot');
    expect(snapshotFileName('my?coll', taken, '.snapshot')).toBe('my_coll-2.snapshot');
    expect(snapshotFileName('..hidden', taken, '.snapshot')).toBe('_hidden.snapshot');
  });
});
