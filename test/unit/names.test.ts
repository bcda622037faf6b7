import { describe, expect, it } from 'vitest';
import { snapshotFileName } from '../../src/backup-format/folder.js';
import { ACTION_WORDING } from '../../src/action/wording.js';
import { CLI_WORDING } from '../../src/cli/wording.js';
import { InputError, describeError } from '../../src/core/errors.js';
import { matchesAny, selectNames } from '../../src/core/selection.js';

describe('collection selection', () => {
  const available = ['articles', 'products', 'products_v2', 'tmp_scratch'];

  it('applies globs and excludes', () => {
    expect(selectNames(available, { collections: ['*'], exclude: ['tmp_*'] }, 'the server')).toEqual([
      'articles',
      'products',
      'products_v2',
    ]);
    expect(selectNames(available, { collections: ['products*'], exclude: ['*_v2'] }, 'the server')).toEqual([
      'products',
    ]);
    expect(
      selectNames(available, { collections: ['?rticles', 'tmp_[a-z]*'], exclude: [] }, 'the server'),
    ).toEqual(['articles', 'tmp_scratch']);
  });

  it('names the collections that exist when a plain name is missing', () => {
    expect(() =>
      selectNames(available, { collections: ['prodcts'], exclude: [] }, 'the server at http://q:6333'),
    ).toThrow(
      /names "prodcts", which the server at http:\/\/q:6333 does not have; it has: articles, products, products_v2, tmp_scratch/,
    );
  });

  it('refuses a selection that matches nothing, naming both patterns and what there is', () => {
    const error = (() => {
      try {
        selectNames(available, { collections: ['prod*'], exclude: ['*'] }, 'the backup');
      } catch (caught) {
        return caught as InputError;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error!.setting).toBe('collections');
    expect(describeError(error, CLI_WORDING)).toBe(
      "Nothing in the backup matches --collections 'prod*' minus --exclude '*'; it has: articles, products, products_v2, tmp_scratch.",
    );
    expect(describeError(error, ACTION_WORDING)).toContain(
      "matches 'collections' 'prod*' minus 'exclude' '*'",
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
