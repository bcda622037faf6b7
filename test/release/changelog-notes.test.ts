import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { changelogSections, releaseNotes } from '../../scripts/changelog-notes.mjs';
import { ROOT } from '../helpers/run-action.js';

const run = promisify(execFile);
const SCRIPT = path.join(ROOT, 'scripts', 'changelog-notes.mjs');

const SAMPLE = `# Changelog

Intro text that belongs to no version.

## [Unreleased]

### Fixed

- Something not yet released.

## [1.10.0] - 2026-12-01

### Added

- Ten.

## [1.1.0] - 2026-11-30

### Added

- A [linked][age] feature.

[age]: https://age-encryption.org

### Fixed

- One.

## [1.0.0] - 2026-11-26

- First.

[Unreleased]: https://github.com/o/r/compare/v1.10.0...HEAD
[1.10.0]: https://github.com/o/r/compare/v1.1.0...v1.10.0
[1.1.0]: https://github.com/o/r/compare/v1.0.0...v1.1.0
[1.0.0]: https://github.com/o/r/releases/tag/v1.0.0
`;

describe('scripts/changelog-notes.mjs', () => {
  it('returns the body of exactly the asked version, not its neighbours', () => {
    const { notes, date } = releaseNotes(SAMPLE, '1.1.0');
    expect(date).toBe('2026-11-30');
    expect(notes).toBe(
      '### Added\n\n- A [linked][age] feature.\n\n[age]: https://age-encryption.org\n\n### Fixed\n\n- One.',
    );
  });

  it('accepts the tag form vX.Y.Z and does not confuse 1.1.0 with 1.10.0', () => {
    expect(releaseNotes(SAMPLE, 'v1.10.0').notes).toBe('### Added\n\n- Ten.');
    expect(releaseNotes(SAMPLE, 'v1.1.0').notes).not.toContain('Ten');
  });

  it("leaves the file's closing link definitions out of the last section", () => {
    expect(releaseNotes(SAMPLE, '1.0.0').notes).toBe('- First.');
  });

  it('reads the Unreleased section, which has no date', () => {
    const unreleased = releaseNotes(SAMPLE, 'Unreleased');
    expect(unreleased.date).toBeUndefined();
    expect(unreleased.notes).toBe('### Fixed\n\n- Something not yet released.');
  });

  it('refuses a version the changelog lacks, naming those it has', () => {
    expect(() => releaseNotes(SAMPLE, 'v2.0.0')).toThrow(
      'CHANGELOG.md has no section for 2.0.0 (it has: Unreleased, 1.10.0, 1.1.0, 1.0.0)',
    );
  });

  it('refuses an empty section', () => {
    expect(() => releaseNotes('## [1.2.0] - 2026-01-01\n\n## [1.1.0] - 2025-01-01\n- x\n', '1.2.0')).toThrow(
      "CHANGELOG.md's section for 1.2.0 is empty",
    );
  });

  describe('as the release workflow runs it', () => {
    async function withChangelog(text: string, args: string[]) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'changelog-'));
      try {
        const file = path.join(dir, 'CHANGELOG.md');
        await writeFile(file, text);
        return await run(process.execPath, [SCRIPT, ...args, file]).then(
          ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
          (error: { code: number; stdout: string; stderr: string }) => error,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }

    it('prints the notes of the tag and exits 0', async () => {
      const result = await withChangelog(SAMPLE, ['v1.10.0']);
      expect(result).toMatchObject({ code: 0, stdout: '### Added\n\n- Ten.\n', stderr: '' });
    });

    it('exits 1 with the reason when the version is missing, so nothing is released', async () => {
      const result = await withChangelog(SAMPLE, ['v3.0.0']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('has no section for 3.0.0');
    });

    it('exits 1 when the version has no date (still written as if unreleased)', async () => {
      const result = await withChangelog('## [1.3.0]\n\n- Undated.\n', ['v1.3.0']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('## [1.3.0] - YYYY-MM-DD');
    });
  });

  describe("the project's CHANGELOG.md", () => {
    it('keeps the format the release workflow reads: Unreleased first, then dated versions, each with a link', async () => {
      const text = await readFile(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
      const sections = changelogSections(text);
      expect(sections[0]?.version).toBe('Unreleased');
      const versions = sections.slice(1);
      expect(versions.length).toBeGreaterThan(0);
      for (const section of versions) {
        expect(section.date, `${section.version} has a date`).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(releaseNotes(text, section.version).notes).toMatch(/^(### |\S)/);
        expect(text).toMatch(new RegExp(`^\\[${section.version.replace(/\./g, '\\.')}\\]: https://`, 'm'));
      }
    });

    it('has the notes of the version package.json carries', async () => {
      const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
        version: string;
      };
      expect(
        releaseNotes(await readFile(path.join(ROOT, 'CHANGELOG.md'), 'utf8'), `v${version}`).notes,
      ).toContain('### ');
    });
  });
});
