import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActionError, InputError } from '../../src/core/errors.js';
import { DEFAULT_QDRANT_VERSION, parseInputs } from '../../src/action/inputs.js';

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';
const parse = (values: Record<string, string>, env: NodeJS.ProcessEnv = { RUNNER_TEMP: '/runner/temp' }) =>
  parseInputs(reader(values), env);

describe('parseInputs', () => {
  it('fills every default of the interface contract', () => {
    const options = parse(
      { mode: 'backup' },
      { RUNNER_TEMP: '/runner/temp', GITHUB_REPOSITORY: 'octo/repo' },
    );
    expect(options).toMatchObject({
      mode: 'backup',
      url: 'http://localhost:6333',
      collections: ['*'],
      exclude: [],
      path: '/runner/temp/qdrant-snapshots',
      artifact: true,
      artifactName: 'qdrant-snapshots',
      ifExists: 'fail',
      verify: 'sample',
      concurrency: 2,
      timeoutSeconds: 3600,
      keepServerSnapshots: false,
      aliases: true,
      start: 'none',
      // Computed where it is used: DEFAULT_QDRANT_VERSION for a backup, the backup's own for a restore.
      qdrantVersion: undefined,
      startTimeoutSeconds: 60,
      repository: { owner: 'octo', repo: 'repo' },
    });
    expect(options.apiKey).toBeUndefined();
  });

  it('splits lists on commas and newlines and reads rename pairs', () => {
    const options = parse({
      mode: 'restore',
      collections: 'a, b\nc*',
      exclude: 'tmp_*',
      rename: 'a=a_ci\nb = b_ci',
    });
    expect(options.collections).toEqual(['a', 'b', 'c*']);
    expect(options.exclude).toEqual(['tmp_*']);
    expect([...options.rename]).toEqual([
      ['a', 'a_ci'],
      ['b', 'b_ci'],
    ]);
  });

  it.each([
    [{ mode: 'frobnicate' }, /'mode' got "frobnicate"; it accepts one of: backup, restore/],
    [{ mode: '' }, /'mode' got nothing; it accepts one of: backup, restore/],
    [{ mode: 'backup', url: 'localhost:6333' }, /'url'.*http:\/\/ or https:\/\//],
    [{ mode: 'backup', url: 'not a url' }, /'url' got "not a url", which is not a URL/],
    [{ mode: 'backup', url: 'http://user:pw@host:6333' }, /'url' must not carry credentials/],
    [{ mode: 'backup', concurrency: '0' }, /'concurrency' got "0"; it accepts a whole number from 1 to 32/],
    [{ mode: 'backup', concurrency: 'two' }, /'concurrency' got "two"/],
    [
      { mode: 'backup', 'retention-days': '401' },
      /'retention-days' got "401"; it accepts a whole number from 1 to 400/,
    ],
    [{ mode: 'backup', 'compression-level': '10' }, /'compression-level' got "10"/],
    [
      { mode: 'backup', verify: 'maybe' },
      /'verify' got "maybe"; it accepts true or false .*full, sample, counts/,
    ],
    [
      { mode: 'restore', 'if-exists': 'replace' },
      /'if-exists' got "replace"; it accepts one of: fail, skip, overwrite/,
    ],
    [{ mode: 'backup', start: 'podman' }, /'start' got "podman"; it accepts one of: none, docker, binary/],
    [{ mode: 'backup', 'artifact-name': 'a/b' }, /'artifact-name' got "a\/b", which contains "\/"/],
    [{ mode: 'backup', collections: 'a/b' }, /collection name "a\/b" contains a path separator/],
    [{ mode: 'backup', collections: '..' }, /collection name ".." is a relative path/],
    [{ mode: 'restore', rename: 'a' }, /'rename' got "a"; it accepts old=new pairs/],
    [{ mode: 'restore', rename: 'a=x,b=x' }, /maps two collections to "x"/],
    [{ mode: 'restore', 'run-id': '12', workflow: 'backup.yml' }, /'run-id' and 'workflow' both/],
    [{ mode: 'restore', workflow: 'my workflow' }, /'workflow' got "my workflow"/],
    [{ mode: 'backup', 'run-id': '12' }, /remove them for mode: backup/],
    [{ mode: 'backup', 'qdrant-version': 'latest' }, /'qdrant-version' got "latest"/],
    [{ mode: 'backup', 'encryption-key': 'short' }, /'encryption-key' is shorter than 16 characters/],
    [{ mode: 'restore', repository: 'nope' }, /'repository' got "nope"; it accepts owner\/name/],
  ])('refuses %j naming the input, the value and what it accepts', (values, message) => {
    expect(() => parse(values)).toThrow(InputError);
    expect(() => parse(values)).toThrow(message);
  });

  it.each([
    ['true', 'sample'],
    ['false', false],
    ['full', 'full'],
    ['sample', 'sample'],
    ['COUNTS', 'counts'],
  ] as const)('reads verify: %s as %j', (verify, level) => {
    expect(parse({ mode: 'restore', verify }).verify).toBe(level);
  });

  it('never echoes the encryption key in its error', () => {
    try {
      parse({ mode: 'backup', 'encryption-key': 'tiny-secret' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('tiny-secret');
    }
  });

  it('accepts workflow file paths and ids and normalises versions', () => {
    expect(parse({ mode: 'restore', workflow: '.github/workflows/backup.yml' }).workflow).toBe('backup.yml');
    expect(parse({ mode: 'restore', workflow: '1234' }).workflow).toBe('1234');
    expect(parse({ mode: 'backup', 'qdrant-version': '1.17.1' }).qdrantVersion).toBe('v1.17.1');
    // The newest release the tests cover (CI runs the suite against it).
    expect(DEFAULT_QDRANT_VERSION).toBe('v1.19.0');
    expect(parse({ mode: 'backup', 'retention-days': '400' }).retentionDays).toBe(400);
  });

  it('throws only InputError for any junk value of any input (property)', () => {
    const names = [
      'mode',
      'url',
      'collections',
      'exclude',
      'artifact',
      'artifact-name',
      'retention-days',
      'compression-level',
      'run-id',
      'workflow',
      'repository',
      'if-exists',
      'rename',
      'verify',
      'concurrency',
      'timeout',
      'start',
      'qdrant-version',
      'start-timeout',
      'download-base-url',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.string(),
        fc.constantFrom('backup', 'restore'),
        (name, value, mode) => {
          try {
            parse({ mode, [name]: value });
          } catch (error) {
            expect(error).toBeInstanceOf(ActionError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
