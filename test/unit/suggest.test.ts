import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../src/cli/suggest.js';

describe('suggestions for mistyped flags and commands', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('colections', 'collections')).toBe(1);
    expect(editDistance('backpu', 'backup')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests the closest candidate, and nothing when none is close', () => {
    const flags = [
      '--collections',
      '--concurrency',
      '--exclude',
      '--encryption-key',
      '--encryption-identity',
    ];
    expect(closest('--colections', flags)).toBe('--collections');
    expect(closest('--concurency', flags)).toBe('--concurrency');
    expect(closest('--encryption-identiy', flags)).toBe('--encryption-identity');
    expect(closest('--frobnicate', flags)).toBeUndefined();
    expect(didYouMean('--exlude', flags)).toBe(' Did you mean --exclude?');
    expect(didYouMean('--zzz', flags)).toBe('');
  });

  it('suggests a command from its beginning', () => {
    expect(closest('rest', ['backup', 'restore', 'verify', 'list'])).toBe('restore');
    expect(closest('ls', ['backup', 'restore', 'verify', 'list'])).toBe('list');
  });
});
